import Glibc
import ImageKit
import LinuxSystem

/// Writes OCI image layouts for tests, layer by layer, from tar entries the test
/// chooses (hostile ones included), as skopeo's `oci:` transport lays them out.
public final class OCILayoutWriter {
    public let path: String
    private var manifests: [String] = []

    /// A blob written: its digest (`sha256:...`) and size.
    public struct Blob: Sendable {
        public var digest: String
        public var size: Int
    }

    /// Creates the layout directory (`oci-layout`, `blobs/sha256`).
    public init(path: String) {
        self.path = path
        _ = try? Files.makeDirectories(path + "/blobs/sha256")
        _ = try? Files.writeFile(path + "/oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
    }

    /// Stores `bytes` as a blob.
    @discardableResult
    public func blob(_ bytes: [UInt8]) -> Blob {
        let hasher = ContentHasher(.sha256)
        hasher.update(bytes)
        let hex = hasher.finalize().map { String(format2: $0) }.joined()
        _ = try? Files.writeFile(path + "/blobs/sha256/" + hex, bytes)
        return Blob(digest: "sha256:" + hex, size: bytes.count)
    }

    /// A gzip-compressed layer of `entries` (or plain, or another compression).
    public func layer(_ entries: [TarWriter.Entry], compression: TarWriter.Compression = .gzip) throws -> Blob {
        let scratch = path + "/.layer.tmp"
        let writer = try TarWriter(path: scratch, compression: compression)
        for entry in entries { try writer.write(entry) }
        try writer.close()
        defer { unlink(scratch) }
        return blob(try Files.readFile(scratch, limit: 1 << 30))
    }

    /// An image: a config (its `config` object given as JSON text), a manifest naming
    /// `layers`, and an index entry (`ref.name` = `name`, with `platform` if given).
    @discardableResult
    public func image(
        layers: [Blob], runConfig: String = #"{"Cmd":["/bin/sh"]}"#, architecture: String = "amd64", name: String? = "latest",
        platform: String? = nil, created: String = "2024-01-02T03:04:05Z"
    ) -> Blob {
        let config = blob(
            Array(#"{"created":"\#(created)","architecture":"\#(architecture)","os":"linux","config":\#(runConfig),"rootfs":{"type":"layers","diff_ids":[]}}"#.utf8))
        let layerList = layers.map { #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#($0.digest)","size":\#($0.size)}"# }
        let manifest = blob(
            Array(
                #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config.digest)","size":\#(config.size)},"layers":[\#(layerList.joined(separator: ","))]}"#
                    .utf8))
        var entry = #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifest.digest)","size":\#(manifest.size)"#
        if let platform { entry += #","platform":\#(platform)"# }
        if let name { entry += #","annotations":{"org.opencontainers.image.ref.name":"\#(name)"}"# }
        manifests.append(entry + "}")
        writeIndex()
        return manifest
    }

    /// Adds an index entry as given (JSON text), e.g. a nested index.
    public func indexEntry(_ json: String) {
        manifests.append(json)
        writeIndex()
    }

    private func writeIndex() {
        let index = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(manifests.joined(separator: ","))]}"#
        _ = try? Files.writeFile(path + "/index.json", Array(index.utf8))
    }
}

extension String {
    fileprivate init(format2 byte: UInt8) {
        let text = String(byte, radix: 16)
        self = byte < 16 ? "0" + text : text
    }
}
