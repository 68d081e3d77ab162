#!/usr/bin/env bash
# Proves the release binaries are self-contained and the Debian package installs, works
# and uninstalls cleanly on a Debian machine that has never had Swift (root; network to
# Debian's archive only; scripts/test.sh runs it): builds the package
# (scripts/build-deb.sh), checks with ldd that actool and rkt load only files of Debian
# packages (none from the Swift toolchain) and that rkt-stage1 is static, makes a fresh
# root with mmdebstrap from this machine's apt sources, and in a mount namespace of its
# own (/proc, /sys and /dev mounted inside, all gone with it):
#   apt install ./appc-tools_*.deb       (its Depends resolved by apt from the archive)
#   actool validate, patch-manifest --add-dependency, image-id; rkt version, fetch,
#   image list, and a pod (rkt run of the patched image, its app's output checked);
#   a man page and the completions in their places;
#   apt purge appc-tools and autoremove: the root's file list is then the one before.
#   scripts/check-deb.sh IMAGES_DIR      (make images' output)
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:?usage: $0 IMAGES_DIR}
[ "$(id -u)" -eq 0 ] || { echo "check-deb: run as root (chroot, mounts)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "check-deb: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }
fail() { echo "check-deb: $*" >&2; exit 1; }
work=$(mktemp -d /var/tmp/check-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
deb=$(scripts/build-deb.sh "$work")
root="$work/root"

dpkg-deb -x "$deb" "$work/package"
for binary in usr/bin/actool usr/bin/rkt usr/lib/rkt/rkt-stage1; do
    out=$(ldd "$work/package/$binary" 2>&1 || true)
    if [ "$binary" = usr/lib/rkt/rkt-stage1 ]; then
        grep -q "not a dynamic executable" <<<"$out" || fail "rkt-stage1 is not static: $out"
        continue
    fi
    ! grep -q "not found" <<<"$out" || fail "$binary: a library is missing: $out"
    while read -r lib; do
        case "$lib" in */swift/*|/opt/*) fail "$binary loads $lib from the Swift toolchain" ;; esac
        dpkg -S "$(readlink -f "$lib")" >/dev/null 2>&1 || dpkg -S "$lib" >/dev/null 2>&1 ||
            fail "$binary loads $lib, which no Debian package holds"
    done < <(awk '/=>/ {print $3} /^\t\// {print $1}' <<<"$out")
done
# Foundation stays out (docs/architecture.md): none in actool, only FoundationEssentials in rkt.
symbols() { nm "$work/package/$1" | grep -c -E "$2" || true; }
[ "$(symbols usr/bin/actool '\$s(10Foundation|20FoundationEssentials)')" -eq 0 ] || fail "actool links Foundation"
[ "$(symbols usr/bin/rkt '\$s10Foundation')" -eq 0 ] || fail "rkt links Foundation (FoundationEssentials only)"
echo "check-deb: actool and rkt load only Debian's libraries and no Foundation; rkt-stage1 is static"

# A minimal Debian root of this machine's release, from its own apt sources.
. /etc/os-release
sources=$(ls /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1 || true)
[ -n "$sources" ] || fail "no apt sources on this machine"
mmdebstrap --variant=apt --quiet "$VERSION_CODENAME" "$root" "$sources" </dev/null
[ ! -e "$root/opt/swift" ] && ! ls "$root"/usr/lib/swift* >/dev/null 2>&1 || fail "the fresh root holds Swift"
mkdir -p "$root/images"
cp "$deb" "$root/tmp/"
cp "$images/minimal-app.aci" "$images/debug-tools.aci" "$root/images/"

# The files of the root, less apt's and dpkg's own records and logs.
snapshot() {
    (cd "$root" && find . -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune -o -path ./tmp -prune \
        -o -path ./images -prune -o -path ./var/lib/dpkg -prune -o -path ./var/lib/apt -prune -o -path ./var/cache -prune \
        -o -path ./var/log -prune -o -path ./etc/ld.so.cache -prune -o -print | LC_ALL=C sort)
}
snapshot >"$work/before"

# Everything below runs in one mount namespace: the mounts die with it.
cat >"$work/inside.sh" <<'EOF'
set -euo pipefail
root=$1 deb=$2
# The root is a mount point of its own, as a machine's / is (stage1 makes its mounts
# slaves of /); nothing propagates back to the host.
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
# A failed step leaves no pod behind: its cgroups are the host's.
trap 'chroot "$root" rkt --dir=/tmp/rkt gc --grace-period=0s >/dev/null 2>&1 || true' EXIT
inroot() { printf '$ %s\n' "$*"; chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# mmdebstrap leaves no package lists behind.
inroot apt-get update -q >/tmp/check-deb-apt.log 2>&1 || { cat /tmp/check-deb-apt.log; exit 1; }
inroot apt-get install -y -q --no-install-recommends "/tmp/$deb" >/tmp/check-deb-apt.log 2>&1 || { cat /tmp/check-deb-apt.log; exit 1; }
inroot dpkg -s appc-tools | grep -E '^(Status|Version|Depends):'
inroot sh -c '! ls -d /opt/swift /usr/lib/swift* 2>/dev/null'
inroot actool version
inroot actool validate /images/minimal-app.aci
inroot actool patch-manifest --add-dependency=/images/debug-tools.aci /images/minimal-app.aci /images/patched.aci
inroot actool image-id --short /images/patched.aci
inroot rkt version
inroot rkt --insecure-options=image --dir=/tmp/rkt fetch /images/debug-tools.aci /images/patched.aci
inroot rkt --dir=/tmp/rkt image list --no-legend --fields=name | tee /tmp/check-deb-list
grep -q example.com/minimal-app /tmp/check-deb-list
inroot rkt --insecure-options=image --dir=/tmp/rkt run --net=host /images/patched.aci --exec /bin/busybox -- echo pod-from-the-package | tee /tmp/check-deb-pod
grep -q "pod-from-the-package" /tmp/check-deb-pod
inroot rkt --dir=/tmp/rkt gc --grace-period=0s
inroot sh -c 'test -s /usr/share/man/man1/rkt-run.1.gz && test -s /usr/share/man/man1/actool-patch-manifest.1.gz && test -s /usr/share/bash-completion/completions/rkt && test -s /usr/share/zsh/vendor-completions/_actool && test -x /usr/lib/rkt/rkt-stage1'
rm -rf "$root/tmp/rkt"
inroot apt-get purge -y -q appc-tools >/dev/null
inroot apt-get autoremove --purge -y -q >/dev/null
EOF
unshare --mount --fork bash "$work/inside.sh" "$root" "$(basename "$deb")"
snapshot >"$work/after"
if ! diff "$work/before" "$work/after" >"$work/diff"; then
    cat "$work/diff" >&2
    fail "apt purge left the root changed (above)"
fi
echo "check-deb: $(basename "$deb") installed, ran a pod and purged to the same $(wc -l <"$work/before") paths"
