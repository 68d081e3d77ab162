import Foundation
import Glibc
import ImageKit
import ImageStore
import TestSupport
import Testing

@testable import ImageRender

/// A dependency as a test writes it.
struct Dep {
    var name: String
    var id: String?
    var labels: [String: String] = [:]
}

/// An image manifest as JSON text.
func manifestJSON(_ name: String, labels: [String: String] = [:], deps: [Dep] = [], whitelist: [String] = []) -> String {
    var object: [String: Any] = ["acKind": "ImageManifest", "acVersion": "0.8.11", "name": name]
    if !labels.isEmpty {
        object["labels"] = labels.keys.sorted().map { ["name": $0, "value": labels[$0] ?? ""] }
    }
    if !deps.isEmpty {
        object["dependencies"] = deps.map { dep -> [String: Any] in
            var d: [String: Any] = ["imageName": dep.name]
            if let id = dep.id { d["imageID"] = id }
            if !dep.labels.isEmpty { d["labels"] = dep.labels.keys.sorted().map { ["name": $0, "value": dep.labels[$0] ?? ""] } }
            return d
        }
    }
    if !whitelist.isEmpty { object["pathWhitelist"] = whitelist }
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

extension TarWriter.Entry {
    static func symlink(_ name: String, to target: String) -> TarWriter.Entry {
        TarWriter.Entry(name: name, kind: .symlink(target))
    }

    static func hardlink(_ name: String, to target: String) -> TarWriter.Entry {
        TarWriter.Entry(name: name, kind: .hardlink(target))
    }

    func with(mode: UInt32? = nil, uid: Int64? = nil, gid: Int64? = nil, mtime: Int? = nil) -> TarWriter.Entry {
        var e = self
        if let mode { e.mode = mode }
        if let uid { e.uid = uid }
        if let gid { e.gid = gid }
        if let mtime { e.mtime = mtime }
        return e
    }
}

/// A test data directory with a store and helpers to make and import images.
final class Fixture {
    let dir = Scratch("imagerender-test")
    let store: ImageStore
    private var counter = 0

    init() throws {
        store = try ImageStore(directory: dir.file("data"))
    }

    deinit { dir.remove() }

    func treeStore() -> TreeStore { TreeStore(store: store) }

    /// Writes an archive (plain tar) and returns its path.
    func archive(_ entries: [TarWriter.Entry]) throws -> String {
        counter += 1
        let path = dir.file("image-\(counter).aci")
        let writer = try TarWriter(path: path)
        for entry in entries { try writer.write(entry) }
        try writer.close()
        return path
    }

    /// Imports an image with `manifest` + `rootfs` + `files`; returns its key.
    @discardableResult
    func image(_ manifest: String, _ files: [TarWriter.Entry], rootfsMode: UInt32 = 0o755) throws -> String {
        let entries = [TarWriter.Entry.file("manifest", manifest), TarWriter.Entry.directory("rootfs").with(mode: rootfsMode)] + files
        return try store.importImage(from: try archive(entries)).key
    }
}

func lstatOf(_ path: String) -> stat? { Sys.lstat(path) }

func exists(_ path: String) -> Bool { Sys.exists(path) }

/// Names in a directory, sorted.
func names(in path: String) -> [String] { Sys.listDirectory(path) }

/// Every path below `root` (relative, sorted), for "nothing else was written" checks.
func allPaths(below root: String) -> [String] {
    var out: [String] = []
    func walk(_ relative: String) {
        let full = relative.isEmpty ? root : root + "/" + relative
        for name in Sys.listDirectory(full) {
            let child = relative.isEmpty ? name : relative + "/" + name
            out.append(child)
            if let info = Sys.lstat(root + "/" + child), Sys.isDirectory(info) { walk(child) }
        }
    }
    walk("")
    return out.sorted()
}

/// `sha512-` + 64 hex of the SHA-512 of `text` (rkt's key form).
func keyOf(_ text: String) -> String {
    let hasher = ContentHasher()
    hasher.update(Array(text.utf8))
    return "sha512-" + String(ImageID(digest: hasher.finalize()).hex.prefix(64))
}

/// Runs a shell command; returns its exit status.
@discardableResult
func shell(_ command: String) -> Int32 {
    let status = system(command)
    return (status >> 8) & 0xff
}

/// Expects `body` to throw exactly `expected`.
func expectError(_ expected: RenderError, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    let error = caught(body)
    #expect(error == expected, sourceLocation: sourceLocation)
}

/// Runs `body` and returns the RenderError it threw (nil when it did not throw; any
/// other error is recorded as an issue).
func caught(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> RenderError? {
    do {
        try body()
        return nil
    } catch let error as RenderError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
