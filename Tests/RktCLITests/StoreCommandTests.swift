import Foundation
import ImageKit
import ImageStore
import TestSupport
import Testing

/// The store as `rkt` commands show it: a damaged index, an oversized manifest.
struct StoreCommandTests {
    /// A damaged index: every command says which file and what to do, in one line; `rkt
    /// image gc` rebuilds it from the stored images (their manifests again from the blobs
    /// when those are gone too) and removes none of them.
    @Test func damagedIndexIsReportedAndRebuilt() throws {
        let s = Scratch()
        defer { s.remove() }
        let data = s.file("data")
        let one = try s.image("1.aci", name: "example.com/one", version: "1.0")
        let two = try s.image("2.aci", name: "example.com/two")
        #expect(rkt(data, "--insecure-options=image", "fetch", one, two).code == 0)
        let listed = rkt(data, "image", "list", "--fields=id,name")
        let index = data + "/cas/db/images.db"
        let garbage = Data(String(repeating: "not an index ", count: 400).utf8)
        _ = FileManager.default.createFile(atPath: index, contents: garbage)
        let broken = rkt(data, "image", "list")
        #expect(broken.code == 254)
        #expect(broken.err == "list: \(index): the image index is damaged; \"rkt image gc\" rebuilds it from the stored images\n")
        #expect(rkt(data, "--insecure-options=image", "fetch", one).err.hasSuffix("the image index is damaged; \"rkt image gc\" rebuilds it from the stored images\n"))
        // The manifests' copies lost as well: read again from the blobs.
        try FileManager.default.removeItem(atPath: data + "/cas/imageManifest")
        let gc = rkt(data, "image", "gc")
        #expect(gc.code == 0, "\(gc)")
        #expect(
            gc.err == "gc: the image index was damaged: rebuilt it from 2 stored image(s); the damaged file is cas/db/images.db.damaged\ngc: 0 image(s) successfully removed\n")
        // The same images (the order of two imported in the same clock tick may differ).
        #expect(rkt(data, "image", "list", "--fields=id,name").outLines.sorted() == listed.outLines.sorted())
        #expect(FileManager.default.contents(atPath: index + ".damaged") == garbage)
        #expect(rkt(data, "image", "cat-manifest", "example.com/one:1.0").code == 0)
        // A sound index is left alone.
        #expect(rkt(data, "image", "gc").err == "gc: 0 image(s) successfully removed\n")
    }

    /// A manifest over actool's 16 MiB bound is told as actool tells it, not as an image
    /// over RKT_MAX_IMAGE_SIZE.
    @Test func oversizedManifestIsNamed() throws {
        let s = Scratch()
        defer { s.remove() }
        let path = try s.image(
            "big.aci", name: "example.com/big",
            extra: #","annotations":[{"name":"x","value":""# + String(repeating: "a", count: 17 << 20) + #""}]"#)
        let r = rkt(s.file("data"), "--insecure-options=image", "fetch", path)
        #expect(r.code == 254 && r.err == "fetch: manifest is larger than 16 MiB; refusing to read it\n", "\(r)")
    }
}
