import Glibc
import GoCompat
import GoJSON
import LinuxSystem

/// One network definition as CNI takes it: a `.conf` file of `net.d`, or one of rkt's two
/// built-in networks.
public struct NetworkConfig: Sendable, Equatable {
    public var name: String
    /// The plugin that makes the network (`ptp`, `bridge`, ...).
    public var type: String
    public var cniVersion: String
    /// Whether the network masquerades the pod's traffic (decides which network forwards ports).
    public var ipMasq: Bool
    /// The definition, given unchanged to the plugin on stdin.
    public var bytes: [UInt8]
    /// Where it came from: a path, or `stage1/rootfs/etc/rkt/net.d/NAME` for a built-in
    /// (where rkt's stage1 keeps them). Its last element orders the networks.
    public var path: String

    public var fileName: String { Files.baseName(of: path) }

    /// Reads a definition as rkt does: the JSON must decode, and it must name itself and its plugin.
    public init(bytes: [UInt8], path: String) throws(NetworkError) {
        let document: JSONDocument
        do {
            document = try GoJSON.parse(bytes)
        } catch {
            throw .badConfig(file: path, problem: error.message)
        }
        guard case let .object(members) = document.root else {
            throw .badConfig(file: path, problem: "json: cannot unmarshal \(Self.kind(document.root)) into Go value of type networking.NetConf")
        }
        func field(_ name: String) -> JSONValue? { members.last { GoJSON.keyMatches($0.key, field: name) }?.value }
        func string(_ name: String) throws(NetworkError) -> String {
            switch field(name) {
            case nil, .null?: return ""
            case let .string(text)?: return text
            case let other?:
                throw .badConfig(
                    file: path, problem: "json: cannot unmarshal \(Self.kind(other)) into Go struct field NetConf.\(name) of type string")
            }
        }
        name = try string("name")
        type = try string("type")
        cniVersion = try string("cniVersion")
        switch field("ipMasq") {
        case nil, .null?: ipMasq = false
        case let .bool(value)?: ipMasq = value
        case let other?:
            throw .badConfig(file: path, problem: "json: cannot unmarshal \(Self.kind(other)) into Go struct field NetConf.ipMasq of type bool")
        }
        guard !name.isEmpty else { throw .badConfig(file: path, problem: "the network has no \"name\"") }
        guard !type.isEmpty else { throw .badConfig(file: path, problem: "network \(goQuote(name)) has no \"type\" (its plugin)") }
        self.bytes = bytes
        self.path = path
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object, .raw: return "object"
        }
    }

    /// rkt's built-in networks, as its stage1 ships them (`etc/rkt/net.d`).
    public static let builtIn: [(file: String, text: String)] = [
        (
            "99-default.conf",
            """
            {
            \t"cniVersion": "0.1.0",
            \t"name": "default",
            \t"type": "ptp",
            \t"ipMasq": true,
            \t"ipam": {
            \t\t"type": "host-local",
            \t\t"subnet": "172.16.28.0/24",
            \t\t"routes": [
            \t\t\t{ "dst": "0.0.0.0/0" }
            \t\t]
            \t}
            }

            """
        ),
        (
            "99-default-restricted.conf",
            """
            {
            \t"cniVersion": "0.1.0",
            \t"name": "default-restricted",
            \t"type": "ptp",
            \t"ipMasq": false,
            \t"ipam": {
            \t\t"type": "host-local",
            \t\t"subnet": "172.31.0.0/16"
            \t}
            }

            """
        ),
    ]
}

/// Which definitions a `--net` list selects: rkt's built-ins, overridden by name by the
/// user's `$LOCAL_CONFIG/net.d/*.conf`, in file-name order (which names the interfaces
/// eth0, eth1, ...).
public struct NetworkLoader {
    /// `--local-config` (default `/etc/rkt`).
    public var localConfig: String
    /// Receives rkt's notes (an overridden or duplicate network).
    public var log: (String) -> Void

    public init(localConfig: String, log: @escaping (String) -> Void = { _ in }) {
        self.localConfig = localConfig
        self.log = log
    }

    public var userDirectory: String { localConfig + "/net.d" }

    /// The networks `list` asks for, ordered by file name. Every `.conf` file of the user's
    /// directory must read, whether asked for or not, as in rkt.
    public func load(_ list: NetworkList) throws(NetworkError) -> [NetworkConfig] {
        guard list.isContained, !list.isNone else { return [] }
        let wanted = { (name: String) in list.isAll || list.contains(name) }
        var chosen: [String: NetworkConfig] = [:]
        for (file, text) in NetworkConfig.builtIn {
            let config = try NetworkConfig(bytes: Array(text.utf8), path: "stage1/rootfs/etc/rkt/net.d/" + file)
            if wanted(config.name) { chosen[config.name] = config }
        }
        var user: [String: NetworkConfig] = [:]
        for file in try userFiles() {
            let path = userDirectory + "/" + file
            let bytes: [UInt8]
            do {
                bytes = try Files.readFile(path, limit: 1 << 20)
            } catch {
                throw .badConfig(file: path, problem: errnoText(error.code))
            }
            let config = try NetworkConfig(bytes: bytes, path: path)
            guard wanted(config.name) else { continue }
            if user[config.name] != nil {
                log("networking: \(goQuote(config.name)) network already defined, ignoring \(file)")
                continue
            }
            user[config.name] = config
        }
        for (name, config) in user {
            if chosen[name] != nil { log("networking: overriding \(goQuote(name)) network with one from \(userDirectory)") }
            chosen[name] = config
        }
        let missing = list.names.filter { $0 != "all" && chosen[$0] == nil }
        guard missing.isEmpty else { throw .notFound(missing) }
        return chosen.values.sorted { Array($0.fileName.utf8).lexicographicallyPrecedes(Array($1.fileName.utf8)) }
    }

    /// The `.conf` files of the user's directory, sorted (none when it does not exist).
    private func userFiles() throws(NetworkError) -> [String] {
        let names: [String]
        do {
            names = try Files.sortedNames(userDirectory)
        } catch {
            if error.code == ENOENT || error.code == ENOTDIR { return [] }
            throw .badConfig(file: userDirectory, problem: errnoText(error.code))
        }
        return names.filter { name in
            var info = stat()
            return name.hasSuffix(".conf") && stat(userDirectory + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR
        }
    }
}
