/// An image ID: `sha512-` + the hex SHA-512 of an image's uncompressed tar stream.
///
/// rkt prints it in several lengths; each has a name here so no caller counts characters.
public struct ImageID: Hashable, Sendable, CustomStringConvertible {
    public static let algorithmPrefix = "sha512-"

    /// The 128 lower-case hex digits of the digest.
    public let hex: String

    /// From a 64-byte SHA-512 digest.
    public init(digest: [UInt8]) {
        precondition(digest.count == 64, "a SHA-512 digest has 64 bytes")
        hex = ImageID.hexString(digest)
    }

    /// The ID of `bytes` (their SHA-512), e.g. for rkt's keys of things other than images.
    public init(sha512Of bytes: [UInt8]) {
        let hasher = ContentHasher()
        hasher.update(bytes)
        self.init(digest: hasher.finalize())
    }

    /// Parses the full form, `sha512-` followed by 128 hex digits (upper case accepted).
    public init(parsing text: String) throws(ImageKitError) {
        guard text.hasPrefix(ImageID.algorithmPrefix) else { throw .invalidImageID(text, "wrong key prefix") }
        let digits = text.dropFirst(ImageID.algorithmPrefix.count).lowercased()
        guard digits.utf8.count == 128, digits.utf8.allSatisfy(ImageID.isHexDigit) else {
            throw .invalidImageID(text, "want sha512- followed by 128 hex digits")
        }
        hex = digits
    }

    /// `sha512-` + all 128 digits.
    public var description: String { ImageID.algorithmPrefix + hex }
    /// rkt's store key and `--full` form: `sha512-` + 64 digits (71 characters).
    public var storeKey: String { ImageID.algorithmPrefix + String(hex.prefix(64)) }
    /// rkt fetch's output and `image-id --short`: `sha512-` + 32 digits (39 characters).
    public var short: String { ImageID.algorithmPrefix + String(hex.prefix(32)) }
    /// `rkt image list`'s column: `sha512-` + 12 digits (19 characters).
    public var listForm: String { ImageID.algorithmPrefix + String(hex.prefix(12)) }

    /// True when `prefix` (as normalised by `ImageID.normalisedPrefix`) starts this ID.
    public func matches(prefix: String) -> Bool {
        description.hasPrefix(prefix)
    }

    /// rkt's rules for an ID a user typed: must start with `sha512-`, carry at least
    /// two hex digits, and is cut to the 71-character store key length.
    public static func normalisedPrefix(_ text: String) throws(ImageKitError) -> String {
        guard text.hasPrefix(algorithmPrefix) else { throw .invalidImageID(text, "wrong key prefix") }
        let digits = text.dropFirst(algorithmPrefix.count).lowercased()
        guard digits.utf8.count >= 2 else { throw .invalidImageID(text, "image ID too short") }
        guard digits.utf8.allSatisfy(isHexDigit) else { throw .invalidImageID(text, "not a hex digest") }
        return algorithmPrefix + String(digits.prefix(64))
    }

    static func isHexDigit(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x61...0x66).contains(c)
    }

    /// Lower-case hex of `bytes`.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
