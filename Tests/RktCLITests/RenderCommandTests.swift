import Foundation
import ImageStore
import TestSupport
import Testing

struct RenderCommandTests {
    @Test func renderMergesDependenciesExtractDoesNot() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let store = try ImageStore(directory: dir)
        _ = try store.importImage(from: try s.image("t.aci", name: "example.com/tools", files: ["bin/sh": "tools sh", "etc/who": "tools"]))
        let app = try store.importImage(
            from: try s.image(
                "a.aci", name: "example.com/app", files: ["app": "binary", "etc/who": "app"],
                extra: #","dependencies":[{"imageName":"example.com/tools"}]"#))
        #expect(rkt(dir, "image", "render", "--rootfs-only", app.key, s.file("rendered")).code == 0)
        #expect(try String(contentsOfFile: s.file("rendered/bin/sh"), encoding: .utf8) == "tools sh")
        // The image's own files win over its dependencies'.
        #expect(try String(contentsOfFile: s.file("rendered/etc/who"), encoding: .utf8) == "app")
        #expect(rkt(dir, "image", "extract", app.key, s.file("extracted")).code == 0)
        #expect(FileManager.default.fileExists(atPath: s.file("extracted/manifest")))
        #expect(FileManager.default.fileExists(atPath: s.file("extracted/rootfs/app")))
        #expect(!FileManager.default.fileExists(atPath: s.file("extracted/rootfs/bin/sh")))
        #expect(rkt(dir, "image", "extract", app.key, s.file("extracted")).err == "extract: output directory exists (try --overwrite)\n")
        #expect(rkt(dir, "image", "extract", "--overwrite", app.key, s.file("extracted")).code == 0)
    }

    @Test func verifyAndGarbageCollection() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let app = try ImageStore(directory: dir).importImage(from: try s.image("a.aci", name: "example.com/app", files: ["app": "x"]))
        let verified = rkt(dir, "image", "verify", "example.com/app")
        #expect(verified.code == 0)
        #expect(verified.out == "successfully verified checksum for image: \"example.com/app\" (\"\(app.key)\")\n")
        let kept = rkt(dir, "image", "gc")
        #expect(kept.code == 0)
        #expect(kept.err.contains("gc: removed treestore \"deps-sha512-"))
        #expect(kept.err.hasSuffix("gc: 0 image(s) successfully removed\n"))
        let gone = rkt(dir, "image", "gc", "--grace-period=0s")
        #expect(gone.out == "successfully removed aci for image: \"\(app.key)\"\n")
        #expect(rkt(dir, "image", "gc", "--grace-period=soon").code == 254)
    }
}
