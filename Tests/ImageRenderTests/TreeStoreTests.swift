import Foundation
import Glibc
import ImageKit
import ImageStore
import TestSupport
import Testing

@testable import ImageRender

/// Layer reuse, copies for `image render` / `image extract`, verify, gc.
struct TreeStoreTests {
    @Test func aNewSmallDependencyExtractsOnlyItself() throws {
        let f = try Fixture()
        _ = try f.image(manifestJSON("example.com/tools", labels: ["version": "1"]), [.file("rootfs/tool", "v1")])
        let app = try f.image(manifestJSON("example.com/app", deps: [Dep(name: "example.com/tools")]), [.file("rootfs/app", "app")])
        let first = try f.treeStore().render(key: app)
        let appLayer = f.store.casDirectory + "/layers/" + app
        let before = try #require(lstatOf(appLayer + "/rootfs/app"))
        let beforeDir = try #require(lstatOf(appLayer))

        _ = try f.image(manifestJSON("example.com/tools", labels: ["version": "2"]), [.file("rootfs/tool", "v2")])
        let store = f.treeStore()
        let second = try store.render(key: app)
        #expect(second.id != first.id)
        #expect(store.layerExtractions == 1)  // tools v2 only
        #expect(readText(second.rootfs + "/tool") == "v2")
        #expect(readText(first.rootfs + "/tool") == "v1")
        #expect(lstatOf(appLayer + "/rootfs/app")?.st_ino == before.st_ino)
        #expect(lstatOf(appLayer)?.st_ino == beforeDir.st_ino)
        #expect(lstatOf(second.rootfs + "/app")?.st_ino == before.st_ino)
    }

    @Test func damagedLayerIsExtractedAgain() throws {
        let f = try Fixture()
        let tools = try f.image(manifestJSON("example.com/tools"), [.file("rootfs/tool", "tool"), .file("rootfs/other", "o")])
        let app = try f.image(manifestJSON("example.com/app", deps: [Dep(name: "example.com/tools")]), [])
        _ = try f.treeStore().render(key: tools)
        #expect(unlink(f.store.casDirectory + "/layers/" + tools + "/rootfs/other") == 0)
        let store = f.treeStore()
        let tree = try store.render(key: app)
        #expect(store.layerExtractions == 2)  // app (new) and tools (damaged)
        #expect(readText(tree.rootfs + "/other") == "o")
        // A layer without its completion marker does not count either.
        #expect(unlink(f.store.casDirectory + "/layers/" + tools + "/complete") == 0)
        let again = f.treeStore()
        _ = try again.render(key: tools, rebuild: true)
        #expect(again.layerExtractions == 1)
    }

    @Test func concurrentRendersShareTheWork() throws {
        let f = try Fixture()
        let keys = try DependencyTests.abcd(f)
        let imageStore = f.store, top = keys.a
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            let store = TreeStore(store: imageStore)
            results.add(i, Result { () throws(RenderError) -> RenderedTree in try store.render(key: top) }, store.layerExtractions)
        }
        let trees = try results.all().map { try $0.get() }
        #expect(trees.count == 4)
        #expect(Set(trees.map(\.id)).count == 1)
        // Four distinct images: each extracted once, whichever thread got there first.
        #expect(results.extractions == 4)
        #expect(try f.treeStore().verify(key: keys.a) == trees[0].id)
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int: Result<RenderedTree, RenderError>] = [:]
        private(set) var extractions = 0
        func add(_ i: Int, _ value: Result<RenderedTree, RenderError>, _ count: Int) {
            lock.withLock {
                values[i] = value
                extractions += count
            }
        }
        func all() -> [Result<RenderedTree, RenderError>] { lock.withLock { values.keys.sorted().compactMap { values[$0] } } }
    }

    @Test func renderCopyIsAPlainCopyWithDependencies() throws {
        let f = try Fixture()
        let keys = try DependencyTests.abcd(f)
        let store = f.treeStore()
        let out = f.dir.file("out/rendered")
        try store.renderCopy(key: keys.a, to: out, rootfsOnly: false, overwrite: false)
        #expect(names(in: out) == ["manifest", "rootfs"])
        #expect(readText(out + "/manifest") == (try? FileSystem.readFile(f.store.manifestPath(keys.a), limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) })
        #expect(readText(out + "/rootfs/etc/who") == "A")
        #expect(readText(out + "/rootfs/b") == "B")
        #expect(lstatOf(out + "/manifest").map { $0.st_mode & 0o7777 } == 0o700)  // rkt's WriteFile(…, 0700)
        let layerFile = try #require(lstatOf(f.store.casDirectory + "/layers/" + keys.a + "/rootfs/a"))
        #expect(lstatOf(out + "/rootfs/a")?.st_ino != layerFile.st_ino)

        expectError(.outputExists) { try store.renderCopy(key: keys.a, to: out, rootfsOnly: true, overwrite: false) }
        try store.renderCopy(key: keys.a, to: out, rootfsOnly: true, overwrite: true)
        #expect(allPaths(below: out) == ["a", "b", "c", "cdb", "d", "d2", "db", "etc", "etc/who"])
        #expect(store.treeIDs().isEmpty)  // a copy needs no tree store entry
    }

    @Test func overwriteRefusesTheRootFilesystem() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/x"), [.file("rootfs/x", "x")])
        let link = f.dir.file("root-link")
        #expect(symlink("/", link) == 0)
        let error = caught { try f.treeStore().extract(key: key, to: link, rootfsOnly: true, overwrite: true) }
        #expect(error == .refusingRootFilesystem)
        #expect(error?.description == "this would delete your root filesystem. Refusing.")
        #expect(error.map { _ in exists(link) } == true)
        expectError(.refusingRootFilesystem) { try f.treeStore().renderCopy(key: key, to: link, rootfsOnly: false, overwrite: true) }
    }

    @Test func extractGivesTheImagesOwnFilesOnly() throws {
        let f = try Fixture()
        let keys = try DependencyTests.abcd(f)
        let store = f.treeStore()
        let out = f.dir.file("extracted")
        try store.extract(key: keys.c, to: out, rootfsOnly: false, overwrite: false)
        #expect(allPaths(below: out) == ["manifest", "rootfs", "rootfs/c", "rootfs/cdb", "rootfs/etc", "rootfs/etc/who"])
        #expect(readText(out + "/manifest") == manifestJSON("example.com/c", deps: [Dep(name: "example.com/d", id: String(keys.d.prefix(39)))]))
        #expect(readText(out + "/rootfs/etc/who") == "C")
        #expect(lstatOf(out + "/manifest").map { $0.st_mode & 0o7777 } == 0o644)  // as in the image
        #expect(lstatOf(out).map { $0.st_mode & 0o7777 } == 0o755)
        let rootfsOnly = f.dir.file("rootfs-only")
        try store.extract(key: keys.c, to: rootfsOnly, rootfsOnly: true, overwrite: false)
        #expect(allPaths(below: rootfsOnly) == ["c", "cdb", "etc", "etc/who"])
        expectError(.outputExists) { try store.extract(key: keys.c, to: rootfsOnly, rootfsOnly: true, overwrite: false) }
        #expect(RenderError.outputExists.description == "output directory exists (try --overwrite)")
    }

    @Test func extractIgnoresTheWhitelist() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/wl", whitelist: ["/keep"]), [.file("rootfs/keep", "k"), .file("rootfs/drop", "d")])
        let out = f.dir.file("x")
        try f.treeStore().extract(key: key, to: out, rootfsOnly: true, overwrite: false)
        #expect(allPaths(below: out) == ["drop", "keep"])
    }

    @Test func verifyDetectsADeletedFileAndRebuildRepairsIt() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/v"), [.directory("rootfs/etc"), .file("rootfs/etc/a", "a"), .file("rootfs/etc/b", "b")])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        #expect(try store.verify(key: key) == tree.id)
        #expect(unlink(tree.rootfs + "/etc/b") == 0)
        let error = caught { _ = try store.verify(key: key) }
        guard case .treeHashMismatch? = error else {
            Issue.record("expected a tree hash mismatch, got \(String(describing: error))")
            return
        }
        #expect(error?.description.hasPrefix("wrong tree hash: sha512-") == true)
        _ = try store.render(key: key, rebuild: true)
        #expect(try store.verify(key: key) == tree.id)
        #expect(readText(tree.rootfs + "/etc/b") == "b")
    }

    @Test func verifyDetectsChangedContentAndRebuildRestoresIt() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/v"), [TarWriter.Entry.file("rootfs/data", "original").with(mtime: 77)])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        // Same size and time: only the content differs (written through the shared inode).
        #expect(shell("printf 'tampered' > '\(tree.rootfs)/data' && touch -d @77 '\(tree.rootfs)/data'") == 0)
        #expect(caught { _ = try store.verify(key: key) } != nil)
        _ = try store.render(key: key, rebuild: true)
        #expect(readText(tree.rootfs + "/data") == "original")
        #expect(try store.verify(key: key) == tree.id)
    }

    @Test func verifyDetectsChangedModeAndManifest() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/v"), [.file("rootfs/data", "d")])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        #expect(chmod(tree.rootfs + "/data", 0o600) == 0)
        #expect(caught { _ = try store.verify(key: key) } != nil)
        _ = try store.render(key: key, rebuild: true)
        #expect(try store.verify(key: key) == tree.id)
        #expect(shell("echo ' ' >> '\(tree.path)/manifest'") == 0)
        #expect(caught { _ = try store.verify(key: key) } != nil)
    }

    @Test func verifyOfAnUnrenderedImage() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/v"), [])
        let store = f.treeStore()
        expectError(.notRendered(id: try store.treeID(for: key))) { _ = try store.verify(key: key) }
    }

    @Test func removeTreesKeepsReferencedOnesAndSizesFollow() throws {
        let f = try Fixture()
        let one = try f.image(manifestJSON("example.com/one"), [.file("rootfs/x", String(repeating: "x", count: 5000))])
        let two = try f.image(manifestJSON("example.com/two"), [.file("rootfs/y", "y")])
        let store = f.treeStore()
        #expect((store.treeSizesByImage()[one] ?? 0) == 0)
        let t1 = try store.render(key: one), t2 = try store.render(key: two)
        #expect((store.treeSizesByImage()[one] ?? 0) > 5000)
        #expect(store.treeIDs() == [t1.id, t2.id].sorted())
        #expect(try store.removeTrees(except: [t1.id]) == [t2.id])
        #expect(!exists(t2.path))
        #expect(store.isRendered(t1.id))
        #expect((store.treeSizesByImage()[two] ?? 0) == 0)
        #expect(try store.removeTrees(except: []) == [t1.id])
        #expect(store.treeIDs().isEmpty)
    }

    @Test func pruneLayersDropsLayersOfRemovedImagesAndTreesSurvive() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/gone"), [.file("rootfs/x", "x")])
        let store = f.treeStore()
        let tree = try store.render(key: key)
        try f.store.remove(key)
        #expect(store.pruneLayers() == [key])
        #expect(!exists(f.store.casDirectory + "/layers/" + key))
        #expect(readText(tree.rootfs + "/x") == "x")
        #expect(store.pruneLayers().isEmpty)
    }

    @Test func storeHashMismatchIsDetectedOnExtraction() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/corrupt"), [.file("rootfs/x", "original")])
        // Flip the file content inside the stored blob: same size, different hash.
        let blob = f.store.blobPath(key)
        let bytes = try FileSystem.readFile(blob, limit: 1 << 20)
        let needle = Array("original".utf8)
        var patched = bytes
        for i in 0..<(bytes.count - needle.count) where Array(bytes[i..<(i + needle.count)]) == needle {
            patched.replaceSubrange(i..<(i + needle.count), with: Array("ORIGINAL".utf8))
        }
        #expect(patched != bytes)
        try Sys.writeFile(blob, patched)
        let error = caught { _ = try f.treeStore().render(key: key) }
        guard case let .hashMismatch(computed, expected)? = error else {
            Issue.record("expected a hash mismatch, got \(String(describing: error))")
            return
        }
        #expect(expected == key && computed != key)
        #expect(error?.description == "image hash does not match expected (\(computed) != \(key))")
        #expect(names(in: f.store.casDirectory + "/layers").isEmpty)
        #expect(names(in: f.store.casDirectory + "/tree").isEmpty)
    }
}
