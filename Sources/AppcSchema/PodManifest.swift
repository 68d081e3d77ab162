import GoCompat
import GoJSON

/// A pod manifest (appc-spec.md §3.2). List fields without `omitempty` in Go
/// are optionals here: nil is emitted as `null`, an empty list as `[]`.
public struct PodManifest: Manifest, Hashable {
    /// Not required for pods; the zero version when absent.
    public var acVersion: SemVer
    /// The manifest kind.
    public var acKind: ACKind
    /// The apps of the pod (nil is emitted as `null`).
    public var apps: [RuntimeApp]?
    /// The volumes of the pod (nil is emitted as `null`).
    public var volumes: [Volume]?
    /// Pod isolators: each known one is checked, but the set is not.
    public var isolators: [Isolator]?
    /// Annotations: unique names; `created`, `homepage`, `documentation` checked.
    public var annotations: [Annotation]?
    /// Ports the app listens on.
    public var ports: [ExposedPort]?
    /// Free-form annotations (emitted with sorted keys).
    public var userAnnotations: [String: String]
    /// Free-form labels (emitted with sorted keys).
    public var userLabels: [String: String]

    /// Creates a value from its fields (no validation beyond the field types).
    public init(
        acVersion: SemVer = ImageManifest.appContainerVersion, apps: [RuntimeApp]? = [],
        volumes: [Volume]? = [], isolators: [Isolator]? = [], annotations: [Annotation]? = [],
        ports: [ExposedPort]? = [], userAnnotations: [String: String] = [:],
        userLabels: [String: String] = [:]
    ) {
        self.acVersion = acVersion
        self.acKind = .podManifest
        self.apps = apps
        self.volumes = volumes
        self.isolators = isolators
        self.annotations = annotations
        self.ports = ports
        self.userAnnotations = userAnnotations
        self.userLabels = userLabels
    }

    static let fieldNames = [
        "acVersion", "acKind", "apps", "volumes", "isolators", "annotations", "ports",
        "userAnnotations", "userLabels",
    ]

    public static let goPointerTypeName = "*schema.PodManifest"

    public static func decode(document: JSONDocument) throws -> PodManifest {
        let level = DecodeLevel(document: document)
        var kind: ACKind? = nil
        var pm = PodManifest(acVersion: .zero, apps: nil, volumes: nil, isolators: nil, annotations: nil, ports: nil)
        try level.decodeStruct(
            document.root, goType: "schema.podManifest", structName: "podManifest",
            fields: fieldNames
        ) { index, member in
            let v = member.value
            switch index {
            case 0: pm.acVersion = try SemVer.decode(v, level: level)
            case 1: kind = try ACKind.decode(v, level: level)
            case 2: pm.apps = try RuntimeApp.decodeList(v, level: level)
            case 3:
                try level.decodeArray(v, into: &pm.volumes, goType: "[]types.Volume", zero: { Volume.zero }) { item, volume in
                    volume = try Volume.decode(item, level: level)
                }
            case 4:
                try level.decodeArray(
                    v, into: &pm.isolators, goType: "[]types.Isolator",
                    zero: { Isolator.zero }
                ) { item, isolator in
                    isolator = try Isolator.decode(item, level: level)
                }
            case 5: pm.annotations = try Annotation.decodeList(v, level: level).nilIfNull(v)
            case 6:
                try level.decodeArray(
                    v, into: &pm.ports, goType: "[]types.ExposedPort",
                    zero: { ExposedPort.zero }
                ) { item, port in
                    try port.decodeFields(item, level: level)
                }
            case 7: level.decodeStringMap(v, into: &pm.userAnnotations, goType: "types.UserAnnotations")
            default: level.decodeStringMap(v, into: &pm.userLabels, goType: "types.UserLabels")
            }
        }
        try level.finish()
        guard kind == .podManifest else { throw DecodeFailure.invalid(ACKind.podManifest.missingError) }
        if let error = Volume.duplicateError(pm.volumes ?? []) { throw DecodeFailure.invalid(error) }
        pm.acKind = .podManifest
        return pm
    }

    public func marshalTree() throws -> JSONValue {
        try check(acKind == .podManifest ? nil : ACKind.podManifest.missingError)
        try check(Volume.duplicateError(volumes ?? []))
        return jsonObject([
            ("acVersion", try acVersion.marshal()),
            ("acKind", .string(acKind.rawValue)),
            (
                "apps",
                try marshaler("schema.AppList") {
                    try check(RuntimeApp.duplicateError(apps ?? []))
                    guard let apps else { return .null }
                    return .array(try apps.map { try $0.marshal() })
                }
            ),
            ("volumes", try volumes.map { .array(try $0.map { try $0.marshal("types.Volume") }) } ?? .null),
            ("isolators", try isolators.map { .array(try $0.map { try $0.marshal() }) } ?? .null),
            (
                "annotations",
                try marshaler("types.Annotations") {
                    try check(Annotation.validationError(annotations ?? []))
                    guard let annotations else { return .null }
                    return .array(
                        try annotations.map { a in
                            jsonObject([("name", try a.name.marshal()), ("value", .string(a.value))])
                        })
                }
            ),
            ("ports", try ports.map { .array(try $0.map { try $0.marshal() }) } ?? .null),
            ("userAnnotations", userAnnotations.isEmpty ? nil : stringMap(userAnnotations)),
            ("userLabels", userLabels.isEmpty ? nil : stringMap(userLabels)),
        ])
    }
}

extension Array {
    /// Keeps Go's nil-vs-empty distinction for a custom list decoded from `null`.
    fileprivate func nilIfNull(_ value: JSONValue) -> [Element]? {
        value == .null ? nil : self
    }
}

/// An app of a pod: a name, the image it runs, and optional overrides.
public struct RuntimeApp: Hashable, Sendable {
    /// The name.
    public var name: ACName
    /// The image the app runs.
    public var image: RuntimeImage
    /// The app to run, if any.
    public var app: App?
    /// Whether the app's root filesystem is read-only.
    public var readOnlyRootFS: Bool
    /// Volume mounts of the app.
    public var mounts: [Mount]
    /// Annotations: unique names; `created`, `homepage`, `documentation` checked.
    public var annotations: [Annotation]

    /// Creates a value from its fields (no validation beyond the field types).
    public init(
        name: ACName, image: RuntimeImage, app: App? = nil, readOnlyRootFS: Bool = false,
        mounts: [Mount] = [], annotations: [Annotation] = []
    ) {
        self.name = name
        self.image = image
        self.app = app
        self.readOnlyRootFS = readOnlyRootFS
        self.mounts = mounts
        self.annotations = annotations
    }

    static let zero = RuntimeApp(name: .empty, image: RuntimeImage(id: .empty))

    /// `duplicate apps of name %q`.
    static func duplicateError(_ apps: [RuntimeApp]) -> String? {
        var seen: Set<String> = []
        for app in apps {
            if seen.contains(app.name.value) { return "duplicate apps of name \(goQuote(app.name.value))" }
            seen.insert(app.name.value)
        }
        return nil
    }

    /// Go's `AppList.UnmarshalJSON`: a fresh list, app names unique.
    static func decodeList(_ value: JSONValue, level: DecodeLevel) throws -> [RuntimeApp]? {
        try level.custom { inner in
            var list: [RuntimeApp]? = []
            try inner.decodeArray(value, into: &list, goType: "schema.appList", zero: { RuntimeApp.zero }) { item, app in
                try app.decodeFields(item, level: inner)
            }
            try inner.finish()
            if let error = duplicateError(list ?? []) { throw DecodeFailure.invalid(error) }
            return list
        }
    }

    mutating func decodeFields(_ value: JSONValue, level: DecodeLevel) throws {
        try level.decodeStruct(
            value, goType: "schema.RuntimeApp", structName: "RuntimeApp",
            fields: ["name", "image", "app", "readOnlyRootFS", "mounts", "annotations"]
        ) { index, member in
            let v = member.value
            switch index {
            case 0: self.name = try ACName.decode(v, level: level)
            case 1: try self.image.decodeFields(v, level: level)
            case 2: self.app = v == .null ? nil : try App.decode(v, existing: self.app, level: level)
            case 3: level.decodeBool(v, into: &self.readOnlyRootFS)
            case 4:
                try level.decodeArray(v, into: &self.mounts, goType: "[]schema.Mount", zero: { Mount.zero }) { item, mount in
                    try mount.decodeFields(item, level: level)
                }
            default: self.annotations = try Annotation.decodeList(v, level: level)
            }
        }
    }

    func marshal() throws -> JSONValue {
        jsonObject([
            ("name", try name.marshal()),
            ("image", try image.marshal()),
            ("app", try app.map { try $0.marshal() }),
            ("readOnlyRootFS", readOnlyRootFS ? .bool(true) : nil),
            ("mounts", mounts.isEmpty ? nil : .array(try mounts.map { try $0.marshal() })),
            ("annotations", annotations.isEmpty ? nil : try Annotation.marshalList(annotations)),
        ])
    }
}

/// The image of a pod app: its ID (required to run), optionally name and labels.
public struct RuntimeImage: Hashable, Sendable {
    /// The name.
    public var name: ACIdentifier?
    /// The zero hash when absent (then encoding fails as in Go).
    public var id: ImageHash
    /// Labels: unique AC Identifier names; `os`/`arch` checked.
    public var labels: [Label]

    /// Creates a value from its fields (no validation beyond the field types).
    public init(name: ACIdentifier? = nil, id: ImageHash, labels: [Label] = []) {
        self.name = name
        self.id = id
        self.labels = labels
    }

    mutating func decodeFields(_ value: JSONValue, level: DecodeLevel) throws {
        try level.decodeStruct(
            value, goType: "schema.RuntimeImage", structName: "RuntimeImage",
            fields: ["name", "id", "labels"]
        ) { index, member in
            let v = member.value
            switch index {
            case 0: self.name = v == .null ? nil : try ACIdentifier.decode(v, level: level)
            case 1: self.id = try ImageHash.decode(v, level: level)
            default: self.labels = try Label.decodeList(v, level: level)
            }
        }
    }

    func marshal() throws -> JSONValue {
        jsonObject([
            (
                "name",
                try name.map { id in
                    try marshaler("*types.ACIdentifier") {
                        try check(ACIdentifier.validationError(id.value))
                        return .string(id.value)
                    }
                }
            ),
            ("id", try id.marshal("types.Hash")),
            ("labels", labels.isEmpty ? nil : try Label.marshalList(labels)),
        ])
    }
}

/// A pod app mount: which volume goes where (an `appVolume` overrides the pod's).
public struct Mount: Hashable, Sendable {
    /// Name of the volume to mount.
    public var volume: ACName
    /// The path.
    public var path: String
    /// A volume definition overriding the pod's.
    public var appVolume: Volume?

    /// Creates a value from its fields (no validation beyond the field types).
    public init(volume: ACName, path: String, appVolume: Volume? = nil) {
        self.volume = volume
        self.path = path
        self.appVolume = appVolume
    }

    static let zero = Mount(volume: .empty, path: "")

    mutating func decodeFields(_ value: JSONValue, level: DecodeLevel) throws {
        try level.decodeStruct(
            value, goType: "schema.Mount", structName: "Mount",
            fields: ["volume", "path", "appVolume"]
        ) { index, member in
            let v = member.value
            switch index {
            case 0: self.volume = try ACName.decode(v, level: level)
            case 1: level.decodeString(v, into: &self.path)
            default: self.appVolume = v == .null ? nil : try Volume.decode(v, level: level)
            }
        }
    }

    func marshal() throws -> JSONValue {
        jsonObject([
            ("volume", try volume.marshal()),
            ("path", .string(path)),
            ("appVolume", try appVolume.map { try $0.marshal("*types.Volume") }),
        ])
    }
}

/// A pod volume: kind `host` (absolute `source`) or `empty` (mode/uid/gid,
/// defaulting to 0755, 0, 0).
public struct Volume: Hashable, Sendable {
    /// The name.
    public var name: ACName
    /// Volume kind: `host` or `empty`.
    public var kind: String
    /// Host path of a `host` volume.
    public var source: String
    /// Whether it is read-only.
    public var readOnly: Bool?
    /// Whether a host volume is mounted recursively.
    public var recursive: Bool?
    /// Mode of an `empty` volume.
    public var mode: String?
    /// Owner uid of an `empty` volume.
    public var uid: Int?
    /// Owner gid of an `empty` volume.
    public var gid: Int?

    /// Validates as Go's `Volume` decoding does (defaults filled for `empty`).
    public init(
        name: ACName, kind: String, source: String = "", readOnly: Bool? = nil, recursive: Bool? = nil,
        mode: String? = nil, uid: Int? = nil, gid: Int? = nil
    ) throws(ManifestError) {
        var v = Volume(unchecked: name, kind: kind)
        v.source = source
        v.readOnly = readOnly
        v.recursive = recursive
        v.mode = mode
        v.uid = uid
        v.gid = gid
        v.setDefaults()
        if let error = v.validationError { throw ManifestError(error) }
        self = v
    }

    init(unchecked name: ACName, kind: String) {
        self.name = name
        self.kind = kind
        self.source = ""
    }

    static let zero = Volume(unchecked: .empty, kind: "")

    mutating func setDefaults() {
        guard kind == "empty" else { return }
        if mode == nil { mode = "0755" }
        if uid == nil { uid = 0 }
        if gid == nil { gid = 0 }
    }

    /// Go's `Volume.assertValid`.
    public var validationError: String? {
        if name.isEmpty { return "name must be set" }
        switch kind {
        case "empty":
            if !source.isEmpty { return "source for empty volume must be empty" }
            if mode == nil { return "mode for empty volume must be set" }
            if uid == nil { return "uid for empty volume must be set" }
            if gid == nil { return "gid for empty volume must be set" }
            return nil
        case "host":
            if source.isEmpty { return "source for host volume cannot be empty" }
            if mode != nil { return "mode for host volume cannot be set" }
            if uid != nil { return "uid for host volume cannot be set" }
            if gid != nil { return "gid for host volume cannot be set" }
            if !source.hasPrefix("/") { return "source for host volume must be absolute path" }
            return nil
        default:
            return #"unrecognized volume kind: should be one of "empty", "host""#
        }
    }

    /// Go's `Volume.UnmarshalJSON`.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> Volume {
        try level.custom { inner in
            var v = Volume.zero
            try inner.decodeStruct(
                value, goType: "types.volume", structName: "volume",
                fields: ["name", "kind", "source", "readOnly", "recursive", "mode", "uid", "gid"]
            ) { index, member in
                let m = member.value
                switch index {
                case 0: v.name = try ACName.decode(m, level: inner)
                case 1: inner.decodeString(m, into: &v.kind)
                case 2: inner.decodeString(m, into: &v.source)
                case 3: v.readOnly = decodeOptional(m, v.readOnly) { inner.decodeBool(m, into: &$0) }
                case 4: v.recursive = decodeOptional(m, v.recursive) { inner.decodeBool(m, into: &$0) }
                case 5: v.mode = decodeOptional(m, v.mode) { inner.decodeString(m, into: &$0) }
                case 6: v.uid = decodeOptional(m, v.uid) { inner.decodeInt(m, into: &$0) }
                default: v.gid = decodeOptional(m, v.gid) { inner.decodeInt(m, into: &$0) }
                }
            }
            try inner.finish()
            v.setDefaults()
            if let error = v.validationError { throw DecodeFailure.invalid(error) }
            return v
        }
    }

    func marshal(_ type: String) throws -> JSONValue {
        try marshaler(type) {
            try check(validationError)
            return jsonObject([
                ("name", try name.marshal()),
                ("kind", .string(kind)),
                ("source", source.isEmpty ? nil : .string(source)),
                ("readOnly", readOnly.map { .bool($0) }),
                ("recursive", recursive.map { .bool($0) }),
                ("mode", mode.map { .string($0) }),
                ("uid", uid.map { .number(String($0)) }),
                ("gid", gid.map { .number(String($0)) }),
            ])
        }
    }
}

/// A Go pointer field: `null` sets nil, anything else decodes into the
/// existing (or a new zero) value.
private func decodeOptional<T>(_ value: JSONValue, _ existing: T?, zero: T, _ body: (inout T) -> Void) -> T? {
    if value == .null { return nil }
    var v = existing ?? zero
    body(&v)
    return v
}

private func decodeOptional(_ value: JSONValue, _ existing: Bool?, _ body: (inout Bool) -> Void) -> Bool? {
    decodeOptional(value, existing, zero: false, body)
}

private func decodeOptional(_ value: JSONValue, _ existing: String?, _ body: (inout String) -> Void) -> String? {
    decodeOptional(value, existing, zero: "", body)
}

private func decodeOptional(_ value: JSONValue, _ existing: Int?, _ body: (inout Int) -> Void) -> Int? {
    decodeOptional(value, existing, zero: 0, body)
}

/// A port exposed on the host for a pod port.
public struct ExposedPort: Hashable, Sendable {
    /// The name.
    public var name: ACName
    /// Port on the host.
    public var hostPort: UInt64
    /// Host address to bind, if any.
    public var hostIP: NetIP?
    /// The pod port, when not found by name.
    public var podPort: Port?

    /// Creates a value from its fields (no validation beyond the field types).
    public init(name: ACName, hostPort: UInt64, hostIP: NetIP? = nil, podPort: Port? = nil) {
        self.name = name
        self.hostPort = hostPort
        self.hostIP = hostIP
        self.podPort = podPort
    }

    static let zero = ExposedPort(name: .empty, hostPort: 0)

    mutating func decodeFields(_ value: JSONValue, level: DecodeLevel) throws {
        try level.decodeStruct(
            value, goType: "types.ExposedPort", structName: "ExposedPort",
            fields: ["name", "hostPort", "hostIP", "podPort"]
        ) { index, member in
            let v = member.value
            switch index {
            case 0: self.name = try ACName.decode(v, level: level)
            case 1: level.decodeUInt(v, into: &self.hostPort)
            case 2:
                switch v {
                case .null:
                    self.hostIP = nil
                case .string(let text):
                    // net.IP's UnmarshalText: errors abort like a custom unmarshaler.
                    if text.isEmpty {
                        self.hostIP = nil
                    } else {
                        self.hostIP = try level.custom { _ in
                            guard let bytes = NetIP.parse(Array(text.utf8)) else {
                                throw DecodeFailure.invalid("invalid IP address: " + text)
                            }
                            return NetIP(bytes: bytes)
                        }
                    }
                default:
                    level.mismatch(v, "net.IP")
                }
            default: self.podPort = v == .null ? nil : try Port.decode(v, level: level)
            }
        }
    }

    func marshal() throws -> JSONValue {
        jsonObject([
            ("name", try name.marshal()),
            ("hostPort", .number(String(hostPort))),
            ("hostIP", hostIP.map { .string($0.description) }),
            ("podPort", try podPort.map { try $0.marshal("*types.Port") }),
        ])
    }
}

extension NetIP {
    init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}

extension Volume {
    /// The pod manifest's `duplicate volume name %q` (volume names are its unique key).
    public static func duplicateError(_ volumes: [Volume]) -> String? {
        var seen: Set<String> = []
        for volume in volumes where !seen.insert(volume.name.value).inserted {
            return "duplicate volume name \(goQuote(volume.name.value))"
        }
        return nil
    }
}
