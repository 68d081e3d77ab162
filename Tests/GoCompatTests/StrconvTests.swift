import Testing

@testable import GoCompat

/// Expected texts are Go 1.19's (strconv/quote_test.go and what `%q` prints).
@Suite struct StrconvTests {
    @Test(arguments: [
        ("\u{07}\u{08}\u{0C}\r\n\t\u{0B}", #""\a\b\f\r\n\t\v""#),
        ("\\", #""\\""#),
        ("\"", #""\"""#),
        ("\u{263a}", "\"\u{263a}\""),
        ("\u{10ffff}", #""\U0010ffff""#),
        ("\u{04}", #""\x04""#),
        ("\u{7f}", #""\x7f""#),
        // Not printable for Go (spaces other than U+0020, format characters), though graphic.
        ("!\u{00a0}!\u{2000}!\u{3000}!", #""!\u00a0!\u2000!\u3000!""#),
        ("a\u{200b}b", #""a\u200bb""#),
        ("\u{FFFD}", "\"\u{FFFD}\""),
        ("日本語", "\"日本語\""),
        ("", #""""#),
    ])
    func quote(input: String, expected: String) {
        #expect(Strconv.quote(input) == expected)
        #expect(goQuote(input) == expected)
        #expect(Strconv.quote(bytes: Array(input.utf8)) == expected)
    }

    /// Bytes that are not UTF-8 are `\xNN`, one by one, as Go quotes a string holding them.
    @Test(arguments: [
        ([0x61, 0x62, 0x63, 0xff, 0x64, 0x65, 0x66] as [UInt8], #""abc\xffdef""#),
        ([0xc3], #""\xc3""#),
        ([0xe2, 0x82], #""\xe2\x82""#),
        ([0xed, 0xa0, 0x80], #""\xed\xa0\x80""#),  // a surrogate half
        ([0xf4, 0x90, 0x80, 0x80], #""\xf4\x90\x80\x80""#),  // beyond U+10FFFF
        ([0xc3, 0xa9, 0x0a], "\"\u{e9}\\n\""),
    ])
    func quoteBytes(input: [UInt8], expected: String) {
        #expect(Strconv.quote(bytes: input) == expected)
    }

    @Test func parseBool() {
        for text in ["1", "t", "T", "true", "TRUE", "True"] { #expect(Strconv.parseBool(text) == true, "\(text)") }
        for text in ["0", "f", "F", "false", "FALSE", "False"] { #expect(Strconv.parseBool(text) == false, "\(text)") }
        for text in ["", "yes", "tRUE", "truE", "2", " true", "1 "] { #expect(Strconv.parseBool(text) == nil, "\(text)") }
        #expect(Strconv.syntaxError("ParseBool", "yes") == #"strconv.ParseBool: parsing "yes": invalid syntax"#)
    }
}

/// Go's path/path_test.go cleantests.
@Suite struct GoPathTests {
    static let cases: [(String, String)] = [
        ("", "."), ("abc", "abc"), ("abc/def", "abc/def"), ("a/b/c", "a/b/c"), (".", "."), ("..", ".."),
        ("../..", "../.."), ("../../abc", "../../abc"), ("/abc", "/abc"), ("/", "/"),
        ("abc/", "abc"), ("abc/def/", "abc/def"), ("a/b/c/", "a/b/c"), ("./", "."), ("../", ".."), ("../../", "../.."),
        ("/abc/", "/abc"), ("abc//def//ghi", "abc/def/ghi"), ("//abc", "/abc"), ("///abc", "/abc"), ("//abc//", "/abc"),
        ("abc//", "abc"), ("abc/./def", "abc/def"), ("/./abc/def", "/abc/def"), ("abc/.", "abc"),
        ("abc/def/ghi/../jkl", "abc/def/jkl"), ("abc/def/../ghi/../jkl", "abc/jkl"), ("abc/def/..", "abc"),
        ("abc/def/../..", "."), ("/abc/def/../..", "/"), ("abc/def/../../..", ".."), ("/abc/def/../../..", "/"),
        ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"), ("abc/./../def", "def"), ("abc//./../def", "def"),
        ("abc/../../././../def", "../../def"), ("...", "..."), ("a/.../b", "a/.../b"), (".a/..b/", ".a/..b"),
    ]

    @Test func clean() {
        for (input, expected) in Self.cases {
            #expect(GoPath.clean(input) == expected, "\(input)")
            #expect(GoPath.clean(bytes: Array(input.utf8)) == Array(expected.utf8), "\(input)")
        }
        for (input, expected) in Self.cases where GoPath.isClean(Array(input.utf8)) {
            #expect(input == expected, "the fast path takes \(input) for clean")
        }
        #expect(GoPath.clean(bytes: [0x61, 0xff, 0x2f, 0x2e, 0x2e, 0x2f, 0x62]) == [0x62])
    }

    @Test func join() {
        #expect(GoPath.join("a", "b", "c") == "a/b/c")
        #expect(GoPath.join("a", "", "c") == "a/c")
        #expect(GoPath.join("/a/", "../b") == "/b")
        #expect(GoPath.join("", "") == "")
    }
}

/// Go 1.19's time/time_test.go parseDurationTests and parseDurationErrorTests.
@Suite struct GoDurationTests {
    static let second: Int64 = 1_000_000_000, millisecond: Int64 = 1_000_000, microsecond: Int64 = 1_000
    static let minute = 60 * second, hour = 60 * minute

    static let valid: [(String, Int64)] = [
        ("0", 0), ("5s", 5 * second), ("30s", 30 * second), ("1478s", 1478 * second), ("-5s", -5 * second),
        ("+5s", 5 * second), ("-0", 0), ("+0", 0), ("5.0s", 5 * second), ("5.6s", 5 * second + 600 * millisecond),
        ("5.s", 5 * second), (".5s", 500 * millisecond), ("1.0s", second), ("1.00s", second),
        ("1.004s", second + 4 * millisecond), ("1.0040s", second + 4 * millisecond),
        ("100.00100s", 100 * second + millisecond), ("10ns", 10), ("11us", 11 * microsecond),
        ("12\u{00B5}s", 12 * microsecond), ("12\u{03BC}s", 12 * microsecond), ("13ms", 13 * millisecond),
        ("14s", 14 * second), ("15m", 15 * minute), ("16h", 16 * hour), ("3h30m", 3 * hour + 30 * minute),
        ("10.5s4m", 4 * minute + 10 * second + 500 * millisecond),
        ("-2m3.4s", -(2 * minute + 3 * second + 400 * millisecond)),
        ("1h2m3s4ms5us6ns", hour + 2 * minute + 3 * second + 4 * millisecond + 5 * microsecond + 6),
        ("39h9m14.425s", 39 * hour + 9 * minute + 14 * second + 425 * millisecond),
        ("52763797000ns", 52_763_797_000), ("0.3333333333333333333h", 20 * minute),
        ("9007199254740993ns", (1 << 53) + 1), ("9223372036854775807ns", Int64.max),
        ("9223372036854775.807us", Int64.max), ("9223372036s854ms775us807ns", Int64.max),
        ("-9223372036854775808ns", Int64.min), ("-9223372036854775.808us", Int64.min),
        ("-9223372036s854ms775us808ns", Int64.min), ("-2562047h47m16.854775808s", Int64.min),
        ("0.100000000000000000000h", 6 * minute),
        ("0.830103483285477580700h", 49 * minute + 48 * second + 372_539_827),
        ("24h0m0s", 24 * hour),
    ]

    @Test func parse() throws {
        for (text, expected) in Self.valid {
            #expect(try GoDuration.parse(text) == expected, "\(text)")
        }
    }

    @Test(arguments: [
        ("", #"time: invalid duration """#), ("3", #"time: missing unit in duration "3""#),
        ("-", #"time: invalid duration "-""#), ("s", #"time: invalid duration "s""#),
        (".", #"time: invalid duration ".""#), ("-.", #"time: invalid duration "-.""#),
        (".s", #"time: invalid duration ".s""#), ("+.s", #"time: invalid duration "+.s""#),
        ("1d", #"time: unknown unit "d" in duration "1d""#),
        ("1h1x", #"time: unknown unit "x" in duration "1h1x""#),
        ("\u{FFFD}", #"time: invalid duration "\xef\xbf\xbd""#),
        ("9223372036854775810ns", #"time: invalid duration "9223372036854775810ns""#),
        ("9223372036854775808ns", #"time: invalid duration "9223372036854775808ns""#),
        ("-9223372036854775809ns", #"time: invalid duration "-9223372036854775809ns""#),
        ("9223372036854776us", #"time: invalid duration "9223372036854776us""#),
        ("3000000h", #"time: invalid duration "3000000h""#),
        ("9223372036854775.808us", #"time: invalid duration "9223372036854775.808us""#),
        ("9223372036854ms775us808ns", #"time: invalid duration "9223372036854ms775us808ns""#),
    ])
    func errors(text: String, message: String) {
        #expect(throws: GoDurationError.self) { try GoDuration.parse(text) }
        do {
            _ = try GoDuration.parse(text)
        } catch {
            #expect(error.description == message)
        }
    }
}
