import GoJSON
import LinuxSystem

/// One network a pod joined, as rkt keeps it in the pod's `net-info.json` for `rkt list`,
/// `rkt status` and `--format=json` (rkt's `netinfo.NetInfo`: the same keys, in order).
public struct NetworkInfo: Sendable, Equatable {
    public var netName: String
    /// The pod's copy of the definition, relative to the pod (`net/99-default.conf`).
    public var netConf: String
    public var pluginPath: String
    public var ifName: String
    public var ip: String?
    public var args: String
    public var mask: String?

    public init(netName: String, netConf: String, pluginPath: String, ifName: String, ip: String?, args: String, mask: String?) {
        self.netName = netName
        self.netConf = netConf
        self.pluginPath = pluginPath
        self.ifName = ifName
        self.ip = ip
        self.args = args
        self.mask = mask
    }

    /// rkt's NETWORKS cell and `networks=` value for one network.
    public var summary: String { "\(netName):ip4=\(ip ?? "<nil>")" }

    /// The JSON object, as Go encodes the struct.
    public var json: JSONValue {
        .object([
            JSONMember(key: "netName", value: .string(netName)),
            JSONMember(key: "netConf", value: .string(netConf)),
            JSONMember(key: "pluginPath", value: .string(pluginPath)),
            JSONMember(key: "ifName", value: .string(ifName)),
            JSONMember(key: "ip", value: ip.map(JSONValue.string) ?? .null),
            JSONMember(key: "args", value: .string(args)),
            JSONMember(key: "mask", value: mask.map(JSONValue.string) ?? .null),
        ])
    }

    /// The file's name in the pod directory.
    public static let fileName = "net-info.json"

    /// `infos` as rkt writes the file (compact, one line).
    public static func encode(_ infos: [NetworkInfo]) -> [UInt8] {
        GoJSON.encodeCompact(infos.isEmpty ? .null : .array(infos.map(\.json))) + [0x0A]
    }

    /// The networks recorded in pod directory `pod`: none when it has no (readable) file.
    public static func load(pod: String) -> [NetworkInfo] {
        guard let bytes = try? Files.readFile(pod + "/" + fileName, limit: 1 << 20),
            case let .array(items)? = try? GoJSON.parse(bytes).root
        else { return [] }
        return items.map { item in
            NetworkInfo(
                netName: item["netName"]?.string ?? "", netConf: item["netConf"]?.string ?? "",
                pluginPath: item["pluginPath"]?.string ?? "", ifName: item["ifName"]?.string ?? "",
                ip: item["ip"]?.string, args: item["args"]?.string ?? "", mask: item["mask"]?.string)
        }
    }

    /// rkt's `fmtNets`: `name:ip4=A.B.C.D` joined by `, `.
    public static func summary(_ infos: [NetworkInfo]) -> String { infos.map(\.summary).joined(separator: ", ") }
}
