import Testing

@testable import GoJSON

/// Matches were checked against Go 1.19 decoding into a struct with the field's tag.
struct FoldTests {
    @Test func asciiCaseInsensitive() {
        #expect(GoJSON.keyMatches("acKind", field: "acKind"))
        #expect(GoJSON.keyMatches("ACKIND", field: "acKind"))
        #expect(GoJSON.keyMatches("ackind", field: "acKind"))
        #expect(GoJSON.keyMatches("A_B", field: "a_b"))
        #expect(!GoJSON.keyMatches("acKin", field: "acKind"))
        #expect(!GoJSON.keyMatches("acKindx", field: "acKind"))
        #expect(!GoJSON.keyMatches("a-b", field: "a_b"))
        #expect(!GoJSON.keyMatches("", field: "a"))
        // Only letters fold: '@' (0x40) and '`' (0x60) differ only in bit 0x20.
        #expect(!GoJSON.keyMatches("`", field: "@"))
        #expect(!GoJSON.keyMatches("{", field: "["))
    }

    @Test func longSAndKelvin() {
        #expect(GoJSON.keyMatches("ſize", field: "size"))
        #expect(GoJSON.keyMatches("ſIZE", field: "Size"))
        #expect(GoJSON.keyMatches("\u{212A}ey", field: "key"))
        #expect(GoJSON.keyMatches("ac\u{212A}ind", field: "acKind"))
        #expect(GoJSON.keyMatches("iſolators", field: "isolators"))
        // The special runes only stand for their own letter.
        #expect(!GoJSON.keyMatches("\u{212A}", field: "s"))
        #expect(!GoJSON.keyMatches("ſ", field: "k"))
        #expect(!GoJSON.keyMatches("ſ", field: "x"))
        #expect(!GoJSON.keyMatches("é", field: "e"))
    }

    @Test func nonASCIIFieldNames() {
        #expect(GoJSON.keyMatches("CAFÉ", field: "café"))
        #expect(GoJSON.keyMatches("ς", field: "Σ"))
        #expect(GoJSON.keyMatches("ǆ", field: "ǅ"))
        #expect(GoJSON.keyMatches("ék", field: "éK"))
        #expect(GoJSON.keyMatches("éſ", field: "és"))
        #expect(!GoJSON.keyMatches("I", field: "ı"))
        #expect(!GoJSON.keyMatches("İ", field: "i"))
        #expect(!GoJSON.keyMatches("STRASSE", field: "straße"))
    }
}
