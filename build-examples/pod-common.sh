# Sourced by examples 04-10: tools, a patched copy of the app image, and starting a pod.
# RKT and ACTOOL name the binaries (default: on PATH); RKT_DIR another rkt data directory.
set -euo pipefail
RKT=${RKT:-rkt}
ACTOOL=${ACTOOL:-actool}
IMAGES=${IMAGES:-out/images}
OUT=${OUT:-out/examples}
for tool in "$RKT" "$ACTOOL"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$example: $tool not found; set RKT= and ACTOOL= to the binaries" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "$example: run it as root (sudo): pods need namespaces and mounts" >&2; exit 1; }
rkt() { "$RKT" ${RKT_DIR:+--dir="$RKT_DIR"} "$@"; }
step() { printf '\n$ %s\n' "$*"; "$@"; }

# A copy of the guide's image-to-patch.aci with debug-image.aci injected as a dependency;
# the tools image goes into the store first (rkt finds dependencies there, or by discovery).
patched_image() {
    local work=$OUT/$example
    rm -rf "$work" && mkdir -p "$work"
    cp "$IMAGES/debug-image.aci" "$IMAGES/image-to-patch.aci" "$work/"
    rkt --insecure-options=image fetch "$work/debug-image.aci" >/dev/null
    "$ACTOOL" patch-manifest --add-dependency="$work/debug-image.aci" --replace "$work/image-to-patch.aci"
    echo "$work/image-to-patch.aci"
}

# Starts IMAGE in a pod in the background and prints the pod's UUID once it runs.
start_pod() { # image [run flags...]
    local image=$1 uuid_file
    shift
    uuid_file=$(mktemp)
    rkt --insecure-options=image run --uuid-file-save="$uuid_file" "$@" "$image" >/dev/null 2>&1 &
    for _ in $(seq 100); do
        if [ -s "$uuid_file" ] && rkt status "$(cat "$uuid_file")" 2>/dev/null | grep -q '^state=running'; then
            cat "$uuid_file"; rm -f "$uuid_file"; return 0
        fi
        sleep 0.1
    done
    echo "$example: the pod did not start" >&2
    return 1
}

# The host pids: stage1's supervisor (what `rkt status` shows), the pod's init, the app.
supervisor_pid() { rkt status "$1" | sed -n 's/^pid=//p'; }
first_child() { cut -d' ' -f1 "/proc/$1/task/$1/children"; }
init_pid() { first_child "$(supervisor_pid "$1")"; }
app_pid() { first_child "$(init_pid "$1")"; }

stop_pod() { rkt stop "$1" >/dev/null && sleep 0.5 && rkt gc --grace-period=0s >/dev/null; }
