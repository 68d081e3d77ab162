import Glibc
import LinuxSystem
import TestSupport
import Testing

struct ConvertTests {
    @Test func convertsALayoutSquashedOrLayerByLayer() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("app"))
        let base = try layout.layer([.file("etc/passwd", "root:x:0:0::/:/bin/sh\n"), .file("old", "o")])
        let top = try layout.layer([.file(".wh.old", ""), .file("new", "n")])
        layout.image(layers: [base, top], name: "v1")

        let out = s.file("app.aci")
        let r = actool("convert", "oci:\(layout.path):v1", out)
        #expect(r.code == 0 && r.out.isEmpty && r.err.isEmpty, "\(r)")
        #expect(actool("validate", out).code == 0)
        #expect(actool("cat-manifest", out).out.contains(#""name":"app","labels":[{"name":"arch","value":"amd64"},{"name":"os","value":"linux"},{"name":"version","value":"v1"}]"#))

        let again = actool("convert", "oci:\(layout.path):v1", out)
        #expect(again.code == 1)
        #expect(again.err == "convert: create \(out): file exists\n", "\(again)")
        #expect(actool("convert", "--overwrite", "oci:\(layout.path):v1", out).code == 0)

        let split = actool("convert", "--no-squash", "oci:\(layout.path):v1", s.file("split.aci"))
        #expect(split.code == 0, "\(split)")
        #expect(actool("validate", s.file("split.aci"), s.file("split-layer0.aci")).code == 0)
        #expect(access(s.file("split-layer1.aci"), F_OK) != 0)
        #expect(actool("cat-manifest", s.file("split.aci")).out.contains(#""dependencies":[{"imageName":"app-sha256-"#))
    }

    @Test func badSourcesAreOneLineErrors() throws {
        let s = Scratch()
        defer { s.remove() }
        let unknown = actool("convert", "docker-daemon:x", s.file("o.aci"))
        #expect(unknown.code == 1)
        #expect(unknown.err == "convert: docker-daemon:x: unknown source; use docker://REFERENCE, oci:PATH[:NAME] or docker-archive:PATH[:REFERENCE]\n")
        s.write("junk.tar", "not a tar at all")
        let junk = actool("convert", "docker-archive:\(s.file("junk.tar"))", s.file("o.aci"))
        #expect(junk.code == 1)
        #expect(junk.err.hasPrefix("convert: \(s.file("junk.tar")): "), "\(junk)")
        #expect(access(s.file("o.aci"), F_OK) != 0)
        #expect(actool("convert", "oci:x").code == 1)
    }

    /// `docker://` from a real registry (Debian's docker-registry on 127.0.0.1, populated
    /// with skopeo): the same image converted twice is the same ACI, byte for byte.
    @Test func convertsFromARegistry() throws {
        let s = Scratch()
        defer { s.remove() }
        let layout = OCILayoutWriter(path: s.file("app"))
        let base = try layout.layer([.file("etc/passwd", "root:x:0:0::/:/bin/sh\n")])
        let top = try layout.layer([.file("app", "binary")])
        layout.image(layers: [base, top], runConfig: #"{"Entrypoint":["/app"]}"#, name: "v1")
        let registry = try RegistryFixture()
        try registry.push("oci:\(layout.path):v1", to: "team/app:v1")
        let source = "docker://\(registry.host)/team/app:v1"

        let untrusted = actool("convert", source, s.file("a.aci"))
        #expect(untrusted.code == 1)
        #expect(untrusted.err.hasPrefix("convert: Get \"https://\(registry.host)/v2/\": SSL certificate problem"), "\(untrusted)")
        for name in ["a.aci", "b.aci"] {
            let r = actool("convert", "--insecure", "--no-compression", source, s.file(name))
            #expect(r.code == 0, "\(r)")
        }
        #expect(try Files.readFile(s.file("a.aci"), limit: 1 << 20) == (try Files.readFile(s.file("b.aci"), limit: 1 << 20)))
        #expect(actool("validate", s.file("a.aci")).code == 0)
        let manifest = actool("cat-manifest", s.file("a.aci")).out
        #expect(manifest.contains(#""name":"127.0.0.1_\#(registry.port)/team/app""#), "\(manifest)")
        let missing = actool("convert", "--insecure", "docker://\(registry.host)/team/nope", s.file("c.aci"))
        #expect(missing.err == "convert: Unexpected HTTP code: 404, URL: https://\(registry.host)/v2/team/nope/manifests/latest\n", "\(missing)")
        #expect(access(s.file("c.aci"), F_OK) != 0)
    }
}
