/// Builds a `JSONValue` tree while running the Go scanner over the input, so the
/// first syntax error (with Go's message and offset) wins before any value is used.
struct TreeParser {
    private struct Frame {
        var isObject: Bool
        /// Index of the opening bracket, for the member's `valueRange`.
        var start: Int
        var awaitingKey = true
        var key = ""
        var elements: [JSONValue] = []
        var members: [JSONMember] = []
    }

    private let bytes: [UInt8]
    private var frames: [Frame] = []
    private var root: JSONValue?

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var parser = TreeParser(bytes)
        return try parser.run()
    }

    private mutating func run() throws(JSONSyntaxError) -> JSONValue {
        var scanner = GoScanner()
        let count = bytes.count
        // Start of the literal being scanned, or -1.
        var literalStart = -1
        var i = 0
        while i < count {
            let c = bytes[i]
            // Plain string content never changes the scanner's state: skip it quickly.
            if scanner.state == .inString && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") && c >= 0x20 {
                i += 1
                continue
            }
            scanner.bytes = i + 1
            let op = scanner.step(c)
            if op != .continue {
                // Any significant byte ends the literal that precedes it.
                if literalStart >= 0 {
                    finishLiteral(literalStart..<i)
                    literalStart = -1
                }
                switch op {
                case .beginLiteral:
                    literalStart = i
                case .beginObject:
                    frames.append(Frame(isObject: true, start: i))
                case .beginArray:
                    frames.append(Frame(isObject: false, start: i))
                case .objectKey:
                    frames[frames.count - 1].awaitingKey = false
                case .objectValue:
                    frames[frames.count - 1].awaitingKey = true
                case .endObject, .endArray:
                    if let frame = frames.popLast() {
                        let value: JSONValue = frame.isObject ? .object(frame.members) : .array(frame.elements)
                        deliver(value, frame.start..<(i + 1))
                    }
                case .end, .error:
                    if let err = scanner.err { throw err }
                case .continue, .arrayValue, .skipSpace:
                    break
                }
            }
            i += 1
        }
        scanner.bytes = count
        if scanner.eof() == .error, let err = scanner.err { throw err }
        if literalStart >= 0 {
            finishLiteral(literalStart..<count)
        }
        guard let root else {
            // Unreachable for input the scanner accepted.
            throw JSONSyntaxError(message: "unexpected end of JSON input", offset: count)
        }
        return root
    }

    private mutating func finishLiteral(_ range: Range<Int>) {
        let first = bytes[range.lowerBound]
        if first == UInt8(ascii: "\"") {
            let text = unquote(bytes, range.lowerBound + 1, range.upperBound - 1)
            if let top = frames.last, top.isObject, top.awaitingKey {
                frames[frames.count - 1].key = text
                return
            }
            deliver(.string(text), range)
            return
        }
        let value: JSONValue
        switch first {
        case UInt8(ascii: "t"): value = .bool(true)
        case UInt8(ascii: "f"): value = .bool(false)
        case UInt8(ascii: "n"): value = .null
        default: value = .number(String(decoding: bytes[range], as: UTF8.self))
        }
        deliver(value, range)
    }

    private mutating func deliver(_ value: JSONValue, _ range: Range<Int>) {
        guard !frames.isEmpty else {
            root = value
            return
        }
        let last = frames.count - 1
        if frames[last].isObject {
            frames[last].members.append(JSONMember(key: frames[last].key, value: value, valueRange: range))
        } else {
            frames[last].elements.append(value)
        }
    }
}

/// Go's `unquoteBytes` over the content of a scanner-validated string literal
/// (`start..<end` excludes the quotes): escapes decoded, surrogate pairs joined,
/// lone surrogates and each invalid UTF-8 byte replaced by U+FFFD.
func unquote(_ b: [UInt8], _ start: Int, _ end: Int) -> String {
    var r = start
    while r < end {
        let c = b[r]
        if c == UInt8(ascii: "\\") || c >= 0x80 { break }
        r += 1
    }
    if r == end { return String(decoding: b[start..<end], as: UTF8.self) }

    var out: [UInt8] = []
    out.reserveCapacity(end - start + 8)
    out.append(contentsOf: b[start..<r])
    while r < end {
        let c = b[r]
        if c == UInt8(ascii: "\\") {
            guard r + 1 < end else { break }
            let e = b[r + 1]
            switch e {
            case UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                out.append(controlEscapes[Int(e)])
                r += 2
            case UInt8(ascii: "u"):
                guard let first = hex4(b, r, end) else {
                    // Unreachable after validation.
                    r += 2
                    continue
                }
                r += 6
                var scalar = first
                if first >= 0xD800 && first < 0xE000 {
                    if first < 0xDC00, let second = hex4(b, r, end), second >= 0xDC00, second < 0xE000 {
                        scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                        r += 6
                    } else {
                        scalar = 0xFFFD
                    }
                }
                appendUTF8(&out, scalar)
            default:
                // `\"`, `\\`, `\/` stand for themselves.
                out.append(e)
                r += 2
            }
        } else if c < 0x80 {
            out.append(c)
            r += 1
        } else {
            let size = validUTF8SequenceLength(b, r, end)
            if size == 0 {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                r += 1
            } else {
                out.append(contentsOf: b[r..<(r + size)])
                r += size
            }
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// The bytes `\b`, `\f`, `\n`, `\r` and `\t` stand for, by the escape's letter.
private let controlEscapes: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 128)
    for (letter, byte) in [("b", 0x08), ("f", 0x0C), ("n", 0x0A), ("r", 0x0D), ("t", 0x09)] as [(Character, UInt8)] {
        table[Int(letter.asciiValue ?? 0)] = byte
    }
    return table
}()

/// The value of `\uXXXX` at `i`, or nil (Go's `getu4`).
private func hex4(_ b: [UInt8], _ i: Int, _ end: Int) -> UInt32? {
    guard i + 6 <= end, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else { return nil }
    var v: UInt32 = 0
    for k in (i + 2)..<(i + 6) {
        let c = b[k]
        let d: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
        default: return nil
        }
        v = v << 4 | UInt32(d)
    }
    return v
}

/// Length of the well-formed UTF-8 sequence starting at `i` (lead byte >= 0x80),
/// or 0 where Go's `utf8.DecodeRune` would answer `(RuneError, 1)`.
func validUTF8SequenceLength(_ b: [UInt8], _ i: Int, _ end: Int) -> Int {
    let c0 = b[i]
    let n: Int
    var lo: UInt8 = 0x80
    var hi: UInt8 = 0xBF
    switch c0 {
    case 0xC2...0xDF: n = 2
    case 0xE0:
        n = 3
        lo = 0xA0
    case 0xE1...0xEC, 0xEE, 0xEF: n = 3
    case 0xED:
        n = 3
        hi = 0x9F
    case 0xF0:
        n = 4
        lo = 0x90
    case 0xF1...0xF3: n = 4
    case 0xF4:
        n = 4
        hi = 0x8F
    default: return 0
    }
    guard i + n <= end else { return 0 }
    let c1 = b[i + 1]
    guard c1 >= lo && c1 <= hi else { return 0 }
    for k in 2..<n where b[i + k] < 0x80 || b[i + k] > 0xBF {
        return 0
    }
    return n
}

func appendUTF8(_ out: inout [UInt8], _ v: UInt32) {
    switch v {
    case 0..<0x80:
        out.append(UInt8(v))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (v >> 6)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (v >> 12)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (v >> 18)))
        out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    }
}
