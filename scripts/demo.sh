#!/usr/bin/env bash
# The main job, for now: build a sample app image and a tools image, inject the tools
# as a dependency, fetch both into a private rkt store and render the app with them.
# (The debugging walkthrough of the guide, with pods, comes with the runtime.)
set -euo pipefail
actool=${1:-actool}
rkt=${2:-rkt}
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
mkdir -p "$out/tools/rootfs/bin"
printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/tools","labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}' > "$out/tools/manifest"
printf '#!/bin/sh\necho tools\n' > "$out/tools/rootfs/bin/tool"

step() { printf '\n$ %s\n' "$*"; "$@"; }
step "$actool" validate --type=layout "$out/layout"
step "$actool" build --reproducible "$out/layout" "$out/hello.aci"
step "$actool" build --reproducible "$out/tools" "$out/tools.aci"
step "$actool" --debug validate "$out/hello.aci"
step "$actool" cat-manifest --pretty-print "$out/hello.aci"
step "$actool" image-id "$out/hello.aci"
step "$actool" patch-manifest --add-dependency="$out/tools.aci" --replace "$out/hello.aci"
step "$actool" cat-manifest "$out/hello.aci"
step "$rkt" --dir="$out/rkt" --insecure-options=image fetch "$out/tools.aci" "$out/hello.aci"
step "$rkt" --dir="$out/rkt" image list
step "$rkt" --dir="$out/rkt" image render --rootfs-only example.com/hello "$out/rendered"
step ls -R "$out/rendered"
echo
echo "demo: images in $out, the rkt store in $out/rkt, the rendered app in $out/rendered"
