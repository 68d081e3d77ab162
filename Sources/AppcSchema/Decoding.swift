import GoJSON

// The machinery that replays Go `encoding/json` decoding into appc's structs.
//
// Go decodes with one `decodeState` per `json.Unmarshal` call. Every appc type
// with a custom `UnmarshalJSON` starts a nested `json.Unmarshal`, so it is a new
// *level* here. Inside a level, a JSON type mismatch is remembered (only the first)
// and decoding goes on; at the end of the level the remembered mismatch is the
// result. An error returned by a custom `UnmarshalJSON` aborts the enclosing
// level at once. A mismatch crossing a level boundary gets that level's
// struct/field context, as Go's `addErrorContext` rewrites it.

/// Go's `*json.UnmarshalTypeError`.
struct TypeMismatch: Sendable, Equatable {
    /// "string", "number", "number -1", "bool", "array", "object".
    var value: String
    /// The Go type as `reflect.Type.String()` prints it.
    var type: String
    var structName: String = ""
    var field: String = ""

    var text: String {
        if !structName.isEmpty || !field.isEmpty {
            return "json: cannot unmarshal \(value) into Go struct field \(structName).\(field) of type \(type)"
        }
        return "json: cannot unmarshal \(value) into Go value of type \(type)"
    }
}

/// An error while decoding: either a validation failure (Go `error` from a
/// custom unmarshaler, with its exact text) or a JSON type mismatch.
enum DecodeFailure: Error, Sendable {
    case invalid(String)
    case mismatch(TypeMismatch)

    var text: String {
        switch self {
        case .invalid(let message): return message
        case .mismatch(let m): return m.text
        }
    }

    var manifestError: ManifestError { ManifestError(text) }
}

/// Runs `body`, mapping any `DecodeFailure` or `ManifestError` to a `DecodeFailure`.
func decodeFailure(from error: any Error) -> DecodeFailure {
    if let f = error as? DecodeFailure { return f }
    if let m = error as? ManifestError { return .invalid(m.message) }
    return .invalid("\(error)")
}

/// One `json.Unmarshal` call's state.
final class DecodeLevel {
    let document: JSONDocument
    private(set) var saved: DecodeFailure?
    private var structName: String?
    private var fieldStack: [String] = []

    init(document: JSONDocument) {
        self.document = document
    }

    /// Go's `addErrorContext`: only type mismatches are rewritten, and only
    /// while inside a struct field of this level.
    func annotate(_ failure: DecodeFailure) -> DecodeFailure {
        guard case .mismatch(var m) = failure, structName != nil || !fieldStack.isEmpty else {
            return failure
        }
        m.structName = structName ?? ""
        m.field = fieldStack.joined(separator: ".")
        return .mismatch(m)
    }

    /// Go's `saveError`: the first one wins.
    func save(_ mismatch: TypeMismatch) {
        if saved == nil {
            saved = annotate(.mismatch(mismatch))
        }
    }

    /// Records a mismatch of `value` (not null) against Go type `type`.
    func mismatch(_ value: JSONValue, _ type: String) {
        save(TypeMismatch(value: Self.kindName(value), type: type))
    }

    /// Throws the remembered mismatch, as the end of `json.Unmarshal` returns it.
    func finish() throws {
        if let s = saved { throw s }
    }

    /// A nested `json.Unmarshal` performed by a custom `UnmarshalJSON`: any
    /// error it produces aborts this level, after getting this level's context.
    func custom<T>(_ body: (DecodeLevel) throws -> T) throws -> T {
        let inner = DecodeLevel(document: document)
        do {
            return try body(inner)
        } catch {
            throw annotate(decodeFailure(from: error))
        }
    }

    /// The raw source text of a member's value.
    func rawText(_ member: JSONMember) -> ArraySlice<UInt8> {
        document.rawText(of: member)
    }

    static func kindName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array, .raw: return "array"
        case .object: return "object"
        }
    }

    /// Go's struct field lookup: exact name first, then the first field (in
    /// struct order) matching case-insensitively.
    static func fieldIndex(_ key: String, _ fields: [String]) -> Int? {
        if let i = fields.firstIndex(of: key) { return i }
        return fields.firstIndex { GoJSON.keyMatches(key, field: $0) }
    }

    // MARK: Go value kinds

    /// Decodes a JSON object into a Go struct: members in document order,
    /// unknown keys skipped, every duplicate decoded. `null` leaves it as is.
    func decodeStruct(
        _ value: JSONValue, goType: String, structName name: String, fields: [String],
        _ handle: (Int, JSONMember) throws -> Void
    ) throws {
        switch value {
        case .null:
            return
        case .object(let members):
            for member in members {
                guard let index = Self.fieldIndex(member.key, fields) else { continue }
                let outerStruct = structName
                let depth = fieldStack.count
                structName = name
                fieldStack.append(fields[index])
                defer {
                    structName = outerStruct
                    fieldStack.removeLast(fieldStack.count - depth)
                }
                try handle(index, member)
            }
        default:
            mismatch(value, goType)
        }
    }

    /// A Go `string`.
    func decodeString(_ value: JSONValue, into target: inout String, goType: String = "string") {
        switch value {
        case .null: return
        case .string(let s): target = s
        default: mismatch(value, goType)
        }
    }

    /// A Go `bool`.
    func decodeBool(_ value: JSONValue, into target: inout Bool, goType: String = "bool") {
        switch value {
        case .null: return
        case .bool(let b): target = b
        default: mismatch(value, goType)
        }
    }

    /// A Go `int` (64-bit): the literal must be a base-10 integer in range.
    func decodeInt(_ value: JSONValue, into target: inout Int, goType: String = "int") {
        switch value {
        case .null: return
        case .number(let text):
            if let n = Self.parseInt(text) {
                target = n
            } else {
                save(TypeMismatch(value: "number " + text, type: goType))
            }
        default: mismatch(value, goType)
        }
    }

    /// A Go `uint` (64-bit): negatives, fractions and exponents are mismatches.
    func decodeUInt(_ value: JSONValue, into target: inout UInt64, goType: String = "uint") {
        switch value {
        case .null: return
        case .number(let text):
            if let n = Self.parseUInt(text) {
                target = n
            } else {
                save(TypeMismatch(value: "number " + text, type: goType))
            }
        default: mismatch(value, goType)
        }
    }

    /// A Go slice, decoded into the existing elements as Go does (`null` sets
    /// it to nil; an array replaces the length, reusing existing elements).
    func decodeArray<T>(
        _ value: JSONValue, into target: inout [T]?, goType: String,
        zero: () -> T, _ element: (JSONValue, inout T) throws -> Void
    ) throws {
        switch value {
        case .null:
            target = nil
        case .array(let items):
            var result = target ?? []
            for (i, item) in items.enumerated() {
                if i >= result.count { result.append(zero()) }
                try element(item, &result[i])
            }
            if result.count > items.count { result.removeLast(result.count - items.count) }
            target = result
        default:
            mismatch(value, goType)
        }
    }

    /// A non-optional slice (nil and empty are the same to the encoder).
    func decodeArray<T>(
        _ value: JSONValue, into target: inout [T], goType: String,
        zero: () -> T, _ element: (JSONValue, inout T) throws -> Void
    ) throws {
        var optional: [T]? = target
        try decodeArray(value, into: &optional, goType: goType, zero: zero, element)
        target = optional ?? []
    }

    /// A Go `[]string`.
    func decodeStrings(_ value: JSONValue, into target: inout [String]?, goType: String = "[]string") throws {
        try decodeArray(value, into: &target, goType: goType, zero: { "" }) { item, s in
            self.decodeString(item, into: &s)
        }
    }

    /// A Go `map[string]string`: existing entries are kept, `null` empties it.
    func decodeStringMap(
        _ value: JSONValue, into target: inout [String: String]?,
        goType: String = "map[string]string"
    ) {
        switch value {
        case .null:
            target = nil
        case .object(let members):
            var map = target ?? [:]
            for member in members {
                var element = ""
                decodeString(member.value, into: &element)
                map[member.key] = element
            }
            target = map
        default:
            mismatch(value, goType)
        }
    }

    func decodeStringMap(
        _ value: JSONValue, into target: inout [String: String],
        goType: String = "map[string]string"
    ) {
        var optional: [String: String]? = target
        decodeStringMap(value, into: &optional, goType: goType)
        target = optional ?? [:]
    }

    // MARK: Numbers

    /// `strconv.ParseInt(s, 10, 64)` on a JSON number literal.
    static func parseInt(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" {
            negative = true
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var value: Int64 = 0
        for ch in digits.utf8 {
            let d = Int64(ch - 0x30)
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            if o1 { return nil }
            if negative {
                let (s, o2) = m.subtractingReportingOverflow(d)
                if o2 { return nil }
                value = s
            } else {
                let (s, o2) = m.addingReportingOverflow(d)
                if o2 { return nil }
                value = s
            }
        }
        return Int(value)
    }

    /// `strconv.ParseUint(s, 10, 64)` on a JSON number literal.
    static func parseUInt(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        var value: UInt64 = 0
        for ch in text.utf8 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(ch - 0x30))
            if o1 || o2 { return nil }
            value = s
        }
        return value
    }
}

/// Parses `bytes` as a document, mapping syntax errors to Go's plain message.
func parseDocument(_ bytes: [UInt8]) throws(ManifestError) -> JSONDocument {
    do {
        return try GoJSON.parse(bytes)
    } catch {
        throw ManifestError(error.message)
    }
}

/// Decodes a custom type whose Go `UnmarshalJSON` first unmarshals into a plain
/// `string` (ACIdentifier, ACName, ACKind, SemVer, Hash, Date, URL).
func decodeStringValue(_ value: JSONValue, level: DecodeLevel) throws -> String {
    var s = ""
    level.decodeString(value, into: &s)
    try level.finish()
    return s
}
