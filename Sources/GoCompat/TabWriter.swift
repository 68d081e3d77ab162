/// Go's `text/tabwriter` as actool configures it (`minwidth 0, tabwidth 8, padding 1,
/// padchar '\t', flags 0`): tab-terminated cells are aligned per column block and
/// padded with tabs. Only what actool's help output needs.
public struct TabWriter {
    private static let tabWidth = 8
    private static let padding = 1

    /// Formats `text` (lines ending in "\n") as Go's writer would on Flush.
    public static func format(_ text: String) -> String {
        var rawLines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endsWithNewline = rawLines.last == ""
        if endsWithNewline { rawLines.removeLast() }
        let lines = rawLines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        var out: [String] = []
        var widths: [Int] = []
        formatBlock(lines, 0, lines.count, &widths, &out)
        return out.joined(separator: "\n") + (endsWithNewline ? "\n" : "")
    }

    /// Go's recursive `format`: a column block is a run of lines that all have a
    /// tab-terminated cell in the current column.
    private static func formatBlock(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: inout [Int], _ out: inout [String]) {
        let column = widths.count
        var line0 = start
        var this = start
        while this < end {
            if column >= lines[this].count - 1 {
                this += 1
                continue
            }
            writeLines(lines, line0, this, widths, &out)
            line0 = this
            var width = 0
            while this < end, column < lines[this].count - 1 {
                width = max(width, lines[this][column].unicodeScalars.count + padding)
                this += 1
            }
            widths.append(width)
            formatBlock(lines, line0, this, &widths, &out)
            widths.removeLast()
            line0 = this
        }
        writeLines(lines, line0, end, widths, &out)
    }

    private static func writeLines(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: [Int], _ out: inout [String]) {
        guard start < end else { return }
        for line in lines[start..<end] {
            var text = ""
            for (j, cell) in line.enumerated() {
                text += cell
                if j < widths.count {
                    let cellWidth = (widths[j] + tabWidth - 1) / tabWidth * tabWidth
                    let n = cellWidth - cell.unicodeScalars.count
                    text += String(repeating: "\t", count: (n + tabWidth - 1) / tabWidth)
                }
            }
            out.append(text)
        }
    }
}
