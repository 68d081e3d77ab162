#!/usr/bin/env bash
# Shares an rkt data directory with the groups rkt's packages use, so that users who are
# not root can use the parts rkt lets them use:
#   group rkt        reads pods (rkt list, rkt status) and uses the image store
#                    (rkt image list, rkt fetch, rkt image rm); rendered trees stay
#                    root's, so rkt image gc and running pods need root;
#   group rkt-admin  writes the local configuration (rkt trust).
# Directories get their group and the setgid bit, so what rkt makes in them later keeps
# the group. Run it as root, again at any time: it only adds what is missing and puts the
# modes and groups back.
#
# Usage: scripts/setup-data-dir.sh [DATA_DIR] [LOCAL_CONFIG_DIR]
#        (defaults /var/lib/rkt and /etc/rkt)
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
    echo "setup-data-dir.sh: must be run as root" >&2
    exit 1
fi

data="${1:-/var/lib/rkt}"
config="${2:-/etc/rkt}"

getent group rkt-admin >/dev/null || groupadd --force --system rkt-admin
getent group rkt >/dev/null || groupadd --force --system rkt

# DIR MODE GROUP: make DIR if missing, then give it MODE and GROUP.
dir() {
    mkdir -p "$1"
    chmod "$2" "$1"
    chgrp "$3" "$1"
}

# FILE MODE: make FILE (empty) if missing, then give it MODE and group rkt.
file() {
    [[ -e "$1" ]] || : >"$1"
    chmod "$2" "$1"
    chgrp rkt "$1"
}

dir "$data" 2750 rkt
dir "$data/tmp" 2750 rkt
dir "$data/locks" 2750 rkt

# The image store: the group reads and writes it.
dir "$data/cas" 2770 rkt
for sub in db tmp blob blob/sha512 imageManifest imageManifest/sha512; do
    dir "$data/cas/$sub" 2770 rkt
done
# The index (an empty file is an empty SQLite database) and, if it has them, its journal files.
file "$data/cas/db/images.db" 0660
for journal in "$data/cas/db/images.db-wal" "$data/cas/db/images.db-shm"; do
    [[ ! -e "$journal" ]] || file "$journal" 0660
done
# Images stored before: their fan-out directories and files join the group too.
for sub in blob/sha512 imageManifest/sha512; do
    find "$data/cas/$sub" -mindepth 1 -type d -exec chgrp rkt {} + -exec chmod 2770 {} +
    find "$data/cas/$sub" -mindepth 1 -type f -exec chgrp rkt {} + -exec chmod 0660 {} +
done
# Rendered trees and layers: root's alone (the group may not change what pods run).
dir "$data/cas/tree" 2700 rkt
dir "$data/cas/layers" 2700 rkt

# Pods: the group reads them.
dir "$data/pods" 2750 rkt
for sub in embryo prepare prepared run exited-garbage garbage; do
    dir "$data/pods/$sub" 2750 rkt
done

# The local configuration: rkt-admin writes it (trusted keys, auth.d, net.d).
dir "$config" 2775 rkt-admin
