#!/usr/bin/env bash
# 01: build an ACI from a directory.
#
# An image layout is a directory with two things in it: `manifest` (JSON, the image
# manifest) and `rootfs/` (the files of the image). `actool build` turns it into an
# .aci (a tar, gzipped); `validate` checks it; `cat-manifest` prints the manifest back.
#
#   ACTOOL=path/to/actool OUT=out/examples bash build-examples/01-build-from-directory.sh
set -euo pipefail
ACTOOL=${ACTOOL:-actool}
command -v "$ACTOOL" >/dev/null 2>&1 || { echo "01: actool not found ('$ACTOOL'); set ACTOOL=path/to/actool" >&2; exit 1; }
OUT=${OUT:-out/examples}
work=$OUT/01-build-from-directory
busybox=/bin/busybox # a static busybox gives the image a shell: apt-get install busybox-static
[ -x "$busybox" ] || { echo "01: $busybox not found; install it with: apt-get install busybox-static" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/hello/rootfs/bin"

# 1. The rootfs: a static busybox, /bin/sh pointing to it, and a script to run.
install -m 0755 "$busybox" "$work/hello/rootfs/bin/busybox"
ln -s busybox "$work/hello/rootfs/bin/sh"
printf '#!/bin/sh\necho "hello from $AC_APP_NAME"\n' >"$work/hello/rootfs/bin/hello"
chmod 0755 "$work/hello/rootfs/bin/hello"
chmod 0755 "$work/hello/rootfs" "$work/hello/rootfs/bin" # explicit modes: same ID whatever the umask

# 2. The manifest: a name, os/arch labels (appc's names: amd64, aarch64, ...), and the
#    app to run.
case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=aarch64 ;; *) arch=$(uname -m) ;; esac
cat >"$work/hello/manifest" <<JSON
{
    "acKind": "ImageManifest",
    "acVersion": "0.8.11",
    "name": "example.com/hello",
    "labels": [
        {"name": "version", "value": "1.0.0"},
        {"name": "os", "value": "linux"},
        {"name": "arch", "value": "$arch"}
    ],
    "app": {
        "exec": ["/bin/hello"],
        "user": "0",
        "group": "0"
    }
}
JSON

step() { printf '\n$ %s\n' "$*"; "$@"; }

# 3. Check the layout, build it, check the image. --reproducible: every file gets the
#    same mtime ($SOURCE_DATE_EPOCH, else 0), so the same tree gives the same image ID;
#    --owner-root: files owned by root whoever built them.
step "$ACTOOL" validate --type=layout "$work/hello"
step "$ACTOOL" build --overwrite --reproducible --owner-root "$work/hello" "$work/hello.aci"
step "$ACTOOL" --debug validate "$work/hello.aci"

# 4. Read the manifest back, and the ID rkt will give the image.
step "$ACTOOL" cat-manifest --pretty-print "$work/hello.aci"
step "$ACTOOL" image-id "$work/hello.aci"
step tar -tzvf "$work/hello.aci"
