#!/usr/bin/env bash
# Benchmarks for actool's reading half, each against a baseline timed in the same run.
# Prints medians and the ratio ours/baseline (lower is better), and peak memory.
#   Benchmarks/run.sh [--size MiB] [--big-size MiB] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
size=256 big=1024 runs=5
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --big-size) big=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: $0 [--size MiB] [--big-size MiB] [--runs N]" >&2; exit 2 ;;
    esac
done
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
actool="$(scripts/build-release.sh actool)/actool"
work=$(mktemp -d /var/tmp/actool-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# An image of SIZE MiB whose manifest is the first entry. Content "mixed": half random
# bytes, half text (easy for inflate); "system": the machine's own /usr/lib (real binaries).
make_image() { # name size_mib content
    local dir="$work/$1" half=$(( $2 / 2 ))
    mkdir -p "$dir/rootfs"
    printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench"}' > "$dir/manifest"
    # The producers below end on SIGPIPE, which pipefail would report.
    if [ "${3:-mixed}" = system ]; then
        tar -C /usr -cf - lib 2>/dev/null | head -c "${2}M" > "$dir/rootfs/usr-lib.tar" || true
    else
        head -c "${half}M" /dev/urandom > "$dir/rootfs/random"
        yes "the quick brown fox jumps over the lazy dog 0123456789" | head -c "${half}M" > "$dir/rootfs/text" || true
    fi
    tar -C "$dir" -cf "$work/$1.aci" manifest rootfs
    gzip -c "$work/$1.aci" > "$work/$1.gz.aci"
    rm -rf "$dir"
}

# hyperfine, then the median of each command from its CSV export.
compare() { # label ours baseline
    local csv="$work/result.csv"
    hyperfine --style none -N -w 1 -r "$runs" --export-csv "$csv" "$2" "$3" >/dev/null 2>&1 \
        || hyperfine --style none -w 1 -r "$runs" --export-csv "$csv" "$2" "$3" >/dev/null
    awk -F, -v label="$1" 'NR==2{ours=$4} NR==3{base=$4} END{
        printf "%-44s ours %8.1f ms   baseline %8.1f ms   ratio %.3f\n", label, ours*1000, base*1000, ours/base }' "$csv"
}

for content in mixed system; do
    echo "== ${size} MiB image ($content content) and its gzip twin; median of $runs runs"
    make_image img "$size" "$content"
    compare "image-id (tar) vs sha512sum" "$actool image-id $work/img.aci" "sha512sum $work/img.aci"
    compare "image-id (gzip) vs gzip -dc | sha512sum" "$actool image-id $work/img.gz.aci" "bash -c 'gzip -dc $work/img.gz.aci | sha512sum'"
    compare "cat-manifest (gzip) vs gzip -dc >/dev/null" "$actool cat-manifest $work/img.gz.aci" "bash -c 'gzip -dc $work/img.gz.aci >/dev/null'"
    compare "validate (gzip) vs gzip -dc >/dev/null" "$actool validate $work/img.gz.aci" "bash -c 'gzip -dc $work/img.gz.aci >/dev/null'"
    rm -f "$work/img.aci" "$work/img.gz.aci"
done

echo "== writing: a ${size} MiB layout (half random, half text); median of $runs runs"
make_layout() { # dir size_mib
    local dir=$1 half=$(( $2 / 2 ))
    mkdir -p "$dir/rootfs"
    printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench","app":{"exec":["/x"],"user":"0","group":"0"}}' > "$dir/manifest"
    head -c "${half}M" /dev/urandom > "$dir/rootfs/random"
    yes "the quick brown fox jumps over the lazy dog 0123456789" | head -c "${half}M" > "$dir/rootfs/text" || true
}
make_layout "$work/layout" "$size"
compare "build vs tar -cf - | gzip -1" \
    "$actool build --overwrite $work/layout $work/built.aci" \
    "bash -c 'tar -C $work/layout -cf - manifest rootfs | gzip -1 > $work/baseline.tgz'"
build_ms=$(awk -F, 'NR==2{print $4*1000}' "$work/result.csv")
"$actool" build --overwrite "$work/layout" "$work/built.aci"
hyperfine --style none -N -w 1 -r "$runs" --export-csv "$work/patch.csv" \
    "$actool patch-manifest --replace --user=1 $work/built.aci" >/dev/null
awk -F, -v build="$build_ms" 'NR==2{ printf "%-44s ours %8.1f ms   build    %8.1f ms   ratio %.3f\n", "patch-manifest --replace vs its build", $4*1000, build, $4*1000/build }' "$work/patch.csv"
# A foreign image: the manifest last, one gzip member (as Go's actool writes them).
tar -C "$work/layout" -cf - rootfs manifest | gzip > "$work/foreign.aci"
compare "patch-manifest (foreign) vs gzip -dc | gzip -1" \
    "$actool patch-manifest --overwrite --user=1 $work/foreign.aci $work/patched.aci" \
    "bash -c 'gzip -dc $work/foreign.aci | gzip -1 > $work/baseline.gz'"
rm -rf "$work/layout" "$work"/*.aci "$work"/baseline.*

echo "== rkt: fetch and image list; median of $runs runs"
rkt="$(scripts/build-release.sh rkt)/rkt"
make_image fetchme "$size" system
compare "rkt fetch (gzip, empty store) vs gzip -dc | sha512sum" \
    "bash -c 'rm -rf $work/store; $rkt --dir=$work/store --insecure-options=image fetch $work/fetchme.gz.aci'" \
    "bash -c 'gzip -dc $work/fetchme.gz.aci | sha512sum'"
rm -rf "$work/store" "$work"/fetchme*
# 1000 small images in one store (built reproducibly, each with its own name).
mkdir -p "$work/many/rootfs"
for i in $(seq 1 1000); do
    printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/img%d"}' "$i" > "$work/many/manifest"
    "$actool" build --overwrite --reproducible "$work/many" "$work/many.aci"
    "$rkt" --dir="$work/store" --insecure-options=image fetch "$work/many.aci" >/dev/null
done
hyperfine --style none -N -w 1 -r "$runs" --export-csv "$work/list.csv" "$rkt --dir=$work/store image list" >/dev/null
awk -F, 'NR==2{ printf "%-44s ours %8.1f ms   (target < 200 ms)\n", "rkt image list, 1000 images", $4*1000 }' "$work/list.csv"
rm -rf "$work/store" "$work/many" "$work/many.aci"

echo "== peak memory on a ${big} MiB image (limit 32 MiB)"
make_image huge "$big"
for f in huge.aci huge.gz.aci; do
    for cmd in "validate" "cat-manifest" "cat-manifest --pretty-print" "image-id"; do
        /usr/bin/time -f '%M' -o "$work/mem" "$actool" $cmd "$work/$f" >/dev/null 2>&1 || true
        kb=$(tail -1 "$work/mem")
        printf '%-44s %6.1f MiB\n' "$cmd $f" "$(awk -v k="$kb" 'BEGIN{print k/1024}')"
    done
done
