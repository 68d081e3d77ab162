import Foundation
import TestSupport
import Testing

/// rkt 1.30's refusals in `rkt trust` (rkt/trust.go), before any key is read.
@Suite struct TrustCommandTests {
    @Test func implicitRootTrustIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        let key = s.file("key.asc")
        _ = FileManager.default.createFile(atPath: key, contents: Data("not read\n".utf8))
        let config = ["--local-config=\(s.file("etc"))", "--system-config=\(s.file("usr"))"]
        func trust(_ args: [String]) -> RunResult {
            var arguments = ["trust"] + args
            arguments.insert(contentsOf: config, at: 1)
            return rkt(s.path, arguments: arguments)
        }
        let implicit = trust([key])
        #expect(implicit.code == 254)
        #expect(implicit.out.isEmpty)
        #expect(
            implicit.err == """
                trust: aborting due to implicit unbounded trust (root domain)
                Please provide a specific domain prefix to trust:
                    rkt trust --prefix "example.com/foo" [PUBKEY]
                    rkt trust --prefix "example.com/foo/*" [PUBKEY]
                Otherwise, trust at the root domain (not recommended) must be explicitly requested:
                    rkt trust --root PUBKEY

                """)
        let both = trust(["--root", "--prefix=example.com/app", key])
        #expect(both.code == 254 && both.err == "trust: --root and --prefix usage mutually exclusive\n", "\(both)")
        for (prefix, scheme) in [("https://example.com/app", "https"), ("HTTP://example.com", "http"), ("example.com:8080/app", "example.com")] {
            let result = trust(["--prefix=\(prefix)", key])
            #expect(result.code == 254 && result.err == "trust: --prefix must not contain a URL scheme, omit \(scheme)://\n", "\(result)")
        }
        // Nothing was trusted by any of them.
        #expect(!FileManager.default.fileExists(atPath: s.file("etc/trustedkeys")))
        // No key and no prefix: the usage, as cobra prints it.
        let bare = trust([])
        #expect(bare.code == 254 && bare.out.hasPrefix("NAME:\n\ttrust - Trust a key for image verification\n"), "\(bare)")
    }
}
