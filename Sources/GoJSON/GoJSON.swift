/// JSON with Go 1.19 `encoding/json` semantics: same accepted syntax, error
/// messages and offsets, string decoding, escaping and indentation.
public enum GoJSON {
    /// Parses a whole document the way `json.Unmarshal` checks it first
    /// (`checkValid`): any syntax error anywhere wins over every other error.
    /// Errors carry Go's exact message and offset, including
    /// `unexpected end of JSON input` and `invalid character ... after top-level value`.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONDocument {
        JSONDocument(bytes: bytes, root: try TreeParser.parse(bytes))
    }

    /// Go's `jsonutil.HighlightBytePosition` decoration used by appc's manifest
    /// decoders for syntax errors: returns the text
    /// `"\nError at line L, column C\n" + highlight + message` (appc-spec.md §5.3).
    public static func decoratedSyntaxError(_ error: JSONSyntaxError, in bytes: [UInt8]) -> String {
        String(decoding: decoratedSyntaxErrorBytes(error, in: bytes), as: UTF8.self)
    }

    /// The same text as `decoratedSyntaxError(_:in:)`, byte for byte as Go writes it:
    /// the quoted source lines are copied raw, so invalid UTF-8 (a BOM's first
    /// byte, say) survives instead of becoming U+FFFD.
    public static func decoratedSyntaxErrorBytes(_ error: JSONSyntaxError, in bytes: [UInt8]) -> [UInt8] {
        Highlighter.decorate(error, in: bytes)
    }

    /// Encodes compactly like `json.Marshal` (HTML-escaped strings, `.raw` values
    /// compacted with `json.Compact` + HTML escaping, no trailing newline).
    public static func encodeCompact(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        CompactEncoder.encode(value, into: &out)
        return out
    }

    /// Go's `json.Indent(dst, src, prefix: "", indent)` over compact JSON,
    /// as `json.MarshalIndent` does (empty arrays/objects stay `[]`/`{}`).
    public static func indent(_ compact: [UInt8], indent: String) -> [UInt8] {
        Formatter.indent(compact, indent: Array(indent.utf8))
    }

    /// Go's `json.Compact` with HTML escaping, as applied to a `json.RawMessage`.
    public static func compact(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        Formatter.compact(raw, into: &out)
        return out
    }

    /// Go's case-insensitive key match used when decoding into struct fields
    /// (`bytes.EqualFold` semantics, including U+017F ſ ~ s and U+212A K ~ k).
    public static func keyMatches(_ key: String, field: String) -> Bool {
        Fold.matches(key: key, field: field)
    }
}
