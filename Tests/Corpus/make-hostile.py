#!/usr/bin/env python3
"""Writes the hostile-image corpus (Tests/Corpus/hostile/*.aci), run through every
command by PodIntegrationTests' HostileCorpus suite. Each image is named
localhost/hostile-NAME (discovery of a localhost name never leaves the machine),
depends on localhost/corpus-base (busybox, built by the test from the host's) and
runs /bin/true. Raw-byte names need Python's surrogate escapes, which Swift strings
cannot carry: that is why this corpus is made here. Run from the repository root;
the files are checked in, so this runs only when the corpus changes."""
import gzip, io, os, tarfile

OUT = "Tests/Corpus/hostile"
BASE_DEP = '"dependencies":[{"imageName":"localhost/corpus-base","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}]'

def manifest(name, extra=""):
    return ('{"acKind":"ImageManifest","acVersion":"0.8.11","name":"localhost/hostile-%s",'
            '"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],'
            '"app":{"exec":["/bin/true"],"user":"0","group":"0"},%s%s}' % (name, BASE_DEP, extra)).encode()

def entry(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644, uid=0, gid=0, dev=(0, 0)):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.uid, info.gid = kind, link, mode, uid, gid
    info.devmajor, info.devminor = dev
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if info.size else None)

def image(name, entries, manifest_entry=None, big=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape") as tar:
        tar.addfile(*(manifest_entry or entry("manifest", data=manifest(name))))
        tar.addfile(*entry("rootfs", tarfile.DIRTYPE, mode=0o755))
        for e in entries:
            tar.addfile(*e)
        if big:
            big_name, size = big
            info = tarfile.TarInfo(big_name)
            info.size = size
            tar.addfile(info, Zeros(size))
    with open(os.path.join(OUT, name + ".aci"), "wb") as out:
        out.write(gzip.compress(buffer.getvalue(), 9, mtime=0))

class Zeros(io.RawIOBase):
    def __init__(self, size): self.left = size
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n

D, F, S, H = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
os.makedirs(OUT, exist_ok=True)
image("dotdot", [entry("rootfs/../../hostile-escape", data=b"x"), entry("rootfs/a/../../../hostile-escape", data=b"x")])
image("absolute", [entry("/tmp/hostile-absolute", data=b"x"), entry("rootfs//tmp/ok", data=b"x")])
image("symlinked-parents", [
    entry("rootfs/up", S, link="../../../../../../.."), entry("rootfs/up/tmp/hostile-escape", data=b"x"),
    entry("rootfs/abs", S, link="/tmp"), entry("rootfs/abs/hostile-escape", data=b"x"), entry("rootfs/abs/d", D)])
chain = [entry("rootfs/l%d" % i, S, link="l%d" % (i + 1)) for i in range(40)] + [entry("rootfs/l40", S, link="/tmp")]
image("symlink-chain", chain + [entry("rootfs/l0/hostile-escape", data=b"x"), entry("rootfs/loop", S, link="loop"),
                                entry("rootfs/loop/x", data=b"x")])
image("hardlinks-outside", [
    entry("rootfs/h", H, link="rootfs/../../hostile-escape"), entry("rootfs/passwd", H, link="/etc/passwd"),
    entry("rootfs/etc-link", S, link="/etc"), entry("rootfs/shadow", H, link="rootfs/etc-link/passwd"),
    entry("rootfs/shadow", data=b"root::0:0::/:/bin/sh\n")])
image("devices-and-setuid", [
    entry("rootfs/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3)), entry("rootfs/sda", tarfile.BLKTYPE, mode=0o660, dev=(8, 0)),
    entry("rootfs/mem", tarfile.CHRTYPE, mode=0o666, dev=(1, 1)), entry("rootfs/fifo", tarfile.FIFOTYPE),
    entry("rootfs/suid", data=b"#!/bin/sh\nid\n", mode=0o4755), entry("rootfs/sgid-dir", D, mode=0o2777, gid=50)])
image("duplicate-types", [
    entry("rootfs/t", D), entry("rootfs/t/inner", data=b"x"), entry("rootfs/t", data=b"file"), entry("rootfs/t", S, link="/"),
    entry("rootfs/t/hostile-escape", data=b"x"), entry("rootfs/t", D), entry("rootfs/t", tarfile.FIFOTYPE),
    entry("rootfs/u", data=b"a"), entry("rootfs/u", H, link="rootfs/u")])
image("odd-names", [
    entry("rootfs/\udcff\udcfe", data=b"not utf-8"), entry("rootfs/caf\udce9", data=b"latin-1"),
    entry("rootfs/" + "n" * 300, data=b"over NAME_MAX"), entry("rootfs/" + "/".join(["d" * 200] * 25) + "/deep", data=b"over PATH_MAX"),
    entry("rootfs/new\nline", data=b"x"), entry("rootfs/-rf", data=b"x")])
image("huge-manifest", [], manifest_entry=entry("manifest", data=manifest("huge-manifest", ',"annotations":[{"name":"big","value":"' + "x" * (17 << 20) + '"}]')))
image("manifest-not-a-file", [], manifest_entry=entry("manifest", S, link="/etc/passwd"))
image("bomb", [], big=("rootfs/zeros", 256 << 20))
