import GoCompat
import Testing

/// Go's text/tabwriter as actool and rkt configure it (tab padding, width 8, padding 1).
struct TabWriterTests {
    @Test func columnsArePaddedWithTabsPerBlock() {
        // A 9-wide column (8 characters + padding) takes two tab stops.
        #expect(TabWriter.format("12345678\tx\na\ty\n") == "12345678\tx\na\t\ty\n")
        // Widths count characters, not bytes.
        #expect(TabWriter.format("éééééééé\tx\na\ty\n") == "éééééééé\tx\na\t\ty\n")
        // A line without the column ends the block: the next block is aligned on its own.
        #expect(TabWriter.format("12345678\tx\n\na\ty\n") == "12345678\tx\n\na\ty\n")
        // A last line without a newline keeps it so; empty input gives one newline, as before.
        #expect(TabWriter.format("a\tb\nccccccccc\td") == "a\t\tb\nccccccccc\td")
        #expect(TabWriter.format("") == "\n")
        #expect(TabWriter.format("\n\nx\n") == "\n\nx\n")
    }
}
