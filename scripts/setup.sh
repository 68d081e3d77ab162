#!/usr/bin/env bash
# Installs what is missing, builds actool and rkt in release mode, then runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
swift build -c release --product actool
swift build -c release --product rkt
bin="$(swift build -c release --show-bin-path)"
scripts/demo.sh "$bin/actool" "$bin/rkt"
