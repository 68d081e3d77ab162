#!/usr/bin/env bash
# images/minimal-app: an app image with ONE statically linked binary, /bin/minimal-app
# (main.c), and nothing else: no shell, no libc, no /etc. The guide's image-to-patch.aci.
#
#   build.sh LAYOUT_DIR [OUT.aci]     writes LAYOUT_DIR/manifest and LAYOUT_DIR/rootfs;
#                                     with OUT.aci, also runs $ACTOOL build on it
#
# Reproducible: no __DATE__/__TIME__, source paths mapped with -ffile-prefix-map, symbols
# stripped (-s); the bytes depend on gcc's and libc6-dev's versions only.
# Inputs: CC (default gcc, package gcc), libc.a (package libc6-dev), ACTOOL (default actool).
me=images/minimal-app
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../common.sh"

[ $# -ge 1 ] && [ $# -le 2 ] && [ -n "$1" ] || { echo "usage: $0 LAYOUT_DIR [OUT.aci]" >&2; exit 2; }
layout=$1 out=${2:-}

# --- inputs first ---------------------------------------------------------------
[ -z "$out" ] || require_actool
cc=${CC:-gcc}
command -v "$cc" >/dev/null 2>&1 || die "$cc not found; install it with: apt-get install gcc"
[ -f "$here/main.c" ] || die "$here/main.c is missing"
case $("$cc" -print-file-name=libc.a) in
    /*) ;;
    *) die "libc.a not found (needed for -static); install it with: apt-get install libc6-dev" ;;
esac

# --- rootfs ---------------------------------------------------------------------------
mkdir -p "$layout"
rootfs=$layout/rootfs
rm -rf "$rootfs" "$layout/manifest"
mkdir -p "$rootfs/bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/main.c" "$tmp/main.c"
# Compiled from a copy in a temp dir, every path mapped to /src: nothing of this
# machine's layout can reach the binary.
(cd "$tmp" && SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0} "$cc" -static -O2 -s -Wall -Wextra \
    -ffile-prefix-map="$tmp"=/src -fno-ident -o minimal-app main.c) ||
    die "compiling main.c failed; install the compiler with: apt-get install gcc libc6-dev"
file -b "$tmp/minimal-app" 2>/dev/null | grep -q 'dynamically linked' && die "the binary came out dynamically linked; install: apt-get install libc6-dev"
install -m 0755 "$tmp/minimal-app" "$rootfs/bin/minimal-app"
chmod 0755 "$rootfs" "$rootfs/bin"

# --- manifest ------------------------------------------------------------------------------
arch=$(appc_arch)
sed -e "s|@ARCH@|$arch|g" "$here/manifest.json" >"$layout/manifest"
chmod 0644 "$layout/manifest"

if [ -n "$out" ]; then
    "$actool" build --overwrite --reproducible --owner-root "$layout" "$out"
fi
