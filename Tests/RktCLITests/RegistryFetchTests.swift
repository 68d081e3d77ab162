import Foundation
import ImageStore
import LinuxSystem
import TestSupport
import Testing

/// `rkt fetch docker://` against a real registry (Debian's docker-registry on
/// 127.0.0.1, self-signed), populated with skopeo. Needs docker-registry, skopeo,
/// openssl, curl and python3 (scripts/install-deps.sh installs them).
struct RegistryFetchTests {
    typealias E = TarWriter.Entry

    func layout(_ s: Scratch) throws -> OCILayoutWriter {
        let layout = OCILayoutWriter(path: s.file("layout"))
        let base = try layout.layer([.directory("etc"), .file("etc/passwd", "root:x:0:0::/:/bin/sh\n"), .file("etc/gone", "g")])
        let top = try layout.layer([.file("etc/.wh.gone", ""), .file("app", "binary")])
        layout.image(layers: [base, top], runConfig: #"{"Entrypoint":["/app"]}"#, name: "v1")
        return layout
    }

    @Test func fetchesOverTLSWithTheInsecureOptionsRktNeeds() throws {
        let s = Scratch()
        defer { s.remove() }
        let registry = try RegistryFixture()
        try registry.push("oci:\(try layout(s).path):v1", to: "team/app:v1")
        let dir = s.file("data")
        let image = "docker://\(registry.host)/team/app:v1"

        let unsigned = rkt(dir, "fetch", image)
        #expect(unsigned.code == 254)
        #expect(unsigned.err == "fetch: signature verification for docker images is not supported (try --insecure-options=image)\n")
        let untrusted = rkt(dir, "--insecure-options=image", "fetch", image)
        #expect(untrusted.code == 254)
        #expect(untrusted.err.contains("certificate"), "\(untrusted)")
        #expect(try ImageStore(directory: dir).records().isEmpty)

        let fetched = rkt(dir, "--insecure-options=image,tls", "fetch", image)
        #expect(fetched.code == 0, "\(fetched)")
        let store = try ImageStore(directory: dir)
        let record = try store.record(idPrefix: fetched.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(record.name == "127.0.0.1_\(registry.port)/team/app")
        let manifest = try store.manifest(record.key)
        #expect(manifest.label("version") == "v1")
        #expect(manifest.annotation("appc.io/docker/registryurl") == registry.host)
        #expect(manifest.annotation("appc.io/docker/repository") == "team/app")
        #expect(manifest.annotation("appc.io/docker/originalname") == "\(registry.host)/team/app:v1")
        #expect(manifest.app?.exec == ["/app"])

        // The same manifest again: nothing but the manifest is downloaded, same ID.
        let again = rkt(dir, "--insecure-options=image,tls", "--debug", "fetch", image)
        #expect(again.out == fetched.out)
        #expect(again.err.contains("is unchanged"), "\(again)")
        // pull-policy new uses the store without asking.
        let stored = rkt(dir, "--insecure-options=image", "--debug", "fetch", "--pull-policy=new", image)
        #expect(stored.out == fetched.out)
        #expect(stored.err.contains("using image from local store for url \(image)"), "\(stored)")

        let missing = rkt(dir, "--insecure-options=image,tls", "fetch", "docker://\(registry.host)/team/nope:v1")
        #expect(missing.code == 254)
        #expect(missing.err == "fetch: Unexpected HTTP code: 404, URL: https://\(registry.host)/v2/team/nope/manifests/v1\n", "\(missing)")
        let never = rkt(dir, "--insecure-options=image", "fetch", "--pull-policy=never", "docker://\(registry.host)/team/other")
        #expect(never.err.hasPrefix("fetch: unable to fetch docker image from URL \"docker://\(registry.host)/team/other\": either image"))
        let bad = rkt(dir, "--insecure-options=image", "fetch", "docker://\(registry.host)/Team/app")
        #expect(
            bad.err == "fetch: docker distribution creation error: bad docker URL \"\(registry.host)/Team/app\": invalid reference format: repository name must be lowercase\n")
    }

    /// rkt's auth.d with a dockerAuth entry for the registry.
    func dockerAuth(_ s: Scratch, registry: String, user: String, password: String) throws -> String {
        let config = s.mkdir("etc")
        _ = s.mkdir("etc/auth.d")
        s.write(
            "etc/auth.d/docker.json",
            #"{"rktKind":"dockerAuth","rktVersion":"v1","registries":["\#(registry)"],"credentials":{"user":"\#(user)","password":"\#(password)"}}"#)
        return config
    }

    @Test func basicAndTokenAuthenticationWithRktsDockerAuth() throws {
        for auth in [RegistryFixture.Auth.basic(user: "alice", password: "s3cret"), .token(user: "bob", password: "t0ken")] {
            let s = Scratch()
            defer { s.remove() }
            let registry = try RegistryFixture(auth: auth)
            try registry.push("oci:\(try layout(s).path):v1", to: "private/app:v1")
            let dir = s.file("data")
            let image = "docker://\(registry.host)/private/app:v1"
            let anonymous = rkt(dir, "--insecure-options=image,tls", "fetch", image)
            #expect(anonymous.code == 254)
            if case .basic = auth {
                #expect(anonymous.err == "fetch: unauthorized: \(registry.host) needs credentials: add a dockerAuth entry for it in rkt's auth.d\n", "\(anonymous)")
            } else {
                #expect(anonymous.err == "fetch: unable to retrieve auth token: 401 unauthorized\n", "\(anonymous)")
            }
            let wrong = try dockerAuth(s, registry: registry.host, user: "mallory", password: "guess")
            let refused = rkt(dir, "--local-config=\(wrong)", "--insecure-options=image,tls", "fetch", image)
            #expect(refused.code == 254, "\(refused)")
            try Files.removeTree(wrong)
            let (user, password): (String, String) = {
                switch auth {
                case let .basic(user, password), let .token(user, password): return (user, password)
                case .none: return ("", "")
                }
            }()
            let config = try dockerAuth(s, registry: registry.host, user: user, password: password)
            let fetched = rkt(dir, "--local-config=\(config)", "--insecure-options=image,tls", "fetch", image)
            #expect(fetched.code == 0, "\(fetched)")
            #expect(try ImageStore(directory: dir).records().count == 1)
        }
    }

    @Test func manifestListsResolveToThisMachine() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("multi"))
        let armLayer = try layout.layer([.file("which", "arm64")])
        let amdLayer = try layout.layer([.file("which", "amd64")])
        let arm = layout.image(layers: [armLayer], architecture: "arm64", name: nil)
        let amd = layout.image(layers: [amdLayer], architecture: "amd64", name: nil)
        let entry = { (blob: OCILayoutWriter.Blob, arch: String) in
            #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(blob.digest)","size":\#(blob.size),"platform":{"os":"linux","architecture":"\#(arch)"}}"#
        }
        // skopeo's layout of a multi-platform image: one entry, a nested index.
        func writeIndex(_ entries: [String]) throws {
            let nested = layout.blob(
                Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(entries.joined(separator: ","))]}"#.utf8))
            try Files.writeFile(
                layout.path + "/index.json",
                Array(
                    #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"\#(nested.digest)","size":\#(nested.size),"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}"#
                        .utf8))
        }
        try writeIndex([entry(arm, "arm64"), entry(amd, "amd64")])
        let registry = try RegistryFixture()
        try registry.push("oci:\(layout.path):latest", to: "multi/app:latest", all: true)
        let dir = s.file("data")
        let fetched = rkt(dir, "--insecure-options=image,tls", "fetch", "docker://\(registry.host)/multi/app")
        #expect(fetched.code == 0, "\(fetched)")
        let key = fetched.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let rendered = rkt(dir, "image", "render", "--rootfs-only", key, s.file("root"))
        #expect(rendered.code == 0, "\(rendered)")
        #expect(readText(s.file("root/which")) == "amd64")
        #expect(try ImageStore(directory: dir).manifest(try ImageStore(directory: dir).record(idPrefix: key).key).annotation("appc.io/docker/manifesthash") == amd.digest)

        // A list without this machine's platform.
        try writeIndex([entry(arm, "arm64")])
        try registry.push("oci:\(layout.path):latest", to: "multi/armonly:latest", all: true)
        let none = rkt(dir, "--insecure-options=image,tls", "fetch", "docker://\(registry.host)/multi/armonly")
        #expect(none.code == 254)
        #expect(none.err == "fetch: manifest list of \(registry.host)/multi/armonly:latest: no image for linux/amd64 (it has: linux/arm64)\n", "\(none)")
    }

    @Test func damagedBlobsAreRefusedAndNothingIsStored() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = try layout(s)
        let registry = try RegistryFixture()
        try registry.push("oci:\(layout.path):v1", to: "team/app:v1")
        let dir = s.file("data")
        // The top layer: the one the layout wrote last before the config.
        let manifest = try ImageStoreProbe.layers(of: layout.path)
        let top = try #require(manifest.last)
        var bytes = try Files.readFile(registry.blobFile(top), limit: 1 << 20)
        bytes[bytes.count / 2] ^= 0xff
        try Files.writeFile(registry.blobFile(top), bytes)
        let corrupt = rkt(dir, "--insecure-options=image,tls", "fetch", "docker://\(registry.host)/team/app:v1")
        #expect(corrupt.code == 254)
        #expect(corrupt.err.hasPrefix("fetch: blob \(top): digest mismatch: expected \(top), got sha256:"), "\(corrupt)")
        try Files.writeFile(registry.blobFile(top), Array(bytes.prefix(bytes.count - 10)))
        let truncated = rkt(dir, "--insecure-options=image,tls", "fetch", "docker://\(registry.host)/team/app:v1")
        #expect(truncated.code == 254)
        #expect(truncated.err.contains("truncated"), "\(truncated)")
        #expect(try ImageStore(directory: dir).records().isEmpty)
        #expect(try Files.sortedNames(dir + "/cas/tmp").isEmpty)
    }

    @Test func unsquashedImagesShareTheirLowerLayers() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("layout"))
        let base = try layout.layer([.file("base", "b")])
        let second = try layout.layer([.file("second", "2")])
        let v1 = try layout.layer([.file("version", "1")])
        let v2 = try layout.layer([.file("version", "2")])
        layout.image(layers: [base, second, v1], name: "v1")
        layout.image(layers: [base, second, v2], name: "v2")
        let registry = try RegistryFixture()
        try registry.push("oci:\(layout.path):v1", to: "team/app:v1")
        try registry.push("oci:\(layout.path):v2", to: "team/app:v2")
        let dir = s.file("data")
        let first = rkt(dir, "--insecure-options=image,tls", "fetch", "--no-squash", "docker://\(registry.host)/team/app:v1")
        #expect(first.code == 0, "\(first)")
        // Config and three layers.
        #expect(registry.blobDownloads("team/app") == 4)
        let next = rkt(dir, "--insecure-options=image,tls", "fetch", "--no-squash", "docker://\(registry.host)/team/app:v2")
        #expect(next.code == 0, "\(next)")
        // Config and the one new layer.
        #expect(registry.blobDownloads("team/app") == 6)
        let store = try ImageStore(directory: dir)
        #expect(try store.records().count == 4)
        let rendered = rkt(dir, "image", "render", "--rootfs-only", next.out.trimmingCharacters(in: .whitespacesAndNewlines), s.file("root"))
        #expect(rendered.code == 0, "\(rendered)")
        #expect(try Files.sortedNames(s.file("root")) == ["base", "dev", "second", "version"])
        #expect(readText(s.file("root/version")) == "2")
    }
}

/// Reads what a test's OCI layout holds.
enum ImageStoreProbe {
    /// The layer digests of the layout's first image, base first.
    static func layers(of layout: String) throws -> [String] {
        let index = try Files.readFile(layout + "/index.json", limit: 1 << 20)
        let text = String(decoding: index, as: UTF8.self)
        guard let range = text.range(of: #""digest":"sha256:"#) else { return [] }
        let hex = text[range.upperBound...].prefix(64)
        let manifest = String(decoding: try Files.readFile(layout + "/blobs/sha256/" + hex, limit: 1 << 20), as: UTF8.self)
        let layers = manifest.components(separatedBy: #""layers":"#).last ?? ""
        return layers.components(separatedBy: #""digest":""#).dropFirst().map { String($0.prefix(71)) }
    }
}
