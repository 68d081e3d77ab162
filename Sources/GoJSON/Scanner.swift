/// A byte-at-a-time JSON state machine with the same transitions, opcodes and
/// error texts as Go's `encoding/json` scanner. Parsing, `compact` and `indent`
/// all drive it so that they accept and reject exactly what Go does.
struct GoScanner {
    /// What a byte meant. The order matters: everything from `skipSpace` on is
    /// "significant" for `compact`, and `end`/`error` stop a value.
    enum Op: UInt8, Comparable {
        case `continue` = 0
        case beginLiteral
        case beginObject
        case objectKey
        case objectValue
        case endObject
        case beginArray
        case arrayValue
        case endArray
        case skipSpace
        case end
        case error

        static func < (lhs: Op, rhs: Op) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    enum State: UInt8 {
        case beginValueOrEmpty, beginValue, beginStringOrEmpty, beginString
        case endValue, endTop
        case inString, inStringEsc, inStringEscU, inStringEscU1, inStringEscU12, inStringEscU123
        case neg, one, zero, dot, dot0, exp, expSign, exp0
        case t, tr, tru, f, fa, fal, fals, n, nu, nul
        case error
    }

    private enum Container: UInt8 {
        case objectKey, objectValue, arrayValue
    }

    static let maxNestingDepth = 10000

    private(set) var state: State = .beginValue
    private(set) var endTop = false
    private var stack: [Container] = []
    private(set) var err: JSONSyntaxError?
    /// Bytes consumed so far; callers keep it current because Go reports it as the offset.
    var bytes = 0

    var depth: Int { stack.count }

    /// Feeds one byte.
    mutating func step(_ c: UInt8) -> Op {
        switch state {
        case .beginValueOrEmpty:
            if isSpace(c) { return .skipSpace }
            if c == UInt8(ascii: "]") { return endValue(c) }
            return beginValue(c)
        case .beginValue:
            return beginValue(c)
        case .beginStringOrEmpty:
            if isSpace(c) { return .skipSpace }
            if c == UInt8(ascii: "}") {
                stack[stack.count - 1] = .objectValue
                return endValue(c)
            }
            return beginString(c)
        case .beginString:
            return beginString(c)
        case .endValue:
            return endValue(c)
        case .endTop:
            return endTopStep(c)
        case .inString:
            if c == UInt8(ascii: "\"") {
                state = .endValue
                return .continue
            }
            if c == UInt8(ascii: "\\") {
                state = .inStringEsc
                return .continue
            }
            if c < 0x20 { return fail(c, "in string literal") }
            return .continue
        case .inStringEsc:
            switch c {
            case UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"),
                UInt8(ascii: "t"), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "\""):
                state = .inString
                return .continue
            case UInt8(ascii: "u"):
                state = .inStringEscU
                return .continue
            default:
                return fail(c, "in string escape code")
            }
        case .inStringEscU, .inStringEscU1, .inStringEscU12, .inStringEscU123:
            guard isHex(c) else { return fail(c, "in \\u hexadecimal character escape") }
            switch state {
            case .inStringEscU: state = .inStringEscU1
            case .inStringEscU1: state = .inStringEscU12
            case .inStringEscU12: state = .inStringEscU123
            default: state = .inString
            }
            return .continue
        case .neg:
            if c == UInt8(ascii: "0") {
                state = .zero
                return .continue
            }
            if c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9") {
                state = .one
                return .continue
            }
            return fail(c, "in numeric literal")
        case .one:
            if isDigit(c) { return .continue }
            return afterIntegerPart(c)
        case .zero:
            return afterIntegerPart(c)
        case .dot:
            if isDigit(c) {
                state = .dot0
                return .continue
            }
            return fail(c, "after decimal point in numeric literal")
        case .dot0:
            if isDigit(c) { return .continue }
            if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                state = .exp
                return .continue
            }
            return endValue(c)
        case .exp:
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                state = .expSign
                return .continue
            }
            return expSign(c)
        case .expSign:
            return expSign(c)
        case .exp0:
            if isDigit(c) { return .continue }
            return endValue(c)
        case .t: return literalByte(c, expect: "r", next: .tr, word: "true")
        case .tr: return literalByte(c, expect: "u", next: .tru, word: "true")
        case .tru: return literalByte(c, expect: "e", next: .endValue, word: "true")
        case .f: return literalByte(c, expect: "a", next: .fa, word: "false")
        case .fa: return literalByte(c, expect: "l", next: .fal, word: "false")
        case .fal: return literalByte(c, expect: "s", next: .fals, word: "false")
        case .fals: return literalByte(c, expect: "e", next: .endValue, word: "false")
        case .n: return literalByte(c, expect: "u", next: .nu, word: "null")
        case .nu: return literalByte(c, expect: "l", next: .nul, word: "null")
        case .nul: return literalByte(c, expect: "l", next: .endValue, word: "null")
        case .error:
            return .error
        }
    }

    /// Signals the end of input. As in Go, a pending literal is terminated by
    /// feeding one space, so `tru` fails on that space rather than on EOF.
    mutating func eof() -> Op {
        if err != nil { return .error }
        if endTop { return .end }
        _ = step(UInt8(ascii: " "))
        if endTop { return .end }
        if err == nil {
            err = JSONSyntaxError(message: "unexpected end of JSON input", offset: bytes)
        }
        return .error
    }

    // MARK: - Shared transitions

    private mutating func beginValue(_ c: UInt8) -> Op {
        if isSpace(c) { return .skipSpace }
        switch c {
        case UInt8(ascii: "{"):
            state = .beginStringOrEmpty
            return push(c, .objectKey, success: .beginObject)
        case UInt8(ascii: "["):
            state = .beginValueOrEmpty
            return push(c, .arrayValue, success: .beginArray)
        case UInt8(ascii: "\""):
            state = .inString
        case UInt8(ascii: "-"):
            state = .neg
        case UInt8(ascii: "0"):
            state = .zero
        case UInt8(ascii: "t"):
            state = .t
        case UInt8(ascii: "f"):
            state = .f
        case UInt8(ascii: "n"):
            state = .n
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            state = .one
        default:
            return fail(c, "looking for beginning of value")
        }
        return .beginLiteral
    }

    private mutating func beginString(_ c: UInt8) -> Op {
        if isSpace(c) { return .skipSpace }
        if c == UInt8(ascii: "\"") {
            state = .inString
            return .beginLiteral
        }
        return fail(c, "looking for beginning of object key string")
    }

    private mutating func endValue(_ c: UInt8) -> Op {
        guard let top = stack.last else {
            state = .endTop
            endTop = true
            return endTopStep(c)
        }
        if isSpace(c) {
            state = .endValue
            return .skipSpace
        }
        switch top {
        case .objectKey:
            if c == UInt8(ascii: ":") {
                stack[stack.count - 1] = .objectValue
                state = .beginValue
                return .objectKey
            }
            return fail(c, "after object key")
        case .objectValue:
            if c == UInt8(ascii: ",") {
                stack[stack.count - 1] = .objectKey
                state = .beginString
                return .objectValue
            }
            if c == UInt8(ascii: "}") {
                pop()
                return .endObject
            }
            return fail(c, "after object key:value pair")
        case .arrayValue:
            if c == UInt8(ascii: ",") {
                state = .beginValue
                return .arrayValue
            }
            if c == UInt8(ascii: "]") {
                pop()
                return .endArray
            }
            return fail(c, "after array element")
        }
    }

    private mutating func endTopStep(_ c: UInt8) -> Op {
        // Go records the error but still answers `end`; the error surfaces on
        // the next byte or at eof.
        if !isSpace(c) { _ = fail(c, "after top-level value") }
        return .end
    }

    private mutating func afterIntegerPart(_ c: UInt8) -> Op {
        if c == UInt8(ascii: ".") {
            state = .dot
            return .continue
        }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            state = .exp
            return .continue
        }
        return endValue(c)
    }

    private mutating func expSign(_ c: UInt8) -> Op {
        if isDigit(c) {
            state = .exp0
            return .continue
        }
        return fail(c, "in exponent of numeric literal")
    }

    private mutating func literalByte(_ c: UInt8, expect: Unicode.Scalar, next: State, word: String) -> Op {
        if c == UInt8(ascii: expect) {
            state = next
            return .continue
        }
        return fail(c, "in literal \(word) (expecting '\(expect)')")
    }

    private mutating func push(_ c: UInt8, _ container: Container, success: Op) -> Op {
        stack.append(container)
        if stack.count <= GoScanner.maxNestingDepth { return success }
        return fail(c, "exceeded max depth")
    }

    private mutating func pop() {
        stack.removeLast()
        if stack.isEmpty {
            state = .endTop
            endTop = true
        } else {
            state = .endValue
        }
    }

    private mutating func fail(_ c: UInt8, _ context: String) -> Op {
        state = .error
        err = JSONSyntaxError(message: "invalid character " + quoteChar(c) + " " + context, offset: bytes)
        return .error
    }
}

@inline(__always)
func isSpace(_ c: UInt8) -> Bool {
    c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D
}

@inline(__always)
private func isDigit(_ c: UInt8) -> Bool {
    c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
}

@inline(__always)
func isHex(_ c: UInt8) -> Bool {
    isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
}

let lowerHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Go's `quoteChar`: the byte taken as a code point (so 0xC3 is `Ã`), quoted the
/// way `strconv.Quote` would, between single quotes.
func quoteChar(_ c: UInt8) -> String {
    switch c {
    case UInt8(ascii: "'"): return "'\\''"
    case UInt8(ascii: "\""): return "'\"'"
    case UInt8(ascii: "\\"): return "'\\\\'"
    case 0x07: return "'\\a'"
    case 0x08: return "'\\b'"
    case 0x09: return "'\\t'"
    case 0x0A: return "'\\n'"
    case 0x0B: return "'\\v'"
    case 0x0C: return "'\\f'"
    case 0x0D: return "'\\r'"
    default:
        break
    }
    func hex2(_ v: UInt8) -> String {
        String(decoding: [lowerHexDigits[Int(v >> 4)], lowerHexDigits[Int(v & 0xF)]], as: UTF8.self)
    }
    if c < 0x20 || c == 0x7F { return "'\\x" + hex2(c) + "'" }
    // Latin-1 controls, NBSP and the soft hyphen are not printable for strconv.
    if (c >= 0x80 && c <= 0xA0) || c == 0xAD { return "'\\u00" + hex2(c) + "'" }
    return "'" + String(Character(Unicode.Scalar(c))) + "'"
}
