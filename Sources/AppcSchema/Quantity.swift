/// A Kubernetes `resource.Quantity` as vendored by appc (the regular-expression
/// parser): `<signed decimal><suffix>`, suffix one of `n u m "" k M G T P E`,
/// `Ki Mi Gi Ti Pi Ei` or `e<int>`/`E<int>`.
public struct ResourceQuantity: Hashable, Sendable, CustomStringConvertible {
    /// The quantity text as parsed (quotes and surrounding spaces removed).
    public let text: String
    let negative: Bool
    /// Decimal digits of the number without the point.
    let digits: [UInt8]
    /// Base-10 exponent applied to `digits` (fraction digits and decimal suffixes).
    let exponent10: Int
    /// Base-2 exponent (binary suffixes).
    let exponent2: Int

    static let formatError =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    static let numericError = "unable to parse numeric part of quantity"
    static let suffixError = "unable to parse quantity's suffix"

    /// Go's `resource.ParseQuantity` (the text is trimmed of white space first).
    public init(_ text: String) throws(ManifestError) {
        switch ResourceQuantity.parse(text) {
        case .success(let q): self = q
        case .failure(let message): throw ManifestError(message.text)
        }
    }

    private init(text: String, negative: Bool, digits: [UInt8], exponent10: Int, exponent2: Int) {
        self.text = text
        self.negative = negative
        self.digits = digits
        self.exponent10 = exponent10
        self.exponent2 = exponent2
    }

    /// The text form.
    public var description: String { text }

    /// Go's `Quantity.UnmarshalJSON`: the raw JSON text with every leading and
    /// trailing `"` removed, then parsed.
    static func parseJSON(_ raw: ArraySlice<UInt8>) -> Result<ResourceQuantity, GoMessage> {
        var bytes = raw
        while bytes.first == UInt8(ascii: "\"") { bytes = bytes.dropFirst() }
        while bytes.last == UInt8(ascii: "\"") { bytes = bytes.dropLast() }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    static func parse(_ input: String) -> Result<ResourceQuantity, GoMessage> {
        let trimmed = trimSpace(input)
        let s = Array(trimmed.utf8)
        // ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$
        var i = 0
        if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") { i += 1 }
        let numberStart = i
        while i < s.count, isDigit(s[i]) || s[i] == UInt8(ascii: ".") { i += 1 }
        guard i > numberStart else { return .failure(GoMessage(formatError)) }
        let numberEnd = i
        let suffixLetters = Array("eEinumkKMGTP".utf8)
        while i < s.count, suffixLetters.contains(s[i]) { i += 1 }
        if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") { i += 1 }
        while i < s.count, isDigit(s[i]) { i += 1 }
        guard i == s.count else { return .failure(GoMessage(formatError)) }

        // inf.Dec.SetString on the number part.
        let negative = s.first == UInt8(ascii: "-")
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        for c in s[numberStart..<numberEnd] {
            if c == UInt8(ascii: ".") {
                if seenPoint { return .failure(GoMessage(numericError)) }
                seenPoint = true
            } else {
                digits.append(c - 0x30)
                if seenPoint { fractionDigits += 1 }
            }
        }
        guard !digits.isEmpty else { return .failure(GoMessage(numericError)) }

        let suffix = String(decoding: s[numberEnd...], as: UTF8.self)
        var exponent10 = -fractionDigits
        var exponent2 = 0
        switch suffix {
        case "n": exponent10 -= 9
        case "u": exponent10 -= 6
        case "m": exponent10 -= 3
        case "": break
        case "k": exponent10 += 3
        case "M": exponent10 += 6
        case "G": exponent10 += 9
        case "T": exponent10 += 12
        case "P": exponent10 += 15
        case "E": exponent10 += 18
        case "Ki": exponent2 = 10
        case "Mi": exponent2 = 20
        case "Gi": exponent2 = 30
        case "Ti": exponent2 = 40
        case "Pi": exponent2 = 50
        case "Ei": exponent2 = 60
        default:
            guard suffix.utf8.count > 1, suffix.first == "e" || suffix.first == "E",
                let e = DecodeLevel.parseInt(signedExponent(String(suffix.dropFirst())))
            else {
                return .failure(GoMessage(suffixError))
            }
            exponent10 = clampedSum(exponent10, e)
        }
        return .success(
            ResourceQuantity(
                text: trimmed, negative: negative, digits: digits,
                exponent10: exponent10, exponent2: exponent2))
    }

    /// `strconv.ParseInt` accepts a leading `+`; `parseInt` only a `-`.
    private static func signedExponent(_ s: String) -> String {
        s.hasPrefix("+") ? String(s.dropFirst()) : s
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// `a + b`, saturating instead of trapping on overflow.
    static func clampedSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { return b > 0 ? Int.max : Int.min }
        return sum
    }

    /// Go's `strings.TrimSpace`.
    static func trimSpace(_ s: String) -> String {
        let scalars = s.unicodeScalars
        func isSpace(_ u: Unicode.Scalar) -> Bool {
            switch u.value {
            case 0x09...0x0D, 0x20, 0x85, 0xA0: return true
            default: return u.properties.isWhitespace
            }
        }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !isSpace($0) }) ?? start
        return String(scalars[start...end])
    }

    /// The value multiplied by 10^`scale`, rounded up (away from zero) and
    /// capped to the Int64 range: `scaled(0)` is the plain value (bytes,
    /// cores), `scaled(3)` the milli value.
    public func scaled(_ scale: Int) -> Int64 {
        let cap = Int64.max
        var magnitude: Int64 = 0
        var e10 = ResourceQuantity.clampedSum(exponent10, scale)
        var truncated = false
        for d in digits {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d))
            if o1 || o2 {
                // Keep the leading digits; the rest only shift the exponent.
                e10 = ResourceQuantity.clampedSum(e10, 1)
                if d != 0 { truncated = true }
            } else {
                magnitude = a
            }
        }
        if magnitude == 0 { return 0 }
        for _ in 0..<exponent2 {
            let (m, o) = magnitude.multipliedReportingOverflow(by: 2)
            if o { return negative ? -cap : cap }
            magnitude = m
        }
        if e10 >= 0 {
            for _ in 0..<e10 {
                let (m, o) = magnitude.multipliedReportingOverflow(by: 10)
                if o { return negative ? -cap : cap }
                magnitude = m
            }
        } else {
            var steps = e10
            while steps < 0 && magnitude != 0 {
                if magnitude % 10 != 0 { truncated = true }
                magnitude /= 10
                steps += 1
            }
            if truncated && magnitude < Int64.max { magnitude += 1 }
        }
        return negative ? -magnitude : magnitude
    }
}
