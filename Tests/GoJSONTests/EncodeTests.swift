import Testing

@testable import GoJSON

/// Expected bytes were produced with Go 1.19 (`json.Marshal`, `json.Indent`).
struct EncodeTests {
    @Test func scalarsAndContainers() {
        #expect(text(GoJSON.encodeCompact(.null)) == "null")
        #expect(text(GoJSON.encodeCompact(.bool(true))) == "true")
        #expect(text(GoJSON.encodeCompact(.bool(false))) == "false")
        #expect(text(GoJSON.encodeCompact(.number("-0.5e3"))) == "-0.5e3")
        #expect(text(GoJSON.encodeCompact(.array([]))) == "[]")
        #expect(text(GoJSON.encodeCompact(.object([]))) == "{}")
        let value = JSONValue.object([
            JSONMember(key: "z", value: .array([.number("1"), .string("two"), .null])),
            JSONMember(key: "a", value: .object([JSONMember(key: "b", value: .bool(false))])),
            JSONMember(key: "z", value: .string("again")),
        ])
        #expect(text(GoJSON.encodeCompact(value)) == #"{"z":[1,"two",null],"a":{"b":false},"z":"again"}"#)
    }

    @Test func stringEscapingLikeGo119() {
        let s = "<a>&\u{2028}\u{2029}\u{08}\u{01}\u{7F}/é\"\\\n\r\t\u{0C}\u{1F}😀"
        let expected = #""\u003ca\u003e\u0026\u2028\u2029\u0008\u0001"# + "\u{7F}" + #"/é\"\\\n\r\t\u000c\u001f😀""#
        #expect(text(GoJSON.encodeCompact(.string(s))) == expected)
        // Keys are escaped the same way.
        #expect(text(GoJSON.encodeCompact(.object([JSONMember(key: "<k>", value: .null)]))) == #"{"\u003ck\u003e":null}"#)
        // Other characters starting with E2 are left alone.
        #expect(text(GoJSON.encodeCompact(.string("\u{2027}\u{202A}€"))) == "\"\u{2027}\u{202A}€\"")
    }

    @Test func rawValuesAreCompactedAndHTMLEscaped() {
        let raw = bytes(" { \"a\" : [ 1 , \"<b> & \\u003c\" ] , \"c\" : \"\u{2028}\" } ")
        let value = JSONValue.object([JSONMember(key: "r", value: .raw(raw))])
        #expect(text(GoJSON.encodeCompact(value)) == #"{"r":{"a":[1,"\u003cb\u003e \u0026 \u003c"],"c":"\u2028"}}"#)
        // A nil RawMessage marshals as null; an empty one is treated the same.
        #expect(text(GoJSON.encodeCompact(.raw([]))) == "null")
    }

    @Test func compactKeepsStringEscapesAsWritten() {
        let src = bytes("{\"a\" : [ ], \"b\":{ }, \"c\":[1, [ ], {\"d\":\"<x> & \\u003c \u{2028}\"}], \"e\":\"\\n\\/ \\t\"}\n")
        #expect(text(GoJSON.compact(src[...])) == #"{"a":[],"b":{},"c":[1,[],{"d":"\u003cx\u003e \u0026 \u003c \u2028"}],"e":"\n\/ \t"}"#)
        // Works on a slice of a larger buffer.
        let doc = bytes("xx[ 1 ,\t2 ]yy")
        #expect(text(GoJSON.compact(doc[2..<11])) == "[1,2]")
        #expect(text(GoJSON.compact(bytes("\u{2029}\"\u{2029}\"")[3...])) == #""\u2029""#)
    }

    @Test func indentLikeMarshalIndent() {
        let src = bytes(#"{"a":[],"b":{},"c":[1,[],{"d":"\u003cx\u003e, {y}: [z]"}],"e":"\n\/"}"#)
        let expected = """
            {
                "a": [],
                "b": {},
                "c": [
                    1,
                    [],
                    {
                        "d": "\\u003cx\\u003e, {y}: [z]"
                    }
                ],
                "e": "\\n\\/"
            }
            """
        #expect(text(GoJSON.indent(src, indent: "    ")) == expected)
        #expect(text(GoJSON.indent(bytes("[]"), indent: "  ")) == "[]")
        #expect(text(GoJSON.indent(bytes("{}"), indent: "  ")) == "{}")
        #expect(text(GoJSON.indent(bytes("[[],[{}]]"), indent: "\t")) == "[\n\t[],\n\t[\n\t\t{}\n\t]\n]")
        #expect(text(GoJSON.indent(bytes("\"x\""), indent: "  ")) == "\"x\"")
        #expect(text(GoJSON.indent(bytes("{\"a\":1}"), indent: "")) == "{\n\"a\": 1\n}")
    }

    @Test func indentWhitespaceQuirks() {
        // Leading whitespace is dropped, trailing whitespace copied, as json.Indent does.
        #expect(text(GoJSON.indent(bytes(" \n{ \"a\" :1 } \n"), indent: "  ")) == "{\n  \"a\": 1\n} \n")
    }

    @Test func invalidInputIsReturnedUnchanged() {
        #expect(text(GoJSON.indent(bytes("[1,"), indent: "  ")) == "[1,")
        #expect(text(GoJSON.compact(bytes("[1 , x]")[...])) == "[1 , x]")
    }

    @Test func roundTrips() throws {
        let source = """
            {
              "acKind": "ImageManifest",
              "name": "example.com/<app>",
              "labels": [{"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"}],
              "app": {"exec": ["/bin/sh", "-c", "echo \\"hi\\" && true"], "user": "0", "group": "0",
                      "isolators": [{"name": "resource/cpu", "value": {"request": "250m", "limit": "500m"}}]},
              "annotations": [],
              "dependencies": {}
            }
            """
        let compacted = GoJSON.compact(bytes(source)[...])
        let indented = GoJSON.indent(compacted, indent: "  ")
        // Indenting then compacting gives the compact form back.
        #expect(GoJSON.compact(indented[...]) == compacted)
        // Re-encoding the parsed tree gives the compact form too (strings here have
        // nothing Go would escape differently from how they were written).
        let doc = try GoJSON.parse(bytes(source))
        #expect(GoJSON.encodeCompact(doc.root) == compacted)
        #expect(try GoJSON.encodeCompact(GoJSON.parse(indented).root) == compacted)
    }
}
