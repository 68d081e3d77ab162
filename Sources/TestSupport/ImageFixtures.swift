import ImageKit

extension Scratch {
    /// A gzip image file `file` named `name` (os linux, arch amd64, `version` if given),
    /// with `files` under rootfs and any `extra` manifest JSON members (`,"app":{...}`).
    public func image(
        _ file: String, name: String, version: String? = nil, files: [String: String] = [:],
        extra: String = ""
    ) throws -> String {
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

/// SHA-512 hex of the decompressed bytes of an image file, as `gzip -dc | sha512sum` gives it.
public func decompressedSHA512(_ path: String) throws -> String {
    let stream = try ACIStream(path: path, pipelined: false)
    defer { stream.close() }
    return try stream.imageID().hex
}
