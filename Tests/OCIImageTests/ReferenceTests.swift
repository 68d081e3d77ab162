import OCIImage
import Testing

struct ReferenceTests {
    @Test(arguments: [
        ("busybox", "registry-1.docker.io/library/busybox:latest"),
        ("busybox:1.36", "registry-1.docker.io/library/busybox:1.36"),
        ("docker.io/library/busybox", "registry-1.docker.io/library/busybox:latest"),
        ("index.docker.io/team/app:v2", "registry-1.docker.io/team/app:v2"),
        ("team/app", "registry-1.docker.io/team/app:latest"),
        ("quay.io/org/app:1.0", "quay.io/org/app:1.0"),
        ("localhost/app", "localhost/app:latest"),
        ("127.0.0.1:5000/distroless-app", "127.0.0.1:5000/distroless-app:latest"),
        ("127.0.0.1:5000/a/b__c-d.e:tag_1.x", "127.0.0.1:5000/a/b__c-d.e:tag_1.x"),
        (
            "gcr.io/x/y:tag@sha256:" + String(repeating: "ab", count: 32),
            "gcr.io/x/y@sha256:" + String(repeating: "ab", count: 32)
        ),
    ])
    func normalizesAsDocker(text: String, full: String) throws {
        let reference = try DockerReference(parsing: text)
        #expect(reference.description == full)
        #expect(reference.originalName == text)
    }

    @Test func splitsAsDocker2aci() throws {
        let hub = try DockerReference(parsing: "busybox")
        #expect(hub.registry == "registry-1.docker.io")
        #expect(hub.repository == "library/busybox")
        #expect(hub.tag == "latest")
        #expect(hub.manifestReference == "latest")
        let pinned = try DockerReference(parsing: "quay.io/a/b@sha256:" + String(repeating: "0", count: 64))
        #expect(pinned.tag == nil)
        #expect(pinned.manifestReference == "sha256:" + String(repeating: "0", count: 64))
    }

    @Test(arguments: [
        ("Busybox", "invalid reference format: repository name must be lowercase"),
        ("quay.io/Org/app", "invalid reference format: repository name must be lowercase"),
        ("busybox:", "invalid reference format"),
        ("busybox:-tag", "invalid reference format"),
        ("a//b", "invalid reference format"),
        ("-a", "invalid reference format"),
        ("a_-b", "invalid reference format"),
        (String(repeating: "a", count: 64), "invalid repository name (\(String(repeating: "a", count: 64))), cannot specify 64-byte hexadecimal strings"),
        ("busybox@sha256:abc", "invalid checksum digest length"),
        ("busybox@md5:" + String(repeating: "0", count: 32), "unsupported digest algorithm"),
        ("busybox@sha256:XYZ", "invalid checksum digest format"),
        (String(repeating: "a/", count: 128) + "a", "repository name must not be more than 255 characters"),
    ])
    func refusesWhatDockerRefuses(text: String, message: String) {
        #expect(throws: OCIError.reference(message)) { try DockerReference(parsing: text) }
    }
}
