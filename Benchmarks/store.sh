#!/usr/bin/env bash
# The image store at scale (the index in SQLite), each figure beside a baseline timed in
# the same run.
#   Benchmarks/store.sh [--runs N] [--max N] [--size MiB]
# 1. `rkt image gc --grace-period=0s` of 100, 1000 and MAX images vs unlinking the same
#    blob and manifest files with find (the floor); ms per image shows the curve
#    (target: 1000 images under 0.5 s, linear).
# 2. Fetch cost: one `rkt fetch` of 100 new images, and of one image, into an empty store
#    vs into a store of MAX images (target: within 1.5x). Each fetch gets its own copy of
#    the store, all made and synced before the first is timed (an import syncs its blob
#    and the index, which would otherwise also write back a copy's dirty pages).
# 3. `rkt image list` of MAX images vs sqlite3 reading the same rows (target: 100 ms).
# 4. (root) `rkt run ID --exec /bin/true` of a cached busybox in a store of MAX images vs
#    in an empty store (target: within 10%); a second `rkt run big.aci` of an unchanged
#    SIZE MiB file vs `rkt run ID` of it (target: within 1.5x).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 max=10000 size=256
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --max) max=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--max N] [--size MiB]" >&2; exit 2 ;;
    esac
done
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
bin="$(scripts/build-release.sh)"
actool=$bin/actool rkt=$bin/rkt
work=$(mktemp -d /var/tmp/rkt-store-bench.XXXXXX)
cleanup() {
    for store in "$work"/run-*; do
        [ -d "$store" ] && "$rkt" --dir="$store" gc --grace-period=0s >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# COUNT small, distinct images work/images/PREFIX-I.aci (gzip), made with Python's tarfile.
make_images() { # prefix count
    mkdir -p "$work/images"
    python3 - "$work/images" "$1" "$2" <<'EOF'
import io, sys, tarfile
out, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    manifest = ('{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/%s-%d",'
                '"labels":[{"name":"version","value":"1.%d"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}'
                % (prefix, i, i)).encode()
    with tarfile.open("%s/%s-%d.aci" % (out, prefix, i), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("manifest", manifest), ("rootfs/etc/hostname", b"%s-%d\n" % (prefix.encode(), i))):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1500000000, 0o644
            if name == "rootfs/etc/hostname":
                for d in ("rootfs", "rootfs/etc"):
                    dinfo = tarfile.TarInfo(d)
                    dinfo.type, dinfo.mode, dinfo.mtime = tarfile.DIRTYPE, 0o755, 1500000000
                    tar.addfile(dinfo)
            tar.addfile(info, io.BytesIO(data))
EOF
}

# A store holding images PREFIX-0.aci ... PREFIX-(COUNT-1).aci, fetched 1000 per command.
fill() { # store prefix count
    seq 0 $(($3 - 1)) | sed "s|.*|$work/images/$2-&.aci|" | xargs -n 1000 "$rkt" --dir="$1" --insecure-options=image fetch >/dev/null
}

median() { # csv row -> median seconds (commands may hold commas: a real CSV reader)
    python3 -c 'import csv, sys; print(list(csv.DictReader(open(sys.argv[1])))[int(sys.argv[2]) - 1]["median"])' "$1" "$2"
}
line() { # label ours-seconds baseline-seconds [extra]
    awk -v label="$1" -v ours="$2" -v base="$3" -v extra="${4:-}" 'BEGIN{
        printf "%-56s ours %8.1f ms   baseline %8.1f ms   ratio %.2f%s\n", label, ours*1000, base*1000, ours/base, extra }'
}

echo "== making $max + 200 small images"
make_images base "$max"
make_images new 100
make_images one 1
make_images extra 100

echo "== 1. image gc --grace-period=0s, median of $runs runs (target: 1000 images under 0.5 s, linear)"
for n in $(printf '%s\n' 100 1000 "$max" | sort -n -u); do
    template=$work/template-$n
    rm -rf "$template"
    mkdir -p "$template"
    fill "$template" base "$n"
    store=$work/run-gc
    hyperfine --style none -N -r "$runs" --export-csv "$work/r.csv" \
        --prepare "bash -c 'rm -rf $store; cp -a $template $store'" "$rkt --dir=$store image gc --grace-period=0s" \
        --prepare "bash -c 'rm -rf $store; cp -a $template $store'" "find $store/cas/blob $store/cas/imageManifest -type f -delete" >/dev/null 2>&1
    ours=$(median "$work/r.csv" 1) base=$(median "$work/r.csv" 2)
    line "gc of $n images vs find -delete of their files" "$ours" "$base" "$(awk -v t="$ours" -v n="$n" 'BEGIN{printf "   %.3f ms/image", t*1000/n}')"
    [ "$n" = "$max" ] || rm -rf "$template"
done
rm -rf "$work/run-gc"

echo "== 2. fetch cost, empty store vs $max images, median of $((runs * 3)) runs (target: within 1.5x)"
empty=$work/template-empty
mkdir -p "$empty"
"$rkt" --dir="$empty" image list >/dev/null
full=$work/template-$max
new_images=$(seq 0 99 | sed "s|.*|$work/images/new-&.aci|" | tr '\n' ' ')
# A fresh copy of each store per timed fetch, all made (and synced) before any is timed:
# a copy made right after deleting the last one would time ext4 skipping the freed inodes.
fetch_runs=$((runs * 3))   # one copy per run; the writeback of so many copies is noisy
copies() {
    for i in $(seq 1 "$fetch_runs"); do
        rm -rf "$work/run-f-$i" "$work/run-e-$i"
        cp -a "$full" "$work/run-f-$i"
        cp -a "$empty" "$work/run-e-$i"
    done
    sync
    sleep 2
}
# The median over a parameter scan's rows (one run each).
scan_median() { # csv
    python3 -c 'import csv, statistics, sys; print(statistics.median(float(r["median"]) for r in csv.DictReader(open(sys.argv[1]))))' "$1"
}
for what in "100 images in one command:$new_images" "one image:$work/images/one-0.aci"; do
    label=${what%%:*} args=${what#*:}
    copies
    hyperfine --style none -N -r 1 -P i 1 "$fetch_runs" --export-csv "$work/f.csv" "$rkt --dir=$work/run-f-{i} --insecure-options=image fetch $args" >/dev/null 2>&1
    hyperfine --style none -N -r 1 -P i 1 "$fetch_runs" --export-csv "$work/e.csv" "$rkt --dir=$work/run-e-{i} --insecure-options=image fetch $args" >/dev/null 2>&1
    line "fetch $label: $max-image store vs empty" "$(scan_median "$work/f.csv")" "$(scan_median "$work/e.csv")"
    rm -rf "$work"/run-f-* "$work"/run-e-*
done

echo "== 3. image list of $max images, median of $runs runs (target: under 100 ms)"
hyperfine --style none -N -w 1 -r "$runs" --export-csv "$work/r.csv" \
    "$rkt --dir=$full image list" \
    "sqlite3 $full/cas/db/images.db 'SELECT key, name, version, import_time, last_used, size FROM images ORDER BY seq'" >/dev/null 2>&1
line "rkt image list vs sqlite3 SELECT of the same rows" "$(median "$work/r.csv" 1)" "$(median "$work/r.csv" 2)"
hyperfine --style none -N -w 1 -r "$runs" --export-csv "$work/r.csv" \
    "$rkt --dir=$full image list --format=json" \
    "sqlite3 -json $full/cas/db/images.db 'SELECT key, name, version, import_time, last_used, size FROM images ORDER BY seq'" >/dev/null 2>&1
line "rkt image list --format=json vs sqlite3 -json" "$(median "$work/r.csv" 1)" "$(median "$work/r.csv" 2)"

if [ "$(id -u)" -ne 0 ]; then
    echo "== 4. skipped: rkt run needs root"
    exit 0
fi
echo "== 4. rkt run, median of $runs runs (targets: within 10% of an empty store; a second run by file within 1.5x of by ID)"
layout() { # dir name exec
    mkdir -p "$1/rootfs"
    printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"%s","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["%s"],"user":"0","group":"0"}}' "$2" "$3" > "$1/manifest"
}
layout "$work/busybox" example.com/busybox /bin/true
mkdir -p "$work/busybox/rootfs/bin"
cp /bin/busybox "$work/busybox/rootfs/bin/"
ln -s busybox "$work/busybox/rootfs/bin/true"
"$actool" build --reproducible "$work/busybox" "$work/busybox.aci"
layout "$work/big" example.com/big /bin/true
mkdir -p "$work/big/rootfs/data"
head -c "${size}M" /dev/urandom > "$work/big/rootfs/data/blob"
"$actool" build --reproducible "$work/big" "$work/big.aci"
"$actool" patch-manifest --replace --add-dependency="$work/busybox.aci" "$work/big.aci"
rm -rf "$work/big"
mv "$full" "$work/run-full"
mv "$empty" "$work/run-empty"
full=$work/run-full empty=$work/run-empty
for store in "$full" "$empty"; do
    busybox=$("$rkt" --dir="$store" --insecure-options=image fetch --full "$work/busybox.aci")
    "$rkt" --dir="$store" run --net=host "$busybox" >/dev/null 2>&1
done
sync
hyperfine --style none -N -w 3 -r "$((runs * 4))" --export-csv "$work/r.csv" \
    "$rkt --dir=$full run --net=host $busybox" "$rkt --dir=$empty run --net=host $busybox" >/dev/null 2>&1
line "run ID: $max-image store vs empty store" "$(median "$work/r.csv" 1)" "$(median "$work/r.csv" 2)"
big=$("$rkt" --dir="$empty" --insecure-options=image fetch --full "$work/big.aci")
"$rkt" --dir="$empty" --insecure-options=image run --net=host "$work/big.aci" >/dev/null 2>&1
sync
hyperfine --style none -N -w 2 -r "$((runs * 4))" --export-csv "$work/r.csv" \
    "$rkt --dir=$empty --insecure-options=image run --net=host $work/big.aci" "$rkt --dir=$empty run --net=host $big" >/dev/null 2>&1
line "second run of unchanged ${size} MiB big.aci vs run ID" "$(median "$work/r.csv" 1)" "$(median "$work/r.csv" 2)"
touch "$work/big.aci"
hyperfine --style none -N -r 1 --export-csv "$work/r.csv" \
    --prepare "touch $work/big.aci" "$rkt --dir=$empty --insecure-options=image run --net=host $work/big.aci" \
    "$rkt --dir=$empty run --net=host $big" >/dev/null 2>&1
line "run of touched ${size} MiB big.aci (read again) vs run ID" "$(median "$work/r.csv" 1)" "$(median "$work/r.csv" 2)"
