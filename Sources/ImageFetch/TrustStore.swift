import AppcSchema
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

/// Where `rkt trust` (and a fetch that finds no key for an image) writes, and how it asks.
public struct TrustIO {
    /// One line of standard output (no newline).
    public var stdout: (String) -> Void
    /// One message for standard error (no newline; may span lines, as Go's log prints it).
    public var stderr: (String) -> Void
    /// True when the user can be asked (rkt: stdin and stderr are terminals).
    public var isTerminal: () -> Bool
    /// The next line typed, with its newline; nil at end of input.
    public var readLine: () -> String?

    /// Explicit sinks.
    public init(
        stdout: @escaping (String) -> Void, stderr: @escaping (String) -> Void,
        isTerminal: @escaping () -> Bool, readLine: @escaping () -> String?
    ) {
        self.stdout = stdout
        self.stderr = stderr
        self.isTerminal = isTerminal
        self.readLine = readLine
    }

    /// The process's own stdout, stderr and stdin.
    public static var standard: TrustIO {
        TrustIO(
            stdout: { line in writeStandard(1, line + "\n") },
            stderr: { line in writeStandard(2, line + "\n") },
            isTerminal: { isatty(0) == 1 && isatty(2) == 1 },
            readLine: { readStandardLine() })
    }
}

private func writeStandard(_ fd: Int32, _ text: String) {
    try? Files.writeAll(fd, Array(text.utf8), path: fd == 1 ? "/dev/stdout" : "/dev/stderr")
}

private func readStandardLine() -> String? {
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while true {
        let n = Syscall.retrying { read(0, &byte, 1) }
        if n <= 0 { return nil }
        line.append(byte)
        if byte == 0x0a { return String(decoding: line, as: UTF8.self) }
    }
}

/// What `TrustStore.add` did.
public struct TrustResult: Sendable, Equatable {
    /// Paths of the key files written, in order.
    public var storedPaths: [String]
    /// Locations the user declined.
    public var declined: [String]
}

/// `rkt trust`: shows a key's fingerprints and identities, asks (or not), and stores it
/// under `<localConfig>/trustedkeys/prefix.d/<prefix>/<fingerprint>` or `root.d/<fingerprint>`
/// (rkt's `pubkey.Manager`). Output follows rkt 1.30 line for line:
///
///     stderr: pubkey: prefix: "example.com/busybox"
///             key: "pubkey.gpg"
///     stdout: gpg key fingerprint is: 4E03 45EE A4E2 CBD4 F2F3  B43E D4A3 DECB 8772 12D0
///                 Subkey fingerprint: 3D5F FF7B F681 6BB9 C7AB  4EED BB39 AF0D DB3E 8B95
///             \tTest ACI Signer <signer@example.com>
///             Trusting "pubkey.gpg" for prefix "example.com/busybox" without fingerprint review.
///             Added key for prefix "example.com/busybox" at "/etc/rkt/trustedkeys/prefix.d/example.com/busybox/4e03..."
public struct TrustStore {
    /// The keystore keys are added to.
    public var keystore: Keystore
    /// `--insecure-allow-http`: allow `http://` key URLs and discovery over HTTP.
    public var insecureAllowHTTP: Bool
    /// `--insecure-options=tls`: accept any certificate when downloading keys.
    public var insecureSkipTLSCheck: Bool
    /// `--trust-keys-from-https`: keys from `https://` URLs need no review.
    public var trustKeysFromHTTPS: Bool
    /// `--debug`: print failed discovery attempts.
    public var debug: Bool
    /// Port for meta discovery (tests); nil = the scheme's default.
    public var discoveryPort: UInt?

    /// A trust store over the given configuration directories.
    public init(
        systemConfig: String = "/usr/lib/rkt", localConfig: String = "/etc/rkt",
        insecureAllowHTTP: Bool = false, insecureSkipTLSCheck: Bool = false,
        trustKeysFromHTTPS: Bool = false, debug: Bool = false, discoveryPort: UInt? = nil
    ) {
        keystore = Keystore(systemConfig: systemConfig, localConfig: localConfig)
        self.insecureAllowHTTP = insecureAllowHTTP
        self.insecureSkipTLSCheck = insecureSkipTLSCheck
        self.trustKeysFromHTTPS = trustKeysFromHTTPS
        self.debug = debug
        self.discoveryPort = discoveryPort
    }

    /// Adds one key (`rkt trust [--prefix P | --root] PUBKEY`). `keyFile` is a path or an
    /// `http(s)://` URL, shown as given. `prefix` nil or empty with `root` stores a root key.
    /// Without `skipFingerprintReview` the user is asked on a terminal; without one this
    /// fails with `error reviewing key: unable to ask user to review fingerprint due to
    /// lack of tty`. Errors are to be printed as `trust: ` + `error.render("error adding keys", debug:)`.
    @discardableResult
    public func add(
        keyFile: String, prefix: String?, root: Bool, skipFingerprintReview: Bool,
        io: TrustIO = .standard
    ) throws(FetchError) -> TrustResult {
        try add(
            keyFiles: [keyFile], prefix: root ? "" : (prefix ?? ""),
            accept: skipFingerprintReview ? .force : .ask, io: io)
    }

    enum Accept { case force, ask }

    /// rkt's `Manager.AddKeys`.
    func add(keyFiles: [String], prefix: String, accept: Accept, io: TrustIO) throws(FetchError) -> TrustResult {
        var result = TrustResult(storedPaths: [], declined: [])
        for location in keyFiles {
            let scheme = TrustStore.scheme(of: location)
            let key: [UInt8]
            do {
                key = try fetchKey(location, scheme: scheme)
            } catch {
                throw error.wrapped("error accessing the key \(location)")
            }
            do {
                try display(prefix: prefix, location: location, key: key, io: io)
            } catch {
                throw error.wrapped("error reading key").wrapped("error displaying the key \(location)")
            }
            var mode = accept
            if trustKeysFromHTTPS && scheme == "https" { mode = .force }
            if mode == .ask {
                guard io.isTerminal() else {
                    io.stderr("pubkey: To trust the key for \(goQuote(prefix)), do one of the following:")
                    io.stderr("pubkey:  - call rkt with --trust-keys-from-https")
                    io.stderr("pubkey:  - run: rkt trust --prefix \(goQuote(prefix))")
                    throw FetchError("error reviewing key: unable to ask user to review fingerprint due to lack of tty")
                }
                guard try review(io) else {
                    io.stderr("pubkey: not trusting \(goQuote(location))")
                    result.declined.append(location)
                    continue
                }
                io.stdout("Trusting \(goQuote(location)) for prefix \(goQuote(prefix)) after fingerprint review.")
            } else {
                io.stdout("Trusting \(goQuote(location)) for prefix \(goQuote(prefix)) without fingerprint review.")
            }
            if prefix.isEmpty {
                let path: String
                do {
                    path = try keystore.storeTrustedKeyRoot(key: key)
                } catch {
                    throw error.wrapped("error adding root key")
                }
                io.stdout("Added root key at \(goQuote(path))")
                result.storedPaths.append(path)
            } else {
                let path: String
                do {
                    path = try keystore.storeTrustedKeyPrefix(prefix, key: key)
                } catch {
                    throw error.wrapped("error adding key for prefix \(goQuote(prefix))")
                }
                io.stdout("Added key for prefix \(goQuote(prefix)) at \(goQuote(path))")
                result.storedPaths.append(path)
            }
        }
        return result
    }

    /// rkt's `GetPubKeyLocations`: the key URLs meta discovery finds for `prefix`
    /// (`rkt trust --prefix P` without PUBKEY). Errors are printed as
    /// `trust: ` + `error.render("error determining key location", debug:)`.
    public func discoverKeyLocations(prefix: String, io: TrustIO = .standard) throws(FetchError) -> [String] {
        guard !prefix.isEmpty else { throw FetchError("empty prefix") }
        let keys: [String]
        do throws(FetchError) {
            let app = try AppName(parsing: prefix)
            let transport = DiscoveryTransport(
                allowHTTP: insecureAllowHTTP, insecureTLS: insecureSkipTLSCheck,
                port: discoveryPort)
            let (found, attempts) = Discovery.publicKeysAndAttempts(app, transport: transport)
            if debug {
                for attempt in attempts {
                    io.stderr("pubkey: meta tag 'ac-discovery-pubkeys' not found on \(attempt.prefix)\n  └─\(attempt.error)")
                }
            }
            guard let found else { throw FetchError("discovery failed") }
            keys = found
        } catch {
            throw error.wrapped("prefix meta discovery error")
        }
        guard !keys.isEmpty else { throw FetchError("meta discovery on \(prefix) resulted in no keys") }
        return keys
    }

    /// Adds the keys meta discovery finds (or the given ones) — `rkt trust` as a whole.
    @discardableResult
    public func trust(
        keyFiles: [String], prefix: String?, root: Bool, skipFingerprintReview: Bool,
        io: TrustIO = .standard
    ) throws(FetchError) -> TrustResult {
        let effectivePrefix = root ? "" : (prefix ?? "")
        var locations = keyFiles
        if locations.isEmpty { locations = try discoverKeyLocations(prefix: effectivePrefix, io: io) }
        return try add(
            keyFiles: locations, prefix: effectivePrefix,
            accept: skipFingerprintReview ? .force : .ask, io: io)
    }

    // MARK: Steps

    /// rkt's `getPubKey`.
    private func fetchKey(_ location: String, scheme: String) throws(FetchError) -> [UInt8] {
        switch scheme {
        case "":
            return try Paths.read(location, limit: 1 << 20)
        case "http", "https":
            if scheme == "http" && !insecureAllowHTTP {
                throw FetchError("--insecure-allow-http required for http URLs")
            }
            let client = HTTPClient(insecureTLS: insecureSkipTLSCheck, allowHTTP: insecureAllowHTTP)
            let body = ByteBox()
            let response: HTTPResponse
            do {
                response = try client.get(location, limit: 1 << 20) { chunk in body.bytes.append(contentsOf: chunk) }
            } catch {
                throw error.wrapped("error getting key")
            }
            guard response.status == 200 else { throw FetchError("bad HTTP status code: \(response.status)") }
            return body.bytes
        default:
            throw FetchError("only local files and http or https URLs supported")
        }
    }

    /// rkt's `displayKey`.
    private func display(prefix: String, location: String, key: [UInt8], io: TrustIO) throws(FetchError) {
        let entities = try OpenPGP.readArmoredKeyRing(key)
        io.stderr("pubkey: prefix: \(goQuote(prefix))\nkey: \(goQuote(location))")
        for entity in entities {
            io.stdout("gpg key fingerprint is: \(OpenPGP.groupedFingerprint(entity.fingerprint))")
            for sub in entity.subkeyFingerprints {
                io.stdout("    Subkey fingerprint: \(OpenPGP.groupedFingerprint(sub))")
            }
            for identity in entity.identities { io.stdout("\t\(identity)") }
        }
    }

    /// rkt's `reviewKey`.
    private func review(_ io: TrustIO) throws(FetchError) -> Bool {
        while true {
            io.stdout("Are you sure you want to trust this key (yes/no)?")
            guard let input = io.readLine() else { throw FetchError("EOF").wrapped("error reading input").wrapped("error reviewing key") }
            switch input {
            case "yes\n": return true
            case "no\n": return false
            default: io.stdout("Please enter 'yes' or 'no'")
            }
        }
    }

    /// Go's `url.Parse(s).Scheme`: lower-cased, "" when there is none.
    static func scheme(of location: String) -> String {
        URLScheme.of(location) ?? ""
    }
}
