import AppcSchema
import CArchive
import Glibc
import GoCompat
import GoJSON
import ImageKit
import LinuxSystem

/// An image on the local disk, ready to convert: an OCI image layout (a directory, or a
/// tar of one, as skopeo's `oci:` and `oci-archive:` write them) or a `docker save`
/// archive. Its layers stay open as long as the value lives.
public final class LocalImage {
    /// How the source was named: `oci:PATH[:NAME]` or `docker-archive:PATH[:REFERENCE]`.
    public enum Location: Sendable, Equatable {
        case ociLayout(path: String, name: String?)
        case dockerArchive(path: String, reference: String?)

        /// Parses `oci:PATH[:NAME]` or `docker-archive:PATH[:REFERENCE]` (the path ends at
        /// the first colon, as skopeo reads it); nil for any other text.
        public init?(_ text: String) {
            func split(_ rest: Substring) -> (String, String?) {
                guard let colon = rest.firstIndex(of: ":") else { return (String(rest), nil) }
                let name = rest[rest.index(after: colon)...]
                return (String(rest[..<colon]), name.isEmpty ? nil : String(name))
            }
            if text.hasPrefix("oci:") {
                let (path, name) = split(text.dropFirst(4))
                self = .ociLayout(path: path, name: name)
            } else if text.hasPrefix("docker-archive:") {
                let (path, reference) = split(text.dropFirst(15))
                self = .dockerArchive(path: path, reference: reference)
            } else {
                return nil
            }
        }

        public var path: String {
            switch self {
            case let .ociLayout(path, _), let .dockerArchive(path, _): return path
            }
        }
    }

    /// What to convert: the reference the image is named by, its documents, its layers.
    public let input: ConversionInput
    /// Keeps extracted members alive.
    private let files: LocalFiles
    /// Keeps the layers' descriptors open.
    private let layerFiles: [LocalFile]

    private init(_ opened: (ConversionInput, [LocalFile]), files: LocalFiles) {
        input = opened.0
        layerFiles = opened.1
        self.files = files
    }

    /// Opens `location`; a tar is unpacked into unnamed files under `scratch`.
    public static func open(_ location: Location, scratch: String, platform: OCIPlatform = .host) throws(OCIError) -> LocalImage {
        let path = location.path
        var info = stat()
        guard stat(path, &info) == 0 else { throw .system(SystemError("stat", path)) }
        let files: LocalFiles = (info.st_mode & S_IFMT) == S_IFDIR ? try DirectoryFiles(path) : try ArchiveFiles(path, scratch: scratch)
        switch location {
        case let .ociLayout(_, name):
            return LocalImage(try ociLayout(files, path: path, name: name, platform: platform), files: files)
        case let .dockerArchive(_, reference):
            return LocalImage(try dockerArchive(files, path: path, reference: reference), files: files)
        }
    }

    /// docker2aci's name for an image a file does not name: the file's name up to its
    /// first dot (`app.tar.gz` → `app`).
    private static func fileImageName(_ path: String) -> String {
        Files.baseName(of: path).split(separator: ".").first.map(String.init) ?? "image"
    }

    // MARK: OCI layouts

    private static func ociLayout(_ files: LocalFiles, path: String, name: String?, platform: OCIPlatform) throws(OCIError) -> (ConversionInput, [LocalFile]) {
        guard try files.open("oci-layout") != nil else { throw .document("\(path): not an OCI image layout (no oci-layout file)") }
        guard let indexFile = try files.open("index.json") else { throw .document("\(path): no index.json") }
        let what = "\(path): index.json"
        guard
            case let .index(entries) = try OCIManifestDocument.decode(
                try indexFile.read(limit: OCIManifestDocument.sizeLimit, what: what), mediaType: OCIMediaType.ociIndex, what: what)
        else {
            throw .document("\(what): not an index")
        }
        let chosen: OCIDescriptor
        if let name {
            guard let found = entries.first(where: { $0.refName == name }) else {
                throw .notFound("\(path): no image named \(goQuote(name)) (it has: \(names(entries)))")
            }
            chosen = found
        } else {
            guard entries.count == 1, let only = entries.first else {
                throw .notFound(
                    entries.isEmpty ? "\(path): the layout holds no image" : "\(path): the layout holds several images; name one with oci:\(path):NAME (it has: \(names(entries)))")
            }
            chosen = only
        }
        var refName = name ?? chosen.refName
        let (manifest, manifestDigest) = try resolve(chosen, files: files, path: path, platform: platform)
        // A name that is a whole reference (`docker.io/library/busybox:1.36`) names the
        // image; a bare tag names a version of the layout's directory.
        var reference: DockerReference
        if let full = refName, full.contains("/") || full.contains("@"), let parsed = try? DockerReference(parsing: full) {
            reference = parsed
            refName = nil
        } else {
            let base = fileImageName(path)
            reference = DockerReference(registry: "", repository: base, tag: refName ?? DockerReference.defaultTag)
        }
        reference.originalName = "oci:" + path + (name.map { ":" + $0 } ?? "")
        return try input(manifest, manifestDigest: manifestDigest, reference: reference, files: files, path: path)
    }

    private static func names(_ entries: [OCIDescriptor]) -> String {
        let list = entries.map { $0.refName ?? $0.digest.description }
        return list.isEmpty ? "none" : list.joined(separator: ", ")
    }

    /// Follows a descriptor (through indexes, to this platform's entry) to an image manifest.
    private static func resolve(_ descriptor: OCIDescriptor, files: LocalFiles, path: String, platform: OCIPlatform) throws(OCIError) -> (OCIImageManifest, OCIDigest) {
        func load(_ descriptor: OCIDescriptor) throws(OCIError) -> FetchedDocument {
            FetchedDocument(
                bytes: try blob(descriptor, files: files, path: path, limit: OCIManifestDocument.sizeLimit), mediaType: descriptor.mediaType,
                digest: descriptor.digest)
        }
        return try OCIManifestDocument.resolve(
            try load(descriptor), platform: platform, describe: { "\(path): manifest \($0)" }, describeList: { "\(path): index \($0)" },
            load: load, failure: { $0 })
    }

    /// A blob's bytes, checked against its descriptor.
    private static func blob(_ descriptor: OCIDescriptor, files: LocalFiles, path: String, limit: Int) throws(OCIError) -> [UInt8] {
        let file = try blobFile(descriptor, files: files, path: path)
        let bytes = try file.read(limit: limit, what: "\(path): blob \(descriptor.digest)")
        try descriptor.digest.verify(OCIDigest(sha256Of: bytes), what: "\(path): blob \(descriptor.digest)")
        return bytes
    }

    private static func blobFile(_ descriptor: OCIDescriptor, files: LocalFiles, path: String) throws(OCIError) -> LocalFile {
        let digest = descriptor.digest
        guard digest.isVerifiable else { throw .document("\(path): blob \(digest): unsupported digest algorithm") }
        guard let file = try files.open("blobs/\(digest.algorithm)/\(digest.hex)") else {
            throw .notFound("\(path): blob \(digest) is missing")
        }
        guard file.size == descriptor.size else {
            throw .document("\(path): blob \(digest): size \(file.size), but the descriptor says \(descriptor.size)")
        }
        return file
    }

    private static func input(
        _ manifest: OCIImageManifest, manifestDigest: OCIDigest, reference: DockerReference, files: LocalFiles, path: String
    ) throws(OCIError) -> (ConversionInput, [LocalFile]) {
        let configBytes = try blob(manifest.config, files: files, path: path, limit: OCIImageConfig.sizeLimit)
        let config = try OCIImageConfig.decode(configBytes, what: "\(path): config \(manifest.config.digest)")
        var layers: [LayerBlob] = []
        var opened: [LocalFile] = []
        for descriptor in manifest.layers {
            let file = try blobFile(descriptor, files: files, path: path)
            try descriptor.digest.verify(try file.sha256(what: "\(path): layer \(descriptor.digest)"), what: "\(path): layer \(descriptor.digest)")
            layers.append(LayerBlob(digest: descriptor.digest, fd: file.fd))
            opened.append(file)
        }
        let input = ConversionInput(reference: reference, manifestDigest: manifestDigest, configDigest: manifest.config.digest, config: config, layers: layers)
        return (input, opened)
    }

    // MARK: docker save archives

    private static func dockerArchive(_ files: LocalFiles, path: String, reference: String?) throws(OCIError) -> (ConversionInput, [LocalFile]) {
        guard let manifestFile = try files.open("manifest.json") else {
            throw .document("\(path): not a docker save archive (no manifest.json)")
        }
        let what = "\(path): manifest.json"
        let bytes = try manifestFile.read(limit: OCIManifestDocument.sizeLimit, what: what)
        let entries: [DockerArchiveEntry]
        do {
            entries = try DockerArchiveEntry.decode(bytes)
        } catch {
            throw .document("\(what): \(error.message)")
        }
        var wanted: DockerReference?
        if let reference {
            do {
                wanted = try DockerReference(parsing: reference)
            } catch {
                throw .reference("\(reference): \(error.message)")
            }
        }
        let chosen: DockerArchiveEntry
        var tag: DockerReference?
        if let wanted {
            guard let found = entries.first(where: { $0.references.contains { $0.description == wanted.description } }) else {
                throw .notFound("\(path): no image tagged \(reference ?? "") (it has: \(entries.flatMap(\.repoTags).joined(separator: ", ")))")
            }
            chosen = found
            tag = wanted
        } else {
            guard entries.count == 1, let only = entries.first else {
                throw .notFound("\(path): the archive holds \(entries.count) images; name one with docker-archive:\(path):REFERENCE")
            }
            chosen = only
            tag = only.references.first
        }
        // docker2aci names an image of a saved file by its repository alone (no registry).
        var name = DockerReference(registry: "", repository: fileImageName(path), tag: DockerReference.defaultTag)
        if let tag { name = wanted == nil ? DockerReference(registry: "", repository: tag.repository, tag: tag.tag, digest: tag.digest) : tag }
        name.originalName = "docker-archive:" + path + (reference.map { ":" + $0 } ?? "")

        guard let configFile = try files.open(chosen.config) else { throw .notFound("\(path): config \(chosen.config) is missing") }
        let configBytes = try configFile.read(limit: OCIImageConfig.sizeLimit, what: "\(path): \(chosen.config)")
        let configDigest = OCIDigest(sha256Of: configBytes)
        let config = try OCIImageConfig.decode(configBytes, what: "\(path): \(chosen.config)")
        var layers: [LayerBlob] = []
        var opened: [LocalFile] = []
        for layerPath in chosen.layers {
            guard let file = try files.open(layerPath) else { throw .notFound("\(path): layer \(layerPath) is missing") }
            layers.append(LayerBlob(digest: try file.sha256(what: "\(path): \(layerPath)"), fd: file.fd))
            opened.append(file)
        }
        guard !layers.isEmpty else { throw .document("\(what): the image has no layers") }
        let input = ConversionInput(reference: name, manifestDigest: configDigest, configDigest: configDigest, config: config, layers: layers)
        return (input, opened)
    }
}

/// One image of a `docker save` archive's `manifest.json`.
struct DockerArchiveEntry {
    var config: String
    var repoTags: [String]
    var layers: [String]

    var references: [DockerReference] { repoTags.compactMap { try? DockerReference(parsing: $0) } }

    static func decode(_ bytes: [UInt8]) throws(OCIError) -> [DockerArchiveEntry] {
        let root: JSONValue
        do {
            root = try GoJSON.parse(bytes).root
        } catch {
            throw .document("invalid JSON: \(error.message)")
        }
        guard let items = root.items else { throw .document("not a JSON array") }
        var entries: [DockerArchiveEntry] = []
        for item in items {
            guard let config = item["Config"]?.string else { throw .document("an image without Config") }
            entries.append(DockerArchiveEntry(config: config, repoTags: item["RepoTags"]?.strings ?? [], layers: item["Layers"]?.strings ?? []))
        }
        return entries
    }
}

/// Picking this machine's image from a manifest list or index.
public enum PlatformChoice {
    /// The first entry whose platform runs on `platform`.
    public static func choose(_ entries: [OCIDescriptor], platform: OCIPlatform, what: String) throws(OCIError) -> OCIDescriptor {
        if let found = entries.first(where: { $0.platform?.runs(on: platform) ?? false }) { return found }
        // An index without platforms (a plain OCI layout's) with a single image.
        if entries.count == 1, let only = entries.first, only.platform == nil { return only }
        let offered = entries.compactMap { $0.platform?.description }
        throw .notFound("\(what): no image for \(platform) (it has: \(offered.isEmpty ? "none" : offered.joined(separator: ", ")))")
    }
}

extension OCIPlatform {
    /// This machine: Linux on the CPU this program was built for.
    public static var host: OCIPlatform {
        #if arch(arm64)
            return OCIPlatform(os: "linux", architecture: "arm64", variant: "v8")
        #else
            return OCIPlatform(os: "linux", architecture: OSArch.hostGoArch)
        #endif
    }
}
