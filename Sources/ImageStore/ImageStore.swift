import AppcSchema
import GoCompat
import GoJSON
import ImageKit
import LinuxSystem

/// One stored image, as the index knows it (rkt's `aciinfo` row).
public struct ImageRecord: Codable, Sendable, Equatable {
    /// The store key: `sha512-` + 64 hex (71 characters).
    public var key: String
    /// The image name from its manifest.
    public var name: String
    /// Import and last-use times, nanoseconds since the epoch (rkt's JSON uses these).
    public var importTime: Int64
    public var lastUsed: Int64
    /// Marked "latest" when fetched by name without a version (rkt's preference rule).
    public var latest: Bool
    /// Bytes of the stored (uncompressed) blob.
    public var size: Int64
    /// The manifest's `version` label, if any (shown as `name:version`).
    public var version: String? = nil

    /// The record of image `key` with `manifest`: its name, and its `version` label.
    init(key: String, manifest: ImageManifest, importTime: Int64, lastUsed: Int64, latest: Bool, size: Int64) {
        let version = manifest.labels.first { $0.name.description == "version" }?.value
        self.init(key: key, name: manifest.name.description, importTime: importTime, lastUsed: lastUsed, latest: latest, size: size, version: version)
    }

    public init(key: String, name: String, importTime: Int64, lastUsed: Int64, latest: Bool, size: Int64, version: String? = nil) {
        self.key = key
        self.name = name
        self.importTime = importTime
        self.lastUsed = lastUsed
        self.latest = latest
        self.size = size
        self.version = version
    }
}

/// rkt's `remote` row: which store key a URL was last downloaded as, with its ETag and
/// cache lifetime (the names are those of the index file of earlier releases).
public struct RemoteRecord: Codable, Sendable, Equatable {
    public var aciURL: String
    public var sigURL: String
    public var etag: String
    public var blobKey: String
    /// Seconds since the epoch.
    public var downloadTime: Double
    public var cacheMaxAge: Int

    public init(aciURL: String, sigURL: String, etag: String, blobKey: String, downloadTime: Double, cacheMaxAge: Int) {
        self.aciURL = aciURL
        self.sigURL = sigURL
        self.etag = etag
        self.blobKey = blobKey
        self.downloadTime = downloadTime
        self.cacheMaxAge = cacheMaxAge
    }
}

/// An image file imported before, as it was then: `rkt run FILE` of the same file in
/// the same state uses the stored image without reading the file again.
public struct ImportedFile: Sendable, Equatable {
    /// The file's absolute path.
    public var path: String
    /// `FileIdentity` of the file when it was read.
    public var identity: String
    /// What its signature check depended on (the signature file's identity and the trusted
    /// keys'), or nil when it was imported without one (`--insecure-options=image`).
    public var signature: String?
    /// The signers the check reported, to report them again.
    public var signers: [String]
    /// The image it holds.
    public var key: String

    public init(path: String, identity: String, signature: String?, signers: [String], key: String) {
        self.path = path
        self.identity = identity
        self.signature = signature
        self.signers = signers
        self.key = key
    }
}

/// Errors with rkt's wording (the CLI adds the `SUBCOMMAND: ` prefix).
public enum StoreError: SystemFailure, Sendable, Equatable, CustomStringConvertible {
    case imageIDTooShort  // "image ID too short"
    case wrongKeyPrefix(String)  // "wrong key prefix"
    case noImageIDs  // "no image IDs found"
    case ambiguous(String)  // "ambiguous image ID: %q"
    case nameNotFound(name: String, labels: [Label])  // "cannot find aci satisfying name: %q and labels: %s in the local store"
    case hashMismatch(expected: String, actual: String)  // "image hash does not match expected (X != Y)"
    case tooLarge(limit: Int64)
    /// The index file cannot be read as one: `rkt image gc` rebuilds it.
    case damagedIndex(path: String)
    /// The index failed otherwise (SQLite's message).
    case database(path: String, message: String)
    /// A system call failed.
    case system(SystemError)
    /// The store cannot be opened (rkt's `cannot open store: ...`).
    case cannotOpen(SystemError)
    /// Reading, validating or writing an image or manifest failed.
    case image(ImageKitError)
    /// The manifest in the store cannot be encoded or decoded.
    case manifest(ManifestError)
    case io(String)

    public var description: String {
        switch self {
        case .imageIDTooShort: return "image ID too short"
        case let .wrongKeyPrefix(text): return "wrong key prefix: \(text)"
        case .noImageIDs: return "no image IDs found"
        case let .ambiguous(text): return "ambiguous image ID: \(goQuote(text))"
        case let .nameNotFound(name, labels):
            let rendered = labels.map { "{\($0.name) \($0.value)}" }.joined(separator: " ")
            return "cannot find aci satisfying name: \(goQuote(name)) and labels: [\(rendered)] in the local store"
        case let .hashMismatch(expected, actual): return "image hash does not match expected (\(expected) != \(actual))"
        case let .tooLarge(limit): return "image is larger than \(limit) bytes uncompressed; refusing it (raise the limit with RKT_MAX_IMAGE_SIZE)"
        case let .damagedIndex(path):
            return "\(path): the image index is damaged; \"rkt image gc\" rebuilds it from the stored images"
        case let .database(path, message): return "\(path): \(message)"
        case let .system(error): return error.description
        case let .cannotOpen(error): return "cannot open store: \(error)"
        case let .image(error): return error.description
        case let .manifest(error): return error.description
        case let .io(text): return text
        }
    }
}

// The index files of earlier releases (`images.json`, `remotes.json`): JSON arrays of these
// records under their field names, read once to migrate them. A file that does not parse,
// or a record missing a field, reads as nothing (the store is then rebuilt from its blobs).
private func legacyArray<Record>(_ bytes: [UInt8], _ record: (JSONValue) -> Record?) -> [Record]? {
    guard let items = try? GoJSON.parse(bytes).root.items else { return nil }
    var records: [Record] = []
    for item in items {
        guard let decoded = record(item) else { return nil }
        records.append(decoded)
    }
    return records
}

extension ImageRecord {
    static func legacyRecords(_ bytes: [UInt8]) -> [ImageRecord]? {
        legacyArray(bytes) { item in
            guard let key = item["key"]?.string, let name = item["name"]?.string, let importTime = item["importTime"]?.int64,
                let lastUsed = item["lastUsed"]?.int64, let latest = item["latest"]?.bool, let size = item["size"]?.int64
            else { return nil }
            return ImageRecord(key: key, name: name, importTime: importTime, lastUsed: lastUsed, latest: latest, size: size, version: item["version"]?.string)
        }
    }
}

extension RemoteRecord {
    static func legacyRecords(_ bytes: [UInt8]) -> [RemoteRecord]? {
        legacyArray(bytes) { item in
            guard let aciURL = item["aciURL"]?.string, let sigURL = item["sigURL"]?.string, let etag = item["etag"]?.string,
                let blobKey = item["blobKey"]?.string, let downloadTime = item["downloadTime"]?.double, let cacheMaxAge = item["cacheMaxAge"]?.int64
            else { return nil }
            return RemoteRecord(aciURL: aciURL, sigURL: sigURL, etag: etag, blobKey: blobKey, downloadTime: downloadTime, cacheMaxAge: Int(cacheMaxAge))
        }
    }
}
