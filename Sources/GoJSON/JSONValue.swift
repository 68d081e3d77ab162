/// A JSON value as Go's `encoding/json` sees it.
///
/// Objects keep their members in document order and keep duplicate keys, because
/// Go decodes (and validates) every occurrence of a key. Numbers keep the literal
/// text as written so that nothing is lost or reformatted.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number literal exactly as it appears in the source (`-0.5e3`).
    case number(String)
    /// A decoded string (Go rules: invalid UTF-8 and lone surrogates become U+FFFD).
    case string(String)
    case array([JSONValue])
    case object([JSONMember])
    /// Output only: already-encoded compact JSON, emitted verbatim by the encoder
    /// (Go's `json.RawMessage`, which the encoder still compacts and HTML-escapes).
    case raw([UInt8])
}

/// One `"key": value` pair of an object, with where the value sits in the source.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue
    /// Byte range of the value's text in the parsed document (empty for values built in code).
    public var valueRange: Range<Int>

    public init(key: String, value: JSONValue, valueRange: Range<Int> = 0..<0) {
        self.key = key
        self.value = value
        self.valueRange = valueRange
    }
}

/// A parsed document: the source bytes and the value tree.
public struct JSONDocument: Sendable {
    public let bytes: [UInt8]
    public let root: JSONValue

    public init(bytes: [UInt8], root: JSONValue) {
        self.bytes = bytes
        self.root = root
    }

    /// The source text of a member's value, e.g. to keep an isolator's raw value.
    public func rawText(of member: JSONMember) -> ArraySlice<UInt8> {
        bytes[member.valueRange]
    }
}

/// A JSON syntax error with Go's message and offset (`*json.SyntaxError`).
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Go's text, e.g. `invalid character 'x' looking for beginning of value`.
    public let message: String
    /// Go's `Offset`: the number of bytes read before the error.
    public let offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { message }
}

// Reading decoded documents the way Go's `json.Unmarshal` into a struct sees them.
extension JSONValue {
    /// The member `key` of an object (the last one, matched case-insensitively as Go
    /// matches struct fields), nil for anything else.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.last { GoJSON.keyMatches($0.key, field: key) }?.value
    }

    /// The text of a string, nil for anything else.
    public var string: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    /// The strings of an array (other items left out), nil for anything else.
    public var strings: [String]? {
        guard case let .array(items) = self else { return nil }
        return items.compactMap(\.string)
    }

    /// An integer number, nil for anything else (or a fraction, or out of range).
    public var int64: Int64? {
        if case let .number(text) = self { return Int64(text) }
        return nil
    }

    /// A number as a Double (fractions and exponents too), nil for anything else.
    public var double: Double? {
        if case let .number(text) = self { return Double(text) }
        return nil
    }

    /// A boolean, nil for anything else.
    public var bool: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }

    /// The members of an object, in document order; nil for anything else.
    public var members: [JSONMember]? {
        if case let .object(members) = self { return members }
        return nil
    }

    /// The items of an array, nil for anything else.
    public var items: [JSONValue]? {
        if case let .array(items) = self { return items }
        return nil
    }
}
