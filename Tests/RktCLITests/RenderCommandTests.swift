import Foundation
import ImageRender
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
        // rkt's TestImageVerify: not rendered yet (we render on first use), then rendered
        // and verified, then damaged: rendered again.
        let unrendered = rkt(dir, "image", "verify", "example.com/app")
        #expect(unrendered.code == 0 && unrendered.out == "image \"example.com/app\" not rendered; no verification needed\n", "\(unrendered)")
        _ = try TreeStore(store: try ImageStore(directory: dir)).render(key: app.key)
        let verified = rkt(dir, "image", "verify", "example.com/app")
        #expect(verified.code == 0)
        #expect(verified.out == "successfully verified checksum for image: \"example.com/app\" (\"\(app.key)\")\n")
        let tree = try #require(try FileManager.default.contentsOfDirectory(atPath: dir + "/cas/tree").first { $0.hasPrefix("deps-") })
        try "damaged".write(toFile: dir + "/cas/tree/" + tree + "/rootfs/app", atomically: false, encoding: .utf8)
        let damaged = rkt(dir, "image", "verify", String(app.key.prefix(20)))
        #expect(damaged.code == 0 && damaged.out.hasPrefix("tree cache verification failed for image \(app.key.prefix(20)): "), "\(damaged)")
        #expect(damaged.out.hasSuffix(";  rebuilding...\n"), "\(damaged)")
        #expect(rkt(dir, "image", "verify", app.key).out.hasPrefix("successfully verified checksum"), "repaired")
        #expect(try String(contentsOfFile: dir + "/cas/tree/" + tree + "/rootfs/app", encoding: .utf8) == "x")
        let kept = rkt(dir, "image", "gc")
        #expect(kept.code == 0)
        #expect(kept.err.contains("gc: removed treestore \"deps-sha512-"))
        #expect(kept.err.hasSuffix("gc: 0 image(s) successfully removed\n"))
        let gone = rkt(dir, "image", "gc", "--grace-period=0s")
        #expect(gone.out == "successfully removed aci for image: \"\(app.key)\"\n")
        #expect(rkt(dir, "image", "gc", "--grace-period=soon").code == 254)
    }
}
