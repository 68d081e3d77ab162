import AppcSchema
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

/// rkt's trusted keys (`pkg/keystore`): armored public keys named by their lower-case
/// fingerprint under `trustedkeys/root.d/` and `trustedkeys/prefix.d/<prefix>/` of the
/// system (`/usr/lib/rkt`) and local (`/etc/rkt`) configuration directories.
public struct Keystore: Sendable {
    /// `<localConfig>/trustedkeys/root.d`.
    public let localRootPath: String
    /// `<localConfig>/trustedkeys/prefix.d`.
    public let localPrefixPath: String
    /// `<systemConfig>/trustedkeys/root.d`.
    public let systemRootPath: String
    /// `<systemConfig>/trustedkeys/prefix.d`.
    public let systemPrefixPath: String

    /// The keystore of the given configuration directories.
    public init(systemConfig: String = "/usr/lib/rkt", localConfig: String = "/etc/rkt") {
        localRootPath = GoPath.join(localConfig, "trustedkeys", "root.d")
        localPrefixPath = GoPath.join(localConfig, "trustedkeys", "prefix.d")
        systemRootPath = GoPath.join(systemConfig, "trustedkeys", "root.d")
        systemPrefixPath = GoPath.join(systemConfig, "trustedkeys", "prefix.d")
    }

    /// A trusted key as loaded for a check.
    struct TrustedKey {
        var path: String
        var entity: OpenPGP.Entity
    }

    /// The keys trusted for image name `name`: every key in the system then local
    /// `root.d`, then in the system then local `prefix.d` directories on the way down to
    /// `name` (rkt walks with a string-prefix test, as here). An empty file masks a key of
    /// that fingerprint loaded before it. A key whose fingerprint is not its file name is
    /// an error (`fingerprint mismatch`).
    func keyring(for name: String) throws(FetchError) -> [TrustedKey] {
        var order: [String] = []
        var keys: [String: TrustedKey] = [:]
        for walk in try walks(for: name) {
            try visit(walk.root, full: walk.full) { (path: String, size: Int64) throws(FetchError) in
                let fileName = String(path.split(separator: "/").last ?? "")
                if size == 0 {
                    keys[fileName] = nil
                    order.removeAll { $0 == fileName }
                    return
                }
                let entity = try Keystore.entity(fromFile: path)
                if keys[entity.fileName] == nil { order.append(entity.fileName) }
                keys[entity.fileName] = TrustedKey(path: path, entity: entity)
            }
        }
        return order.compactMap { keys[$0] }
    }

    /// The state of the key files `keyring(for: name)` would read: each one's path and
    /// identity, in walk order. A key added, replaced, masked or removed changes it;
    /// no key is read.
    func keyringState(for name: String) throws(FetchError) -> String {
        var state: [String] = []
        for walk in try walks(for: name) {
            try visit(walk.root, full: walk.full) { (path: String, _: Int64) throws(FetchError) in
                state.append(path + "=" + ((try? FileIdentity(path: path))?.description ?? "?"))
            }
        }
        return state.joined(separator: ",")
    }

    /// The directories searched for `name`'s keys, in order: each root, and the full path
    /// under it whose ancestors are searched.
    private func walks(for name: String) throws(FetchError) -> [(root: String, full: String)] {
        let identifier: ACIdentifier
        do {
            identifier = try ACIdentifier(name)
        } catch {
            throw FetchError(error.message)
        }
        let prefixRoot = String(identifier.value.split(separator: "/", omittingEmptySubsequences: false).first ?? "")
        return [
            (systemRootPath, systemRootPath),
            (localRootPath, localRootPath),
            (GoPath.join(systemPrefixPath, prefixRoot), GoPath.join(systemPrefixPath, identifier.value)),
            (GoPath.join(localPrefixPath, prefixRoot), GoPath.join(localPrefixPath, identifier.value)),
        ]
    }
    /// `filepath.Walk(root)` descending only into directories that prefix `full`.
    private func visit(_ path: String, full: String, _ body: (String, Int64) throws(FetchError) -> Void) throws(FetchError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw FetchError("lstat \(path): \(errnoText(errno))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard full.hasPrefix(path) else { return }
            for name in (try? Files.sortedNames(path)) ?? [] {
                try visit(path + "/" + name, full: full, body)
            }
            return
        }
        try body(path, Int64(info.st_size))
    }

    /// rkt's `entityFromFile`: the first entity of an armored key file, whose fingerprint
    /// must be the file's name.
    static func entity(fromFile path: String) throws(FetchError) -> OpenPGP.Entity {
        let data = try Paths.read(path)
        guard let first = try OpenPGP.readArmoredKeyRing(data).first else { throw FetchError("missing opengpg entity") }
        let fileName = String(path.split(separator: "/").last ?? "")
        guard first.fileName == fileName else {
            throw FetchError("fingerprint mismatch: \(goQuote(fileName)):\(goQuote(first.fileName))")
        }
        return first
    }

    /// rkt's `TrustedKeyPrefixExists`: a non-empty key file directly in the local or system
    /// `prefix.d/<prefix>` directory, or in one of a parent prefix.
    public func trustedKeyPrefixExists(_ prefix: String) throws(FetchError) -> Bool {
        do {
            _ = try ACIdentifier(prefix)
        } catch {
            throw FetchError(error.message)
        }
        for dir in [GoPath.join(localPrefixPath, prefix), GoPath.join(systemPrefixPath, prefix)] where Paths.isDirectory(dir) {
            for name in (try? Files.sortedNames(dir)) ?? [] {
                var info = stat()
                if stat(dir + "/" + name, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR, info.st_size > 0 { return true }
            }
        }
        var parts = prefix.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        let parent = parts.joined(separator: "/").trimmingCharacters(in: "/")
        return parent.isEmpty ? false : try trustedKeyPrefixExists(parent)
    }

    // MARK: Storing

    /// Stores an armored key as trusted for `prefix` (rkt's `StoreTrustedKeyPrefix`); returns its path.
    func storeTrustedKeyPrefix(_ prefix: String, key: [UInt8]) throws(FetchError) -> String {
        do {
            _ = try ACIdentifier(prefix)
        } catch {
            throw FetchError(error.message)
        }
        return try storeTrustedKey(in: GoPath.join(localPrefixPath, prefix), key: key)
    }

    /// Stores an armored key as a root key (rkt's `StoreTrustedKeyRoot`); returns its path.
    func storeTrustedKeyRoot(key: [UInt8]) throws(FetchError) -> String {
        try storeTrustedKey(in: localRootPath, key: key)
    }

    private func storeTrustedKey(in dir: String, key: [UInt8]) throws(FetchError) -> String {
        try FetchError.wrapping { () throws(SystemError) in try Files.makeDirectories(dir) }
        guard let first = try OpenPGP.readArmoredKeyRing(key).first else { throw FetchError("missing opengpg entity") }
        let path = GoPath.join(dir, first.fileName)
        try FetchError.wrapping { () throws(SystemError) in try Files.writeFile(path, key, mode: 0o644) }
        return path
    }

    // MARK: Verification

    /// Why a signature check failed.
    enum CheckFailure: Error {
        /// No trusted key made the signature (Go's `ErrUnknownIssuer`).
        case unknownIssuer
        /// Anything else, with rkt's text.
        case other(FetchError)

        var error: FetchError {
            switch self {
            case .unknownIssuer: return FetchError("openpgp: signature made by unknown entity")
            case let .other(error): return error
            }
        }
    }

    /// Checks the detached signature at `signaturePath` (armored or binary) over the file
    /// at `dataPath` against the keys trusted for `name`, with `gpgv`. Returns the signer's
    /// identities (user IDs in key order).
    func checkSignature(
        name: String, dataPath: String, signaturePath: String,
        scratch: String
    ) throws(CheckFailure) -> [String] {
        let keys: [TrustedKey]
        do {
            keys = try keyring(for: name)
        } catch {
            throw .other(error.wrapped("keystore: error loading keyring"))
        }
        let status: Subprocess.Output
        let directory: String
        do {
            directory = try Files.makeTemporaryDirectory(scratch + "/.fetch-")
        } catch {
            throw .other(.system(error))
        }
        defer { try? Files.removeTree(directory) }
        do {
            // gpgv refuses armored keyrings: hand it the binary packets.
            try Files.writeFile(directory + "/keyring.gpg", keys.flatMap(\.entity.packets), mode: 0o600)
            // Our /proc/self/fd/N paths name this process's descriptors: gpgv reaches them by pid.
            let ownFDs = "/proc/self/fd/"
            let pidFDs = "/proc/\(getpid())/fd/"
            let signature = signaturePath.hasPrefix(ownFDs) ? pidFDs + signaturePath.dropFirst(ownFDs.count) : signaturePath
            let data = dataPath.hasPrefix(ownFDs) ? pidFDs + dataPath.dropFirst(ownFDs.count) : dataPath
            status = try Subprocess.run(
                [
                    "gpgv", "--homedir", directory, "--status-fd", "1",
                    "--keyring", directory + "/keyring.gpg", signature, data,
                ],
                scratch: scratch)
        } catch let error as Subprocess.Failure {
            throw .other(FetchError(error.description))
        } catch {
            throw .other(FetchError("\(error)"))
        }
        var sawBad = false
        var sawNoKey = false
        var sawNoData = false
        for line in status.stdoutText.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 2, fields[0] == "[GNUPG:]" else { continue }
            switch fields[1] {
            case "VALIDSIG":
                let primary = (fields.count >= 12 ? fields[11] : fields[2]).lowercased()
                let signer =
                    keys.first { $0.entity.fileName == primary }
                    ?? keys.first { $0.entity.subkeyFingerprints.map(OpenPGP.hex).contains(fields[2].lowercased()) }
                if status.code == 0, let signer { return signer.entity.identities }
            case "BADSIG": sawBad = true
            case "NO_PUBKEY", "ERRSIG": sawNoKey = sawNoKey || fields[1] == "NO_PUBKEY" || fields.last == "9"
            case "NODATA": sawNoData = true
            default: break
            }
        }
        if sawBad { throw .other(FetchError("openpgp: invalid signature: hash tag doesn't match")) }
        if sawNoKey { throw .unknownIssuer }
        if sawNoData { throw .other(FetchError("keystore: no valid signatures found in signature file")) }
        if Subprocess.findExecutable("gpgv") == nil {
            throw .other(FetchError("gpgv not found: install the Debian package gpgv"))
        }
        let detail = status.stderrText.split(separator: "\n").last.map(String.init) ?? "exit status \(status.code)"
        throw .other(FetchError("openpgp: signature check failed: \(detail)"))
    }
}
