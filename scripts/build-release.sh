#!/usr/bin/env bash
# Builds the release binaries we ship, self-contained: the Swift runtime linked in
# (--static-swift-stdlib), so they need only Debian's shared libraries, not a Swift
# toolchain (scripts/check-deb.sh proves it, in a fresh Debian root). Prints the directory they are
# in; the build's output is shown only when it fails.
#   scripts/build-release.sh [PRODUCT...]      (default: actool rkt rkt-stage1)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
products=("$@")
[ ${#products[@]} -gt 0 ] || products=(actool rkt rkt-stage1)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for product in "${products[@]}"; do
    swift build -c release --static-swift-stdlib --product "$product" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
done
swift build -c release --static-swift-stdlib --show-bin-path
