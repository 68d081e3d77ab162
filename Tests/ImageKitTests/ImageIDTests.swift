import ImageKit
import Testing

struct ImageIDTests {
    let digest = (0..<64).map { UInt8($0) }

    @Test func forms() {
        let id = ImageID(digest: digest)
        #expect(id.description.count == 135)
        #expect(id.description.hasPrefix("sha512-000102030405"))
        #expect(id.storeKey.count == 71)
        #expect(id.short.count == 39)
        #expect(id.listForm.count == 19)
        #expect(id.listForm == "sha512-000102030405")
    }

    @Test func parsing() throws {
        let id = ImageID(digest: digest)
        #expect(try ImageID(parsing: id.description) == id)
        #expect(try ImageID(parsing: id.description.uppercased().replacingOccurrences("SHA512-", "sha512-")) == id)
        #expect(throws: ImageKitError.self) { try ImageID(parsing: "sha256-" + id.hex) }
        #expect(throws: ImageKitError.self) { try ImageID(parsing: id.storeKey) }
        #expect(throws: ImageKitError.self) { try ImageID(parsing: "sha512-" + String(repeating: "z", count: 128)) }
    }

    @Test func prefixes() throws {
        let id = ImageID(digest: digest)
        #expect(try ImageID.normalisedPrefix("sha512-0001") == "sha512-0001")
        #expect(try ImageID.normalisedPrefix(id.description) == id.storeKey)
        #expect(id.matches(prefix: try ImageID.normalisedPrefix("sha512-00010203")))
        #expect(!id.matches(prefix: try ImageID.normalisedPrefix("sha512-ff")))
        #expect(throws: ImageKitError.invalidImageID("sha512-0", "image ID too short")) { try ImageID.normalisedPrefix("sha512-0") }
        #expect(throws: ImageKitError.invalidImageID("0001", "wrong key prefix")) { try ImageID.normalisedPrefix("0001") }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
