import Foundation
import Glibc
import ImageFetch
import ImageKit
import ImageStore
import Synchronization
import TestSupport
import Testing

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
