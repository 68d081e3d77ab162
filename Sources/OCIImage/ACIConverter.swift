import AppcSchema
import Glibc
import GoCompat
import ImageKit

/// An image to convert, resolved to one platform, its layers on the local disk.
public struct ConversionInput: Sendable {
    public var reference: DockerReference
    /// The digest of the platform's image manifest (docker2aci's `manifesthash`).
    public var manifestDigest: OCIDigest
    public var configDigest: OCIDigest
    public var config: OCIImageConfig
    /// Base first.
    public var layers: [LayerBlob]

    public init(reference: DockerReference, manifestDigest: OCIDigest, configDigest: OCIDigest, config: OCIImageConfig, layers: [LayerBlob]) {
        self.reference = reference
        self.manifestDigest = manifestDigest
        self.configDigest = configDigest
        self.config = config
        self.layers = layers
    }
}

/// A written ACI: its manifest and its image ID.
public struct ConvertedImage: Sendable {
    public var manifest: ImageManifest
    public var id: ImageID
}

/// Docker and OCI images as ACIs, by docker2aci's rules: squashed into one image (rkt's
/// way), or one image per layer, the top one depending on the others.
public enum ACIConverter {
    /// Writes the squashed image to `fd` (`path` names it in messages). `writeBehind`:
    /// the file is synced when done (a store's blob), so its write-back starts early.
    public static func writeSquashed(
        _ input: ConversionInput, to fd: Int32, path: String, compression: ImageCompression, writeBehind: Bool = false
    ) throws(OCIError) -> ConvertedImage {
        guard let top = input.layers.last else { throw .document("the image has no layers") }
        let name = try ConvertedManifest.squashedName(input.reference, topLayer: top.digest)
        let manifest = try ConvertedManifest.top(
            name: name, reference: input.reference, manifestDigest: input.manifestDigest, configDigest: input.configDigest,
            config: input.config)
        return try writing {
            let writer = try ACIWriter(fd: fd, path: path, compression: compression, hashing: true, writeBehind: writeBehind)
            try writer.writeManifest(try encoded(manifest), header: ACIWriter.Header(name: Array("manifest".utf8), kind: .regular, mode: 0o644))
            try writer.write(ACIWriter.Header(name: Array("rootfs".utf8), kind: .directory, mode: 0o755))
            try LayerSquasher(writer: writer).squash(input.layers)
            try writer.close()
            return ConvertedImage(manifest: manifest, id: writer.imageID())
        }
    }

    /// Writes the image of layer `index` alone (`--no-squash`): its files (whiteouts
    /// left out), docker2aci's stdio links, and a manifest naming every path of the layers
    /// up to it (the whitelist of `below`, the images of the layers under it).
    /// The top layer's image gets the config's app and depends on the images of `below`.
    public static func writeLayer(
        _ input: ConversionInput, index: Int, over below: LayerImageStack,
        to fd: Int32, path: String, compression: ImageCompression, writeBehind: Bool = false
    ) throws(OCIError) -> ConvertedImage {
        let layer = input.layers[index]
        let isTop = index == input.layers.count - 1
        let name = try ConvertedManifest.layerName(input.reference, digest: layer.digest, top: isTop)
        return try writing {
            let writer = try ACIWriter(fd: fd, path: path, compression: compression, hashing: true, writeBehind: writeBehind)
            try writer.write(ACIWriter.Header(name: Array("rootfs".utf8), kind: .directory, mode: 0o755))
            let whitelist = try LayerImageWriter(writer: writer, layer: layer).write(lowerWhitelist: below.whitelist)
            let manifest =
                isTop
                ? try ConvertedManifest.top(
                    name: name, reference: input.reference, manifestDigest: input.manifestDigest,
                    configDigest: input.configDigest, config: input.config, dependencies: below.dependencies, pathWhitelist: whitelist)
                : ConvertedManifest.lowerLayer(name: name, pathWhitelist: whitelist)
            let bytes = try encoded(manifest)
            try writer.write(ACIWriter.Header(name: Array("manifest".utf8), kind: .regular, mode: 0o644), data: bytes)
            try writer.close()
            return ConvertedImage(manifest: manifest, id: writer.imageID())
        }
    }

    /// Runs `body` (writing an image), telling a writer's failure as `.image`.
    private static func writing(_ body: () throws -> ConvertedImage) throws(OCIError) -> ConvertedImage {
        do {
            return try body()
        } catch let error as OCIError {
            throw error
        } catch let error as ImageKitError {
            throw .image(error)
        } catch {
            throw .layer("\(error)")
        }
    }

    static func encoded(_ manifest: ImageManifest) throws(OCIError) -> [UInt8] {
        do {
            return try manifest.encoded()
        } catch {
            throw .document("the converted manifest is invalid: \(error.message)")
        }
    }
}

/// The images of a `--no-squash` conversion, made base first: what the image of the
/// next layer needs from those below it (their whitelist, and them as dependencies).
public struct LayerImageStack: Sendable {
    /// The whitelist of the topmost image so far: every path up to it.
    public private(set) var whitelist: [String] = []
    /// The images so far, in order, pinned by ID.
    public private(set) var dependencies: [Dependency] = []

    public init() {}

    /// Adds the image of the next layer, pinned by `id` (`sha512-...`, in the form the
    /// caller's images are known by: a full ID, or a store key).
    public mutating func add(_ manifest: ImageManifest, id: String) throws(OCIError) {
        let hash: ImageHash
        do {
            hash = try ImageHash(id)
        } catch {
            throw .document("image ID \(id): \(error.message)")
        }
        whitelist = manifest.pathWhitelist
        dependencies.append(Dependency(imageName: manifest.name, imageID: hash, labels: manifest.labels))
    }
}

/// One layer as an image of its own: docker2aci's `writeACI`, with whiteouts applied to
/// the whitelist of the layers below before this layer's paths are added (docker2aci
/// subtracted them after, losing a path a layer removes and adds again) and opaque
/// directories applied too.
struct LayerImageWriter {
    let writer: ACIWriter
    let layer: LayerBlob

    func write(lowerWhitelist: [String]) throws(OCIError) -> [String] {
        let (stream, reader) = try layer.open()
        defer { stream.close() }
        var own: Set<String> = []
        var removed: [String] = []
        var opaque: [String] = []
        var files: Set<[UInt8]> = []
        try layer.reading {
            while let header = try reader.next() {
                switch try LayerEntry.read(header, reader, layer: layer.digest) {
                case .ignored: continue
                case let .whiteout(path): removed.append("/" + text(path))
                case let .opaque(path): opaque.append(path.isEmpty ? "/" : "/" + text(path))
                case let .path(path, kind, target):
                    if path == Array("dev".utf8), kind != .directory {
                        throw OCIError.layer("layer \(layer.digest): invalid layer: \"/dev\" is not a directory")
                    }
                    if let target, !files.contains(target) {
                        throw OCIError.layer(
                            "layer \(layer.digest): hard link \(goQuote(text(path))) points to \(goQuote(text(target))) of another layer; convert the image squashed")
                    }
                    try writer.copyCurrentEntry(of: reader, name: rootfs(path), hardlinkTarget: target.map(rootfs))
                    if kind == .regular || kind == .hardlink { files.insert(path) }
                    own.insert("/" + text(path))
                }
            }
            for link in LayerSquasher.stdioLinks where !own.contains("/" + link.path) {
                try writer.write(ACIWriter.Header(name: rootfs(Array(link.path.utf8)), kind: .symlink(target: Array(link.target.utf8)), mode: 0o777))
                own.insert("/" + link.path)
            }
            try layer.finish(stream)
        }
        func hidden(_ path: String) -> Bool {
            removed.contains { path == $0 || path.hasPrefix($0 + "/") }
                || opaque.contains { path.hasPrefix($0 == "/" ? "/" : $0 + "/") }
        }
        let kept = lowerWhitelist.filter { !hidden($0) && !own.contains($0) }
        return (kept + own).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private func rootfs(_ path: [UInt8]) -> [UInt8] { Array("rootfs/".utf8) + path }
    private func text(_ path: [UInt8]) -> String { String(decoding: path, as: UTF8.self) }
}
