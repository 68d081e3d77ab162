#!/usr/bin/env bash
# Fuzzes stage1's plan reader (Sources/rkt-stage1/plan.c) with libFuzzer and
# AddressSanitizer, starting from the checked-in corpus (Tests/Fuzz/plan-corpus):
#   scripts/fuzz-plan.sh [SECONDS]      default 20; CI runs a short bounded run
# A crash, leak, out-of-bounds read or a parsed plan that breaks the reader's
# promises (paths clean and under the root) fails with the input saved in
# out/fuzz/plan/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
clang=clang
[ -x /opt/swift/usr/bin/clang ] && clang=/opt/swift/usr/bin/clang
out=out/fuzz/plan
mkdir -p "$out/corpus"
# (gold warns about every ASan symbol it cannot export: noise)
"$clang" -g -O1 -fsanitize=fuzzer,address -w -I Sources/CPodCommon/include Tests/Fuzz/plan_fuzz.c Sources/rkt-stage1/plan.c Sources/CPodCommon/pod_common.c \
    -o "$out/plan_fuzz" 2> >(grep -v "Cannot export local symbol" >&2)
# New inputs go to out/ (not the checked-in corpus); -jobs=1 keeps to one core.
"$out/plan_fuzz" -max_total_time="$seconds" -max_len=8192 -timeout=5 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/corpus" Tests/Fuzz/plan-corpus 2>&1 | tail -n 12
