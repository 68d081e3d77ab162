// Go's `time` package as the appc texts need it (Go 1.19): `time.Parse(time.RFC3339, s)`
// acceptance and error texts, as used by appc's `created` annotation (`types.NewDate`).

public enum GoTime {
    static let rfc3339 = "2006-01-02T15:04:05Z07:00"

    /// The quoting of Go's `time` package (`time.ParseError`, `ParseDuration`): non-ASCII
    /// and control bytes as `\xNN`, `"` and `\` backslash-escaped.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v >= 0x80 || v < 0x20 {
                for byte in String(scalar).utf8 { out += "\\x" + Strconv.hex(UInt32(byte), width: 2) }
            } else {
                if v == 0x22 || v == 0x5C { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The `time.ParseError` text for `value` parsed as RFC 3339, or nil when Go accepts it.
    public static func rfc3339Error(_ value: String) -> String? {
        let v = Array(value.utf8)
        var pos = 0

        func parseError(_ layoutElem: String, _ valueElem: Int) -> String {
            let rest = String(decoding: v[valueElem...], as: UTF8.self)
            return "parsing time \(quote(value)) as \(quote(rfc3339)): cannot parse "
                + "\(quote(rest)) as \(quote(layoutElem))"
        }
        func messageError(_ message: String) -> String {
            "parsing time \(quote(value))" + message
        }
        func isDigit(_ i: Int) -> Bool { i < v.count && v[i] >= 0x30 && v[i] <= 0x39 }
        func digit(_ i: Int) -> Int { Int(v[i]) - 0x30 }
        /// Go's `getnum`: one or two digits (exactly two when `fixed`).
        func getnum(_ fixed: Bool) -> Int? {
            guard isDigit(pos) else { return nil }
            if !isDigit(pos + 1) {
                if fixed { return nil }
                pos += 1
                return digit(pos - 1)
            }
            pos += 2
            return digit(pos - 2) * 10 + digit(pos - 1)
        }
        /// Go's `skip` for a one-character layout prefix.
        func skip(_ ch: Character) -> Bool {
            guard pos < v.count, v[pos] == ch.asciiValue else { return false }
            pos += 1
            return true
        }

        // "2006": four bytes, the first a digit, all digits for atoi.
        let yearStart = pos
        guard v.count - pos >= 4, isDigit(pos) else { return parseError("2006", yearStart) }
        var year = 0
        for i in pos..<(pos + 4) {
            guard isDigit(i) else { return parseError("2006", yearStart) }
            year = year * 10 + digit(i)
        }
        pos += 4

        guard skip("-") else { return parseError("-", pos) }
        let monthStart = pos
        guard let month = getnum(true) else { return parseError("01", monthStart) }
        if month <= 0 || month > 12 { return messageError(": month out of range") }

        guard skip("-") else { return parseError("-", pos) }
        let dayStart = pos
        guard let day = getnum(true) else { return parseError("02", dayStart) }

        guard skip("T") else { return parseError("T", pos) }
        let hourStart = pos
        guard let hour = getnum(false) else { return parseError("15", hourStart) }
        if hour >= 24 { return messageError(": hour out of range") }

        guard skip(":") else { return parseError(":", pos) }
        let minuteStart = pos
        guard let minute = getnum(true) else { return parseError("04", minuteStart) }
        if minute >= 60 { return messageError(": minute out of range") }

        guard skip(":") else { return parseError(":", pos) }
        let secondStart = pos
        guard let second = getnum(true) else { return parseError("05", secondStart) }
        if second >= 60 { return messageError(": second out of range") }
        // A fractional second not in the layout is accepted after the seconds.
        if v.count - pos >= 2, v[pos] == UInt8(ascii: ".") || v[pos] == UInt8(ascii: ","), isDigit(pos + 1) {
            pos += 2
            while isDigit(pos) { pos += 1 }
        }

        // "Z07:00"
        let zoneStart = pos
        if pos < v.count, v[pos] == UInt8(ascii: "Z") {
            pos += 1
        } else {
            guard v.count - pos >= 6, v[pos + 3] == UInt8(ascii: ":") else {
                return parseError("Z07:00", zoneStart)
            }
            let sign = v[pos]
            let fixedTwo: (Int) -> Bool = { isDigit($0) && isDigit($0 + 1) }
            guard fixedTwo(pos + 1), fixedTwo(pos + 4),
                sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-")
            else {
                return parseError("Z07:00", zoneStart)
            }
            pos += 6
        }

        if pos < v.count {
            let rest = String(decoding: v[pos...], as: UTF8.self)
            return messageError(": extra text: " + quote(rest))
        }
        if day < 1 || day > daysIn(month: month, year: year) {
            return messageError(": day out of range")
        }
        _ = second
        return nil
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}
