import ActoolCLI
import CLISupport
import Foundation
import ImageKit

/// What one actool run printed and returned.
struct RunResult {
    let code: Int32
    let out: String
    let err: String
}

/// Runs actool in-process with captured output.
func actool(_ args: String...) -> RunResult { actool(args) }

func actool(_ args: [String]) -> RunResult {
    final class Buffer: @unchecked Sendable { var bytes: [UInt8] = [] }
    let out = Buffer(), err = Buffer()
    let console = Console(out: { out.bytes += $0 }, err: { err.bytes += $0 })
    let code = Actool.main(arguments: ["actool"] + args, console: console)
    return RunResult(code: code, out: String(decoding: out.bytes, as: UTF8.self), err: String(decoding: err.bytes, as: UTF8.self))
}

/// Runs the built `actool` binary (next to the test bundle) with output sent to files.
func actoolBinary(_ args: [String], in directory: String) throws -> RunResult {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let process = Process()
    process.executableURL = bundle.appendingPathComponent("actool")
    process.arguments = args
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let outURL = URL(fileURLWithPath: directory).appendingPathComponent(".stdout")
    let errURL = URL(fileURLWithPath: directory).appendingPathComponent(".stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    process.waitUntilExit()
    return RunResult(
        code: process.terminationStatus,
        out: try String(contentsOf: outURL, encoding: .utf8),
        err: try String(contentsOf: errURL, encoding: .utf8))
}

/// A temporary directory with helpers to lay out images, removed by `remove()`.
struct Scratch {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "actool-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) {
        write(name, Array(text.utf8))
    }

    func write(_ name: String, _ bytes: [UInt8]) {
        let url = URL(fileURLWithPath: file(name))
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
    }

    func mkdir(_ name: String) {
        try? FileManager.default.createDirectory(atPath: file(name), withIntermediateDirectories: true)
    }

    func bytes(_ name: String) -> [UInt8] {
        FileManager.default.contents(atPath: file(name)).map(Array.init) ?? []
    }

    /// A layout with `manifest` text and a small rootfs.
    func layout(_ name: String, manifest: String = validManifest) {
        mkdir(name + "/rootfs/bin")
        write(name + "/manifest", manifest)
        write(name + "/rootfs/bin/hello", "hello\n")
    }

    /// An archive with these entries (names as given).
    @discardableResult
    func archive(_ name: String, _ entries: [TarWriter.Entry], compression: TarWriter.Compression = .gzip,
                 format: TarWriter.Format = .pax) throws -> String {
        let writer = try TarWriter(path: file(name), format: format, compression: compression)
        for entry in entries { try writer.write(entry) }
        try writer.close()
        return file(name)
    }

    func image(_ name: String, manifest: String = validManifest, compression: TarWriter.Compression = .gzip) throws -> String {
        try archive(name, [.file("manifest", manifest), .directory("rootfs"), .directory("rootfs/bin"),
                           .file("rootfs/bin/hello", "hello\n", mode: 0o755)], compression: compression)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

let validManifest = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test"}"#
