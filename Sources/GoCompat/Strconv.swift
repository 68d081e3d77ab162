// Go's strconv, as far as the tools' messages and flags need it (Go 1.19).

/// Go's `strconv` functions whose texts and acceptance the tools reproduce.
public enum Strconv {
    /// `strconv.Quote`: double quotes, Go escapes for `"`, `\`, control characters and
    /// runes `unicode.IsPrint` rejects; printable runes as they are.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars { appendEscaped(scalar, to: &out) }
        return out + "\""
    }

    /// `strconv.Quote` of a byte string that need not be UTF-8 (a tar name, a file
    /// name): each byte that does not start a valid sequence becomes `\xNN`, as in Go.
    public static func quote(bytes: some Collection<UInt8>) -> String {
        var out = "\""
        let bytes = Array(bytes)
        var i = 0
        while i < bytes.count {
            let width = utf8SequenceLength(bytes, at: i)
            if width == 0 {
                out += "\\x" + hex(UInt32(bytes[i]), width: 2)
                i += 1
                continue
            }
            for scalar in String(decoding: bytes[i..<(i + width)], as: UTF8.self).unicodeScalars {
                appendEscaped(scalar, to: &out)
            }
            i += width
        }
        return out + "\""
    }

    private static func appendEscaped(_ scalar: Unicode.Scalar, to out: inout String) {
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

    /// `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    public static func isPrint(_ scalar: Unicode.Scalar) -> Bool {
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

    /// `strconv.ParseBool`: nil where Go returns an error (its text: `syntaxError("ParseBool", text)`).
    public static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: return nil
        }
    }

    /// The text of a `*strconv.NumError` with `ErrSyntax`: `strconv.ParseBool: parsing "x": invalid syntax`.
    public static func syntaxError(_ function: String, _ text: String) -> String {
        "strconv.\(function): parsing \(quote(text)): invalid syntax"
    }

    /// The text of a `*strconv.NumError` with `ErrRange`.
    public static func rangeError(_ function: String, _ text: String) -> String {
        "strconv.\(function): parsing \(quote(text)): value out of range"
    }

    /// Lower-case hex of `value`, at least `width` digits.
    public static func hex(_ value: UInt32, width: Int) -> String {
        let digits = Array("0123456789abcdef")
        var out: [Character] = []
        var v = value
        repeat {
            out.append(digits[Int(v & 0xF)])
            v >>= 4
        } while v != 0
        while out.count < width { out.append("0") }
        return String(out.reversed())
    }

    /// The length of the valid UTF-8 sequence at `i` (Go's `utf8.DecodeRune` rules), or 0
    /// when the byte there does not start one.
    static func utf8SequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let b0 = b[i]
        if b0 < 0x80 { return 1 }
        func continuation(_ j: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            j < b.count && b[j] >= low && b[j] <= high
        }
        switch b0 {
        case 0xC2...0xDF:
            return continuation(i + 1) ? 2 : 0
        case 0xE0...0xEF:
            let (low, high): (UInt8, UInt8) = b0 == 0xE0 ? (0xA0, 0xBF) : b0 == 0xED ? (0x80, 0x9F) : (0x80, 0xBF)
            return continuation(i + 1, low, high) && continuation(i + 2) ? 3 : 0
        case 0xF0...0xF4:
            let (low, high): (UInt8, UInt8) = b0 == 0xF0 ? (0x90, 0xBF) : b0 == 0xF4 ? (0x80, 0x8F) : (0x80, 0xBF)
            return continuation(i + 1, low, high) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        default:
            return 0
        }
    }
}

/// Go's `%q` of a string (`strconv.Quote`), the quoting of every message that names a
/// file, image or flag value.
public func goQuote(_ text: String) -> String { Strconv.quote(text) }
