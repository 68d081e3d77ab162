import AppcSchema
import FoundationEssentials
import Glibc
import GoCompat
import ImageFetch
import ImageKit
import ImageRender
import ImageStore
import LinuxSystem
import PodNetwork

/// `rkt run`, `rkt prepare` and `rkt run-prepared` once their flags are parsed: gets the
/// images into the store, prepares the pod, and hands over to stage1. The command line
/// only parses, calls this and prints.
///
/// The place for work between a prepared pod and its apps starting (a network
/// namespace made by stage0 and joined by stage1, say) is `launch`, before
/// `Stage1Launcher.ready` writes the plan.
public struct PodRunner {
    /// One image of the pod: how it was named, its signature, and its app's settings
    /// (`app.imageKey` is filled in when the image is in the store).
    public struct Image: Sendable {
        public var reference: String
        public var signature: String?
        public var app: AppRequest

        public init(reference: String, signature: String? = nil, app: AppRequest = AppRequest(imageKey: "")) {
            self.reference = reference
            self.signature = signature
            self.app = app
        }
    }

    /// The whole pod to prepare, as the command line gave it.
    public struct Request: Sendable {
        public var images: [Image] = []
        /// `--pod-manifest`: the apps and volumes come from this file instead.
        public var podManifest: String?
        public var volumes: [Volume] = []
        public var mounts: [Mount] = []
        public var environment = EnvironmentOverrides()
        public var allCapabilities = false
        /// `--stage1-path` (else `$RKT_STAGE1`, else beside this program, else on PATH).
        public var stage1Path = ""
        /// `--uuid-file-save`.
        public var uuidFile = ""
        /// `--debug-image`: what `rkt run` takes; its files go below every app's own.
        public var debugImage: String?
        /// `--port`.
        public var ports: [ExposedPort] = []
        public var fetch: FetchOptions

        public init(fetch: FetchOptions) { self.fetch = fetch }
    }

    public let pods: PodStore
    public let debug: Bool
    /// Receives stderr lines (fetch diagnostics, stage0's debug lines, warnings).
    let log: (String) -> Void

    public init(dataDirectory: String, debug: Bool, log: @escaping (String) -> Void) {
        pods = PodStore(dataDirectory: dataDirectory)
        self.debug = debug
        self.log = log
    }

    /// Fetches what is missing and prepares the pod; it is left in `prepare/`, locked.
    public func prepare(_ request: Request) throws(PodError) -> (Pod, PodLock) {
        let (store, fetcher, trees) = try imageSources(request.fetch)
        var pod = PodRequest(stage1Binary: try Self.stage1Binary(request.stage1Path))
        for image in request.images {
            let record = try Self.record(image.reference, signature: image.signature, store: store, fetcher: fetcher)
            var app = image.app
            app.imageKey = record.key
            pod.apps.append(app)
        }
        if let reference = request.debugImage {
            pod.debugImageKey = try Self.record(reference, signature: nil, store: store, fetcher: fetcher).key
        }
        pod.volumes = request.volumes
        pod.mounts = request.mounts
        pod.ports = request.ports
        if let path = request.podManifest { try apply(podManifest: path, to: &pod, store: store) }
        pod.environment = request.environment
        pod.allCapabilities = request.allCapabilities
        let debugLine: (String) -> Void = debug ? { log("stage0: " + $0) } : { _ in }
        let (prepared, lock) = try PodPreparer(pods: pods, store: store, trees: trees, debug: debugLine).prepare(pod)
        if !request.uuidFile.isEmpty {
            do throws(SystemError) {
                try Files.writeFile(request.uuidFile, Array(prepared.uuid.utf8))
            } catch {
                throw .invalid("cannot write the UUID to \(request.uuidFile): \(errnoText(error.code))")
            }
        }
        return (prepared, lock)
    }

    /// The store, a fetcher with `options` (diagnostics to the log), and the tree store
    /// that fetches missing dependencies with it.
    private func imageSources(_ options: FetchOptions) throws(PodError) -> (ImageStore, Fetcher, TreeStore) {
        let store: ImageStore
        do {
            store = try ImageStore(directory: pods.dataDirectory)
        } catch {
            throw .store(error)
        }
        let log = self.log
        let fetcher = Fetcher(store: store, options: options, log: { log($0) }, stdout: { _ in })
        let trees = TreeStore(store: store, dependencyFetcher: { dependency in _ = try fetcher.fetchDependency(dependency) })
        return (store, fetcher, trees)
    }

    /// The stored image `reference` names, as `rkt run` takes it: an image ID (prefix), or
    /// what the fetcher takes (a file, a URL, a name), fetched per the pull policy.
    static func record(_ reference: String, signature: String?, store: ImageStore, fetcher: Fetcher) throws(PodError) -> ImageRecord {
        do {
            return reference.hasPrefix(ImageID.algorithmPrefix)
                ? try store.record(idPrefix: reference)
                : try fetcher.fetch(reference, signature: signature)
        } catch let error as FetchError {
            throw .fetch(error)
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .invalid("\(error)")
        }
    }

    /// A tools image (`rkt debug --image`): in the store (fetched as `rkt run` would),
    /// checked for this machine, and rendered with its dependencies.
    public func renderedImage(_ reference: String, fetch options: FetchOptions) throws(PodError) -> (ImageManifest, RenderedTree) {
        let (store, fetcher, trees) = try imageSources(options)
        let record = try Self.record(reference, signature: nil, store: store, fetcher: fetcher)
        let manifest: ImageManifest
        do throws(StoreError) {
            manifest = try store.manifest(record.key)
        } catch {
            throw .store(error)
        }
        try PodPreparer.checkPlatform(manifest)
        do throws(RenderError) {
            return (manifest, try trees.render(key: record.key))
        } catch {
            throw .render(error)
        }
    }

    /// `--pod-manifest`: its apps (by image ID, as rkt requires) and volumes replace the request's.
    private func apply(podManifest path: String, to pod: inout PodRequest, store: ImageStore) throws(PodError) {
        let manifest: PodManifest
        do {
            manifest = try PodManifest.decode(try FileSystem.readFile(path, limit: ImageValidator.manifestLimit))
        } catch let error as ImageKitError {
            throw .invalid("\(error)")
        } catch let error as ManifestError {
            throw .manifest(error)
        } catch {
            throw .invalid("\(error)")
        }
        var apps: [AppRequest] = []
        for runtimeApp in manifest.apps ?? [] {
            let record: ImageRecord
            do {
                record = try store.record(idPrefix: runtimeApp.image.id.description)
            } catch {
                throw .store(error)
            }
            var app = AppRequest(imageKey: record.key)
            app.name = runtimeApp.name.value
            app.app = runtimeApp.app
            app.mounts = runtimeApp.mounts
            app.readOnlyRootfs = runtimeApp.readOnlyRootFS
            apps.append(app)
        }
        guard !apps.isEmpty else { throw .invalid("pod must contain at least one application") }
        pod.apps = apps
        pod.volumes = manifest.volumes ?? []
    }

    /// The lock of a prepared pod, taken for running it (`run-prepared`).
    public func takePrepared(_ pod: Pod) throws(PodError) -> PodLock {
        guard pod.folder == .prepared else { throw .notPrepared(pod.uuid) }
        guard let lock = try PodLock.takeExclusive(pod.path) else { throw .notPrepared(pod.uuid) }
        return lock
    }

    /// Moves the prepared pod to `prepared/` (`rkt prepare`'s last step).
    public func markPrepared(_ pod: Pod) throws(PodError) -> Pod {
        try pods.move(pod, to: .prepared, state: .prepared)
    }

    /// Hands over to stage1: never returns on success; the error otherwise.
    public func launch(_ pod: Pod, lock: PodLock, options: RuntimeOptions, commandName: String) -> PodError {
        if !Self.hostHasGroup("rkt") {
            log("\(commandName): group \"rkt\" not found, will use default gid when rendering images")
        }
        let launcher = Stage1Launcher(pods: pods)
        var current = pod
        do throws(PodError) {
            let network = try setUpNetwork(pod, options: options)
            current = try launcher.ready(pod, options: options, network: network)
            if debug { log("stage0: Execing stage1 for pod \(current.uuid)") }
            let error = launcher.exec(current, lock: lock, debug: debug)
            PodNetwork.teardown(pod: current.path, force: true, log: log)
            return error
        } catch {
            PodNetwork.teardown(pod: (try? pods.resolve(current.uuid))?.path ?? current.path, force: true, log: log)
            return error
        }
    }

    /// The pod's own network (nil with `--net=host`): its namespace made and every network
    /// set up through the plugins, before stage1 starts.
    func setUpNetwork(_ pod: Pod, options: RuntimeOptions) throws(PodError) -> PodNetwork.Joined? {
        guard options.networks.isContained else {
            guard (pod.manifest()?.ports ?? []).isEmpty else {
                throw .invalid("--port needs a network of its own: it cannot be used with --net=host")
            }
            return nil
        }
        var settings = PodNetwork.Settings(list: options.networks, localConfig: options.localConfig)
        settings.timeout = options.pluginTimeout
        let pods = self.pods
        settings.ports = try PodPorts.forwarded(pod) { pods.pods(in: [.run]).filter { $0.state == .running } }
        let log = self.log
        let debug = self.debug
        do throws(NetworkError) {
            let joined = try PodNetwork(pod: pod.path, uuid: pod.uuid, log: log, debug: debug).setup(settings)
            if debug {
                for info in joined.infos { log("networking: \(info.netName): \(info.ifName) \(info.ip ?? "-") via \(info.pluginPath)") }
            }
            return joined
        } catch {
            throw .network(error)
        }
    }

    /// What rkt-stage1 says of itself (`Sources/rkt-stage1/main.c`): the plan version it reads.
    static let stage1Marker = Array("rkt-stage1: reads stage1/plan version ".utf8)

    /// Refuses, before any pod is made, a `--stage1-path` that is not an rkt-stage1 reading
    /// this rkt's plans: an ACI (rkt's stage1 images need systemd-nspawn), a stale
    /// rkt-stage1, or any other file.
    static func checkStage1(_ path: String) throws(PodError) {
        let bytes: [UInt8]
        do {
            bytes = try Files.readFile(path, limit: 256 << 20)
        } catch {
            throw .invalid("stage1 \(goQuote(path)): \(error)")
        }
        if let start = bytes.firstRange(of: stage1Marker)?.upperBound {
            let version = String(decoding: bytes[start...].prefix { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self)
            guard version == Stage1Plan.version else {
                throw .invalid(
                    "stage1 \(goQuote(path)) is an rkt-stage1 for plan version \(version), and this rkt writes version \(Stage1Plan.version): use the rkt-stage1 built with this rkt"
                )
            }
            guard access(path, X_OK) == 0 else { throw .invalid("stage1 executable \(goQuote(path)): \(errnoText(errno))") }
            return
        }
        if let summary = try? ImageSummary.read(path: path) {
            throw .invalid(
                "stage1 \(goQuote(path)) is an ACI (\(summary.manifest.name.value)): this rkt runs only its own stage1, the rkt-stage1 executable built with it; rkt's stage1 images (coreos, fly, kvm) need systemd-nspawn or a hypervisor and cannot run here"
            )
        }
        throw .invalid("stage1 \(goQuote(path)) is not an rkt-stage1 executable (the stage1 this rkt runs is the rkt-stage1 built with it)")
    }

    /// Whether /etc/group has `name`, read directly: getgrnam would load NSS modules, a
    /// few ms on every run.
    static func hostHasGroup(_ name: String) -> Bool {
        guard let bytes = try? Files.readFile("/etc/group", limit: 16 << 20) else { return false }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains { $0.hasPrefix(name + ":") }
    }

    /// The stage1 executable: `given` (`--stage1-path`), else `$RKT_STAGE1`, else
    /// `rkt-stage1` beside this program, else in `../lib/rkt` from it (where `make install`
    /// and the Debian package put it: /usr/bin/rkt, /usr/lib/rkt/rkt-stage1), else on PATH.
    public static func stage1Binary(_ given: String) throws(PodError) -> String {
        let chosen = given.isEmpty ? (getenv("RKT_STAGE1").map { String(cString: $0) } ?? "") : given
        if !chosen.isEmpty {
            try checkStage1(chosen)
            return chosen
        }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = n > 0 ? String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        let own = Files.directory(of: exe)
        for directory in [own, Files.directory(of: own) + "/lib/rkt"] + path.split(separator: ":").map(String.init)
        where access(directory + "/rkt-stage1", X_OK) == 0 {
            return directory + "/rkt-stage1"
        }
        throw .invalid(
            "stage1 executable rkt-stage1 not found beside \(exe), in \(Files.directory(of: own))/lib/rkt or on PATH (build it with `swift build -c release --product rkt-stage1`, or pass --stage1-path)"
        )
    }
}

extension EnvironmentOverrides {
    /// `NAME=VALUE` as `--set-env` and an image's `--environment` give it.
    public static func assignment(_ text: String) throws(PodError) -> (String, String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw .invalid("environment variable must be specified as name=value (given \(goQuote(text)))")
        }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    /// `--set-env-file`: `NAME=VALUE` lines, as rkt reads them: empty lines and lines
    /// starting with `#` or `;` skipped, anything else must have a name; a name set twice
    /// (in this file or an earlier one: `seen`) is refused.
    public static func assignments(inFile path: String, seen: inout Set<String>) throws(PodError) -> [(String, String)] {
        let bytes: [UInt8]
        do {
            bytes = try Files.readFile(path, limit: 16 << 20)
        } catch {
            throw .invalid("open \(path): \(errnoText(error.code))")
        }
        var result: [(String, String)] = []
        for raw in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let eq = line.firstIndex(of: "="), eq != line.startIndex else {
                throw .invalid("environment variable must be specified as name=value (file \(goQuote(path)))")
            }
            let name = String(line[..<eq])
            guard seen.insert(name).inserted else {
                throw .invalid("environment variable \(goQuote(name)) already set (file \(goQuote(path)))")
            }
            result.append((name, String(line[line.index(after: eq)...])))
        }
        return result
    }
}
