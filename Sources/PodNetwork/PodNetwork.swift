import CPodCommon
import FoundationEssentials
import Glibc
import GoCompat
import GoJSON
import LinuxSystem

/// A pod's private network, as rkt's default stage1 makes it: a network namespace held by
/// a bind mount under `/run/netns` (named in the pod's `netns`), one CNI plugin call per
/// network (interfaces `eth0`, `eth1`, ... in file-name order), and `net-info.json` for
/// `rkt list` and `rkt status`. The tear-down (CNI DEL for every call, then the namespace)
/// is `pod_net_teardown` in CPodCommon, shared with the stage1 supervisor, which runs it
/// when the pod ends; `rkt gc` runs it for pods that ended without it.
public struct PodNetwork {
    /// What to set up.
    public struct Settings: Sendable {
        public var list: NetworkList
        /// `--local-config`: user networks are in its `net.d`.
        public var localConfig: String
        /// Host ports forwarded to the pod (`--port`).
        public var ports: [ForwardedPort] = []
        /// How long one plugin call may take.
        public var timeout: Duration = PodNetwork.defaultTimeout

        public init(list: NetworkList, localConfig: String) {
            self.list = list
            self.localConfig = localConfig
        }
    }

    /// What the pod joined.
    public struct Joined: Sendable {
        /// The namespace file stage1 joins.
        public var netns: String
        public var infos: [NetworkInfo]
        /// The first network that returned DNS settings, and those settings (rkt writes them
        /// to the pod's resolv.conf when `--dns` is not given).
        public var dns: (network: String, settings: CNIResult.DNS)?
    }

    /// Plugins that hang are killed after this long (`RKT_NET_PLUGIN_TIMEOUT`, a Go duration,
    /// overrides it).
    public static let defaultTimeout: Duration = .seconds(30)

    /// The pod directory (stage0 works in it before stage1 starts).
    public let pod: String
    public let uuid: String
    let log: (String) -> Void
    /// Lines only `--debug` shows.
    let debugLog: (String) -> Void

    public init(pod: String, uuid: String, log: @escaping (String) -> Void, debug: Bool = false) {
        self.pod = pod
        self.uuid = uuid
        self.log = log
        debugLog = debug ? log : { _ in }
    }

    /// The directories searched for plugins, in order: `$CNI_PATH`'s, then rkt's
    /// (`LOCAL_CONFIG/net.d`, `/usr/lib/rkt/plugins/net`), then where Debian and the CNI
    /// project install them.
    public static func pluginDirectories(localConfig: String) -> [String] {
        let fromEnvironment = (getenv("CNI_PATH").map { String(cString: $0) } ?? "").split(separator: ":").map(String.init)
        var seen = Set<String>()
        return (fromEnvironment + [localConfig + "/net.d", "/usr/lib/rkt/plugins/net", "/usr/lib/cni", "/opt/cni/bin"])
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The executable for plugin `type`.
    public static func plugin(_ type: String, in directories: [String]) throws(NetworkError) -> String {
        if !type.contains("/") {
            for directory in directories {
                let path = directory + "/" + type
                var info = stat()
                if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(path, X_OK) == 0 { return path }
            }
        }
        throw .pluginNotFound(type: type, searched: directories)
    }

    /// Makes the namespace and runs every plugin. Nothing is left behind when it fails.
    public func setup(_ settings: Settings) throws(NetworkError) -> Joined {
        let loader = NetworkLoader(localConfig: settings.localConfig, log: log)
        let networks = try loader.load(settings.list)
        let directories = Self.pluginDirectories(localConfig: settings.localConfig)
        let plugins = try networks.map { (network) throws(NetworkError) in try Self.plugin(network.type, in: directories) }
        let forwarding = try PortForwarding.plan(settings.ports, networks: networks, directories: directories)
        // What an earlier attempt on this pod left (a killed run-prepared) goes first.
        _ = Self.teardown(pod: pod, force: true, log: log)
        let netns = "/run/netns/cni-" + UUID().uuidString.lowercased()
        var record = TeardownRecord(container: uuid, timeout: settings.timeout, path: directories.joined(separator: ":"))
        do throws(NetworkError) {
            try write(Array(netns.utf8), to: "netns")
            var failed: UnsafePointer<CChar>?
            let code = pod_netns_create(netns, &failed)
            guard code == 0 else {
                throw .system(SystemError(failed.map { String(cString: $0) } ?? "create network namespace", netns, code: code))
            }
            try makeDirectory("net")
            try write(record.bytes, to: TeardownRecord.fileName)
            var joined = Joined(netns: netns, infos: [], dns: nil)
            for (index, network) in networks.enumerated() {
                let call = PluginCall(
                    plugin: plugins[index], conf: "net/" + network.fileName, ifName: "eth\(index)",
                    args: settings.list.args(for: network.name))
                try write(network.bytes, to: call.conf)
                record.calls.append(call)
                try write(record.bytes, to: TeardownRecord.fileName)
                let output = try run(call, command: "ADD", network: network.name, netns: netns, as: record)
                let result: CNIResult
                do {
                    result = try CNIResult(parsing: output, ifName: call.ifName)
                } catch {
                    throw .pluginFailed(network: network.name, command: "ADD", message: "parsing its result: \(error.message)")
                }
                joined.infos.append(
                    NetworkInfo(
                        netName: network.name, netConf: call.conf, pluginPath: call.plugin, ifName: call.ifName,
                        ip: result.ip4, args: call.args, mask: result.ip4 == nil ? nil : result.mask))
                if !result.dns.isEmpty, joined.dns == nil { joined.dns = (network.name, result.dns) }
                if let forwarding, forwarding.network == network.name {
                    let portmap = try forwarding.call(after: result, ifName: call.ifName, netns: netns, pod: self)
                    record.calls.append(portmap)
                    try write(record.bytes, to: TeardownRecord.fileName)
                    _ = try run(portmap, command: "ADD", network: network.name, netns: netns, as: record)
                }
            }
            try write(NetworkInfo.encode(joined.infos), to: NetworkInfo.fileName)
            return joined
        } catch {
            // A plugin that failed its ADD usually fails its DEL too: that is no news.
            _ = Self.teardown(pod: pod, force: true, log: debugLog)
            throw error
        }
    }

    /// Undoes what `setup` (or a part of it) made in pod directory `pod`. Failures are
    /// logged; false when something is left for a later attempt. `force`: nothing is left
    /// for later, whatever failed (a pod that never started, or one being deleted).
    @discardableResult
    public static func teardown(pod: String, force: Bool = false, log: (String) -> Void) -> Bool {
        let fd = open(pod, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return errno == ENOENT }
        defer { close(fd) }
        let flags = force ? POD_NET_FORCE : 0
        // The plugins' failure lines go through a scratch file to `log`.
        guard let messages = try? TemporaryFile(directory: pod) else {
            return pod_net_teardown(fd, nil, flags, "networking: ", 2, -1) == 0
        }
        let failures = pod_net_teardown(fd, nil, flags, "networking: ", messages.fd, -1)
        if let text = try? messages.contents(limit: 1 << 16) {
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") { log(String(line)) }
        }
        return failures == 0
    }

    /// Runs one plugin call with the container, plugin path and timeout of `record` (those
    /// the tear-down's DEL gets too); its stdout, or the error it reported.
    func run(_ call: PluginCall, command: String, network: String, netns: String, as record: TeardownRecord) throws(NetworkError) -> [UInt8] {
        let vars = [
            "CNI_COMMAND=\(command)", "CNI_CONTAINERID=\(record.container)", "CNI_NETNS=\(netns)", "CNI_IFNAME=\(call.ifName)",
            "CNI_ARGS=\(call.args)", "CNI_PATH=\(record.path)",
        ]
        let input: FileDescriptor
        let output: TemporaryFile
        do {
            input = try FileDescriptor.open(pod + "/" + call.conf, O_RDONLY)
            output = try TemporaryFile(directory: pod + "/net")
        } catch {
            throw .system(error)
        }
        var cVars: [UnsafeMutablePointer<CChar>?] = vars.map { strdup($0) } + [nil]
        defer { for pointer in cVars { free(pointer) } }
        var status: Int32 = 0
        let code = pod_net_plugin(call.plugin, &cVars, input.raw, output.fd, 2, Self.milliseconds(record.timeout), &status)
        if code == ETIMEDOUT {
            throw .pluginFailed(network: network, command: command, message: "plugin \(call.plugin) did not finish within \(record.timeout)")
        }
        guard code == 0 else { throw .system(SystemError("exec", call.plugin, code: code)) }
        let bytes: [UInt8]
        do {
            bytes = try output.contents(limit: 1 << 20)
        } catch {
            throw .system(error)
        }
        let exit = WaitStatus(raw: status)
        guard exit.shellCode == 0 else {
            throw .pluginFailed(network: network, command: command, message: Self.pluginMessage(bytes, exit: exit))
        }
        return bytes
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// A failed plugin's CNI error object (`msg`, `details`) on one line.
    static func pluginMessage(_ output: [UInt8], exit: WaitStatus) -> String {
        if let root = try? GoJSON.parse(output).root, let message = root["msg"]?.string {
            let details = root["details"]?.string ?? ""
            return details.isEmpty ? message : "\(message); \(details)"
        }
        let text = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? "the plugin exited with \(exit.shellCode)" : "the plugin exited with \(exit.shellCode): \(text)"
    }

    func write(_ bytes: some Collection<UInt8>, to relative: String) throws(NetworkError) {
        do {
            try AtomicFile.write(pod + "/" + relative, bytes)
        } catch {
            throw .system(error)
        }
    }

    func makeDirectory(_ relative: String) throws(NetworkError) {
        do {
            try Files.makeDirectories(pod + "/" + relative)
        } catch {
            throw .system(error)
        }
    }
}

/// One plugin call as the tear-down record keeps it.
struct PluginCall: Sendable {
    var plugin: String
    /// The definition given on stdin, relative to the pod directory.
    var conf: String
    var ifName: String
    var args: String
}

/// `net/teardown`: what `pod_net_teardown` undoes (the format is in pod_net.h).
struct TeardownRecord {
    static let fileName = "net/teardown"
    var container: String
    var timeout: Duration
    var path: String
    var calls: [PluginCall] = []

    init(container: String, timeout: Duration, path: String) {
        self.container = container
        self.timeout = timeout
        self.path = path
    }

    var bytes: [UInt8] {
        var tokens = ["cni-teardown", "1", "timeout", String(PodNetwork.milliseconds(timeout)), "container", container, "path", path]
        for call in calls { tokens += ["net", call.plugin, call.conf, call.ifName, call.args] }
        return tokens.flatMap { Array($0.utf8) + [0] }
    }
}
