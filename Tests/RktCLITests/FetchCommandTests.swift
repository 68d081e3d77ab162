import Foundation
import ImageStore
import TestSupport
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
        // As rkt's: each --signature belongs to the image before it.
        let early = rkt(dir, "fetch", "--signature=\(s.file("a.asc"))", path)
        #expect(early.code == 254)
        #expect(early.err == "Error: invalid argument \"\(s.file("a.asc"))\" for --signature=\(s.file("a.asc")): --signature must follow an image\n\n")
        let second = try s.image("b.aci", name: "example.com/b")
        let own = rkt(
            dir, "--local-config=\(s.file("etc"))", "--system-config=\(s.file("lib"))", "fetch", second, "--signature", s.file("b-sig.asc"), path)
        #expect(own.err == "fetch: open \(s.file("b-sig.asc")): no such file or directory\n", "\(own)")
        let bad = rkt(dir, "--insecure-options=bogus", "fetch", path)
        #expect(bad.code == 254)
        #expect(bad.err.hasPrefix("Error: invalid argument \"bogus\" for --insecure-options=bogus: unknown option \"bogus\""))
    }
}

struct DependencyFetchTests {
    @Test func dependenciesInTheStoreNeedNoNetwork() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let tools = try s.image("t.aci", name: "example.com/tools")
        let toolsID = "sha512-" + (try decompressedSHA512(tools))
        let pinned = try s.image(
            "a.aci", name: "example.com/app",
            extra: #","dependencies":[{"imageName":"example.com/tools","imageID":"\#(toolsID)"}]"#)
        let byName = try s.image("b.aci", name: "example.com/app2", extra: #","dependencies":[{"imageName":"example.com/tools"}]"#)
        #expect(rkt(dir, "--insecure-options=image", "fetch", tools).code == 0)
        let r = rkt(dir, "--insecure-options=image", "fetch", pinned)
        #expect(r.code == 0, "\(r.err)")
        // Unpinned, by name: rkt's default policy (update) would ask discovery again; `new` uses the store.
        let named = rkt(dir, "--insecure-options=image", "fetch", "--pull-policy=new", byName)
        #expect(named.code == 0, "\(named.err)")
        // Missing and not discoverable: rkt's error.
        let lonely = try s.image("c.aci", name: "example.com/app3", extra: #","dependencies":[{"imageName":"example.com/none"}]"#)
        let failed = rkt(s.file("data2"), "--insecure-options=image", "fetch", lonely)
        #expect(failed.code == 254)
    }
}
