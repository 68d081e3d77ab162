import Foundation
import TestSupport
import Testing

@testable import ImageKit

/// The bytes of an image after its first gzip member.
private func afterFirstMember(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    let member = try #require(GzipProbe.firstMember(fd: fd, limit: 1 << 20))
    let all = FileManager.default.contents(atPath: path).map(Array.init) ?? []
    return Array(all[member.compressedLength...])
}

private let appManifest =
    #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","labels":[{"name":"os","value":"linux"}],"app":{"exec":["/app"],"user":"0","group":"0"}}"#
private let toolsManifest =
    #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/tools","labels":[{"name":"version","value":"1.36"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}"#

private func built(_ s: Scratch, _ name: String, manifest: String = appManifest, extra: [String: String] = [:]) -> String {
    s.layout(name + "-layout", manifest: manifest)
    for (path, text) in extra { s.write(name + "-layout/rootfs/" + path, text) }
    let r = actool("build", s.file(name + "-layout"), s.file(name + ".aci"))
    precondition(r.code == 0, r.err)
    return s.file(name + ".aci")
}

struct PatchManifestTests {
    @Test func splicingKeepsEverythingAfterTheFirstMember() throws {
        let s = Scratch()
        defer { s.remove() }
        let image = built(s, "app", extra: ["data": String(repeating: "payload ", count: 200_000)])
        let rest = try afterFirstMember(image)
        let r = actool("patch-manifest", "--exec=/bin/sh -c true", "--set-env", "A=1", image, s.file("out.aci"))
        #expect(r.code == 0, "\(r.err)")
        #expect(try afterFirstMember(s.file("out.aci")) == rest)
        #expect(actool("validate", s.file("out.aci")).code == 0)
        #expect(
            actool("cat-manifest", s.file("out.aci")).out
                == #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","labels":[{"name":"os","value":"linux"}],"app":{"exec":["/bin/sh","-c","true"],"user":"0","group":"0","environment":[{"name":"A","value":"1"}]}}"#
                + "\n")
    }

    @Test func sameSizedPatchIsWrittenInPlaceOthersAreSpliced() throws {
        let s = Scratch()
        defer { s.remove() }
        let image = built(s, "app")
        let rest = try afterFirstMember(image)
        var before = stat()
        #expect(stat(image, &before) == 0)
        // Same 512-byte class: the first member is rewritten in place (same inode).
        #expect(actool("patch-manifest", "--replace", "--user=1", image).code == 0)
        var after = stat()
        #expect(stat(image, &after) == 0)
        #expect(after.st_ino == before.st_ino)
        #expect(try afterFirstMember(image) == rest)
        #expect(actool("cat-manifest", image).out.contains(#""user":"1""#))
        // A manifest that grows past its block: a new file, the rest still copied byte for byte.
        #expect(actool("patch-manifest", "--replace", "--set-annotation", "description=" + String(repeating: "d", count: 2000), image).code == 0)
        #expect(stat(image, &after) == 0)
        #expect(after.st_ino != before.st_ino)
        #expect(try afterFirstMember(image) == rest)
        #expect(actool("validate", image).code == 0)
    }

    @Test func uncompressedImagesSpliceToo() throws {
        let s = Scratch()
        defer { s.remove() }
        s.layout("l", manifest: appManifest)
        #expect(actool("build", "--no-compression", s.file("l"), s.file("plain.aci")).code == 0)
        let before = s.bytes("plain.aci")
        #expect(actool("patch-manifest", "--no-compression", "--user=1000", s.file("plain.aci"), s.file("out.aci")).code == 0)
        let after = s.bytes("out.aci")
        // Same manifest size class: the tail after the manifest entry is byte for byte the same.
        #expect(Array(after.suffix(before.count - 1024)) == Array(before.suffix(before.count - 1024)))
        #expect(actool("cat-manifest", s.file("out.aci")).out.contains(#""user":"1000""#))
    }

    @Test func foreignImagesAreRewrittenManifestFirst() throws {
        let s = Scratch()
        defer { s.remove() }
        // Go's actool puts the manifest last, in one gzip member.
        let foreign = try s.archive("foreign.aci", [.directory("rootfs"), .file("rootfs/a", "x"), .file("manifest", appManifest)])
        #expect(actool("patch-manifest", "--name=example.com/renamed", foreign, s.file("out.aci")).code == 0)
        let reader = try TarReader(try ACIStream(path: s.file("out.aci"), pipelined: false), hashing: false)
        #expect(try reader.next()?.cleanedName == "manifest")
        #expect(actool("validate", s.file("out.aci")).code == 0)
        #expect(actool("cat-manifest", s.file("out.aci")).out.contains("example.com/renamed"))
        // ...and the result splices next time.
        let rest = try afterFirstMember(s.file("out.aci"))
        #expect(actool("patch-manifest", "--replace", "--user=7", s.file("out.aci")).code == 0)
        #expect(try afterFirstMember(s.file("out.aci")) == rest)
    }

    /// The in-place write is for a file's only name: other hard links (a `cp -al` backup)
    /// and a symlink's target keep their bytes; the name given gets a new file, as actool's
    /// temp-and-rename gives it.
    @Test func replaceNeverWritesIntoSharedInodes() throws {
        let s = Scratch()
        defer { s.remove() }
        let image = built(s, "app")
        let original = s.bytes("app.aci")
        #expect(link(image, s.file("backup.aci")) == 0)
        #expect(actool("patch-manifest", "--replace", "--user=1", image).code == 0)
        #expect(s.bytes("backup.aci") == original)
        #expect(actool("cat-manifest", image).out.contains(#""user":"1""#))
        var info = stat()
        #expect(stat(image, &info) == 0 && info.st_nlink == 1)
        #expect(symlink(s.file("backup.aci"), s.file("alias.aci")) == 0)
        #expect(actool("patch-manifest", "--replace", "--user=2", s.file("alias.aci")).code == 0)
        #expect(s.bytes("backup.aci") == original)
        #expect(actool("cat-manifest", s.file("alias.aci")).out.contains(#""user":"2""#))
    }

    @Test func replaceKeepsModeAndFailureKeepsTheOriginal() throws {
        let s = Scratch()
        defer { s.remove() }
        let image = built(s, "app")
        #expect(chmod(image, 0o640) == 0)
        #expect(actool("patch-manifest", "--replace", "--group=5", image).code == 0)
        var info = stat()
        #expect(stat(image, &info) == 0 && info.st_mode & 0o7777 == 0o640)
        let before = s.bytes("app.aci")
        let bad = actool("patch-manifest", "--replace", "--name=Not_Valid", image)
        #expect(bad.code == 1)
        #expect(bad.err == "patch-manifest: Unable to read \(image): ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"\n")
        #expect(s.bytes("app.aci") == before)
        let noApp = built(s, "noapp", manifest: validManifest)
        let r = actool("patch-manifest", "--user=1", noApp, s.file("x.aci"))
        #expect(r.err == "patch-manifest: Unable to read \(noApp): no app in the supplied manifest and no exec command provided\n")
        #expect(!FileManager.default.fileExists(atPath: s.file("x.aci")))
        let execOnly = actool("patch-manifest", "--exec=/bin/true", noApp, s.file("x.aci"))
        #expect(execOnly.err == "patch-manifest: Unable to read \(noApp): json: error calling MarshalJSON for type *types.App: user is required\n")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.path)) ?? []).allSatisfy { !$0.hasPrefix(".tmp.") })
    }

    @Test func argumentChecksInActoolsOrder() throws {
        let s = Scratch()
        defer { s.remove() }
        let image = built(s, "app")
        func err(_ args: String...) -> String { actool(["patch-manifest"] + args).err }
        #expect(err("--replace", "--overwrite", image) == "patch-manifest: Cannot use both --replace and --overwrite\n")
        #expect(err(image) == "patch-manifest: Must provide input and output files (or use --replace)\n")
        #expect(err("--replace", image, image) == "patch-manifest: Must provide one file\n")
        #expect(err("--manifest=m.json", "--user=1", image, "o.aci") == "patch-manifest: --manifest is incompatible with other manifest editing options\n")
        #expect(err(image, s.file("o.tar")) == "patch-manifest: Extension must be .aci (given .tar)\n")
        #expect(err(image, image) == "patch-manifest: Output file exists (try --overwrite)\n")
        #expect(err(s.file("nope.aci"), s.file("o.aci")) == "patch-manifest: Cannot open \(s.file("nope.aci")): open \(s.file("nope.aci")): no such file or directory\n")
        s.write("m.json", validManifest)
        #expect(err(s.file("m.json"), s.file("o.aci")) == "patch-manifest: Cannot extract \(s.file("m.json")): no type returned from DetectFileType?\n")
        #expect(
            err("--manifest", s.file("nope.json"), image, s.file("o.aci"))
                == "patch-manifest: Cannot open \(s.file("nope.json")): open \(s.file("nope.json")): no such file or directory\n")
        #expect(
            err("--supplementary-groups=1,x", image, s.file("o.aci"))
                == "patch-manifest: Unable to read \(image): invalid supplementary group \"x\": strconv.Atoi: parsing \"x\": invalid syntax\n")
        #expect(
            err("--capability=CAP_A", "--revoke-capability=CAP_B", image, s.file("o.aci"))
                == "patch-manifest: Unable to read \(image): conflicting capabilities isolators provided\n")
        #expect(err("--seccomp-set=read", image, s.file("o.aci")) == "patch-manifest: Unable to read \(image): --seccomp-set specified without --seccomp-mode\n")
        #expect(
            err("--isolators=os/linux/seccomp-remove-set,set=x", image, s.file("o.aci"))
                == "patch-manifest: Unable to read \(image): isolator os/linux/seccomp-remove-set is not supported for patching\n")
        #expect(!FileManager.default.fileExists(atPath: s.file("o.aci")))
    }

    @Test func manifestFlagReplacesVerbatim() throws {
        let s = Scratch()
        defer { s.remove() }
        let image = built(s, "app")
        let edited = "{\"acKind\": \"ImageManifest\", \"acVersion\": \"0.8.11\", \"name\": \"example.com/edited\"}\n"
        s.write("new.json", edited)
        #expect(actool("patch-manifest", "--manifest", s.file("new.json"), "--replace", image).code == 0)
        #expect(actool("cat-manifest", image).out == edited + "\n")
    }

    @Test func dependencyInjectionByFileAndByName() throws {
        let s = Scratch()
        defer { s.remove() }
        let app = built(s, "app")
        let tools = built(s, "tools", manifest: toolsManifest, extra: ["bin/busybox": "#!", "bin/sh": "#!"])
        let toolsID = actool("image-id", tools).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            actool(
                "patch-manifest", "--add-dependency=\(tools)", "--add-dependency=example.com/other,version=2",
                "--replace", app
            ).code == 0)
        let pretty = actool("cat-manifest", "--pretty-print", app).out
        let decoded = try JSONSerialization.jsonObject(with: Data(pretty.utf8)) as? [String: Any]
        let deps = try #require(decoded?["dependencies"] as? [[String: Any]])
        #expect(deps.count == 2)
        #expect(deps[0]["imageName"] as? String == "example.com/tools")
        #expect(deps[0]["imageID"] as? String == toolsID)
        #expect((deps[0]["labels"] as? [[String: String]])?.map { $0["name"] ?? "" } == ["version", "os", "arch"])
        #expect(deps[1]["imageName"] as? String == "example.com/other")
        // Adding the same name again replaces it; removing takes it out.
        #expect(actool("patch-manifest", "--add-dependency=example.com/tools", "--remove-dependency=example.com/other", "--replace", app).code == 0)
        let after = actool("cat-manifest", app).out
        #expect(after.contains(#""dependencies":[{"imageName":"example.com/tools"}]"#))
        #expect(
            actool("patch-manifest", "--remove-dependency=example.com/none", "--replace", app).err
                == "patch-manifest: Unable to read \(app): --remove-dependency: no dependency named \"example.com/none\"\n")
        #expect(actool("patch-manifest", "--add-dependency=Bad", "--replace", app).code == 1)
    }

    @Test func whitelistWarningAndExtension() throws {
        let s = Scratch()
        defer { s.remove() }
        let listed = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","app":{"exec":["/app"],"user":"0","group":"0"},"pathWhitelist":["/app"]}"#
        let app = built(s, "app", manifest: listed)
        let tools = built(s, "tools", manifest: toolsManifest, extra: ["bin/sh": "#!"])
        let warned = actool("patch-manifest", "--add-dependency=\(tools)", app, s.file("a.aci"))
        #expect(warned.code == 0)
        #expect(warned.err.contains("--extend-whitelist"))
        let extended = actool("patch-manifest", "--add-dependency=\(tools)", "--extend-whitelist=\(tools)", app, s.file("b.aci"))
        #expect(extended.code == 0 && extended.err.isEmpty)
        #expect(actool("cat-manifest", s.file("b.aci")).out.contains(#""pathWhitelist":["/app","/bin/hello","/bin/sh"]"#))
    }

    @Test func dryRunChangesNothing() throws {
        let s = Scratch()
        defer { s.remove() }
        let app = built(s, "app")
        let before = s.bytes("app.aci")
        let r = actool("patch-manifest", "--dry-run", "--set-label", "version=2.0", "--working-directory=/srv", app)
        #expect(r.code == 0)
        #expect(r.out.contains("\"name\": \"version\",\n            \"value\": \"2.0\""))
        #expect(r.out.contains("\"workingDirectory\": \"/srv\""))
        #expect(s.bytes("app.aci") == before)
    }

    @Test func killedReplaceKeepsTheOriginal() throws {
        let s = Scratch()
        defer { s.remove() }
        // A foreign image forces a full rewrite, which takes long enough to be killed mid-write.
        s.mkdir("f/rootfs")
        s.write("f/manifest", appManifest)
        shellStatus("head -c 128M /dev/urandom > '\(s.file("f/rootfs/big"))' && tar -C '\(s.file("f"))' -cf - rootfs manifest | gzip -1 > '\(s.file("foreign.aci"))'")
        let before = s.bytes("foreign.aci")
        shellStatus("'\(actoolPath)' patch-manifest --replace --user=9 '\(s.file("foreign.aci"))' & pid=$!; sleep 0.4; kill -9 $pid; wait $pid")
        #expect(s.bytes("foreign.aci") == before)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.path)) ?? []).allSatisfy { !$0.hasPrefix(".tmp.") })
    }
}
