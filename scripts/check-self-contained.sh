#!/usr/bin/env bash
# Proves the release binaries run without a Swift toolchain (root; scripts/test.sh runs
# it): builds them (scripts/build-release.sh), checks with ldd that every library they
# load belongs to a Debian package (none from the toolchain), then makes a root holding
# only the files of those Debian packages and the three binaries, and runs there, in a
# mount namespace of its own (/proc mounted inside, gone with it): actool version,
# validate, patch-manifest --add-dependency and image-id; rkt version, fetch of an image
# and image list.
#   scripts/check-self-contained.sh IMAGES_DIR      (make images' output)
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:?usage: $0 IMAGES_DIR}
[ "$(id -u)" -eq 0 ] || { echo "check-self-contained: run as root (chroot, mounts)" >&2; exit 1; }
bin=$(scripts/build-release.sh)
root=$(mktemp -d /var/tmp/self-contained.XXXXXX)
trap 'rm -rf "$root"' EXIT
fail() { echo "check-self-contained: $*" >&2; exit 1; }

packages=(libc6)
for binary in actool rkt rkt-stage1; do
    out=$(ldd "$bin/$binary" 2>&1 || true)
    if [ "$binary" = rkt-stage1 ]; then
        grep -q "not a dynamic executable" <<<"$out" || fail "rkt-stage1 is not static: $out"
        continue
    fi
    ! grep -q "not found" <<<"$out" || fail "$binary: a library is missing: $out"
    while read -r lib; do
        case "$lib" in */swift/*|/opt/*|*/usr/lib/swift*) fail "$binary loads $lib from the Swift toolchain" ;; esac
        package=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1) ||
            true
        [ -n "$package" ] || package=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || true
        [ -n "$package" ] || fail "$binary loads $lib, which no Debian package holds"
        packages+=("$package")
    done < <(awk '/=>/ {print $3} /^\t\// {print $1}' <<<"$out")
done
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
echo "self-contained: actool and rkt load only files of the Debian packages: ${packages[*]}"

# A root of those packages' files, and our binaries. The host's merged-/usr links
# (/lib -> usr/lib, ...) are made again; each file goes to its directory's real path.
for top in /bin /sbin /lib /lib64; do
    [ -L "$top" ] && cp -a "$top" "$root/"
done
for package in "${packages[@]}"; do
    dpkg -L "$package" | while read -r path; do
        [ -f "$path" ] || [ -L "$path" ] || continue
        case "$path" in /usr/share/*) continue ;; esac
        dir=$(readlink -f "$(dirname "$path")")
        mkdir -p "$root$dir"
        cp -a "$path" "$root$dir/"
    done
done
mkdir -p "$root/usr/local/bin" "$root/proc" "$root/tmp" "$root/var/lib/rkt" "$root/images"
cp "$bin/actool" "$bin/rkt" "$bin/rkt-stage1" "$root/usr/local/bin/"
cp "$images/minimal-app.aci" "$images/debug-tools.aci" "$root/images/"
[ ! -e "$root/opt" ] || fail "the root holds /opt"

run() { # command... inside the root
    printf '$ %s\n' "$*"
    unshare --mount --fork sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
}
run /usr/local/bin/actool version
run /usr/local/bin/actool validate /images/minimal-app.aci
run /usr/local/bin/actool patch-manifest --add-dependency=/images/debug-tools.aci /images/minimal-app.aci /images/patched.aci
run /usr/local/bin/actool image-id --short /images/patched.aci
run /usr/local/bin/rkt version
run /usr/local/bin/rkt --insecure-options=image fetch /images/debug-tools.aci /images/patched.aci
list=$(run /usr/local/bin/rkt image list --no-legend --fields=name)
echo "$list"
grep -q "example.com/minimal-app" <<<"$list" || fail "rkt image list in the root: $list"
echo "self-contained: passed"
