#!/usr/bin/env bash
# 08: `rkt debug`: a debugging session inside the running minimal app's pod, without
# patching or restarting it. The session's root is the tools image (busybox, strace,
# gdb with their own libc); the app's root is live at /target; ps, strace -p and
# gdb -p see the app. --chroot is cdebug's layout (static tools only). On an exited
# pod, or on an image, the session is a throwaway one.
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/08-debug-running-pod.sh
example=08
. "$(dirname "$0")/pod-common.sh"

rkt --insecure-options=image fetch "$IMAGES/debug-image.aci" >/dev/null   # the default tools image, by name
uuid=$(start_pod "$IMAGES/image-to-patch.aci")
step rkt debug "$uuid" -- ps
step rkt debug "$uuid" -- sh -c 'timeout -s INT 3 strace -p "$(pidof minimal-app)" 2>&1 | head -n 4'
step rkt debug "$uuid" -- sh -c 'gdb -p "$(pidof minimal-app)" --batch -ex "info inferiors" 2>&1 | grep process'
step rkt debug "$uuid" -- ls -l /target/bin
step rkt debug --chroot "$uuid" -- /.rkt-debug/bin/ls /
if [ -t 0 ]; then
    step rkt debug "$uuid"        # an interactive shell on a pty; exit to leave
fi
step rkt status "$uuid"           # debugged=..., and debug-session=... while one is open
stop_pod "$uuid"
step rkt --insecure-options=image debug "$IMAGES/image-to-patch.aci" -- ls /target/bin   # a bare image: a throwaway session
