#!/usr/bin/env bash
# 09: `rkt bind`: the guide's `machinectl bind` for our pods. A host directory (here one
# with the static busybox) appears in the running app at the guide's path, at once, and
# `rkt enter` can use it; `rkt unbind` takes it away again.
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/09-bind-into-pod.sh
example=09
. "$(dirname "$0")/pod-common.sh"

tools=$OUT/$example/tools
rm -rf "$OUT/$example" && mkdir -p "$tools"
cp /bin/busybox "$tools/"
uuid=$(start_pod "$IMAGES/image-to-patch.aci")
APP_NAME=minimal-app
step rkt bind --mkdir --read-only "$uuid" "$tools" "/opt/stage2/$APP_NAME/rootfs/tools"
step rkt enter "$uuid" /tools/busybox sh -c 'echo "a shell from the bound directory"; /tools/busybox ls /tools'
step rkt unbind "$uuid" "/opt/stage2/$APP_NAME/rootfs/tools"
stop_pod "$uuid"
