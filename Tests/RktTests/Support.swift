import CLISupport
import Foundation
import ImageKit
import RktCLI
import TestSupport

/// Runs rkt in-process against the data directory `dir`.
func rkt(_ dir: String, _ args: String...) -> RunResult { rkt(dir, arguments: args) }

/// Runs rkt in-process against the data directory `dir`.
func rkt(_ dir: String, arguments args: [String]) -> RunResult {
    final class Buffer: @unchecked Sendable { var bytes: [UInt8] = [] }
    let out = Buffer(), err = Buffer()
    let console = Console(out: { out.bytes += $0 }, err: { err.bytes += $0 })
    let code = Rkt.main(arguments: ["rkt", "--dir=\(dir)"] + args, console: console)
    return RunResult(code: code, out: String(decoding: out.bytes, as: UTF8.self), err: String(decoding: err.bytes, as: UTF8.self))
}

extension Scratch {
    /// A gzip image named `name` with `files` under rootfs (and any extra manifest JSON fields).
    func image(_ file: String, name: String, version: String? = nil, files: [String: String] = [:], extra: String = "") throws -> String {
        var labels = #"[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}"#
        if let version { labels += #",{"name":"version","value":"\#(version)"}"# }
        labels += "]"
        let manifest = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"\#(name)","labels":\#(labels)\#(extra)}"#
        let writer = try TarWriter(path: self.file(file), compression: .gzip)
        try writer.write(.file("manifest", manifest))
        try writer.write(.directory("rootfs"))
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            try writer.write(.file("rootfs/" + path, text))
        }
        try writer.close()
        return self.file(file)
    }
}

/// SHA-512 hex of the decompressed bytes of a gzip file, as `gzip -dc | sha512sum` gives it.
func decompressedSHA512(_ path: String) throws -> String {
    let stream = try ACIStream(path: path, pipelined: false)
    defer { stream.close() }
    return try stream.imageID().hex
}
