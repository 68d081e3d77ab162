/// Entry points. The helper implementing this module replaces the bodies;
/// the signatures are the contract other modules code against.
public enum GoJSON {
    /// Parses a whole document the way `json.Unmarshal` checks it first
    /// (`checkValid`): any syntax error anywhere wins over every other error.
    /// Errors carry Go's exact message and offset, including
    /// `unexpected end of JSON input` and `invalid character ... after top-level value`.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONDocument {
        fatalError("unimplemented")
    }

    /// Go's `jsonutil.HighlightBytePosition` decoration used by appc's manifest
    /// decoders for syntax errors: returns the text
    /// `"\nError at line L, column C\n" + highlight + message` (appc-spec.md §5.3).
    public static func decoratedSyntaxError(_ error: JSONSyntaxError, in bytes: [UInt8]) -> String {
        fatalError("unimplemented")
    }

    /// Encodes compactly like `json.Marshal` (HTML-escaped strings, `.raw` values
    /// compacted with `json.Compact` + HTML escaping, no trailing newline).
    public static func encodeCompact(_ value: JSONValue) -> [UInt8] {
        fatalError("unimplemented")
    }

    /// Go's `json.Indent(dst, src, prefix: "", indent)` over compact JSON,
    /// as `json.MarshalIndent` does (empty arrays/objects stay `[]`/`{}`).
    public static func indent(_ compact: [UInt8], indent: String) -> [UInt8] {
        fatalError("unimplemented")
    }

    /// Go's `json.Compact` with HTML escaping, as applied to a `json.RawMessage`.
    public static func compact(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        fatalError("unimplemented")
    }

    /// Go's case-insensitive key match used when decoding into struct fields
    /// (`bytes.EqualFold` semantics, including U+017F ſ ~ s and U+212A K ~ k).
    public static func keyMatches(_ key: String, field: String) -> Bool {
        fatalError("unimplemented")
    }
}
