import GoCompat

/// `--net` as rkt parses it: comma-separated network names, each with optional CNI
/// arguments (`name:K=V;K=V`); the flag may be given several times. With none given
/// the pod joins `default`.
public struct NetworkList: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One requested network and the `CNI_ARGS` it is called with.
    public struct Entry: Sendable, Equatable, Codable {
        public var name: String
        public var args: String
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// The list `values` (each a `--net` value) make; rkt's errors for a bad one.
    public init(parsing values: [String]) throws(NetworkError) {
        for value in values { try add(value) }
    }

    /// rkt's `NetList.Set`.
    public mutating func add(_ value: String) throws(NetworkError) {
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            guard !name.isEmpty else { throw .badList("netname must not be empty") }
            guard !entries.contains(where: { $0.name == name }) else { throw .badList("found duplicate netname \(goQuote(name))") }
            switch parts.count {
            case 1: entries.append(Entry(name: name, args: ""))
            case 2:
                guard name != "all" && name != "host" else {
                    throw .badList("arguments are not supported by special netname \(goQuote(name))")
                }
                entries.append(Entry(name: name, args: parts[1]))
            default:
                throw .badList("network \(goQuote(name)) provided with invalid arguments: [\(parts.dropFirst().joined(separator: " "))]")
            }
        }
    }

    /// The names, `default` when none was given.
    public var names: [String] { entries.isEmpty ? ["default"] : entries.map(\.name) }
    /// `--net=host`: the host's network namespace.
    public var isHost: Bool { names.contains("host") }
    /// `--net=none`: a namespace with loopback only.
    public var isNone: Bool { names.contains("none") }
    /// `--net=all`: every defined network.
    public var isAll: Bool { names.contains("all") }
    /// Whether the pod gets a network namespace of its own.
    public var isContained: Bool { !isHost }

    public func contains(_ name: String) -> Bool { names.contains(name) }

    /// The `CNI_ARGS` for network `name`.
    public func args(for name: String) -> String { entries.first { $0.name == name }?.args ?? "" }

    public var description: String {
        entries.isEmpty ? "default" : entries.map { $0.args.isEmpty ? $0.name : "\($0.name):\($0.args)" }.joined(separator: ",")
    }
}
