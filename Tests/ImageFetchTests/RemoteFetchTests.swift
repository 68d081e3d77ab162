import Foundation
import Glibc
import ImageFetch
import ImageStore
import TestSupport
import Testing

@Suite struct RemoteFetchTests {
    /// A signed image served by a plain HTTP server, its key trusted for its name.
    func servedImage(_ s: Setup, https: Bool = false, name: String = "example.com/busybox") throws -> (TestServer, ACIFactory.Image) {
        let keys = try GPGKeys.get()
        let root = s.dir.mkdir("www")
        let image = try ACIFactory.make(in: root, file: "busybox.aci", name: name)
        try keys.sign(image.path, with: keys.trusted)
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: name)
        return (try TestServer(root: root, https: https), image)
    }

    @Test func plainHTTPNeedsTheInsecureOption() throws {
        let s = try Setup()
        let (server, image) = try servedImage(s)
        let url = server.base + "/busybox.aci"
        let refused = expectFetchError { _ = try s.fetcher(s.options(), log: LogLines()).fetch(url) }
        #expect(refused?.message == "plain HTTP is not allowed for \"\(server.base)/busybox.aci.asc\" (use --insecure-options=http)")
        #expect(server.requests.isEmpty)
        let log = LogLines()
        let record = try s.fetcher(s.options([.http]), log: log).fetch(url)
        #expect(record.key == image.key)
        #expect(
            log.lines == [
                "image: remote fetching from URL \"\(url)\"",
                "image: fetching image from \(url)",
                "image: downloading signature from \(server.base)/busybox.aci.asc",
                "image: signature verified:\n  Test ACI Signer <signer@example.com>",
            ])
        #expect(server.requests == ["GET /busybox.aci.asc", "GET /busybox.aci"])
        #expect(s.tmpEntries.isEmpty)
    }

    @Test func httpsWithSelfSignedCertificate() throws {
        try requireTool("openssl", package: "openssl")
        let s = try Setup()
        let (server, image) = try servedImage(s, https: true)
        let url = server.base + "/busybox.aci"
        let refused = expectFetchError { _ = try s.fetcher(s.options(), log: LogLines()).fetch(url) }
        #expect(refused?.chain.first == "error downloading the signature file")
        #expect(refused?.message.hasPrefix("Get \"\(server.base)/busybox.aci.asc\": ") == true)
        #expect(refused?.message.contains("certificate") == true)
        let log = LogLines()
        let record = try s.fetcher(s.options([.tls], debug: false), log: log).fetch(url)
        #expect(record.key == image.key)
        #expect(
            log.lines == [
                "image: warning: TLS verification has been disabled",
                "image: signature verified:\n  Test ACI Signer <signer@example.com>",
            ])
    }

    @Test func pullPoliciesForURLs() throws {
        let s = try Setup()
        let (server, image) = try servedImage(s)
        let url = server.base + "/busybox.aci"
        let never = expectFetchError { _ = try s.fetcher(s.options([.http], policy: .never), log: LogLines()).fetch(url) }
        #expect(
            never?.message
                == "unable to fetch image from URL \"\(url)\": either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled"
        )
        #expect(try s.fetcher(s.options([.http], policy: .new), log: LogLines()).fetch(url).key == image.key)
        #expect(server.requests.count == 2)
        // new and never now use the store without the network.
        let log = LogLines()
        #expect(try s.fetcher(s.options([.http], policy: .new), log: log).fetch(url).key == image.key)
        #expect(log.lines == ["image: using image from local store for url \(url)"])
        #expect(try s.fetcher(s.options([.http], policy: .never), log: LogLines()).fetch(url).key == image.key)
        #expect(server.requests.count == 2)
        // update downloads again.
        #expect(try s.fetcher(s.options([.http], policy: .update), log: LogLines()).fetch(url).key == image.key)
        #expect(server.requests.count == 4)
        #expect(s.rowCount == 1)
    }

    @Test func cacheHeadersAreHonoured() throws {
        let s = try Setup()
        let (server, image) = try servedImage(s)
        try writeFile(server.root + "/busybox.aci.headers", "ETag: \"v1\"\n")
        let url = server.base + "/busybox.aci"
        #expect(try s.fetcher(s.options([.http, .image]), log: LogLines()).fetch(url).key == image.key)
        // The server answers 304 to the stored ETag.
        #expect(try s.fetcher(s.options([.http, .image]), log: LogLines()).fetch(url).key == image.key)
        #expect(server.requests.count == 2)
        // With a max-age the second fetch does not even ask.
        try writeFile(server.root + "/busybox.aci.headers", "Cache-Control: max-age=600\n")
        let fresh = try Setup()
        #expect(try fresh.fetcher(fresh.options([.http, .image]), log: LogLines()).fetch(url).key == image.key)
        let log = LogLines()
        #expect(try fresh.fetcher(fresh.options([.http, .image]), log: log).fetch(url).key == image.key)
        #expect(log.lines.last == "image: image for \(url) isn't expired, not fetching.")
        #expect(server.requests.count == 3)
    }

    @Test func badStatusAndDeferredSignature() throws {
        let s = try Setup()
        let (server, image) = try servedImage(s)
        let missing = expectFetchError { _ = try s.fetcher(s.options([.http, .image]), log: LogLines()).fetch(server.base + "/nope.aci") }
        #expect(missing?.message == "bad HTTP status code: 404")
        #expect(missing?.chain.first == "error downloading ACI")
        try FileManager.default.createDirectory(atPath: server.root + "/defer", withIntermediateDirectories: true)
        let log = LogLines()
        let record = try s.fetcher(s.options([.http], debug: false), log: log).fetch(server.base + "/defer/busybox.aci")
        #expect(record.key == image.key)
        #expect(log.lines.first == "image: server requested deferring the signature download")
        #expect(server.requests == ["GET /nope.aci", "GET /defer/busybox.aci.asc", "GET /defer/busybox.aci", "GET /defer/busybox.aci.asc"])
    }

    @Test func interruptedDownloadLeavesNothing() throws {
        let s = try Setup()
        let (server, _) = try servedImage(s)
        let error = expectFetchError { _ = try s.fetcher(s.options([.http, .image]), log: LogLines()).fetch(server.base + "/truncate/busybox.aci") }
        #expect(error?.chain.first == "error downloading ACI")
        #expect(error?.message.contains("transfer closed") == true)
        #expect(s.blobCount == 0)
        #expect(s.rowCount == 0)
        #expect(s.tmpEntries.isEmpty)
    }

    /// A server whose body never ends: counted as it streams and stopped at the image size
    /// limit (a 200), or never read (an error status), with nothing left in the store.
    @Test(.timeLimit(.minutes(1))) func endlessBodiesStopAtTheLimit() throws {
        let s = try Setup()
        let (server, _) = try servedImage(s)
        var options = s.options([.http, .image])
        options.maxImageSize = 1 << 20
        for path in ["/endless/200/x.aci", "/endless/200/length/x.aci"] {
            let error = expectFetchError { _ = try s.fetcher(options, log: LogLines()).fetch(server.base + path) }
            #expect(error?.chain.first == "error downloading ACI", "\(path): \(String(describing: error))")
            #expect(error?.message == "Get \"\(server.base + path)\": response body larger than 1048576 bytes (raise the limit with RKT_MAX_IMAGE_SIZE)")
        }
        for path in ["/endless/404/x.aci", "/endless/500/x.aci"] {
            let error = expectFetchError { _ = try s.fetcher(options, log: LogLines()).fetch(server.base + path) }
            #expect(error?.message == "bad HTTP status code: \(path.split(separator: "/")[1])", "\(path): \(String(describing: error))")
        }
        #expect(s.blobCount == 0)
        #expect(s.rowCount == 0)
        #expect(s.tmpEntries.isEmpty)
        // What the server managed to send before the client went: bounded by the limit
        // (plus socket buffers), and nothing at all read of a Content-Length over it.
        usleep(200_000)
        let sent = server.requests.filter { $0.hasPrefix("ENDLESS-SENT ") }.compactMap { Int($0.dropFirst(13)) }
        #expect(sent.count == 4 && sent.allSatisfy { $0 < 64 << 20 }, "\(server.requests)")
    }

    @Test func concurrentFetchesOfOneImage() throws {
        let s = try Setup()
        let (server, image) = try servedImage(s)
        let url = server.base + "/busybox.aci"
        // Two processes and two threads at once.
        let children = try (0..<2).map { i in try startChild(store: s.store.directory, url: url, config: s.local, result: s.dir.path + "/result\(i)") }
        let results = LogLines()
        let threads = (0..<2).map { _ in
            Thread {
                do {
                    results.append(try s.fetcher(s.options([.http], debug: false), log: LogLines()).fetch(url).key)
                } catch {
                    results.append("error: \(error)")
                }
            }
        }
        threads.forEach { $0.start() }
        for child in children { child.waitUntilExit() }
        for _ in 0..<600 where results.lines.count < 2 { usleep(50_000) }
        #expect(results.lines == [image.key, image.key])
        #expect((readText(s.dir.path + "/result0") ?? "") == image.key)
        #expect((readText(s.dir.path + "/result1") ?? "") == image.key)
        #expect(s.blobCount == 1)
        #expect(s.rowCount == 1)
        #expect(s.tmpEntries.isEmpty)
        #expect(server.requests.filter { $0 == "GET /busybox.aci" }.count == 4)
    }

    /// Starts the `fetch-child` helper (built beside the test bundle): it fetches `url`
    /// into the store at `store` and writes the key, or the error, to `result`.
    func startChild(store: String, url: String, config: String, insecure: String = "http", result: String) throws -> Process {
        let helper = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fetch-child")
        guard FileManager.default.isExecutableFile(atPath: helper.path) else {
            throw HarnessError("\(helper.path) is missing: run `swift build --build-tests` (it builds the helper)")
        }
        let child = Process()
        child.executableURL = helper
        child.arguments = [store, url, config, insecure, result]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try spawn(child)
        return child
    }

    @Test func killedFetchLeavesNothing() throws {
        let s = try Setup()
        let (server, _) = try servedImage(s)
        let child = try startChild(
            store: s.store.directory, url: server.base + "/slow/busybox.aci", config: s.local,
            insecure: "http,image", result: s.dir.path + "/result")
        var sent = false
        for _ in 0..<400 where !sent {
            sent = server.requests.contains("SLOW-SENT")
            if !sent { usleep(25_000) }
        }
        #expect(sent)
        usleep(200_000)
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(s.blobCount == 0)
        #expect(s.rowCount == 0)
        #expect(s.tmpEntries.isEmpty)
    }
}
