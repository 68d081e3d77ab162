import Glibc
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
        #expect(unknown.err == "convert: docker-daemon:x: unknown source; use oci:PATH[:NAME] or docker-archive:PATH[:REFERENCE]\n")
        s.write("junk.tar", "not a tar at all")
        let junk = actool("convert", "docker-archive:\(s.file("junk.tar"))", s.file("o.aci"))
        #expect(junk.code == 1)
        #expect(junk.err.hasPrefix("convert: \(s.file("junk.tar")): "), "\(junk)")
        #expect(access(s.file("o.aci"), F_OK) != 0)
        #expect(actool("convert", "oci:x").code == 1)
    }
}
