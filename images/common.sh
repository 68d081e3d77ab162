# Sourced by images/*/build.sh (after setting `me`): what every image build shares.
set -euo pipefail
umask 022
export LC_ALL=C

die() { echo "$me: $*" >&2; exit 1; }

# appc's arch label for this machine (appc-spec: amd64, aarch64, i386, armv7l, ...).
appc_arch() {
    case $(dpkg --print-architecture 2>/dev/null || uname -m) in
        amd64 | x86_64) echo amd64 ;;
        arm64 | aarch64) echo aarch64 ;;
        i386 | i686) echo i386 ;;
        armhf) echo armv7l ;;
        armel) echo armv6l ;;
        ppc64el | ppc64le) echo ppc64le ;;
        s390x) echo s390x ;;
        *) die "no appc arch for $(dpkg --print-architecture 2>/dev/null || uname -m)" ;;
    esac
}

# Sets `actool` ($ACTOOL, default actool on PATH), or stops with how to build it.
require_actool() {
    actool=${ACTOOL:-actool}
    command -v "$actool" >/dev/null 2>&1 || die "actool not found at '$actool'; build it with: swift build -c release (then ACTOOL=.build/release/actool)"
}
