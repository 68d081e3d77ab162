import Foundation
import ImageKit
import ImageStore
import TestSupport
import Testing

struct ImageCommandTests {
    @Test func listShowsRktsColumns() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let empty = rkt(dir, "image", "list", "--no-legend")
        #expect(empty.code == 0 && empty.out == "\n")
        #expect(rkt(dir, "image", "list", "--format=json").out == "null\n")
        let store = try ImageStore(directory: dir)
        let a = try store.importImage(from: try s.image("a.aci", name: "example.com/busybox", version: "1.35.0"))
        let list = rkt(dir, "image", "list")
        #expect(list.code == 0)
        let lines = list.out.split(separator: "\n").map(String.init)
        #expect(lines.first == "ID\t\t\tNAME\t\t\t\tSIZE\tIMPORT TIME\tLAST USED")
        #expect(lines[1].hasPrefix(String(a.key.prefix(19)) + "\texample.com/busybox:1.35.0\t"))
        // Go tabwriter: "now" sits in a column as wide as "IMPORT TIME" + 1, so two tabs.
        #expect(lines[1].hasSuffix("\tnow\t\tnow"))
        let full = rkt(dir, "image", "list", "--full", "--no-legend", "--fields=id,size")
        #expect(full.out == "\(a.key)\t\(a.size)\n")
        let json = rkt(dir, "image", "li", "--format=json")
        #expect(json.out.hasPrefix(#"[{"id":"\#(a.key)","name":"example.com/busybox:1.35.0","import_time":"#))
        let bad = rkt(dir, "image", "list", "--fields=id,latest")
        #expect(bad.code == 254)
        #expect(bad.err == "Error: invalid argument \"id,latest\" for --fields=id,latest: unknown option \"latest\"\n")
    }

    @Test func catManifestAndExport() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let path = try s.image("a.aci", name: "example.com/a")
        let record = try ImageStore(directory: dir).importImage(from: path)
        let pretty = rkt(dir, "image", "cat-manifest", String(record.key.prefix(12)))
        #expect(pretty.code == 0)
        #expect(pretty.out.hasPrefix("{\n\t\"acKind\": \"ImageManifest\",\n"))
        let compact = rkt(dir, "image", "cat-manifest", "--pretty-print=false", "example.com/a")
        #expect(compact.out.hasPrefix(#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/a""#))
        #expect(rkt(dir, "image", "cat-manifest", "sha512-0").err == "cat-manifest: image ID too short\n")
        #expect(rkt(dir, "image", "cat-manifest", "sha512-ffff").err == "cat-manifest: no image IDs found\n")
        #expect(rkt(dir, "image", "export", record.key, s.file("out.aci")).code == 0)
        #expect(try decompressedSHA512(s.file("out.aci")) == decompressedSHA512(path))
        #expect(rkt(dir, "image", "export", record.key, s.file("out.aci")).err == "export: output ACI file exists (try --overwrite)\n")
        #expect(rkt(dir, "image", "export", "--overwrite", record.key, s.file("out.aci")).code == 0)
    }

    @Test func removeRefusesImagesOthersDependOn() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let store = try ImageStore(directory: dir)
        let tools = try store.importImage(from: try s.image("t.aci", name: "example.com/tools"))
        let app = try store.importImage(
            from: try s.image(
                "a.aci", name: "example.com/app",
                extra: #","dependencies":[{"imageName":"example.com/tools"}]"#))
        let refused = rkt(dir, "image", "rm", tools.key)
        #expect(refused.code == 254)
        #expect(refused.err.contains("is a dependency of example.com/app"))
        #expect(try store.records().count == 2)
        let ok = rkt(dir, "image", "rm", app.key, "example.com/nothing")
        #expect(ok.code == 0)
        #expect(ok.out == "successfully removed aci for image: \"\(app.key)\"\n")
        #expect(ok.err.contains("rm: 1 image(s) successfully removed"))
        #expect(rkt(dir, "image", "rm", tools.key).code == 0)
        #expect(try store.records().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: store.blobPath(tools.key)))
    }

    @Test func globalFlagsAnywhereAndPrefixes() {
        let s = Scratch()
        defer { s.remove() }
        let r = rkt(s.file("data"), "im", "li", "--no-legend", "--debug")
        #expect(r.code == 0)
        let unknown = rkt(s.file("data"), "image", "list", "--bogus")
        #expect(unknown.code == 254)
        #expect(unknown.err == "Error: unknown flag: --bogus\n\n")
        #expect(unknown.out.hasPrefix("NAME:\n\timage list - List images in the local store\n"))
        #expect(rkt(s.file("data"), "version").out.hasPrefix("rkt Version: 1.30.0+git\nappc Version: 0.8.11\n"))
    }
}
