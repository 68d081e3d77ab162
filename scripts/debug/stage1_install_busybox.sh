#!/usr/bin/env bash
# Copies a static busybox into a running pod's stage1 (which has no shell or tools, as
# in rkt) and prints the nsenter command that enters stage1, as rkt's script of the same
# name does. Usage: stage1_install_busybox.sh [--dir=DIR] UUID   (a UUID prefix is fine)
set -euo pipefail

usage() { echo "usage: $0 [--dir=DIR] UUID" >&2; exit 1; }

dir=/var/lib/rkt
uuid=
for arg in "$@"; do
    case "$arg" in
        --dir=*) dir=${arg#--dir=} ;;
        -*) usage ;;
        *) [ -z "$uuid" ] || usage; uuid=$arg ;;
    esac
done
[ -n "$uuid" ] || usage

busybox=${BUSYBOX_BINARY:-$(command -v busybox || true)}
if [ -z "$busybox" ] || [ ! -x "$busybox" ]; then
    echo "$0: no busybox found; install it (apt-get install busybox-static) or set BUSYBOX_BINARY" >&2
    exit 1
fi
if ! file -L "$busybox" | grep -q 'static'; then
    echo "$0: $busybox is not a static binary; it cannot run in stage1 (apt-get install busybox-static)" >&2
    exit 1
fi

# The UUID may be a prefix, as everywhere in rkt.
shopt -s nullglob nocaseglob
matches=("$dir"/pods/run/"$uuid"*)
shopt -u nullglob nocaseglob
if [ "${#matches[@]}" -eq 0 ]; then
    echo "$0: no running pod matches \"$uuid\" in $dir/pods/run" >&2
    exit 1
elif [ "${#matches[@]}" -gt 1 ]; then
    echo "$0: \"$uuid\" is ambiguous: ${#matches[@]} pods match" >&2
    exit 1
fi
pod=${matches[0]}

ppid=$(cat "$pod/ppid" 2>/dev/null || true)
if [ -z "$ppid" ] || [ ! -r "/proc/$ppid/task/$ppid/children" ]; then
    echo "$0: pod $(basename "$pod") is not running (no stage1 process)" >&2
    exit 1
fi
read -r pid _ < "/proc/$ppid/task/$ppid/children" || true
if [ -z "${pid:-}" ]; then
    echo "$0: pod $(basename "$pod") has no init process yet" >&2
    exit 1
fi

# Through /proc/PID/root we write into stage1 as the pod sees it.
bin=/proc/$pid/root/bin
mkdir -p "$bin"
cp "$busybox" "$bin/busybox"
chmod 755 "$bin/busybox"
for applet in sh ls cp cat mount vi awk chmod chown mv df ps rm tar top tr wc which ping head grep; do
    ln -sf busybox "$bin/$applet"
done
# nsenter runs $SHELL, /bin/bash for root under sudo; busybox has no bash applet.
if [ ! -e "$bin/bash" ]; then
    printf '#!/bin/sh\nexec /bin/sh "$@"\n' > "$bin/bash"
    chmod 755 "$bin/bash"
fi

echo "Busybox installed. Use the following command to enter pod's stage1:"
echo "sudo nsenter -m -u -i -p -t $pid"
