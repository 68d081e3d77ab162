import GoCompat
import ImageKit

/// rkt's `--insecure-options` bits (rkt-runtime.md §5.8).
public struct InsecureOptions: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The bits, as rkt numbers them (image = 1, tls = 2, ondisk = 4, http = 8, ...).
    public let rawValue: UInt32
    /// The options with these bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Skip image signature verification.
    public static let image = InsecureOptions(rawValue: 1 << 0)
    /// Accept any TLS certificate.
    public static let tls = InsecureOptions(rawValue: 1 << 1)
    /// Accepted for compatibility and ignored: `parse` clears it.
    public static let ondisk = InsecureOptions(rawValue: 1 << 2)
    /// Allow plain HTTP for images, signatures, discovery and keys.
    public static let http = InsecureOptions(rawValue: 1 << 3)
    /// Allow signing keys fetched over insecure connections.
    public static let pubkey = InsecureOptions(rawValue: 1 << 4)
    /// stage1 `--disable-capabilities-restriction`.
    public static let capabilities = InsecureOptions(rawValue: 1 << 5)
    /// stage1 `--disable-paths`.
    public static let paths = InsecureOptions(rawValue: 1 << 6)
    /// stage1 `--disable-seccomp`.
    public static let seccomp = InsecureOptions(rawValue: 1 << 7)

    /// `all-fetch` = image, tls, http, pubkey.
    public static let allFetch: InsecureOptions = [.image, .tls, .http, .pubkey]
    /// `all-run` = capabilities, paths, seccomp (and the ignored ondisk).
    public static let allRun: InsecureOptions = [.ondisk, .capabilities, .paths, .seccomp]
    /// `all`.
    public static let all: InsecureOptions = [.allFetch, .allRun]

    /// The accepted words in rkt's help order.
    public static let names: [String] = [
        "none", "image", "tls", "ondisk", "http", "pubkey", "capabilities",
        "paths", "seccomp", "all-fetch", "all-run", "all",
    ]

    private static let values: [String: InsecureOptions] = [
        "none": [], "image": .image, "tls": .tls, "ondisk": .ondisk, "http": .http, "pubkey": .pubkey,
        "capabilities": .capabilities, "paths": .paths, "seccomp": .seccomp,
        "all-fetch": .allFetch, "all-run": .allRun, "all": .all,
    ]

    /// Parses rkt's comma list (case-insensitive; each use of the flag replaces the
    /// previous value). Errors carry rkt's text: `unknown option "bogus"`,
    /// `duplicated option "tls"`; the CLI wraps them as pflag does
    /// (`invalid argument "bogus" for --insecure-options=bogus: unknown option "bogus"`).
    public static func parse(_ text: String) throws(FetchError) -> InsecureOptions {
        var result: InsecureOptions = []
        if text.isEmpty { return result }
        var seen: Set<String> = []
        for word in text.lowercased().split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard let value = values[word] else { throw FetchError("unknown option \(goQuote(word))") }
            guard seen.insert(word).inserted else { throw FetchError("duplicated option \(goQuote(word))") }
            result.formUnion(value)
        }
        result.remove(.ondisk)
        return result
    }

    /// The set bits as rkt's words, comma-separated, `none` when empty.
    public var description: String {
        let single: [(String, InsecureOptions)] = [
            ("image", .image), ("tls", .tls), ("ondisk", .ondisk),
            ("http", .http), ("pubkey", .pubkey),
            ("capabilities", .capabilities), ("paths", .paths),
            ("seccomp", .seccomp),
        ]
        let words = single.filter { contains($0.1) }.map(\.0)
        return words.isEmpty ? "none" : words.joined(separator: ",")
    }
}
