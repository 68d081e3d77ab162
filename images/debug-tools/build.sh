#!/usr/bin/env bash
# images/debug-tools: busybox (a shell and the usual commands) plus strace and gdb,
# self-contained under /opt/debug so they run inside an app image without a libc.
#
#   build.sh LAYOUT_DIR [OUT.aci]     writes LAYOUT_DIR/manifest and LAYOUT_DIR/rootfs;
#                                     with OUT.aci, also runs $ACTOOL build on it
#
# rootfs:
#   /bin/busybox + applets, /etc, /tmp, /root     as images/busybox-tools
#   /opt/debug/bin/strace, /opt/debug/libexec/gdb Debian's binaries, patched with patchelf:
#                                                 interpreter /opt/debug/lib/ld-linux-*.so.*,
#                                                 DT_RPATH /opt/debug/lib (applies to every
#                                                 library they load, dlopen included)
#   /opt/debug/bin/gdb                            a /bin/sh wrapper: sets GCONV_PATH to
#                                                 /opt/debug/lib/gconv (glibc's Unicode and
#                                                 Latin gconv modules) and runs libexec/gdb
#   /opt/debug/lib/*                              every library `ldd` lists, the dynamic
#                                                 loader and libthread_db, named by soname
#   /opt/debug/share/gdb                          gdb's data directory (found relative to
#                                                 the binary: gdb is relocatable)
#   /opt/debug/lib/python3.X                      the Python standard library (.py only) that
#                                                 gdb's embedded Python needs to start
# Inputs: BUSYBOX, STRACE, GDB (default /bin/busybox, /usr/bin/strace, /usr/bin/gdb),
# patchelf, ldd, file; ACTOOL (default actool).
me=images/debug-tools
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../common.sh"

[ $# -ge 1 ] && [ $# -le 2 ] && [ -n "$1" ] || { echo "usage: $0 LAYOUT_DIR [OUT.aci]" >&2; exit 2; }
layout=$1 out=${2:-}

# --- inputs first ---------------------------------------------------------------
[ -z "$out" ] || require_actool
busybox=${BUSYBOX:-/bin/busybox} strace=${STRACE:-/usr/bin/strace} gdb=${GDB:-/usr/bin/gdb}
command -v file >/dev/null 2>&1 || die "the 'file' command is not found; install it with: apt-get install file"
command -v patchelf >/dev/null 2>&1 || die "patchelf not found; install it with: apt-get install patchelf"
command -v ldd >/dev/null 2>&1 || die "ldd not found; install it with: apt-get install libc-bin"
[ -f "$busybox" ] || die "$busybox not found; install it with: apt-get install busybox-static"
case $(file -bL "$busybox") in
    *"dynamically linked"* | *interpreter*)
        die "$busybox is dynamically linked (the 'busybox' package?); install the static one with: apt-get install busybox-static" ;;
esac
[ -x "$strace" ] || die "$strace not found; install it with: apt-get install strace"
[ -x "$gdb" ] || die "$gdb not found; install it with: apt-get install gdb"
for bin in "$strace" "$gdb"; do
    case $(file -bL "$bin") in
        ELF*interpreter*) ;;
        *) die "$bin is not a dynamically linked ELF binary; reinstall it with: apt-get install --reinstall $(basename "$bin")" ;;
    esac
done

# --- busybox part ---------------------------------------------------------------------
mkdir -p "$layout"
rootfs=$layout/rootfs
rm -rf "$rootfs" "$layout/manifest"
BUSYBOX=$busybox "$here/../busybox-tools/build.sh" --rootfs-only "$layout"

# --- strace, gdb and their libraries ----------------------------------------------------
prefix=/opt/debug
bindir=$rootfs$prefix/bin libdir=$rootfs$prefix/lib libexecdir=$rootfs$prefix/libexec
mkdir -p "$bindir" "$libdir" "$libexecdir"
interp=$(patchelf --print-interpreter "$gdb")
[ "$(patchelf --print-interpreter "$strace")" = "$interp" ] || die "strace and gdb use different dynamic loaders"

# copy_lib SONAME PATH: the library's bytes (symlinks followed) under the name the
# loader looks for.
copy_lib() {
    [ -f "$libdir/$1" ] && return 0
    install -m 0644 "$2" "$libdir/$1"
}
copy_lib "$(basename "$interp")" "$interp"
chmod 0755 "$libdir/$(basename "$interp")"
for bin in "$strace" "$gdb"; do
    deps=$(ldd "$bin") || die "ldd $bin failed"
    while read -r name arrow path _; do
        case $name in linux-vdso.so.* | linux-gate.so.*) continue ;; esac
        if [ "$arrow" = "=>" ]; then
            [ "$path" != "not" ] && [ -f "$path" ] || die "$bin needs $name, which is missing (ldd: $name => $path ...); reinstall it with: apt-get install --reinstall $(basename "$bin")"
            copy_lib "$name" "$path"
        fi
    done <<<"$deps"
    # strace goes to bin/ as is; gdb to libexec/, behind the wrapper below.
    dest=$bindir/$(basename "$bin")
    [ "$bin" = "$gdb" ] && dest=$libexecdir/gdb
    install -m 0755 "$bin" "$dest"
    # --force-rpath: DT_RPATH, which (unlike DT_RUNPATH) also serves the libraries'
    # own dependencies and dlopen.
    patchelf --set-interpreter "$prefix/lib/$(basename "$interp")" --force-rpath --set-rpath "$prefix/lib" "$dest"
done
# gdb converts names and strings to UTF-32 with iconv, which needs glibc's gconv modules;
# libc looks for them in /usr/lib/<triplet>/gconv (not ours, maybe not there at all)
# unless GCONV_PATH says otherwise. Hence a wrapper (run by the image's busybox sh).
# gdb finds its data directory and Python relative to /opt/debug/libexec as it would
# from /opt/debug/bin.
gconv=$(dirname "$(ldd "$gdb" | awk '$1 == "libc.so.6" { print $3 }')")/gconv
if [ -f "$gconv/gconv-modules" ]; then
    mkdir -p "$libdir/gconv"
    install -m 0644 "$gconv/gconv-modules" "$libdir/gconv/gconv-modules"
    for module in $(awk '$1 == "module" { print $4 }' "$gconv/gconv-modules" | sort -u); do
        if [ -f "$gconv/$module.so" ]; then install -m 0644 "$gconv/$module.so" "$libdir/gconv/$module.so"; fi
    done
fi
cat >"$bindir/gdb" <<WRAPPER
#!/bin/sh
# debug-tools: gdb with the gconv modules it needs; the real binary is $prefix/libexec/gdb.
GCONV_PATH=$prefix/lib/gconv\${GCONV_PATH:+:\$GCONV_PATH} exec $prefix/libexec/gdb "\$@"
WRAPPER
# gdb dlopens libthread_db to debug threaded programs.
thread_db=$(dirname "$(ldd "$gdb" | awk '$1 == "libc.so.6" { print $3 }')")/libthread_db.so.1
if [ -f "$thread_db" ]; then copy_lib libthread_db.so.1 "$thread_db"; fi

# gdb's data directory (syscall names, its Python modules), found relative to the
# binary. Only what the gdb package ships: auto-load/ holds other packages' files.
if [ -d /usr/share/gdb ]; then
    mkdir -p "$rootfs$prefix/share/gdb"
    for part in python syscalls system-gdbinit; do
        if [ -e "/usr/share/gdb/$part" ]; then cp -R "/usr/share/gdb/$part" "$rootfs$prefix/share/gdb/"; fi
    done
fi
# gdb's embedded Python aborts gdb if it cannot find its standard library; gdb sets
# Python's program name to $prefix/bin/python, so Python looks in $prefix/lib/python3.X.
pyver=$(ldd "$gdb" | sed -n 's/^[[:space:]]*libpython\([0-9][0-9.]*[0-9]\)\.so.*/\1/p' | head -n1)
pypackages=""
if [ -n "$pyver" ]; then
    stdlib=/usr/lib/python$pyver
    [ -f "$stdlib/os.py" ] || die "$stdlib/os.py not found (gdb's Python needs it); install it with: apt-get install libpython$pyver-stdlib"
    # Sources only (bytecode is not reproducible) of the two stdlib packages (other
    # packages add to that directory), without tests, GUI and packaging tools, and
    # without Debian's sitecustomize (a link into /etc).
    pypackages="libpython$pyver-minimal libpython$pyver-stdlib"
    # shellcheck disable=SC2086
    if files=$(dpkg-query -L $pypackages 2>/dev/null); then
        files=$(grep "^$stdlib/.*\.py\$" <<<"$files" | sed "s|^$stdlib/|./|")
    else
        pypackages=""
        files=$(cd "$stdlib" && find . -name '*.py')
    fi
    mkdir -p "$libdir/python$pyver/lib-dynload"
    grep -v -e '^\./test/' -e '/tests/' -e '^\./idlelib/' -e '^\./tkinter/' -e '^\./turtledemo/' \
        -e '^\./ensurepip/' -e '^\./lib2to3/' -e '^\./venv/' -e '^\./distutils/' \
        -e '^\./site-packages/' -e '^\./dist-packages/' -e '^\./config-' \
        -e '^\./sitecustomize\.py$' -e '^\./turtle\.py$' -e '^\./antigravity\.py$' <<<"$files" |
        sort -u | while IFS= read -r f; do
            [ -f "$stdlib/$f" ] || continue
            mkdir -p "$libdir/python$pyver/$(dirname "$f")"
            cp -L "$stdlib/$f" "$libdir/python$pyver/$f"
        done
fi

# --- explicit modes ----------------------------------------------------------------------
find "$rootfs$prefix" -type d -exec chmod 0755 {} +
find "$rootfs$prefix" -type f -exec chmod 0644 {} +
chmod 0755 "$bindir"/* "$libexecdir"/* "$libdir/$(basename "$interp")"
find "$libdir" -maxdepth 1 -type f -name '*.so*' -exec chmod 0755 {} +

# Links in /usr/local/bin, which is on every app's default PATH: injected into an app
# (whose environment, not this image's, applies) `strace` and `gdb` are found by name.
mkdir -p "$rootfs/usr/local/bin"
chmod 0755 "$rootfs/usr" "$rootfs/usr/local" "$rootfs/usr/local/bin"
for tool in strace gdb; do ln -sf "$prefix/bin/$tool" "$rootfs/usr/local/bin/$tool"; done

# --- manifest ----------------------------------------------------------------------------
arch=$(appc_arch)
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
packages="busybox-static=$(pkgver busybox-static) strace=$(pkgver strace) gdb=$(pkgver gdb) patchelf=$(pkgver patchelf)"
for p in $pypackages; do packages="$packages $p=$(pkgver "$p")"; done
# The version label follows gdb's upstream version, the biggest part: 13.1-3 -> 13.1.0-3.
finish_image "$here" "$layout" "$(appc_version "$(pkgver gdb)" pad)" "$arch" "$packages" "$out"
