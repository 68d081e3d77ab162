#!/usr/bin/env bash
# 06: entering a pod's stage1. It has no shell or tools, as in rkt, so nsenter fails
# until scripts/debug/stage1_install_busybox.sh copied a static busybox in.
#
#   sudo RKT=path/to/rkt ACTOOL=path/to/actool bash build-examples/06-enter-stage1.sh
example=06
. "$(dirname "$0")/pod-common.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)

uuid=$(start_pod "$IMAGES/image-to-patch.aci")
step rkt status "$uuid"
pid=$(init_pid "$uuid")        # the child of the pid `rkt status` shows
step ls "/proc/$pid/root/"      # stage1's files, from the host
step nsenter -m -u -i -p -t "$pid" ls || echo "(as expected: no ls in stage1)"
step "$repo/scripts/debug/stage1_install_busybox.sh" ${RKT_DIR:+--dir="$RKT_DIR"} "$uuid"
step nsenter -m -u -i -p -t "$pid" cat rkt/env/minimal-app
step nsenter -m -u -i -p -t "$pid" ps
stop_pod "$uuid"
