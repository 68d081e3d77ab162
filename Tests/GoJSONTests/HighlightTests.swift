import Testing

@testable import GoJSON

struct HighlightTests {
    @Test func manifestExample() {
        let manifest = bytes("{\n  \"acKind\": \"ImageManifest\",\n  \"name\": x\n}\n")
        guard let err = syntaxError(manifest) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(err.offset == 42)
        let expected =
            "\nError at line 3, column 12\n"
            + "    2:   \"acKind\": \"ImageManifest\",\n"
            + "    3:   \"name\": x\n"
            + String(repeating: " ", count: 17) + "^\n"
            + "invalid character 'x' looking for beginning of value"
        #expect(GoJSON.decoratedSyntaxError(err, in: manifest) == expected)
        #expect(GoJSON.decoratedSyntaxErrorBytes(err, in: manifest) == bytes(expected))
    }

    @Test func emptyInput() {
        guard let err = syntaxError([]) else {
            Issue.record("expected a syntax error")
            return
        }
        let expected = "\nError at line 1, column 0\n    1: \n     ^\nunexpected end of JSON input"
        #expect(GoJSON.decoratedSyntaxError(err, in: []) == expected)
    }

    @Test func firstLineColumnStartsAtZero() {
        let input = bytes("[1, 2 x]")
        guard let err = syntaxError(input) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(err.offset == 7)
        let expected =
            "\nError at line 1, column 7\n    1: [1, 2 x\n" + String(repeating: " ", count: 12) + "^\n"
            + "invalid character 'x' after array element"
        #expect(GoJSON.decoratedSyntaxError(err, in: input) == expected)
    }

    @Test func errorRightAfterNewline() {
        // Offset 3 ends exactly on the newline: line 2, column 1, empty current line.
        let input = bytes("[1\n\n")
        let err = JSONSyntaxError(message: "m", offset: 3)
        #expect(GoJSON.decoratedSyntaxError(err, in: input) == "\nError at line 2, column 1\n    1: [1\n    2: \n      ^\nm")
        // Unexpected end after several lines.
        guard let eof = syntaxError(bytes("{\n\"a\":\n")) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(
            GoJSON.decoratedSyntaxError(eof, in: bytes("{\n\"a\":\n"))
                == "\nError at line 3, column 1\n    2: \"a\":\n    3: \n      ^\nunexpected end of JSON input")
    }

    @Test func bomKeepsRawBytes() {
        let input: [UInt8] = [0xEF, 0xBB, 0xBF, 0x7B, 0x7D]
        guard let err = syntaxError(input) else {
            Issue.record("expected a syntax error")
            return
        }
        let expected: [UInt8] = bytes("\nError at line 1, column 1\n    1: ") + [0xEF] + bytes("\n      ^\ninvalid character 'ï' looking for beginning of value")
        #expect(GoJSON.decoratedSyntaxErrorBytes(err, in: input) == expected)
        // As a Swift String the lone byte can only be U+FFFD.
        #expect(GoJSON.decoratedSyntaxError(err, in: input).contains("    1: \u{FFFD}\n"))
    }

    @Test func wideLineNumbers() {
        let input = [UInt8](repeating: 0x0A, count: 123_456) + bytes("x")
        guard let err = syntaxError(input) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(
            GoJSON.decoratedSyntaxError(err, in: input)
                == "\nError at line 123457, column 2\n123456: \n123457: x\n       ^\ninvalid character 'x' looking for beginning of value")
    }
}
