import GoCompat

// Go's `net/url.Parse` acceptance and error texts (Go 1.19), reduced to what
// appc's `types.NewURL` needs: whether it parses, the error, and the scheme.

enum GoURL {
    /// The parsed scheme (lower-cased), or the Go error text.
    static func parseScheme(_ raw: String) -> Result<String, GoMessage> {
        let bytes = Array(raw.utf8)
        var main = bytes[...]
        var fragment: ArraySlice<UInt8>? = nil
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) {
            main = bytes[..<hash]
            fragment = bytes[(hash + 1)...]
        }
        let mainText = String(decoding: main, as: UTF8.self)
        let scheme: String
        switch parse(Array(main)) {
        case .failure(let reason):
            return .failure(GoMessage("parse \(goQuote(mainText)): \(reason.text)"))
        case .success(let s):
            scheme = s
        }
        if let fragment, !fragment.isEmpty, let reason = unescapeError(Array(fragment), mode: .fragment) {
            return .failure(GoMessage("parse \(goQuote(raw)): \(reason)"))
        }
        return .success(scheme)
    }

    private enum Mode { case host, zone, path, userPassword, fragment }

    private static func parse(_ url: [UInt8]) -> Result<String, GoMessage> {
        if url.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return .failure(GoMessage("net/url: invalid control character in URL"))
        }
        if url == Array("*".utf8) { return .success("") }

        // getScheme
        var scheme: [UInt8] = []
        var rest = url[...]
        loop: for (i, c) in url.enumerated() {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                if i == 0 { break loop }
            case UInt8(ascii: ":"):
                if i == 0 { return .failure(GoMessage("missing protocol scheme")) }
                scheme = Array(url[..<i])
                rest = url[(i + 1)...]
                break loop
            default:
                break loop
            }
        }
        let schemeText = String(decoding: scheme, as: UTF8.self).lowercased()

        // Query.
        let questionMarks = rest.filter { $0 == UInt8(ascii: "?") }.count
        if rest.last == UInt8(ascii: "?") && questionMarks == 1 {
            rest = rest.dropLast()
        } else if let q = rest.firstIndex(of: UInt8(ascii: "?")) {
            rest = rest[..<q]
        }

        let slash = UInt8(ascii: "/")
        if rest.first != slash {
            if !schemeText.isEmpty {
                return .success(schemeText)  // opaque
            }
            let segment = rest.prefix { $0 != slash }
            if segment.contains(UInt8(ascii: ":")) {
                return .failure(GoMessage("first path segment in URL cannot contain colon"))
            }
        }

        let startsDouble = rest.count >= 2 && rest[rest.startIndex] == slash && rest[rest.startIndex + 1] == slash
        let startsTriple = startsDouble && rest.count >= 3 && rest[rest.startIndex + 2] == slash
        if (!schemeText.isEmpty || !startsTriple) && startsDouble {
            var authority = rest.dropFirst(2)
            var path = authority[authority.endIndex...]
            if let i = authority.firstIndex(of: slash) {
                path = authority[i...]
                authority = authority[..<i]
            }
            if let reason = authorityError(Array(authority)) { return .failure(GoMessage(reason)) }
            rest = path
        }
        if let reason = unescapeError(Array(rest), mode: .path) { return .failure(GoMessage(reason)) }
        return .success(schemeText)
    }

    private static func authorityError(_ authority: [UInt8]) -> String? {
        let at = authority.lastIndex(of: UInt8(ascii: "@"))
        let host = at.map { Array(authority[($0 + 1)...]) } ?? authority
        if let reason = hostError(host) { return reason }
        guard let at else { return nil }
        let userinfo = Array(authority[..<at])
        let text = String(decoding: userinfo, as: UTF8.self)
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let ok =
                (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39)
                || "-._:~!$&'()*+,;=%@".unicodeScalars.contains(scalar)
            if !ok { return "net/url: invalid userinfo" }
        }
        if let colon = userinfo.firstIndex(of: UInt8(ascii: ":")) {
            if let r = unescapeError(Array(userinfo[..<colon]), mode: .userPassword) { return r }
            return unescapeError(Array(userinfo[(colon + 1)...]), mode: .userPassword)
        }
        return unescapeError(userinfo, mode: .userPassword)
    }

    private static func hostError(_ host: [UInt8]) -> String? {
        if host.first == UInt8(ascii: "[") {
            guard let close = host.lastIndex(of: UInt8(ascii: "]")) else { return "missing ']' in host" }
            let colonPort = Array(host[(close + 1)...])
            if !validOptionalPort(colonPort) {
                return "invalid port \(goQuote(String(decoding: colonPort, as: UTF8.self))) after host"
            }
            let inside = Array(host[..<close])
            if let zone = find(Array("%25".utf8), in: inside) {
                if let r = unescapeError(Array(host[..<zone]), mode: .host) { return r }
                if let r = unescapeError(Array(host[zone..<close]), mode: .zone) { return r }
                return unescapeError(Array(host[close...]), mode: .host)
            }
        } else if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            let colonPort = Array(host[colon...])
            if !validOptionalPort(colonPort) {
                return "invalid port \(goQuote(String(decoding: colonPort, as: UTF8.self))) after host"
            }
        }
        return unescapeError(host, mode: .host)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    private static func validOptionalPort(_ port: [UInt8]) -> Bool {
        if port.isEmpty { return true }
        guard port[0] == UInt8(ascii: ":") else { return false }
        return port.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    private static func unhex(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return 0
        }
    }

    /// Go's `unescape` validation pass: the `EscapeError`/`InvalidHostError` text.
    private static func unescapeError(_ s: [UInt8], mode: Mode) -> String? {
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: "%") {
                if i + 2 >= s.count || !isHex(s[i + 1]) || !isHex(s[i + 2]) {
                    let bad = Array(s[i..<min(s.count, i + 3)])
                    return "invalid URL escape " + goQuote(String(decoding: bad, as: UTF8.self))
                }
                let triple = Array(s[i..<(i + 3)])
                let isPercent25 = triple == Array("%25".utf8)
                if mode == .host && unhex(s[i + 1]) < 8 && !isPercent25 {
                    return "invalid URL escape " + goQuote(String(decoding: triple, as: UTF8.self))
                }
                if mode == .zone {
                    let v = unhex(s[i + 1]) << 4 | unhex(s[i + 2])
                    if !isPercent25 && v != UInt8(ascii: " ") && shouldEscapeHost(v) {
                        return "invalid URL escape " + goQuote(String(decoding: triple, as: UTF8.self))
                    }
                }
                i += 3
            } else {
                if (mode == .host || mode == .zone) && c < 0x80 && shouldEscapeHost(c) {
                    return "invalid character " + goQuote(String(decoding: [c], as: UTF8.self)) + " in host name"
                }
                i += 1
            }
        }
        return nil
    }

    /// Go's `shouldEscape(c, encodeHost)` for ASCII bytes.
    private static func shouldEscapeHost(_ c: UInt8) -> Bool {
        if (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) { return false }
        if "!$&'()*+,;=:[]<>\"-_.~".utf8.contains(c) { return false }
        return true
    }
}
