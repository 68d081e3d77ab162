import GoCompat

// Go's `net.ParseIP` and `net.IP.String` (Go 1.19), for pod `ports[].hostIP`.

/// An IP address as Go's `net.IP` holds it (16 bytes; IPv4 in IPv4-mapped form).
public struct NetIP: Hashable, Sendable, CustomStringConvertible {
    /// The 16 address bytes.
    public let bytes: [UInt8]

    /// Go's `net.ParseIP`; `invalid IP address: TEXT` when it returns nil.
    public init(_ text: String) throws(ManifestError) {
        guard let bytes = NetIP.parse(Array(text.utf8)) else { throw ManifestError("invalid IP address: " + text) }
        self.bytes = bytes
    }

    static func parse(_ s: [UInt8]) -> [UInt8]? {
        for c in s {
            if c == UInt8(ascii: ".") { return parseIPv4(s[...]) }
            if c == UInt8(ascii: ":") { return parseIPv6(s[...]) }
        }
        return nil
    }

    private static let v4Prefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    private static func parseIPv4(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        var s = input
        var octets: [UInt8] = []
        for i in 0..<4 {
            if s.isEmpty { return nil }
            if i > 0 {
                guard s.first == UInt8(ascii: ".") else { return nil }
                s = s.dropFirst()
            }
            var n = 0
            var count = 0
            while let c = s.dropFirst(count).first, c >= 0x30, c <= 0x39 {
                n = n * 10 + Int(c - 0x30)
                count += 1
                if n >= 0xFFFFFF { return nil }
            }
            if count == 0 || n > 0xFF { return nil }
            if count > 1 && s.first == UInt8(ascii: "0") { return nil }
            s = s.dropFirst(count)
            octets.append(UInt8(n))
        }
        guard s.isEmpty else { return nil }
        return v4Prefix + octets
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        default: return nil
        }
    }

    private static func parseIPv6(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        var s = input
        var ip = [UInt8](repeating: 0, count: 16)
        var ellipsis = -1
        if s.count >= 2, s.first == UInt8(ascii: ":"), s.dropFirst().first == UInt8(ascii: ":") {
            ellipsis = 0
            s = s.dropFirst(2)
            if s.isEmpty { return ip }
        }
        var i = 0
        while i < 16 {
            var n = 0
            var count = 0
            while let c = s.dropFirst(count).first, let h = hexValue(c) {
                n = n * 16 + h
                count += 1
                if n >= 0xFFFFFF { return nil }
            }
            if count == 0 || n > 0xFFFF { return nil }
            if s.dropFirst(count).first == UInt8(ascii: ".") {
                if ellipsis < 0 && i != 12 { return nil }
                if i + 4 > 16 { return nil }
                guard let v4 = parseIPv4(s) else { return nil }
                ip[i] = v4[12]
                ip[i + 1] = v4[13]
                ip[i + 2] = v4[14]
                ip[i + 3] = v4[15]
                s = s[s.endIndex...]
                i += 4
                break
            }
            ip[i] = UInt8(n >> 8)
            ip[i + 1] = UInt8(n & 0xFF)
            i += 2
            s = s.dropFirst(count)
            if s.isEmpty { break }
            if s.first != UInt8(ascii: ":") || s.count == 1 { return nil }
            s = s.dropFirst()
            if s.first == UInt8(ascii: ":") {
                if ellipsis >= 0 { return nil }
                ellipsis = i
                s = s.dropFirst()
                if s.isEmpty { break }
            }
        }
        if !s.isEmpty { return nil }
        if i < 16 {
            if ellipsis < 0 { return nil }
            let n = 16 - i
            var j = i - 1
            while j >= ellipsis {
                ip[j + n] = ip[j]
                j -= 1
            }
            var k = ellipsis + n - 1
            while k >= ellipsis {
                ip[k] = 0
                k -= 1
            }
        } else if ellipsis >= 0 {
            return nil
        }
        return ip
    }

    /// Go's `IP.String`.
    public var description: String {
        if Array(bytes[0..<12]) == NetIP.v4Prefix {
            return bytes[12...].map { String($0) }.joined(separator: ".")
        }
        var e0 = -1
        var e1 = -1
        var i = 0
        while i < 16 {
            var j = i
            while j < 16 && bytes[j] == 0 && bytes[j + 1] == 0 { j += 2 }
            if j > i && j - i > e1 - e0 {
                e0 = i
                e1 = j
                i = j
            }
            i += 2
        }
        if e1 - e0 <= 2 {
            e0 = -1
            e1 = -1
        }
        var out = ""
        i = 0
        while i < 16 {
            if i == e0 {
                out += "::"
                i = e1
                if i >= 16 { break }
            } else if i > 0 {
                out += ":"
            }
            let group = UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            out += Strconv.hex(group, width: 1)
            i += 2
        }
        return out
    }
}
