/// appc's `jsonutil.HighlightBytePosition` plus the `fmt.Errorf` around it.
enum Highlighter {
    static func decorate(_ error: JSONSyntaxError, in bytes: [UInt8]) -> [UInt8] {
        var line = 1
        // Starts at 0 but restarts at 1 after each newline, as the Go code does.
        var column = 0
        var lastLine = 0..<0
        var lineStart = 0
        let stop = min(max(error.offset, 0), bytes.count)
        for i in 0..<stop {
            if bytes[i] == 0x0A {
                lastLine = lineStart..<i
                lineStart = i + 1
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        var out: [UInt8] = []
        out.append(contentsOf: "\nError at line \(line), column \(column)\n".utf8)
        if line > 1 {
            out.append(contentsOf: padded(line - 1).utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: bytes[lastLine])
            out.append(0x0A)
        }
        out.append(contentsOf: padded(line).utf8)
        out.append(contentsOf: ": ".utf8)
        out.append(contentsOf: bytes[lineStart..<max(lineStart, stop)])
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: column + 5))
        out.append(contentsOf: "^\n".utf8)
        out.append(contentsOf: error.message.utf8)
        return out
    }

    /// `%5d`.
    private static func padded(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: " ", count: max(0, 5 - digits.count)) + digits
    }
}
