/// `json.Marshal`-style compact output for a `JSONValue`.
enum CompactEncoder {
    static func encode(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let b):
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let text):
            out.append(contentsOf: text.utf8)
        case .string(let s):
            appendQuoted(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                encode(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendQuoted(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                encode(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .raw(let bytes):
            // An empty RawMessage is what a nil one marshals as.
            if bytes.isEmpty {
                out.append(contentsOf: "null".utf8)
            } else {
                Formatter.compact(bytes[...], into: &out)
            }
        }
    }

    /// Go 1.19 `encodeState.string` with HTML escaping on.
    static func appendQuoted(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var utf8 = s.utf8.makeIterator()
        while let b = utf8.next() {
            if b < 0x80 {
                switch b {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""):
                    out.append(UInt8(ascii: "\\"))
                    out.append(b)
                case 0x0A:
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D:
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09:
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    out.append(lowerHexDigits[Int(b >> 4)])
                    out.append(lowerHexDigits[Int(b & 0xF)])
                default:
                    out.append(b)
                }
            } else if b == 0xE2 {
                // Swift strings are valid UTF-8, so E2 always leads a 3-byte sequence.
                let b1 = utf8.next() ?? 0
                let b2 = utf8.next() ?? 0
                if b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9) {
                    out.append(contentsOf: "\\u202".utf8)
                    out.append(lowerHexDigits[Int(b2 & 0xF)])
                } else {
                    out.append(contentsOf: [b, b1, b2])
                }
            } else {
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
