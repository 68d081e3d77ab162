import Foundation
import Glibc

/// A real Docker registry for tests: Debian's `docker-registry` (the reference
/// distribution registry) on 127.0.0.1 with a self-signed certificate, optionally behind
/// basic authentication (htpasswd) or token authentication (a token server of the
/// test's own, signing JWTs with the same certificate's key, as a Docker Hub-like
/// setup does). Images get in with Debian's `skopeo copy`. Nothing leaves this machine.
public final class RegistryFixture: @unchecked Sendable {
    public enum Auth: Sendable {
        case none
        /// `WWW-Authenticate: Basic`, this user and password.
        case basic(user: String, password: String)
        /// `WWW-Authenticate: Bearer realm=...`: tokens for this user and password.
        case token(user: String, password: String)
    }

    public let port: UInt16
    /// `127.0.0.1:PORT`.
    public var host: String { "127.0.0.1:\(port)" }
    public let auth: Auth
    private let dir: Scratch
    private var processes: [Process] = []

    public init(auth: Auth = .none) throws {
        try requireTool("docker-registry", package: "docker-registry")
        try requireTool("skopeo", package: "skopeo")
        try requireTool("openssl", package: "openssl")
        try requireTool("python3", package: "python3")
        self.auth = auth
        dir = Scratch("registry-test", removeOnDeinit: true)
        let cert = dir.path + "/cert.pem", key = dir.path + "/key.pem"
        let r = try run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        guard r.code == 0 else { throw HarnessError("openssl req failed: \(r.err)") }
        port = try RegistryFixture.freePort()
        var authConfig = ""
        switch auth {
        case .none: break
        case let .basic(user, password):
            let hash = try run(["python3", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))", password])
            guard hash.code == 0 else { throw HarnessError("bcrypt failed: \(hash.err)") }
            try writeFile(dir.path + "/htpasswd", "\(user):\(hash.out.trimmingCharacters(in: .whitespacesAndNewlines))\n")
            authConfig = "auth:\n  htpasswd:\n    realm: test-realm\n    path: \(dir.path)/htpasswd\n"
        case let .token(user, password):
            let tokenPort = try RegistryFixture.freePort()
            try writeFile(dir.path + "/token.py", RegistryFixture.tokenServer)
            try start(["python3", dir.path + "/token.py", String(tokenPort), cert, key, user, password])
            try waitForHTTPS("https://127.0.0.1:\(tokenPort)/token", what: "the token server")
            authConfig =
                "auth:\n  token:\n    realm: https://127.0.0.1:\(tokenPort)/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: \(cert)\n"
        }
        let config = """
            version: 0.1
            log:
              level: info
              formatter: text
            storage:
              filesystem:
                rootdirectory: \(dir.path)/storage
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
              tls:
                certificate: \(cert)
                key: \(key)
            \(authConfig)
            """
        try writeFile(dir.path + "/config.yml", config)
        try start(["docker-registry", "serve", dir.path + "/config.yml"], log: dir.path + "/registry.log")
        try waitForHTTPS("https://\(host)/v2/", what: "docker-registry")
    }

    /// Waits until `url` answers (200 or 401), ten seconds at most.
    private func waitForHTTPS(_ url: String, what: String) throws {
        for _ in 0..<200 {
            let probe = try run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", url])
            if probe.out == "200" || probe.out == "401" { return }
            usleep(50_000)
        }
        throw HarnessError("\(what) did not start at \(url)")
    }

    deinit {
        for process in processes {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Copies `source` (`oci:DIR:NAME`, ...) to `REPOSITORY:TAG` here (`--all`: every
    /// platform of an index). Returns skopeo's result.
    @discardableResult
    public func push(_ source: String, to repositoryAndTag: String, all: Bool = false) throws -> RunResult {
        var args = ["skopeo", "copy", "-q", "--dest-tls-verify=false"]
        if all { args.append("--all") }
        switch auth {
        case .none: break
        case let .basic(user, password), let .token(user, password): args.append("--dest-creds=\(user):\(password)")
        }
        let r = try run(args + [source, "docker://\(host)/\(repositoryAndTag)"])
        guard r.code == 0 else { throw HarnessError("skopeo copy \(source) failed: \(r.err)") }
        return r
    }

    /// How many blob downloads (`GET /v2/REPOSITORY/blobs/...`) the registry served.
    public func blobDownloads(_ repository: String) -> Int {
        let log = readText(dir.path + "/registry.log") ?? ""
        return log.split(separator: "\n").filter { $0.contains("GET /v2/\(repository)/blobs/sha256:") && $0.contains("\" 200 ") }.count
    }

    /// The file holding a blob in the registry's storage (to damage it).
    public func blobFile(_ digest: String) -> String {
        let hex = String(digest.dropFirst(7))
        return dir.path + "/storage/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    /// Starts `argv` so that it dies with the test process (PR_SET_PDEATHSIG survives exec).
    private func start(_ argv: [String], log: String = "/dev/null") throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", "-c",
                "import ctypes,os,signal,sys; ctypes.CDLL('libc.so.6').prctl(1, signal.SIGKILL); os.execvp(sys.argv[1], sys.argv[1:])",
            ] + argv
        // The registry writes its access log to stdout, the rest to stderr.
        if log != "/dev/null" { FileManager.default.createFile(atPath: log, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try spawn(process)
        processes.append(process)
    }

    /// A port nothing listens on now (the kernel's choice for port 0).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw HarnessError("bind failed") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// The token server: checks basic credentials, then answers a JWT (RS256, signed
    /// with openssl) granting what the scope asks, with the certificate in `x5c` so the
    /// registry can check it against its root bundle.
    static let tokenServer = #"""
        import base64, http.server, json, os, ssl, subprocess, sys, threading, time
        threading.Timer(600, lambda: os._exit(0)).start()
        port, cert, key, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout

        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        def token(access):
            now = int(time.time())
            header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
            claims = {"iss": "test-issuer", "sub": user, "aud": "test-registry", "exp": now + 600, "nbf": now - 60,
                      "iat": now, "jti": str(now) + str(os.getpid()), "access": access}
            signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
            sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                                 capture_output=True, check=True).stdout
            return signing + "." + b64(sig)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass
            def do_GET(self):
                expected = "Basic " + base64.b64encode((user + ":" + password).encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                from urllib.parse import urlparse, parse_qs
                query = parse_qs(urlparse(self.path).query)
                access = []
                for scope in query.get("scope", []):
                    parts = scope.split(":")
                    if len(parts) == 3:
                        access.append({"type": parts[0], "name": parts[1], "actions": parts[2].split(",")})
                body = json.dumps({"token": token(access)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.serve_forever()
        """#
}
