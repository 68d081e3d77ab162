#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the benchmarks need, and any
# PACKAGE given (a benchmark's own baseline), only those that are missing. Needs root
# (or sudo) when something is missing.
#   scripts/install-deps.sh [PACKAGE...]
set -euo pipefail

packages=(libarchive-dev libssl-dev zlib1g-dev libseccomp-dev libsqlite3-dev pkg-config gzip bzip2 xz-utils tar hyperfine time libcurl4 curl gpgv gpg python3 openssl
    # images/ (make images) and the runtime
    busybox-static strace gdb gcc libc6-dev make file patchelf util-linux procps
    # pod networks: the CNI plugins rkt calls, and what they call (iptables) or tests use (ip)
    containernetworking-plugins iptables iproute2
    # Docker and OCI images: skopeo writes the tests' archives and copies into the
    # registry (Debian's docker-registry) the tests start on loopback; zstd layers
    skopeo docker-registry zstd umoci
    # Benchmarks/store.sh's baseline (the index's rows read by SQLite's own shell)
    sqlite3
    # scripts/check-format.sh (swift-format comes with the toolchain)
    clang-format
    # the man pages' linter and the shells whose completions we ship (CLIDocsTests);
    # the Debian package (make deb) and its install test in a fresh Debian root
    mandoc zsh bash-completion dpkg-dev fakeroot mmdebstrap
    "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "note: swift is in /opt/swift/usr/bin; add it to PATH" >&2
    else
        echo "error: no Swift toolchain on PATH (Swift 6.x is required; see swift.org for Debian)" >&2
        exit 1
    fi
fi
