// The contract other modules (ImageKit, ActoolCLI) code against. The types
// themselves live in their own files: ImageManifest.swift, PodManifest.swift,
// App.swift, Isolators.swift, Identifiers.swift, Labels.swift, SemVer.swift.
import GoJSON

/// An error from decoding, validating or encoding a manifest, carrying the
/// exact text the Go appc library produces (`description`).
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Go error text.
    public let message: String
    /// The same text byte for byte as Go prints it. It differs from
    /// `message.utf8` only for a decorated syntax error quoting source bytes
    /// that are not valid UTF-8 (e.g. the first byte of a BOM); print these
    /// bytes when the output must match the Go tool exactly.
    public let messageBytes: [UInt8]

    /// An error with the given text.
    public init(_ message: String) {
        self.message = message
        self.messageBytes = Array(message.utf8)
    }

    /// An error whose exact bytes may not be valid UTF-8.
    public init(bytes: [UInt8]) {
        self.message = String(decoding: bytes, as: UTF8.self)
        self.messageBytes = bytes
    }

    /// The Go error text.
    public var description: String { message }
}

/// `acKind` values.
public enum ACKind: String, Sendable, Equatable {
    case imageManifest = "ImageManifest"
    case podManifest = "PodManifest"
}

/// Phase one of `actool validate` on a manifest file: Go's `schema.Kind`
/// decode, which looks only at `acKind` and `acVersion`.
public struct ManifestKind: Sendable, Equatable {
    /// nil when the document has no `acKind` (or is `null`, or not an object
    /// whose `acKind` was reached) — the case where the Go tool panics.
    /// Note: `"acKind": null` is not "no acKind": Go calls the custom
    /// unmarshaler with `null`, which fails with `ACKind must be set`.
    public var acKind: ACKind?
    /// The decoded `acVersion`, nil when absent.
    public var acVersion: SemVer?

    /// Creates a value from its fields (no validation beyond the field types).
    public init(acKind: ACKind?, acVersion: SemVer? = nil) {
        self.acKind = acKind
        self.acVersion = acVersion
    }

    /// Go's `schema.Kind.UnmarshalJSON`: syntax errors are NOT decorated here.
    public static func decode(_ bytes: [UInt8]) throws(ManifestError) -> ManifestKind {
        let document = try parseDocument(bytes)
        let level = DecodeLevel(document: document)
        var kind = ManifestKind(acKind: nil)
        do {
            try level.decodeStruct(
                document.root, goType: "schema.kind", structName: "kind",
                fields: ["acVersion", "acKind"]
            ) { index, member in
                if index == 0 {
                    kind.acVersion = try SemVer.decode(member.value, level: level)
                } else {
                    kind.acKind = try ACKind.decode(member.value, level: level)
                }
            }
            try level.finish()
        } catch {
            throw decodeFailure(from: error).manifestError
        }
        return kind
    }
}

/// What image and pod manifests share: Go's `UnmarshalJSON` and `MarshalJSON`
/// wrappers around their document-order decoder and canonical encoder.
public protocol Manifest: Sendable {
    /// The Go type named in wrapped encoding errors (`*schema.ImageManifest`).
    static var goPointerTypeName: String { get }
    /// Decodes a parsed document in Go's order, validating as it goes.
    static func decode(document: JSONDocument) throws -> Self
    /// Validates (as Go's `MarshalJSON` does) and builds the canonical tree.
    func marshalTree() throws -> JSONValue
}

extension Manifest {
    /// Go's `UnmarshalJSON`: decode in document order, validating as it goes;
    /// syntax errors decorated as appc does (appc-spec.md §5.3).
    public static func decode(_ bytes: [UInt8]) throws(ManifestError) -> Self {
        let document: JSONDocument
        do {
            document = try GoJSON.parse(bytes)
        } catch {
            throw ManifestError(bytes: GoJSON.decoratedSyntaxErrorBytes(error, in: bytes))
        }
        do {
            return try decode(document: document)
        } catch {
            throw decodeFailure(from: error).manifestError
        }
    }

    /// `json.Marshal(m)` through Go's `MarshalJSON`: validates, then the canonical
    /// compact form (appc-spec.md §6). Errors are the texts `build` and
    /// `patch-manifest` print (`acVersion must be set`,
    /// `json: error calling MarshalJSON for type *types.App: user is required`).
    public func encoded() throws(ManifestError) -> [UInt8] {
        do {
            return GoJSON.encodeCompact(try marshalTree())
        } catch {
            throw ManifestError((error as? EncodeFailure)?.message ?? "\(error)")
        }
    }

    /// `json.MarshalIndent(m, "", "    ")`, without a trailing newline. An error
    /// is wrapped as Go wraps it for the manifest's pointer type.
    public func prettyEncoded() throws(ManifestError) -> [UInt8] {
        let compact: [UInt8]
        do {
            compact = try encoded()
        } catch {
            throw ManifestError("json: error calling MarshalJSON for type \(Self.goPointerTypeName): " + error.message)
        }
        return GoJSON.indent(compact, indent: "    ")
    }
}
