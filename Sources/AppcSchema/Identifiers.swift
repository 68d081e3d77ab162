import GoCompat
import GoJSON

/// An App Container Identifier (image names; label, annotation and isolator
/// names). Validated as the Go library does (appc-spec.md §4.1): not empty,
/// only `a-z 0-9 - . _ ~ /`, no separator at either end. Doubled separators pass.
public struct ACIdentifier: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The identifier text.
    public let value: String

    /// Validates `value` as an AC Identifier.
    public init(_ value: String) throws(ManifestError) {
        if let error = ACIdentifier.validationError(value) { throw ManifestError(error) }
        self.value = value
    }

    /// A value taken as is (Go's zero value or a value already known valid).
    init(unchecked value: String) {
        self.value = value
    }

    /// The empty identifier Go starts with (never valid on its own).
    static let empty = ACIdentifier(unchecked: "")

    /// The text form.
    public var description: String { value }
    /// True for the zero value.
    public var isEmpty: Bool { value.isEmpty }

    /// Byte-wise order, as Go compares strings.
    public static func < (a: ACIdentifier, b: ACIdentifier) -> Bool { GoText.byteLess(a.value, b.value) }

    /// Go's `ACIdentifier.assertValid` message for `value`, or nil when valid.
    static func validationError(_ value: String) -> String? {
        if value.isEmpty { return "ACIdentifier cannot be empty" }
        let bytes = Array(value.utf8)
        if bytes.contains(where: { !(isLowerAlnum($0) || isSeparator($0)) }) {
            return #"ACIdentifier must contain only lower case alphanumeric characters plus "-._~/""#
        }
        if let first = bytes.first, let last = bytes.last, isSeparator(first) || isSeparator(last) {
            return "ACIdentifier must start and end with only lower case alphanumeric characters"
        }
        return nil
    }

    private static func isSeparator(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
            || b == UInt8(ascii: "~") || b == UInt8(ascii: "/")
    }

    /// Go's `ACIdentifier.UnmarshalJSON` (a custom level).
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> ACIdentifier {
        try level.custom { inner in
            let s = try decodeStringValue(value, level: inner)
            if let error = validationError(s) { throw DecodeFailure.invalid(error) }
            return ACIdentifier(unchecked: s)
        }
    }
}

/// An App Container Name (port, mount point, volume and pod app names):
/// not empty, only `a-z 0-9 -`, no `-` at either end (appc-spec.md §4.2).
public struct ACName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The name text.
    public let value: String

    /// Validates `value` as an AC Name.
    public init(_ value: String) throws(ManifestError) {
        if let error = ACName.validationError(value) { throw ManifestError(error) }
        self.value = value
    }

    init(unchecked value: String) {
        self.value = value
    }

    static let empty = ACName(unchecked: "")

    /// The text form.
    public var description: String { value }
    /// True for the zero value.
    public var isEmpty: Bool { value.isEmpty }

    /// Byte-wise order, as Go compares strings.
    public static func < (a: ACName, b: ACName) -> Bool { GoText.byteLess(a.value, b.value) }

    static func validationError(_ value: String) -> String? {
        if value.isEmpty { return "ACName cannot be empty" }
        let bytes = Array(value.utf8)
        if bytes.contains(where: { !(isLowerAlnum($0) || $0 == UInt8(ascii: "-")) }) {
            return #"ACName must contain only lower case alphanumeric characters plus "-""#
        }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") {
            return "ACName must start and end with only lower case alphanumeric characters"
        }
        return nil
    }

    /// Go's `ACName.UnmarshalJSON`.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> ACName {
        try level.custom { inner in
            let s = try decodeStringValue(value, level: inner)
            if let error = validationError(s) { throw DecodeFailure.invalid(error) }
            return ACName(unchecked: s)
        }
    }
}

private func isLowerAlnum(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
}

extension ACKind {
    /// Go's `ACKind.assertValid` message for `s`, or the kind.
    static func parse(_ s: String) -> Result<ACKind, DecodeFailure> {
        if let kind = ACKind(rawValue: s) { return .success(kind) }
        if s.isEmpty { return .failure(.invalid("ACKind must be set")) }
        return .failure(.invalid("bad ACKind: " + s))
    }

    /// Go's `ACKind.UnmarshalJSON`.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> ACKind {
        try level.custom { inner in
            try parse(try decodeStringValue(value, level: inner)).get()
        }
    }

    /// `missing or bad ACKind (must be "X")`.
    var missingError: String { "missing or bad ACKind (must be \(goQuote(rawValue)))" }
}

/// An image ID as written in manifests (`dependencies[].imageID`, pod
/// `image.id`): `sha512-VALUE`; the value is not checked (appc-spec.md §2).
public struct ImageHash: Hashable, Sendable, CustomStringConvertible {
    /// The algorithm (always `sha512` once validated).
    public let algorithm: String
    /// The hash value text after the dash.
    public let value: String

    /// Go's `types.NewHash`.
    public init(_ text: String) throws(ManifestError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ManifestError("badly formatted hash string") }
        let hash = ImageHash(unchecked: String(parts[0]), value: String(parts[1]))
        if let error = hash.validationError { throw ManifestError(error) }
        self = hash
    }

    init(unchecked algorithm: String, value: String) {
        self.algorithm = algorithm
        self.value = value
    }

    /// Go's zero `Hash{}`.
    static let empty = ImageHash(unchecked: "", value: "")

    /// True for the zero value.
    public var isEmpty: Bool { algorithm.isEmpty && value.isEmpty }

    /// `TYPE-VALUE`.
    public var description: String { algorithm + "-" + value }

    var validationError: String? {
        switch algorithm {
        case "sha512": break
        case "": return "unexpected empty hash type"
        default: return "unrecognized hash type: " + algorithm
        }
        if value.isEmpty { return "unexpected empty hash value" }
        return nil
    }

    /// Go's `Hash.UnmarshalJSON`.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> ImageHash {
        try level.custom { inner in
            let s = try decodeStringValue(value, level: inner)
            let parts = s.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw DecodeFailure.invalid("badly formatted hash string") }
            let hash = ImageHash(unchecked: String(parts[0]), value: String(parts[1]))
            if let error = hash.validationError { throw DecodeFailure.invalid(error) }
            return hash
        }
    }
}
