import ActoolCLI
import CLISupport
import Foundation
import ImageKit
import TestSupport

/// Runs actool in-process with captured output.
func actool(_ args: String...) -> RunResult { actool(args) }

func actool(_ args: [String]) -> RunResult {
    final class Buffer: @unchecked Sendable { var bytes: [UInt8] = [] }
    let out = Buffer(), err = Buffer()
    let console = Console(out: { out.bytes += $0 }, err: { err.bytes += $0 })
    let code = Actool.main(arguments: ["actool"] + args, console: console)
    return RunResult(code: code, out: String(decoding: out.bytes, as: UTF8.self), err: String(decoding: err.bytes, as: UTF8.self))
}

/// The built `actool` binary, next to the test bundle.
let actoolPath = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("actool").path

/// Starts the built `actool` with its output thrown away.
func startActool(_ args: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: actoolPath)
    process.arguments = args
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Runs the built `actool` binary with output sent to files.
func actoolBinary(_ args: [String], in directory: String) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: actoolPath)
    process.arguments = args
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let outURL = URL(fileURLWithPath: directory).appendingPathComponent(".stdout")
    let errURL = URL(fileURLWithPath: directory).appendingPathComponent(".stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    process.waitUntilExit()
    return RunResult(
        code: process.terminationStatus,
        out: try String(contentsOf: outURL, encoding: .utf8),
        err: try String(contentsOf: errURL, encoding: .utf8))
}

extension Scratch {
    /// A layout with `manifest` text and a small rootfs.
    func layout(_ name: String, manifest: String = validManifest) {
        mkdir(name + "/rootfs/bin")
        write(name + "/manifest", manifest)
        write(name + "/rootfs/bin/hello", "hello\n")
    }

    /// An archive with these entries (names as given).
    @discardableResult
    func archive(
        _ name: String, _ entries: [TarWriter.Entry], compression: TarWriter.Compression = .gzip,
        format: TarWriter.Format = .pax
    ) throws -> String {
        let writer = try TarWriter(path: file(name), format: format, compression: compression)
        for entry in entries { try writer.write(entry) }
        try writer.close()
        return file(name)
    }

    func image(_ name: String, manifest: String = validManifest, compression: TarWriter.Compression = .gzip) throws -> String {
        try archive(
            name,
            [
                .file("manifest", manifest), .directory("rootfs"), .directory("rootfs/bin"),
                .file("rootfs/bin/hello", "hello\n", mode: 0o755),
            ], compression: compression)
    }
}

let validManifest = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test"}"#
