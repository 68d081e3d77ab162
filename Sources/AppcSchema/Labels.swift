import GoCompat
import GoJSON

/// A `{name, value}` image label.
public struct Label: NamedEntry, Hashable, Sendable {
    /// The name.
    public var name: ACIdentifier
    /// The value.
    public var value: String

    /// Creates a value from its fields (no validation beyond the field types).
    public init(name: ACIdentifier, value: String) {
        self.name = name
        self.value = value
    }

    /// Builds a label from raw text, validating the name.
    public init(name: String, value: String) throws(ManifestError) {
        self.init(name: try ACIdentifier(name), value: value)
    }

    static let zero = Label(name: .empty, value: "")

    /// The valid `os` → `arch` combinations, in the library's order (appc-spec.md §4.5).
    public static let validOSArch: [(os: String, arches: [String])] = [
        ("linux", ["amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64", "ppc64le", "s390x"]),
        ("freebsd", ["amd64", "i386", "arm"]),
        ("darwin", ["x86_64", "i386"]),
    ]

    /// Go's `Labels.assertValid`: no label called `name`, unique names, then
    /// the os/arch check. Returns the Go message or nil.
    public static func validationError(_ labels: [Label]) -> String? {
        var seen: [String: String] = [:]
        for label in labels {
            if label.name.value == "name" { return #"invalid label name: "name""# }
            if seen[label.name.value] != nil {
                return "duplicate labels of name \(goQuote(label.name.value))"
            }
            seen[label.name.value] = label.value
        }
        return osArchError(seen)
    }

    /// Go's `IsValidOSArch` over a label map.
    static func osArchError(_ labels: [String: String]) -> String? {
        guard let os = labels["os"] else { return nil }
        guard let entry = validOSArch.first(where: { $0.os == os }) else {
            let oses = validOSArch.map(\.os).sorted(by: GoText.byteLess)
            return "bad os \(goQuote(os)) (must be one of: \(GoText.list(oses)))"
        }
        if let arch = labels["arch"], !entry.arches.contains(arch) {
            return "bad arch \(goQuote(arch)) for \(os) (must be one of: \(GoText.list(entry.arches)))"
        }
        return nil
    }

    /// Go's `Labels.UnmarshalJSON`: a fresh list, validated as a whole.
    static func decodeList(_ value: JSONValue, level: DecodeLevel) throws -> [Label] {
        try level.custom { inner in
            var labels: [Label]? = nil
            try inner.decodeArray(value, into: &labels, goType: "types.labels", zero: { Label.zero }) { item, label in
                try label.decodeFields(item, level: inner)
            }
            try inner.finish()
            let result = labels ?? []
            if let error = validationError(result) { throw DecodeFailure.invalid(error) }
            return result
        }
    }

    /// A plain struct (no custom unmarshaler): fields into the existing value.
    mutating func decodeFields(_ value: JSONValue, level: DecodeLevel) throws {
        try level.decodeStruct(value, goType: "types.Label", structName: "Label", fields: ["name", "value"]) { index, member in
            switch index {
            case 0: self.name = try ACIdentifier.decode(member.value, level: level)
            default: level.decodeString(member.value, into: &self.value)
            }
        }
    }
}

/// A `{name, value}` image annotation. `created` must be an RFC 3339 date,
/// `homepage` and `documentation` http(s) URLs.
public struct Annotation: NamedEntry, Hashable, Sendable {
    /// The name.
    public var name: ACIdentifier
    /// The value.
    public var value: String

    /// Creates a value from its fields (no validation beyond the field types).
    public init(name: ACIdentifier, value: String) {
        self.name = name
        self.value = value
    }

    /// Builds an annotation from raw text, validating the name.
    public init(name: String, value: String) throws(ManifestError) {
        self.init(name: try ACIdentifier(name), value: value)
    }

    static let zero = Annotation(name: .empty, value: "")

    /// Go's `Annotations.assertValid`.
    public static func validationError(_ annotations: [Annotation]) -> String? {
        var seen: [String: String] = [:]
        for annotation in annotations {
            if seen[annotation.name.value] != nil {
                return "duplicate annotations of name \(goQuote(annotation.name.value))"
            }
            seen[annotation.name.value] = annotation.value
        }
        if let created = seen["created"], let error = dateError(created) { return error }
        if let homepage = seen["homepage"], let error = urlError(homepage) { return error }
        if let documentation = seen["documentation"], let error = urlError(documentation) { return error }
        return nil
    }

    /// Go's `types.NewDate` error: `bad Date: ...`.
    public static func dateError(_ text: String) -> String? {
        GoTime.rfc3339Error(text).map { "bad Date: " + $0 }
    }

    /// Go's `types.NewURL` error: `bad URL: ...` or the scheme error.
    public static func urlError(_ text: String) -> String? {
        switch GoURL.parseScheme(text) {
        case .failure(let reason):
            return "bad URL: " + reason.text
        case .success(let scheme):
            return scheme == "http" || scheme == "https" ? nil : "bad URL scheme, must be http/https"
        }
    }

    /// Go's `Annotations.UnmarshalJSON`.
    static func decodeList(_ value: JSONValue, level: DecodeLevel) throws -> [Annotation] {
        try level.custom { inner in
            var list: [Annotation]? = nil
            try inner.decodeArray(value, into: &list, goType: "types.annotations", zero: { Annotation.zero }) { item, a in
                try inner.decodeStruct(
                    item, goType: "types.Annotation", structName: "Annotation",
                    fields: ["name", "value"]
                ) { index, member in
                    switch index {
                    case 0: a.name = try ACIdentifier.decode(member.value, level: inner)
                    default: inner.decodeString(member.value, into: &a.value)
                    }
                }
            }
            try inner.finish()
            let result = list ?? []
            if let error = validationError(result) { throw DecodeFailure.invalid(error) }
            return result
        }
    }
}

extension Array where Element == Label {
    /// The value of the label called `name`, if any.
    public func value(of name: String) -> String? {
        first { $0.name.value == name }?.value
    }
}

extension Array where Element == Annotation {
    /// The value of the annotation called `name`, if any.
    public func value(of name: String) -> String? {
        first { $0.name.value == name }?.value
    }
}

/// A `{name, value}` entry of a list whose names are unique: labels, annotations.
public protocol NamedEntry {
    var name: ACIdentifier { get }
}

extension Array where Element: NamedEntry {
    /// Replaces the entry named as `entry` is, in place, or appends it.
    mutating func upsert(_ entry: Element) {
        if let i = firstIndex(where: { $0.name == entry.name }) {
            self[i] = entry
        } else {
            append(entry)
        }
    }

    /// Removes the entries named `name`; false when there was none.
    mutating func remove(named name: String) -> Bool {
        let before = count
        removeAll { $0.name.value == name }
        return count != before
    }
}
