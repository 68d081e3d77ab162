import ImageKit

/// A content digest, `ALGORITHM:HEX` (OCI image spec, "Digests"). Only SHA-256 can be
/// verified here; the others parse, so that a registry's answer can name them in errors.
public struct OCIDigest: Sendable, Hashable, CustomStringConvertible {
    public let algorithm: String
    public let hex: String

    /// Hex lengths of the algorithms the go-digest library registers.
    private static let hexLengths = ["sha256": 64, "sha384": 96, "sha512": 128]

    public init(parsing text: String) throws(OCIError) {
        guard let colon = text.firstIndex(of: ":") else { throw .reference("invalid checksum digest format") }
        let algorithm = String(text[..<colon])
        let hex = String(text[text.index(after: colon)...])
        guard !algorithm.isEmpty, !hex.isEmpty, hex.utf8.allSatisfy(DockerReference.isLowerHex) else {
            throw .reference("invalid checksum digest format")
        }
        guard let length = OCIDigest.hexLengths[algorithm] else { throw .reference("unsupported digest algorithm") }
        guard hex.utf8.count == length else { throw .reference("invalid checksum digest length") }
        self.algorithm = algorithm
        self.hex = hex
    }

    /// The SHA-256 digest of `bytes`.
    public init(sha256Of bytes: [UInt8]) {
        let hasher = ContentHasher(.sha256)
        hasher.update(bytes)
        self.init(sha256: hasher.finalize())
    }

    /// The digest whose raw SHA-256 value is `digest`.
    public init(sha256 digest: [UInt8]) {
        algorithm = "sha256"
        hex = digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    public var description: String { algorithm + ":" + hex }

    /// Whether content can be checked against this digest here.
    public var isVerifiable: Bool { algorithm == "sha256" }

    /// Fails unless `actual` (computed over the content) is this digest.
    public func verify(_ actual: OCIDigest, what: String) throws(OCIError) {
        guard actual == self else { throw .digestMismatch(what: what, expected: description, actual: actual.description) }
    }
}
