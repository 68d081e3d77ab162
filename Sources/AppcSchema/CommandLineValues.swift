import GoCompat

// The library's parsers for `NAME,key=value,...` command-line values, used by
// `actool patch-manifest --mounts/--ports` (Go's `MountPointFromString`,
// `PortFromString`, built on `common.MakeQueryString` + `url.ParseQuery`).
//
// Go walks the parsed parameters in map order (random), so when several are
// wrong the one reported varies; here they are taken in order of appearance.

enum GoQuery {
    /// `common.MakeQueryString("name=" + value)` then `url.ParseQuery`: the
    /// keys in order of first appearance, with all their values.
    static func parameters(_ value: String) -> Result<[(key: String, values: [String])], GoMessage> {
        let full = "name=" + value
        var pairs: [String] = []
        for part in full.split(separator: ",", omittingEmptySubsequences: false) {
            guard let eq = part.firstIndex(of: "=") else {
                return .failure(GoMessage("malformed string \(goQuote(full)) - has a label without a value: \(part)"))
            }
            pairs.append(String(part[..<eq]) + "=" + queryEscape(String(part[part.index(after: eq)...])))
        }
        let query = pairs.joined(separator: "&")
        switch parseQuery(Array(query.utf8)) {
        case let .success(parsed):
            return .success(parsed.map { (String(decoding: $0.key, as: UTF8.self), $0.values.map { String(decoding: $0, as: UTF8.self) }) })
        case let .failure(error):
            return .failure(GoMessage(String(decoding: error.bytes, as: UTF8.self)))
        }
    }

    /// A Go error text that may hold bytes that are not valid UTF-8.
    struct QueryError: Error {
        let bytes: [UInt8]
    }

    /// Go's `url.ParseQuery` (Go ≥ 1.17) over raw bytes: keys in order of
    /// first appearance with all their (unescaped) values, or the error text
    /// (a semicolon error overrides an earlier escape error, as in Go).
    static func parseQuery(_ query: [UInt8]) -> Result<[(key: [UInt8], values: [[UInt8]])], QueryError> {
        var result: [(key: [UInt8], values: [[UInt8]])] = []
        var failure: QueryError? = nil
        for segment in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            if segment.contains(UInt8(ascii: ";")) {
                failure = QueryError(bytes: Array("invalid semicolon separator in query".utf8))
                continue
            }
            if segment.isEmpty { continue }
            var key = segment
            var value = segment[segment.endIndex...]
            if let eq = segment.firstIndex(of: UInt8(ascii: "=")) {
                key = segment[..<eq]
                value = segment[(eq + 1)...]
            }
            let k: [UInt8]
            let v: [UInt8]
            switch (queryUnescape(key), queryUnescape(value)) {
            case (.success(let a), .success(let b)):
                k = a
                v = b
            case (.failure(let e), _), (_, .failure(let e)):
                if failure == nil { failure = e }
                continue
            }
            if let i = result.firstIndex(where: { $0.key == k }) {
                result[i].values.append(v)
            } else {
                result.append((k, [v]))
            }
        }
        if let failure { return .failure(failure) }
        return .success(result)
    }

    /// Go's `url.QueryUnescape` over raw bytes, or the `EscapeError` text.
    static func queryUnescape(_ s: ArraySlice<UInt8>) -> Result<[UInt8], QueryError> {
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            switch s[i] {
            case UInt8(ascii: "%"):
                guard i + 2 < s.endIndex, let h = hexValue(s[i + 1]), let l = hexValue(s[i + 2]) else {
                    let bad = Array(s[i..<min(s.endIndex, i + 3)])
                    return .failure(QueryError(bytes: Array("invalid URL escape \(Strconv.quote(bytes: bad))".utf8)))
                }
                out.append(h << 4 | l)
                i += 3
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
                i += 1
            default:
                out.append(s[i])
                i += 1
            }
        }
        return .success(out)
    }

    /// Go's `url.QueryEscape`.
    static func queryEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + Strconv.hex(UInt32(b), width: 2).uppercased()
            }
        }
        return out
    }

    /// `label KEY with multiple values ["a" "b"]`.
    static func multipleValuesError(_ key: String, _ values: [String]) -> String {
        "label \(key) with multiple values [" + values.map(goQuote).joined(separator: " ") + "]"
    }

    /// Go's `strconv.ParseBool`.
    static func parseBool(_ s: String) -> Result<Bool, GoMessage> {
        guard let value = Strconv.parseBool(s) else { return .failure(GoMessage(Strconv.syntaxError("ParseBool", s))) }
        return .success(value)
    }

    /// Go's `strconv.ParseUint(s, 10, 16)`.
    static func parseUInt16(_ s: String) -> Result<UInt64, GoMessage> {
        let syntax = GoMessage("strconv.ParseUint: parsing \(goQuote(s)): invalid syntax")
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .failure(syntax) }
        guard let n = DecodeLevel.parseUInt(s), n <= 0xFFFF else {
            return .failure(GoMessage("strconv.ParseUint: parsing \(goQuote(s)): value out of range"))
        }
        return .success(n)
    }
}

extension MountPoint {
    /// Go's `types.MountPointFromString` (`NAME,path=P,readOnly=B`): keys
    /// `name`, `path`, `readOnly`; name and path must end up set.
    public static func parse(commandLine value: String) throws(ManifestError) -> MountPoint {
        let parameters: [(key: String, values: [String])]
        switch GoQuery.parameters(value) {
        case .success(let p): parameters = p
        case .failure(let e): throw ManifestError(e.text)
        }
        var mount = MountPoint.zero
        for (key, values) in parameters {
            if values.count > 1 { throw ManifestError(GoQuery.multipleValuesError(key, values)) }
            let v = values.first ?? ""
            switch key {
            case "name": mount.name = try ACName(v)
            case "path": mount.path = v
            case "readOnly":
                switch GoQuery.parseBool(v) {
                case .success(let b): mount.readOnly = b
                case .failure(let e): throw ManifestError(e.text)
                }
            default:
                throw ManifestError("unknown mountpoint parameter \(goQuote(key))")
            }
        }
        if mount.name.isEmpty { throw ManifestError("name must be set") }
        if mount.path.isEmpty { throw ManifestError("path must be set") }
        return mount
    }
}

extension Port {
    /// Go's `types.PortFromString` (`NAME,protocol=P,port=N,count=N,socketActivated=B`).
    /// The count is left 0 when not given.
    public static func parse(commandLine value: String) throws(ManifestError) -> Port {
        let parameters: [(key: String, values: [String])]
        switch GoQuery.parameters(value) {
        case .success(let p): parameters = p
        case .failure(let e): throw ManifestError(e.text)
        }
        var port = Port.zero
        for (key, values) in parameters {
            if values.count > 1 { throw ManifestError(GoQuery.multipleValuesError(key, values)) }
            let v = values.first ?? ""
            switch key {
            case "name": port.name = try ACName(v)
            case "protocol": port.protocol = v
            case "port", "count":
                switch GoQuery.parseUInt16(v) {
                case .success(let n): if key == "port" { port.port = n } else { port.count = n }
                case .failure(let e): throw ManifestError(e.text)
                }
            case "socketActivated":
                switch GoQuery.parseBool(v) {
                case .success(let b): port.socketActivated = b
                case .failure(let e): throw ManifestError(e.text)
                }
            default:
                throw ManifestError("unknown port parameter \(goQuote(key))")
            }
        }
        if let error = port.validationError { throw ManifestError(error) }
        return port
    }
}
