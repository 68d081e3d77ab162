import Foundation
import ImageKit
import ImageStore
import TestSupport
import Testing

/// The index database: migration from an earlier release's files, removals in one
/// transaction, unlisted files, dependents, damage found and repaired.
struct IndexTests {
    /// A store written by the previous release (`images.json`, `remotes.json`) opens with
    /// every image and download record, times and flags kept; the old files are kept
    /// aside and no longer read; a record whose blob is gone is dropped.
    @Test func migratesAnEarlierReleasesIndex() throws {
        let s = Scratch()
        defer { s.remove() }
        let data = s.file("data")
        var records: [ImageRecord] = []
        do {
            let store = try ImageStore(directory: data)
            records.append(try store.importImage(from: try s.image("1.aci", name: "example.com/one", version: "1.0")))
            records.append(try store.importImage(from: try s.image("2.aci", name: "example.com/two"), latest: true))
        }
        // Today's index replaced by what the previous release wrote.
        for suffix in ["", "-wal", "-shm"] { unlink(data + "/cas/db/images.db" + suffix) }
        records[0].importTime = 1_500_000_000_000_000_000
        records[0].lastUsed = 1_600_000_000_000_000_000
        let gone = ImageRecord(key: "sha512-" + String(repeating: "ab", count: 32), name: "example.com/gone", importTime: 1, lastUsed: 1, latest: false, size: 10)
        try JSONEncoder().encode(records + [gone]).write(to: URL(fileURLWithPath: data + "/cas/db/images.json"))
        let remote = RemoteRecord(
            aciURL: "https://example.com/two.aci", sigURL: "https://example.com/two.aci.asc", etag: "\"e1\"", blobKey: records[1].key, downloadTime: 1234, cacheMaxAge: 60)
        try JSONEncoder().encode([remote]).write(to: URL(fileURLWithPath: data + "/cas/db/remotes.json"))

        let store = try ImageStore(directory: data)
        #expect(try store.records() == records)
        #expect(try store.remote(for: remote.aciURL) == remote)
        #expect(try store.record(name: "example.com/one", labels: [try .init(name: "version", value: "1.0")]) == records[0])
        #expect(!FileManager.default.fileExists(atPath: data + "/cas/db/images.json"))
        #expect(FileManager.default.fileExists(atPath: data + "/cas/db/images.json.migrated"))
        #expect(FileManager.default.fileExists(atPath: data + "/cas/db/remotes.json.migrated"))
        // A later open reads the database alone.
        try Data("[]".utf8).write(to: URL(fileURLWithPath: data + "/cas/db/images.json"))
        #expect(try ImageStore(directory: data).records() == records)
    }

    /// `remove` of several images is one change; blobs no record names (a removal or an
    /// import killed half-way) are found and removed, listed ones are not.
    @Test func removalsAndUnlistedFiles() throws {
        let s = Scratch()
        defer { s.remove() }
        let store = try ImageStore(directory: s.file("data"))
        let kept = try store.importImage(from: try s.image("k.aci", name: "example.com/kept"))
        var removed: [ImageRecord] = []
        for i in 0..<5 { removed.append(try store.importImage(from: try s.image("\(i).aci", name: "example.com/r\(i)"))) }
        try store.remove(removed.map(\.key))
        #expect(try store.records() == [kept])
        for record in removed { #expect(!FileManager.default.fileExists(atPath: store.blobPath(record.key))) }
        // A blob and manifest left behind, unlisted.
        let stray = "sha512-" + String(repeating: "cd", count: 32)
        try FileManager.default.createDirectory(atPath: (store.blobPath(stray) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: store.blobPath(kept.key), toPath: store.blobPath(stray))
        try FileManager.default.createDirectory(atPath: (store.manifestPath(stray) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: store.manifestPath(kept.key), toPath: store.manifestPath(stray))
        #expect(try store.removeUnlistedFiles() == [stray])
        #expect(!FileManager.default.fileExists(atPath: store.blobPath(stray)))
        #expect(!FileManager.default.fileExists(atPath: store.manifestPath(stray)))
        #expect(FileManager.default.fileExists(atPath: store.blobPath(kept.key)))
        #expect(try store.removeUnlistedFiles() == [])
    }

    /// Who depends on an image, from the index alone: by name, or by a pinned ID that matches.
    @Test func dependentsByNameAndPinnedID() throws {
        let s = Scratch()
        defer { s.remove() }
        let store = try ImageStore(directory: s.file("data"))
        let base = try store.importImage(from: try s.image("base.aci", name: "example.com/base"))
        let full = "sha512-" + (try decompressedSHA512(s.file("base.aci")))
        func dependingImage(_ name: String, _ dependency: String) throws -> ImageRecord {
            try store.importImage(from: try s.image("\(name).aci", name: "example.com/\(name)", extra: #","dependencies":[\#(dependency)]"#))
        }
        let byName = try dependingImage("byname", #"{"imageName":"example.com/base"}"#)
        let pinned = try dependingImage("pinned", #"{"imageName":"example.com/other","imageID":"\#(full)"}"#)
        _ = try dependingImage("elsewhere", #"{"imageName":"example.com/base","imageID":"sha512-\#(String(repeating: "0", count: 128))"}"#)
        _ = try dependingImage("unrelated", #"{"imageName":"example.com/unrelated"}"#)
        #expect(try store.dependents(of: base) == [byName, pinned])
        #expect(try store.dependents(of: byName) == [])
    }

    /// Damaged pages (not only a damaged header) are found by `repairIndexIfDamaged`, which
    /// keeps the damaged file and rebuilds the index from the blobs; a sound index is left alone.
    @Test func damagedPagesAreRebuiltFromTheBlobs() throws {
        let s = Scratch()
        defer { s.remove() }
        let data = s.file("data")
        var keys: [String] = []
        do {
            let store = try ImageStore(directory: data)
            for i in 0..<60 {
                let path = try s.image("\(i).aci", name: "example.com/app-with-a-long-name-\(i)", version: "\(i).0")
                keys.append(try store.importImage(from: path).key)
            }
            #expect(try store.repairIndexIfDamaged() == nil)
        }
        // Every page past the header and schema overwritten.
        let index = data + "/cas/db/images.db"
        let handle = try #require(FileHandle(forUpdatingAtPath: index))
        let size = try handle.seekToEnd()
        #expect(size > 3 * 4096)
        try handle.seek(toOffset: 2 * 4096)
        try handle.write(contentsOf: Data(repeating: 0x5a, count: Int(size) - 2 * 4096))
        try handle.close()

        let store = try ImageStore(directory: data)
        #expect(try store.repairIndexIfDamaged() == 60)
        #expect(Set(try store.records().map(\.key)) == Set(keys))
        #expect(try store.record(name: "example.com/app-with-a-long-name-7", labels: []).version == "7.0")
        #expect(FileManager.default.fileExists(atPath: index + ".damaged"))
        #expect(try store.repairIndexIfDamaged() == nil)
    }
}
