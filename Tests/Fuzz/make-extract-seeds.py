#!/usr/bin/env python3
"""Writes the extract target's seed corpus (Tests/Fuzz/extract-corpus): small
uncompressed image archives, each trying one way out of the root. Run from the
repository's root; the files are checked in, so this runs only when seeds change."""
import io, os, tarfile

MANIFEST = b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/seed"}'

def entry(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644, uid=0, gid=0, dev=(0, 0)):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.uid, info.gid = kind, link, mode, uid, gid
    info.devmajor, info.devminor = dev
    info.size = len(data) if kind in (tarfile.REGTYPE,) else 0
    return info, (io.BytesIO(data) if info.size else None)

def seed(name, entries, fmt=tarfile.GNU_FORMAT):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        tar.addfile(*entry("manifest", data=MANIFEST))
        tar.addfile(*entry("rootfs", tarfile.DIRTYPE, mode=0o755))
        for e in entries:
            tar.addfile(*e)
    with open(os.path.join("Tests/Fuzz/extract-corpus", name), "wb") as out:
        out.write(buffer.getvalue())

D, F, S, H = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
seed("plain", [entry("rootfs/etc", D, mode=0o755), entry("rootfs/etc/hosts", data=b"127.0.0.1 localhost\n"),
               entry("rootfs/bin", D, mode=0o755), entry("rootfs/bin/sh", data=b"\x7fELF", mode=0o755),
               entry("rootfs/bin/ash", H, link="rootfs/bin/sh"), entry("rootfs/sh", S, link="bin/sh")])
seed("dotdot", [entry("rootfs/../../canary", data=b"x"), entry("rootfs/a/../../../b", data=b"x")])
seed("absolute", [entry("/tmp/escape", data=b"x"), entry("rootfs//abs", data=b"x")])
seed("symlink-parent-relative", [entry("rootfs/up", S, link="../../.."), entry("rootfs/up/canary", data=b"x"),
                                 entry("rootfs/up/b/escape", data=b"x")])
seed("symlink-parent-absolute", [entry("rootfs/abs", S, link="/tmp"), entry("rootfs/abs/escape", data=b"x"),
                                 entry("rootfs/abs/dir", D, mode=0o755)])
seed("symlink-chain", [entry("rootfs/d", D, mode=0o755), entry("rootfs/d/one", S, link="../two"),
                       entry("rootfs/two", S, link="d/.."), entry("rootfs/three", S, link="two/.."),
                       entry("rootfs/three/escape", data=b"x"), entry("rootfs/d/one/escape", data=b"x")])
seed("symlink-replaced-by-file", [entry("rootfs/x", S, link="../../canary"), entry("rootfs/x", data=b"over"),
                                  entry("rootfs/y", S, link=".."), entry("rootfs/y", D, mode=0o755),
                                  entry("rootfs/y/escape", data=b"x")])
seed("hardlink-outside", [entry("rootfs/h", H, link="rootfs/../../canary"), entry("rootfs/h2", H, link="/etc/passwd"),
                          entry("rootfs/s", S, link="../canary"), entry("rootfs/h3", H, link="rootfs/s"),
                          entry("rootfs/h3", data=b"write through")])
seed("hardlink-through-symlink", [entry("rootfs/up", S, link=".."), entry("rootfs/h", H, link="rootfs/up/canary")])
seed("devices", [entry("rootfs/dev", D, mode=0o755), entry("rootfs/dev/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3)),
                 entry("rootfs/dev/sda", tarfile.BLKTYPE, mode=0o660, dev=(8, 0)), entry("rootfs/fifo", tarfile.FIFOTYPE),
                 entry("rootfs/dev/null", data=b"write into a device?")])
seed("setuid", [entry("rootfs/su", data=b"x", mode=0o4755, uid=1000, gid=1000),
                entry("rootfs/sg", D, mode=0o2775, uid=0, gid=50)])
seed("types-change", [entry("rootfs/t", D, mode=0o755), entry("rootfs/t/inner", data=b"x"), entry("rootfs/t", data=b"file"),
                      entry("rootfs/t", S, link="/"), entry("rootfs/t/inner2", data=b"x"), entry("rootfs/t", D, mode=0o755)])
seed("rootfs-symlink", [entry("rootfs", S, link="/tmp"), entry("rootfs/escape", data=b"x")])
seed("pax-long-names", [entry("rootfs/" + "n" * 200 + "/../../" * 3 + "escape", data=b"x"),
                        entry("rootfs/" + "d/" * 60 + "deep", data=b"x"), entry("rootfs/\xff\xfe", data=b"x")],
     fmt=tarfile.PAX_FORMAT)
