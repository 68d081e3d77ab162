import Glibc
import ImageKit
import ImageStore
import TestSupport
import Testing

@testable import ImageRender

/// Hostile archives: nothing may be created outside the target. Each test extracts
/// inside `f.dir/box/` and checks `f.dir/outside/` and the box's parent afterwards.
struct SafetyTests {
    /// A sentinel directory with a file that must stay untouched.
    static func outside(_ f: Fixture) -> String {
        let path = f.dir.file("outside")
        mkdir(path, 0o755)
        try? Sys.writeFile(path + "/secret", Array("secret".utf8))
        return path
    }

    static func untouched(_ outside: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(names(in: outside) == ["secret"], sourceLocation: sourceLocation)
        #expect(readText(outside + "/secret") == "secret", sourceLocation: sourceLocation)
        #expect(lstatOf(outside + "/secret")?.st_nlink == 1, sourceLocation: sourceLocation)
    }

    /// Extracts a raw archive (not through the store: the store's validator already
    /// rejects these names) into a fresh `box/target`.
    static func extractRaw(_ f: Fixture, _ entries: [TarWriter.Entry]) throws -> (target: String, error: RenderError?) {
        let box = f.dir.file("box")
        mkdir(box, 0o755)
        let target = box + "/target"
        mkdir(target, 0o755)
        let archive = try f.archive(entries)
        let error = caught {
            let output = try OutputTree(path: target, privileges: .process)
            _ = try LayerExtractor.extract(archive: archive, into: output, limit: 1 << 30)
        }
        #expect(names(in: box) == ["target"])
        return (target, error)
    }

    @Test func dotDotNamesAreRefused() throws {
        let f = try Fixture()
        let outside = Self.outside(f)
        let result = try Self.extractRaw(
            f,
            [
                .file("manifest", manifestJSON("example.com/evil")), .directory("rootfs"),
                .file("rootfs/../../../outside/escape", "x"),
            ])
        #expect(result.error == .unsafeEntry(name: "rootfs/../../../outside/escape", reason: "name leaves the image"))
        Self.untouched(outside)
        // `rootfs/../rootfs/x` stays inside and is simply `rootfs/x`.
        let g = try Fixture()
        let fine = try Self.extractRaw(g, [.directory("rootfs"), .file("rootfs/../rootfs/x", "x")])
        #expect(fine.error == nil)
        #expect(allPaths(below: fine.target) == ["x"])
    }

    @Test func absoluteNamesAreRefused() throws {
        let f = try Fixture()
        let outside = Self.outside(f)
        let result = try Self.extractRaw(f, [.directory("rootfs"), .file(outside + "/abs", "x")])
        #expect(result.error == .unsafeEntry(name: outside + "/abs", reason: "absolute name"))
        Self.untouched(outside)
        #expect(allPaths(below: result.target).isEmpty)
    }

    @Test func symlinkedParentsAreNeverFollowed() throws {
        let f = try Fixture()
        let outside = Self.outside(f)
        let key = try f.image(
            manifestJSON("example.com/evil"),
            [
                .symlink("rootfs/abs", to: outside), .file("rootfs/abs/evil", "x"),
                .symlink("rootfs/rel", to: "../../../../../../../../.." + outside), .directory("rootfs/rel/sub"), .file("rootfs/rel/evil2", "x"),
                .directory("rootfs/d"), .symlink("rootfs/d/up", to: ".."), .file("rootfs/d/up/evil3", "x"),
            ])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        #expect(allPaths(below: tree.rootfs) == ["abs", "d", "d/up", "rel"])
        try store.extract(key: key, to: f.dir.file("box/x"), rootfsOnly: true, overwrite: false)
        try store.renderCopy(key: key, to: f.dir.file("box/y"), rootfsOnly: false, overwrite: false)
        #expect(allPaths(below: f.dir.file("box/x")) == ["abs", "d", "d/up", "rel"])
        #expect(names(in: f.dir.file("box")) == ["x", "y"])
        Self.untouched(outside)
    }

    @Test func laterEntryDoesNotWriteThroughASymlink() throws {
        let f = try Fixture()
        let outside = Self.outside(f)
        let result = try Self.extractRaw(
            f,
            [
                .directory("rootfs"), .symlink("rootfs/s", to: outside + "/secret"), .file("rootfs/s", "pwned"),
                .symlink("rootfs/t", to: outside), .directory("rootfs/t"),
            ])
        // The file replaced the link; a directory over a link is a conflict.
        #expect(result.error == .conflict(name: "t"))
        #expect(readText(result.target + "/s") == "pwned")
        #expect(lstatOf(result.target + "/s").map { $0.st_mode & S_IFMT } == S_IFREG)
        Self.untouched(outside)
    }

    @Test func hardlinksToOutsidePathsAreRefused() throws {
        let f = try Fixture()
        let outside = Self.outside(f)
        let store = f.treeStore()
        // Link names are not checked by the store's validator: these import fine.
        let absolute = try f.image(manifestJSON("example.com/h1"), [.hardlink("rootfs/h", to: outside + "/secret")])
        let climbing = try f.image(manifestJSON("example.com/h2"), [.hardlink("rootfs/h", to: "rootfs/../../../../../../../.." + outside + "/secret")])
        let viaLink = try f.image(manifestJSON("example.com/h3"), [.symlink("rootfs/l", to: outside), .hardlink("rootfs/h", to: "rootfs/l/secret")])
        let manifestLink = try f.image(manifestJSON("example.com/h4"), [.hardlink("rootfs/h", to: "manifest")])
        for key in [absolute, climbing, viaLink, manifestLink] {
            let error = caught { _ = try store.render(key: key) }
            switch error {
            case .unsafeEntry?, .missingLinkTarget?: break
            default: Issue.record("expected a refusal, got \(String(describing: error))")
            }
            #expect(caught { try store.extract(key: key, to: f.dir.file("box/out"), rootfsOnly: true, overwrite: true) } != nil)
        }
        #expect(caught { _ = try store.render(key: absolute) }?.description.contains("hardlink to outside path") == true)
        Self.untouched(outside)
        #expect(names(in: f.store.casDirectory + "/tree").isEmpty)
        #expect(names(in: f.store.casDirectory + "/layers").isEmpty)
        #expect(names(in: f.dir.file("box")).isEmpty)
    }

    @Test func decompressionBombIsBounded() throws {
        let f = try Fixture()
        // A 10 GiB sparse member: a few KiB of tar.
        let layout = f.dir.file("bomb")
        let created = shell(
            """
            set -e; mkdir -p '\(layout)/rootfs'; printf '%s' '\(manifestJSON("example.com/bomb"))' > '\(layout)/manifest'
            truncate -s 10G '\(layout)/rootfs/bomb'
            tar --sparse --format=posix -C '\(layout)' -cf '\(f.dir.file("bomb.aci"))' manifest rootfs
            """)
        #expect(created == 0)
        let key = try f.store.importImage(from: f.dir.file("bomb.aci")).key
        let store = f.treeStore()
        #expect(store.maxExtractedBytes == ImageStore.maxImageSize)
        store.maxExtractedBytes = 1 << 30
        let start = clock()
        let error = caught { _ = try store.render(key: key) }
        #expect(error == .tooLarge(limit: 1 << 30))
        #expect(error?.description.contains("RKT_MAX_IMAGE_SIZE") == true)
        #expect(Double(clock() - start) / Double(CLOCKS_PER_SEC) < 2)
        #expect(names(in: f.store.casDirectory + "/layers").isEmpty)
        #expect(names(in: f.store.casDirectory + "/tree").isEmpty)
        #expect(caught { try store.extract(key: key, to: f.dir.file("out"), rootfsOnly: false, overwrite: false) } == .tooLarge(limit: 1 << 30))
        #expect(!exists(f.dir.file("out")))
    }

    // MARK: Root only (RootGate: skipped without root, failed when root is required)

    static func requireRoot(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let root = geteuid() == 0
        #expect(root, "this test needs root", sourceLocation: sourceLocation)
        return root
    }

    static func deviceImage(_ f: Fixture) throws -> String {
        try f.image(
            manifestJSON("example.com/dev"),
            [
                .directory("rootfs/dev"), TarWriter.Entry(name: "rootfs/dev/null", kind: .characterDevice(major: 1, minor: 3), mode: 0o666),
                TarWriter.Entry(name: "rootfs/dev/loop9", kind: .blockDevice(major: 7, minor: 9), mode: 0o660),
                TarWriter.Entry(name: "rootfs/fifo", kind: .fifo, mode: 0o644),
                TarWriter.Entry.file("rootfs/suid", "#!/bin/sh\n", mode: 0o4755), TarWriter.Entry.file("rootfs/sgid", "x", mode: 0o2755),
                TarWriter.Entry.file("rootfs/owned", "o").with(uid: 1234, gid: 5678),
                TarWriter.Entry.directory("rootfs/home").with(uid: 1000, gid: 1000),
            ])
    }

    @Test(.needsRoot) func rootDevicesOwnersAndSetuidAreKeptInTheTree() throws {
        guard Self.requireRoot() else { return }
        let f = try Fixture()
        let key = try Self.deviceImage(f)
        let store = f.treeStore()
        let tree = try store.render(key: key)
        for root in [tree.rootfs, f.store.casDirectory + "/layers/" + key + "/rootfs"] {
            let null = try #require(lstatOf(root + "/dev/null"))
            #expect(null.st_mode & S_IFMT == S_IFCHR && clinuxMajor(null.st_rdev) == 1 && clinuxMinor(null.st_rdev) == 3)
            #expect(lstatOf(root + "/dev/loop9").map { $0.st_mode & S_IFMT } == S_IFBLK)
            #expect(lstatOf(root + "/suid").map { $0.st_mode & 0o7777 } == 0o4755)
            #expect(lstatOf(root + "/sgid").map { $0.st_mode & 0o7777 } == 0o2755)
            let owned = try #require(lstatOf(root + "/owned"))
            #expect(owned.st_uid == 1234 && owned.st_gid == 5678)
            #expect(lstatOf(root + "/home").map { $0.st_uid } == 1000)
        }
        #expect(try store.verify(key: key) == tree.id)
        // A copy into a root-owned place keeps them too.
        let out = f.dir.file("rootowned")
        try store.extract(key: key, to: out, rootfsOnly: true, overwrite: false)
        #expect(lstatOf(out + "/dev/null").map { $0.st_mode & S_IFMT } == S_IFCHR)
        #expect(lstatOf(out + "/suid").map { $0.st_mode & 0o7777 } == 0o4755)
    }

    @Test(.needsRoot) func rootOutputOwnedByAUserGetsNoDevicesNorSetuid() throws {
        guard Self.requireRoot() else { return }
        let f = try Fixture()
        let key = try Self.deviceImage(f)
        let home = f.dir.file("home")
        #expect(mkdir(home, 0o755) == 0 && chown(home, 1000, 1000) == 0)
        let store = f.treeStore()
        for (index, rootfsOnly) in [true, false].enumerated() {
            let out = home + "/out\(index)"
            try store.extract(key: key, to: out, rootfsOnly: rootfsOnly, overwrite: false)
            try store.renderCopy(key: key, to: out + "-rendered", rootfsOnly: rootfsOnly, overwrite: false)
            for root in [out, out + "-rendered"].map({ rootfsOnly ? $0 : $0 + "/rootfs" }) {
                #expect(!exists(root + "/dev/null") && !exists(root + "/dev/loop9"))
                #expect(lstatOf(root + "/fifo").map { $0.st_mode & S_IFMT } == S_IFIFO)
                #expect(lstatOf(root + "/suid").map { $0.st_mode & 0o7777 } == 0o755)
                #expect(lstatOf(root + "/sgid").map { $0.st_mode & 0o7777 } == 0o755)
                #expect(lstatOf(root + "/owned").map { $0.st_uid } == 1234)
            }
        }
    }
}

func clinuxMajor(_ dev: dev_t) -> UInt32 { UInt32((dev >> 8) & 0xfff) | UInt32((dev >> 32) & ~0xfff) }
func clinuxMinor(_ dev: dev_t) -> UInt32 { UInt32(dev & 0xff) | UInt32((dev >> 12) & ~0xff) }

/// Bombs made of structure, not bytes: a few hundred bytes of image holding a 2 GiB
/// sparse file, and directories 3000 deep.
struct StructureBombTests {
    /// Disk space `path` takes (allocated blocks), in bytes.
    static func allocated(_ path: String) -> Int64 { Int64(lstatOf(path)?.st_blocks ?? -1) * 512 }

    @Test func sparseFilesStaySparse() throws {
        let f = try Fixture()
        let source = f.dir.file("source")
        mkdir(source, 0o755)
        mkdir(source + "/rootfs", 0o755)
        try Sys.writeFile(source + "/manifest", Array(manifestJSON("example.com/sparse").utf8))
        let big = open(source + "/rootfs/big", O_WRONLY | O_CREAT, 0o644)
        #expect(big >= 0 && ftruncate(big, 2 << 30) == 0 && pwrite(big, "end", 3, (2 << 30) - 3) == 3)
        close(big)
        let image = f.dir.file("sparse.aci")
        #expect(shell("cd '\(source)' && tar --sparse --format=gnu -czf '\(image)' manifest rootfs") == 0)
        #expect((lstatOf(image)?.st_size ?? .max) < 4096, "the image is a few hundred bytes")
        let key = try f.store.importImage(from: image).key
        let tree = try f.treeStore().render(key: key)
        #expect(lstatOf(tree.rootfs + "/big")?.st_size == 2 << 30)
        #expect(Self.allocated(tree.rootfs + "/big") < 10 << 20, "rendered densely: \(Self.allocated(tree.rootfs + "/big")) bytes")
        let copy = f.dir.file("copy")
        try f.treeStore().renderCopy(key: key, to: copy, rootfsOnly: true, overwrite: false)
        #expect(lstatOf(copy + "/big")?.st_size == 2 << 30)
        #expect(Self.allocated(copy + "/big") < 10 << 20, "copied densely: \(Self.allocated(copy + "/big")) bytes")
        let fd = open(copy + "/big", O_RDONLY)
        defer { close(fd) }
        var head = [UInt8](repeating: 1, count: 4096), tail = [UInt8](repeating: 0, count: 3)
        #expect(pread(fd, &head, 4096, 0) == 4096 && head.allSatisfy { $0 == 0 })
        #expect(pread(fd, &tail, 3, (2 << 30) - 3) == 3 && tail == Array("end".utf8))
    }

    /// Each entry costs the same whatever its depth (a guard against going quadratic or
    /// cubic in the depth again; Benchmarks/render-bombs.sh times it).
    @Test(.timeLimit(.minutes(1))) func deepNestingRenders() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/deep"), TarWriter.Entry.nested(depth: 3000, leaf: "leaf", "deep\n"))
        let tree = try f.treeStore().render(key: key)
        let leaf = String(repeating: "/d", count: 3000) + "/leaf"
        let fd = open(tree.rootfs, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        // Too long for one path: walk it in pieces.
        var dir = dup(fd)
        for _ in 0..<3000 {
            let next = openat(dir, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            close(dir)
            dir = next
            if dir < 0 { break }
        }
        #expect(dir >= 0 && faccessat(dir, "leaf", F_OK, 0) == 0, "\(leaf.count) bytes deep")
        if dir >= 0 { close(dir) }
        try f.treeStore().renderCopy(key: key, to: f.dir.file("copy"), rootfsOnly: true, overwrite: false)
    }
}
