import ImageKit
import ImageStore
import TestSupport
import Testing

@testable import ImageRender

/// The flattened dependency list (appc-spec.md §7.1), tree IDs, cycles and missing images.
struct DependencyTests {
    /// `A -> [B, C]`, `C -> [D]`; B by name, C and D by (short) ID. Each image has
    /// `etc/who` = its name and paths shared with the images below it.
    static func abcd(_ f: Fixture, whitelistC: [String] = []) throws -> (a: String, b: String, c: String, d: String) {
        let d = try f.image(
            manifestJSON("example.com/d"),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/who", "D"), .file("rootfs/cdb", "D"), .file("rootfs/db", "D"),
                .file("rootfs/d", "D"), .file("rootfs/d2", "D"),
            ])
        let b = try f.image(
            manifestJSON("example.com/b"),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/who", "B"), .file("rootfs/cdb", "B"), .file("rootfs/db", "B"),
                .file("rootfs/b", "B"),
            ])
        let c = try f.image(
            manifestJSON("example.com/c", deps: [Dep(name: "example.com/d", id: String(d.prefix(39)))], whitelist: whitelistC),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/who", "C"), .file("rootfs/cdb", "C"), .file("rootfs/c", "C"),
            ])
        let a = try f.image(
            manifestJSON("example.com/a", deps: [Dep(name: "example.com/b"), Dep(name: "example.com/c", id: c)]),
            [
                .directory("rootfs/etc"), .file("rootfs/etc/who", "A"), .file("rootfs/a", "A"),
            ])
        return (a, b, c, d)
    }

    @Test func listIsDepthFirstWithDependenciesInReverseOrder() throws {
        let f = try Fixture()
        let keys = try Self.abcd(f)
        let list = try f.treeStore().dependencyList(for: keys.a)
        #expect(list.map(\.key) == [keys.a, keys.c, keys.d, keys.b])
        #expect(list.map(\.level) == [0, 1, 2, 1])
        #expect(list.map(\.manifest.name.description) == ["example.com/a", "example.com/c", "example.com/d", "example.com/b"])
    }

    @Test func diamondVisitsTheSharedImageTwice() throws {
        let f = try Fixture()
        let d = try f.image(manifestJSON("example.com/d"), [])
        let b = try f.image(manifestJSON("example.com/b", deps: [Dep(name: "example.com/d", id: d)]), [])
        let c = try f.image(manifestJSON("example.com/c", deps: [Dep(name: "example.com/d")]), [])
        let a = try f.image(manifestJSON("example.com/a", deps: [Dep(name: "example.com/b", id: b), Dep(name: "example.com/c", id: c)]), [])
        let list = try f.treeStore().dependencyList(for: a)
        #expect(list.map(\.key) == [a, c, d, b, d])
        #expect(list.map(\.level) == [0, 1, 2, 1, 2])
    }

    @Test func treeIDOfASingleImageHashesItsKey() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/single"), [.file("rootfs/x", "x")])
        let id = try f.treeStore().treeID(for: key)
        #expect(id == "deps-" + keyOf(key))
        #expect(id.count == "deps-sha512-".count + 64)
    }

    @Test func treeIDHashesTheCommaJoinedList() throws {
        let f = try Fixture()
        let keys = try Self.abcd(f)
        let id = try f.treeStore().treeID(for: keys.a)
        #expect(id == "deps-" + keyOf([keys.a, keys.c, keys.d, keys.b].joined(separator: ",")))
    }

    @Test func imagesAreNamedByIDPrefix() throws {
        let f = try Fixture()
        let key = try f.image(manifestJSON("example.com/short"), [.file("rootfs/x", "x")])
        let store = f.treeStore()
        let tree = try store.render(key: String(key.prefix(19)))
        #expect(tree.imageKey == key)
        #expect(readText(tree.path + "/image") == key)
        expectError(.store(.imageIDTooShort)) { _ = try store.render(key: "sha512-0") }
        expectError(.store(.wrongKeyPrefix("../../etc"))) { try store.extract(key: "../../etc", to: f.dir.file("o"), rootfsOnly: true, overwrite: false) }
        expectError(.store(.noImageIDs)) { _ = try store.verify(key: "sha512-" + String(repeating: "f", count: 64)) }
    }

    @Test func nameLookupPrefersTheNewestImport() throws {
        let f = try Fixture()
        _ = try f.image(manifestJSON("example.com/tools", labels: ["version": "1"]), [.file("rootfs/t", "1")])
        let newer = try f.image(manifestJSON("example.com/tools", labels: ["version": "2"]), [.file("rootfs/t", "2")])
        let app = try f.image(manifestJSON("example.com/app", deps: [Dep(name: "example.com/tools")]), [])
        #expect(try f.treeStore().dependencyList(for: app).map(\.key) == [app, newer])
        let pinned = try f.image(manifestJSON("example.com/app2", deps: [Dep(name: "example.com/tools", labels: ["version": "1"])]), [])
        let list = try f.treeStore().dependencyList(for: pinned)
        #expect(list[1].manifest.label("version") == "1")
    }

    @Test func cycleIsAnErrorNamingTheCycle() throws {
        let f = try Fixture()
        let a = try f.image(manifestJSON("example.com/a", deps: [Dep(name: "example.com/b")]), [])
        _ = try f.image(manifestJSON("example.com/b", deps: [Dep(name: "example.com/c")]), [])
        _ = try f.image(manifestJSON("example.com/c", deps: [Dep(name: "example.com/a")]), [])
        let store = f.treeStore()
        let error = caught { _ = try store.dependencyList(for: a) }
        #expect(error == .dependencyCycle(["example.com/a", "example.com/b", "example.com/c", "example.com/a"]))
        #expect(error?.description == "dependency cycle: example.com/a -> example.com/b -> example.com/c -> example.com/a")
        expectError(.dependencyCycle(["example.com/a", "example.com/b", "example.com/c", "example.com/a"])) {
            _ = try store.render(key: a)
        }
    }

    @Test func selfDependencyIsACycle() throws {
        let f = try Fixture()
        let a = try f.image(manifestJSON("example.com/self", deps: [Dep(name: "example.com/self")]), [])
        expectError(.dependencyCycle(["example.com/self", "example.com/self"])) { _ = try f.treeStore().dependencyList(for: a) }
    }

    @Test func siblingsSharingADependencyAreNotACycle() throws {
        let f = try Fixture()
        let d = try f.image(manifestJSON("example.com/d"), [])
        _ = try f.image(manifestJSON("example.com/b", deps: [Dep(name: "example.com/d")]), [])
        _ = try f.image(manifestJSON("example.com/c", deps: [Dep(name: "example.com/b")]), [])
        let a = try f.image(manifestJSON("example.com/a", deps: [Dep(name: "example.com/b"), Dep(name: "example.com/c")]), [])
        // A, C, B, D, B, D: B appears under C and under A, never under itself.
        let list = try f.treeStore().dependencyList(for: a)
        #expect(
            list.map(\.manifest.name.description) == [
                "example.com/a", "example.com/c", "example.com/b", "example.com/d",
                "example.com/b", "example.com/d",
            ])
        #expect(list.filter { $0.key == d }.count == 2)
    }

    @Test func runawayDiamondIsBounded() throws {
        let f = try Fixture()
        // 14 levels, each image depending twice on the next: 2^14 list entries.
        var below = try f.image(manifestJSON("example.com/l14"), [])
        for level in stride(from: 13, through: 0, by: -1) {
            below = try f.image(manifestJSON("example.com/l\(level)", deps: [Dep(name: "x.com/x", id: below), Dep(name: "x.com/y", id: below)]), [])
        }
        expectError(.tooManyImages(limit: DependencyResolver.maximumImages)) { _ = try f.treeStore().dependencyList(for: below) }
    }

    @Test func missingDependencyByNameIsDiscoveryFailed() throws {
        let f = try Fixture()
        let a = try f.image(manifestJSON("example.com/a", deps: [Dep(name: "example.com/missing")]), [])
        let error = caught { _ = try f.treeStore().render(key: a) }
        #expect(error == .discoveryFailed(name: "example.com/missing"))
        #expect(error?.description == "discovery failed")
    }

    @Test func missingDependencyByIDIsNoImageIDsFound() throws {
        let f = try Fixture()
        let a = try f.image(manifestJSON("example.com/a", deps: [Dep(name: "example.com/missing", id: "sha512-" + String(repeating: "0", count: 32))]), [])
        let error = caught { _ = try f.treeStore().dependencyList(for: a) }
        #expect(error == .store(.noImageIDs))
        #expect(error?.description == "no image IDs found")
    }

    @Test func fetcherHookImportsTheMissingDependency() throws {
        let f = try Fixture()
        let a = try f.image(manifestJSON("example.com/a", deps: [Dep(name: "example.com/tools")]), [.file("rootfs/a", "a")])
        let toolsArchive = try f.archive([.file("manifest", manifestJSON("example.com/tools")), .directory("rootfs"), .file("rootfs/t", "t")])
        let store = f.treeStore()
        var asked: [String] = []
        store.dependencyFetcher = { dependency in
            asked.append(dependency.imageName.description)
            _ = try f.store.importImage(from: toolsArchive)
        }
        let tree = try store.render(key: a)
        #expect(asked == ["example.com/tools"])
        #expect(readText(tree.rootfs + "/t") == "t")
        #expect(readText(tree.rootfs + "/a") == "a")
    }

    @Test func failingFetcherReportsItsError() throws {
        struct Offline: Error, CustomStringConvertible { var description: String { "fetch: network is unreachable" } }
        let f = try Fixture()
        let a = try f.image(manifestJSON("example.com/a", deps: [Dep(name: "example.com/tools")]), [])
        let store = TreeStore(store: f.store) { _ in throw Offline() }
        expectError(.fetchFailed("fetch: network is unreachable")) { _ = try store.dependencyList(for: a) }
    }
}
