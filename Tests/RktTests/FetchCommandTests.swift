import Foundation
import ImageStore
import Testing

struct FetchCommandTests {
    @Test func fetchPrintsRktsIDForms() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let path = try s.image("a.aci", name: "example.com/a")
        let hex = try decompressedSHA512(path)
        let short = rkt(dir, "--insecure-options=image", "fetch", path)
        #expect(short.code == 0)
        #expect(short.out == "sha512-" + hex.prefix(32) + "\n")
        let full = rkt(dir, "fetch", "--full", path, "--insecure-options=image")
        #expect(full.out == "sha512-" + hex.prefix(64) + "\n")
        #expect(try ImageStore(directory: dir).records().count == 1)
    }

    @Test func fetchNeedsASignatureUnlessTold() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let path = try s.image("a.aci", name: "example.com/a")
        let r = rkt(dir, "--local-config=\(s.file("etc"))", "--system-config=\(s.file("lib"))", "fetch", path)
        #expect(r.code == 254)
        #expect(r.err == "fetch: open \(path).asc: no such file or directory\n")
        #expect(try ImageStore(directory: dir).records().isEmpty)
        #expect(rkt(dir, "fetch").err == "fetch: must provide at least one image\n")
        let bad = rkt(dir, "--insecure-options=bogus", "fetch", path)
        #expect(bad.code == 254)
        #expect(bad.err.hasPrefix("Error: invalid argument \"bogus\" for --insecure-options=bogus: unknown option \"bogus\""))
    }
}
