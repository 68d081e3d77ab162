#!/usr/bin/env bash
# Checks that the Swift and C sources are formatted as .swift-format and .clang-format
# say (no change made). To format: swift-format format --in-place --recursive Sources
# Tests Package.swift; clang-format -i on the C files listed below.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
status=0
swift-format lint --strict --recursive Sources Tests Package.swift || status=1
c_files=$(git ls-files 'Sources/*.c' 'Sources/*.h' 'Tests/Fuzz/*.c')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $c_files || status=1
[ $status -eq 0 ] && echo "format: Swift and C sources as configured"
exit $status
