import GoCompat
import GoJSON

/// The isolator names the library knows (appc-spec.md §3.1).
public enum IsolatorName {
    /// The `resource/cpu` isolator name.
    public static let resourceCPU = "resource/cpu"
    /// The `resource/memory` isolator name.
    public static let resourceMemory = "resource/memory"
    /// The `resource/block-bandwidth` isolator name.
    public static let resourceBlockBandwidth = "resource/block-bandwidth"
    /// The `resource/block-iops` isolator name.
    public static let resourceBlockIOPS = "resource/block-iops"
    /// The `resource/network-bandwidth` isolator name.
    public static let resourceNetworkBandwidth = "resource/network-bandwidth"
    /// The `os/linux/capabilities-retain-set` isolator name.
    public static let capabilitiesRetainSet = "os/linux/capabilities-retain-set"
    /// The `os/linux/capabilities-remove-set` isolator name.
    public static let capabilitiesRemoveSet = "os/linux/capabilities-remove-set"
    /// The `os/linux/seccomp-remove-set` isolator name.
    public static let seccompRemoveSet = "os/linux/seccomp-remove-set"
    /// The `os/linux/seccomp-retain-set` isolator name.
    public static let seccompRetainSet = "os/linux/seccomp-retain-set"
    /// The `os/linux/no-new-privileges` isolator name.
    public static let noNewPrivileges = "os/linux/no-new-privileges"
    /// The `os/linux/oom-score-adj` isolator name.
    public static let oomScoreAdj = "os/linux/oom-score-adj"
    /// The `os/linux/cpu-shares` isolator name.
    public static let cpuShares = "os/linux/cpu-shares"
    /// The `os/linux/selinux-context` isolator name.
    public static let selinuxContext = "os/linux/selinux-context"
    /// The `os/linux/apparmor-profile` isolator name.
    public static let apparmorProfile = "os/linux/apparmor-profile"
    /// The `os/unix/sysctl` isolator name.
    public static let sysctl = "os/unix/sysctl"

    /// Every known name.
    public static let all: [String] = [
        resourceCPU, resourceMemory, resourceBlockBandwidth, resourceBlockIOPS, resourceNetworkBandwidth,
        capabilitiesRetainSet, capabilitiesRemoveSet, seccompRemoveSet, seccompRetainSet,
        noNewPrivileges, oomScoreAdj, cpuShares, selinuxContext, apparmorProfile, sysctl,
    ]

    /// The `resource/*` names (the only ones `patch-manifest --isolators` builds from k=v pairs).
    public static let resources: [String] = [
        resourceBlockBandwidth, resourceBlockIOPS, resourceCPU, resourceMemory, resourceNetworkBandwidth,
    ]
}

/// `{default, request, limit}` of a `resource/*` isolator.
public struct ResourceLimits: Hashable, Sendable {
    /// The `default` flag.
    public var isDefault: Bool
    /// The requested amount, if any.
    public var request: ResourceQuantity?
    /// The limit, if any.
    public var limit: ResourceQuantity?

    /// Creates a value from its fields (no validation beyond the field types).
    public init(isDefault: Bool = false, request: ResourceQuantity? = nil, limit: ResourceQuantity? = nil) {
        self.isDefault = isDefault
        self.request = request
        self.limit = limit
    }
}

/// `{set, errno}` of a seccomp isolator.
public struct SeccompSet: Hashable, Sendable {
    /// The entries of the set.
    public var set: [String]
    /// The errno to return (empty or upper case).
    public var errno: String

    /// Creates a value from its fields (no validation beyond the field types).
    public init(set: [String], errno: String = "") {
        self.set = set
        self.errno = errno
    }
}

/// `{user, role, type, level}` of `os/linux/selinux-context`.
public struct SELinuxContext: Hashable, Sendable {
    /// User to run as: name, numeric id or absolute path (required).
    public var user: String
    /// SELinux role.
    public var role: String
    /// SELinux type.
    public var type: String
    /// SELinux level.
    public var level: String

    /// Creates a value from its fields (no validation beyond the field types).
    public init(user: String, role: String, type: String, level: String) {
        self.user = user
        self.role = role
        self.type = type
        self.level = level
    }
}

/// The parsed value of a known isolator.
public enum IsolatorValue: Hashable, Sendable {
    case cpu(ResourceLimits)
    case memory(ResourceLimits)
    case blockBandwidth(ResourceLimits)
    case blockIOPS(ResourceLimits)
    case networkBandwidth(ResourceLimits)
    case capabilitiesRetainSet([String])
    case capabilitiesRemoveSet([String])
    case seccompRemoveSet(SeccompSet)
    case seccompRetainSet(SeccompSet)
    case noNewPrivileges(Bool)
    case oomScoreAdj(Int)
    case cpuShares(Int)
    case selinuxContext(SELinuxContext)
    case apparmorProfile(String)
    case sysctl([String: String])

    /// Go's `IsolatorValue.AssertValid` message, or nil.
    public var validationError: String? {
        switch self {
        case .cpu(let r), .memory(let r):
            return r.isDefault ? "default must be false" : nil
        case .blockBandwidth(let r), .blockIOPS(let r), .networkBandwidth(let r):
            if !r.isDefault { return "default must be true" }
            if r.request != nil { return "request not supported by this resource, must be empty" }
            return nil
        case .capabilitiesRetainSet(let set), .capabilitiesRemoveSet(let set):
            return set.isEmpty ? "set must be non-empty" : nil
        case .seccompRemoveSet(let s), .seccompRetainSet(let s):
            if s.set.isEmpty { return "set must be non-empty" }
            if s.errno.unicodeScalars.contains(where: { !Self.isUpper($0) }) {
                return "errno must be an upper case string"
            }
            return nil
        case .noNewPrivileges, .sysctl:
            return nil
        case .oomScoreAdj(let v):
            return v < -1000 || v > 1000
                ? "\(IsolatorName.oomScoreAdj) must be between -1000 and 1000, got \(v)" : nil
        case .cpuShares(let v):
            return v < 2 || v > 262144 ? "\(IsolatorName.cpuShares) must be between 2 and 262144, got \(v)" : nil
        case .selinuxContext(let c):
            if c.user.isEmpty || c.user.contains(":") { return "invalid user value \(goQuote(c.user))" }
            if c.role.isEmpty || c.role.contains(":") { return "invalid role value \(goQuote(c.role))" }
            if c.type.isEmpty || c.type.contains(":") { return "invalid type value \(goQuote(c.type))" }
            if c.level.isEmpty { return "invalid level value \(goQuote(c.level))" }
            return nil
        case .apparmorProfile(let profile):
            return profile.isEmpty ? "apparmor profile must not be empty" : nil
        }
    }

    /// Whether several isolators of this kind may appear in one app.
    var multipleAllowed: Bool {
        switch self {
        case .cpu, .memory, .blockBandwidth, .blockIOPS, .networkBandwidth,
            .capabilitiesRetainSet, .capabilitiesRemoveSet, .noNewPrivileges:
            return true
        default:
            return false
        }
    }

    /// Isolator names this one cannot be combined with.
    var conflicts: [String] {
        switch self {
        case .seccompRemoveSet: return [IsolatorName.seccompRetainSet]
        case .seccompRetainSet: return [IsolatorName.seccompRemoveSet]
        default: return []
        }
    }

    /// Go's `unicode.IsUpper`.
    private static func isUpper(_ u: Unicode.Scalar) -> Bool {
        if u.value < 0x80 { return u.value >= 0x41 && u.value <= 0x5A }
        return u.properties.generalCategory == .uppercaseLetter
    }

    /// The value's canonical JSON (Go struct order), as the Go constructors'
    /// `AsIsolator` would marshal it.
    var json: JSONValue {
        func quantity(_ q: ResourceQuantity?) -> JSONValue { q.map { .string($0.text) } ?? .null }
        func resource(_ r: ResourceLimits) -> JSONValue {
            .object([
                JSONMember(key: "default", value: .bool(r.isDefault)),
                JSONMember(key: "request", value: quantity(r.request)),
                JSONMember(key: "limit", value: quantity(r.limit)),
            ])
        }
        func set(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }
        switch self {
        case .cpu(let r), .memory(let r), .blockBandwidth(let r), .blockIOPS(let r), .networkBandwidth(let r):
            return resource(r)
        case .capabilitiesRetainSet(let s), .capabilitiesRemoveSet(let s):
            return .object([JSONMember(key: "set", value: set(s))])
        case .seccompRemoveSet(let s), .seccompRetainSet(let s):
            return .object([JSONMember(key: "set", value: set(s.set)), JSONMember(key: "errno", value: .string(s.errno))])
        case .noNewPrivileges(let b):
            return .bool(b)
        case .oomScoreAdj(let v), .cpuShares(let v):
            return .number(String(v))
        case .selinuxContext(let c):
            return .object([
                JSONMember(key: "user", value: .string(c.user)),
                JSONMember(key: "role", value: .string(c.role)),
                JSONMember(key: "type", value: .string(c.type)),
                JSONMember(key: "level", value: .string(c.level)),
            ])
        case .apparmorProfile(let p):
            return .object([JSONMember(key: "profile", value: .string(p))])
        case .sysctl(let map):
            return .object(map.keys.sorted(by: GoText.byteLess).map { JSONMember(key: $0, value: .string(map[$0] ?? "")) })
        }
    }
}

/// An app or pod isolator: `{name, value}`. The raw value text is kept and
/// re-emitted (compacted) on encoding; known names also carry the parsed value.
public struct Isolator: Hashable, Sendable {
    /// The name.
    public var name: ACIdentifier
    /// The value's JSON text as written (nil when absent or `null`).
    public var rawValue: [UInt8]?
    /// The parsed value for a known name (nil for unknown names).
    public var value: IsolatorValue?

    /// An isolator from a name and a value; the raw text is the value's
    /// canonical JSON. Validated as on decode.
    public init(name: ACIdentifier, value: IsolatorValue) throws(ManifestError) {
        try self.init(name: name, rawValue: GoJSON.encodeCompact(value.json))
    }

    /// Go's `Isolator.UnmarshalJSON` of `{"name": NAME, "value": RAW}`: a known
    /// name gets its value parsed and checked; an unknown one is kept raw.
    public init(name: ACIdentifier, rawValue: [UInt8]?) throws(ManifestError) {
        var isolator = Isolator(name: name, rawValue: nil, value: nil)
        if let rawValue {
            let document = try parseDocument(rawValue)
            if document.root == .null {
                if IsolatorName.all.contains(name.value) {
                    throw ManifestError(Isolator.missingValueError(name.value))
                }
                self = isolator
                return
            }
            isolator.rawValue = rawValue
            do {
                isolator.value = try Isolator.decodeValue(name: name.value, value: document.root, document: document)
            } catch {
                throw decodeFailure(from: error).manifestError
            }
        } else if IsolatorName.all.contains(name.value) {
            throw ManifestError(Isolator.missingValueError(name.value))
        }
        self = isolator
    }

    init(name: ACIdentifier, rawValue: [UInt8]?, value: IsolatorValue?) {
        self.name = name
        self.rawValue = rawValue
        self.value = value
    }

    static let zero = Isolator(name: .empty, rawValue: nil, value: nil)

    /// Go's `(&Isolator{}).UnmarshalJSON(json)`, as `patch-manifest` uses it.
    public static func decode(_ json: [UInt8]) throws(ManifestError) -> Isolator {
        let document = try parseDocument(json)
        let level = DecodeLevel(document: document)
        do {
            return try decode(document.root, level: level, asLevel: true)
        } catch {
            throw decodeFailure(from: error).manifestError
        }
    }

    /// Where Go dereferences a nil value and panics, we report this instead.
    static func missingValueError(_ name: String) -> String {
        "isolator \(goQuote(name)) has no value"
    }

    /// Go's `Isolator.UnmarshalJSON` as invoked by an enclosing decoder.
    static func decode(_ value: JSONValue, level: DecodeLevel, asLevel: Bool = false) throws -> Isolator {
        let body: (DecodeLevel) throws -> Isolator = { inner in
            var name = ACIdentifier.empty
            var raw: JSONMember? = nil
            try inner.decodeStruct(
                value, goType: "types.isolator", structName: "isolator",
                fields: ["name", "value"]
            ) { index, member in
                switch index {
                case 0: name = try ACIdentifier.decode(member.value, level: inner)
                default: raw = member.value == .null ? nil : member
                }
            }
            try inner.finish()
            var result = Isolator(name: name, rawValue: nil, value: nil)
            if let raw {
                result.rawValue = Array(inner.rawText(raw))
            }
            if IsolatorName.all.contains(name.value) {
                guard let raw else { throw DecodeFailure.invalid(missingValueError(name.value)) }
                result.value = try decodeValue(name: name.value, value: raw.value, document: inner.document)
            }
            return result
        }
        if asLevel { return try body(level) }
        return try level.custom(body)
    }

    /// The known isolator value constructors' `UnmarshalJSON` + `AssertValid`.
    static func decodeValue(name: String, value: JSONValue, document: JSONDocument) throws -> IsolatorValue {
        let level = DecodeLevel(document: document)
        let result: IsolatorValue
        switch name {
        case IsolatorName.resourceCPU: result = .cpu(try decodeResource(value, level))
        case IsolatorName.resourceMemory: result = .memory(try decodeResource(value, level))
        case IsolatorName.resourceBlockBandwidth: result = .blockBandwidth(try decodeResource(value, level))
        case IsolatorName.resourceBlockIOPS: result = .blockIOPS(try decodeResource(value, level))
        case IsolatorName.resourceNetworkBandwidth: result = .networkBandwidth(try decodeResource(value, level))
        case IsolatorName.capabilitiesRetainSet: result = .capabilitiesRetainSet(try decodeCapabilities(value, level))
        case IsolatorName.capabilitiesRemoveSet: result = .capabilitiesRemoveSet(try decodeCapabilities(value, level))
        case IsolatorName.seccompRemoveSet: result = .seccompRemoveSet(try decodeSeccomp(value, level))
        case IsolatorName.seccompRetainSet: result = .seccompRetainSet(try decodeSeccomp(value, level))
        case IsolatorName.noNewPrivileges:
            var b = false
            level.decodeBool(value, into: &b)
            result = .noNewPrivileges(b)
        case IsolatorName.oomScoreAdj:
            var v = 0
            level.decodeInt(value, into: &v)
            result = .oomScoreAdj(v)
        case IsolatorName.cpuShares:
            var v = 0
            level.decodeInt(value, into: &v)
            result = .cpuShares(v)
        case IsolatorName.selinuxContext:
            var c = SELinuxContext(user: "", role: "", type: "", level: "")
            try level.decodeStruct(
                value, goType: "types.linuxSELinuxValue", structName: "linuxSELinuxValue",
                fields: ["user", "role", "type", "level"]
            ) { index, member in
                switch index {
                case 0: level.decodeString(member.value, into: &c.user, goType: "types.LinuxSELinuxUser")
                case 1: level.decodeString(member.value, into: &c.role, goType: "types.LinuxSELinuxRole")
                case 2: level.decodeString(member.value, into: &c.type, goType: "types.LinuxSELinuxType")
                default: level.decodeString(member.value, into: &c.level, goType: "types.LinuxSELinuxLevel")
                }
            }
            result = .selinuxContext(c)
        case IsolatorName.apparmorProfile:
            var profile = ""
            try level.decodeStruct(
                value, goType: "types.linuxAppArmorProfileValue",
                structName: "linuxAppArmorProfileValue", fields: ["profile"]
            ) { _, member in
                level.decodeString(member.value, into: &profile)
            }
            result = .apparmorProfile(profile)
        default:  // os/unix/sysctl
            var map: [String: String]? = nil
            level.decodeStringMap(value, into: &map)
            result = .sysctl(map ?? [:])
        }
        try level.finish()
        if let error = result.validationError { throw DecodeFailure.invalid(error) }
        return result
    }

    private static func decodeResource(_ value: JSONValue, _ level: DecodeLevel) throws -> ResourceLimits {
        var limits = ResourceLimits()
        try level.decodeStruct(
            value, goType: "types.resourceValue", structName: "resourceValue",
            fields: ["default", "request", "limit"]
        ) { index, member in
            switch index {
            case 0:
                level.decodeBool(member.value, into: &limits.isDefault)
            default:
                let quantity: ResourceQuantity?
                if member.value == .null {
                    quantity = nil
                } else {
                    quantity = try level.custom { _ in
                        switch ResourceQuantity.parseJSON(level.rawText(member)) {
                        case .success(let q): return q
                        case .failure(let message): throw DecodeFailure.invalid(message.text)
                        }
                    }
                }
                if index == 1 { limits.request = quantity } else { limits.limit = quantity }
            }
        }
        return limits
    }

    private static func decodeCapabilities(_ value: JSONValue, _ level: DecodeLevel) throws -> [String] {
        var set: [String]? = nil
        try level.decodeStruct(
            value, goType: "types.linuxCapabilitiesSetValue",
            structName: "linuxCapabilitiesSetValue", fields: ["set"]
        ) { _, member in
            try level.decodeArray(member.value, into: &set, goType: "[]types.LinuxCapability", zero: { "" }) { item, s in
                level.decodeString(item, into: &s, goType: "types.LinuxCapability")
            }
        }
        return set ?? []
    }

    private static func decodeSeccomp(_ value: JSONValue, _ level: DecodeLevel) throws -> SeccompSet {
        var set: [String]? = nil
        var errno = ""
        try level.decodeStruct(
            value, goType: "types.linuxSeccompValue", structName: "linuxSeccompValue",
            fields: ["set", "errno"]
        ) { index, member in
            if index == 0 {
                try level.decodeArray(member.value, into: &set, goType: "[]types.LinuxSeccompEntry", zero: { "" }) { item, s in
                    level.decodeString(item, into: &s, goType: "types.LinuxSeccompEntry")
                }
            } else {
                level.decodeString(member.value, into: &errno, goType: "types.LinuxSeccompErrno")
            }
        }
        return SeccompSet(set: set ?? [], errno: errno)
    }

    /// Go's `Isolators.assertValid` (app level): every isolator known and
    /// valid, non-repeatable kinds at most once, no conflicting kinds.
    public static func validationError(_ isolators: [Isolator]) -> String? {
        var seen: Set<String> = []
        for isolator in isolators {
            guard let value = isolator.value else { return "invalid isolator" }
            if let error = value.validationError { return error }
            if seen.contains(isolator.name.value) && !value.multipleAllowed {
                return "isolators set contains too many instances of type \(isolator.name.value)\""
            }
            if value.conflicts.contains(where: { seen.contains($0) }) {
                return "isolators set contains incompatible types"
            }
            seen.insert(isolator.name.value)
        }
        return nil
    }

    /// `{"name": ..., "value": raw}`; the raw value is compacted by the encoder.
    var json: JSONValue {
        .object([
            JSONMember(key: "name", value: .string(name.value)),
            JSONMember(key: "value", value: rawValue.map { .raw($0) } ?? .null),
        ])
    }
}
