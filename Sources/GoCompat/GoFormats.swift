import Glibc

/// The time and size texts rkt prints (Go's `time.Format` and go-humanize).
public enum GoFormats {
    /// Go layout `2006-01-02 15:04:05.999 -0700 MST` in local time: milliseconds with
    /// trailing zeros dropped, numeric offset and zone abbreviation.
    public static func timestamp(nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        let millis = Int((nanoseconds % 1_000_000_000) / 1_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let text = String(v)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2)) "
        text += "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        if millis > 0 {
            var fraction = pad(Int32(millis), 3)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        let offset = parts.tm_gmtoff
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        text += " \(sign)\(pad(Int32(minutes / 60), 2))\(pad(Int32(minutes % 60), 2))"
        let zone = parts.tm_zone.map { String(cString: $0) } ?? "UTC"
        return text + " " + zone
    }

    /// go-humanize's magnitudes: below `limit`, `text` as is (divisor 0), or the count of
    /// `divisor`s followed by `text`.
    private static let relativeSteps: [(limit: Int64, text: String, divisor: Int64)] = {
        let second: Int64 = 1_000_000_000
        let minute = 60 * second, hour = 60 * minute, day = 24 * hour, week = 7 * day
        let month = 30 * day, year = 12 * month, longTime = 37 * year
        return [
            (second, "now", 0), (2 * second, "1 second", 0), (minute, " seconds", second),
            (2 * minute, "1 minute", 0), (hour, " minutes", minute), (2 * hour, "1 hour", 0),
            (day, " hours", hour), (2 * day, "1 day", 0), (week, " days", day), (2 * week, "1 week", 0),
            (month, " weeks", week), (2 * month, "1 month", 0), (year, " months", month),
            (18 * month, "1 year", 0), (2 * year, "2 years", 0), (longTime, " years", year),
        ]
    }()

    /// go-humanize's `Time`: `now`, `1 second ago`, `10 minutes ago`, ..., `a long while ago`.
    public static func relative(nanoseconds: Int64, now: Int64) -> String {
        if nanoseconds == 0 { return "a long while ago" }
        var delta = now - nanoseconds
        var label = "ago"
        if delta < 0 {
            delta = -delta
            label = "from now"
        }
        for step in relativeSteps where delta < step.limit {
            if step.divisor == 0 { return step.text == "now" ? "now" : step.text + " " + label }
            return String(delta / step.divisor) + step.text + " " + label
        }
        return "a long while " + label
    }

    /// go-humanize's `IBytes` without the space, as rkt's tables show it: `2.0MiB`, `16MiB`, `22KiB`.
    public static func binarySize(_ bytes: Int64) -> String {
        if bytes < 10 { return "\(bytes)B" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        let exponent = min(units.count - 1, Int(floor(log(Double(bytes)) / log(1024.0))))
        let value = (Double(bytes) / pow(1024.0, Double(exponent)) * 10 + 0.5).rounded(.down) / 10
        let number = value < 10 ? formatOneDecimal(value) : String(Int(value.rounded()))
        return number + units[exponent]
    }

    private static func formatOneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
