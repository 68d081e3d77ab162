/// The scheme Go's `url.Parse` finds at the start of a URL (`getScheme`).
public enum URLScheme {
    /// The scheme of `text`, lower-cased, or nil when it has none: an ASCII letter, then
    /// letters, digits, `+`, `-` or `.`, up to a colon.
    public static func of(_ text: some StringProtocol) -> String? {
        for (index, c) in text.unicodeScalars.enumerated() {
            switch c {
            case "a"..."z", "A"..."Z": continue
            case "0"..."9", "+", "-", ".": if index == 0 { return nil }
            case ":": return index == 0 ? nil : String(text.prefix(index)).lowercased()
            default: return nil
            }
        }
        return nil
    }
}
