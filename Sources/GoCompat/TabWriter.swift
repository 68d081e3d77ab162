/// Go's `text/tabwriter` as actool configures it (`minwidth 0, tabwidth 8, padding 1,
/// padchar '\t', flags 0`): tab-terminated cells are aligned per column block and
/// padded with tabs. Only what actool's help output needs.
public struct TabWriter {
    private static let tabWidth = 8
    private static let padding = 1

    /// Formats `text` (lines ending in "\n") as Go's writer would on Flush. Works on the
    /// UTF-8 bytes (cells as byte ranges): `rkt image list` puts 10,000 lines through it.
    public static func format(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var lines: [[Range<Int>]] = []
        var cells: [Range<Int>] = []
        var cellStart = 0
        for (i, byte) in bytes.enumerated() where byte == 0x09 || byte == 0x0a {
            cells.append(cellStart..<i)
            cellStart = i + 1
            if byte == 0x0a {
                lines.append(cells)
                cells = []
            }
        }
        let endsWithNewline = cellStart == bytes.count
        if !endsWithNewline {
            cells.append(cellStart..<bytes.count)
            lines.append(cells)
        }
        var out = Output()
        out.bytes.reserveCapacity(bytes.count + bytes.count / 2)
        var widths: [Int] = []
        Block(bytes: bytes, lines: lines).format(0, lines.count, &widths, &out)
        if endsWithNewline { out.bytes.append(0x0a) }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    private struct Output {
        var bytes: [UInt8] = []
        var lines = 0
    }

    private struct Block {
        let bytes: [UInt8]
        let lines: [[Range<Int>]]

        /// Characters (Unicode scalars) in a cell: its bytes that do not continue a sequence.
        func width(_ cell: Range<Int>) -> Int {
            var count = 0
            for i in cell where bytes[i] & 0xC0 != 0x80 { count += 1 }
            return count
        }

        /// Go's recursive `format`: a column block is a run of lines that all have a
        /// tab-terminated cell in the current column.
        func format(_ start: Int, _ end: Int, _ widths: inout [Int], _ out: inout Output) {
            let column = widths.count
            var line0 = start
            var this = start
            while this < end {
                if column >= lines[this].count - 1 {
                    this += 1
                    continue
                }
                write(line0, this, widths, &out)
                line0 = this
                var width = 0
                while this < end, column < lines[this].count - 1 {
                    width = max(width, self.width(lines[this][column]) + padding)
                    this += 1
                }
                widths.append(width)
                format(line0, this, &widths, &out)
                widths.removeLast()
                line0 = this
            }
            write(line0, end, widths, &out)
        }

        /// Lines `start..<end`, each cell padded to its column with tabs; lines are
        /// separated (not terminated) by newlines.
        func write(_ start: Int, _ end: Int, _ widths: [Int], _ out: inout Output) {
            guard start < end else { return }
            for line in lines[start..<end] {
                if out.lines > 0 { out.bytes.append(0x0a) }
                out.lines += 1
                for (j, cell) in line.enumerated() {
                    out.bytes.append(contentsOf: bytes[cell])
                    if j < widths.count {
                        let cellWidth = (widths[j] + tabWidth - 1) / tabWidth * tabWidth
                        let n = cellWidth - width(cell)
                        out.bytes.append(contentsOf: repeatElement(0x09, count: (n + tabWidth - 1) / tabWidth))
                    }
                }
            }
        }
    }
}
