/// Go's `compact` (with HTML escaping) and `Indent`, driven by the same scanner.
enum Formatter {
    /// Appends `src` without insignificant whitespace, rewriting `<`, `>`, `&`,
    /// U+2028 and U+2029 as `\u` escapes. Invalid JSON is appended unchanged
    /// (Go would fail with the syntax error instead).
    static func compact(_ src: ArraySlice<UInt8>, into dst: inout [UInt8]) {
        let origin = dst.count
        var scanner = GoScanner()
        var start = src.startIndex
        var i = src.startIndex
        var failed = false
        while i < src.endIndex {
            let c = src[i]
            if c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "&") {
                if start < i { dst.append(contentsOf: src[start..<i]) }
                dst.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                dst.append(lowerHexDigits[Int(c >> 4)])
                dst.append(lowerHexDigits[Int(c & 0xF)])
                start = i + 1
            }
            if c == 0xE2 && i + 2 < src.endIndex && src[i + 1] == 0x80 && (src[i + 2] & ~1) == 0xA8 {
                if start < i { dst.append(contentsOf: src[start..<i]) }
                dst.append(contentsOf: "\\u202".utf8)
                dst.append(lowerHexDigits[Int(src[i + 2] & 0xF)])
                start = i + 3
            }
            let op = scanner.step(c)
            if op >= .skipSpace {
                if op == .error {
                    failed = true
                    break
                }
                if start < i { dst.append(contentsOf: src[start..<i]) }
                start = i + 1
            }
            i += 1
        }
        if failed || scanner.eof() == .error {
            dst.removeSubrange(origin...)
            dst.append(contentsOf: src)
            return
        }
        if start < src.endIndex { dst.append(contentsOf: src[start...]) }
    }

    /// `json.Indent(dst, src, "", indent)`. Invalid JSON is returned unchanged.
    static func indent(_ src: [UInt8], indent: [UInt8]) -> [UInt8] {
        var dst: [UInt8] = []
        dst.reserveCapacity(src.count * 2)
        var scanner = GoScanner()
        var needIndent = false
        var depth = 0

        func newline(_ dst: inout [UInt8], _ depth: Int) {
            dst.append(0x0A)
            for _ in 0..<max(depth, 0) { dst.append(contentsOf: indent) }
        }

        for c in src {
            scanner.bytes += 1
            let op = scanner.step(c)
            if op == .skipSpace { continue }
            if op == .error { return src }
            if needIndent && op != .endObject && op != .endArray {
                needIndent = false
                depth += 1
                newline(&dst, depth)
            }
            // Bytes inside literals (including punctuation in strings) pass through.
            if op == .continue {
                dst.append(c)
                continue
            }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                // Deferred so that empty containers stay `{}` and `[]`.
                needIndent = true
                dst.append(c)
            case UInt8(ascii: ","):
                dst.append(c)
                newline(&dst, depth)
            case UInt8(ascii: ":"):
                dst.append(c)
                dst.append(UInt8(ascii: " "))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if needIndent {
                    needIndent = false
                } else {
                    depth -= 1
                    newline(&dst, depth)
                }
                dst.append(c)
            default:
                dst.append(c)
            }
        }
        if scanner.eof() == .error { return src }
        return dst
    }
}
