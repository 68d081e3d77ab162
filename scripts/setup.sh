#!/usr/bin/env bash
# The main job on a fresh Debian machine: installs what is missing, builds actool, rkt
# and rkt's stage1 (release, self-contained: scripts/build-release.sh), builds the
# images we ship (make images), then walks the
# debugging guide end to end with them (scripts/walkthrough.sh; its flags pass through,
# e.g. --keep to leave a patched pod running, --dir=DATADIR for another rkt data dir).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
bin="$(scripts/build-release.sh)"   # self-contained: the Swift runtime linked in
make images ACTOOL="$bin/actool"
PATH="$bin:$PATH" scripts/walkthrough.sh "$@"
