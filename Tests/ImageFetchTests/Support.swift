import Foundation
import Glibc
import ImageFetch
import ImageKit
import ImageStore
import Synchronization
import TestSupport
import Testing

/// A failure of the test harness itself (missing tool, server that did not start).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

/// Fails loudly when a tool the tests need is missing, naming its Debian package.
func requireTool(_ name: String, package: String) throws {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") where access(String(dir) + "/" + name, X_OK) == 0 { return }
    throw HarnessError("\(name) is not installed: apt-get install \(package)")
}

/// Serialises process launches: Foundation's Process.run is not safe to call from
/// several threads at once here.
let spawnLock = NSLock()

/// Starts `process`, one launch at a time.
func spawn(_ process: Process) throws {
    spawnLock.lock()
    defer { spawnLock.unlock() }
    try process.run()
}

/// Runs a command to completion.
@discardableResult
func run(_ argv: [String], env: [String: String] = [:], input: String? = nil) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inPipe = Pipe()
    process.standardInput = inPipe
    try spawn(process)
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(
        code: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
        err: String(decoding: errData, as: UTF8.self))
}

func writeFile(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// Builds ACIs with the tests' TarWriter and knows their expected IDs.
enum ACIFactory {
    struct Image {
        var path: String
        /// `sha512-` + 64 hex of `sha512sum` over the uncompressed tar.
        var key: String
    }

    /// Writes `dir/file` (gzip-compressed unless `compressed` is false) with the given name and labels.
    static func make(
        in dir: String, file: String, name: String, labels: [(String, String)] = [("os", "linux"), ("arch", "amd64")],
        content: String = "hello", dependencies: String = "", compressed: Bool = true
    ) throws -> Image {
        let labelJSON = labels.map { "{\"name\":\"\($0.0)\",\"value\":\"\($0.1)\"}" }.joined(separator: ",")
        let deps = dependencies.isEmpty ? "" : ",\"dependencies\":\(dependencies)"
        let manifest =
            "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"\(name)\",\"labels\":[\(labelJSON)],\"app\":{\"exec\":[\"/hello\"],\"user\":\"0\",\"group\":\"0\"}\(deps)}"
        let tarPath = dir + "/" + file + ".tar"
        let writer = try TarWriter(path: tarPath)
        try writer.write(.file("manifest", manifest))
        try writer.write(.directory("rootfs"))
        try writer.write(.file("rootfs/hello", content, mode: 0o755))
        try writer.close()
        let sum = try run(["sha512sum", tarPath])
        let key = "sha512-" + String(sum.out.prefix(64))
        let out = dir + "/" + file
        if compressed {
            try run(["sh", "-c", "gzip -c -n \"$0\" > \"$1\"", tarPath, out])
        } else {
            try FileManager.default.copyItem(atPath: tarPath, toPath: out)
        }
        try FileManager.default.removeItem(atPath: tarPath)
        return Image(path: out, key: key)
    }
}

/// The GNUPGHOME to clean up at exit.
let gpgHomeForCleanup = Mutex<String?>(nil)

/// Two throwaway signing keys in a private GNUPGHOME, made once for the whole run.
final class GPGKeys: @unchecked Sendable {
    let home: String
    let trusted: String  // fingerprint, "Test ACI Signer <signer@example.com>"
    let untrusted: String  // fingerprint, "Other Signer <other@example.com>"
    let trustedArmored: String
    let untrustedArmored: String
    private let lock = NSLock()

    static let shared: Result<GPGKeys, HarnessError> = {
        do {
            return .success(try GPGKeys())
        } catch let error as HarnessError {
            return .failure(error)
        } catch {
            return .failure(HarnessError("\(error)"))
        }
    }()

    static func get() throws -> GPGKeys {
        try requireTool("gpg", package: "gpg")
        try requireTool("gpgv", package: "gpgv")
        switch shared {
        case let .success(keys): return keys
        case let .failure(error): throw error
        }
    }

    private init() throws {
        var template = Array("/tmp/imagefetch-gpg-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkdtemp($0) } }
        let home = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.home = home
        // The agent gpg starts for this home must not outlive the test process.
        gpgHomeForCleanup.withLock { $0 = home }
        atexit {
            guard let home = gpgHomeForCleanup.withLock({ $0 }) else { return }
            _ = try? run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"])
            try? FileManager.default.removeItem(atPath: home)
        }
        func generate(_ uid: String) throws -> String {
            let r = try run(
                [
                    "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", uid,
                    "future-default", "default", "never",
                ], env: ["GNUPGHOME": home])
            guard r.code == 0 else { throw HarnessError("gpg --quick-gen-key failed: \(r.err)") }
            let list = try run(["gpg", "--batch", "--with-colons", "--list-keys", uid], env: ["GNUPGHOME": home])
            guard
                let fpr = list.out.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") })?
                    .split(separator: ":", omittingEmptySubsequences: false)[9]
            else {
                throw HarnessError("no fingerprint for \(uid)")
            }
            return String(fpr)
        }
        trusted = try generate("Test ACI Signer <signer@example.com>")
        untrusted = try generate("Other Signer <other@example.com>")
        trustedArmored = try run(["gpg", "--batch", "--armor", "--export", trusted], env: ["GNUPGHOME": home]).out
        untrustedArmored = try run(["gpg", "--batch", "--armor", "--export", untrusted], env: ["GNUPGHOME": home]).out
    }

    /// Writes `file.asc` (or `output`), an armored detached signature by `key`.
    func sign(_ file: String, with key: String, output: String? = nil) throws {
        lock.lock()
        defer { lock.unlock() }
        let out = output ?? (file.hasSuffix(".aci") ? String(file.dropLast(4)) + ".aci.asc" : file + ".asc")
        let r = try run(
            [
                "gpg", "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", key,
                "--armor", "--detach-sign", "-o", out, file,
            ], env: ["GNUPGHOME": home])
        guard r.code == 0 else { throw HarnessError("gpg --detach-sign failed: \(r.err)") }
    }

    /// `gpg --with-colons --import-options show-only --import` of an armored key.
    func colons(_ armored: String) throws -> String {
        try run(
            ["gpg", "--batch", "--with-colons", "--import-options", "show-only", "--import"],
            env: ["GNUPGHOME": home], input: armored
        ).out
    }
}

/// Installs a trusted key as `rkt trust` would (armored, named by fingerprint).
func trustKey(_ armored: String, fingerprint: String, config: String, prefix: String?) throws {
    let dir = prefix.map { config + "/trustedkeys/prefix.d/" + $0 } ?? config + "/trustedkeys/root.d"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try writeFile(dir + "/" + fingerprint.lowercased(), armored)
}

/// A real HTTP(S) server on 127.0.0.1: python3's http.server with a few test modes.
final class TestServer: @unchecked Sendable {
    let root: String
    let port: UInt
    let https: Bool
    let logPath: String
    private let process: Process
    private let dir: Scratch

    var base: String { (https ? "https" : "http") + "://127.0.0.1:\(port)" }

    /// Serves files under `root`. `GET /P?ac-discovery=1` serves `root/discovery/P.html`
    /// (`_root.html` for `/`); `/truncate/F` stops half-way; `/slow/F` stalls half-way;
    /// `/defer/F` answers 202 the first time. `F.headers` adds response headers.
    init(root: String, https: Bool = false) throws {
        try requireTool("python3", package: "python3")
        self.root = root
        self.https = https
        dir = Scratch("imagefetch-test", removeOnDeinit: true)
        logPath = dir.path + "/requests.log"
        let portFile = dir.path + "/port"
        let script = dir.path + "/server.py"
        try writeFile(script, TestServer.script)
        var args = [script, root, portFile, logPath]
        if https {
            try requireTool("openssl", package: "openssl")
            let cert = dir.path + "/cert.pem"
            let key = dir.path + "/key.pem"
            let r = try run([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ])
            guard r.code == 0 else { throw HarnessError("openssl req failed: \(r.err)") }
            args += [cert, key]
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + args
        process.standardOutput = FileHandle.nullDevice
        try spawn(process)
        var found: UInt? = nil
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = UInt(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                found = p
                break
            }
            usleep(25_000)
        }
        guard let found else {
            process.terminate()
            throw HarnessError("python3 test server did not start")
        }
        port = found
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The request lines seen so far (`GET /path`).
    var requests: [String] {
        (readText(logPath) ?? "").split(separator: "\n").map(String.init)
    }

    static let script = #"""
        import ctypes, http.server, os, signal, socket, ssl, sys, threading, time
        # Die with the test process, on SIGTERM, and after five minutes at most.
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
        threading.Timer(300, lambda: os._exit(0)).start()
        root, portfile, logfile = sys.argv[1], sys.argv[2], sys.argv[3]
        cert = sys.argv[4] if len(sys.argv) > 5 else None
        key = sys.argv[5] if len(sys.argv) > 5 else None
        lock = threading.Lock()
        deferred = set()

        def record(text):
            with lock:
                with open(logfile, "a") as f:
                    f.write(text + "\n")

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def do_HEAD(self):
                self.serve(False)
            def do_GET(self):
                self.serve(True)
            def empty(self, code):
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()
            def serve(self, body):
                record(self.command + " " + self.path)
                if self.path.startswith("/endless/"):
                    return self.endless(body)
                path, _, query = self.path.partition("?")
                mode = None
                for m in ("truncate", "slow", "defer"):
                    if path.startswith("/" + m + "/"):
                        mode = m
                        path = path[len(m) + 1:]
                if query == "ac-discovery=1":
                    name = path.strip("/") or "_root"
                    fs = os.path.join(root, "discovery", name + ".html")
                else:
                    fs = os.path.join(root, path.lstrip("/"))
                if mode == "defer" and fs.endswith(".asc"):
                    with lock:
                        first = fs not in deferred
                        deferred.add(fs)
                    if first:
                        return self.empty(202)
                if not os.path.isfile(fs):
                    return self.empty(404)
                extra = []
                if os.path.isfile(fs + ".headers"):
                    for line in open(fs + ".headers"):
                        if ":" in line:
                            k, v = line.split(":", 1)
                            extra.append((k.strip(), v.strip()))
                etag = dict(extra).get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    return self.empty(304)
                data = open(fs, "rb").read()
                self.send_response(200)
                self.send_header("Content-Type", "text/html" if query else "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                if not body:
                    return
                if mode == "truncate":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if mode == "slow":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    record("SLOW-SENT")
                    time.sleep(60)
                    return
                self.wfile.write(data)

            # /endless/CODE[/length]/NAME: status CODE and a body that never ends (with a
            # Content-Length of 1 TiB when "length" is in the path), until the client goes.
            def endless(self, body):
                parts = self.path.split("/")
                self.send_response(int(parts[2]))
                self.send_header("Content-Type", "application/octet-stream")
                if "length" in parts:
                    self.send_header("Content-Length", str(1 << 40))
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                chunk = b"\x1f" * 65536
                sent = 0
                try:
                    while body:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except Exception:
                    pass
                record("ENDLESS-SENT %d" % sent)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            def finish_request(self, request, client_address):
                if cert:
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(cert, key)
                    try:
                        request = ctx.wrap_socket(request, server_side=True)
                    except Exception:
                        return
                self.RequestHandlerClass(request, client_address, self)

        server = Server(("127.0.0.1", 0), Handler)
        with open(portfile + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(portfile + ".tmp", portfile)
        server.serve_forever()
        """#
}

/// Collects what a Fetcher logs.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ line: String) {
        lock.lock()
        items.append(line)
        lock.unlock()
    }
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
    var text: String { lines.joined(separator: "\n") }
}

/// A store, config directories and a fetcher factory in one temporary directory.
final class Setup: @unchecked Sendable {
    let dir = Scratch("imagefetch-test", removeOnDeinit: true)
    let store: ImageStore
    var system: String { dir.path + "/usr-lib-rkt" }
    var local: String { dir.path + "/etc-rkt" }
    var files: String { dir.mkdir("files") }

    init() throws {
        store = try ImageStore(directory: dir.mkdir("rkt"))
    }

    func options(_ insecure: InsecureOptions = [], policy: PullPolicy = .update, debug: Bool = true) -> FetchOptions {
        var o = FetchOptions(insecure: insecure, pullPolicy: policy, systemConfig: system, localConfig: local, debug: debug)
        o.withDependencies = false
        return o
    }

    func fetcher(_ options: FetchOptions, log: LogLines) -> Fetcher {
        Fetcher(store: store, options: options, log: { log.append($0) }, stdout: { log.append("STDOUT " + $0) })
    }

    /// Files under the store's blob tree, index rows, and entries left in cas/tmp.
    var blobCount: Int {
        let base = store.casDirectory + "/blob/sha512"
        let subdirs = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return subdirs.reduce(0) { $0 + ((try? FileManager.default.contentsOfDirectory(atPath: base + "/" + $1))?.count ?? 0) }
    }
    var rowCount: Int { (try? store.records().count) ?? -1 }
    var tmpEntries: [String] { (try? FileManager.default.contentsOfDirectory(atPath: store.casDirectory + "/tmp")) ?? [] }
}

/// Expects `body` to throw a FetchError and returns it.
func expectFetchError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> FetchError? {
    do {
        try body()
        Issue.record("expected an error", sourceLocation: sourceLocation)
        return nil
    } catch let error as FetchError {
        return error
    } catch {
        Issue.record("expected a FetchError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
