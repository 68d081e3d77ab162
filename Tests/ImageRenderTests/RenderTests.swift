import Glibc
import ImageKit
import ImageStore
import TestSupport
import Testing

@testable import ImageRender

/// Choosing files (appc-spec.md §7.2) and the tree store layout (rkt-runtime.md §4.2).
struct RenderTests {
    @Test func firstImageInTheListWinsEachPath() throws {
        let f = try Fixture()
        let keys = try DependencyTests.abcd(f)
        let tree = try f.treeStore().render(key: keys.a)
        #expect(readText(tree.rootfs + "/etc/who") == "A")  // A's own files win
        #expect(readText(tree.rootfs + "/cdb") == "C")  // then C
        #expect(readText(tree.rootfs + "/db") == "D")  // then D (C's dependency)
        #expect(readText(tree.rootfs + "/b") == "B")  // then B
        #expect(allPaths(below: tree.rootfs) == ["a", "b", "c", "cdb", "d", "d2", "db", "etc", "etc/who"])
    }

    @Test func lastDeclaredSiblingWins() throws {
        let f = try Fixture()
        _ = try f.image(manifestJSON("example.com/tools"), [.directory("rootfs/etc"), .file("rootfs/etc/who", "tools")])
        _ = try f.image(manifestJSON("example.com/tools2"), [.directory("rootfs/etc"), .file("rootfs/etc/who", "tools2")])
        let app = try f.image(manifestJSON("example.com/app", deps: [Dep(name: "example.com/tools"), Dep(name: "example.com/tools2")]), [])
        let tree = try f.treeStore().render(key: app)
        #expect(readText(tree.rootfs + "/etc/who") == "tools2")
    }

    @Test func directoriesAreMergedWithTheUpperImagesMetadata() throws {
        let f = try Fixture()
        _ = try f.image(
            manifestJSON("example.com/lower"),
            [
                TarWriter.Entry.directory("rootfs/shared").with(mode: 0o700, mtime: 1000), .file("rootfs/shared/lower", "l"),
                .directory("rootfs/shared/deep"), .file("rootfs/shared/deep/x", "x"),
            ])
        let top = try f.image(
            manifestJSON("example.com/top", deps: [Dep(name: "example.com/lower")]),
            [
                TarWriter.Entry.directory("rootfs/shared").with(mode: 0o751, mtime: 2000), .file("rootfs/shared/upper", "u"),
            ])
        let tree = try f.treeStore().render(key: top)
        #expect(allPaths(below: tree.rootfs) == ["shared", "shared/deep", "shared/deep/x", "shared/lower", "shared/upper"])
        let info = try #require(lstatOf(tree.rootfs + "/shared"))
        #expect(info.st_mode & 0o7777 == 0o751)
        #expect(info.st_mtim.tv_sec == 2000)
    }

    @Test func nonDirectoryParentMasksLowerTrees() throws {
        let f = try Fixture()
        let outside = f.dir.file("outside")
        #expect(mkdir(outside, 0o755) == 0)
        _ = try f.image(
            manifestJSON("example.com/lower"),
            [
                .directory("rootfs/x"), .file("rootfs/x/y", "hidden"), .directory("rootfs/f"), .file("rootfs/f/g", "hidden"),
                .directory("rootfs/keep"), .file("rootfs/keep/k", "k"),
            ])
        let top = try f.image(
            manifestJSON("example.com/top", deps: [Dep(name: "example.com/lower")]),
            [
                .symlink("rootfs/x", to: outside), .file("rootfs/f", "a file"),
            ])
        let tree = try f.treeStore().render(key: top)
        #expect(allPaths(below: tree.rootfs) == ["f", "keep", "keep/k", "x"])
        #expect(readText(tree.rootfs + "/f") == "a file")
        #expect(names(in: outside).isEmpty)
    }

    @Test func ownWhitelistFiltersNonDirectoriesOnly() throws {
        let f = try Fixture()
        let key = try f.image(
            manifestJSON("example.com/wl", whitelist: ["/etc/keep/", "/bin"]),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/keep", "k"), .file("rootfs/etc/drop", "d"), .directory("rootfs/var"),
                .directory("rootfs/bin"), .symlink("rootfs/link", to: "etc/keep"),
            ])
        let tree = try f.treeStore().render(key: key)
        #expect(allPaths(below: tree.rootfs) == ["bin", "etc", "etc/keep", "var"])
    }

    /// rkt-runtime.md §4.2's observed example: app2 whitelists /etc/own, /etc/who and
    /// /tools/busybox and depends on [tools, tools2].
    @Test func observedWhitelistExample() throws {
        let f = try Fixture()
        _ = try f.image(
            manifestJSON("example.com/tools"),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/who", "tools"), .file("rootfs/etc/t1only", "t1"),
                .directory("rootfs/tools"), .file("rootfs/tools/busybox", "busybox"), .file("rootfs/tools/sh", "sh"),
            ])
        _ = try f.image(
            manifestJSON("example.com/tools2"),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/who", "tools2"), .file("rootfs/etc/t2only", "t2"),
            ])
        let app2 = try f.image(
            manifestJSON(
                "example.com/app2", deps: [Dep(name: "example.com/tools"), Dep(name: "example.com/tools2")],
                whitelist: ["/etc/own", "/etc/who", "/tools/busybox"]),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/own", "own"), .file("rootfs/etc/apponly", "apponly"),
            ])
        let tree = try f.treeStore().render(key: app2)
        #expect(allPaths(below: tree.rootfs) == ["etc", "etc/own", "etc/who", "tools", "tools/busybox"])
        #expect(readText(tree.rootfs + "/etc/who") == "tools2")
        // tools' `rootfs/tools` directory entry is not listed, so the directory is made as a plain parent.
        #expect(lstatOf(tree.rootfs + "/tools").map { $0.st_mode & 0o7777 } == 0o755)
    }

    /// acirenderer's quirk: an earlier sibling with dependencies of its own passes its
    /// whitelist on to a later sibling (`A -> [B, C]`, `C -> [D]`, only C whitelisted).
    @Test func upperWhitelistLeaksOntoALaterSibling() throws {
        let f = try Fixture()
        let keys = try DependencyTests.abcd(f, whitelistC: ["/c", "/cdb", "/d", "/etc", "/b"])
        let tree = try f.treeStore().render(key: keys.a)
        // C's own files pass its whitelist; D keeps only listed entries (d, not d2, db);
        // B (a sibling of C, not below it) is filtered by C's list too: only /b passes.
        #expect(allPaths(below: tree.rootfs) == ["a", "b", "c", "cdb", "d", "etc", "etc/who"])
        #expect(readText(tree.rootfs + "/b") == "B")
        #expect(readText(tree.rootfs + "/etc/who") == "A")
    }

    @Test func treeStoreEntryLayout() throws {
        let f = try Fixture()
        let manifest = manifestJSON("example.com/layout")
        let key = try f.image(manifest, [.file("rootfs/x", "x")])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        #expect(tree.path == f.store.casDirectory + "/tree/" + tree.id)
        #expect(names(in: tree.path) == ["hash", "image", "manifest", "rendered", "rootfs"])
        #expect(readText(tree.path + "/manifest") == manifest)
        #expect(readText(tree.path + "/image") == key)
        #expect(readText(tree.path + "/rendered") == "")
        #expect(readText(tree.path + "/hash")?.hasPrefix("sha512-") == true)
        #expect(readText(tree.path + "/hash")?.count == 71)
        #expect(store.isRendered(tree.id))
        #expect(store.treeIDs() == [tree.id])
    }

    @Test func renderIsCachedAndTreesShareLayerInodes() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/cached"), [.file("rootfs/x", "x")])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        let flag = try #require(lstatOf(tree.path + "/rendered"))
        #expect(try store.render(key: key) == tree)
        #expect(store.layerExtractions == 1)
        #expect(lstatOf(tree.path + "/rendered")?.st_ino == flag.st_ino)
        // The tree's file is the layer's inode (hard link), not a copy.
        let layerFile = try #require(lstatOf(f.store.casDirectory + "/layers/" + key + "/rootfs/x"))
        #expect(lstatOf(tree.rootfs + "/x")?.st_ino == layerFile.st_ino)
    }

    @Test func metadataIsRestored() throws {
        let f = try Fixture()
        let key = try f.image(
            manifestJSON("example.com/meta"),
            [
                TarWriter.Entry.directory("rootfs/d").with(mode: 0o750, mtime: 1_000_000),
                TarWriter.Entry.file("rootfs/d/f", "content", mode: 0o640).with(mtime: 1_234_567_890),
                TarWriter.Entry.symlink("rootfs/d/l", to: "f").with(mtime: 1_111_111),
                TarWriter.Entry(name: "rootfs/fifo", kind: .fifo, mode: 0o620).with(mtime: 42),
            ], rootfsMode: 0o711)
        let store = f.treeStore()
        let tree = try store.render(key: key)
        let out = f.dir.file("copy")
        try store.renderCopy(key: key, to: out, rootfsOnly: true, overwrite: false)
        for root in [tree.rootfs, out] {
            #expect(lstatOf(root).map { $0.st_mode & 0o7777 } == 0o711)
            let d = try #require(lstatOf(root + "/d"))
            #expect(d.st_mode & 0o7777 == 0o750 && d.st_mtim.tv_sec == 1_000_000)
            let file = try #require(lstatOf(root + "/d/f"))
            #expect(file.st_mode & 0o7777 == 0o640 && file.st_mtim.tv_sec == 1_234_567_890)
            let link = try #require(lstatOf(root + "/d/l"))
            #expect(link.st_mode & S_IFMT == S_IFLNK && link.st_mtim.tv_sec == 1_111_111)
            let fifo = try #require(lstatOf(root + "/fifo"))
            #expect(fifo.st_mode & S_IFMT == S_IFIFO && fifo.st_mode & 0o7777 == 0o620 && fifo.st_mtim.tv_sec == 42)
        }
    }

    @Test func hardlinksWithinTheImageStayLinked() throws {
        let f = try Fixture()
        let key = try f.image(
            manifestJSON("example.com/links"),
            [
                .directory("rootfs/bin"), .file("rootfs/bin/busybox", "bb", mode: 0o755), .hardlink("rootfs/bin/sh", to: "rootfs/bin/busybox"),
            ])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        let out = f.dir.file("copy")
        try store.renderCopy(key: key, to: out, rootfsOnly: false, overwrite: false)
        for root in [tree.rootfs, out + "/rootfs"] {
            let a = try #require(lstatOf(root + "/bin/busybox")), b = try #require(lstatOf(root + "/bin/sh"))
            #expect(a.st_ino == b.st_ino)
            #expect(readText(root + "/bin/sh") == "bb")
        }
        #expect(lstatOf(out + "/rootfs/bin/sh")?.st_ino != lstatOf(tree.rootfs + "/bin/sh")?.st_ino)
    }

    @Test func unusualNamesSurvive() throws {
        let f = try Fixture()
        let key = try f.image(
            manifestJSON("example.com/names"),
            [
                .file("rootfs/caf\u{e9}", "e"), .file("rootfs/with space", "s"), .file("rootfs/per%cent", "p"), .file("rootfs/new\nline", "n"),
            ])
        let tree = try f.treeStore().render(key: key)
        #expect(allPaths(below: tree.rootfs) == ["caf\u{e9}", "new\nline", "per%cent", "with space"])
        #expect(try f.treeStore().verify(key: key) == tree.id)
    }

    @Test func layerIndexRoundTrips() {
        var index = LayerIndex(privileged: true, entries: [])
        index.entries.append(LayerEntry(kind: .directory, path: [], mode: 0o755, uid: 0, gid: 0, mtime: 1, mtimeNanoseconds: 2))
        var file = LayerEntry(kind: .file, path: Array("a b/%x\n\u{1}".utf8) + [0xff], mode: 0o4755, uid: 7, gid: 8, mtime: -5, mtimeNanoseconds: 0)
        file.size = 99
        file.digest = String(repeating: "ab", count: 64)
        index.entries.append(file)
        var link = LayerEntry(kind: .symlink, path: Array("l".utf8), mode: 0o777, uid: 0, gid: 0, mtime: 0, mtimeNanoseconds: 0)
        link.target = Array("=- ../x y".utf8)
        index.entries.append(link)
        var device = LayerEntry(kind: .characterDevice, path: Array("dev/null".utf8), mode: 0o666, uid: 0, gid: 0, mtime: 0, mtimeNanoseconds: 0)
        device.major = 1
        device.minor = 3
        index.entries.append(device)
        #expect(LayerIndex.decode(index.encoded()) == index)
        #expect(LayerIndex.decode(Array("garbage\n".utf8)) == nil)
    }
}
