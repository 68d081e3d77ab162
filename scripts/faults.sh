#!/usr/bin/env bash
# The fault-injection and concurrency suites at a length of your choosing (CI runs 12
# rounds of each):
#   scripts/faults.sh [ROUNDS] [SEED]
# SIGKILL at seeded random points during actool build and patch-manifest --replace,
# rkt fetch (files and HTTP on loopback), image rm and image gc, rkt run, gc and rm;
# then a full disk under each writer; then pods started beside gc, image gc, image rm,
# and two patch-manifest --replace of one file at once. Needs root (pods, a tmpfs) and a built tree
# (swift build --build-tests). A failure names its seed: rerun with it to replay.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
export FAULT_ROUNDS=${1:-100} FAULT_SEED=${2:-$(date +%s)} POD_TESTS=required
echo "== faults: $FAULT_ROUNDS rounds, seed $FAULT_SEED"
swift test --skip-build --filter 'ActoolFaultTests|ActoolConcurrencyTests|Pods/StoreCrashes|Pods/Faults|Pods/Concurrency' 2>&1 |
    grep -E '^(faults|concurrency):|✘|Test run with|error:'
