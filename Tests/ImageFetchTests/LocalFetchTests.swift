import Foundation
import ImageFetch
import ImageStore
import Testing

@Suite struct LocalFetchTests {
    @Test func signedLocalFileIsVerifiedAndStored() throws {
        let keys = try GPGKeys.get()
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "busybox.aci", name: "example.com/busybox")
        try keys.sign(image.path, with: keys.trusted)
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: "example.com/busybox")
        let log = LogLines()
        let record = try s.fetcher(s.options(), log: log).fetch(image.path)
        #expect(record.key == image.key)
        #expect(
            log.lines == [
                "image: using image from file \(image.path)",
                "image: signature verified:\n  Test ACI Signer <signer@example.com>",
            ])
        #expect(s.blobCount == 1)
        #expect(s.rowCount == 1)
        #expect(record.latest == false)
        // Again, and the plain tar of the same image: same ID, still one blob.
        let again = try s.fetcher(s.options(debug: false), log: LogLines()).fetch("file://" + image.path)
        #expect(again.key == image.key)
        let plain = try ACIFactory.make(in: s.files, file: "plain.aci", name: "example.com/busybox", compressed: false)
        #expect(plain.key == image.key)
        try keys.sign(plain.path, with: keys.trusted)
        #expect(try s.fetcher(s.options(), log: LogLines()).fetch(plain.path).key == image.key)
        #expect(s.blobCount == 1)
        #expect(s.tmpEntries.isEmpty)
    }

    @Test func missingSignatureFails() throws {
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "busybox.aci", name: "example.com/busybox")
        let error = expectFetchError { _ = try s.fetcher(s.options(), log: LogLines()).fetch(image.path) }
        #expect(error?.message == "open \(s.files)/busybox.aci.asc: no such file or directory")
        #expect(error?.chain.first == "error opening signature file")
        #expect(s.rowCount == 0)
        #expect(s.blobCount == 0)
    }

    @Test func unknownKeyFailsWithHints() throws {
        let keys = try GPGKeys.get()
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "busybox.aci", name: "example.com/busybox")
        try keys.sign(image.path, with: keys.untrusted)
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: "example.com/busybox")
        let log = LogLines()
        let error = expectFetchError { _ = try s.fetcher(s.options(debug: false), log: log).fetch(image.path) }
        #expect(error?.message == "openpgp: signature made by unknown entity")
        #expect(error?.render(debug: false) == "openpgp: signature made by unknown entity")
        #expect(error?.chain == [#"image "example.com/busybox" verification failed"#, "openpgp: signature made by unknown entity"])
        #expect(
            log.lines == [
                "image: If you expected the signing key to change, try running:",
                "image:     rkt trust --prefix <image>",
            ])
        #expect(s.rowCount == 0)
        #expect(s.blobCount == 0)
    }

    @Test func tamperedFileFails() throws {
        let keys = try GPGKeys.get()
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "busybox.aci", name: "example.com/busybox")
        try keys.sign(image.path, with: keys.trusted)
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: "example.com/busybox")
        let other = try ACIFactory.make(in: s.files, file: "other.aci", name: "example.com/busybox", content: "evil")
        try FileManager.default.removeItem(atPath: image.path)
        try FileManager.default.moveItem(atPath: other.path, toPath: image.path)
        let error = expectFetchError { _ = try s.fetcher(s.options(), log: LogLines()).fetch(image.path) }
        #expect(error?.message == "openpgp: invalid signature: hash tag doesn't match")
        #expect(s.rowCount == 0)
    }

    @Test func insecureImageSkipsVerification() throws {
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "busybox.aci", name: "example.com/busybox")
        let log = LogLines()
        let record = try s.fetcher(s.options([.image]), log: log).fetch(image.path)
        #expect(record.key == image.key)
        #expect(log.lines == ["image: using image from file \(image.path)"])
    }

    @Test func explicitSignatureFileIsUsed() throws {
        let keys = try GPGKeys.get()
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "busybox.aci", name: "example.com/busybox")
        try keys.sign(image.path, with: keys.trusted, output: s.files + "/elsewhere.sig")
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: nil)
        let record = try s.fetcher(s.options(), log: LogLines()).fetch(image.path, signature: s.files + "/elsewhere.sig")
        #expect(record.key == image.key)
        let missing = expectFetchError { _ = try s.fetcher(s.options(), log: LogLines()).fetch(image.path, signature: s.files + "/nope.asc") }
        #expect(missing?.message == "open \(s.files)/nope.asc: no such file or directory")
    }

    @Test func prefixWalkAndMasking() throws {
        let keys = try GPGKeys.get()
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "app.aci", name: "example.com/team/app")
        try keys.sign(image.path, with: keys.trusted)
        func attempt() -> String? {
            do {
                _ = try s.fetcher(s.options(debug: false), log: LogLines()).fetch(image.path)
                return nil
            } catch {
                return error.message
            }
        }
        let unknown = "openpgp: signature made by unknown entity"
        // Another prefix does not help.
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: "example.com/other")
        #expect(attempt() == unknown)
        // A parent prefix in the system directory does.
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.system, prefix: "example.com")
        #expect(attempt() == nil)
        // An empty local file of the same name masks it.
        let maskDir = s.local + "/trustedkeys/prefix.d/example.com"
        try FileManager.default.createDirectory(atPath: maskDir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: maskDir + "/" + keys.trusted.lowercased(), contents: Data())
        #expect(attempt() == unknown)
        // A local key for the full name comes after the mask and counts again.
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: "example.com/team/app")
        #expect(attempt() == nil)
        try FileManager.default.removeItem(atPath: s.local + "/trustedkeys/prefix.d/example.com/team")
        #expect(attempt() == unknown)
        // A root key counts for every name.
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.system, prefix: nil)
        #expect(attempt() == unknown)  // still masked: the local prefix mask comes later
        try FileManager.default.removeItem(atPath: maskDir + "/" + keys.trusted.lowercased())
        #expect(attempt() == nil)
        // A key stored under the wrong name is an error.
        try trustKey(keys.untrustedArmored, fingerprint: keys.trusted, config: s.local, prefix: "example.com/team")
        let message = attempt()
        #expect(message == "fingerprint mismatch: \"\(keys.trusted.lowercased())\":\"\(keys.untrusted.lowercased())\"")
        #expect(s.rowCount == 1)
    }

    @Test func fileNamesMustEndInAci() throws {
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "busybox.aci.gz", name: "example.com/busybox")
        let error = expectFetchError { _ = try s.fetcher(s.options([.image]), log: LogLines()).fetch(image.path) }
        #expect(error?.message == "invalid image string \"file://\(image.path)\"")
    }
}
