#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs the unit, CLI and pod tests,
# then end to end: builds the images we ship, walks the debugging guide with them, and
# runs every build example. Pods need root (namespaces, mounts): run it as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
[ "$(id -u)" -eq 0 ] || { echo "test: run as root (sudo): the pod tests need namespaces and mounts" >&2; exit 1; }
scripts/install-deps.sh
# What pods leave on the host: every test must leave it as it was (checked at the end).
host_state() {
    find /sys/fs/cgroup -maxdepth 6 -type d -name 'machine-rkt*' 2>/dev/null | LC_ALL=C sort
    awk '{print $5}' /proc/self/mountinfo | grep -E 'rkt|/pods/' | LC_ALL=C sort || true
    ip -o link show type veth 2>/dev/null | awk -F': ' '{print "veth " $2}' | LC_ALL=C sort || true
}
host_before=$(host_state)
scripts/check-format.sh
swift build --build-tests
swift build   # every product, rkt-stage1 included: the pod tests run the binaries
POD_TESTS=required swift test --skip-build  # root-only tests fail rather than skip
echo "== fuzzing: every target 9 s from its checked-in corpus (scripts/fuzz.sh)"
scripts/fuzz.sh 9

bin="$(swift build --show-bin-path)"
echo "== end to end: make images, the debugging guide, the build examples"
data=$(mktemp -d /var/tmp/rkt-e2e.XXXXXX)
trap 'rm -rf "$data"' EXIT
make images ACTOOL="$bin/actool" OUT="$PWD/out/test/images"
echo "== the Debian package in a fresh Debian root: install, a pod, purge"
scripts/check-deb.sh out/test/images
PATH="$bin:$PATH" scripts/walkthrough.sh --dir="$data/walkthrough" --images=out/test/images --work=out/test/walkthrough
ACTOOL="$bin/actool" RKT="$bin/rkt" RKT_DIR="$data/examples" IMAGES=out/test/images OUT=out/test/examples \
    build-examples/test-all.sh
left=$(comm -13 <(echo "$host_before") <(host_state))
[ -z "$left" ] || { echo "test: the tests left on the host:" >&2; echo "$left" >&2; exit 1; }
echo "== all tests passed"
