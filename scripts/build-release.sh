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
# Linked by the toolchain's lld with packed relative relocations (DT_RELR, glibc 2.36 as in
# Debian 12): the tens of thousands of relocations of a static Swift runtime then take a
# few KiB instead of most of a MiB, read and applied at every start.
flags=(-c release --static-swift-stdlib -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld -Xlinker -z -Xlinker pack-relative-relocs)
for product in "${products[@]}"; do
    swift build "${flags[@]}" --product "$product" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
done
swift build "${flags[@]}" --show-bin-path
