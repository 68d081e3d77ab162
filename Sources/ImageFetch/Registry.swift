import GoCompat
import GoJSON
import ImageKit
import LinuxSystem
import OCIImage
import RktConfig
import Synchronization

extension BasicCredentials {
    /// The `Authorization` value of HTTP basic authentication.
    var basicAuthorization: String { "Basic " + Base64.encode(Array((user + ":" + password).utf8)) }
}

/// One `WWW-Authenticate` challenge (RFC 7235): a scheme and its parameters.
struct AuthChallenge: Equatable {
    var scheme: String
    var parameters: [String: String]

    /// Parses `Bearer realm="https://auth",service="registry",scope="repository:a:pull"`
    /// (quoted values may hold commas and escaped quotes); nil for an empty header.
    init?(_ header: String) {
        let text = Array(header.utf8)
        var i = 0
        func skipSpaces() { while i < text.count, text[i] == 0x20 || text[i] == 0x09 { i += 1 } }
        skipSpaces()
        let start = i
        while i < text.count, text[i] != 0x20, text[i] != 0x09 { i += 1 }
        guard i > start else { return nil }
        scheme = String(decoding: text[start..<i], as: UTF8.self).lowercased()
        parameters = [:]
        while i < text.count {
            skipSpaces()
            while i < text.count, text[i] == UInt8(ascii: ",") || text[i] == 0x20 { i += 1 }
            let keyStart = i
            while i < text.count, text[i] != UInt8(ascii: "="), text[i] != UInt8(ascii: ",") { i += 1 }
            let key = String(decoding: text[keyStart..<i], as: UTF8.self).trimmingCharacters(in: " \t").lowercased()
            guard i < text.count, text[i] == UInt8(ascii: "=") else { continue }
            i += 1
            var value: [UInt8] = []
            if i < text.count, text[i] == UInt8(ascii: "\"") {
                i += 1
                while i < text.count, text[i] != UInt8(ascii: "\"") {
                    if text[i] == UInt8(ascii: "\\"), i + 1 < text.count { i += 1 }
                    value.append(text[i])
                    i += 1
                }
                i += 1
            } else {
                while i < text.count, text[i] != UInt8(ascii: ",") {
                    value.append(text[i])
                    i += 1
                }
            }
            if !key.isEmpty { parameters[key] = String(decoding: value, as: UTF8.self).trimmingCharacters(in: " \t") }
        }
    }
}

/// The Docker Registry HTTP API v2 (the OCI distribution spec) for one repository: the
/// API check, token and basic authentication, manifests and blobs, every byte checked
/// against its digest as it arrives.
final class RegistryClient: @unchecked Sendable {
    let reference: DockerReference
    private let http: HTTPClient
    private let credentials: BasicCredentials?
    private let allowHTTP: Bool
    /// `https://HOST` or, with `--insecure-options=http` when HTTPS fails, `http://HOST`.
    private var base = ""
    /// The `Authorization` value requests carry once authenticated (layers download on
    /// several threads).
    private let authorization = Mutex<String?>(nil)

    init(_ reference: DockerReference, insecureTLS: Bool, allowHTTP: Bool, credentials: BasicCredentials?) {
        self.reference = reference
        self.credentials = credentials
        self.allowHTTP = allowHTTP
        http = HTTPClient(insecureTLS: insecureTLS, allowHTTP: allowHTTP)
    }

    /// docker2aci's check of API v2 (`GET /v2/`), over HTTPS, then plain HTTP when that
    /// is allowed and HTTPS failed; a 401 there is answered at once.
    func connect() throws(FetchError) {
        var failure: FetchError?
        for scheme in allowHTTP ? ["https", "http"] : ["https"] {
            do throws(FetchError) {
                base = scheme + "://" + reference.registry
                let response = try http.get(base + "/v2/", limit: 1 << 20) { _ throws(FetchError) in }
                if response.status == 401 { try authenticate(response) }
                guard response.status == 200 || response.status == 401 else {
                    throw FetchError("Unexpected HTTP code: \(response.status), URL: \(base)/v2/")
                }
                return
            } catch {
                failure = failure ?? error
            }
        }
        throw failure ?? FetchError("cannot reach \(reference.registry)")
    }

    /// `GET /v2/REPOSITORY/manifests/REFERENCE`: the bytes, the type the registry gave, and
    /// their digest (which must be the reference's, when it is one).
    func manifest(_ ref: String) throws(FetchError) -> FetchedDocument {
        let url = "\(base)/v2/\(reference.repository)/manifests/\(ref)"
        let body = ByteBox()
        let response = try get(url, accept: OCIMediaType.manifestAccept, limit: Int64(OCIManifestDocument.sizeLimit), limitName: "manifest") { chunk in
            body.bytes.append(contentsOf: chunk)
        }
        guard response.status == 200 else { throw FetchError("Unexpected HTTP code: \(response.status), URL: \(url)") }
        let digest = OCIDigest(sha256Of: body.bytes)
        if let pinned = try? OCIDigest(parsing: ref), pinned != digest {
            throw FetchError("manifest \(ref): digest mismatch: expected \(pinned), got \(digest)")
        }
        let type = (response.headers["content-type"] ?? "").split(separator: ";").first.map { String($0).trimmingCharacters(in: " ") } ?? ""
        return FetchedDocument(bytes: body.bytes, mediaType: type, digest: digest)
    }

    /// A small blob (a config) in memory, checked against its digest and size.
    func smallBlob(_ descriptor: OCIDescriptor, limit: Int) throws(FetchError) -> [UInt8] {
        guard descriptor.size <= Int64(limit) else {
            throw FetchError("blob \(descriptor.digest) is \(descriptor.size) bytes, more than \(limit >> 20) MiB")
        }
        let body = ByteBox()
        let hasher = ContentHasher(.sha256)
        try blob(descriptor) { chunk in
            hasher.update(chunk)
            body.bytes.append(contentsOf: chunk)
        }
        try check(descriptor, OCIDigest(sha256: hasher.finalize()), size: Int64(body.bytes.count))
        return body.bytes
    }

    /// A blob streamed into `file` as it arrives; the file is finished only once the
    /// blob's digest and size are checked, and failed otherwise. `cancelled` stops it.
    func blob(
        _ descriptor: OCIDescriptor, into file: GrowingFile, cancelled: @escaping () -> Bool, progress: ((Int64) -> Void)?
    ) throws(FetchError) {
        let hasher = ContentHasher(.sha256)
        var written: Int64 = 0
        do throws(FetchError) {
            try blob(descriptor) { (chunk: UnsafeRawBufferPointer) throws(FetchError) in
                if cancelled() { throw FetchError("cancelled") }
                hasher.update(chunk)
                try FetchError.wrapping { () throws(SystemError) in try file.append(chunk) }
                written += Int64(chunk.count)
                progress?(written)
            }
            try check(descriptor, OCIDigest(sha256: hasher.finalize()), size: written)
            try FetchError.wrapping { () throws(SystemError) in try file.finish() }
        } catch {
            file.fail(error.message)
            throw error
        }
    }

    private func blob(_ descriptor: OCIDescriptor, sink: @escaping (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) {
        guard descriptor.digest.isVerifiable else { throw FetchError("blob \(descriptor.digest): unsupported digest algorithm") }
        let url = "\(base)/v2/\(reference.repository)/blobs/\(descriptor.digest)"
        // A blob larger than its descriptor says is cut off as it streams.
        let response = try get(url, accept: [], limit: descriptor.size, limitName: "the size its descriptor gives", sink: sink)
        guard response.status == 200 else { throw FetchError("Unexpected HTTP code: \(response.status), URL: \(url)") }
    }

    private func check(_ descriptor: OCIDescriptor, _ actual: OCIDigest, size: Int64) throws(FetchError) {
        guard size == descriptor.size else {
            throw FetchError("blob \(descriptor.digest): \(size) bytes received, \(descriptor.size) expected (truncated)")
        }
        guard actual == descriptor.digest else {
            throw FetchError("blob \(descriptor.digest): digest mismatch: expected \(descriptor.digest), got \(actual)")
        }
    }

    /// A GET with the current credentials; a 401 is answered once (a token fetched, or
    /// basic credentials sent) and the request made again.
    private func get(
        _ url: String, accept: [String], limit: Int64, limitName: String,
        sink: @escaping (UnsafeRawBufferPointer) throws(FetchError) -> Void
    ) throws(FetchError) -> HTTPResponse {
        var response = try send(url, accept: accept, limit: limit, limitName: limitName, sink: sink)
        if response.status == 401 {
            try authenticate(response)
            response = try send(url, accept: accept, limit: limit, limitName: limitName, sink: sink)
            if response.status == 401 {
                throw FetchError("unauthorized: \(reference.registry) refused the credentials for \(reference.repository) (rkt's auth.d dockerAuth)")
            }
        }
        return response
    }

    private func send(
        _ url: String, accept: [String], limit: Int64, limitName: String,
        sink: @escaping (UnsafeRawBufferPointer) throws(FetchError) -> Void
    ) throws(FetchError) -> HTTPResponse {
        var client = http
        if !accept.isEmpty { client.headers.append("Accept: " + accept.joined(separator: ", ")) }
        if let authorization = authorization.withLock({ $0 }) { client.headers.append("Authorization: " + authorization) }
        return try client.get(url, limit: limit, limitName: limitName, sink: sink)
    }

    /// Answers a 401's challenge: a Bearer token from the realm (with basic credentials
    /// if configured), or the basic credentials themselves.
    private func authenticate(_ response: HTTPResponse) throws(FetchError) {
        guard let header = response.headers["www-authenticate"], let challenge = AuthChallenge(header) else {
            throw FetchError("unauthorized: \(reference.registry) asks for credentials without saying how")
        }
        switch challenge.scheme {
        case "basic":
            guard let credentials else {
                throw FetchError("unauthorized: \(reference.registry) needs credentials: add a dockerAuth entry for it in rkt's auth.d")
            }
            authorization.withLock { $0 = credentials.basicAuthorization }
        case "bearer":
            guard let realm = challenge.parameters["realm"], !realm.isEmpty else {
                throw FetchError("missing realm in bearer auth challenge")
            }
            let scope = challenge.parameters["scope"] ?? "repository:\(reference.repository):pull"
            var query: [String] = []
            if let service = challenge.parameters["service"] { query.append("service=" + RegistryClient.escape(service)) }
            query.append("scope=" + RegistryClient.escape(scope))
            let url = realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&")
            var client = http
            client.allowHTTP = allowHTTP || url.hasPrefix("https://")
            if let credentials { client.headers.append("Authorization: " + credentials.basicAuthorization) }
            let body = ByteBox()
            let answer = try client.get(url, limit: 1 << 20, limitName: "token") { chunk in body.bytes.append(contentsOf: chunk) }
            switch answer.status {
            case 200: break
            case 401: throw FetchError("unable to retrieve auth token: 401 unauthorized")
            default: throw FetchError("Unexpected HTTP code: \(answer.status), URL: \(url)")
            }
            guard let document = try? GoJSON.parse(body.bytes).root,
                let token = document["token"]?.string ?? document["access_token"]?.string, !token.isEmpty
            else {
                throw FetchError("unable to retrieve auth token: no token in the answer of \(realm)")
            }
            authorization.withLock { $0 = "Bearer " + token }
        default:
            throw FetchError("unauthorized: \(reference.registry) asks for \(challenge.scheme) authentication, which is not supported")
        }
    }

    /// Percent-encoding of a query value (RFC 3986 unreserved characters kept).
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (byte < 16 ? "0" : "") + hex
            }
        }
        return out
    }
}
