#!/usr/bin/env bash
# Fuzzes our parsers with libFuzzer and AddressSanitizer, each from its checked-in seed
# corpus (Tests/Fuzz/NAME-corpus), new inputs kept in out/fuzz/NAME/corpus:
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default 20 s each, every target
# Targets are Tests/Fuzz/Targets/NAME.swift: a `LLVMFuzzerTestOneInput` over our library
# modules, which are built instrumented by SwiftPM into .build/fuzz (the modules a target
# needs and the libraries to link are listed in its `// fuzz-modules:` and
# `// fuzz-link:` lines), and the C target `plan` (stage1's plan reader). A crash, an
# ASan report, a broken promise (a precondition in the target) or a 5 s hang fails the
# run, with the input saved as out/fuzz/NAME/crash-*; replay it with
# out/fuzz/bin/NAME out/fuzz/NAME/crash-*. Prints executions per target.
# Every target gets a scratch directory (FUZZ_SCRATCH), removed after its run. A target
# marked `// fuzz-sandbox:` writes files from its input (the layer extractor): it needs
# root and runs in a mount namespace of its own where every mount is read-only but its
# scratch directory and out/fuzz/NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
# A crash report at once, without the backtracer's symbolication.
export SWIFT_BACKTRACE=enable=no
seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(plan)
    for f in Tests/Fuzz/Targets/*.swift; do targets+=("$(basename "$f" .swift)"); done
fi
mkdir -p out/fuzz/bin

# (in a new mount namespace) read_only_host BOX OUT COMMAND...: BOX and OUT stay
# writable, every other mount is made read-only, then COMMAND runs.
read_only_host() {
    local box=$1 out=$2 target
    shift 2
    mount --bind "$box" "$box" && mount --bind "$out" "$out" || return 1
    while read -r target; do
        target=$(printf '%b' "$target")
        [ "$target" = "$box" ] || [ "$target" = "$(realpath "$out")" ] && continue
        mount -o remount,bind,ro "$target" 2>/dev/null || true
    done < <(findmnt -rn -o TARGET)
    exec "$@"
}
build=.build/fuzz
built=""
failed=0
for name in "${targets[@]}"; do
    if [ "$name" = plan ]; then
        scripts/fuzz-plan.sh "$seconds" || failed=1
        continue
    fi
    source=Tests/Fuzz/Targets/$name.swift
    [ -f "$source" ] || { echo "fuzz: no target $name ($source)" >&2; exit 2; }
    read -ra modules <<<"$(sed -n 's|^// fuzz-modules: ||p' "$source")"
    read -ra libraries <<<"$(sed -n 's|^// fuzz-link: ||p' "$source")"
    for module in "${modules[@]}"; do
        case " $built " in *" $module "*) continue ;; esac
        log=$(mktemp)
        swift build --build-path "$build" -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address \
            --target "$module" >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
        rm -f "$log"
        built+=" $module "
    done
    objects=()
    for module in "${modules[@]}"; do objects+=("$build"/debug/"$module".build/*.o); done
    # (gold warns about every ASan symbol it cannot export: noise)
    # The C modules the Swift ones import: system libraries' module maps and SwiftPM's
    # generated ones for our C targets.
    maps=()
    while read -r map; do maps+=(-Xcc "-fmodule-map-file=$map"); done < <(ls Sources/C*/module.modulemap; find "$build/debug/" -maxdepth 2 -name module.modulemap)
    swiftc -sanitize=fuzzer,address -parse-as-library -g -I "$build/debug/Modules" "${maps[@]}" \
        "$source" "${objects[@]}" "${libraries[@]}" -o "out/fuzz/bin/$name" 2> >(grep -v "Cannot export local symbol" >&2)
    mkdir -p "out/fuzz/$name/corpus"
    scratch=$(mktemp -d "/tmp/fuzz-$name.XXXXXX")
    trap 'rm -rf "$scratch"' EXIT
    runner=(env FUZZ_SCRATCH="$scratch")
    if grep -q '^// fuzz-sandbox:' "$source"; then
        if [ "$(id -u)" != 0 ]; then
            echo "fuzz: $name needs root (it runs in a read-only mount namespace)" >&2
            failed=1
            continue
        fi
        runner=(unshare --mount --propagation private -- bash -c "$(declare -f read_only_host); read_only_host \"\$@\"" sandbox "$scratch" "out/fuzz/$name" "${runner[@]}")
    fi
    echo "== fuzz $name (${seconds}s)"
    status=0
    out="$("${runner[@]}" "out/fuzz/bin/$name" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="out/fuzz/$name/" "out/fuzz/$name/corpus" "Tests/Fuzz/$name-corpus" 2>&1)" || status=$?
    rm -rf "$scratch"
    if [ $status != 0 ]; then
        echo "$out" | tail -n 40
        echo "fuzz: $name FAILED; the input is in out/fuzz/$name/" >&2
        failed=1
        continue
    fi
    echo "$out" | grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)"
done
exit $failed
