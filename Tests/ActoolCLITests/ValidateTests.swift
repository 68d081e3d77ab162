import ImageKit
import TestSupport
import Testing

struct ValidateTests {
    @Test func needsFiles() {
        let r = actool("validate")
        #expect(r.code == 1)
        #expect(r.err == "must pass one or more files\n")
    }

    @Test(arguments: [TarWriter.Compression.none, .gzip, .bzip2, .xz])
    func validImagesInEveryCompression(compression: TarWriter.Compression) throws {
        let s = Scratch()
        defer { s.remove() }
        let path = try s.image("ok.aci", compression: compression)
        let quiet = actool("validate", path)
        #expect(quiet.code == 0)
        #expect(quiet.out.isEmpty && quiet.err.isEmpty)
        let loud = actool("--debug", "validate", path)
        #expect(loud.err == "\(path): valid app container image\n")
    }

    @Test func layoutsAndManifests() {
        let s = Scratch()
        defer { s.remove() }
        s.layout("layout")
        s.write("m.json", validManifest)
        let r = actool("--debug", "validate", s.file("layout"), s.file("m.json"), s.file("layout") + "/manifest")
        #expect(r.code == 0)
        #expect(
            r.err == """
                \(s.file("layout")): valid image layout
                \(s.file("m.json")): valid ImageManifest
                \(s.file("layout"))/manifest: valid ImageManifest

                """)
        let wrong = actool("validate", "--type=manifest", s.file("layout"))
        #expect(wrong.code == 1)
        #expect(wrong.err == "\(s.file("layout")) is a directory (wrong --type?)\n")
        let file = actool("validate", "--type=layout", s.file("m.json"))
        #expect(file.code == 1)
        #expect(file.err == "\(s.file("m.json")): invalid image layout: given path \"\(s.file("m.json"))\" is not a directory\n")
    }

    @Test func archiveRules() throws {
        let s = Scratch()
        defer { s.remove() }
        let m = TarWriter.Entry.file("manifest", validManifest)
        let cases: [(String, [TarWriter.Entry], String)] = [
            ("nomanifest.aci", [.directory("rootfs")], "no image manifest found in layout"),
            ("norootfs.aci", [m, .file("rootfs/a", "x")], "no rootfs found in layout"),
            ("rootfsfile.aci", [m, .file("rootfs", "x")], "rootfs is not a directory"),
            ("rootfslink.aci", [m, TarWriter.Entry(name: "rootfs", kind: .symlink("/"))], "rootfs is not a directory"),
            (
                "dup.aci", [m, .directory("rootfs"), .file("rootfs/a", "1"), .file("./rootfs//a", "2")],
                "duplicate file entry in archive: rootfs/a"
            ),
            ("extra.aci", [m, .directory("rootfs"), .file("README", "hi")], "unrecognized file path in layout: \"README\""),
            ("dotdot.aci", [m, .directory("rootfs"), .file("../evil", "x")], "unrecognized file path in layout: \"../evil\""),
            ("abs.aci", [m, .directory("rootfs"), .file("/rootfs/a", "x")], "unrecognized file path in layout: \"/rootfs/a\""),
        ]
        for (name, entries, message) in cases {
            let path = try s.archive(name, entries)
            let r = actool("validate", path)
            #expect(r.code == 1, "\(name)")
            #expect(r.err == "\(path): error validating: \(message)\n", "\(name)")
        }
        // A string-prefix check, as in actool.
        let extra = try s.archive("rootfs-extra.aci", [m, .directory("rootfs"), .file("rootfs-extra", "x"), .directory("./")])
        #expect(actool("validate", extra).code == 0)
        // Two manifests are concatenated, which breaks the JSON.
        let two = try s.archive("two.aci", [m, .directory("rootfs"), m])
        let r = actool("validate", two)
        #expect(r.code == 1)
        #expect(r.err.hasPrefix("\(two): error validating: image manifest validation failed: \nError at line 1, column "))
    }

    @Test func continuesAfterSomeErrorsAndStopsAtOthers() throws {
        let s = Scratch()
        defer { s.remove() }
        let bad = try s.archive("bad.aci", [.directory("rootfs")])
        let good = try s.image("good.aci")
        let r = actool("--debug", "validate", bad, good)
        #expect(r.code == 1)
        #expect(r.err == "\(bad): error validating: no image manifest found in layout\n\(good): valid app container image\n")
        let missing = actool("--debug", "validate", s.file("nope"), good)
        #expect(missing.code == 1)
        #expect(missing.err == "unable to access \(s.file("nope")): stat \(s.file("nope")): no such file or directory\n")
        s.write("garbage", (0..<600).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) })
        let unknown = actool("validate", s.file("garbage"), good)
        #expect(unknown.code == 1)
        #expect(unknown.err == "\(s.file("garbage")): unable to detect filetype (try --type)\n")
        s.write("text.json", validManifest)
        let forced = actool("validate", "--type=appimage", s.file("text.json"))
        #expect(forced.err == "\(s.file("text.json")): error decompressing file: no type returned from DetectFileType?\n")
        let bogus = actool("validate", "--type=bogus", good)
        #expect(bogus.err == "\(good): unable to detect filetype (try --type)\n")
    }

    @Test func badArchivesGetOneLineErrors() throws {
        let s = Scratch()
        defer { s.remove() }
        let whole = s.bytes(String(try s.image("whole.aci").dropFirst(s.path.count + 1)))
        s.write("trunc.aci", Array(whole.prefix(whole.count - 30)))
        let trunc = actool("validate", s.file("trunc.aci"))
        #expect(trunc.code == 1)
        #expect(trunc.err == "\(s.file("trunc.aci")): error validating: unexpected EOF\n")
        s.write("empty.aci", [])
        let empty = actool("validate", s.file("empty.aci"))
        #expect(empty.code == 1)
        #expect(empty.err.hasPrefix("\(s.file("empty.aci")): error unmarshaling manifest: "))
        let v7 = try s.archive("v7.aci", [.file("manifest", validManifest), .directory("rootfs")], compression: .none, format: .v7)
        #expect(actool("validate", v7).err == "\(v7): unable to detect filetype (try --type)\n")
        // A v7 tar inside gzip is fine: only the sniffer needs the ustar magic.
        let v7gz = try s.archive("v7.gz.aci", [.file("manifest", validManifest), .directory("rootfs")], compression: .gzip, format: .v7)
        #expect(actool("validate", v7gz).code == 0)
    }

    @Test func manifestPhases() {
        let s = Scratch()
        defer { s.remove() }
        s.write("nokind.json", #"{"acVersion":"0.8.11","name":"example.com/x"}"#)
        let nokind = actool("validate", s.file("nokind.json"))
        #expect(nokind.code == 1)
        #expect(nokind.err == "\(s.file("nokind.json")): error unmarshaling manifest: acKind must be set\n")
        s.write("badver.json", #"{"acKind":"ImageManifest","acVersion":"","name":"example.com/x"}"#)
        #expect(actool("validate", s.file("badver.json")).err == "\(s.file("badver.json")): error unmarshaling manifest: SemVer is bad\n")
        s.write("nover.json", #"{"acKind":"ImageManifest","name":"example.com/x"}"#)
        let nover = actool("validate", s.file("nover.json"), s.file("badver.json"))
        #expect(nover.code == 1)
        #expect(nover.err.hasPrefix("\(s.file("nover.json")): invalid ImageManifest: acVersion must be set\n"))
        s.write("pod.json", #"{"acKind":"PodManifest","acVersion":"0.8.11","apps":[]}"#)
        #expect(actool("--debug", "validate", s.file("pod.json")).err == "\(s.file("pod.json")): valid PodManifest\n")
    }
}

struct BadManifestInputTests {
    @Test func severalMebibyteManifests() throws {
        let s = Scratch()
        defer { s.remove() }
        let big = String(repeating: "x", count: 4 << 20)
        let ok = try s.image(
            "big.aci", manifest: #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/big","annotations":[{"name":"blob","value":""# + big + #""}]}"#)
        #expect(actool("validate", ok).code == 0)
        let pretty = actool("cat-manifest", "--pretty-print", ok)
        #expect(pretty.code == 0)
        #expect(pretty.out.count > 4 << 20)
        // Past the limit: refused with one line, not read into memory.
        let huge = try s.image("huge.aci", manifest: String(repeating: " ", count: 17 << 20) + validManifest)
        let r = actool("validate", huge)
        #expect(r.code == 1)
        #expect(r.err == "\(huge): error validating: manifest is larger than 16 MiB; refusing to read it\n")
    }

    @Test func invalidUTF8InAManifest() throws {
        let s = Scratch()
        defer { s.remove() }
        func image(_ name: String, _ prefix: String, _ bad: [UInt8], _ suffix: String) throws -> String {
            try s.archive(
                name,
                [
                    TarWriter.Entry(name: "manifest", kind: .file(Array(prefix.utf8) + bad + Array(suffix.utf8))),
                    .directory("rootfs"),
                ])
        }
        // In a label value it is accepted and becomes U+FFFD, as in Go.
        let value = try image("v.aci", #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x","labels":[{"name":"a","value":""#, [0xff, 0xfe], #""}]}"#)
        #expect(actool("validate", value).code == 0)
        #expect(actool("cat-manifest", "--pretty-print", value).out.contains("\"value\": \"\u{FFFD}\u{FFFD}\""))
        // In the name it is an invalid character.
        let name = try image("n.aci", #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/"#, [0xc3, 0x28], #""}"#)
        let r = actool("validate", name)
        #expect(r.code == 1)
        #expect(r.err == "\(name): error validating: image manifest validation failed: ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"\n")
    }
}
