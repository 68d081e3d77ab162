import Foundation
import Glibc
import ImageFetch
import ImageStore
import Testing

/// A file imported before is not read again while it is unchanged; any change to it, to
/// its signature or to the keys trusted for it, or `--pull-policy=update`, reads it again.
@Suite struct ImportedFileTests {
    static let reused = "image: using image from local store for unchanged file "

    /// Fetches `path` with a debug log and says whether the store's copy was used.
    func fetch(_ s: Setup, _ path: String, _ insecure: InsecureOptions = [.image], policy: PullPolicy = .new) throws -> (ImageRecord, [String]) {
        let log = LogLines()
        let record = try s.fetcher(s.options(insecure, policy: policy), log: log).fetch(path)
        return (record, log.lines)
    }

    @Test func unchangedFilesAreNotReadAgain() throws {
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "app.aci", name: "example.com/app")
        let (first, firstLog) = try fetch(s, image.path)
        #expect(firstLog == ["image: using image from file \(image.path)"])
        let (again, againLog) = try fetch(s, image.path)
        #expect(again == first)
        #expect(againLog == ["image: using image from file \(image.path)", Self.reused + image.path])
        // By another spelling of the same path (it is remembered by its absolute path).
        #expect(try fetch(s, s.files + "/./app.aci").1.last == Self.reused + image.path)
        // --pull-policy=update (rkt fetch's default) reads it.
        #expect(try fetch(s, image.path, policy: .update).1 == ["image: using image from file \(image.path)"])
    }

    @Test func anyChangeToTheFileReadsItAgain() throws {
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "app.aci", name: "example.com/app")
        let original = try fetch(s, image.path).0
        // touch: same bytes, new times.
        #expect(utimensat(AT_FDCWD, image.path, nil, 0) == 0)
        let touched = try fetch(s, image.path)
        #expect(touched.0.key == original.key && !touched.1.contains(Self.reused + image.path))
        #expect(try fetch(s, image.path).1.last == Self.reused + image.path)
        // Rewritten in place, same size, other bytes: the new image.
        let twin = try ACIFactory.make(in: s.files, file: "twin.aci", name: "example.com/app", content: "HELLO")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: twin.path))
        let handle = try #require(FileHandle(forUpdatingAtPath: image.path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: bytes)
        try handle.close()
        let rewritten = try fetch(s, image.path)
        #expect(rewritten.0.key == twin.key && !rewritten.1.contains(Self.reused + image.path))
        // Another file renamed over it.
        let other = try ACIFactory.make(in: s.files, file: "other.aci", name: "example.com/app", content: "other")
        #expect(rename(other.path, image.path) == 0)
        let renamed = try fetch(s, image.path)
        #expect(renamed.0.key == other.key && !renamed.1.contains(Self.reused + image.path))
        // The image removed from the store: read again.
        try s.store.remove(other.key)
        let refetched = try fetch(s, image.path)
        #expect(refetched.0.key == other.key && !refetched.1.contains(Self.reused + image.path))
    }

    /// With signatures checked: the signers are reported again without a check; a new
    /// signature file, a key no longer trusted, or an import without a check, checks again.
    @Test func signatureChecksAreRememberedWithTheirKeys() throws {
        let keys = try GPGKeys.get()
        let s = try Setup()
        let image = try ACIFactory.make(in: s.files, file: "app.aci", name: "example.com/app")
        try keys.sign(image.path, with: keys.trusted)
        try trustKey(keys.trustedArmored, fingerprint: keys.trusted, config: s.local, prefix: "example.com/app")
        let verified = "image: signature verified:\n  Test ACI Signer <signer@example.com>"
        let opened = "image: using image from file \(image.path)"
        // Imported without a check first: a checked fetch does not trust that.
        _ = try fetch(s, image.path)
        #expect(try fetch(s, image.path, []).1 == [opened, verified])
        #expect(try fetch(s, image.path, []).1 == [opened, Self.reused + image.path, verified])
        // A new signature file (same signer): checked again.
        try keys.sign(image.path, with: keys.trusted)
        #expect(try fetch(s, image.path, []).1 == [opened, verified])
        // The key removed: the check runs, and fails.
        try FileManager.default.removeItem(atPath: s.local + "/trustedkeys/prefix.d/example.com/app/" + keys.trusted.lowercased())
        let error = expectFetchError { _ = try fetch(s, image.path, []) }
        #expect(error?.message == "openpgp: signature made by unknown entity")
    }
}
