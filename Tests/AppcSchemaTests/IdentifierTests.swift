import Testing

@testable import AppcSchema

struct IdentifierTests {
    @Test(arguments: ["example.com/app", "a", "example.com/my_app", "a--b", "example.com//x", "a~b", "1.0", "0"])
    func validIdentifiers(_ s: String) throws {
        #expect(try ACIdentifier(s).value == s)
    }

    @Test(arguments: [
        ("", "ACIdentifier cannot be empty"),
        ("Bad_", identifierCharError),
        ("example.com/App", identifierCharError),
        ("a b", identifierCharError),
        ("café", identifierCharError),
        ("-a", identifierEdgeError),
        ("a-", identifierEdgeError),
        ("/a", identifierEdgeError),
        ("a/", identifierEdgeError),
        ("_", identifierEdgeError),
        ("a.", identifierEdgeError),
    ])
    func invalidIdentifiers(_ s: String, _ message: String) {
        #expect(throws: ManifestError(message)) { try ACIdentifier(s) }
    }

    @Test(arguments: ["web", "web-1", "a--b", "0"])
    func validNames(_ s: String) throws {
        #expect(try ACName(s).value == s)
    }

    @Test(arguments: [
        ("", "ACName cannot be empty"),
        ("Web", nameCharError),
        ("a.b", nameCharError),
        ("a_b", nameCharError),
        ("a/b", nameCharError),
        ("-a", nameEdgeError),
        ("a-", nameEdgeError),
    ])
    func invalidNames(_ s: String, _ message: String) {
        #expect(throws: ManifestError(message)) { try ACName(s) }
    }

    @Test func hashes() throws {
        #expect(try ImageHash("sha512-abc").description == "sha512-abc")
        #expect(try ImageHash("sha512-zz").value == "zz")
        #expect(throws: ManifestError("unexpected empty hash value")) { try ImageHash("sha512-") }
        #expect(throws: ManifestError("unexpected empty hash type")) { try ImageHash("-abc") }
        #expect(throws: ManifestError("unrecognized hash type: sha256")) { try ImageHash("sha256-abc") }
        #expect(throws: ManifestError("badly formatted hash string")) { try ImageHash("sha512") }
        #expect(throws: ManifestError("badly formatted hash string")) { try ImageHash("sha512-a-b") }
        #expect(throws: ManifestError("badly formatted hash string")) { try ImageHash("") }
    }

    @Test(arguments: [
        ("1.2.3", "1.2.3"),
        ("01.02.3", "1.2.3"),
        ("1.2.3-", "1.2.3"),
        ("1.2.3+", "1.2.3"),
        ("1.2.3-alpha..1", "1.2.3-alpha..1"),
        ("1.2.3-x+y", "1.2.3-x+y"),
        ("1.2.3+a-b", "1.2.3+a-b"),
        ("0.0.0-a", "0.0.0-a"),
        ("0.0.0+b", "0.0.0+b"),
        ("99.0.0", "99.0.0"),
        ("0.8.11+git", "0.8.11+git"),
    ])
    func semverNormalisation(_ input: String, _ output: String) throws {
        #expect(try SemVer(input).description == output)
    }

    @Test(arguments: [
        "", "v1.2.3", " 1.2.3", "1.2", "1.2.3.4", "1.2.x", "1..3", "1.2.3 ", "99999999999999999999.0.0",
        "-1.2.3", "+1.2.3", "1.2.-3",
    ])
    func badSemVer(_ input: String) {
        #expect(throws: ManifestError("SemVer is bad")) { try SemVer(input) }
    }

    @Test(arguments: ["0.0.0", "00.0.000", "0.0.0-", "0.0.0+", "0.0.0-+"])
    func zeroSemVer(_ input: String) {
        #expect(throws: ManifestError("SemVer cannot be zero")) { try SemVer(input) }
    }

    @Test func semverInManifests() throws {
        #expect(try image(manifest().replacingOccurrences("0.8.11", "01.02.03-")).acVersion.description == "1.2.3")
        #expect(imageError(manifest().replacingOccurrences("0.8.11", "0.0.0")) == "SemVer cannot be zero")
        #expect(imageError(manifest().replacingOccurrences("0.8.11", "1.0")) == "SemVer is bad")
        #expect(
            imageError(manifest().replacingOccurrences(#""0.8.11""#, "5"))
                == "json: cannot unmarshal number into Go struct field imageManifest.acVersion of type string")
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
