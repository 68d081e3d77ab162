#!/usr/bin/env bash
# 10: `rkt run --debug-image`: the tools image's files below the app's, at run time. The
# app image is not patched, so its image ID (and a signature of it) stay valid, and
# `rkt enter UUID sh` works on an image that has no shell.
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/10-run-with-debug-image.sh
example=10
. "$(dirname "$0")/pod-common.sh"

rkt --insecure-options=image fetch "$IMAGES/debug-image.aci" >/dev/null
step "$ACTOOL" image-id "$IMAGES/image-to-patch.aci"
uuid=$(start_pod "$IMAGES/image-to-patch.aci" --debug-image=example.com/debug-tools)
step rkt enter "$uuid" sh -c 'echo "a shell in $AC_APP_NAME"; which strace gdb'
step rkt cat-manifest "$uuid"     # the app's own image ID
stop_pod "$uuid"
