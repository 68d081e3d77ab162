import Foundation
import Glibc

/// A failure of the test harness itself (missing tool, server that did not start).
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ text: String) { description = text }
}

/// Fails loudly when a tool the tests need is missing, naming its Debian package.
public func requireTool(_ name: String, package: String) throws {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") where access(String(dir) + "/" + name, X_OK) == 0 { return }
    throw HarnessError("\(name) is not installed: apt-get install \(package)")
}

/// Serialises process launches: Foundation's Process.run is not safe to call from
/// several threads at once here.
let spawnLock = NSLock()

/// Starts `process`, one launch at a time.
public func spawn(_ process: Process) throws {
    spawnLock.lock()
    defer { spawnLock.unlock() }
    try process.run()
}

/// Runs a command to completion.
@discardableResult
public func run(_ argv: [String], env: [String: String] = [:], input: String? = nil) throws -> RunResult {
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

public func writeFile(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

public final class TestServer: @unchecked Sendable {
    public let root: String
    public let port: UInt
    public let https: Bool
    public let logPath: String
    private let process: Process
    private let dir: Scratch

    public var base: String { (https ? "https" : "http") + "://127.0.0.1:\(port)" }

    /// Serves files under `root`. `GET /P?ac-discovery=1` serves `root/discovery/P.html`
    /// (`_root.html` for `/`); `/truncate/F` stops half-way; `/slow/F` stalls half-way;
    /// `/defer/F` answers 202 the first time. `F.headers` adds response headers. With a
    /// `root/.auth` file, every request needs that `Authorization` value (else 401); the
    /// values received are logged as `AUTH value` lines.
    public init(root: String, https: Bool = false) throws {
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
    public var requests: [String] {
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
                authfile = os.path.join(root, ".auth")
                if os.path.isfile(authfile):
                    given = self.headers.get("Authorization")
                    if given:
                        record("AUTH " + given)
                    if given != open(authfile).read().strip():
                        return self.empty(401)
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
