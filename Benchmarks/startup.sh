#!/usr/bin/env bash
# Start-up and memory of the commands scripts call in loops, against the Go actool built
# in the same run from appc/spec's final sources (Debian's golang-github-appc-spec-dev,
# built with Debian's Go in GOPATH mode: no network beyond apt). Prints medians, the ratio
# ours/Go (lower is better) and peak RSS (median of 3 runs of /usr/bin/time).
#   Benchmarks/startup.sh [--runs N] [--size MiB]     (root: the rkt part runs pods)
# 1. actool version, cat-manifest and validate of a small image whose manifest is first.
# 2. Peak RSS of each actool command on a SIZE MiB image (default 1024): build, validate,
#    cat-manifest, image-id, patch-manifest of an image Go's actool built (a "foreign"
#    one: its entries are not in our order), beside Go's for the commands it has.
# 3. rkt version, list, status, image list, run --exec /bin/true of a cached busybox
#    image, and enter: medians and peak RSS (rkt itself; there is no Go rkt here).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=30 size=1024
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--size MiB]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "startup: run as root (pods)" >&2; exit 1; }
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
# The Go actool's sources and the Go to build them with.
scripts/install-deps.sh golang-go golang-github-appc-spec-dev
bin=$(scripts/build-release.sh)
actool="$bin/actool" rkt="$bin/rkt"
work=$(mktemp -d /var/tmp/startup-bench.XXXXXX)
store="$work/store"
cleanup() {
    "$rkt" --dir="$store" stop --force "$(cat "$work/pod.uuid" 2>/dev/null)" >/dev/null 2>&1 || true
    "$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$work/gocache" go build -o "$work/actool-go" github.com/appc/spec/actool
goactool="$work/actool-go"
echo "Go actool: $("$goactool" version) (Debian's appc/spec $(dpkg-query -W -f='${Version}' golang-github-appc-spec-dev), $(go version | cut -d' ' -f3))"
echo "ours:      $("$actool" version), $(stat -c %s "$actool") bytes; rkt $(stat -c %s "$rkt") bytes"

# hyperfine; prints "name  ours  go  ratio" from the CSV's medians (ms).
median_ms() { awk -F, -v row="$2" 'NR == row + 1 {printf "%.1f", $4 * 1000}' "$1"; }
compare() { # label ours-command go-command
    hyperfine --style none -N -w 5 -r "$runs" --export-csv "$work/t.csv" "$2" "$3" >/dev/null 2>&1
    local a b
    a=$(median_ms "$work/t.csv" 1) b=$(median_ms "$work/t.csv" 2)
    printf '%-44s %8s ms %8s ms   %5.2fx\n' "$1" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')"
}
alone() { # label command
    hyperfine --style none -N -w 5 -r "$runs" --export-csv "$work/t.csv" "$2" >/dev/null 2>&1
    printf '%-44s %8s ms\n' "$1" "$(median_ms "$work/t.csv" 1)"
}
# Peak RSS in MiB, median of 3 runs.
rss() {
    for _ in 1 2 3; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 2p |
        awk '{printf "%.1f", $1 / 1024}'
}

# A small image, manifest first, as our actool and Go's both build it.
mkdir -p "$work/small/rootfs/bin"
printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/small","labels":[{"name":"version","value":"1.0"}]}' >"$work/small/manifest"
echo hello >"$work/small/rootfs/bin/hello"
"$actool" build "$work/small" "$work/small.aci"

echo
echo "== start-up (median of $runs runs)              ours        Go     ours/Go"
compare "actool version" "$actool version" "$goactool version"
compare "actool cat-manifest (manifest first)" "$actool cat-manifest $work/small.aci" "$goactool cat-manifest $work/small.aci"
compare "actool validate (small image)" "$actool validate $work/small.aci" "$goactool validate $work/small.aci"

# The big image: SIZE MiB, half random, half text; built by Go's actool (foreign to ours).
mkdir -p "$work/big/rootfs"
printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/big"}' >"$work/big/manifest"
head -c "$((size / 2))M" /dev/urandom >"$work/big/rootfs/random"
yes "the quick brown fox jumps over the lazy dog 0123456789" | head -c "$((size / 2))M" >"$work/big/rootfs/text" || true
"$goactool" build "$work/big" "$work/big-go.aci"

echo
echo "== peak RSS on a $size MiB image (MiB)             ours        Go"
row() { printf '%-44s %8s    %8s\n' "$1" "$2" "${3:--}"; }
row "actool build" "$(rss "$actool" build --overwrite "$work/big" "$work/out.aci")" "$(rss "$goactool" build --overwrite "$work/big" "$work/out-go.aci")"
row "actool validate" "$(rss "$actool" validate "$work/big-go.aci")" "$(rss "$goactool" validate "$work/big-go.aci")"
row "actool cat-manifest" "$(rss "$actool" cat-manifest "$work/big-go.aci")" "$(rss "$goactool" cat-manifest "$work/big-go.aci")"
row "actool image-id" "$(rss "$actool" image-id "$work/big-go.aci")"
row "actool patch-manifest (foreign image)" \
    "$(rss "$actool" patch-manifest --overwrite --name=example.com/patched "$work/big-go.aci" "$work/p.aci")" \
    "$(rss "$goactool" patch-manifest --overwrite --name=example.com/patched "$work/big-go.aci" "$work/p-go.aci")"
rm -rf "$work/big" "$work"/out*.aci "$work"/p*.aci

# rkt: a cached busybox image, a running pod for status and enter.
mkdir -p "$work/busybox/rootfs/bin"
printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/busybox","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/sh"],"user":"0","group":"0"}}' >"$work/busybox/manifest"
cp /bin/busybox "$work/busybox/rootfs/bin/"
for a in sh true sleep; do ln -s busybox "$work/busybox/rootfs/bin/$a"; done
"$actool" build "$work/busybox" "$work/busybox.aci"
id=$("$rkt" --dir="$store" --insecure-options=image fetch --full "$work/busybox.aci")
"$rkt" --dir="$store" run --net=host "$id" --exec /bin/true >/dev/null 2>&1
"$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1
"$rkt" --dir="$store" run --net=host --uuid-file-save="$work/pod.uuid" "$id" --exec /bin/sleep -- 3600 >/dev/null 2>&1 &
for _ in $(seq 100); do
    [ -s "$work/pod.uuid" ] && "$rkt" --dir="$store" status --wait-ready=5s "$(cat "$work/pod.uuid")" >/dev/null 2>&1 && break
    sleep 0.1
done
uuid=$(cat "$work/pod.uuid")

echo
echo "== rkt (median of $runs runs; peak RSS)"
for args in "version" "list" "status $uuid" "image list"; do
    hyperfine --style none -N -w 3 -r "$runs" --export-csv "$work/t.csv" "$rkt --dir=$store $args" >/dev/null 2>&1
    # shellcheck disable=SC2086
    printf '%-44s %8s ms %8s MiB\n' "rkt ${args/$uuid/UUID}" "$(median_ms "$work/t.csv" 1)" "$(rss "$rkt" --dir="$store" $args)"
done
hyperfine --style none -N -w 3 -r "$runs" --export-csv "$work/t.csv" "$rkt --dir=$store enter $uuid /bin/true" >/dev/null 2>&1
printf '%-44s %8s ms %8s MiB\n' "rkt enter /bin/true" "$(median_ms "$work/t.csv" 1)" "$(rss "$rkt" --dir="$store" enter "$uuid" /bin/true)"
hyperfine --style none -N -w 3 -r "$runs" --export-csv "$work/t.csv" "$rkt --dir=$store run --net=host $id --exec /bin/true" >/dev/null 2>&1
printf '%-44s %8s ms %8s MiB\n' "rkt run --exec /bin/true (cached busybox)" "$(median_ms "$work/t.csv" 1)" \
    "$(rss "$rkt" --dir="$store" run --net=host "$id" --exec /bin/true)"
