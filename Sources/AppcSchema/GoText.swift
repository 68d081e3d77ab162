import GoCompat

// Go formatting the appc error texts rely on beyond GoCompat's: `%v` of a string slice
// and Go's byte-wise string order.

enum GoText {
    /// `%v` of a `[]string`: `[a b c]`.
    static func list(_ items: [String]) -> String {
        "[" + items.joined(separator: " ") + "]"
    }

    /// Byte-wise (Go) string ordering, as used when Go sorts map keys.
    static func byteLess(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

/// A Go error text carried through a `Result`.
struct GoMessage: Error, Equatable {
    let text: String
    init(_ text: String) { self.text = text }
}
