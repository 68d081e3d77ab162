import Glibc
import GoCompat
import ImageKit
import ImageStore

// HTTP(S) transfers through libcurl, loaded at run time (`libcurl.so.4`, Debian's
// libcurl4). FoundationNetworking's URLSession wraps the same library, but on Linux it
// cannot be told to accept any certificate (no server-trust challenges, fixed CA
// file), which `--insecure-options=tls` needs; driving libcurl directly also gives a
// blocking transfer that streams straight into a file descriptor.

/// The libcurl entry points this module uses.
private final class LibCurl: @unchecked Sendable {
    typealias EasyInit = @convention(c) () -> OpaquePointer?
    typealias SetLong = @convention(c) (OpaquePointer?, Int32, Int) -> Int32
    typealias SetPointer = @convention(c) (OpaquePointer?, Int32, UnsafeRawPointer?) -> Int32
    typealias Perform = @convention(c) (OpaquePointer?) -> Int32
    typealias GetInfo = @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias Cleanup = @convention(c) (OpaquePointer?) -> Void
    typealias StrError = @convention(c) (Int32) -> UnsafePointer<CChar>?
    typealias SlistAppend = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> OpaquePointer?
    typealias SlistFree = @convention(c) (OpaquePointer?) -> Void
    typealias GlobalInit = @convention(c) (Int) -> Int32

    let easyInit: EasyInit
    // curl_easy_setopt and curl_easy_getinfo are variadic in C; on the Linux ABIs
    // (x86-64 System V, AAPCS64) an integer or pointer third argument is passed the
    // same way to a variadic and a fixed-argument function.
    let setLong: SetLong
    let setPointer: SetPointer
    let perform: Perform
    let getInfo: GetInfo
    let cleanup: Cleanup
    let strerror: StrError
    let slistAppend: SlistAppend
    let slistFree: SlistFree

    static let shared: Result<LibCurl, FetchError> = load()

    private init(_ handle: UnsafeMutableRawPointer) throws(FetchError) {
        func symbol<T>(_ name: String, _ type: T.Type) throws(FetchError) -> T {
            guard let address = dlsym(handle, name) else { throw FetchError("libcurl: missing symbol \(name)") }
            return unsafeBitCast(address, to: type)
        }
        easyInit = try symbol("curl_easy_init", EasyInit.self)
        setLong = try symbol("curl_easy_setopt", SetLong.self)
        setPointer = try symbol("curl_easy_setopt", SetPointer.self)
        perform = try symbol("curl_easy_perform", Perform.self)
        getInfo = try symbol("curl_easy_getinfo", GetInfo.self)
        cleanup = try symbol("curl_easy_cleanup", Cleanup.self)
        strerror = try symbol("curl_easy_strerror", StrError.self)
        slistAppend = try symbol("curl_slist_append", SlistAppend.self)
        slistFree = try symbol("curl_slist_free_all", SlistFree.self)
        let globalInit = try symbol("curl_global_init", GlobalInit.self)
        _ = globalInit(3)  // CURL_GLOBAL_ALL
    }

    private static func load() -> Result<LibCurl, FetchError> {
        for name in ["libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"] {
            if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) {
                do {
                    return .success(try LibCurl(handle))
                } catch {
                    return .failure(error)
                }
            }
        }
        return .failure(FetchError("cannot load libcurl.so.4 (install the Debian package libcurl4)"))
    }
}

// Option and info numbers from curl.h (7.88).
private enum CurlOption {
    static let writeData: Int32 = 10001
    static let url: Int32 = 10002
    static let errorBuffer: Int32 = 10010
    static let writeFunction: Int32 = 20011
    static let userAgent: Int32 = 10018
    static let lowSpeedLimit: Int32 = 19
    static let lowSpeedTime: Int32 = 20
    static let httpHeader: Int32 = 10023
    static let headerData: Int32 = 10029
    static let noProgress: Int32 = 43
    static let bufferSize: Int32 = 98
    static let followLocation: Int32 = 52
    static let xferInfoData: Int32 = 10057
    static let sslVerifyPeer: Int32 = 64
    static let maxRedirs: Int32 = 68
    static let connectTimeout: Int32 = 78
    static let headerFunction: Int32 = 20079
    static let sslVerifyHost: Int32 = 81
    static let noSignal: Int32 = 99
    static let xferInfoFunction: Int32 = 20219
    static let protocols: Int32 = 181
    static let redirectProtocols: Int32 = 182
    static let responseCode: Int32 = 0x200002
}

/// What a finished HTTP transfer told us.
struct HTTPResponse {
    /// The final status code (after redirects).
    var status: Int
    /// The `ETag` header of the final response.
    var etag: String?
    /// The `Cache-Control` header of the final response.
    var cacheControl: String?
    /// Body bytes written.
    var bytes: Int64
    /// Every header of the final response, by lower-case name (the last of repeated ones).
    var headers: [String: String] = [:]
}

/// Receives download progress: (bytes so far, total or -1).
public typealias ProgressSink = (Int64, Int64) -> Void

/// One transfer's state, reached from libcurl's callbacks.
private final class Transfer {
    let sink: ((UnsafeRawBufferPointer) throws(FetchError) -> Void)
    let limit: Int64?
    var status = 0
    var headers: [String: String] = [:]
    var written: Int64 = 0
    var failure: FetchError?
    var tooLarge = false
    /// The body of a response other than 200 began: it is never read (a server could send
    /// one without end), the transfer stops there.
    var skippedBody = false
    var progress: ProgressSink?
    var expected: Int64 = -1

    init(limit: Int64?, sink: @escaping (UnsafeRawBufferPointer) throws(FetchError) -> Void) {
        self.limit = limit
        self.sink = sink
    }
}

private let writeCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    // Only a 200's body is wanted (a 304 has none; a 202 is a deferral; an error's text is
    // not shown): any other body stops the transfer at its first bytes.
    guard transfer.status == 200 else {
        transfer.skippedBody = true
        return 0
    }
    if let limit = transfer.limit, transfer.written + Int64(length) > limit {
        transfer.tooLarge = true
        return 0
    }
    do throws(FetchError) {
        try transfer.sink(UnsafeRawBufferPointer(start: data, count: length))
    } catch {
        transfer.failure = error
        return 0
    }
    transfer.written += Int64(length)
    return length
}

private let headerCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    guard let user, let data else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        .trimmingCharacters(in: " \r\n\t")
    if line.hasPrefix("HTTP/") {
        // A new response (redirects, 100 Continue): start over.
        let fields = line.split(separator: " ")
        transfer.status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
        transfer.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
        transfer.headers[name] = value
        if name == "content-length", let n = Int64(value) {
            transfer.expected = n
            // Refused before any of the body is read.
            if transfer.status == 200, let limit = transfer.limit, n > limit {
                transfer.tooLarge = true
                return 0
            }
        }
    }
    return length
}

private let progressCallback: @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, Int64) -> Int32 = {
    user, total, now, _, _ in
    guard let user else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
    if transfer.status == 200 { transfer.progress?(now, total > 0 ? total : transfer.expected) }
    return 0
}

/// A blocking HTTP(S) GET client with rkt's transport policy.
struct HTTPClient {
    /// Accept any TLS certificate (`--insecure-options=tls`).
    var insecureTLS = false
    /// Allow `http://` URLs, including redirects to them.
    var allowHTTP = true
    /// Extra request headers (`Name: value`).
    var headers: [String] = []
    /// `Authorization` values by URL host (`host` or `host:port`), from rkt's `auth.d`.
    var authorization: [String: String] = [:]
    /// Send `authorization` over plain HTTP too (appc discovery does; image and signature
    /// downloads send credentials only over HTTPS, as rkt does).
    var authorizeHTTP = false

    static let userAgent = "rkt/" + RktRelease.version

    /// GETs `url`, passing the body of a 200 response to `sink`. Returns the final status
    /// (200, 202, 304 and anything else; the caller decides), and fails for transport
    /// errors with Go-like text (`Get "URL": reason`). The body is counted as it streams:
    /// past `limit` bytes (or with a larger `Content-Length`) the transfer stops with an
    /// error naming `limitName`. Other responses' bodies are never read.
    func get(
        _ url: String, limit: Int64? = nil, limitName: String? = nil, progress: ProgressSink? = nil,
        sink: @escaping (UnsafeRawBufferPointer) throws(FetchError) -> Void
    ) throws(FetchError) -> HTTPResponse {
        let curl: LibCurl
        switch LibCurl.shared {
        case let .success(loaded): curl = loaded
        case let .failure(error): throw error
        }
        guard let handle = curl.easyInit() else { throw FetchError("libcurl: curl_easy_init failed") }
        defer { curl.cleanup(handle) }

        let transfer = Transfer(limit: limit, sink: sink)
        transfer.progress = progress
        let context = Unmanaged.passRetained(transfer)
        defer { context.release() }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        var list: OpaquePointer? = nil
        for header in headers { list = curl.slistAppend(list, header) }
        if let value = credentials(for: url) { list = curl.slistAppend(list, "Authorization: " + value) }
        defer { if list != nil { curl.slistFree(list) } }

        let protocols = allowHTTP ? 3 : 2  // CURLPROTO_HTTP | CURLPROTO_HTTPS
        let code: Int32 = url.withCString { urlPointer in
            HTTPClient.userAgent.withCString { agent in
                errorBuffer.withUnsafeMutableBufferPointer { errors in
                    _ = curl.setPointer(handle, CurlOption.url, urlPointer)
                    _ = curl.setPointer(handle, CurlOption.userAgent, agent)
                    _ = curl.setPointer(handle, CurlOption.errorBuffer, errors.baseAddress)
                    _ = curl.setLong(handle, CurlOption.noSignal, 1)
                    _ = curl.setLong(handle, CurlOption.followLocation, 1)
                    _ = curl.setLong(handle, CurlOption.maxRedirs, 10)
                    _ = curl.setLong(handle, CurlOption.protocols, protocols)
                    _ = curl.setLong(handle, CurlOption.redirectProtocols, protocols)
                    _ = curl.setLong(handle, CurlOption.connectTimeout, 30)
                    // Large images: bigger reads, fewer callbacks and writes (the default is 16 KiB).
                    _ = curl.setLong(handle, CurlOption.bufferSize, 512 * 1024)
                    // A stalled transfer (under 1 byte/s for 60 s) is an error, not a hang.
                    _ = curl.setLong(handle, CurlOption.lowSpeedLimit, 1)
                    _ = curl.setLong(handle, CurlOption.lowSpeedTime, 60)
                    _ = curl.setLong(handle, CurlOption.sslVerifyPeer, insecureTLS ? 0 : 1)
                    _ = curl.setLong(handle, CurlOption.sslVerifyHost, insecureTLS ? 0 : 2)
                    if let list { _ = curl.setPointer(handle, CurlOption.httpHeader, UnsafeRawPointer(list)) }
                    _ = curl.setPointer(handle, CurlOption.writeFunction, unsafeBitCast(writeCallback, to: UnsafeRawPointer.self))
                    _ = curl.setPointer(handle, CurlOption.writeData, context.toOpaque())
                    _ = curl.setPointer(handle, CurlOption.headerFunction, unsafeBitCast(headerCallback, to: UnsafeRawPointer.self))
                    _ = curl.setPointer(handle, CurlOption.headerData, context.toOpaque())
                    if progress != nil {
                        _ = curl.setLong(handle, CurlOption.noProgress, 0)
                        _ = curl.setPointer(handle, CurlOption.xferInfoFunction, unsafeBitCast(progressCallback, to: UnsafeRawPointer.self))
                        _ = curl.setPointer(handle, CurlOption.xferInfoData, context.toOpaque())
                    }
                    return curl.perform(handle)
                }
            }
        }
        if let failure = transfer.failure { throw failure }
        if transfer.tooLarge {
            let what = limitName.map { " (\($0))" } ?? ""
            throw FetchError("Get \(goQuote(url)): response body larger than \(limit ?? 0) bytes\(what)")
        }
        let writeError: Int32 = 23  // CURLE_WRITE_ERROR: the callback stopped the transfer
        guard code == 0 || (code == writeError && transfer.skippedBody) else {
            var reason = stringFromCBuffer(errorBuffer)
            if reason.isEmpty { reason = curl.strerror(code).map { String(cString: $0) } ?? "curl error \(code)" }
            throw FetchError("Get \(goQuote(url)): \(reason)")
        }
        var status = 0
        _ = curl.getInfo(handle, CurlOption.responseCode, &status)
        if status == 0 { status = transfer.status }
        return HTTPResponse(
            status: status, etag: transfer.headers["etag"], cacheControl: transfer.headers["cache-control"],
            bytes: transfer.written, headers: transfer.headers)
    }

    /// The `Authorization` value for `url`'s host, if the scheme allows sending it. libcurl
    /// drops the header when a redirect leaves the host.
    func credentials(for url: String) -> String? {
        guard !authorization.isEmpty, let schemeEnd = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || (scheme == "http" && authorizeHTTP) else { return nil }
        var host = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        return authorization[String(host)]
    }

    /// GETs a small document into memory; any status other than 200 is `bad HTTP status code: N`.
    func fetchSmall(_ url: String, limit: Int64 = 10 << 20) throws(FetchError) -> [UInt8] {
        let body = ByteBox()
        let response = try get(url, limit: limit) { chunk in body.bytes.append(contentsOf: chunk) }
        guard response.status == 200 else { throw FetchError("bad HTTP status code: \(response.status)") }
        return body.bytes
    }
}

/// Bytes collected by a callback.
final class ByteBox {
    var bytes: [UInt8] = []
}
