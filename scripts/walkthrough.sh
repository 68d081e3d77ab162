#!/usr/bin/env bash
# The debugging guide (../shared/seed/debugging-rkt.md, "Debugging rkt"), walked end to
# end with our actool and rkt on the images from `make images`, without a terminal: the
# interactive parts go through a real pty (scripts/lib/ptydrive.py). Each step prints its
# command and output; the first failing step stops the walk, names itself, and leaves no
# pod running. A summary ends the run.
#
#   scripts/walkthrough.sh [--dir=DATADIR] [--images=DIR] [--work=DIR] [--keep]
#
# rkt and actool are taken from PATH (scripts/setup.sh puts the release build first).
# --keep leaves the patched app's pod running at the end and says how to enter it.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dir=/var/lib/rkt images=out/images work=out/walkthrough keep=false
for arg in "$@"; do
    case "$arg" in
        --dir=*) dir=${arg#--dir=} ;;
        --images=*) images=${arg#--images=} ;;
        --work=*) work=${arg#--work=} ;;
        --keep) keep=true ;;
        *) echo "usage: $0 [--dir=DATADIR] [--images=DIR] [--work=DIR] [--keep]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "walkthrough: run it as root (pods need namespaces and mounts)" >&2; exit 1; }
for tool in rkt actool nsenter strace gdb python3; do
    command -v "$tool" >/dev/null || { echo "walkthrough: $tool not found on PATH (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
for image in image-to-patch.aci debug-image.aci; do
    [ -f "$images/$image" ] || { echo "walkthrough: $images/$image missing; run: make images" >&2; exit 1; }
done
rm -rf "$work" && mkdir -p "$work"
cp "$images/image-to-patch.aci" "$images/debug-image.aci" "$work/"
cd "$work"
work=$PWD
rktdir=()
[ "$dir" = /var/lib/rkt ] || rktdir=(--dir="$dir")
export RKT_DIR_FLAG="${rktdir[*]}"
app=minimal-app
passed=() uuid=""

cleanup() { # stops the pods this walk started
    [ "${1:-}" = failed ] || ! $keep || return 0
    for file in "$work/uuid" "$work/uuid2" "$work/uuid3"; do
        [ -s "$file" ] && rkt "${rktdir[@]}" stop --force "$(cat "$file")" >/dev/null 2>&1
    done
    return 0
}

# step TITLE -- COMMAND...: prints `$ COMMAND` and its output; stops the walk on failure.
# Output is kept in $out for the checks that follow.
step() {
    local title=$1; shift; [ "$1" = -- ] && shift
    printf '\n### %s\n$ %s\n' "$title" "$*"
    out=$("$@" 2>&1); local code=$?
    printf '%s\n' "$out"
    if [ $code -ne 0 ]; then fail "$title" "exit code $code"; fi
    passed+=("$title")
}

# fails TITLE PATTERN -- COMMAND...: a step that must fail, with output matching PATTERN.
fails() {
    local title=$1 pattern=$2; shift 2; [ "$1" = -- ] && shift
    printf '\n### %s\n$ %s\n' "$title" "$*"
    out=$("$@" 2>&1); local code=$?
    printf '%s\n[exit code %d]\n' "$out" "$code"
    [ $code -ne 0 ] || fail "$title" "it was expected to fail"
    grep -qE "$pattern" <<<"$out" || fail "$title" "output does not match /$pattern/"
    passed+=("$title")
}

# check TITLE PATTERN: the last step's output matches PATTERN.
check() {
    grep -qE "$2" <<<"$out" || fail "$1" "output does not match /$2/"
}

fail() {
    printf '\nwalkthrough: FAILED at step "%s": %s\n' "$1" "$2" >&2
    cleanup failed
    exit 1
}

wait_running() { # uuid
    for _ in $(seq 100); do
        rkt "${rktdir[@]}" status "$1" 2>/dev/null | grep -q '^state=running' && [ -n "$(pod_init "$1")" ] && return 0
        sleep 0.1
    done
    fail "wait for pod $1" "it did not reach state=running"
}
pod_pid() { rkt "${rktdir[@]}" status "$1" | sed -n 's/^pid=//p'; }
pod_init() { local p; p=$(pod_pid "$1"); [ -n "$p" ] && cut -d' ' -f1 "/proc/$p/task/$p/children" 2>/dev/null; }
app_pid() { local i; i=$(pod_init "$1"); cut -d' ' -f1 "/proc/$i/task/$i/children" 2>/dev/null; }

echo "== Debugging rkt, walked with: $(command -v rkt), $(command -v actool); data dir $dir; work dir $work"

# --- rkt enter, on an image with no shell -----------------------------------------
step "start the minimal app in a pod" -- bash -c "rkt ${rktdir[*]} --insecure-options=image run --uuid-file-save=$work/uuid image-to-patch.aci >$work/app.log 2>&1 & sleep 0.1"
for _ in $(seq 50); do [ -s "$work/uuid" ] && break; sleep 0.1; done
uuid=$(cat "$work/uuid" 2>/dev/null) || fail "start the minimal app in a pod" "no UUID written"
wait_running "$uuid"
short=${uuid:0:8}
step "rkt list" -- rkt "${rktdir[@]}" list
check "rkt list" "^$short[[:space:]]+$app[[:space:]]+example.com/minimal-app:1.0.0[[:space:]]+running"
fails "rkt enter needs a shell the image does not have" "not found|no such file" -- rkt "${rktdir[@]}" enter "$short" sh

# --- Entering stage1 -----------------------------------------------------------------
step "rkt status" -- rkt "${rktdir[@]}" status "$short"
check "rkt status" "^pid=[0-9]+$"
pid=$(pod_pid "$uuid")
step "the stage1 process tree (ps auxf | grep -A1 [${pid:0:1}]${pid:1})" -- bash -c "ps auxf | grep -A2 '[${pid:0:1}]${pid:1}'"
child=$(pod_init "$uuid")
fails "nsenter into stage1: no tools there yet" "No such file|not found" -- nsenter -m -u -i -p -t "$child" ls
step "ls /proc/\$PID/root/ from the host" -- ls "/proc/$child/root/"
check "ls /proc/\$PID/root/" "rkt"
step "rkt list --full" -- rkt "${rktdir[@]}" list --full
check "rkt list --full" "^$uuid"
step "stage1_install_busybox.sh" -- "$repo/scripts/debug/stage1_install_busybox.sh" --dir="$dir" "$uuid"
check "stage1_install_busybox.sh" "^sudo nsenter -m -u -i -p -t $child$"
cat > "$work/stage1.pty" <<EOF
expect #
send cat rkt/env/$app\n
expect AC_APP_NAME=$app
send ls\n
expect opt
send busybox | head -n 2\n
expect BusyBox
send exit\n
wait 0
EOF
step "an interactive shell in stage1 (sudo nsenter -m -u -i -p -t $child)" -- python3 "$repo/scripts/lib/ptydrive.py" "$work/stage1.pty" -- nsenter -m -u -i -p -t "$child"
# --- Debugging without a restart (past the guide): rkt debug and rkt bind ----------------
# On the same running, unpatched pod: a session with the tools image's files in the
# app's namespaces, then the guide's `machinectl bind`, as rkt bind.
step "rkt debug: ps in a session in the running app's namespaces" -- rkt "${rktdir[@]}" --insecure-options=image debug --image=debug-image.aci "$short" -- ps
check "rkt debug -- ps" "/bin/minimal-app"
app_before=$(app_pid "$uuid")
cat > "$work/debug.pty" <<'EOF'
expect #
send ps\n
expect minimal-app
send timeout -s INT 3 strace -p $(pidof minimal-app) 2>&1 | head -n 3\n
expect attached
send gdb -p $(pidof minimal-app) --batch -ex 'info inferiors' 2>&1 | grep process\n
expect native
send ls /target/bin\n
expect minimal-app
send exit 0\n
wait 0
EOF
step "rkt debug: an interactive session, strace and gdb attached from inside (on a pty)" -- python3 "$repo/scripts/lib/ptydrive.py" "$work/debug.pty" -- rkt "${rktdir[@]}" --insecure-options=image debug --image=debug-image.aci "$short"
check "rkt debug (interactive)" "attached"
step "rkt status says the pod was debugged" -- rkt "${rktdir[@]}" status "$short"
check "rkt status (debugged)" "^debugged="
step "the app kept running, untouched (same host pid)" -- bash -c "echo before: $app_before, after: $(app_pid "$uuid"); [ $app_before = $(app_pid "$uuid") ]"
step "a host directory with a static busybox" -- bash -c "mkdir -p $work/tools && cp /bin/busybox $work/tools/ && ls $work/tools"
step "rkt bind (machinectl bind): the tools into the running app" -- rkt "${rktdir[@]}" bind --mkdir "$short" "$work/tools" "/opt/stage2/$app/rootfs/tools"
step "rkt enter with the bound busybox" -- rkt "${rktdir[@]}" enter "$short" /tools/busybox sh -c 'echo a shell from /tools; /tools/busybox ps'
check "rkt enter /tools/busybox" "minimal-app"
step "rkt unbind" -- rkt "${rktdir[@]}" unbind "$short" "/opt/stage2/$app/rootfs/tools"
fails "the bound tools are gone" "not found|no such file" -- rkt "${rktdir[@]}" enter "$short" /tools/busybox true
step "stop the unpatched pod" -- rkt "${rktdir[@]}" stop "$uuid"
for _ in $(seq 50); do rkt "${rktdir[@]}" status "$uuid" | grep -q '^state=exited' && break; sleep 0.1; done

# --- Debugging images: a tools image as a dependency ------------------------------------
step "rkt fetch debug-image.aci" -- rkt "${rktdir[@]}" --insecure-options=image fetch debug-image.aci
check "rkt fetch debug-image.aci" "^sha512-[0-9a-f]{32}$"
tools_id=$out
step "actool cat-manifest --pretty-print image-to-patch.aci > manifest.json" -- bash -c "actool cat-manifest --pretty-print image-to-patch.aci > manifest.json && cat manifest.json"
# The guide adds the dependency right before "app". appc needs imageName beside imageID
# (rkt and actool validate reject a dependency without it), so it is added too.
tools_name=$(actool cat-manifest debug-image.aci | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
step "add the dependency to manifest.json, before \"app\"" -- python3 - manifest.json "$tools_name" "$tools_id" <<'EOF'
import sys
path, name, image_id = sys.argv[1:]
text = open(path).read()
entry = ('    "dependencies": [\n        {\n            "imageName": "%s",\n            "imageID": "%s"\n        }\n    ],\n    "app": {' % (name, image_id))
assert '    "app": {' in text, 'no "app" section'
open(path, "w").write(text.replace('    "app": {', entry, 1))
print(open(path).read())
EOF
step "actool patch-manifest --manifest manifest.json --replace image-to-patch.aci" -- actool patch-manifest --manifest manifest.json --replace image-to-patch.aci
step "actool cat-manifest image-to-patch.aci (patched)" -- actool cat-manifest image-to-patch.aci
check "actool cat-manifest (patched)" "\"imageID\": *\"$tools_id\""

# The guide's run command, verbatim, on a pty; meanwhile another terminal enters the pod
# (now with a shell), and strace and gdb attach to the app from the host.
cat > "$work/run.pty" <<EOF
expect minimal-app
shell for i in \$(seq 100); do [ -s $work/uuid2 ] && rkt $RKT_DIR_FLAG status \$(cat $work/uuid2) | grep -q state=running && break; sleep 0.1; done; rkt $RKT_DIR_FLAG list
shell rkt $RKT_DIR_FLAG enter \$(cat $work/uuid2) sh -c 'echo a shell in the app: \$0; ls /opt/debug/bin'
shell python3 $repo/scripts/lib/ptydrive.py $work/enter.pty -- rkt $RKT_DIR_FLAG enter \$(cat $work/uuid2) sh
shell p=\$(rkt $RKT_DIR_FLAG status \$(cat $work/uuid2) | sed -n 's/^pid=//p'); i=\$(cut -d' ' -f1 /proc/\$p/task/\$p/children); a=\$(cut -d' ' -f1 /proc/\$i/task/\$i/children); echo "app pid \$a"; timeout -s INT 3 strace -f -p \$a 2>&1 | head -n 8; true
shell p=\$(rkt $RKT_DIR_FLAG status \$(cat $work/uuid2) | sed -n 's/^pid=//p'); i=\$(cut -d' ' -f1 /proc/\$p/task/\$p/children); a=\$(cut -d' ' -f1 /proc/\$i/task/\$i/children); gdb -p \$a --batch -ex 'info inferiors' -ex bt 2>&1 | grep -E '^\\*|^#|process' | head -n 8
ctrl-c
wait
EOF
# Another terminal: an interactive shell entered into the running app, typed at.
cat > "$work/enter.pty" <<'EOF'
expect #
send ps\n
expect minimal-app
send strace -V | head -n 1\n
expect strace -- version
send exit 4\n
wait 4
EOF
step "sudo rkt --insecure-options=image run --interactive image-to-patch.aci (on a pty)" -- python3 "$repo/scripts/lib/ptydrive.py" "$work/run.pty" -- rkt "${rktdir[@]}" --insecure-options=image run --interactive --uuid-file-save="$work/uuid2" image-to-patch.aci
check "interactive run" "a shell in the app"
check "strace -f -p" "attached|nanosleep|write\\("
check "gdb -p" "process [0-9]+"
uuid2=$(cat "$work/uuid2")

if $keep; then
    step "keep a patched pod running (--keep)" -- bash -c "rkt ${rktdir[*]} --insecure-options=image run --uuid-file-save=$work/uuid3 image-to-patch.aci >$work/kept.log 2>&1 & sleep 0.1"
    for _ in $(seq 50); do [ -s "$work/uuid3" ] && break; sleep 0.1; done
    wait_running "$(cat "$work/uuid3")"
fi
step "rkt gc --grace-period=0s" -- rkt "${rktdir[@]}" gc --grace-period=0s

printf '\n== Summary: %d steps passed\n' "${#passed[@]}"
for title in "${passed[@]}"; do printf '  ok  %s\n' "$title"; done
if $keep; then
    kept=$(cat "$work/uuid3")
    echo
    echo "The patched app is still running in pod $kept. Enter it with:"
    echo "  sudo rkt ${rktdir[*]} enter $kept sh"
    echo "Stop and remove it with: sudo rkt ${rktdir[*]} stop $kept && sudo rkt ${rktdir[*]} gc --grace-period=0s"
fi
