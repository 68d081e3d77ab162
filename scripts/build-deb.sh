#!/usr/bin/env bash
# Builds the Debian package appc-tools_VERSION_amd64.deb with dpkg-deb (no network):
# scripts/install.sh's layout under /usr, man pages and completions included, and a
# Depends line from dpkg-shlibdeps (the shared libraries the binaries load) plus what the
# runtime calls: gpgv (signatures) and libcurl4 (loaded with dlopen for HTTP fetches).
# VERSION is rkt's release plus the commit's date and hash; the files' dates are the
# commit's (SOURCE_DATE_EPOCH), so the same commit gives the same package contents.
#   scripts/build-deb.sh [OUT_DIR]      (default out/; make deb)   prints the .deb's path
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out}
for tool in dpkg-deb dpkg-shlibdeps fakeroot; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing (apt-get install dpkg-dev fakeroot)" >&2; exit 1; }
done
base=$(sed -n 's/.*public static let version = "\([0-9.]*\).*/\1/p' Sources/ImageStore/RktRelease.swift)
if commit_time=$(git log -1 --format=%ct 2>/dev/null); then
    version="$base+git$(date -u -d "@$commit_time" +%Y%m%d).$(git rev-parse --short=7 HEAD)"
else
    commit_time=0 version="$base"
fi
export SOURCE_DATE_EPOCH=$commit_time

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg="$work/appc-tools"
scripts/install.sh --prefix=/usr --destdir="$pkg" --no-record >/dev/null
mkdir -p "$pkg/usr/share/doc/appc-tools" "$pkg/DEBIAN"
cp README.md "$pkg/usr/share/doc/appc-tools/README.md"
gzip -9n "$pkg/usr/share/doc/appc-tools/README.md"

# dpkg-shlibdeps reads debian/control from the directory it runs in.
mkdir -p "$work/debian"
printf 'Source: appc-tools\n\nPackage: appc-tools\nArchitecture: amd64\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e"$pkg/usr/bin/actool" -e"$pkg/usr/bin/rkt" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no libraries" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<EOF
Package: appc-tools
Version: $version
Architecture: amd64
Maintainer: appc-tools developers <appc-tools@localhost>
Installed-Size: $size
Depends: $shlibs, gpgv, libcurl4
Recommends: containernetworking-plugins, iptables
Suggests: busybox-static, strace, gdb, make, gcc, libc6-dev
Section: admin
Priority: optional
Description: App Container image tools and runtime (actool, rkt)
 actool builds, validates and patches App Container Images (ACIs) and injects
 a tools image as a dependency; rkt fetches, runs, enters and debugs them in
 pods (Linux namespaces, CNI networks, cgroups, seccomp) with a stage1 of its
 own. Made for debugging minimal images that hold one static binary.
EOF
(cd "$pkg" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$pkg/DEBIAN/md5sums"
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$out"
deb="$out/appc-tools_${version}_amd64.deb"
fakeroot dpkg-deb --build -Zxz --root-owner-group "$pkg" "$deb" >/dev/null
echo "$deb"
