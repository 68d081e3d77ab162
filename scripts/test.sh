#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, and runs the unit and CLI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
