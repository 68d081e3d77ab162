#!/usr/bin/env bash
# Pod start-up and stage1 memory, each against a baseline timed in the same run.
#   Benchmarks/pods.sh [--runs N] [--size MiB]      (root; needs busybox-static)
# 1. `rkt run --exec /bin/true` of a cached busybox image (full namespaces, overlay,
#    /proc /sys /dev /tmp) vs `unshare` into the same namespaces + chroot + /bin/true.
# 2. The same for a SIZE MiB app image with a tools dependency, second run (cached tree):
#    it must not depend on the image's size.
# 3. Rendering that app for `rkt prepare`: with nothing cached, with its layers cached
#    (what a new dependency costs: the tree is composed again), and all cached, vs
#    extracting the app's tar with `tar -x`.
# 4. Debugging a running pod: `rkt debug UUID -- /bin/true` (tools image cached) vs
#    `rkt enter UUID /bin/true` on the same pod, on the busybox pod and on the SIZE MiB
#    app's pod (it must not depend on the app's size); `rkt run --debug-image` of cached
#    images vs a plain cached `rkt run`.
# 5. RSS of stage1 (supervisor + pod init) of a running pod.
# 6. Pod networks: `rkt run --exec /bin/true` of the cached busybox with `--net=default`
#    (a private namespace, the ptp and host-local plugins, masquerade) vs the same with
#    `--net=host`; then 100 pods started one after another and gc: what is left
#    (leases, veths, NAT rules, namespaces) must be nothing.
# 7. Isolators: a cached `rkt run --exec /bin/true` with the default seccomp filter and
#    a memory and CPU limit vs the same with --insecure-options=seccomp and no limits
#    (target: at most 5 ms more); the pod's cgroups themselves vs a run on a host
#    without cgroup hierarchies (a mount namespace with an empty /sys/fs/cgroup); and
#    what gc leaves of the pods' cgroups (must be nothing).
# Sections 1, 2 and 4 run with --net=host: they time what the namespaces and the
# overlay cost, which section 6 adds the network to.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20 size=256
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--size MiB]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (namespaces, mounts)" >&2; exit 1; }
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
bin="$(scripts/build-release.sh)"
actool=$bin/actool rkt=$bin/rkt
work=$(mktemp -d /var/tmp/rkt-pod-bench.XXXXXX)
store=$work/store
cleanup() {
    "$rkt" --dir="$store" stop --force $(ls "$store/pods/run" 2>/dev/null) >/dev/null 2>&1 || true
    sleep 0.5
    "$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

layout() { # dir name exec [dependency-image]
    mkdir -p "$1/rootfs"
    printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"%s","labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["%s"],"user":"0","group":"0"}}' "$2" "$3" > "$1/manifest"
}
layout "$work/busybox" example.com/busybox /bin/sh
mkdir -p "$work/busybox/rootfs/bin" "$work/busybox/rootfs/tmp" "$work/busybox/rootfs/etc"
cp /bin/busybox "$work/busybox/rootfs/bin/"
for a in sh true sleep; do ln -s busybox "$work/busybox/rootfs/bin/$a"; done
"$actool" build --reproducible "$work/busybox" "$work/busybox.aci"
busybox_id=$("$rkt" --dir="$store" --insecure-options=image fetch --full "$work/busybox.aci")

# A big app: SIZE MiB of data and no tools; the busybox image comes in as a dependency.
layout "$work/big" example.com/big /bin/true
mkdir -p "$work/big/rootfs/data"
head -c "${size}M" /dev/urandom > "$work/big/rootfs/data/blob"
"$actool" build --reproducible "$work/big" "$work/big.aci"
"$actool" patch-manifest --replace --add-dependency="$work/busybox.aci" "$work/big.aci"
big_id=$("$rkt" --dir="$store" --insecure-options=image fetch --full "$work/big.aci")
"$rkt" --dir="$store" run "$big_id" >/dev/null 2>&1   # first run renders the tree

rootfs=$store/cas/tree/$(ls "$store/cas/tree" | head -1)/rootfs
baseline="unshare --fork --pid --mount --uts --ipc chroot $rootfs /bin/true"
# One line for the two commands hyperfine timed last ($work/r.csv): with "diff", also
# how many ms the first took over the second.
report() { # label [diff]
    awk -F, -v label="$1" -v diff="${2:-}" 'NR==2{ours=$4} NR==3{base=$4} END{
        printf "%-52s ours %7.1f ms   baseline %7.1f ms   ratio %.2f", label, ours*1000, base*1000, ours/base
        if (diff != "") printf "   +%.1f ms", (ours-base)*1000
        printf "\n" }' "$work/r.csv"
}
compare() { # label ours baseline [diff]
    hyperfine --style none -N -w 3 -r "$runs" --export-csv "$work/r.csv" "$2" "$3" >/dev/null 2>&1
    report "$1" "${4:-}"
}
echo "== pod start-up, median of $runs runs (target: under 50 ms)"
compare "rkt run --exec /bin/true (busybox, cached)" \
    "$rkt --dir=$store run --net=host $busybox_id --exec /bin/true" "$baseline"
compare "rkt run (${size} MiB app + tools dep, cached)" \
    "$rkt --dir=$store run --net=host $big_id" "$baseline"
compare "rkt run busybox.aci (by file: hashes it again)" \
    "$rkt --dir=$store --insecure-options=image run --net=host $work/busybox.aci --exec /bin/true" "$baseline"
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1

echo "== rendering the ${size} MiB app + tools for rkt prepare, median of $runs runs"
gzip -dc "$work/big.aci" > "$work/big.tar"
mkdir -p "$work/untar"
cas=$store/cas
rm_prepared="$rkt --dir=$store rm \$(ls $store/pods/prepared) >/dev/null 2>&1 || true"
render() { # label prepare-command
    hyperfine --style none -N -w 1 -r "$runs" --export-csv "$work/r.csv" \
        --prepare "bash -c '$rm_prepared; $2'" "$rkt --dir=$store prepare $big_id" \
        --prepare "rm -rf $work/untar/rootfs" "tar -xf $work/big.tar -C $work/untar" >/dev/null 2>&1
    report "$1"
}
render "prepare, nothing rendered (tar -x baseline)" "rm -rf $cas/tree/* $cas/layers/*"
render "prepare, layers cached, tree composed again" "rm -rf $cas/tree/*"
render "prepare, tree cached" "true"
bash -c "$rm_prepared"
rm -rf "$work/big.tar" "$work/untar"

echo "== debugging a running pod, median of $runs runs (targets: debug within 2x of enter, independent of the app's size; --debug-image within 10% of a plain run)"
start_pod() { # image uuid-file: a pod that sleeps, left running
    ("$rkt" --dir="$store" run --net=host --uuid-file-save="$2" "$1" --exec /bin/sleep -- 600 >/dev/null 2>&1 &)
    for _ in $(seq 100); do [ -s "$2" ] && "$rkt" --dir="$store" status "$(cat "$2")" 2>/dev/null | grep -q '^pid=' && break; sleep 0.1; done
    sleep 0.3
    cat "$2"
}
small_pod=$(start_pod "$busybox_id" "$work/small.uuid")
big_pod=$(start_pod "$big_id" "$work/big.uuid")
# The tools image: busybox, rendered once (the first session), cached from then on.
"$rkt" --dir="$store" debug --image="$busybox_id" "$small_pod" -- /bin/true >/dev/null 2>&1
compare "rkt debug -- /bin/true vs rkt enter (busybox pod)" \
    "$rkt --dir=$store debug --image=$busybox_id $small_pod -- /bin/true" "$rkt --dir=$store enter $small_pod /bin/true"
compare "rkt debug -- /bin/true vs rkt enter (${size} MiB app)" \
    "$rkt --dir=$store debug --image=$busybox_id $big_pod -- /bin/true" "$rkt --dir=$store enter $big_pod /bin/true"
compare "rkt debug -- /bin/true: ${size} MiB app vs busybox pod" \
    "$rkt --dir=$store debug --image=$busybox_id $big_pod -- /bin/true" "$rkt --dir=$store debug --image=$busybox_id $small_pod -- /bin/true"
"$rkt" --dir="$store" stop --force "$small_pod" "$big_pod" >/dev/null
"$rkt" --dir="$store" run --net=host --debug-image="$busybox_id" "$big_id" >/dev/null 2>&1   # renders nothing new: both trees cached
sleep 1   # the stopped pods' teardown is over
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1
compare "rkt run --debug-image (cached) vs plain rkt run" \
    "$rkt --dir=$store run --net=host --debug-image=$busybox_id $big_id" "$rkt --dir=$store run --net=host $big_id"
sleep 0.5
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1

echo "== stage1 memory of a running pod (target: under 4 MiB)"
("$rkt" --dir="$store" run --uuid-file-save="$work/uuid" "$busybox_id" --exec /bin/sleep -- 30 >/dev/null 2>&1 &)
for _ in $(seq 50); do [ -s "$work/uuid" ] && [ -s "$store/pods/run/$(cat "$work/uuid")/ppid" ] && break; sleep 0.1; done
sleep 0.3
ppid=$(cat "$store/pods/run/$(cat "$work/uuid")/ppid")
init=$(cut -d' ' -f1 "/proc/$ppid/task/$ppid/children")
sup_kb=$(ps -o rss= -p "$ppid") init_kb=$(ps -o rss= -p "$init")
awk -v s="$sup_kb" -v i="$init_kb" 'BEGIN{ printf "%-52s %6.2f MiB (supervisor %.2f + init %.2f)\n", "stage1 RSS", (s+i)/1024, s/1024, i/1024 }'
"$rkt" --dir="$store" stop --force "$(cat "$work/uuid")" >/dev/null
{ wait; } 2>/dev/null || true

echo "== pod networks, median of $runs runs (target: --net=default within 3x of --net=host)"
leftovers() { # leases veths nat-rules namespaces, of the default network
    local leases veths rules netns
    leases=$(find /var/lib/cni/networks/default -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null | wc -l)
    veths=$(ip -o link | grep -c ' veth' || true)
    rules=$(iptables -t nat -S | grep -c -- '-j CNI-' || true)
    netns=$(find /run/netns -name 'cni-*' 2>/dev/null | wc -l)
    echo "leases $leases, veths $veths, NAT rules $rules, namespaces $netns"
}
sleep 1   # the last section's pod is torn down
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1
before=$(leftovers)
# Each run's tear-down ends after rkt run returns; --prepare lets the previous one end.
hyperfine --style none -N -w 3 -r "$runs" --prepare "sleep 0.2" --export-csv "$work/r.csv" \
    "$rkt --dir=$store run --net=default $busybox_id --exec /bin/true" \
    "$rkt --dir=$store run --net=host $busybox_id --exec /bin/true" >/dev/null 2>&1
report "rkt run --net=default vs --net=host (idle between)"
# Back to back, each run's tear-down (some 60 ms of plugins and iptables, at nice 19)
# overlaps the next run's start on 2 cores.
compare "rkt run --net=default vs --net=host (back to back)" \
    "$rkt --dir=$store run --net=default $busybox_id --exec /bin/true" "$rkt --dir=$store run --net=host $busybox_id --exec /bin/true"
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1
start=$(date +%s%N)
for _ in $(seq 100); do "$rkt" --dir="$store" run "$busybox_id" --exec /bin/true >/dev/null 2>&1; done
end=$(date +%s%N)
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1
awk -v t="$(( (end - start) / 1000000 ))" 'BEGIN{ printf "%-52s %7.1f ms per pod\n", "100 pods on the default network, one after another", t/100 }'
printf "%-52s before: %s\n%-52s after gc: %s\n" "what the default network leaves" "$before" "" "$(leftovers)"

echo "== isolators, median of $runs runs (target: filter and limits at most 5 ms over neither)"
pod_cgroups() { find /sys/fs/cgroup -maxdepth 6 -name 'machine-rkt*' 2>/dev/null | wc -l; }
cgroups_before=$(pod_cgroups)
plain="$rkt --dir=$store run --net=host $busybox_id --exec /bin/true"
confined="$rkt --dir=$store run --net=host $busybox_id --memory=64Mi --cpu=500m --exec /bin/true"
compare "seccomp + --memory --cpu vs insecure seccomp, no limits" \
    "$confined" "$rkt --dir=$store --insecure-options=seccomp run --net=host $busybox_id --exec /bin/true" diff
# Both in a mount namespace of their own; the baseline's has no cgroup hierarchy mounted.
compare "the pod's cgroups (4 hierarchies) vs no cgroups" \
    "unshare -m --propagation private sh -c '$plain'" \
    "unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup && $plain'" diff
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1
printf "%-52s before: %s, after gc: %s\n" "pods' cgroup directories" "$cgroups_before" "$(pod_cgroups)"
