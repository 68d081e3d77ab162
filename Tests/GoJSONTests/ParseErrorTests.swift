import Testing

@testable import GoJSON

/// Messages and offsets below were checked against Go 1.19's `json.Unmarshal`.
struct ParseErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let input: [UInt8]
        let message: String
        let offset: Int
        var testDescription: String { String(decoding: input.prefix(40), as: UTF8.self) }
    }

    static func c(_ input: String, _ offset: Int, _ message: String) -> Case {
        Case(input: Array(input.utf8), message: message, offset: offset)
    }

    static func c(_ input: [UInt8], _ offset: Int, _ message: String) -> Case {
        Case(input: input, message: message, offset: offset)
    }

    static let cases: [Case] = [
        c("x", 1, "invalid character 'x' looking for beginning of value"),
        c("{]", 2, "invalid character ']' looking for beginning of object key string"),
        c("{\"a\":1,}", 8, "invalid character '}' looking for beginning of object key string"),
        c("{\"a\" x", 6, "invalid character 'x' after object key"),
        c("{\"a\":1 x", 8, "invalid character 'x' after object key:value pair"),
        c("[1 x", 4, "invalid character 'x' after array element"),
        c("[01]", 3, "invalid character '1' after array element"),
        c("[1,]", 4, "invalid character ']' looking for beginning of value"),
        c("\"\u{01}\"", 2, "invalid character '\\x01' in string literal"),
        c("\"\t\"", 2, "invalid character '\\t' in string literal"),
        c([0x22, 0x7F, 0x00, 0x22], 3, "invalid character '\\x00' in string literal"),
        c("\"\\x\"", 3, "invalid character 'x' in string escape code"),
        c("\"\\u12x4\"", 6, "invalid character 'x' in \\u hexadecimal character escape"),
        c("tx", 2, "invalid character 'x' in literal true (expecting 'r')"),
        c("trx", 3, "invalid character 'x' in literal true (expecting 'u')"),
        c("trux", 4, "invalid character 'x' in literal true (expecting 'e')"),
        c("fx", 2, "invalid character 'x' in literal false (expecting 'a')"),
        c("nux", 3, "invalid character 'x' in literal null (expecting 'l')"),
        c("-x", 2, "invalid character 'x' in numeric literal"),
        c("1.x", 3, "invalid character 'x' after decimal point in numeric literal"),
        c("1ex", 3, "invalid character 'x' in exponent of numeric literal"),
        c("1e+x", 4, "invalid character 'x' in exponent of numeric literal"),
        c("{} x", 4, "invalid character 'x' after top-level value"),
        c("1x", 2, "invalid character 'x' after top-level value"),
        c("\n\n x", 4, "invalid character 'x' looking for beginning of value"),
        // End of input: Go feeds one space, so an unfinished literal fails on it.
        c("", 0, "unexpected end of JSON input"),
        c("   ", 3, "unexpected end of JSON input"),
        c("[1,", 3, "unexpected end of JSON input"),
        c("\"abc", 4, "unexpected end of JSON input"),
        c("{\"a\"", 4, "unexpected end of JSON input"),
        c("tru", 3, "invalid character ' ' in literal true (expecting 'e')"),
        c("nul", 3, "invalid character ' ' in literal null (expecting 'l')"),
        c("fals", 4, "invalid character ' ' in literal false (expecting 'e')"),
        c("-", 1, "invalid character ' ' in numeric literal"),
        c("1.", 2, "invalid character ' ' after decimal point in numeric literal"),
        c("1e", 2, "invalid character ' ' in exponent of numeric literal"),
        c("\"\\", 2, "invalid character ' ' in string escape code"),
        c("\"\\u12", 5, "invalid character ' ' in \\u hexadecimal character escape"),
        // Go quotes the byte as if it were a code point.
        c([0xEF, 0xBB, 0xBF, 0x7B, 0x7D], 1, "invalid character 'ï' looking for beginning of value"),
        c([0xC3], 1, "invalid character 'Ã' looking for beginning of value"),
        c([0xFF], 1, "invalid character 'ÿ' looking for beginning of value"),
        c([0x80], 1, "invalid character '\\u0080' looking for beginning of value"),
        c([0xA0], 1, "invalid character '\\u00a0' looking for beginning of value"),
        c([0xAD], 1, "invalid character '\\u00ad' looking for beginning of value"),
        c("'", 1, "invalid character '\\'' looking for beginning of value"),
        c("\\", 1, "invalid character '\\\\' looking for beginning of value"),
        c("\"a\":", 4, "invalid character ':' after top-level value"),
        c([0x07], 1, "invalid character '\\a' looking for beginning of value"),
        c([0x0B], 1, "invalid character '\\v' looking for beginning of value"),
        c([0x1B], 1, "invalid character '\\x1b' looking for beginning of value"),
        c([0x7F], 1, "invalid character '\\x7f' looking for beginning of value"),
        c(
            Array("{\"a\":\n\"b\",\n\"c\": ".utf8) + [0x80, 0x7D], 17,
            "invalid character '\\u0080' looking for beginning of value"),
    ]

    @Test(arguments: cases)
    func syntaxErrors(_ c: Case) {
        let err = syntaxError(c.input)
        #expect(err?.message == c.message)
        #expect(err?.offset == c.offset)
    }

    @Test func maxDepth() throws {
        let tooDeep = [UInt8](repeating: UInt8(ascii: "["), count: 10001)
        let err = syntaxError(tooDeep)
        #expect(err == JSONSyntaxError(message: "invalid character '[' exceeded max depth", offset: 10001))

        let objects = Array(String(repeating: "{\"a\":", count: 10001).utf8)
        #expect(syntaxError(objects) == JSONSyntaxError(message: "invalid character '{' exceeded max depth", offset: 50001))

        // Exactly 10000 levels is fine.
        let deepest = [UInt8](repeating: UInt8(ascii: "["), count: 10000) + [UInt8](repeating: UInt8(ascii: "]"), count: 10000)
        var value = try GoJSON.parse(deepest).root
        var depth = 0
        while case .array(let inner) = value, let first = inner.first {
            depth += 1
            value = first
        }
        #expect(depth == 9999)
        #expect(value == .array([]))
    }

    @Test func firstSyntaxErrorWins() {
        // A later error is never reported before an earlier one.
        #expect(syntaxError(bytes("[1, x, }"))?.message == "invalid character 'x' looking for beginning of value")
        // Trailing garbage after a complete value is still a syntax error.
        #expect(
            syntaxError(bytes("{\"a\":1}\n{\"b\":2}"))
                == JSONSyntaxError(message: "invalid character '{' after top-level value", offset: 9))
    }

    @Test func whitespace() throws {
        #expect(try root(" \t\r\n{} \t\r\n") == .object([]))
        // Form feed and vertical tab are not JSON whitespace.
        #expect(syntaxError([0x0C, 0x7B, 0x7D])?.message == "invalid character '\\f' looking for beginning of value")
        #expect(syntaxError([0x7B, 0x7D, 0x0B])?.message == "invalid character '\\v' after top-level value")
    }

    @Test func errorDescriptionIsMessage() {
        let err = JSONSyntaxError(message: "unexpected end of JSON input", offset: 0)
        #expect(err.description == "unexpected end of JSON input")
    }
}
