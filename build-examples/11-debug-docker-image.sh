#!/usr/bin/env bash
# 11: a Docker image from a registry, debugged with the tools image: the guide's minimal
# app (one static binary, no shell) as an OCI image (made with umoci), pushed with skopeo
# to Debian's docker-registry on 127.0.0.1 (TLS, self-signed), then
# `rkt run --debug-image=... docker://...` and `rkt enter UUID sh`; and the same image
# as an ACI on disk with `actool convert`. Needs umoci, skopeo, docker-registry, openssl.
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/11-debug-docker-image.sh
example=11
. "$(dirname "$0")/pod-common.sh"
for tool in umoci skopeo docker-registry openssl curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$example: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
work=$OUT/$example
rm -rf "$work" && mkdir -p "$work"
registry=
uuid=
finish() {
    [ -n "$uuid" ] && stop_pod "$uuid" || true
    if [ -n "$registry" ]; then
        kill "$registry" 2>/dev/null || true
        while kill -0 "$registry" 2>/dev/null; do sleep 0.05; done
    fi
}
trap finish EXIT

# The app's files, from the guide's image, as an OCI image.
mkdir -p "$work/files"
tar -xf "$IMAGES/image-to-patch.aci" -C "$work/files" rootfs
umoci init --layout "$work/minimal-app"
umoci new --image "$work/minimal-app:latest"
umoci unpack --image "$work/minimal-app:latest" "$work/bundle" >/dev/null
cp -a "$work/files/rootfs/." "$work/bundle/rootfs/"
umoci repack --image "$work/minimal-app:latest" "$work/bundle"
step umoci config --image "$work/minimal-app:latest" --config.entrypoint /bin/minimal-app

# A registry on loopback, and the image in it.
read -r registry port < <("$(dirname "$0")/../scripts/local-registry.sh" "$work/registry")
step skopeo copy -q --dest-tls-verify=false "oci:$work/minimal-app:latest" "docker://127.0.0.1:$port/minimal-app:latest"

# Debug it: the tools image below the converted app, at run time.
rkt --insecure-options=image fetch "$IMAGES/debug-image.aci" >/dev/null
step rkt --insecure-options=image,tls fetch "docker://127.0.0.1:$port/minimal-app"
uuid=$(start_pod "docker://127.0.0.1:$port/minimal-app" --insecure-options=image,tls --debug-image=example.com/debug-tools)
step rkt enter "$uuid" sh -c 'echo "a shell in $AC_APP_NAME"; which strace gdb; ls /bin/minimal-app'
step rkt image list --fields=id,name --no-legend
stop_pod "$uuid"
uuid=

# The same image as an ACI on disk, to patch, sign or serve.
step "$ACTOOL" convert "oci:$work/minimal-app:latest" "$work/minimal-app.aci"
step "$ACTOOL" validate "$work/minimal-app.aci"
"$ACTOOL" cat-manifest --pretty-print "$work/minimal-app.aci" | head -20
