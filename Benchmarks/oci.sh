#!/usr/bin/env bash
# Docker images from a registry, each figure beside a baseline timed in the same run.
#   Benchmarks/oci.sh [--runs N] [--size MiB]
# A SIZE MiB (uncompressed), 5-layer image (each layer: half random bytes, half base64
# text, gzip -6 as docker writes) is pushed with skopeo to Debian's docker-registry on
# 127.0.0.1 (TLS, self-signed).
# 1. `rkt fetch docker://` into an empty store vs `skopeo copy docker://... oci:DIR`
#    of the same image (target: at most 1.2x); peak RSS of the fetch (target: 64 MiB).
#    skopeo neither decompresses the layers nor hashes the tar (the appc image ID is
#    the SHA-512 of the uncompressed tar), so a second baseline does what a fetch must
#    at least do: skopeo's copy, then the layers through gzip -d and sha512sum.
# 2. --no-squash: a second image sharing the 4 lower layers (a new top layer) fetched
#    after the first: the bytes the registry sent for it vs the new layer's size
#    (target: only the new layer moves), and its time vs the first fetch's.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 size=256
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--size MiB]" >&2; exit 2 ;;
    esac
done
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
rkt="$(scripts/build-release.sh rkt)/rkt"
work=$(mktemp -d /var/tmp/rkt-oci-bench.XXXXXX)
registry_pid=
cleanup() {
    if [ -n "$registry_pid" ]; then
        kill "$registry_pid" 2>/dev/null || true
        while kill -0 "$registry_pid" 2>/dev/null; do sleep 0.05; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

median() { # csv row -> median seconds
    python3 -c 'import csv, sys; print(list(csv.DictReader(open(sys.argv[1])))[int(sys.argv[2]) - 1]["median"])' "$1" "$2"
}
line() { # label ours-seconds baseline-seconds
    awk -v label="$1" -v ours="$2" -v base="$3" 'BEGIN{
        printf "%-60s ours %8.1f ms   baseline %8.1f ms   ratio %.2f\n", label, ours*1000, base*1000, ours/base }'
}

echo "== making a $size MiB, 5-layer image (and a second one sharing its 4 lower layers)"
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
per=$((size / 5))
blob() { # file -> "digest size", stored in the layout
    local hex
    hex=$(sha256sum "$1" | cut -d' ' -f1)
    mv "$1" "$layout/blobs/sha256/$hex"
    echo "sha256:$hex $(stat -c %s "$layout/blobs/sha256/$hex")"
}
make_layer() { # name -> "digest size"
    local dir=$work/$1
    mkdir -p "$dir/data/$1"
    head -c $((per / 2))M /dev/urandom >"$dir/data/$1/random.bin"
    base64 -w 76 /dev/urandom | head -c $((per - per / 2))M >"$dir/data/$1/text.txt"
    tar -C "$dir" -cf - data | gzip -6 >"$work/$1.tar.gz"
    rm -rf "$dir"
    blob "$work/$1.tar.gz"
}
layers=()
for i in 1 2 3 4 5; do layers+=("$(make_layer layer$i)"); done
other=$(make_layer other)
image() { # tag layer-descriptors... -> index entry
    local tag=$1 list="" d s
    shift
    for layer in "$@"; do
        read -r d s <<<"$layer"
        list+="${list:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$d\",\"size\":$s}"
    done
    printf '{"created":"2024-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[]}}' >"$work/config"
    read -r d s <<<"$(blob "$work/config")"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' "$d" "$s" "$list" >"$work/manifest"
    read -r d s <<<"$(blob "$work/manifest")"
    echo "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$d\",\"size\":$s,\"annotations\":{\"org.opencontainers.image.ref.name\":\"$tag\"}}"
}
first=$(image v1 "${layers[@]}")
second=$(image v2 "${layers[@]:0:4}" "$other")
echo "{\"schemaVersion\":2,\"manifests\":[$first,$second]}" >"$layout/index.json"
read -r _ new_size <<<"$other"

echo "== starting docker-registry on 127.0.0.1 and pushing with skopeo"
read -r registry_pid port < <(scripts/local-registry.sh "$work/registry")
for tag in v1 v2; do skopeo copy -q --dest-tls-verify=false "oci:$layout:$tag" "docker://127.0.0.1:$port/bench:$tag"; done
image=127.0.0.1:$port/bench
compressed=$(du -sm "$work/registry/storage" | cut -f1)
echo "   registry holds $compressed MiB (both images, compressed)"

echo "== 1. fetch of the $size MiB image into an empty store, median of $runs runs (target: at most 1.2x skopeo)"
store=$work/store out=$work/copy
hyperfine --style none -N -r "$runs" --export-csv "$work/r.csv" \
    --prepare "rm -rf $store" "$rkt --dir=$store --insecure-options=image,tls fetch docker://$image:v1" \
    --prepare "rm -rf $out" "skopeo copy -q --src-tls-verify=false docker://$image:v1 oci:$out:v1" >/dev/null 2>&1
line "rkt fetch docker:// vs skopeo copy docker:// oci:" "$(median "$work/r.csv" 1)" "$(median "$work/r.csv" 2)"
layer_files=$(for layer in "${layers[@]}"; do read -r d _ <<<"$layer"; printf '%s ' "$out/blobs/sha256/${d#sha256:}"; done)
hyperfine --style none -N -r "$runs" --export-csv "$work/r2.csv" \
    --prepare "rm -rf $store" "$rkt --dir=$store --insecure-options=image,tls fetch docker://$image:v1" \
    --prepare "rm -rf $out" "bash -c 'skopeo copy -q --src-tls-verify=false docker://$image:v1 oci:$out:v1 && cat $layer_files | gzip -dc | sha512sum'" >/dev/null 2>&1
line "rkt fetch docker:// vs skopeo copy, then gzip -d | sha512sum" "$(median "$work/r2.csv" 1)" "$(median "$work/r2.csv" 2)"
rm -rf "$store"
/usr/bin/time -v "$rkt" --dir="$store" --insecure-options=image,tls fetch "docker://$image:v1" >/dev/null 2>"$work/time"
rm -rf "$out"
/usr/bin/time -v skopeo copy -q --src-tls-verify=false "docker://$image:v1" "oci:$out:v1" 2>"$work/time-skopeo"
awk -F': ' '/Maximum resident/{printf "%-60s ours %8.1f MiB", "peak RSS of the fetch (target: under 64 MiB)", $2/1024}' "$work/time"
awk -F': ' '/Maximum resident/{printf "   skopeo %8.1f MiB\n", $2/1024}' "$work/time-skopeo"

echo "== 2. --no-squash: a second image sharing 4 of its 5 layers (target: only the new layer moves)"
store=$work/split
"$rkt" --dir="$store" --insecure-options=image,tls fetch --no-squash "docker://$image:v1" >/dev/null
before=$(wc -l <"$work/registry/access.log")
start=$(date +%s%N)
"$rkt" --dir="$store" --insecure-options=image,tls fetch --no-squash "docker://$image:v2" >/dev/null
end=$(date +%s%N)
sent=$(tail -n +$((before + 1)) "$work/registry/access.log" | awk '/GET \/v2\/bench\/blobs\/sha256:/ && / 200 / {for (i = 1; i <= NF; i++) if ($i == "200") {s += $(i + 1); break}} END {print s + 0}')
awk -v sent="$sent" -v layer="$new_size" -v ms="$(((end - start) / 1000000))" 'BEGIN{
    printf "%-60s %8.1f MiB sent, the new layer is %.1f MiB (%.2fx), in %d ms\n", "second --no-squash fetch", sent/1048576, layer/1048576, sent/layer, ms }'
rm -rf "$store" "$work/split"
