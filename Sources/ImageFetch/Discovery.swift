import AppcSchema
import GoCompat
import GoJSON
import ImageKit

/// An image name with labels, as appc discovery sees it (`discovery.App`).
public struct AppName: Sendable, Equatable, CustomStringConvertible {
    /// The image name.
    public var name: String
    /// The labels (`version`, `os`, `arch`, ...), by name.
    public var labels: [String: String]

    /// A name and labels, the name validated as an AC Identifier.
    public init(name: String, labels: [String: String] = [:]) throws(FetchError) {
        do {
            _ = try ACIdentifier(name)
        } catch {
            throw FetchError(error.message)
        }
        self.name = name
        self.labels = labels
    }

    /// Go's `discovery.NewAppFromString`: `name[:version][,label=value...]` (every `:`
    /// becomes `,version=`).
    public init(parsing text: String) throws(FetchError) {
        let full = "name=" + text.replacingAll(":", with: ",version=")
        var values: [String: [String]] = [:]
        var order: [String] = []
        for part in full.split(separator: ",", omittingEmptySubsequences: false) {
            guard let eq = part.firstIndex(of: "=") else {
                throw FetchError("malformed app string - has a label without a value: \(part)")
            }
            let key = String(part[..<eq])
            let value = String(part[part.index(after: eq)...])
            if values[key] == nil { order.append(key) }
            values[key, default: []].append(value)
        }
        var name = ""
        var labels: [String: String] = [:]
        for key in order {
            let list = values[key] ?? []
            if list.count > 1 {
                throw FetchError("label \(key) with multiple values [\(list.map(goQuote).joined(separator: " "))]")
            }
            if key == "name" {
                name = list.first ?? ""
                continue
            }
            do {
                _ = try ACIdentifier(key)
            } catch {
                throw FetchError(error.message)
            }
            labels[key] = list.first ?? ""
        }
        try self.init(name: name, labels: labels)
    }

    /// `name,label=value,...` with labels sorted by name.
    public var description: String {
        name + labels.keys.sorted().map { ",\($0)=\(labels[$0] ?? "")" }.joined()
    }

    /// The labels as appc `Label`s, sorted by name.
    public var labelList: [Label] {
        labels.keys.sorted().compactMap { key in try? Label(name: key, value: labels[key] ?? "") }
    }
}

extension String {
    /// Every occurrence of `target` replaced, left to right, in one pass over the bytes.
    func replacingAll(_ target: String, with replacement: String) -> String {
        let pattern = Array(target.utf8)
        guard !pattern.isEmpty else { return self }
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == pattern[0], i + pattern.count <= bytes.count, bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.append(contentsOf: replacement.utf8)
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One discovered download location: the image and its signature.
public struct ACIEndpoint: Sendable, Equatable {
    /// The ACI's URL.
    public var aci: String
    /// The signature's URL.
    public var asc: String

    /// An endpoint.
    public init(aci: String, asc: String) {
        self.aci = aci
        self.asc = asc
    }
}

/// A discovery attempt that failed, for `--debug` output and `actool discover`.
public struct FailedAttempt: Sendable, Equatable {
    /// The name prefix that was tried.
    public var prefix: String
    /// Go's error text.
    public var error: String

    /// An attempt.
    public init(prefix: String, error: String) {
        self.prefix = prefix
        self.error = error
    }
}

/// How discovery may talk to servers (appc's `InsecureOption`).
public struct DiscoveryTransport: Sendable {
    /// Fall back to plain HTTP when HTTPS fails.
    public var allowHTTP: Bool
    /// Accept any certificate.
    public var insecureTLS: Bool
    /// Connect to this port instead of the scheme's default.
    public var port: UInt?
    /// `Authorization` values by host, sent with discovery requests (rkt's `auth.d`).
    public var authorization: [String: String] = [:]

    /// A transport policy; the defaults are HTTPS only, verified, default port.
    public init(allowHTTP: Bool = false, insecureTLS: Bool = false, port: UInt? = nil) {
        self.allowHTTP = allowHTTP
        self.insecureTLS = insecureTLS
        self.port = port
    }
}

/// appc meta discovery (`github.com/appc/spec/discovery`): fetch
/// `https://PREFIX?ac-discovery=1` for each prefix of the name, longest first, and read its
/// `<meta name="ac-discovery" content="PREFIX TEMPLATE">` and
/// `<meta name="ac-discovery-pubkeys" content="PREFIX URL">` tags.
public enum Discovery {
    struct Data {
        var endpoints: [ACIEndpoint] = []
        var publicKeys: [String] = []
    }

    /// `DiscoverACIEndpoints`: the endpoints of the first (longest) prefix that has any,
    /// and the attempts that failed on the way. Throws `discovery failed` when none has.
    public static func aciEndpoints(_ app: AppName, transport: DiscoveryTransport) throws(FetchError)
        -> (endpoints: [ACIEndpoint], attempts: [FailedAttempt])
    {
        let (data, attempts) = walk(app, transport: transport) { !$0.endpoints.isEmpty }
        guard let data else { throw FetchError("discovery failed") }
        return (data.endpoints, attempts)
    }

    /// `aciEndpoints` that also reports the failed attempts when all failed.
    static func aciEndpointsAndAttempts(_ app: AppName, transport: DiscoveryTransport) -> ([ACIEndpoint]?, [FailedAttempt]) {
        let (data, attempts) = walk(app, transport: transport) { !$0.endpoints.isEmpty }
        return (data?.endpoints, attempts)
    }

    /// `publicKeys` that also reports the failed attempts when all failed.
    static func publicKeysAndAttempts(_ app: AppName, transport: DiscoveryTransport) -> ([String]?, [FailedAttempt]) {
        let (data, attempts) = walk(app, transport: transport) { !$0.publicKeys.isEmpty }
        return (data?.publicKeys, attempts)
    }

    /// `DiscoverPublicKeys`: the key URLs of the first prefix that lists any.
    public static func publicKeys(_ app: AppName, transport: DiscoveryTransport) throws(FetchError)
        -> (keys: [String], attempts: [FailedAttempt])
    {
        let (data, attempts) = walk(app, transport: transport) { !$0.publicKeys.isEmpty }
        guard let data else { throw FetchError("discovery failed") }
        return (data.publicKeys, attempts)
    }

    /// `DiscoverWalk`: tries `a/b/c`, `a/b`, `a` until `enough` says so.
    static func walk(_ app: AppName, transport: DiscoveryTransport, enough: (Data) -> Bool)
        -> (Data?, [FailedAttempt])
    {
        var attempts: [FailedAttempt] = []
        let parts = app.name.split(separator: "/", omittingEmptySubsequences: false)
        for end in stride(from: parts.count, to: 0, by: -1) {
            let prefix = parts[0..<end].joined(separator: "/")
            do {
                let data = try discover(prefix: prefix, app: app, transport: transport)
                if enough(data) { return (data, attempts) }
            } catch {
                attempts.append(FailedAttempt(prefix: prefix, error: error.message))
            }
        }
        return (nil, attempts)
    }

    /// `doDiscover` for one prefix.
    static func discover(prefix: String, app: AppName, transport: DiscoveryTransport) throws(FetchError) -> Data {
        var labels = app.labels
        if (labels["version"] ?? "").isEmpty { labels["version"] = "latest" }
        let body = try fetchDocument(prefix, transport: transport)
        var variables: [(String, String)] = [("{name}", app.name)]
        for key in labels.keys.sorted() { variables.append(("{\(key)}", labels[key] ?? "")) }
        var data = Data()
        for meta in metaTags(body) where app.name.hasPrefix(meta.prefix) {
            switch meta.name {
            case "ac-discovery":
                let (uri, _) = render(meta.uri, variables)
                let (asc, ascOK) = render(uri, [("{ext}", "aci.asc")])
                guard ascOK else { continue }
                let (aci, aciOK) = render(uri, [("{ext}", "aci")])
                guard aciOK else { continue }
                data.endpoints.append(ACIEndpoint(aci: aci, asc: asc))
            case "ac-discovery-pubkeys":
                data.publicKeys.append(meta.uri)
            default:
                break
            }
        }
        return data
    }

    /// `httpsOrHTTP`: GET `https://PREFIX?ac-discovery=1` (with the port override), then
    /// plain HTTP when allowed and HTTPS failed or did not answer 200.
    static func fetchDocument(_ prefix: String, transport: DiscoveryTransport) throws(FetchError) -> [UInt8] {
        func url(_ scheme: String) -> String {
            var host = prefix
            var path = ""
            if let slash = prefix.firstIndex(of: "/") {
                host = String(prefix[..<slash])
                path = String(prefix[slash...])
            }
            if let port = transport.port, port != 0 { host += ":\(port)" }
            return scheme + "://" + host + path + "?ac-discovery=1"
        }
        let client = HTTPClient(
            insecureTLS: transport.insecureTLS, allowHTTP: transport.allowHTTP, authorization: transport.authorization, authorizeHTTP: true)
        var result: Result<[UInt8], FetchError> = attempt(client, url("https"))
        if case .failure = result, transport.allowHTTP {
            result = attempt(client, url("http"))
        }
        switch result {
        case let .success(body): return body
        case let .failure(error): throw error
        }
    }

    private static func attempt(_ client: HTTPClient, _ url: String) -> Result<[UInt8], FetchError> {
        let body = ByteBox()
        do {
            let response = try client.get(url, limit: 10 << 20) { chunk in body.bytes.append(contentsOf: chunk) }
            guard response.status == 200 else { return .failure(FetchError("expected a 200 OK got \(response.status)")) }
            return .success(body.bytes)
        } catch {
            return .failure(error)
        }
    }

    /// Go's `renderTemplate`: substitutes each `{key}`, then reports whether no `{...}` is left.
    static func render(_ template: String, _ variables: [(String, String)]) -> (String, Bool) {
        var text = template
        for (key, value) in variables { text = text.replacingAll(key, with: value) }
        var open = false
        for c in text {
            if c == "{" { open = true } else if c == "}" && open { return (text, false) }
        }
        return (text, true)
    }

    struct Meta: Equatable {
        var name: String
        var prefix: String
        var uri: String
    }

    /// The `<meta>` tags named `ac-*` with a `content` of `PREFIX URI` (Go's `extractACMeta`).
    static func metaTags(_ body: [UInt8]) -> [Meta] {
        var result: [Meta] = []
        for attributes in HTMLScanner.metaAttributes(body) {
            var name = ""
            var prefix = ""
            var uri = ""
            for (key, value) in attributes {
                switch key {
                case "name": name = value
                case "content":
                    let trimmed = value.trimmingCharacters(in: " \t\n\r\u{0B}\u{0C}")
                    guard let space = trimmed.firstIndex(of: " ") else { break }
                    prefix = String(trimmed[..<space])
                    uri = trimmed[trimmed.index(after: space)...].trimmingCharacters(in: " \t\n\r\u{0B}\u{0C}")
                default: break
                }
            }
            if name.hasPrefix("ac-") && !prefix.isEmpty && !uri.isEmpty {
                result.append(Meta(name: name, prefix: prefix, uri: uri))
            }
        }
        return result
    }
}

/// Just enough of an HTML tokenizer to find `<meta ...>` start tags and their attributes
/// (names lower-cased, values entity-decoded), skipping comments.
enum HTMLScanner {
    static func metaAttributes(_ body: [UInt8]) -> [[(String, String)]] {
        let b = body
        var out: [[(String, String)]] = []
        var i = 0
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0c || c == 0x0d }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }
        while i < b.count {
            guard b[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            if b[i...].starts(with: Array("<!--".utf8)) {
                var j = i + 4
                while j < b.count && !b[j...].starts(with: Array("-->".utf8)) { j += 1 }
                i = j + 3
                continue
            }
            i += 1
            guard i < b.count, isLetter(b[i]) else { continue }
            var nameEnd = i
            while nameEnd < b.count, !isSpace(b[nameEnd]), b[nameEnd] != UInt8(ascii: ">"), b[nameEnd] != UInt8(ascii: "/") {
                nameEnd += 1
            }
            let tag = String(decoding: b[i..<nameEnd], as: UTF8.self).lowercased()
            i = nameEnd
            var attributes: [(String, String)] = []
            // Attributes up to '>'.
            while i < b.count && b[i] != UInt8(ascii: ">") {
                if isSpace(b[i]) || b[i] == UInt8(ascii: "/") {
                    i += 1
                    continue
                }
                var keyEnd = i
                while keyEnd < b.count, !isSpace(b[keyEnd]), b[keyEnd] != UInt8(ascii: "="), b[keyEnd] != UInt8(ascii: ">"),
                    !(b[keyEnd] == UInt8(ascii: "/") && keyEnd + 1 < b.count && b[keyEnd + 1] == UInt8(ascii: ">"))
                {
                    keyEnd += 1
                }
                let key = String(decoding: b[i..<keyEnd], as: UTF8.self).lowercased()
                i = keyEnd
                while i < b.count && isSpace(b[i]) { i += 1 }
                var value = ""
                if i < b.count && b[i] == UInt8(ascii: "=") {
                    i += 1
                    while i < b.count && isSpace(b[i]) { i += 1 }
                    if i < b.count && (b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'")) {
                        let quote = b[i]
                        var end = i + 1
                        while end < b.count && b[end] != quote { end += 1 }
                        value = String(decoding: b[(i + 1)..<min(end, b.count)], as: UTF8.self)
                        i = min(end + 1, b.count)
                    } else {
                        var end = i
                        while end < b.count && !isSpace(b[end]) && b[end] != UInt8(ascii: ">") { end += 1 }
                        value = String(decoding: b[i..<end], as: UTF8.self)
                        i = end
                    }
                }
                if !key.isEmpty { attributes.append((key, unescape(value))) }
            }
            i += 1
            if tag == "meta" { out.append(attributes) }
            if tag == "script" || tag == "style" {
                // Raw text up to the closing tag.
                let close = Array("</\(tag)".utf8)
                while i < b.count && !b[i...].lazy.map({ $0 | 0x20 }).starts(with: close.map { $0 | 0x20 }) { i += 1 }
            }
        }
        return out
    }

    /// The common character references, decoded in one pass over the bytes (an entity is
    /// short: its `;` is looked for in the next 11 bytes only, so a page full of bare `&`
    /// costs what any page of its size does).
    static func unescape(_ text: String) -> String {
        let amp = UInt8(ascii: "&"), semicolon = UInt8(ascii: ";")
        let bytes = Array(text.utf8)
        guard bytes.contains(amp) else { return text }
        let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "#39": "'", "nbsp": "\u{A0}"]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == amp else {
                out.append(bytes[i])
                i += 1
                continue
            }
            if let semi = bytes[(i + 1)..<min(bytes.count, i + 12)].firstIndex(of: semicolon) {
                let entity = String(decoding: bytes[(i + 1)..<semi], as: UTF8.self)
                if let value = named[entity] {
                    out.append(contentsOf: value.utf8)
                    i = semi + 1
                    continue
                }
                if entity.hasPrefix("#") {
                    let digits = entity.dropFirst()
                    let code = digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
                    if let code, let scalar = Unicode.Scalar(code) {
                        out.append(contentsOf: String(Character(scalar)).utf8)
                        i = semi + 1
                        continue
                    }
                }
            }
            out.append(amp)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// What `actool discover NAME` found (appc-spec.md §8.6).
public struct DiscoveryResult: Sendable, Equatable {
    /// Prefixes whose endpoint discovery failed before one succeeded.
    public var endpointAttempts: [FailedAttempt]
    /// The ACI endpoints.
    public var aciEndpoints: [ACIEndpoint]
    /// Prefixes whose public-key discovery failed before one succeeded.
    public var publicKeyAttempts: [FailedAttempt]
    /// The public key URLs.
    public var publicKeys: [String]

    /// actool's text output: the `discover ... walk` lines, then `ACI: A, ASC: S` per
    /// endpoint and `PublicKeys: k1,k2`.
    public var text: String {
        var out = ""
        for a in endpointAttempts { out += "discover endpoints walk: prefix: \(a.prefix) error: \(a.error)\n" }
        for a in publicKeyAttempts { out += "discover public keys walk: prefix: \(a.prefix) error: \(a.error)\n" }
        for e in aciEndpoints { out += "ACI: \(e.aci), ASC: \(e.asc)\n" }
        if !publicKeys.isEmpty { out += "PublicKeys: " + publicKeys.joined(separator: ",") + "\n" }
        return out
    }

    /// actool's `--json` output: the walk lines, then Go's `json.MarshalIndent(.., "", "    ")`
    /// of `{ACIEndpoints, PublicKeys}` and a newline.
    public var json: String {
        var out = ""
        for a in endpointAttempts { out += "discover endpoints walk: prefix: \(a.prefix) error: \(a.error)\n" }
        for a in publicKeyAttempts { out += "discover public keys walk: prefix: \(a.prefix) error: \(a.error)\n" }
        let endpoints: JSONValue = .array(
            aciEndpoints.map {
                .object([JSONMember(key: "ACI", value: .string($0.aci)), JSONMember(key: "ASC", value: .string($0.asc))])
            })
        let value: JSONValue = .object([
            JSONMember(key: "ACIEndpoints", value: aciEndpoints.isEmpty ? .null : endpoints),
            JSONMember(key: "PublicKeys", value: publicKeys.isEmpty ? .null : .array(publicKeys.map { .string($0) })),
        ])
        let bytes = GoJSON.indent(GoJSON.encodeCompact(value), indent: "    ")
        return out + String(decoding: bytes, as: UTF8.self) + "\n"
    }
}

/// Discovery for `actool discover [--insecure] [--port=N] NAME`: parses NAME
/// (`name[:version][,label=value]`, `os`/`arch` defaulting to Go's `linux`/`amd64`),
/// discovers the ACI endpoints, then the public keys. Errors carry actool's message:
/// `error fetching endpoints for NAME: discovery failed` or
/// `error fetching public keys for NAME: discovery failed` (the endpoint attempts found so
/// far are in `partial` then), or `NAME: <parse error>`.
public func discover(name: String, insecure: Bool, port: UInt?) throws(DiscoverError) -> DiscoveryResult {
    var app: AppName
    do {
        app = try AppName(parsing: name)
    } catch {
        throw DiscoverError(message: "\(name): \(error.message)", partial: nil)
    }
    if (app.labels["os"] ?? "").isEmpty { app.labels["os"] = "linux" }
    if (app.labels["arch"] ?? "").isEmpty { app.labels["arch"] = OSArch.hostGoArch }
    let transport = DiscoveryTransport(allowHTTP: insecure, insecureTLS: insecure, port: port)
    var result = DiscoveryResult(endpointAttempts: [], aciEndpoints: [], publicKeyAttempts: [], publicKeys: [])
    do {
        (result.aciEndpoints, result.endpointAttempts) = try Discovery.aciEndpoints(app, transport: transport)
    } catch {
        throw DiscoverError(message: "error fetching endpoints for \(name): \(error.message)", partial: nil)
    }
    do {
        (result.publicKeys, result.publicKeyAttempts) = try Discovery.publicKeys(app, transport: transport)
    } catch {
        throw DiscoverError(message: "error fetching public keys for \(name): \(error.message)", partial: result)
    }
    return result
}

/// A failed `discover`, with actool's stderr text.
public struct DiscoverError: Error, Sendable, Equatable, CustomStringConvertible {
    /// actool's message (printed on stderr; exit status 1).
    public var message: String
    /// When public-key discovery failed: what was found before (actool has already
    /// printed its endpoint walk lines on stdout at that point).
    public var partial: DiscoveryResult?
    /// The message.
    public var description: String { message }
}
