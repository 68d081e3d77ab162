#!/usr/bin/env bash
# Runs every build example and fails on the first that fails (scripts/test.sh runs it).
#   sudo ACTOOL=... RKT=... bash build-examples/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for example in build-examples/[0-9][0-9]-*.sh; do
    echo "== $example"
    bash "$example" </dev/null || { echo "build-examples: $example failed" >&2; exit 1; }
done
echo "build-examples: all passed"
