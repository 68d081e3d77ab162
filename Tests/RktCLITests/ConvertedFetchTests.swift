import Foundation
import ImageStore
import LinuxSystem
import TestSupport
import Testing

/// `rkt fetch oci:` and `docker-archive:` (ours): images converted on the way in.
struct ConvertedFetchTests {
    typealias E = TarWriter.Entry

    /// Three layers exercising whiteouts, an opaque directory and a file replaced twice.
    func layout(_ s: Scratch, _ name: String = "layout") throws -> OCILayoutWriter {
        let layout = OCILayoutWriter(path: s.file(name))
        let base = try layout.layer([
            .directory("etc"), .file("etc/passwd", "root:x:0:0::/:/bin/sh\n"), .file("etc/gone", "g"), .directory("opq"),
            .file("opq/old", "o"), .directory("var"), .directory("var/lib"), .file("var/lib/db", "1"), .file("f", "base"),
        ])
        let middle = try layout.layer([.file("f", "middle"), .file("var/lib/db", "2"), .file("etc/.wh.gone", "")])
        let top = try layout.layer([.directory("opq"), .file("opq/.wh..wh..opq", ""), .file("opq/new", "n"), .file(".wh.var", ""), .file("top", "t")])
        layout.image(layers: [base, middle, top], runConfig: #"{"Cmd":["/bin/sh"]}"#, name: "v1")
        return layout
    }

    @Test func convertedImagesNeedInsecureImageAndRenderAlike() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let layout = try layout(s)
        let refused = rkt(dir, "fetch", "oci:\(layout.path):v1")
        #expect(refused.code == 254)
        #expect(refused.err == "fetch: signature verification for docker images is not supported (try --insecure-options=image)\n")

        let squashed = rkt(dir, "--insecure-options=image", "fetch", "--full", "oci:\(layout.path):v1")
        #expect(squashed.code == 0, "\(squashed)")
        let split = rkt(dir, "--insecure-options=image", "fetch", "--full", "--no-squash", "oci:\(layout.path):v1")
        #expect(split.code == 0, "\(split)")
        let store = try ImageStore(directory: dir)
        // One squashed image, and three layer images.
        #expect(try store.records().count == 4)
        let top = try store.manifest(split.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(top.dependencies.count == 2)
        #expect(top.dependencies.allSatisfy { $0.imageID != nil })

        for (key, target) in [(squashed.out, "a"), (split.out, "b")] {
            let r = rkt(dir, "image", "render", "--rootfs-only", key.trimmingCharacters(in: .whitespacesAndNewlines), s.file(target))
            #expect(r.code == 0, "\(r)")
        }
        let diff = try run(["/usr/bin/diff", "-r", "--no-dereference", s.file("a"), s.file("b")])
        #expect(diff.code == 0, "\(diff)")
        let names = try Files.sortedNames(s.file("a"))
        #expect(names == ["dev", "etc", "f", "opq", "top"])
        #expect(try Files.sortedNames(s.file("a/opq")) == ["new"])
        #expect(try Files.sortedNames(s.file("a/etc")) == ["passwd"])
        #expect(readText(s.file("a/f")) == "middle")

        let list = rkt(dir, "image", "list", "--fields=name", "--no-legend")
        #expect(list.out.contains("layout:v1\n"), "\(list)")
    }

    @Test func dockerSaveArchivesAsSkopeoWritesThem() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let layout = try layout(s)
        let archive = s.file("app.tar")
        let copy = try run(["/usr/bin/skopeo", "copy", "-q", "oci:\(layout.path):v1", "docker-archive:\(archive):example.com/team/app:v1"])
        try #require(copy.code == 0, "skopeo (Debian's skopeo package) is needed: \(copy)")
        let fetched = rkt(dir, "--insecure-options=image", "fetch", "docker-archive:\(archive)")
        #expect(fetched.code == 0, "\(fetched)")
        let list = rkt(dir, "image", "list", "--fields=name", "--no-legend")
        #expect(list.out == "team/app:v1\n", "\(list)")
        let wrongTag = rkt(dir, "--insecure-options=image", "fetch", "docker-archive:\(archive):example.com/team/app:v2")
        #expect(wrongTag.code == 254)
        #expect(wrongTag.err == "fetch: \(archive): no image tagged example.com/team/app:v2 (it has: example.com/team/app:v1)\n", "\(wrongTag)")
    }
}
