// Small reimplementations of the Go formatting the appc error texts rely on:
// strconv.Quote (`%q`, `%#v` of a string), the time package's own quoting,
// and `%v` of a string slice.

enum GoText {
    private static let hexDigits: [Character] = Array("0123456789abcdef")

    /// Go's `strconv.Quote`: double-quoted, with Go escapes for quotes,
    /// backslashes, control characters and non-printable runes.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x0B: out += "\\v"
            default:
                if isPrint(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if v < 0x20 || v == 0x7F {
                    out += "\\x" + hex(v, width: 2)
                } else if v < 0x10000 {
                    out += "\\u" + hex(v, width: 4)
                } else {
                    out += "\\U" + hex(v, width: 8)
                }
            }
        }
        out += "\""
        return out
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols
    /// and the ASCII space.
    static func isPrint(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v >= 0x20 && v < 0x7F }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// The quoting of Go's `time` package (used in `time.ParseError`):
    /// non-ASCII and control bytes as `\xNN`, `"` and `\` backslash-escaped.
    static func timeQuote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v >= 0x80 || v < 0x20 {
                for byte in String(scalar).utf8 {
                    out += "\\x" + hex(UInt32(byte), width: 2)
                }
            } else {
                if v == 0x22 || v == 0x5C { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// `%v` of a `[]string`: `[a b c]`.
    static func list(_ items: [String]) -> String {
        "[" + items.joined(separator: " ") + "]"
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        var digits: [Character] = []
        var v = value
        repeat {
            digits.append(hexDigits[Int(v & 0xF)])
            v >>= 4
        } while v != 0
        while digits.count < width { digits.append("0") }
        return String(digits.reversed())
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
