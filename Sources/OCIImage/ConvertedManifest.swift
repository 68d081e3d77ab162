import AppcSchema
import GoCompat
import GoJSON

/// The image manifests docker2aci writes for a converted image (`GenerateManifestV22`,
/// `GenerateEmptyManifest`, `mergeManifests`).
public enum ConvertedManifest {
    /// docker2aci's annotation names.
    public enum Annotations {
        public static let originalName = "appc.io/docker/originalname"
        public static let registryURL = "appc.io/docker/registryurl"
        public static let repository = "appc.io/docker/repository"
        public static let tag = "appc.io/docker/tag"
        public static let imageID = "appc.io/docker/imageid"
        public static let manifestHash = "appc.io/docker/manifesthash"
        public static let entrypoint = "appc.io/docker/entrypoint"
        public static let cmd = "appc.io/docker/cmd"
    }

    /// The name of the image made of a layer: `REGISTRY/REPOSITORY-DIGEST`, sanitized
    /// (`127.0.0.1:5000/app-sha256:ab…` → `127.0.0.1_5000/app-sha256_ab…`). A lower
    /// layer's digest is written with `-` for `:` first, as docker2aci writes it.
    public static func layerName(_ reference: DockerReference, digest: OCIDigest, top: Bool) throws(OCIError) -> ACIdentifier {
        let digestText = top ? digest.description : digest.algorithm + "-" + digest.hex
        let text = reference.registry + "/" + reference.repository + "-" + digestText
        guard let name = ACIdentifier.sanitized(text) else { throw .document("cannot make an image name of \(text)") }
        return name
    }

    /// The squashed image's name: the top layer's, cut at its last `-` (`stripLayerID`).
    public static func squashedName(_ reference: DockerReference, topLayer: OCIDigest) throws(OCIError) -> ACIdentifier {
        let top = try layerName(reference, digest: topLayer, top: true).value
        guard let dash = top.lastIndex(of: "-"), let name = try? ACIdentifier(String(top[..<dash])) else {
            throw .document("cannot make an image name of \(top)")
        }
        return name
    }

    /// `os` and `arch` labels for this machine (a lower layer's only labels).
    public static func hostLabels() -> [Label] {
        labels(["os": "linux", "arch": OSArch.hostAppcArch])
    }

    /// The top image's manifest: the config's app, the reference's labels and docker2aci's
    /// annotations. `dependencies` are the lower layers' images (none when squashed).
    public static func top(
        name: ACIdentifier, reference: DockerReference, manifestDigest: OCIDigest, configDigest: OCIDigest,
        config: OCIImageConfig, dependencies: [Dependency] = [], pathWhitelist: [String] = []
    ) throws(OCIError) -> ImageManifest {
        var labelMap = ["os": "linux", "arch": OSArch.hostAppcArch]
        if let tag = reference.tag, !tag.isEmpty { labelMap["version"] = tag }
        if let (os, arch) = OSArch.appc(goOS: config.platform.os, goArch: config.platform.architecture, variant: config.platform.variant) {
            labelMap["os"] = os
            labelMap["arch"] = arch
        }
        var annotations: [(String, String)] = []
        func set(_ name: String, _ value: String) {
            guard !value.isEmpty else { return }
            if let i = annotations.firstIndex(where: { $0.0 == name }) {
                annotations[i].1 = value
            } else {
                annotations.append((name, value))
            }
        }
        set("author", config.author)
        // A date appc cannot read would make the whole manifest invalid: left out.
        if Annotation.dateError(config.created) == nil { set("created", config.created) }
        set(Annotations.originalName, reference.originalName)
        set(Annotations.registryURL, reference.registry)
        set(Annotations.repository, reference.repository)
        set(Annotations.imageID, configDigest.description)
        set(Annotations.manifestHash, manifestDigest.description)
        var app: App?
        if config.hasRunConfig {
            let (user, group) = dockerUser(config.user)
            var environment: [EnvironmentVariable] = []
            for entry in config.environment {
                guard let eq = entry.firstIndex(of: "=") else { continue }
                let name = String(entry[..<eq])
                let value = String(entry[entry.index(after: eq)...])
                do {
                    let variable = try EnvironmentVariable(name: name, value: value)
                    if let i = environment.firstIndex(where: { $0.name == name }) {
                        environment[i] = variable
                    } else {
                        environment.append(variable)
                    }
                } catch {
                    throw .document("config: Env \(entry): \(error.message)")
                }
            }
            let exec = config.entrypoint + config.cmd
            app = App(
                exec: exec.isEmpty ? nil : exec, user: user, group: group, workingDirectory: config.workingDirectory,
                environment: environment, mountPoints: try mountPoints(config.volumes), ports: try ports(config.exposedPorts))
            if !config.entrypoint.isEmpty { set(Annotations.entrypoint, jsonArray(config.entrypoint)) }
            if !config.cmd.isEmpty { set(Annotations.cmd, jsonArray(config.cmd)) }
        }
        if let tag = reference.tag { set(Annotations.tag, tag) }
        var manifest = ImageManifest(
            name: name, labels: labels(labelMap), app: app, dependencies: dependencies, pathWhitelist: pathWhitelist)
        do {
            manifest.annotations = try annotations.map { (name, value) throws(ManifestError) in try Annotation(name: name, value: value) }
            _ = try manifest.encoded()
        } catch {
            throw .document("the converted manifest is invalid: \(error.message)")
        }
        return manifest
    }

    /// A lower layer's manifest: its name, this machine's labels, and the paths of every
    /// layer up to it (`pathWhitelist`, sorted).
    public static func lowerLayer(name: ACIdentifier, pathWhitelist: [String]) -> ImageManifest {
        ImageManifest(name: name, labels: hostLabels(), pathWhitelist: pathWhitelist)
    }

    /// docker2aci's `parseDockerUser`: no user is root; a user alone is also the group
    /// (names are resolved against the image's /etc/passwd and /etc/group when the app
    /// starts, as appc specifies).
    static func dockerUser(_ text: String) -> (String, String) {
        if text.isEmpty { return ("0", "0") }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count < 2 { return (text, text) }
        return (String(parts[0]), String(parts[1]))
    }

    /// `Volumes` as mount points named `volume-PATH` (sanitized, numbered when two
    /// paths sanitize alike), sorted by name.
    static func mountPoints(_ volumes: [String]) throws(OCIError) -> [MountPoint] {
        var seen: [String: Int] = [:]
        var points: [MountPoint] = []
        for path in volumes {
            guard let base = ACName.sanitized(GoPath.clean("volume/" + path)) else { throw .document("config: Volumes: cannot name \(path)") }
            var name = base.value
            if let count = seen[name] {
                seen[name] = count + 1
                name = "\(name)-\(count)"
            } else {
                seen[name] = 1
            }
            guard let acName = try? ACName(name) else { throw .document("config: Volumes: cannot name \(path)") }
            points.append(MountPoint(name: acName, path: path))
        }
        return points.sorted { $0.name < $1.name }
    }

    /// `ExposedPorts` (`80/tcp`, `53/udp`, `8080`) as ports named after the key, sorted.
    static func ports(_ exposed: [String]) throws(OCIError) -> [Port] {
        var ports: [Port] = []
        for key in exposed {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            let number = parts.count < 2 ? Substring(key) : parts[0]
            let proto = parts.count < 2 ? "tcp" : String(parts[1])
            guard let port = UInt64(number), let name = ACName.sanitized(key) else {
                throw .document("config: ExposedPorts: error parsing port \(goQuote(String(number)))")
            }
            do {
                ports.append(try Port(name: name, protocol: proto, port: port))
            } catch {
                throw .document("config: ExposedPorts: \(key): \(error.message)")
            }
        }
        return ports.sorted { $0.name < $1.name }
    }

    static func labels(_ map: [String: String]) -> [Label] {
        map.keys.sorted().compactMap { key in try? Label(name: key, value: map[key] ?? "") }
    }

    static func jsonArray(_ items: [String]) -> String {
        String(decoding: GoJSON.encodeCompact(.array(items.map { .string($0) })), as: UTF8.self)
    }
}
