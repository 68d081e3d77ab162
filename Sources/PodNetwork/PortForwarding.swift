import GoCompat
import GoJSON

/// A host port forwarded to a port of an app (`--port=NAME:[HOSTIP:]HOSTPORT`, matched by
/// name with a port the app's image declares).
public struct ForwardedPort: Sendable, Equatable {
    public var name: String
    /// `tcp` or `udp`.
    public var protocolName: String
    public var podPort: Int
    public var hostPort: Int
    /// The host address it is reached on; empty: every address.
    public var hostIP: String

    public init(name: String, protocolName: String, podPort: Int, hostPort: Int, hostIP: String) {
        self.name = name
        self.protocolName = protocolName
        self.podPort = podPort
        self.hostPort = hostPort
        self.hostIP = hostIP
    }

    /// rkt's `protocol-ip:port` for messages.
    public var hostDescription: String { "\(protocolName)-\(hostIP.isEmpty ? "0.0.0.0" : hostIP):\(hostPort)" }
}

/// The forwarded ports of a pod, set up by CNI's portmap plugin chained after one network:
/// as in rkt, the first network (in load order) that masquerades, else the last one.
struct PortForwarding {
    var network: String
    var ports: [ForwardedPort]
    var plugin: String

    static func plan(_ ports: [ForwardedPort], networks: [NetworkConfig], directories: [String]) throws(NetworkError) -> PortForwarding? {
        guard !ports.isEmpty else { return nil }
        guard let chosen = networks.first(where: \.ipMasq) ?? networks.last else {
            throw .badPort("ports can only be forwarded to a pod with a network of its own (not --net=host or --net=none)")
        }
        return PortForwarding(network: chosen.name, ports: ports, plugin: try PodNetwork.plugin("portmap", in: directories))
    }

    /// Writes portmap's definition, with `result` (the network's) as its previous result,
    /// into the pod; the call to make.
    func call(after result: CNIResult, ifName: String, netns: String, pod: PodNetwork) throws(NetworkError) -> PluginCall {
        let mappings: [JSONValue] = ports.map { port in
            var members = [
                JSONMember(key: "hostPort", value: .number(String(port.hostPort))),
                JSONMember(key: "containerPort", value: .number(String(port.podPort))),
                JSONMember(key: "protocol", value: .string(port.protocolName)),
            ]
            if !port.hostIP.isEmpty { members.append(JSONMember(key: "hostIP", value: .string(port.hostIP))) }
            return .object(members)
        }
        let conf: JSONValue = .object([
            JSONMember(key: "cniVersion", value: .string("0.4.0")),
            JSONMember(key: "name", value: .string(network)),
            JSONMember(key: "type", value: .string("portmap")),
            JSONMember(key: "snat", value: .bool(true)),
            JSONMember(key: "capabilities", value: .object([JSONMember(key: "portMappings", value: .bool(true))])),
            JSONMember(key: "runtimeConfig", value: .object([JSONMember(key: "portMappings", value: .array(mappings))])),
            JSONMember(key: "prevResult", value: result.prevResult(ifName: ifName, netns: netns)),
        ])
        let call = PluginCall(plugin: plugin, conf: "net/portmap-\(network).json", ifName: ifName, args: "")
        try pod.write(GoJSON.encodeCompact(conf), to: call.conf)
        return call
    }
}
