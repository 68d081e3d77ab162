import ImageKit
import TestSupport
import Testing

struct CatManifestTests {
    @Test func printsStoredBytesThenAChecked() throws {
        let s = Scratch()
        defer { s.remove() }
        let stored = "{\"acKind\": \"ImageManifest\",  \"acVersion\": \"0.8.11\", \"name\": \"example.com/test\"}\n"
        let path = try s.image("a.aci", manifest: stored)
        let raw = actool("cat-manifest", path)
        #expect(raw.code == 0)
        #expect(raw.out == stored + "\n")
        let pretty = actool("cat-manifest", "--pretty-print", path)
        #expect(pretty.code == 0)
        #expect(
            pretty.out == """
                {
                    "acKind": "ImageManifest",
                    "acVersion": "0.8.11",
                    "name": "example.com/test"
                }

                """)
    }

    @Test func invalidManifestIsPrintedBeforeTheError() throws {
        let s = Scratch()
        defer { s.remove() }
        let path = try s.image("bad.aci", manifest: #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Bad_Name"}"#)
        let r = actool("cat-manifest", path)
        #expect(r.code == 1)
        #expect(r.out == #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Bad_Name"}"# + "\n")
        #expect(r.err == "cat-manifest: Unable to read \(path): ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"\n")
        let pretty = actool("cat-manifest", "--pretty-print", path)
        #expect(pretty.code == 1)
        #expect(pretty.out.isEmpty)
    }

    @Test func noManifestPrintsNothingAndSucceeds() throws {
        let s = Scratch()
        defer { s.remove() }
        let path = try s.archive("none.aci", [.directory("rootfs"), .file("README", "x")])
        let r = actool("cat-manifest", path)
        #expect(r.code == 0)
        #expect(r.out.isEmpty && r.err.isEmpty)
    }

    @Test func readsOnlyUpToTheManifest() throws {
        let s = Scratch()
        defer { s.remove() }
        // Manifest first, then a stream cut short: validate fails, cat-manifest never gets there.
        let big = (0..<(512 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        let path = try s.archive(
            "a.aci",
            [
                .file("manifest", validManifest), .directory("rootfs"),
                TarWriter.Entry(name: "rootfs/big", kind: .file(big)),
            ], compression: .none)
        let whole = s.bytes("a.aci")
        s.write("cut.aci", Array(whole.prefix(whole.count / 2)))
        #expect(actool("validate", s.file("cut.aci")).code == 1)
        let r = actool("cat-manifest", s.file("cut.aci"))
        #expect(r.code == 0)
        #expect(r.out == validManifest + "\n")
        _ = path
    }

    /// A gzip image cut a few kilobytes in (a download that stopped) still shows its
    /// manifest, as to actool: every byte that decompresses is read before the error.
    /// (Found by the `patch` fuzz target: libarchive's gzip filter dropped its last block.)
    @Test func gzipImageCutEarlyStillShowsItsManifest() throws {
        let s = Scratch()
        defer { s.remove() }
        var random = SplitMix64(seed: 1)
        let noise = random.bytes(64 << 10)
        _ = try s.archive(
            "a.aci", [.file("manifest", validManifest), .directory("rootfs"), TarWriter.Entry(name: "rootfs/noise", kind: .file(noise))],
            compression: .gzip)
        #expect(s.bytes("a.aci").count > 60000)
        s.write("cut.aci", Array(s.bytes("a.aci").prefix(4096)))
        let r = actool("cat-manifest", s.file("cut.aci"))
        #expect(r.code == 0 && r.out == validManifest + "\n", "\(r)")
        #expect(actool("image-id", s.file("cut.aci")).err == "image-id: \(s.file("cut.aci")): unexpected EOF\n")
        // A wrong CRC-32 in the gzip trailer fails whatever reads to the end, as Go's
        // reader fails `rkt fetch` (libarchive's filter never checked it).
        var bad = s.bytes("a.aci")
        bad[bad.count - 8] ^= 1
        s.write("crc.aci", bad)
        #expect(actool("cat-manifest", s.file("crc.aci")).code == 0)
        #expect(actool("image-id", s.file("crc.aci")).err == "image-id: \(s.file("crc.aci")): gzip: invalid checksum\n")
    }

    @Test func argumentAndFileErrors() {
        let s = Scratch()
        defer { s.remove() }
        #expect(actool("cat-manifest").err == "cat-manifest: Must provide one file\n")
        #expect(actool("cat-manifest", "a", "b").err == "cat-manifest: Must provide one file\n")
        let missing = actool("cat-manifest", s.file("nope.aci"))
        #expect(missing.code == 1)
        #expect(missing.err == "cat-manifest: Cannot open \(s.file("nope.aci")): open \(s.file("nope.aci")): no such file or directory\n")
        s.write("m.json", validManifest)
        #expect(actool("cat-manifest", s.file("m.json")).err == "cat-manifest: Cannot extract \(s.file("m.json")): no type returned from DetectFileType?\n")
        s.write("junk", (0..<600).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) })
        #expect(actool("cat-manifest", s.file("junk")).err == "cat-manifest: Cannot extract \(s.file("junk")): error: unknown image filetype\n")
    }
}

struct ImageIDCommandTests {
    @Test func sameIDForEveryCompression() throws {
        let s = Scratch()
        defer { s.remove() }
        let plain = try s.image("a.aci", compression: .none)
        let expected = actool("image-id", plain)
        #expect(expected.code == 0)
        #expect(expected.out.count == 136)
        for c in [TarWriter.Compression.gzip, .bzip2, .xz] {
            #expect(actool("image-id", try s.image("c.aci", compression: c)).out == expected.out)
        }
        let short = actool("image-id", "--short", plain, plain)
        #expect(short.out == String(expected.out.prefix(39)) + "\n" + String(expected.out.prefix(39)) + "\n")
    }

    /// An image cut short has no ID: validate and rkt fetch refuse it, and so does image-id.
    @Test func truncatedImagesHaveNoID() throws {
        let s = Scratch()
        defer { s.remove() }
        _ = try s.image("a.aci", compression: .none)
        let bytes = s.bytes("a.aci")
        for cut in [700, 1600, bytes.count - 1024 - 100] {  // inside a header, inside data
            s.write("cut.aci", Array(bytes.prefix(cut)))
            let r = actool("image-id", s.file("cut.aci"))
            #expect(r.code == 1 && r.out.isEmpty && r.err == "image-id: \(s.file("cut.aci")): unexpected EOF\n", "cut at \(cut): \(r)")
            #expect(actool("validate", s.file("cut.aci")).code == 1)
        }
    }

    @Test func errorsNameTheFile() throws {
        let s = Scratch()
        defer { s.remove() }
        let good = try s.image("a.aci")
        let r = actool("image-id", s.file("nope.aci"), good)
        #expect(r.code == 1)
        #expect(r.out.count == 136)
        #expect(r.err == "image-id: \(s.file("nope.aci")): open \(s.file("nope.aci")): no such file or directory\n")
        #expect(actool("image-id").err == "image-id: Must provide one or more files\n")
        s.write("m.json", validManifest)
        #expect(actool("image-id", s.file("m.json")).err == "image-id: \(s.file("m.json")): not an image: the file is text (a manifest?)\n")
        s.write("junk", (0..<600).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) })
        #expect(actool("image-id", s.file("junk")).err == "image-id: \(s.file("junk")): not an image: not a gzip, bzip2, xz or tar stream\n")
    }

    @Test(arguments: [TarWriter.Compression.none, .gzip, .bzip2, .xz])
    func theBuiltBinaryOnRealArchives(compression: TarWriter.Compression) throws {
        let s = Scratch()
        defer { s.remove() }
        let good = try s.image("good.aci", compression: compression)
        let bad = try s.archive(
            "bad.aci", [.file("manifest", validManifest), .file("README", "x"), .directory("rootfs")],
            compression: compression)
        let v = try actoolBinary(["--debug", "validate", bad, good], in: s.path)
        #expect(v.code == 1)
        #expect(v.err == "\(bad): error validating: unrecognized file path in layout: \"README\"\n\(good): valid app container image\n")
        let cat = try actoolBinary(["cat-manifest", good], in: s.path)
        #expect(cat.code == 0)
        #expect(cat.out == validManifest + "\n")
        let id = try actoolBinary(["image-id", good, bad], in: s.path)
        #expect(id.code == 0)
        #expect(id.out == actool("image-id", good, bad).out)
    }

    @Test func theBuiltBinaryAgrees() throws {
        let s = Scratch()
        defer { s.remove() }
        let path = try s.image("a.aci")
        let r = try actoolBinary(["image-id", path], in: s.path)
        #expect(r.code == 0)
        #expect(r.out == actool("image-id", path).out)
        let v = try actoolBinary(["version"], in: s.path)
        #expect(v.out == "actool version 0.8.11+git\n")
        let bad = try actoolBinary(["validate", "--type=manifest", s.path], in: s.path)
        #expect(bad.code == 1)
    }
}

struct CatManifestSyntaxErrorTests {
    @Test func decoratedSyntaxErrorKeepsTheSourceBytes() throws {
        let s = Scratch()
        defer { s.remove() }
        let manifest = "{\n  \"acKind\": \"ImageManifest\",\n  \"name\": x\n}"
        let path = try s.image("a.aci", manifest: manifest)
        let r = actool("cat-manifest", "--pretty-print", path)
        #expect(r.code == 1)
        #expect(
            r.err
                == "cat-manifest: Unable to read \(path): \nError at line 3, column 12\n    2:   \"acKind\": \"ImageManifest\",\n    3:   \"name\": x\n                 ^\ninvalid character 'x' looking for beginning of value\n"
        )
    }
}
