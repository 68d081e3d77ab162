#!/usr/bin/env bash
# 05: `rkt enter` into a running pod. An image with no shell has nothing to enter
# with; once the tools image is a dependency, `rkt enter UUID sh` works.
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/05-enter-running-pod.sh
example=05
. "$(dirname "$0")/pod-common.sh"

uuid=$(start_pod "$IMAGES/image-to-patch.aci")
step rkt list
step rkt enter "$uuid" sh || echo "(as expected: the minimal image has no shell)"
stop_pod "$uuid"

uuid=$(start_pod "$(patched_image)")
if [ -t 0 ]; then
    step rkt enter "$uuid" sh
else
    step rkt enter "$uuid" sh -c 'echo "a shell in pod $AC_APP_NAME"; ps'
fi
stop_pod "$uuid"
