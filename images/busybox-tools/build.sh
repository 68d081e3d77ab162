#!/usr/bin/env bash
# images/busybox-tools: a tools image made of Debian's static busybox.
#
#   build.sh LAYOUT_DIR [OUT.aci]     writes LAYOUT_DIR/manifest and LAYOUT_DIR/rootfs;
#                                     with OUT.aci, also runs $ACTOOL build on it
#   build.sh --rootfs-only DIR        only adds busybox and its applets to DIR/rootfs
#                                     (used by images/debug-tools)
#
# rootfs: /bin/busybox, one relative symlink per applet (`busybox --list-full`),
# empty /etc, /tmp (1777) and /root (0700). Everything is given an explicit mode so
# `actool build --reproducible --owner-root` gives the same image ID everywhere the
# busybox-static package has the same version.
# Inputs: BUSYBOX (default /bin/busybox, package busybox-static), ACTOOL (default actool).
me=images/busybox-tools
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../common.sh"

rootfs_only=false
if [ "${1:-}" = --rootfs-only ]; then rootfs_only=true; shift; fi
[ $# -ge 1 ] && [ $# -le 2 ] && [ -n "$1" ] || { echo "usage: $0 [--rootfs-only] LAYOUT_DIR [OUT.aci]" >&2; exit 2; }
layout=$1 out=${2:-}

# --- inputs first ---------------------------------------------------------------
[ -z "$out" ] || require_actool
busybox=${BUSYBOX:-/bin/busybox}
command -v file >/dev/null 2>&1 || die "the 'file' command is not found; install it with: apt-get install file"
[ -f "$busybox" ] || die "$busybox not found; install it with: apt-get install busybox-static"
[ -x "$busybox" ] || die "$busybox is not executable; reinstall it with: apt-get install --reinstall busybox-static"
kind=$(file -bL "$busybox")
case $kind in
    ELF*) ;;
    *) die "$busybox is not an ELF binary ($kind); install it with: apt-get install busybox-static" ;;
esac
case $kind in
    *"dynamically linked"* | *interpreter*)
        die "$busybox is dynamically linked (the 'busybox' package?); install the static one with: apt-get install busybox-static" ;;
esac
applets=$("$busybox" --list-full 2>/dev/null) && [ -n "$applets" ] ||
    die "$busybox --list-full printed nothing (busybox built without it?); install it with: apt-get install busybox-static"

# --- rootfs -------------------------------------------------------------------------
mkdir -p "$layout"
rootfs=$layout/rootfs
if ! $rootfs_only; then rm -rf "$rootfs" "$layout/manifest"; fi
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
while IFS= read -r applet; do
    applet=${applet#/}
    [ -n "$applet" ] && [ "$applet" != bin/busybox ] || continue
    dir=$(dirname "$applet")
    mkdir -p "$rootfs/$dir"
    # Relative (../../bin/busybox) so the links also resolve when the rootfs is
    # looked at from the host, e.g. through /proc/PID/root.
    case $dir in
        .) target=bin/busybox ;;
        bin) target=busybox ;;
        *) target=$(sed -e 's|[^/][^/]*|..|g' <<<"$dir")/bin/busybox ;;
    esac
    ln -sfn "$target" "$rootfs/$applet"
done <<<"$applets"
chmod 0755 "$rootfs" "$rootfs/etc"
find "$rootfs" -type d -exec chmod 0755 {} +
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
$rootfs_only && exit 0

# --- manifest -------------------------------------------------------------------------
arch=$(appc_arch)
# Debian's 1:1.35.0-4+deb12u1+b1 becomes 1.35.0-4.deb12u1.b1 (semver: no epoch, one
# pre-release part); a busybox not from the package gets its own banner's version.
if [ "$busybox" = /bin/busybox ] && debver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) && [ -n "$debver" ]; then
    packages="busybox-static=$debver"
else
    debver=$("$busybox" 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
    [ -n "$debver" ] || die "cannot tell the version of $busybox; install it with: apt-get install busybox-static"
    packages="busybox=$debver"
fi
finish_image "$here" "$layout" "$(appc_version "$debver")" "$arch" "$packages" "$out"
