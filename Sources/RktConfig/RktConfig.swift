import Glibc
import GoCompat
import GoJSON
import LinuxSystem

/// rkt's stage0 configuration: what `/usr/lib/rkt` (system), `/etc/rkt` (local) and the
/// `--user-config` directory say, each overriding the one before, per entry.
///
/// Each directory holds `auth.d` (kinds `auth` and `dockerAuth`), `paths.d` (`paths`) and
/// `stage1.d` (`stage1`); in each, the regular `*.json` files are read in name order
/// (subdirectories, symlinks and other names are skipped). Within one directory an entry
/// may be given once; a later directory replaces it (rkt-runtime.md, `rkt config`).
public struct RktConfig: Sendable, Equatable {
    /// Credentials for HTTPS fetches, by host (`host` or `host:port`, as in the URL).
    public var authPerHost: [String: HostAuth] = [:]
    /// Credentials for docker registries, by registry host.
    public var dockerCredentials: [String: BasicCredentials] = [:]
    /// `paths.d`: the data directory (`--dir` wins) and the stage1 images directory.
    public var dataDirectory = ""
    public var stage1ImagesDirectory = ""
    /// `stage1.d`: the default stage1 image.
    public var stage1 = Stage1Image()

    public init() {}

    /// The configuration as rkt reads it from `directories`, later ones overriding.
    public static func load(directories: [String]) throws(ConfigError) -> RktConfig {
        var config = RktConfig()
        for directory in directories {
            config.merge(try loadDirectory(directory))
        }
        return config
    }

    /// The configuration one directory gives (empty if it does not exist).
    public static func loadDirectory(_ directory: String) throws(ConfigError) -> RktConfig {
        var config = RktConfig()
        guard try isDirectory(directory) else { return config }
        for (subdirectory, kinds) in subdirectories {
            let path = GoPath.join(directory, subdirectory)
            guard try isDirectory(path) else { continue }
            let names: [String]
            do {
                names = try Files.sortedNames(path)
            } catch {
                throw ConfigError(message: "\(error)")
            }
            for name in names {
                let file = GoPath.join(path, name)
                // Only regular `*.json` files; lstat, so symlinks are skipped as rkt does.
                var info = stat()
                guard name.hasSuffix(".json"), lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                try config.parseFile(file, kinds: kinds)
            }
        }
        return config
    }

    /// The subdirectories and the kinds each may hold, in the order they are read.
    static let subdirectories: [(String, [String])] = [
        ("auth.d", ["auth", "dockerAuth"]), ("paths.d", ["paths"]), ("stage1.d", ["stage1"]),
    ]

    private static func isDirectory(_ path: String) throws(ConfigError) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw ConfigError(message: "expected \(goQuote(path)) to be a directory") }
        return true
    }

    /// `rkt config`'s document: `{"stage0": [...]}` with one entry per host's auth and per
    /// docker registry (sorted by name), then the paths and the stage1 entries; indented
    /// with tabs unless `pretty` is false. No trailing newline.
    public func json(pretty: Bool) -> [UInt8] {
        func entry(_ kind: String, _ members: [(String, JSONValue)]) -> JSONValue {
            .object(([("rktVersion", .string("v1")), ("rktKind", .string(kind))] + members).map { JSONMember(key: $0.0, value: $0.1) })
        }
        func object(_ members: [(String, String)]) -> JSONValue {
            .object(members.map { JSONMember(key: $0.0, value: .string($0.1)) })
        }
        var stage0: [JSONValue] = []
        for (host, auth) in authPerHost.sorted(by: { $0.key < $1.key }) {
            let credentials: JSONValue
            switch auth {
            case .basic(let basic): credentials = object([("user", basic.user), ("password", basic.password)])
            case .oauth(let token): credentials = object([("token", token)])
            case let .aws(key, secret, region):
                credentials = object([("accessKeyID", key), ("secretAccessKey", secret), ("awsRegion", region)])
            }
            stage0.append(
                entry("auth", [("domains", .array([.string(host)])), ("type", .string(auth.typeName)), ("credentials", credentials)]))
        }
        for (registry, basic) in dockerCredentials.sorted(by: { $0.key < $1.key }) {
            stage0.append(
                entry(
                    "dockerAuth",
                    [("registries", .array([.string(registry)])), ("credentials", object([("user", basic.user), ("password", basic.password)]))]))
        }
        stage0.append(entry("paths", [("data", .string(dataDirectory)), ("stage1-images", .string(stage1ImagesDirectory))]))
        stage0.append(
            entry("stage1", [("name", .string(stage1.name)), ("version", .string(stage1.version)), ("location", .string(stage1.location))]))
        let compact = GoJSON.encodeCompact(.object([JSONMember(key: "stage0", value: .array(stage0))]))
        return pretty ? GoJSON.indent(compact, indent: "\t") : compact
    }

    /// A later directory's entries replace this one's.
    mutating func merge(_ other: RktConfig) {
        authPerHost.merge(other.authPerHost) { _, new in new }
        dockerCredentials.merge(other.dockerCredentials) { _, new in new }
        if !other.dataDirectory.isEmpty { dataDirectory = other.dataDirectory }
        if !other.stage1ImagesDirectory.isEmpty { stage1ImagesDirectory = other.stage1ImagesDirectory }
        if !other.stage1.name.isEmpty {
            stage1.name = other.stage1.name
            stage1.version = other.stage1.version
        }
        if !other.stage1.location.isEmpty { stage1.location = other.stage1.location }
    }

    private mutating func parseFile(_ path: String, kinds: [String]) throws(ConfigError) {
        let bytes: [UInt8]
        do {
            bytes = try Files.readFile(path, limit: 1 << 20)
        } catch {
            throw ConfigError(message: "\(error)")
        }
        func failed(_ message: String) -> ConfigError {
            ConfigError(message: "failed to parse \(goQuote(path)): \(message)")
        }
        let root: JSONValue
        do {
            root = try GoJSON.parse(bytes).root
        } catch {
            throw failed(error.message)
        }
        let header = try GoStruct(root, type: "configHeader", fields: ["rktVersion", "rktKind"]).mapError(failed)
        let kind = header.string("rktKind"), version = header.string("rktVersion")
        guard !kind.isEmpty else { throw ConfigError(message: "no rktKind specified in \(goQuote(path))") }
        guard !version.isEmpty else { throw ConfigError(message: "no rktVersion specified in \(goQuote(path))") }
        guard kinds.contains(kind) else {
            let directory = Files.directory(of: path), base = Files.baseName(of: path)
            throw ConfigError(
                message:
                    "the configuration directory \(goQuote(directory)) expects to have configuration files of kinds \(goQuote(kinds.joined(separator: "\", \""))), but \(goQuote(base)) has kind of \(goQuote(kind))"
            )
        }
        guard version == "v1" else {
            throw failed("no parser available for configuration of kind \(goQuote(kind)) and version \(goQuote(version))")
        }
        do throws(ConfigError) {
            switch kind {
            case "auth": try parseAuth(root)
            case "dockerAuth": try parseDockerAuth(root)
            case "paths": try parsePaths(root)
            default: try parseStage1(root)
            }
        } catch {
            throw failed(error.message)
        }
    }

    private mutating func parseAuth(_ root: JSONValue) throws(ConfigError) {
        let auth = try GoStruct(root, type: "authV1", fields: ["domains", "type", "credentials"], lists: ["domains"], raws: ["credentials"]).get()
        let domains = auth.strings("domains")
        guard !domains.isEmpty else { throw ConfigError(message: "no domains specified") }
        let type = auth.string("type")
        guard !type.isEmpty else { throw ConfigError(message: "no auth type specified") }
        // The credentials are a json.RawMessage, decoded once the type is known: absent, they
        // are no JSON at all.
        func credentials() throws(ConfigError) -> JSONValue {
            guard let value = auth.raw("credentials") else { throw ConfigError(message: "unexpected end of JSON input") }
            return value
        }
        let headerer: HostAuth
        switch type {
        case "basic":
            headerer = .basic(try BasicCredentials.decode(credentials(), type: "basicV1"))
        case "oauth":
            let oauth = try GoStruct(credentials(), type: "oauthV1", fields: ["token"]).get()
            guard !oauth.string("token").isEmpty else { throw ConfigError(message: "no oauth bearer token specified") }
            headerer = .oauth(token: oauth.string("token"))
        case "aws":
            let aws = try GoStruct(credentials(), type: "awsV1", fields: ["accessKeyID", "secretAccessKey", "awsRegion"]).get()
            guard !aws.string("accessKeyID").isEmpty else { throw ConfigError(message: "no AWS Access Key ID specified") }
            guard !aws.string("secretAccessKey").isEmpty else { throw ConfigError(message: "no AWS Secret Access Key specified") }
            headerer = .aws(accessKeyID: aws.string("accessKeyID"), secretAccessKey: aws.string("secretAccessKey"), region: aws.string("awsRegion"))
        default:
            throw ConfigError(message: "unknown auth type: \(goQuote(type))")
        }
        for domain in domains {
            guard authPerHost[domain] == nil else { throw ConfigError(message: "auth for domain \(goQuote(domain)) is already specified") }
            authPerHost[domain] = headerer
        }
    }

    private mutating func parseDockerAuth(_ root: JSONValue) throws(ConfigError) {
        let auth = try GoStruct(root, type: "dockerAuthV1", fields: ["registries", "credentials"], lists: ["registries"], raws: ["credentials"]).get()
        let registries = auth.strings("registries")
        guard !registries.isEmpty else { throw ConfigError(message: "no registries specified") }
        let credentials = try BasicCredentials.decode(auth.raw("credentials") ?? .null, type: "basicV1", field: "dockerAuthV1.credentials")
        for registry in registries {
            guard dockerCredentials[registry] == nil else {
                throw ConfigError(message: "credentials for docker registry \(goQuote(registry)) are already specified")
            }
            dockerCredentials[registry] = credentials
        }
    }

    private mutating func parsePaths(_ root: JSONValue) throws(ConfigError) {
        let paths = try GoStruct(root, type: "configurablePathsV1", fields: ["data", "stage1-images"]).get()
        let data = paths.string("data"), images = paths.string("stage1-images")
        if !data.isEmpty {
            guard dataDirectory.isEmpty else { throw ConfigError(message: "data directory is already specified") }
            guard data.hasPrefix("/") else { throw ConfigError(message: "data directory must be an absolute path") }
            dataDirectory = data
        }
        if !images.isEmpty {
            guard stage1ImagesDirectory.isEmpty else { throw ConfigError(message: "stage1 images directory is already specified") }
            guard images.hasPrefix("/") else { throw ConfigError(message: "stage1 images directory must be an absolute path") }
            stage1ImagesDirectory = images
        }
    }

    private mutating func parseStage1(_ root: JSONValue) throws(ConfigError) {
        let fields = try GoStruct(root, type: "stage1V1", fields: ["name", "version", "location"]).get()
        let image = Stage1Image(name: fields.string("name"), version: fields.string("version"), location: fields.string("location"))
        do throws(ConfigError) {
            try image.validate()
        } catch {
            throw ConfigError(message: "invalid stage1 configuration: \(error.message)")
        }
        if !image.name.isEmpty {
            guard stage1.name.isEmpty else { throw ConfigError(message: "name and version of a default stage1 image are already specified") }
            stage1.name = image.name
            stage1.version = image.version
        }
        if !image.location.isEmpty {
            guard stage1.location.isEmpty else { throw ConfigError(message: "location of a default stage1 image is already specified") }
            stage1.location = image.location
        }
    }
}

/// A configuration problem, as one line.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// User and password (`basic` auth, docker registries).
public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// `field`: the struct field holding the credentials, when they are not decoded on their own.
    static func decode(_ value: JSONValue?, type: String, field: String? = nil) throws(ConfigError) -> BasicCredentials {
        guard let value else { throw ConfigError(message: "unexpected end of JSON input") }
        let fields = try GoStruct(value, type: type, fields: ["user", "password"], field: field).get()
        let credentials = BasicCredentials(user: fields.string("user"), password: fields.string("password"))
        guard !credentials.user.isEmpty else { throw ConfigError(message: "user not specified") }
        guard !credentials.password.isEmpty else { throw ConfigError(message: "password not specified") }
        return credentials
    }
}

/// How rkt authenticates to one host.
public enum HostAuth: Sendable, Equatable {
    case basic(BasicCredentials)
    case oauth(token: String)
    /// AWS Signature Version 4 for S3.
    case aws(accessKeyID: String, secretAccessKey: String, region: String)

    /// The `Authorization` header value for `basic` and `oauth`; nil for `aws`, which
    /// signs each request instead.
    public var authorization: String? {
        switch self {
        case .basic(let credentials):
            return "Basic " + Base64.encode(Array("\(credentials.user):\(credentials.password)".utf8))
        case .oauth(let token):
            return "Bearer " + token
        case .aws:
            return nil
        }
    }

    var typeName: String {
        switch self {
        case .basic: "basic"
        case .oauth: "oauth"
        case .aws: "aws"
        }
    }
}

/// `stage1.d`: the default stage1 image, by name and version and/or location.
public struct Stage1Image: Sendable, Equatable {
    public var name = ""
    public var version = ""
    public var location = ""

    public init(name: String = "", version: String = "", location: String = "") {
        self.name = name
        self.version = version
        self.location = location
    }

    func validate() throws(ConfigError) {
        if name.isEmpty && !version.isEmpty {
            throw ConfigError(message: "default stage1 image version specified, but name is missing")
        }
        if !name.isEmpty && version.isEmpty {
            throw ConfigError(message: "default stage1 image name specified, but version is missing")
        }
        guard !location.isEmpty, !location.hasPrefix("/") else { return }
        guard let scheme = URLScheme.of(location) else {
            throw ConfigError(message: "default stage1 image location is either a relative path or a URL without scheme")
        }
        guard ["docker", "file", "http", "https"].contains(scheme) else {
            throw ConfigError(
                message: "default stage1 image location URL has invalid scheme \(goQuote(scheme)), allowed schemes are \(goQuote("docker\", \"file\", \"http\", \"https"))")
        }
    }
}
