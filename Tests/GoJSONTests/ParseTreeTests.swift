import Testing

@testable import GoJSON

struct ParseTreeTests {
    @Test func scalars() throws {
        #expect(try root("null") == .null)
        #expect(try root("true") == .bool(true))
        #expect(try root(" false ") == .bool(false))
        #expect(try root("\"s\"") == .string("s"))
        #expect(try root("[]") == .array([]))
        #expect(try root("{}") == .object([]))
    }

    @Test func numbersKeepTheirLiteralText() throws {
        let literals = ["0", "-0", "12", "-0.5e3", "1E+9", "1e-07", "3.14159265358979323846264338327950288", "100000000000000000000000"]
        for literal in literals {
            #expect(try root(literal) == .number(literal))
            #expect(try root("[\(literal)]") == .array([.number(literal)]))
        }
    }

    @Test func duplicatesKeptInDocumentOrder() throws {
        let value = try root(#"{"b":1,"a":2,"b":3,"":4}"#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "b", ""])
        #expect(members.map(\.value) == [.number("1"), .number("2"), .number("3"), .number("4")])
    }

    @Test func nestedTree() throws {
        let value = try root(#"{"a":[1,{"b":null}],"c":{"d":[true,[]]}}"#)
        let expected = JSONValue.object([
            JSONMember(key: "a", value: .array([.number("1"), .object([JSONMember(key: "b", value: .null, valueRange: 13..<17)])]), valueRange: 5..<19),
            JSONMember(key: "c", value: .object([JSONMember(key: "d", value: .array([.bool(true), .array([])]), valueRange: 29..<38)]), valueRange: 24..<39),
        ])
        #expect(value == expected)
    }

    @Test func valueRanges() throws {
        let source = "{ \"n\" : -1.5e2 ,\n \"s\":\"x\\\"y\" , \"o\" :{ \"k\" : [ 1 , 2 ] } ,\"t\":true,\"z\":null, \"e\":{}}"
        let doc = try GoJSON.parse(bytes(source))
        guard case .object(let members) = doc.root else {
            Issue.record("not an object")
            return
        }
        let raws = members.map { text(Array(doc.rawText(of: $0))) }
        #expect(raws == ["-1.5e2", "\"x\\\"y\"", "{ \"k\" : [ 1 , 2 ] }", "true", "null", "{}"])
        guard case .object(let inner) = members[2].value else {
            Issue.record("not an object")
            return
        }
        #expect(text(Array(doc.rawText(of: inner[0]))) == "[ 1 , 2 ]")
    }

    @Test func topLevelNumberEndsAtEOF() throws {
        let doc = try GoJSON.parse(bytes("[ 12 ]"))
        #expect(doc.root == .array([.number("12")]))
        #expect(try root("12") == .number("12"))
        #expect(try root("12\n") == .number("12"))
    }

    @Test func stringEscapes() throws {
        #expect(try root(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try root(#""\u00e9\u00E9\u0041\u0000""#) == .string("ééA\u{0}"))
        #expect(try root(#""a\u2028b""#) == .string("a\u{2028}b"))
    }

    @Test func surrogatePairs() throws {
        #expect(try root(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try root(#""\uD83D\uDE00x""#) == .string("😀x"))
        // Lone or misordered surrogates become U+FFFD; the next escape is still read.
        #expect(try root(#""\ud800""#) == .string("\u{FFFD}"))
        #expect(try root(#""\udc00""#) == .string("\u{FFFD}"))
        #expect(try root(#""\ud800x""#) == .string("\u{FFFD}x"))
        #expect(try root(#""\udc00\ud800\udc00""#) == .string("\u{FFFD}\u{10000}"))
        #expect(try root(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
        #expect(try root(#""\ud800\ud800\udfff""#) == .string("\u{FFFD}\u{103FF}"))
    }

    @Test func invalidUTF8BecomesReplacementPerByte() throws {
        func decoded(_ content: [UInt8]) throws -> JSONValue {
            try GoJSON.parse([0x22] + content + [0x22]).root
        }
        let r = "\u{FFFD}"
        // Truncated sequence: every byte is replaced (unlike maximal-subpart decoding).
        #expect(try decoded([0xE2, 0x82, 0x41]) == .string(r + r + "A"))
        // UTF-8 encoded surrogate, overlong forms, out of range, stray bytes.
        #expect(try decoded([0xED, 0xA0, 0x80]) == .string(r + r + r))
        #expect(try decoded([0xC0, 0xAF]) == .string(r + r))
        #expect(try decoded([0xE0, 0x80, 0x80]) == .string(r + r + r))
        #expect(try decoded([0xF4, 0x90, 0x80, 0x80]) == .string(r + r + r + r))
        #expect(try decoded([0xFF, 0x61]) == .string(r + "a"))
        #expect(try decoded([0xF0, 0x9F, 0x98]) == .string(r + r + r))
        // Valid multi-byte text is kept.
        #expect(try decoded(Array("é漢😀\u{FFFD}".utf8)) == .string("é漢😀\u{FFFD}"))
        // Keys are decoded the same way.
        #expect(
            try GoJSON.parse([0x7B, 0x22, 0xC3, 0x22, 0x3A, 0x31, 0x7D]).root
                == .object([JSONMember(key: r, value: .number("1"), valueRange: 5..<6)]))
    }

    @Test func largeDocumentParsesInOneLinearPass() throws {
        // About 4 MiB: many small objects with strings, numbers and nesting.
        var source: [UInt8] = []
        source.reserveCapacity(4_300_000)
        source.append(contentsOf: "{\"items\":[\n".utf8)
        let count = 50_000
        for i in 0..<count {
            if i > 0 { source.append(contentsOf: ",\n".utf8) }
            source.append(contentsOf: "  {\"id\": \(i), \"name\": \"item-\(i) <é> \\u00e9\\n\", \"tags\": [\"a\", \"b\", true, null], \"v\": -\(i).5e1}".utf8)
        }
        source.append(contentsOf: "\n]}".utf8)
        #expect(source.count > 4_000_000)

        let doc = try GoJSON.parse(source)
        guard case .object(let top) = doc.root, top.count == 1, case .array(let items) = top[0].value else {
            Issue.record("unexpected shape")
            return
        }
        #expect(items.count == count)
        let last = JSONValue.object([
            JSONMember(key: "id", value: .number("\(count - 1)")),
            JSONMember(key: "name", value: .string("item-\(count - 1) <é> é\n")),
            JSONMember(key: "tags", value: .array([.string("a"), .string("b"), .bool(true), .null])),
            JSONMember(key: "v", value: .number("-\(count - 1).5e1")),
        ])
        if case .object(let members) = items[count - 1] {
            let stripped = JSONValue.object(members.map { JSONMember(key: $0.key, value: $0.value) })
            #expect(stripped == last)
        } else {
            Issue.record("last item is not an object")
        }
        // The raw text of the array is the whole document minus the wrapper.
        #expect(doc.rawText(of: top[0]).count == source.count - 10)
        // Round trip through compact and indent.
        let compacted = GoJSON.compact(source[...])
        let reparsed = try GoJSON.parse(GoJSON.indent(compacted, indent: "  "))
        guard case .object(let again) = reparsed.root, case .array(let againItems) = again[0].value else {
            Issue.record("unexpected shape after round trip")
            return
        }
        #expect(againItems.count == count)
    }
}
