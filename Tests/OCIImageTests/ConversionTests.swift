import AppcSchema
import Glibc
import ImageKit
import LinuxSystem
import OCIImage
import TestSupport
import Testing

struct SquashTests {
    typealias E = TarWriter.Entry

    @Test func whiteoutsAndOpaqueDirectoriesHideLowerFiles() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("layout"))
        let base = try layout.layer([
            .directory("etc"), .file("etc/passwd", "root:x:0:0::/:/bin/sh\n"), .file("etc/gone", "old"),
            .directory("opq"), .file("opq/old", "old"), .directory("tree"), .directory("tree/sub"), .file("tree/sub/f", "f"),
            .file("keep", "base"),
        ])
        let top = try layout.layer([
            .file("etc/.wh.gone", ""), .directory("opq"), .file("opq/.wh..wh..opq", ""), .file("opq/new", "new"),
            .file(".wh.tree", ""), .file("keep", "top"), .file("added", "a"),
        ])
        layout.image(layers: [base, top], runConfig: #"{"Entrypoint":["/bin/app"],"Cmd":["--flag"],"User":"nobody","Env":["A=1","B=x=y","A=2"]}"#, name: "v1")
        let out = s.file("out.aci")
        let written = try convertSquashed("oci:\(layout.path):v1", to: out, scratch: s)
        let list = try entries(of: out)
        #expect(list.first?.name == "manifest")
        #expect(list.dropFirst().first?.name == "rootfs")
        let names = rootfsNames(list)
        #expect(Set(names) == ["opq", "opq/new", "keep", "added", "dev/stdin", "dev/stdout", "dev/stderr", "dev/fd", "etc", "etc/passwd"])
        #expect(list.first { $0.name == "rootfs/keep" }?.text == "top")
        #expect(list.first { $0.name == "rootfs/dev/stdout" }?.link == "/dev/console")
        // The top layer first: an upper layer's files come before the lower layers' ones.
        #expect(names.firstIndex(of: "added")! < names.firstIndex(of: "etc/passwd")!)

        let manifest = written.manifest
        #expect(manifest.name.value == "layout")
        #expect(manifest.labels.map { "\($0.name)=\($0.value)" } == ["arch=amd64", "os=linux", "version=v1"])
        #expect(manifest.app?.exec == ["/bin/app", "--flag"])
        #expect(manifest.app?.user == "nobody")
        #expect(manifest.app?.group == "nobody")
        #expect(manifest.app?.environment.map { "\($0.name)=\($0.value)" } == ["A=2", "B=x=y"])
        #expect(manifest.annotation("appc.io/docker/entrypoint") == #"["/bin/app"]"#)
        #expect(manifest.annotation("appc.io/docker/cmd") == #"["--flag"]"#)
        #expect(manifest.annotation("created") == "2024-01-02T03:04:05Z")
        #expect(manifest.annotation("appc.io/docker/tag") == "v1")
        #expect(manifest.dependencies.isEmpty && manifest.pathWhitelist.isEmpty)

        // Converting the same image again gives the same bytes, so the same image ID.
        let again = try convertSquashed("oci:\(layout.path):v1", to: s.file("again.aci"), scratch: s)
        #expect(again.id == written.id)
        #expect(written.id.description == "sha512-" + (try fileSHA512(out)))
    }

    @Test func portsVolumesAndUsersAsDocker2aci() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("app.d"))
        let layer = try layout.layer([.file("x", "x")])
        layout.image(
            layers: [layer],
            runConfig: #"{"User":"1000:50","WorkingDir":"/srv","ExposedPorts":{"8080/tcp":{},"53/udp":{},"9000":{}},"Volumes":{"/data":{},"/var/log":{}}}"#)
        let written = try convertSquashed("oci:\(layout.path)", to: s.file("o.aci"), scratch: s)
        let app = try #require(written.manifest.app)
        #expect(app.user == "1000" && app.group == "50")
        #expect(app.workingDirectory == "/srv")
        #expect(app.ports.map { "\($0.name) \($0.protocol) \($0.port)" } == ["53-udp udp 53", "8080-tcp tcp 8080", "9000 tcp 9000"])
        #expect(app.mountPoints.map { "\($0.name) \($0.path)" } == ["volume-data /data", "volume-var-log /var/log"])
        #expect(written.manifest.name.value == "app")
        #expect(written.manifest.label("version") == "latest")
        #expect(written.manifest.annotation("appc.io/docker/cmd") == nil)
    }

    @Test func hardLinksKeepTheirContentWhenAnUpperLayerReplacesTheTarget() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("layout"))
        let base = try layout.layer([
            .file("bin/perl", "old perl"), E(name: "bin/perl5", kind: .hardlink("bin/perl")), E(name: "bin/perl6", kind: .hardlink("bin/perl")),
            .file("lib/a", "a"), E(name: "lib/b", kind: .hardlink("lib/a")),
        ])
        let middle = try layout.layer([E(name: "lib/c", kind: .hardlink("lib/a"))])
        let top = try layout.layer([.file("bin/perl", "new perl")])
        layout.image(layers: [base, middle, top])
        let out = s.file("out.aci")
        try convertSquashed("oci:\(layout.path)", to: out, scratch: s)
        let list = try entries(of: out)
        func entry(_ name: String) -> WrittenEntry? { list.first { $0.name == "rootfs/" + name } }
        #expect(entry("bin/perl")?.text == "new perl")
        // perl5 and perl6 were links to the replaced file: the first gets the old content, the other links to it.
        #expect(entry("bin/perl5")?.text == "old perl")
        #expect(entry("bin/perl6")?.kind == .hardlink && entry("bin/perl6")?.link == "rootfs/bin/perl5")
        #expect(entry("lib/b")?.link == "rootfs/lib/a")
        // A link to a file of a lower layer comes after that file.
        #expect(entry("lib/c")?.link == "rootfs/lib/a")
        let names = list.map(\.name)
        #expect(names.firstIndex(of: "rootfs/lib/a")! < names.firstIndex(of: "rootfs/lib/c")!)
        let stream = try ACIStream(path: out, pipelined: false)
        defer { stream.close() }
        _ = try ImageValidator.validateArchive(try TarReader(stream, hashing: false))
    }

    @Test func layersThatLeaveTheRootAreRefused() throws {
        let cases: [([E], String)] = [
            ([.file("../escape", "x")], #"entry "../escape" is outside the image's root"#),
            ([.file("a/../../escape", "x")], #"entry "a/../../escape" is outside the image's root"#),
            ([.file("../.wh.x", "")], #"entry "../.wh.x" is outside the image's root"#),
            ([.file("a", "x"), E(name: "b", kind: .hardlink("../../etc/shadow"))], #"hard link target "../../etc/shadow" is outside the image's root"#),
            ([E(name: "evil", kind: .symlink("/etc")), .file("evil/passwd", "x")], #""evil/passwd" is below a file or link of the same layer"#),
            ([.file("dev", "x")], #"invalid layer: "/dev" is not a directory"#),
            ([.directory("d"), .file("d", "x")], #""d" is both a directory and not one"#),
            ([E(name: "lone", kind: .hardlink("missing"))], #"hard link "lone" points to "missing", which no layer below it provides"#),
        ]
        for (layerEntries, message) in cases {
            let s = Scratch()
            defer { s.remove() }
            let layout = OCILayoutWriter(path: s.file("layout"))
            let layer = try layout.layer(layerEntries)
            layout.image(layers: [layer])
            let out = s.file("out.aci")
            do {
                try convertSquashed("oci:\(layout.path)", to: out, scratch: s)
                Issue.record("converted: \(layerEntries.map(\.name))")
            } catch let error as OCIError {
                #expect(error.message.hasSuffix(message), "\(error.message)")
            }
            #expect(access(out, F_OK) != 0)
        }
    }

    @Test func anAbsoluteNameIsTakenBelowTheRoot() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("layout"))
        let layer = try layout.layer([.file("/etc/hosts", "h"), .file("./etc/motd", "m"), E(name: "abs", kind: .symlink("/etc/hosts"))])
        layout.image(layers: [layer])
        let out = s.file("out.aci")
        try convertSquashed("oci:\(layout.path)", to: out, scratch: s)
        let names = rootfsNames(try entries(of: out))
        #expect(names.contains("etc/hosts") && names.contains("etc/motd") && names.contains("abs"))
    }
}

struct LayoutTests {
    @Test func layoutProblemsAreOneLineErrors() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("two"))
        let layer = try layout.layer([.file("a", "a")])
        layout.image(layers: [layer], name: "one")
        layout.image(layers: [layer], name: "two")
        func failure(_ location: String) -> String {
            do {
                try convertSquashed(location, to: s.file("o.aci"), scratch: s)
                return "converted"
            } catch let error as OCIError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("oci:\(layout.path)") == "\(layout.path): the layout holds several images; name one with oci:\(layout.path):NAME (it has: one, two)")
        #expect(failure("oci:\(layout.path):three") == "\(layout.path): no image named \"three\" (it has: one, two)")
        #expect(failure("oci:\(s.file("nothing"))") == "stat \(s.file("nothing")): no such file or directory")
        #expect(failure("oci:\(s.path)") == "\(s.path): not an OCI image layout (no oci-layout file)")
        // A layer whose bytes are not the ones its digest names.
        let hex = String(layer.digest.dropFirst(7))
        let blobPath = layout.path + "/blobs/sha256/" + hex
        var bytes = try Files.readFile(blobPath, limit: 1 << 20)
        bytes[bytes.count - 5] ^= 0xff
        try Files.writeFile(blobPath, bytes)
        #expect(failure("oci:\(layout.path):one") == "\(layout.path): layer \(layer.digest): digest mismatch: expected \(layer.digest), got \(sha256Text(bytes))")
        unlink(blobPath)
        #expect(failure("oci:\(layout.path):one") == "\(layout.path): blob \(layer.digest) is missing")
    }

    @Test func indexesResolveToThisMachine() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("multi"))
        let layer = try layout.layer([.file("a", "a")])
        let arm = layout.image(layers: [layer], architecture: "arm64", name: nil)
        let amd = layout.image(layers: [layer], architecture: "amd64", name: nil)
        // Replace the index by one naming a nested index of the two platforms.
        let nested = layout.blob(
            Array(
                #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(arm.digest)","size":\#(arm.size),"platform":{"os":"linux","architecture":"arm64"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(amd.digest)","size":\#(amd.size),"platform":{"os":"linux","architecture":"amd64"}}]}"#
                    .utf8))
        try Files.writeFile(
            layout.path + "/index.json",
            Array(
                #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"\#(nested.digest)","size":\#(nested.size),"annotations":{"org.opencontainers.image.ref.name":"multi"}}]}"#
                    .utf8))
        let written = try convertSquashed("oci:\(layout.path):multi", to: s.file("o.aci"), scratch: s)
        #expect(written.manifest.annotation("appc.io/docker/manifesthash") == amd.digest)
        do {
            _ = try LocalImage.open(.ociLayout(path: layout.path, name: "multi"), scratch: s.path, platform: OCIPlatform(os: "linux", architecture: "s390x"))
            Issue.record("an index without s390x resolved")
        } catch {
            #expect(error.message.hasSuffix("no image for linux/s390x (it has: linux/arm64, linux/amd64)"), "\(error.message)")
        }
    }
}

func sha256Text(_ bytes: [UInt8]) -> String {
    let hasher = ContentHasher(.sha256)
    hasher.update(bytes)
    return "sha256:" + hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func fileSHA512(_ path: String) throws -> String {
    let hasher = ContentHasher()
    hasher.update(try Files.readFile(path, limit: 1 << 30))
    return hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

struct LayerImageTests {
    @Test func eachLayerListsThePathsOfTheLayersUpToIt() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("app"))
        let base = try layout.layer([.directory("a"), .file("a/x", "x"), .directory("o"), .file("o/old", "o"), .file("keep", "k")])
        let top = try layout.layer([.file(".wh.a", ""), .directory("a"), .file("a/y", "y"), .directory("o"), .file("o/.wh..wh..opq", "")])
        layout.image(layers: [base, top], name: "v2")
        let image = try LocalImage.open(.ociLayout(path: layout.path, name: "v2"), scratch: s.path)
        var stack = LayerImageStack()
        var written: [ConvertedImage] = []
        for index in image.input.layers.indices {
            let file = try AtomicFile(path: s.file("l\(index).aci"))
            let one = try ACIConverter.writeLayer(image.input, index: index, over: stack, to: file.fd, path: "l\(index)", compression: .none)
            try file.commit(replace: true)
            try stack.add(one.manifest, id: one.id.description)
            written.append(one)
        }
        let lower = written[0].manifest
        #expect(lower.name.value == "app-\(image.input.layers[0].digest.algorithm)-\(image.input.layers[0].digest.hex)")
        #expect(lower.labels.map(\.name.value) == ["arch", "os"])
        #expect(lower.app == nil)
        #expect(lower.pathWhitelist == ["/a", "/a/x", "/dev/fd", "/dev/stderr", "/dev/stdin", "/dev/stdout", "/keep", "/o", "/o/old"])
        let upper = written[1].manifest
        #expect(upper.name.value == "app-sha256_" + image.input.layers[1].digest.hex)
        // The lower /a is whited out and /a made again: /a/x goes, /a and /a/y stay; /o's old contents go.
        #expect(upper.pathWhitelist == ["/a", "/a/y", "/dev/fd", "/dev/stderr", "/dev/stdin", "/dev/stdout", "/keep", "/o"])
        #expect(upper.dependencies.map(\.imageID?.description) == [written[0].id.description])
        #expect(upper.app?.exec == ["/bin/sh"])
        // The manifest comes last, as docker2aci writes a layer's image.
        #expect(try entries(of: s.file("l1.aci")).last?.name == "manifest")
    }
}

struct CompressionAndLimitTests {
    @Test func layersInEveryCompressionDockerAndOCIUse() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("layout"))
        let plain = try layout.layer([.file("plain", "p")], compression: .none)
        let gzip = try layout.layer([.file("gzip", "g")], compression: .gzip)
        let zstd = try layout.layer([.file("zstd", "z")], compression: .zstd)
        let xz = try layout.layer([.file("xz", "x")], compression: .xz)
        layout.image(layers: [plain, gzip, zstd, xz])
        let out = s.file("out.aci")
        try convertSquashed("oci:\(layout.path)", to: out, scratch: s)
        let names = Set(rootfsNames(try entries(of: out)))
        #expect(names.isSuperset(of: ["plain", "gzip", "zstd", "xz"]))
    }

    @Test func hugeConfigsAndTruncatedLayersAreRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("layout"))
        let layer = try layout.layer([.file("a", String(repeating: "a", count: 100_000))])
        layout.image(layers: [layer], runConfig: #"{"Env":["BIG=\#(String(repeating: "x", count: 9 << 20))"]}"#)
        do {
            try convertSquashed("oci:\(layout.path)", to: s.file("o.aci"), scratch: s)
            Issue.record("a 9 MiB config was read")
        } catch let error as OCIError {
            #expect(error.message.hasSuffix("is larger than 8 MiB"), "\(error.message)")
        }

        // A layer cut short (its descriptor's size and digest say the same, a damaged writer).
        let cut = OCILayoutWriter(path: s.file("cut"))
        let whole = try cut.layer([.file("a", String(repeating: "a", count: 100_000))], compression: .gzip)
        let path = cut.path + "/blobs/sha256/" + whole.digest.dropFirst(7)
        let truncated = Array(try Files.readFile(path, limit: 1 << 20).dropLast(20))
        unlink(path)
        let short = cut.blob(truncated)
        cut.image(layers: [short])
        do {
            try convertSquashed("oci:\(cut.path)", to: s.file("o.aci"), scratch: s)
            Issue.record("a truncated layer was converted")
        } catch let error as OCIError {
            #expect(error.message.hasPrefix("layer \(short.digest): "), "\(error.message)")
        }
        #expect(access(s.file("o.aci"), F_OK) != 0)
    }
}
