import Dispatch
import Foundation
import ImageKit
import ImageStore
import TestSupport
import Testing

/// The image store on its own: imports, lookups by ID prefix and by name, pinned IDs,
/// refusals, concurrent imports.
struct StoreTests {
    @Test func importStoresTheUncompressedTarUnderItsKey() throws {
        let s = Scratch()
        defer { s.remove() }
        let path = try s.image("a.aci", name: "example.com/a", version: "1.0", files: ["hello": "hi"])
        let store = try ImageStore(directory: s.file("data"))
        let record = try store.importImage(from: path)
        let hex = try decompressedSHA512(path)
        #expect(record.key == "sha512-" + hex.prefix(64))
        #expect(record.name == "example.com/a")
        #expect(record.version == "1.0")
        // The blob is the decompressed tar: hashing it gives the full ID.
        let blob = try ACIStream(path: store.blobPath(record.key), pipelined: false)
        #expect(blob.fileType == .tar)
        #expect(try blob.imageID().hex == hex)
        // Importing again changes nothing.
        #expect(try store.importImage(from: path).key == record.key)
        #expect(try store.records().count == 1)
    }

    @Test func lookupsFollowRktsRules() throws {
        let s = Scratch()
        defer { s.remove() }
        let store = try ImageStore(directory: s.file("data"))
        let one = try store.importImage(from: try s.image("1.aci", name: "example.com/app", version: "1.0"))
        let two = try store.importImage(from: try s.image("2.aci", name: "example.com/app", version: "2.0"))
        #expect(try store.record(idPrefix: String(one.key.prefix(20))) == one)
        #expect(try store.record(idPrefix: one.key + "ffff") == one)
        #expect(throws: StoreError.imageIDTooShort) { try store.record(idPrefix: "sha512-a") }
        #expect(throws: StoreError.noImageIDs) { try store.record(idPrefix: "sha512-ffffffff") }
        #expect(throws: StoreError.wrongKeyPrefix("sha256-00")) { try store.record(idPrefix: "sha256-00") }
        // Newest import wins without a version; a version picks exactly.
        #expect(try store.record(name: "example.com/app", labels: []) == two)
        #expect(try store.record(name: "example.com/app", labels: [try .init(name: "version", value: "1.0")]) == one)
        #expect(throws: StoreError.self) { try store.record(name: "example.com/none", labels: []) }
        // "latest" beats newer when no version is asked for.
        let latest = try store.importImage(from: try s.image("3.aci", name: "example.com/app", version: "0.1"), latest: true)
        _ = try store.importImage(from: try s.image("4.aci", name: "example.com/app", version: "3.0"))
        #expect(try store.record(name: "example.com/app", labels: []) == latest)
    }

    @Test func pinnedIDMustMatch() throws {
        let s = Scratch()
        defer { s.remove() }
        let store = try ImageStore(directory: s.file("data"))
        let path = try s.image("a.aci", name: "example.com/a")
        let wrong = "sha512-" + String(repeating: "0", count: 64)
        #expect(throws: StoreError.self) { try store.importImage(from: path, expectedID: wrong) }
        #expect(try store.records().isEmpty)
        let hex = try decompressedSHA512(path)
        #expect(try store.importImage(from: path, expectedID: "sha512-" + hex).key.hasPrefix("sha512-" + hex.prefix(32)))
    }

    @Test func invalidImagesAndBombsAreRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        let store = try ImageStore(directory: s.file("data"))
        let writer = try TarWriter(path: s.file("bad.aci"), compression: .gzip)
        try writer.write(.directory("rootfs"))
        try writer.close()
        #expect(throws: StoreError.image(.invalidImage("no image manifest found in layout"))) { try store.importImage(from: s.file("bad.aci")) }
        #expect(try store.records().isEmpty)
        // Nothing half-imported is left in cas/tmp (unnamed files vanish with the process's descriptors).
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.file("data/cas/tmp")).isEmpty)
    }

    @Test func concurrentImportsOfOneImage() throws {
        let s = Scratch()
        defer { s.remove() }
        let path = try s.image("a.aci", name: "example.com/a", files: ["big": String(repeating: "x", count: 2 << 20)])
        let dir = s.file("data")
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let store = try ImageStore(directory: dir)
                results.add(try store.importImage(from: path).key)
            } catch {
                results.add("error: \(error)")
            }
        }
        let keys = results.values
        #expect(keys.count == 4)
        #expect(Set(keys).count == 1)
        #expect(!(keys.first ?? "").hasPrefix("error"))
        #expect(try ImageStore(directory: dir).records().count == 1)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ value: String) {
        lock.lock()
        items.append(value)
        lock.unlock()
    }
    var values: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
