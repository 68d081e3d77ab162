// The contract other modules (ImageKit, ActoolCLI) code against. The helper
// implementing this module fills in the types and bodies; keep these names
// and signatures (add to them freely).

/// An error from decoding, validating or encoding a manifest, carrying the
/// exact text the Go appc library produces (`description`).
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
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
    /// nil when the document has no (or a null) `acKind` — the case where the Go tool panics.
    public var acKind: ACKind?

    /// Go's `schema.Kind.UnmarshalJSON`: syntax errors are NOT decorated here.
    public static func decode(_ bytes: [UInt8]) throws(ManifestError) -> ManifestKind {
        fatalError("unimplemented")
    }
}

/// Placeholder shape; the implementation replaces this with the full type.
public struct ImageManifest: Sendable {
    /// Go's `ImageManifest.UnmarshalJSON`: decode in document order, validating
    /// as it goes; syntax errors decorated as appc does (appc-spec.md §5.3).
    public static func decode(_ bytes: [UInt8]) throws(ManifestError) -> ImageManifest {
        fatalError("unimplemented")
    }

    /// `json.Marshal(im)`: validates, then the canonical compact form (appc-spec.md §6).
    public func encoded() throws(ManifestError) -> [UInt8] {
        fatalError("unimplemented")
    }

    /// `json.MarshalIndent(im, "", "    ")`, without a trailing newline.
    public func prettyEncoded() throws(ManifestError) -> [UInt8] {
        fatalError("unimplemented")
    }
}

/// Placeholder shape; the implementation replaces this with the full type.
public struct PodManifest: Sendable {
    /// Go's `PodManifest.UnmarshalJSON`.
    public static func decode(_ bytes: [UInt8]) throws(ManifestError) -> PodManifest {
        fatalError("unimplemented")
    }
}
