#!/usr/bin/env bash
# The main job, for now: make a sample image, validate it, print its manifest and its ID.
# (Images are packed with tar until `actool build` lands; the debugging walkthrough comes later.)
set -euo pipefail
actool=${1:-actool}
out=${OUT:-out/demo}
rm -rf "$out" && mkdir -p "$out/layout/rootfs/bin"
cat > "$out/layout/manifest" <<'JSON'
{
    "acKind": "ImageManifest",
    "acVersion": "0.8.11",
    "name": "example.com/hello",
    "labels": [
        {"name": "version", "value": "1.0.0"},
        {"name": "os", "value": "linux"},
        {"name": "arch", "value": "amd64"}
    ],
    "app": {
        "exec": ["/bin/hello"],
        "user": "0",
        "group": "0"
    }
}
JSON
printf '#!/bin/sh\necho hello\n' > "$out/layout/rootfs/bin/hello"
chmod 755 "$out/layout/rootfs/bin/hello"
tar -C "$out/layout" --sort=name --owner=0 --group=0 --mtime=@0 -czf "$out/hello.aci" manifest rootfs

step() { printf '\n$ %s\n' "$*"; "$@"; }
step "$actool" validate --type=layout "$out/layout"
step "$actool" --debug validate "$out/hello.aci"
step "$actool" cat-manifest "$out/hello.aci"
step "$actool" cat-manifest --pretty-print "$out/hello.aci"
step "$actool" image-id "$out/hello.aci"
step "$actool" image-id --short "$out/hello.aci"
echo
echo "demo: the image, its manifest and its ID are in $out"
