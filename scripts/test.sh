#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs the unit, CLI and pod tests,
# then end to end: builds the images we ship, walks the debugging guide with them, and
# runs every build example. Pods need root (namespaces, mounts): run it as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
[ "$(id -u)" -eq 0 ] || { echo "test: run as root (sudo): the pod tests need namespaces and mounts" >&2; exit 1; }
scripts/install-deps.sh
scripts/check-format.sh
swift build --build-tests
swift build   # every product, rkt-stage1 included: the pod tests run the binaries
POD_TESTS=required swift test --skip-build  # root-only tests fail rather than skip
echo "== fuzzing stage1's plan reader (a short run on the checked-in corpus)"
scripts/fuzz-plan.sh 15

bin="$(swift build --show-bin-path)"
echo "== end to end: make images, the debugging guide, the build examples"
data=$(mktemp -d /var/tmp/rkt-e2e.XXXXXX)
trap 'rm -rf "$data"' EXIT
make images ACTOOL="$bin/actool" OUT="$PWD/out/test/images"
echo "== the release binaries without a Swift toolchain (a chroot of Debian packages)"
scripts/check-self-contained.sh out/test/images
PATH="$bin:$PATH" scripts/walkthrough.sh --dir="$data/walkthrough" --images=out/test/images --work=out/test/walkthrough
ACTOOL="$bin/actool" RKT="$bin/rkt" RKT_DIR="$data/examples" IMAGES=out/test/images OUT=out/test/examples \
    build-examples/test-all.sh
echo "== all tests passed"
