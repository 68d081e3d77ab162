import GoJSON

/// A semantic version as appc's Go library (go-semver) parses it
/// (appc-spec.md §4.4): build metadata after the first `+`, pre-release after
/// the first `-` of the rest, then exactly three base-10 integers.
public struct SemVer: Hashable, Sendable, CustomStringConvertible {
    /// Major version.
    public var major: Int64
    /// Minor version.
    public var minor: Int64
    /// Patch version.
    public var patch: Int64
    /// Text after the first `-` (may contain anything).
    public var preRelease: String
    /// Text after the first `+` (may contain anything).
    public var metadata: String

    /// Parses `text`; `SemVer is bad` or `SemVer cannot be zero` on failure.
    public init(_ text: String) throws(ManifestError) {
        guard let parsed = SemVer.parse(text) else { throw ManifestError("SemVer is bad") }
        if parsed.isEmpty { throw ManifestError("SemVer cannot be zero") }
        self = parsed
    }

    init(major: Int64, minor: Int64, patch: Int64, preRelease: String = "", metadata: String = "") {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.preRelease = preRelease
        self.metadata = metadata
    }

    /// Go's zero `SemVer{}`.
    static let zero = SemVer(major: 0, minor: 0, patch: 0)

    /// True for 0.0.0 without pre-release and metadata (Go's `Empty()`).
    public var isEmpty: Bool { self == SemVer.zero }

    /// `MAJOR.MINOR.PATCH[-PRE][+META]` with normalised numbers.
    public var description: String {
        var s = "\(major).\(minor).\(patch)"
        if !preRelease.isEmpty { s += "-" + preRelease }
        if !metadata.isEmpty { s += "+" + metadata }
        return s
    }

    /// go-semver's `Version.Set`, without the zero check.
    static func parse(_ text: String) -> SemVer? {
        var rest = Substring(text)
        var metadata = ""
        if let plus = rest.firstIndex(of: "+") {
            metadata = String(rest[rest.index(after: plus)...])
            rest = rest[..<plus]
        }
        var preRelease = ""
        if let dash = rest.firstIndex(of: "-") {
            preRelease = String(rest[rest.index(after: dash)...])
            rest = rest[..<dash]
        }
        // strings.SplitN(s, ".", 3): the third part keeps any further dots.
        var parts: [Substring] = []
        var remaining = rest
        while parts.count < 2, let dot = remaining.firstIndex(of: ".") {
            parts.append(remaining[..<dot])
            remaining = remaining[remaining.index(after: dot)...]
        }
        parts.append(remaining)
        guard parts.count == 3 else { return nil }
        var numbers: [Int64] = []
        for part in parts {
            guard let n = DecodeLevel.parseInt(String(part)) else { return nil }
            numbers.append(Int64(n))
        }
        return SemVer(
            major: numbers[0], minor: numbers[1], patch: numbers[2],
            preRelease: preRelease, metadata: metadata)
    }

    /// Go's `SemVer.UnmarshalJSON`.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> SemVer {
        try level.custom { inner in
            let s = try decodeStringValue(value, level: inner)
            guard let parsed = parse(s) else { throw DecodeFailure.invalid("SemVer is bad") }
            if parsed.isEmpty { throw DecodeFailure.invalid("SemVer cannot be zero") }
            return parsed
        }
    }
}
