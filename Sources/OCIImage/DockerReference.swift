/// A Docker image reference, `[REGISTRY[:PORT]/]REPOSITORY[:TAG|@DIGEST]`, parsed as
/// Docker's `reference.ParseNormalizedNamed` parses it and split as docker2aci splits it
/// (`ParsedDockerURL`): Docker Hub names get their registry (`registry-1.docker.io`) and
/// their `library/` prefix, a reference with neither tag nor digest means `latest`.
public struct DockerReference: Sendable, Equatable, CustomStringConvertible {
    /// The text as given (`busybox`, `127.0.0.1:5000/app:v1`).
    public var originalName: String
    /// Where the registry is: `registry-1.docker.io`, `quay.io`, `127.0.0.1:5000`. Empty
    /// for images read from a file that names no registry.
    public var registry: String
    /// The repository on that registry: `library/busybox`, `team/app`.
    public var repository: String
    /// The tag; nil when a digest was given (a digest wins over a tag, as in docker2aci).
    public var tag: String?
    /// `sha256:...` when the reference pins a manifest.
    public var digest: OCIDigest?

    /// Docker Hub's registry host, which Docker writes as `docker.io`.
    public static let dockerHub = "registry-1.docker.io"
    public static let defaultTag = "latest"

    public init(registry: String, repository: String, tag: String?, digest: OCIDigest? = nil, originalName: String = "") {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.originalName = originalName
    }

    /// Parses `text` (`busybox`, `busybox:1.36`, `quay.io/org/app@sha256:...`).
    public init(parsing text: String) throws(OCIError) {
        originalName = text
        if text.utf8.count == 64, text.utf8.allSatisfy(DockerReference.isLowerHex) {
            throw .reference("invalid repository name (\(text)), cannot specify 64-byte hexadecimal strings")
        }
        // Docker's splitDockerDomain: a first component with a dot or a colon, or
        // `localhost`, is a registry; anything else is a Docker Hub repository.
        var domain = "docker.io"
        var remainder = Substring(text)
        if let slash = text.firstIndex(of: "/") {
            let first = text[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" {
                domain = String(first)
                remainder = text[text.index(after: slash)...]
            }
        }
        if domain == "index.docker.io" { domain = "docker.io" }
        if domain == "docker.io", !remainder.contains("/") { remainder = "library/" + remainder }

        var namePart = remainder
        var digestText: Substring?
        if let at = remainder.firstIndex(of: "@") {
            namePart = remainder[..<at]
            digestText = remainder[remainder.index(after: at)...]
        }
        var tagText: Substring?
        if let colon = namePart.firstIndex(of: ":") {
            tagText = namePart[namePart.index(after: colon)...]
            namePart = namePart[..<colon]
        }
        if namePart.lowercased() != namePart {
            throw .reference("invalid reference format: repository name must be lowercase")
        }
        if text.isEmpty { throw .reference("repository name must have at least one component") }
        guard DockerReference.isDomain(domain), DockerReference.isPath(namePart) else {
            throw .reference("invalid reference format")
        }
        if let tagText, !DockerReference.isTag(tagText) { throw .reference("invalid reference format") }
        if domain.utf8.count + 1 + namePart.utf8.count > 255 {
            throw .reference("repository name must not be more than 255 characters")
        }
        if let digestText {
            do {
                digest = try OCIDigest(parsing: String(digestText))
            } catch {
                throw .reference(error.message)
            }
            tag = nil
        } else {
            tag = tagText.map(String.init) ?? DockerReference.defaultTag
        }
        registry = domain == "docker.io" ? DockerReference.dockerHub : domain
        repository = String(namePart)
    }

    /// `registry/repository:tag` or `registry/repository@digest`, every default filled in
    /// (rkt's `FullDockerRef`): two spellings of one image give the same text.
    public var description: String {
        let name = registry.isEmpty ? repository : registry + "/" + repository
        if let digest { return name + "@" + digest.description }
        return name + ":" + (tag ?? DockerReference.defaultTag)
    }

    /// The tag or digest, as the registry's manifest endpoint takes it.
    public var manifestReference: String { digest?.description ?? tag ?? DockerReference.defaultTag }

    // MARK: Grammar (distribution/reference)

    static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func isLowerAlphaNumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x7a).contains(byte)
    }

    private static func isAlphaNumeric(_ byte: UInt8) -> Bool {
        isLowerAlphaNumeric(byte) || (0x41...0x5a).contains(byte)
    }

    /// `domainComponent ("." domainComponent)* (":" [0-9]+)?`, a component being
    /// letters, digits and inner hyphens.
    static func isDomain(_ text: String) -> Bool {
        var host = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            let port = text[text.index(after: colon)...]
            guard !port.isEmpty, port.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
            host = text[..<colon]
        }
        let components = host.split(separator: ".", omittingEmptySubsequences: false)
        return components.allSatisfy { component in
            let bytes = Array(component.utf8)
            guard let first = bytes.first, let last = bytes.last, isAlphaNumeric(first), isAlphaNumeric(last) else { return false }
            return bytes.allSatisfy { isAlphaNumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// Path components: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, joined by `/`.
    static func isPath(_ text: Substring) -> Bool {
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        return !components.isEmpty && components.allSatisfy { isNameComponent(Array($0.utf8)) }
    }

    private static func isNameComponent(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isLowerAlphaNumeric(first), isLowerAlphaNumeric(last) else { return false }
        var i = 0
        while i < bytes.count {
            if isLowerAlphaNumeric(bytes[i]) {
                i += 1
                continue
            }
            // A separator: one dot, one or two underscores, or any number of hyphens.
            var j = i
            switch bytes[i] {
            case UInt8(ascii: "."): j += 1
            case UInt8(ascii: "_"):
                j += 1
                if j < bytes.count, bytes[j] == UInt8(ascii: "_") { j += 1 }
            case UInt8(ascii: "-"):
                while j < bytes.count, bytes[j] == UInt8(ascii: "-") { j += 1 }
            default: return false
            }
            guard j < bytes.count, isLowerAlphaNumeric(bytes[j]) else { return false }
            i = j
        }
        return true
    }

    /// `[\w][\w.-]{0,127}`.
    static func isTag(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        func isWord(_ b: UInt8) -> Bool { isAlphaNumeric(b) || b == UInt8(ascii: "_") }
        guard let first = bytes.first, isWord(first), bytes.count <= 128 else { return false }
        return bytes.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}
