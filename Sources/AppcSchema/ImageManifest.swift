import GoJSON

/// An image manifest (appc-spec.md §3). Fields are public and mutable so that
/// commands can patch a decoded manifest; `encoded()` re-validates everything
/// as Go's `MarshalJSON` does.
public struct ImageManifest: Manifest, Hashable {
    /// The manifest kind.
    public var acKind: ACKind
    /// The spec version the manifest follows.
    public var acVersion: SemVer
    /// The name.
    public var name: ACIdentifier
    /// Labels: unique AC Identifier names; `os`/`arch` checked.
    public var labels: [Label]
    /// The app to run, if any.
    public var app: App?
    /// Annotations: unique names; `created`, `homepage`, `documentation` checked.
    public var annotations: [Annotation]
    /// Images rendered under this one, in order.
    public var dependencies: [Dependency]
    /// Paths kept from the rendered tree (not validated).
    public var pathWhitelist: [String]

    /// Creates a value from its fields (no validation beyond the field types).
    public init(
        name: ACIdentifier, acVersion: SemVer = ImageManifest.appContainerVersion, labels: [Label] = [],
        app: App? = nil, annotations: [Annotation] = [], dependencies: [Dependency] = [],
        pathWhitelist: [String] = []
    ) {
        self.acKind = .imageManifest
        self.acVersion = acVersion
        self.name = name
        self.labels = labels
        self.app = app
        self.annotations = annotations
        self.dependencies = dependencies
        self.pathWhitelist = pathWhitelist
    }

    /// The spec version the Go tool writes into new manifests (`0.8.11+git`).
    public static let appContainerVersion = SemVer(major: 0, minor: 8, patch: 11, metadata: "git")

    static let fieldNames = [
        "acKind", "acVersion", "name", "labels", "app", "annotations", "dependencies",
        "pathWhitelist",
    ]

    public static let goPointerTypeName = "*schema.ImageManifest"

    public static func decode(document: JSONDocument) throws -> ImageManifest {
        let level = DecodeLevel(document: document)
        var kind: ACKind? = nil
        var m = ImageManifest(name: .empty, acVersion: .zero)
        try level.decodeStruct(
            document.root, goType: "schema.imageManifest", structName: "imageManifest",
            fields: fieldNames
        ) { index, member in
            let v = member.value
            switch index {
            case 0: kind = try ACKind.decode(v, level: level)
            case 1: m.acVersion = try SemVer.decode(v, level: level)
            case 2: m.name = try ACIdentifier.decode(v, level: level)
            case 3: m.labels = try Label.decodeList(v, level: level)
            case 4: m.app = v == .null ? nil : try App.decode(v, existing: m.app, level: level)
            case 5: m.annotations = try Annotation.decodeList(v, level: level)
            case 6:
                try level.decodeArray(
                    v, into: &m.dependencies, goType: "types.Dependencies",
                    zero: { Dependency.zero }
                ) { item, dependency in
                    dependency = try Dependency.decode(item, level: level)
                }
            default:
                var list: [String]? = m.pathWhitelist
                try level.decodeStrings(v, into: &list)
                m.pathWhitelist = list ?? []
            }
        }
        try level.finish()
        guard kind == .imageManifest else { throw DecodeFailure.invalid(ACKind.imageManifest.missingError) }
        m.acKind = .imageManifest
        if let error = m.topLevelError { throw DecodeFailure.invalid(error) }
        return m
    }

    /// Go's `ImageManifest.assertValid`.
    var topLevelError: String? {
        if acKind != .imageManifest { return ACKind.imageManifest.missingError }
        if acVersion.isEmpty { return "acVersion must be set" }
        if name.isEmpty { return "name must be set" }
        return nil
    }

    /// The value of the label called `name`, if any.
    public func label(_ name: String) -> String? { labels.value(of: name) }

    /// The value of the annotation called `name`, if any.
    public func annotation(_ name: String) -> String? { annotations.value(of: name) }
}

/// A dependency of an image, resolved by ID or by name and labels.
public struct Dependency: Hashable, Sendable {
    /// The dependency's image name (required).
    public var imageName: ACIdentifier
    /// The exact image ID to use, if pinned.
    public var imageID: ImageHash?
    /// Labels: unique AC Identifier names; `os`/`arch` checked.
    public var labels: [Label]
    /// Size in bytes; 0 means unknown (and is omitted).
    public var size: UInt64

    /// Creates a value from its fields (no validation beyond the field types).
    public init(imageName: ACIdentifier, imageID: ImageHash? = nil, labels: [Label] = [], size: UInt64 = 0) {
        self.imageName = imageName
        self.imageID = imageID
        self.labels = labels
        self.size = size
    }

    static let zero = Dependency(imageName: .empty)

    /// Go's `Dependency.UnmarshalJSON`.
    static func decode(_ value: JSONValue, level: DecodeLevel) throws -> Dependency {
        try level.custom { inner in
            var d = Dependency.zero
            try inner.decodeStruct(
                value, goType: "types.dependency", structName: "dependency",
                fields: ["imageName", "imageID", "labels", "size"]
            ) { index, member in
                let v = member.value
                switch index {
                case 0: d.imageName = try ACIdentifier.decode(v, level: inner)
                case 1: d.imageID = v == .null ? nil : try ImageHash.decode(v, level: inner)
                case 2: d.labels = try Label.decodeList(v, level: inner)
                default: inner.decodeUInt(v, into: &d.size)
                }
            }
            try inner.finish()
            if d.imageName.isEmpty { throw DecodeFailure.invalid("imageName cannot be empty") }
            return d
        }
    }
}
