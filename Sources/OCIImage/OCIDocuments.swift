import GoJSON

/// The media types of Docker's and OCI's image documents and layers.
public enum OCIMediaType {
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"

    /// What a client accepts for a manifest, in order of preference.
    public static let manifestAccept = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    /// Whether a layer of this type is a tar stream (compressed or not) we can read:
    /// Docker's gzip layers (and "foreign" ones), OCI's plain, gzip and zstd layers,
    /// distributable or not.
    public static func isLayer(_ type: String) -> Bool {
        type.hasPrefix("application/vnd.docker.image.rootfs.") || type.hasPrefix("application/vnd.oci.image.layer.")
    }
}

/// A reference to content: what it is, its digest and its size.
public struct OCIDescriptor: Sendable, Equatable {
    public var mediaType: String
    public var digest: OCIDigest
    public var size: Int64
    /// Set on the entries of a manifest list or index.
    public var platform: OCIPlatform?
    public var annotations: [String: String]

    public init(mediaType: String, digest: OCIDigest, size: Int64, platform: OCIPlatform? = nil, annotations: [String: String] = [:]) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }

    /// The annotation OCI layouts name their images with (`oci:DIR:NAME`).
    public var refName: String? { annotations["org.opencontainers.image.ref.name"] }

    static func decode(_ value: JSONValue, what: String) throws(OCIError) -> OCIDescriptor {
        guard value.members != nil else { throw .document("\(what): not a JSON object") }
        guard let digestText = value["digest"]?.string else { throw .document("\(what): no digest") }
        let digest: OCIDigest
        do {
            digest = try OCIDigest(parsing: digestText)
        } catch {
            throw .document("\(what): digest \(digestText): \(error.message)")
        }
        let size = value["size"]?.int64 ?? -1
        guard size >= 0 else { throw .document("\(what): no valid size") }
        var platform: OCIPlatform?
        if let p = value["platform"], p.members != nil {
            platform = OCIPlatform(os: p["os"]?.string ?? "", architecture: p["architecture"]?.string ?? "", variant: p["variant"]?.string ?? "")
        }
        var annotations: [String: String] = [:]
        for member in value["annotations"]?.members ?? [] {
            if let text = member.value.string { annotations[member.key] = text }
        }
        return OCIDescriptor(mediaType: value["mediaType"]?.string ?? "", digest: digest, size: size, platform: platform, annotations: annotations)
    }
}

/// An operating system and CPU, as images and indexes name them (Go's GOOS/GOARCH).
public struct OCIPlatform: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String

    public init(os: String, architecture: String, variant: String = "") {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    public var description: String { [os, architecture, variant].filter { !$0.isEmpty }.joined(separator: "/") }

    /// Whether an image for `self` runs on `host`: same OS and architecture, and the
    /// same variant when both name one.
    public func runs(on host: OCIPlatform) -> Bool {
        os == host.os && architecture == host.architecture && (variant.isEmpty || host.variant.isEmpty || variant == host.variant)
    }
}

/// A manifest as fetched or read: an image's, or a list of per-platform manifests.
public enum OCIManifestDocument: Sendable {
    case image(OCIImageManifest)
    case index([OCIDescriptor])

    /// The largest manifest or index read (the distribution registry's own limit).
    public static let sizeLimit = 4 << 20

    /// Decodes a manifest or an index; `mediaType` is what the registry or the
    /// referring descriptor said, if anything (the document's own field decides otherwise).
    public static func decode(_ bytes: [UInt8], mediaType: String?, what: String) throws(OCIError) -> OCIManifestDocument {
        let root = try jsonObject(bytes, what: what)
        let declared = root["mediaType"]?.string ?? ""
        let type = declared.isEmpty ? (mediaType ?? "") : declared
        if root["schemaVersion"]?.int64 == 1 || type == OCIMediaType.dockerSchema1 || type == OCIMediaType.dockerSchema1Signed {
            throw .document("\(what): Docker schema 1 manifests are not supported (push the image again with a current Docker or skopeo)")
        }
        if type == OCIMediaType.ociIndex || type == OCIMediaType.dockerManifestList || (type.isEmpty && root["manifests"] != nil) {
            guard let items = root["manifests"]?.items else { throw .document("\(what): an index without manifests") }
            var entries: [OCIDescriptor] = []
            for (i, item) in items.enumerated() {
                entries.append(try OCIDescriptor.decode(item, what: "\(what): manifests[\(i)]"))
            }
            return .index(entries)
        }
        guard let configValue = root["config"] else { throw .document("\(what): no config") }
        let config = try OCIDescriptor.decode(configValue, what: "\(what): config")
        var layers: [OCIDescriptor] = []
        for (i, item) in (root["layers"]?.items ?? []).enumerated() {
            let layer = try OCIDescriptor.decode(item, what: "\(what): layers[\(i)]")
            guard OCIMediaType.isLayer(layer.mediaType) || layer.mediaType.isEmpty else {
                throw .document("\(what): layers[\(i)]: unsupported layer type \(layer.mediaType)")
            }
            layers.append(layer)
        }
        guard !layers.isEmpty else { throw .document("\(what): the image has no layers") }
        return .image(OCIImageManifest(mediaType: type, config: config, layers: layers))
    }
}

/// A manifest or index as read: its bytes, the type it was served or referred to as, its digest.
public struct FetchedDocument: Sendable {
    public var bytes: [UInt8]
    public var mediaType: String
    public var digest: OCIDigest

    public init(bytes: [UInt8], mediaType: String, digest: OCIDigest) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.digest = digest
    }
}

extension OCIManifestDocument {
    /// Follows manifest lists and indexes (nested 8 deep at most) from `first` to the
    /// image manifest for `platform`, and returns it with its digest. `load` reads the
    /// document an entry names (a registry's or a layout's); `describe` names a document
    /// in errors, `describeList` a list. A decoding error becomes `E` through `failure`.
    public static func resolve<E: Error>(
        _ first: FetchedDocument, platform: OCIPlatform, describe: (OCIDigest) -> String, describeList: (OCIDigest) -> String,
        load: (OCIDescriptor) throws(E) -> FetchedDocument, failure: (OCIError) -> E
    ) throws(E) -> (OCIImageManifest, OCIDigest) {
        var current = first
        for _ in 0..<8 {
            let chosen: OCIDescriptor
            do throws(OCIError) {
                switch try decode(current.bytes, mediaType: current.mediaType, what: describe(current.digest)) {
                case let .image(manifest): return (manifest, current.digest)
                case let .index(entries): chosen = try PlatformChoice.choose(entries, platform: platform, what: describeList(current.digest))
                }
            } catch {
                throw failure(error)
            }
            current = try load(chosen)
        }
        throw failure(.document("\(describeList(current.digest)): manifest lists and indexes nested too deep"))
    }
}

/// One platform's image: its config and its layers, base first.
public struct OCIImageManifest: Sendable, Equatable {
    public var mediaType: String
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
}

/// The parts of an image config (`application/vnd.oci.image.config.v1+json`, Docker's
/// `container.image.v1`) that become an ACI's manifest.
public struct OCIImageConfig: Sendable, Equatable {
    public var created = ""
    public var author = ""
    public var platform = OCIPlatform(os: "", architecture: "")
    public var user = ""
    public var environment: [String] = []
    public var entrypoint: [String] = []
    public var cmd: [String] = []
    public var workingDirectory = ""
    /// `ExposedPorts` keys (`80/tcp`), in document order.
    public var exposedPorts: [String] = []
    /// `Volumes` keys (paths), in document order.
    public var volumes: [String] = []
    public var labels: [String: String] = [:]
    /// Whether the config has a `config` object at all (docker2aci writes no app without one).
    public var hasRunConfig = false

    /// The largest config read: real ones are a few KiB, a long history a few hundred.
    public static let sizeLimit = 8 << 20

    public init() {}

    public static func decode(_ bytes: [UInt8], what: String) throws(OCIError) -> OCIImageConfig {
        let root = try jsonObject(bytes, what: what)
        var config = OCIImageConfig()
        config.created = root["created"]?.string ?? ""
        config.author = root["author"]?.string ?? ""
        config.platform = OCIPlatform(
            os: root["os"]?.string ?? "", architecture: root["architecture"]?.string ?? "", variant: root["variant"]?.string ?? "")
        guard let run = root["config"], run.members != nil else { return config }
        config.hasRunConfig = true
        config.user = run["User"]?.string ?? ""
        config.environment = run["Env"]?.strings ?? []
        config.entrypoint = run["Entrypoint"]?.strings ?? []
        config.cmd = run["Cmd"]?.strings ?? []
        config.workingDirectory = run["WorkingDir"]?.string ?? ""
        config.exposedPorts = (run["ExposedPorts"]?.members ?? []).map(\.key)
        config.volumes = (run["Volumes"]?.members ?? []).map(\.key)
        for member in run["Labels"]?.members ?? [] {
            if let text = member.value.string { config.labels[member.key] = text }
        }
        return config
    }
}

/// A JSON document that must be an object (`what` names it in errors).
func jsonObject(_ bytes: [UInt8], what: String) throws(OCIError) -> JSONValue {
    let root: JSONValue
    do {
        root = try GoJSON.parse(bytes).root
    } catch {
        throw .document("\(what): invalid JSON: \(error.message)")
    }
    guard root.members != nil else { throw .document("\(what): not a JSON object") }
    return root
}
