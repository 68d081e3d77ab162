#!/usr/bin/env bash
# 04: the guide's `rkt --insecure-options=image run --interactive image-to-patch.aci`,
# on the patched image, with the dependency's shell as the command: the app's tools are
# there, and on a terminal you get a prompt (Ctrl-C, job control and resizing work).
# Without a terminal, the shell reads its commands from stdin, as here.
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/04-run-interactively.sh
example=04
. "$(dirname "$0")/pod-common.sh"
image=$(patched_image)

if [ -t 0 ]; then
    step rkt --insecure-options=image run --interactive "$image" --exec /bin/sh
else
    printf '%s\n' 'echo "in the app: $(ls /bin/minimal-app)"' 'ls /opt/debug/bin' 'exit 3' |
        rkt --insecure-options=image run --interactive "$image" --exec /bin/sh && code=0 || code=$?
    echo "rkt run exited with $code (the shell's exit code)"
    [ "$code" -eq 3 ]
fi
rkt gc --grace-period=0s >/dev/null
