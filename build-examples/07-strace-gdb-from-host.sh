#!/usr/bin/env bash
# 07: strace and gdb attach to an app in a pod from the host, like any host process:
# the app's host pid is the child of the pod's init (the child of `rkt status`'s pid).
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/07-strace-gdb-from-host.sh
example=07
. "$(dirname "$0")/pod-common.sh"

uuid=$(start_pod "$IMAGES/image-to-patch.aci")
app=$(app_pid "$uuid")
echo "app pid on the host: $app"
# strace -f -p follows forks too; stop it after 3 seconds.
step timeout -s INT 3 strace -f -p "$app" || true
step gdb -p "$app" --batch -ex 'info inferiors' -ex 'bt'
stop_pod "$uuid"
