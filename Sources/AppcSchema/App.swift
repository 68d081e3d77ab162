import GoCompat
import GoJSON

/// The `app` object of an image manifest (or of a pod app).
public struct App: Hashable, Sendable {
    /// The command line; nil is emitted as `"exec": null`, an empty list as `[]`.
    public var exec: [String]?
    /// `pre-start`/`post-stop` handlers; each name at most once.
    public var eventHandlers: [EventHandler]
    /// User to run as: name, numeric id or absolute path (required).
    public var user: String
    /// Group to run as: name, numeric id or absolute path (required).
    public var group: String
    /// Extra group ids (negatives are accepted, as in Go).
    public var supplementaryGIDs: [Int]
    /// Absolute working directory; empty means `/`.
    public var workingDirectory: String
    /// Environment variables, names unique.
    public var environment: [EnvironmentVariable]
    /// Where volumes are mounted in the app.
    public var mountPoints: [MountPoint]
    /// Ports the app listens on.
    public var ports: [Port]
    /// Isolators, checked as a set (known, repeatable, compatible).
    public var isolators: [Isolator]
    /// Free-form annotations (emitted with sorted keys).
    public var userAnnotations: [String: String]
    /// Free-form labels (emitted with sorted keys).
    public var userLabels: [String: String]

    /// Creates a value from its fields (no validation beyond the field types).
    public init(
        exec: [String]? = nil, eventHandlers: [EventHandler] = [], user: String = "", group: String = "",
        supplementaryGIDs: [Int] = [], workingDirectory: String = "",
        environment: [EnvironmentVariable] = [], mountPoints: [MountPoint] = [], ports: [Port] = [],
        isolators: [Isolator] = [], userAnnotations: [String: String] = [:],
        userLabels: [String: String] = [:]
    ) {
        self.exec = exec
        self.eventHandlers = eventHandlers
        self.user = user
        self.group = group
        self.supplementaryGIDs = supplementaryGIDs
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.mountPoints = mountPoints
        self.ports = ports
        self.isolators = isolators
        self.userAnnotations = userAnnotations
        self.userLabels = userLabels
    }

    /// Go's `App.assertValid` message (user, group, working directory, event
    /// handler names, environment, isolators), or nil when valid.
    public var validationError: String? {
        if user.isEmpty { return "user is required" }
        if group.isEmpty { return "group is required" }
        if !workingDirectory.isEmpty && !workingDirectory.hasPrefix("/") {
            return "workingDirectory must be an absolute path"
        }
        var handlers: Set<String> = []
        for handler in eventHandlers {
            if handlers.contains(handler.name) {
                return "Only one eventHandler of name \(goQuote(handler.name)) allowed"
            }
            handlers.insert(handler.name)
        }
        if let error = EnvironmentVariable.validationError(environment) { return error }
        if let error = Isolator.validationError(isolators) { return error }
        return nil
    }

    static let fieldNames = [
        "exec", "eventHandlers", "user", "group", "supplementaryGIDs", "workingDirectory",
        "environment", "mountPoints", "ports", "isolators", "userAnnotations", "userLabels",
    ]

    /// Go's `App.UnmarshalJSON`: decodes on top of `existing` (a repeated
    /// `app` key merges into the previous one), then validates the whole app.
    static func decode(_ value: JSONValue, existing: App?, level: DecodeLevel) throws -> App {
        try level.custom { inner in
            var app = existing ?? App()
            try inner.decodeStruct(value, goType: "types.app", structName: "app", fields: fieldNames) { index, member in
                let v = member.value
                switch index {
                case 0:
                    app.exec = try decodeExec(v, level: inner)
                case 1:
                    try inner.decodeArray(
                        v, into: &app.eventHandlers, goType: "[]types.EventHandler",
                        zero: { EventHandler.zero }
                    ) { item, handler in
                        handler = try EventHandler.decode(item, level: inner)
                    }
                case 2: inner.decodeString(v, into: &app.user)
                case 3: inner.decodeString(v, into: &app.group)
                case 4:
                    try inner.decodeArray(v, into: &app.supplementaryGIDs, goType: "[]int", zero: { 0 }) { item, gid in
                        inner.decodeInt(item, into: &gid)
                    }
                case 5: inner.decodeString(v, into: &app.workingDirectory)
                case 6: app.environment = try EnvironmentVariable.decodeList(v, level: inner)
                case 7:
                    try inner.decodeArray(
                        v, into: &app.mountPoints, goType: "[]types.MountPoint",
                        zero: { MountPoint.zero }
                    ) { item, mount in
                        try mount.decodeFields(item, level: inner)
                    }
                case 8:
                    try inner.decodeArray(v, into: &app.ports, goType: "[]types.Port", zero: { Port.zero }) { item, port in
                        port = try Port.decode(item, level: inner)
                    }
                case 9:
                    try inner.decodeArray(
                        v, into: &app.isolators, goType: "types.Isolators",
                        zero: { Isolator.zero }
                    ) { item, isolator in
                        isolator = try Isolator.decode(item, level: inner)
                    }
                case 10: inner.decodeStringMap(v, into: &app.userAnnotations, goType: "types.UserAnnotations")
                default: inner.decodeStringMap(v, into: &app.userLabels, goType: "types.UserLabels")
                }
            }
            try inner.finish()
            if let error = app.validationError { throw DecodeFailure.invalid(error) }
            return app
        }
    }

    /// Go's `Exec.UnmarshalJSON` (no check on the command itself).
    static func decodeExec(_ value: JSONValue, level: DecodeLevel) throws -> [String]? {
        try level.custom { inner in
            var exec: [String]? = nil
            try inner.decodeStrings(value, into: &exec, goType: "types.exec")
            try inner.finish()
            return exec
        }
    }
}

/// An event handler: `name` is `pre-start` or `post-stop`.
public struct EventHandler: Hashable, Sendable {
    /// The name.
    public var name: String
    /// The command line (nil is emitted as `null`).
    public var exec: [String]?

    /// Validates the name as Go's `EventHandler.assertValid`.
    public init(name: String, exec: [String]?) throws(ManifestError) {
        if let error = EventHandler.nameError(name) { throw ManifestError(error) }
        self.name = name
        self.exec = exec
    }

    init(unchecked name: String, exec: [String]?) {
        self.name = name
        self.exec = exec
    }

    static let zero = EventHandler(unchecked: "", exec: nil)

    static func nameError(_ name: String) -> String? {
        switch name {
        case "pre-start", "post-stop": return nil
        case "": return #"eventHandler "name" cannot be empty"#
        default: return #"bad eventHandler "name": "# + goQuote(name)
        }
    }

    /// Go's `EventHandler.UnmarshalJSON`.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> EventHandler {
        try level.custom { inner in
            var handler = EventHandler.zero
            try inner.decodeStruct(
                value, goType: "types.eventHandler", structName: "eventHandler",
                fields: ["name", "exec"]
            ) { index, member in
                if index == 0 {
                    inner.decodeString(member.value, into: &handler.name)
                } else {
                    handler.exec = try App.decodeExec(member.value, level: inner)
                }
            }
            try inner.finish()
            if let error = nameError(handler.name) { throw DecodeFailure.invalid(error) }
            return handler
        }
    }
}

/// An environment variable: the name matches `^[A-Za-z_][A-Za-z_0-9.-]*$`.
public struct EnvironmentVariable: Hashable, Sendable {
    /// The name.
    public var name: String
    /// The value.
    public var value: String

    /// Validates the name.
    public init(name: String, value: String) throws(ManifestError) {
        if let error = EnvironmentVariable.nameError(name) { throw ManifestError(error) }
        self.name = name
        self.value = value
    }

    init(unchecked name: String, value: String) {
        self.name = name
        self.value = value
    }

    static let zero = EnvironmentVariable(unchecked: "", value: "")

    static func nameError(_ name: String) -> String? {
        if name.isEmpty { return "environment variable name must not be empty" }
        let bytes = Array(name.utf8)
        func isLetter(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
        }
        let valid =
            isLetter(bytes[0])
            && bytes.dropFirst().allSatisfy {
                isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
            }
        return valid ? nil : "environment variable does not have valid identifier \(goQuote(name))"
    }

    /// Go's `Environment.assertValid`.
    public static func validationError(_ environment: [EnvironmentVariable]) -> String? {
        var seen: Set<String> = []
        for variable in environment {
            if let error = nameError(variable.name) { return error }
            if seen.contains(variable.name) {
                return "duplicate environment variable of name \(goQuote(variable.name))"
            }
            seen.insert(variable.name)
        }
        return nil
    }

    /// Go's `Environment.UnmarshalJSON`.
    static func decodeList(_ value: JSONValue, level: DecodeLevel) throws -> [EnvironmentVariable] {
        try level.custom { inner in
            var list: [EnvironmentVariable]? = nil
            try inner.decodeArray(value, into: &list, goType: "types.environment", zero: { EnvironmentVariable.zero }) { item, variable in
                try inner.decodeStruct(
                    item, goType: "types.EnvironmentVariable", structName: "EnvironmentVariable",
                    fields: ["name", "value"]
                ) { index, member in
                    if index == 0 {
                        inner.decodeString(member.value, into: &variable.name)
                    } else {
                        inner.decodeString(member.value, into: &variable.value)
                    }
                }
            }
            try inner.finish()
            let result = list ?? []
            if let error = validationError(result) { throw DecodeFailure.invalid(error) }
            return result
        }
    }
}

extension Array where Element == EnvironmentVariable {
    /// The value of the variable called `name`, if any.
    public func value(of name: String) -> String? {
        first { $0.name == name }?.value
    }
}

/// A mount point: `name` is an AC Name when present; nothing else is checked on decode.
public struct MountPoint: Hashable, Sendable {
    /// The name.
    public var name: ACName
    /// The path.
    public var path: String
    /// Whether it is read-only.
    public var readOnly: Bool

    /// Creates a value from its fields (no validation beyond the field types).
    public init(name: ACName, path: String, readOnly: Bool = false) {
        self.name = name
        self.path = path
        self.readOnly = readOnly
    }

    static let zero = MountPoint(name: .empty, path: "", readOnly: false)

    /// A plain Go struct: fields decoded into the existing value.
    mutating func decodeFields(_ value: JSONValue, level: DecodeLevel) throws {
        try level.decodeStruct(
            value, goType: "types.MountPoint", structName: "MountPoint",
            fields: ["name", "path", "readOnly"]
        ) { index, member in
            switch index {
            case 0: self.name = try ACName.decode(member.value, level: level)
            case 1: level.decodeString(member.value, into: &self.path)
            default: level.decodeBool(member.value, into: &self.readOnly)
            }
        }
    }
}

/// A port the app listens on.
public struct Port: Hashable, Sendable {
    /// The name.
    public var name: ACName
    /// Protocol name (free text, may be empty).
    public var `protocol`: String
    /// First port number, 1-65535.
    public var port: UInt64
    /// Number of consecutive ports; a decoded port has at least 1.
    public var count: UInt64
    /// Whether the port is socket-activated.
    public var socketActivated: Bool

    /// Validates the range as Go's `Port.assertValid` (count is kept as given).
    public init(
        name: ACName, protocol: String, port: UInt64, count: UInt64 = 1,
        socketActivated: Bool = false
    ) throws(ManifestError) {
        let p = Port(unchecked: name, protocol: `protocol`, port: port, count: count, socketActivated: socketActivated)
        if let error = p.validationError { throw ManifestError(error) }
        self = p
    }

    init(unchecked name: ACName, protocol: String, port: UInt64, count: UInt64, socketActivated: Bool) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.count = count
        self.socketActivated = socketActivated
    }

    static let zero = Port(unchecked: .empty, protocol: "", port: 0, count: 0, socketActivated: false)

    /// Go's `Port.assertValid` (with Go's wrapping `uint` addition).
    public var validationError: String? {
        if port > 65535 || port < 1 { return "port must be in 1-65535 range" }
        if port &+ count > 65536 { return "end of port range must be in 1-65535 range" }
        return nil
    }

    static let fieldNames = ["name", "protocol", "port", "count", "socketActivated"]

    /// Go's `Port.UnmarshalJSON`: validated, then a zero count becomes 1.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> Port {
        try level.custom { inner in
            var port = Port.zero
            try port.decodeFields(value, level: inner, goType: "types.port", structName: "port")
            try inner.finish()
            if let error = port.validationError { throw DecodeFailure.invalid(error) }
            if port.count == 0 { port.count = 1 }
            return port
        }
    }

    mutating func decodeFields(_ value: JSONValue, level: DecodeLevel, goType: String, structName: String) throws {
        try level.decodeStruct(value, goType: goType, structName: structName, fields: Port.fieldNames) { index, member in
            let v = member.value
            switch index {
            case 0: self.name = try ACName.decode(v, level: level)
            case 1: level.decodeString(v, into: &self.protocol)
            case 2: level.decodeUInt(v, into: &self.port)
            case 3: level.decodeUInt(v, into: &self.count)
            default: level.decodeBool(v, into: &self.socketActivated)
            }
        }
    }
}
