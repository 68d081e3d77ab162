import GoCompat
import GoJSON

/// A JSON object decoded as Go's `json.Unmarshal` fills a struct of `string`, `[]string`
/// and `json.RawMessage` fields: keys matched exactly, else case-insensitively; the last
/// occurrence wins; `null` leaves a field empty; a value of the wrong kind is Go's
/// `cannot unmarshal` error (the first one in the document, as Go reports it).
struct GoStruct {
    private var values: [String: JSONValue] = [:]
    private var mismatch: ConfigError?

    /// `fields` are strings unless named in `lists` (`[]string`) or `raws` (`json.RawMessage`).
    /// `field`: the struct field this value fills (`dockerAuthV1.credentials`), for an
    /// error about the value itself; nil for a top-level value.
    init(
        _ value: JSONValue?, type: String, fields: [String], lists: Set<String> = [], raws: Set<String> = [],
        field: String? = nil
    ) {
        func note(_ value: JSONValue, _ target: String) {
            if mismatch == nil { mismatch = ConfigError(message: "json: cannot unmarshal \(Self.kind(value)) into \(target)") }
        }
        switch value {
        case nil, .null?:
            return
        case .object(let members)?:
            for member in members {
                guard let name = fields.first(where: { $0 == member.key }) ?? fields.first(where: { GoJSON.keyMatches(member.key, field: $0) })
                else { continue }
                let target = "Go struct field \(type).\(name) of type "
                switch member.value {
                case .null:
                    if raws.contains(name) { values[name] = .null }
                case .string where !lists.contains(name) && !raws.contains(name):
                    values[name] = member.value
                case .array(let items) where lists.contains(name):
                    for item in items {
                        switch item {
                        case .string, .null: continue
                        default: note(item, target + "string")
                        }
                    }
                    values[name] = member.value
                case _ where raws.contains(name):
                    values[name] = member.value
                default:
                    note(member.value, target + (lists.contains(name) ? "[]string" : "string"))
                }
            }
        case let other?:
            note(other, field.map { "Go struct field \($0) of type config.\(type)" } ?? "Go value of type config.\(type)")
        }
    }

    /// The struct, or the first type mismatch in it.
    func get() throws(ConfigError) -> GoStruct {
        if let mismatch { throw mismatch }
        return self
    }

    /// `get()` with its error's message passed through `transform`.
    func mapError(_ transform: (String) -> ConfigError) throws(ConfigError) -> GoStruct {
        if let mismatch { throw transform(mismatch.message) }
        return self
    }

    /// A string field ("" if absent or null).
    func string(_ name: String) -> String {
        if case .string(let text)? = values[name] { return text }
        return ""
    }

    /// A `[]string` field (null items are "").
    func strings(_ name: String) -> [String] {
        guard case .array(let items)? = values[name] else { return [] }
        return items.map { item in
            if case .string(let text) = item { return text }
            return ""
        }
    }

    /// A `json.RawMessage` field: the value as written (nil when absent).
    func raw(_ name: String) -> JSONValue? { values[name] }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array, .raw: "array"
        case .object: "object"
        }
    }
}
