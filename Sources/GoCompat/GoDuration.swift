/// Go's `time.Duration` as flags parse it.
public enum GoDuration {
    /// `time.ParseDuration` (Go 1.19): `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` in ns, us, µs, μs,
    /// ms, s, m, h, with Go's overflow checks. The error is Go's text.
    public static func parse(_ text: String) throws(GoDurationError) -> Int64 {
        let invalid = GoDurationError("time: invalid duration " + GoTime.quote(text))
        var s = text.utf8[...]
        var negative = false
        if let first = s.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            s = s.dropFirst()
        }
        if s.elementsEqual("0".utf8) { return 0 }
        if s.isEmpty { throw invalid }
        let limit = UInt64(1) << 63
        var total: UInt64 = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        while let first = s.first {
            guard first == UInt8(ascii: ".") || isDigit(first) else { throw invalid }
            // Integer part (an overflow here is an invalid duration).
            var value: UInt64 = 0
            let before = s.count
            while let c = s.first, isDigit(c) {
                guard value <= limit / 10 else { throw invalid }
                value = value * 10 + UInt64(c - 0x30)
                guard value <= limit else { throw invalid }
                s = s.dropFirst()
            }
            let integerDigits = before != s.count
            // Fraction: digits past what fits are read and ignored.
            var fraction: UInt64 = 0
            var scale = 1.0
            var fractionDigits = false
            if s.first == UInt8(ascii: ".") {
                s = s.dropFirst()
                var overflow = false
                while let c = s.first, isDigit(c) {
                    fractionDigits = true
                    s = s.dropFirst()
                    if overflow { continue }
                    if fraction > (limit - 1) / 10 {
                        overflow = true
                        continue
                    }
                    let next = fraction * 10 + UInt64(c - 0x30)
                    if next > limit {
                        overflow = true
                        continue
                    }
                    fraction = next
                    scale *= 10
                }
            }
            guard integerDigits || fractionDigits else { throw invalid }
            let unitText = s.prefix { !($0 == UInt8(ascii: ".") || isDigit($0)) }
            guard !unitText.isEmpty else {
                throw GoDurationError("time: missing unit in duration " + GoTime.quote(text))
            }
            s = s.dropFirst(unitText.count)
            let unitName = String(decoding: unitText, as: UTF8.self)
            guard let unit = units[unitName] else {
                throw GoDurationError("time: unknown unit " + GoTime.quote(unitName) + " in duration " + GoTime.quote(text))
            }
            guard value <= limit / unit else { throw invalid }
            value *= unit
            if fraction > 0 {
                value += UInt64(Double(fraction) * (Double(unit) / scale))
                guard value <= limit else { throw invalid }
            }
            total += value
            guard total <= limit else { throw invalid }
        }
        if negative { return Int64(bitPattern: 0 &- total) }
        guard total <= limit - 1 else { throw invalid }
        return Int64(total)
    }

    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000, "ms": 1_000_000,
        "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]
}

/// A duration Go would not parse; `description` is Go's text (`time: invalid duration "x"`).
public struct GoDurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
