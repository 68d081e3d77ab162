import Foundation
import TestSupport
import Testing

@testable import ImageFetch

@Suite struct InsecureOptionsTests {
    @Test func parsesRktWords() throws {
        #expect(try InsecureOptions.parse("none") == [])
        #expect(try InsecureOptions.parse("") == [])
        #expect(try InsecureOptions.parse("image,tls") == [.image, .tls])
        #expect(try InsecureOptions.parse("IMAGE") == [.image])
        #expect(try InsecureOptions.parse("all-fetch") == [.image, .tls, .http, .pubkey])
        #expect(try InsecureOptions.parse("all-run") == [.capabilities, .paths, .seccomp])
        #expect(try InsecureOptions.parse("all") == [.image, .tls, .http, .pubkey, .capabilities, .paths, .seccomp])
        #expect(try InsecureOptions.parse("ondisk") == [])
        #expect(try InsecureOptions.parse("none,http") == [.http])
        #expect(
            InsecureOptions.names == [
                "none", "image", "tls", "ondisk", "http", "pubkey", "capabilities", "paths",
                "seccomp", "all-fetch", "all-run", "all",
            ])
        #expect(InsecureOptions([.image, .http]).description == "image,http")
        #expect(InsecureOptions([]).description == "none")
    }

    @Test func rejectsUnknownAndDuplicates() {
        #expect(expectFetchError { _ = try InsecureOptions.parse("bogus") }?.message == #"unknown option "bogus""#)
        #expect(expectFetchError { _ = try InsecureOptions.parse("tls,tls") }?.message == #"duplicated option "tls""#)
        #expect(expectFetchError { _ = try InsecureOptions.parse("image,") }?.message == #"unknown option """#)
    }
}

@Suite struct ErrorFormatTests {
    @Test func rendersLikeRktLog() {
        let error = FetchError("discovery failed").wrapped(#"discovery failed for "example.com/nope""#)
        #expect(error.render(debug: false) == "discovery failed")
        #expect(error.render("error adding keys", debug: false) == "error adding keys: discovery failed")
        #expect(error.render(debug: true) == "\n  └─discovery failed for \"example.com/nope\"\n    └─discovery failed")
        #expect(error.description == "discovery failed")
    }
}

@Suite struct ImageReferenceTests {
    @Test func classifiesImageStrings() throws {
        let dir = Scratch("imagefetch-test", removeOnDeinit: true)
        _ = FileManager.default.createFile(atPath: dir.path + "/busybox.aci.gz", contents: Data([1]))
        #expect(try ImageReference.parse("/abs/busybox.aci") == .file("/abs/busybox.aci"))
        #expect(try ImageReference.parse("file:///abs/b%20x.aci") == .file("/abs/b x.aci"))
        #expect(try ImageReference.parse("https://example.com/a/b.aci?x=1") == .url("https://example.com/a/b.aci?x=1"))
        #expect(try ImageReference.parse("example.com/app:1.0") == .name(try AppName(name: "example.com/app", labels: ["version": "1.0"])))
        #expect(try ImageReference.parse("sha512-0123abc") == .name(try AppName(name: "sha512-0123abc")))
        let relative = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(relative) }
        #expect(try ImageReference.parse("busybox.aci") == .file(dir.path + "/busybox.aci"))
        #expect(
            expectFetchError { _ = try ImageReference.parse("busybox.aci.gz") }?.message
                == "invalid image string \"file://\(dir.path)/busybox.aci.gz\"")
        #expect(
            expectFetchError { _ = try ImageReference.parse("https://example.com/x.tgz") }?.message
                == #"invalid image string "https://example.com/x.tgz""#)
        #expect(
            expectFetchError { _ = try ImageReference.parse("Example.com/App") }?.message
                == #"invalid appc image string "Example.com/App": ACIdentifier must contain only lower case alphanumeric characters plus "-._~/""#)
    }

    @Test func signatureLocations() {
        #expect(ImageReference.signatureURL(for: "https://h/a/b.aci?x=1") == "https://h/a/b.aci.asc?x=1")
        #expect(ImageReference.signaturePath(for: "/a/b.aci") == "/a/b.aci.asc")
    }
}

@Suite struct AppNameTests {
    @Test func parsesNameVersionAndLabels() throws {
        let app = try AppName(parsing: "example.com/reduce-worker:1.0.0,channel=alpha")
        #expect(app.name == "example.com/reduce-worker")
        #expect(app.labels == ["version": "1.0.0", "channel": "alpha"])
        #expect(app.description == "example.com/reduce-worker,channel=alpha,version=1.0.0")
        #expect(
            expectFetchError { _ = try AppName(parsing: "example.com/x,bad") }?.message
                == "malformed app string - has a label without a value: bad")
        #expect(
            expectFetchError { _ = try AppName(parsing: "example.com/x,a=1,a=2") }?.message
                == #"label a with multiple values ["1" "2"]"#)
    }
}

@Suite struct DiscoveryParsingTests {
    /// A hostile page: megabytes of bare `&`, unclosed comments and tags. The parser reads
    /// each byte a bounded number of times (the time limit guards against going quadratic
    /// again; the benchmark times it).
    @Test(.timeLimit(.minutes(1))) func hostilePagesParseInLinearTime() {
        let ampersands = "<meta name=\"ac-discovery\" content=\"example.com https://h/" + String(repeating: "&", count: 1 << 20) + "\">"
        let meta = Discovery.metaTags(Array(ampersands.utf8))
        #expect(meta.count == 1 && meta.first?.uri.count == 10 + (1 << 20))
        let entities = "<meta name=\"ac-discovery\" content=\"example.com " + String(repeating: "&amp;&#38;&bogus", count: 1 << 16) + "\">"
        #expect(Discovery.metaTags(Array(entities.utf8)).first?.uri.hasPrefix("&&&bogus&&&bogus") == true)
        for page in ["<!--" + String(repeating: "-", count: 1 << 20), "<meta " + String(repeating: "a=b ", count: 1 << 18)] {
            #expect(Discovery.metaTags(Array(page.utf8)).isEmpty)
        }
    }

    @Test func extractsMetaTagsAndRendersTemplates() throws {
        let html = """
            <html><head>
            <!-- <meta name="ac-discovery" content="example.com http://commented-out/{name}.{ext}"> -->
            <meta name="ac-discovery" content="example.com https://example.com/{name}-{version}-{os}-{arch}.{ext}">
            <META NAME="ac-discovery" CONTENT="example.com/other https://other/{name}.{ext}">
            <meta name="ac-discovery" content="example.com https://x/{unknown}.{ext}"/>
            <meta name="ac-discovery-pubkeys" content='example.com https://example.com/pubkeys.gpg'>
            <meta name="description" content="not ac">
            <meta name="ac-discovery" content="nospace">
            </head></html>
            """
        let meta = Discovery.metaTags(Array(html.utf8))
        #expect(meta.count == 4)
        #expect(
            meta[0]
                == Discovery.Meta(
                    name: "ac-discovery", prefix: "example.com",
                    uri: "https://example.com/{name}-{version}-{os}-{arch}.{ext}"))
        #expect(meta[3].name == "ac-discovery-pubkeys")
        let (rendered, ok) = Discovery.render("https://h/{name}-{version}.{ext}", [("{name}", "example.com/app"), ("{version}", "latest")])
        #expect(rendered == "https://h/example.com/app-latest.{ext}")
        #expect(!ok)
        #expect(Discovery.render(rendered, [("{ext}", "aci")]) == ("https://h/example.com/app-latest.aci", true))
        #expect(HTMLScanner.unescape("a&amp;b&#39;c&lt;") == "a&b'c<")
    }
}

@Suite struct OpenPGPTests {
    @Test func fingerprintsAndIdentitiesMatchGpg() throws {
        let keys = try GPGKeys.get()
        let entities = try OpenPGP.readArmoredKeyRing(Array(keys.trustedArmored.utf8))
        #expect(entities.count == 1)
        let entity = try #require(entities.first)
        let colons = try keys.colons(keys.trustedArmored).split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
        let fprs = colons.filter { $0.first == "fpr" }.map { String($0[9]).lowercased() }
        let uids = colons.filter { $0.first == "uid" }.map { String($0[9]) }
        #expect(entity.fileName == keys.trusted.lowercased())
        #expect([entity.fileName] + entity.subkeyFingerprints.map(OpenPGP.hex) == fprs)
        #expect(entity.identities == uids)
        #expect(entity.identities == ["Test ACI Signer <signer@example.com>"])
        #expect(OpenPGP.groupedFingerprint(entity.fingerprint).count == 50)
    }

    @Test func rejectsBadArmor() throws {
        let keys = try GPGKeys.get()
        var lines = keys.trustedArmored.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let crcIndex = try #require(lines.firstIndex { $0.hasPrefix("=") && $0.count == 5 })
        lines[crcIndex] = "=AAAA"
        #expect(
            expectFetchError { _ = try OpenPGP.readArmoredKeyRing(Array(lines.joined(separator: "\n").utf8)) }?.message
                == "openpgp: invalid data: armor checksum mismatch")
        #expect(
            expectFetchError { _ = try OpenPGP.readArmoredKeyRing(Array("not a key".utf8)) }?.message
                == "openpgp: invalid argument: no armored data found")
        #expect(
            OpenPGP.groupedFingerprint([0x4E, 0x03, 0x45, 0xEE, 0xA4, 0xE2, 0xCB, 0xD4, 0xF2, 0xF3, 0xB4, 0x3E, 0xD4, 0xA3, 0xDE, 0xCB, 0x87, 0x72, 0x12, 0xD0])
                == "4E03 45EE A4E2 CBD4 F2F3  B43E D4A3 DECB 8772 12D0")
    }
}
