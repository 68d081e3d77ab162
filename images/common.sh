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

# A Debian package version as an appc version label (semver): the epoch dropped, the
# Debian revision kept as one pre-release part with its separators made dots
# (1:1.35.0-4+deb12u1+b1 -> 1.35.0-4.deb12u1.b1); with `pad`, the upstream part filled
# out to MAJOR.MINOR.PATCH (13.1-3 -> 13.1.0-3).
appc_version() { # debian-version [pad]
    local version=${1#*:} upstream
    upstream=${version%%-*}
    if [ "${2:-}" = pad ]; then
        case $upstream in *.*.*) ;; *.*) upstream=$upstream.0 ;; *) upstream=$upstream.0.0 ;; esac
    fi
    if [ "$version" != "${version%%-*}" ]; then
        version=$upstream-$(tr '+~_:-' '.....' <<<"${version#*-}")
    else
        version=$upstream
    fi
    tr -c 'A-Za-z0-9.\n-' '.' <<<"$version"
}

# Writes LAYOUT/manifest from the image's manifest.json template (@VERSION@, @ARCH@,
# @PACKAGES@ filled in) and, when OUT is not empty, builds the image there.
finish_image() { # here layout version arch packages out
    sed -e "s|@VERSION@|$3|g" -e "s|@ARCH@|$4|g" -e "s|@PACKAGES@|$5|g" "$1/manifest.json" >"$2/manifest"
    chmod 0644 "$2/manifest"
    if [ -n "$6" ]; then
        "$actool" build --overwrite --reproducible --owner-root "$2" "$6"
    fi
}
