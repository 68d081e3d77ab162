import AppcSchema
import Foundation
import ImageFetch
import ImageStore
import TestSupport
import Testing

/// An HTTPS server with discovery pages for `127.0.0.1/app`, a signed image for
/// `latest` and `1.0.0`, and the signing key at `/pubkeys.gpg`.
final class DiscoveryFixture: @unchecked Sendable {
    let s: Setup
    let server: TestServer
    let latest: ACIFactory.Image
    let versioned: ACIFactory.Image
    let keys: GPGKeys

    init(https: Bool = true) throws {
        keys = try GPGKeys.get()
        s = try Setup()
        let root = s.dir.mkdir("www")
        let images = s.dir.mkdir("www/images/127.0.0.1")
        latest = try ACIFactory.make(in: images, file: "app-latest-linux-amd64.aci", name: "127.0.0.1/app")
        versioned = try ACIFactory.make(
            in: images, file: "app-1.0.0-linux-amd64.aci", name: "127.0.0.1/app",
            labels: [("version", "1.0.0"), ("os", "linux"), ("arch", "amd64")], content: "v1")
        try keys.sign(latest.path, with: keys.trusted)
        try keys.sign(versioned.path, with: keys.trusted)
        try writeFile(root + "/pubkeys.gpg", keys.trustedArmored)
        server = try TestServer(root: root, https: https)
        let discovery = s.dir.mkdir("www/discovery")
        try writeFile(
            discovery + "/app.html",
            """
            <html><head>
            <meta name="ac-discovery" content="127.0.0.1 \(server.base)/images/{name}-{version}-{os}-{arch}.{ext}">
            <meta name="ac-discovery-pubkeys" content="127.0.0.1 \(server.base)/pubkeys.gpg">
            </head></html>
            """)
    }

    func options(_ insecure: InsecureOptions = [.http, .tls], policy: PullPolicy = .update, debug: Bool = true) -> FetchOptions {
        var o = s.options(insecure, policy: policy, debug: debug)
        o.discoveryPort = server.port
        return o
    }

    func trust(prefix: String = "127.0.0.1/app") throws {
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: prefix)
    }
}

@Suite struct DiscoveryFetchTests {
    @Test func fetchesByNameThroughDiscovery() throws {
        let f = try DiscoveryFixture()
        try f.trust()
        let log = LogLines()
        let record = try f.s.fetcher(f.options(), log: log).fetch("127.0.0.1/app")
        #expect(record.key == f.latest.key)
        #expect(record.latest)
        let aci = "\(f.server.base)/images/127.0.0.1/app-latest-linux-amd64.aci"
        #expect(
            log.lines == [
                "image: searching for app image 127.0.0.1/app",
                "image: remote fetching from URL \"\(aci)\"",
                "image: fetching image from \(aci)",
                "image: warning: TLS verification has been disabled",
                "image: keys already exist for prefix \"127.0.0.1/app\", not fetching again",
                "image: downloading signature from \(aci).asc",
                "image: signature verified:\n  Test ACI Signer <signer@example.com>",
            ])
        #expect(
            f.server.requests == [
                "GET /app?ac-discovery=1", "GET /images/127.0.0.1/app-latest-linux-amd64.aci.asc",
                "GET /images/127.0.0.1/app-latest-linux-amd64.aci",
            ])
        // A version is a label: another image, not marked latest.
        let v1 = try f.s.fetcher(f.options(debug: false), log: LogLines()).fetch("127.0.0.1/app:1.0.0")
        #expect(v1.key == f.versioned.key)
        #expect(!v1.latest)
        // By name, the store prefers the latest-marked one.
        #expect(try f.s.store.record(name: "127.0.0.1/app", labels: []).key == f.latest.key)
    }

    @Test func pullPoliciesForNames() throws {
        let f = try DiscoveryFixture()
        try f.trust()
        let never = expectFetchError { _ = try f.s.fetcher(f.options(policy: .never), log: LogLines()).fetch("127.0.0.1/app") }
        #expect(
            never?.message
                == #"unable to fetch image from image name "127.0.0.1/app": either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled"#
        )
        #expect(try f.s.fetcher(f.options(policy: .new), log: LogLines()).fetch("127.0.0.1/app").key == f.latest.key)
        let count = f.server.requests.count
        let log = LogLines()
        #expect(try f.s.fetcher(f.options(policy: .new), log: log).fetch("127.0.0.1/app").key == f.latest.key)
        #expect(log.lines == ["image: using image from local store for image name 127.0.0.1/app"])
        #expect(try f.s.fetcher(f.options(policy: .never), log: LogLines()).fetch("127.0.0.1/app").key == f.latest.key)
        #expect(f.server.requests.count == count)
        // update goes to the network again.
        #expect(try f.s.fetcher(f.options(policy: .update), log: LogLines()).fetch("127.0.0.1/app").key == f.latest.key)
        #expect(f.server.requests.count == count + 3)
    }

    @Test func discoveryFailures() throws {
        let f = try DiscoveryFixture()
        let log = LogLines()
        let failed = expectFetchError { _ = try f.s.fetcher(f.options(), log: log).fetch("127.0.0.1/nothing") }
        #expect(failed?.chain == [#"discovery failed for "127.0.0.1/nothing""#, "discovery failed"])
        #expect(failed?.render(debug: false) == "discovery failed")
        #expect(log.lines.count == 3)
        #expect(log.lines[1].hasPrefix("image: meta tag 'ac-discovery' not found on 127.0.0.1/nothing\n  └─Get \"http://127.0.0.1:\(f.server.port)/nothing?ac-discovery=1\": "))
        // Without insecure TLS the self-signed certificate stops discovery.
        let strict = expectFetchError { _ = try f.s.fetcher(f.options([]), log: LogLines()).fetch("127.0.0.1/app") }
        #expect(strict?.message == "discovery failed")
        // A label the image lacks.
        try f.trust()
        let os = expectFetchError { _ = try f.s.fetcher(f.options(), log: LogLines()).fetch("127.0.0.1/app,os=freebsd,arch=amd64") }
        #expect(os?.message == "bad HTTP status code: 404")
        let arch = expectFetchError { _ = try f.s.fetcher(f.options(), log: LogLines()).fetch("127.0.0.1/app,arch=bogus") }
        #expect(
            arch?.chain == [
                #"invalid Appc distribution "127.0.0.1/app,arch=bogus""#,
                #"bad arch "bogus" for linux (must be one of: [amd64 i386 aarch64 aarch64_be armv6l armv7l armv7b ppc64 ppc64le s390x])"#,
            ])
        #expect(f.s.rowCount == 0)
    }

    @Test func untrustedDiscoveredImageFailsEarly() throws {
        let f = try DiscoveryFixture()
        // Keys for another prefix only: with insecure TLS and no `pubkey` option no key is fetched.
        try trustKey(f.keys.untrustedArmored, fingerprint: f.keys.untrusted, config: f.s.local, prefix: "127.0.0.1/app")
        let log = LogLines()
        let error = expectFetchError { _ = try f.s.fetcher(f.options(debug: false), log: log).fetch("127.0.0.1/app") }
        #expect(error?.message == "openpgp: signature made by unknown entity")
        #expect(
            log.lines == [
                "image: warning: TLS verification has been disabled",
                "image: keys already exist for prefix \"127.0.0.1/app\", not fetching again",
                "image: if you expected the signing key to change, try running:",
                "image:     rkt trust --prefix \"127.0.0.1/app\"",
            ])
        // The image itself was never downloaded.
        #expect(!f.server.requests.contains("GET /images/127.0.0.1/app-latest-linux-amd64.aci"))
        #expect(f.s.rowCount == 0)
    }

    @Test func discoveredKeysTrustedFromHTTPS() throws {
        let f = try DiscoveryFixture()
        var options = f.options([.http, .tls, .pubkey], debug: false)
        options.trustKeysFromHTTPS = true
        let log = LogLines()
        let record = try f.s.fetcher(options, log: log).fetch("127.0.0.1/app")
        #expect(record.key == f.latest.key)
        let fp = f.keys.trusted.lowercased()
        let keyURL = "\(f.server.base)/pubkeys.gpg"
        #expect(log.lines.contains("image: signing keys may be downloaded from an insecure connection"))
        #expect(log.lines.contains("pubkey: prefix: \"127.0.0.1/app\"\nkey: \"\(keyURL)\""))
        #expect(log.lines.contains("STDOUT Trusting \"\(keyURL)\" for prefix \"127.0.0.1/app\" without fingerprint review."))
        #expect(log.lines.contains("STDOUT Added key for prefix \"127.0.0.1/app\" at \"\(f.s.local)/trustedkeys/prefix.d/127.0.0.1/app/\(fp)\""))
        #expect((readText("\(f.s.local)/trustedkeys/prefix.d/127.0.0.1/app/\(fp)") ?? "") == f.keys.trustedArmored)
    }

    @Test func actoolDiscover() throws {
        let f = try DiscoveryFixture()
        let result = try discover(name: "127.0.0.1/app/sub", insecure: true, port: f.server.port)
        let base = f.server.base
        #expect(result.endpointAttempts.map(\.prefix) == ["127.0.0.1/app/sub"])
        #expect(
            result.aciEndpoints == [
                ACIEndpoint(
                    aci: "\(base)/images/127.0.0.1/app/sub-latest-linux-amd64.aci",
                    asc: "\(base)/images/127.0.0.1/app/sub-latest-linux-amd64.aci.asc")
            ])
        #expect(result.publicKeys == ["\(base)/pubkeys.gpg"])
        let walk0 = "discover endpoints walk: prefix: 127.0.0.1/app/sub error: \(result.endpointAttempts[0].error)\n"
        let walk1 = "discover public keys walk: prefix: 127.0.0.1/app/sub error: \(result.publicKeyAttempts.first?.error ?? "")\n"
        #expect(
            result.text == walk0 + walk1
                + "ACI: \(base)/images/127.0.0.1/app/sub-latest-linux-amd64.aci, ASC: \(base)/images/127.0.0.1/app/sub-latest-linux-amd64.aci.asc\n"
                + "PublicKeys: \(base)/pubkeys.gpg\n")
        let versioned = try discover(name: "127.0.0.1/app:2.0,os=linux", insecure: true, port: f.server.port)
        #expect(
            versioned.json == """
                {
                    "ACIEndpoints": [
                        {
                            "ACI": "\(base)/images/127.0.0.1/app-2.0-linux-amd64.aci",
                            "ASC": "\(base)/images/127.0.0.1/app-2.0-linux-amd64.aci.asc"
                        }
                    ],
                    "PublicKeys": [
                        "\(base)/pubkeys.gpg"
                    ]
                }

                """)
        do {
            _ = try discover(name: "127.0.0.1/app", insecure: false, port: f.server.port)
            Issue.record("expected failure")
        } catch {
            #expect(error.message == "error fetching endpoints for 127.0.0.1/app: discovery failed")
        }
        do {
            _ = try discover(name: "Bad/Name", insecure: true, port: f.server.port)
            Issue.record("expected failure")
        } catch {
            #expect(error.message.hasPrefix("Bad/Name: ACIdentifier must contain only lower case"))
        }
    }

    @Test func dependencies() throws {
        let f = try DiscoveryFixture()
        try f.trust()
        let fetcher = f.s.fetcher(f.options(debug: false), log: LogLines())
        // By name and labels: discovered.
        let dependency = Dependency(imageName: try ACIdentifier("127.0.0.1/app"), labels: [try Label(name: "version", value: "1.0.0")])
        #expect(try fetcher.fetchDependency(dependency).key == f.versioned.key)
        // Pinned and in the store: no network at all.
        let count = f.server.requests.count
        let pinned = Dependency(imageName: try ACIdentifier("127.0.0.1/other"), imageID: try ImageHash(f.versioned.key))
        #expect(try fetcher.fetchDependency(pinned).key == f.versioned.key)
        #expect(f.server.requests.count == count)
        // Pinned to another ID: the store refuses the download.
        let wrong = "sha512-" + String(repeating: "0", count: 64)
        let mismatch = Dependency(imageName: try ACIdentifier("127.0.0.1/app"), imageID: try ImageHash(wrong))
        #expect(throws: StoreError.hashMismatch(expected: wrong, actual: f.latest.key)) {
            _ = try fetcher.fetchDependency(mismatch)
        }
        #expect(f.s.rowCount == 1)
        // rkt fetch follows an image's dependencies by name.
        let parent = try ACIFactory.make(
            in: f.s.files, file: "parent.aci", name: "example.com/parent",
            dependencies: #"[{"imageName":"127.0.0.1/app"}]"#)
        var options = f.options([.http, .tls, .image], debug: false)
        options.withDependencies = true
        _ = try f.s.fetcher(options, log: LogLines()).fetch(parent.path)
        #expect(try f.s.store.record(name: "127.0.0.1/app", labels: []).key == f.latest.key)
        #expect(f.s.rowCount == 3)
    }
}
