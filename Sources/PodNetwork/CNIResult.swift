import GoJSON

/// What a plugin's ADD reported, whatever the CNI version of its result: the pod's first
/// IPv4 address on the interface, its gateway (the host's end for ptp), and DNS settings.
public struct CNIResult: Sendable, Equatable {
    /// The address without its prefix length (`172.16.28.5`).
    public var ip4: String?
    public var prefixLength: Int = 32
    public var gateway: String?
    public var dns = DNS()

    /// DNS settings a plugin returned (CNI's `dns` object).
    public struct DNS: Sendable, Equatable {
        public var nameservers: [String] = []
        public var domain = ""
        public var search: [String] = []
        public var options: [String] = []
        public var isEmpty: Bool { nameservers.isEmpty && domain.isEmpty && search.isEmpty && options.isEmpty }

        public init(nameservers: [String] = [], domain: String = "", search: [String] = [], options: [String] = []) {
            self.nameservers = nameservers
            self.domain = domain
            self.search = search
            self.options = options
        }
    }

    public init() {}

    /// Parses `bytes`, a result for interface `ifName`. Versions before 0.3.0 have `ip4`;
    /// later ones `ips`, each pointing at an entry of `interfaces`.
    public init(parsing bytes: [UInt8], ifName: String) throws(JSONSyntaxError) {
        let root = try GoJSON.parse(bytes).root
        if let ip4 = root["ip4"], case .object = ip4 {
            take(address: ip4["ip"]?.string, gateway: ip4["gateway"]?.string)
        } else if case let .array(ips)? = root["ips"] {
            let interfaces: [JSONValue]
            if case let .array(list)? = root["interfaces"] { interfaces = list } else { interfaces = [] }
            // The pod's own interface first; an entry without one counts as the pod's.
            let onPod = { (ip: JSONValue) -> Bool in
                guard case let .number(text)? = ip["interface"], let index = Int(text), interfaces.indices.contains(index) else { return true }
                return interfaces[index]["name"]?.string == ifName && !(interfaces[index]["sandbox"]?.string ?? "").isEmpty
            }
            for ip in ips where onPod(ip) && ip4 == nil {
                guard let address = ip["address"]?.string, !address.contains(":") else { continue }
                take(address: address, gateway: ip["gateway"]?.string)
            }
        }
        if case .object? = root["dns"], let dns = root["dns"] {
            self.dns.nameservers = dns["nameservers"]?.strings ?? []
            self.dns.domain = dns["domain"]?.string ?? ""
            self.dns.search = dns["search"]?.strings ?? []
            self.dns.options = dns["options"]?.strings ?? []
        }
    }

    private mutating func take(address: String?, gateway: String?) {
        guard let address else { return }
        let parts = address.split(separator: "/", maxSplits: 1)
        ip4 = String(parts[0])
        prefixLength = parts.count == 2 ? Int(parts[1]) ?? 32 : 32
        self.gateway = gateway
    }

    /// The prefix as a dotted mask (`255.255.255.0`), as rkt's net-info.json keeps it.
    public var mask: String {
        let bits: UInt32 = prefixLength <= 0 ? 0 : prefixLength >= 32 ? .max : ~(UInt32.max >> UInt32(prefixLength))
        return (0..<4).map { String(bits >> (24 - 8 * UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    /// This result as CNI 0.4.0 has it, for a chained plugin's `prevResult` (portmap).
    public func prevResult(ifName: String, netns: String) -> JSONValue {
        var ips: [JSONValue] = []
        if let ip4 {
            var ip: [JSONMember] = [JSONMember(key: "version", value: .string("4")), JSONMember(key: "address", value: .string("\(ip4)/\(prefixLength)"))]
            if let gateway { ip.append(JSONMember(key: "gateway", value: .string(gateway))) }
            ip.append(JSONMember(key: "interface", value: .number("0")))
            ips.append(.object(ip))
        }
        return .object([
            JSONMember(key: "cniVersion", value: .string("0.4.0")),
            JSONMember(key: "interfaces", value: .array([.object([JSONMember(key: "name", value: .string(ifName)), JSONMember(key: "sandbox", value: .string(netns))])])),
            JSONMember(key: "ips", value: .array(ips)),
        ])
    }
}
