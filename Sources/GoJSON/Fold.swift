/// Go 1.19's case-insensitive struct field matching (`fold.go`).
enum Fold {
    static func matches(key: String, field: String) -> Bool {
        if field.utf8.allSatisfy({ $0 < 0x80 }) {
            return asciiFieldMatches(key: key, field: field)
        }
        return unicodeFoldEqual(key, field)
    }

    /// For ASCII field names Go compares byte by byte, ignoring ASCII case; a
    /// key may also spell `s` as U+017F and `k` as U+212A (`equalFoldRight`).
    private static func asciiFieldMatches(key: String, field: String) -> Bool {
        var scalars = key.unicodeScalars.makeIterator()
        for f in field.utf8 {
            guard let k = scalars.next() else { return false }
            if k.value < 0x80 {
                let kb = UInt8(k.value)
                if kb == f { continue }
                guard isASCIILetter(f), f | 0x20 == kb | 0x20 else { return false }
                continue
            }
            switch f {
            case UInt8(ascii: "s"), UInt8(ascii: "S"):
                if k.value != 0x017F { return false }
            case UInt8(ascii: "k"), UInt8(ascii: "K"):
                if k.value != 0x212A { return false }
            default:
                return false
            }
        }
        return scalars.next() == nil
    }

    /// Non-ASCII field names use `bytes.EqualFold` (Unicode simple folding); this
    /// approximates its case orbits with the standard library's case mappings.
    private static func unicodeFoldEqual(_ a: String, _ b: String) -> Bool {
        var ia = a.unicodeScalars.makeIterator()
        var ib = b.unicodeScalars.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil):
                return true
            case let (x?, y?):
                if !scalarsFoldEqual(x, y) { return false }
            default:
                return false
            }
        }
    }

    private static func scalarsFoldEqual(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
        a == b || canonical(a) == canonical(b)
    }

    /// Lower case of the upper case, which joins titlecase and variant forms
    /// (ǅ, ς, ſ, K) to their orbit. Dotless ı stays apart: Go only reaches it
    /// from ı itself, never from I, so `EqualFold("I", "ı")` is false.
    private static func canonical(_ s: Unicode.Scalar) -> Unicode.Scalar {
        if s.value == 0x131 { return s }
        guard let u = upper(s), let l = lower(u) else { return s }
        return l
    }

    private static func upper(_ s: Unicode.Scalar) -> Unicode.Scalar? {
        single(s.properties.uppercaseMapping)
    }

    private static func lower(_ s: Unicode.Scalar) -> Unicode.Scalar? {
        single(s.properties.lowercaseMapping)
    }

    private static func single(_ text: String) -> Unicode.Scalar? {
        var it = text.unicodeScalars.makeIterator()
        guard let first = it.next(), it.next() == nil else { return nil }
        return first
    }

    private static func isASCIILetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }
}
