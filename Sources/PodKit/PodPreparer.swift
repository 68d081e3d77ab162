import AppcSchema
import FoundationEssentials
import Glibc
import GoCompat
import ImageKit
import ImageRender
import ImageStore
import LinuxSystem
import Seccomp

/// One app of a pod to prepare: the stored image and the command line's per-app flags.
public struct AppRequest: Sendable {
    public var imageKey: String
    public var name: String?
    /// `--exec` (replaces the image's exec[0]... with this single path).
    public var exec: String?
    /// Arguments after `--` (replace the image's arguments).
    public var args: [String]?
    public var user: String?
    public var group: String?
    public var supplementaryGIDs: [Int]?
    public var workingDirectory: String?
    public var environment: [(String, String)] = []
    public var mounts: [Mount] = []
    public var capsRetain: [String]?
    public var capsRemove: [String]?
    public var readOnlyRootfs: Bool = false
    /// `--oom-score-adj` (overrides the image's isolator).
    public var oomScoreAdj: Int?
    /// `--memory` and `--cpu`: a `resource/*` limit (and request) added after the image's.
    public var memory: ResourceQuantity?
    public var cpu: ResourceQuantity?
    /// `--cpu-shares` (replaces the image's isolator).
    public var cpuShares: Int?
    /// `--seccomp=mode=remove|retain[,errno=NAME],CALL...` (replaces the image's sets).
    public var seccomp: SeccompOverride?
    /// `--annotation`: the runtime app's annotations (an image's own are kept).
    public var annotations: [String: String] = [:]
    /// `--user-annotation` and `--user-label`: replace the app's.
    public var userAnnotations: [String: String]?
    public var userLabels: [String: String]?
    /// A pod manifest's `app`: replaces the image's app as a whole.
    public var app: App?

    public init(imageKey: String) { self.imageKey = imageKey }
}

/// rkt's `--seccomp` flag: `mode=remove|retain`, an optional `errno=NAME`, and the calls
/// or groups of the set, comma-separated in any order.
public struct SeccompOverride: Sendable, Equatable {
    public var mode: SeccompFilter.Mode
    public var errno: String
    public var set: [String]

    /// Parses the flag's value with rkt's rules (`common/apps.SeccompOverride`).
    public static func parse(rktFlag text: String) throws(PodError) -> SeccompOverride {
        var mode: SeccompFilter.Mode?
        var errno = ""
        var set: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            if parts.count == 2 {
                switch parts[0] {
                case "mode":
                    guard let value = SeccompFilter.Mode(rawValue: String(parts[1])) else {
                        throw .invalid("--seccomp: invalid seccomp mode \(goQuote(String(parts[1]))) (mode=remove or mode=retain)")
                    }
                    mode = value
                case "errno": errno = String(parts[1])
                default: throw .invalid("--seccomp: invalid seccomp override \(goQuote(item)) (mode=..., errno=... or a syscall)")
                }
            } else {
                set.append(item)
            }
        }
        guard let mode else { throw .invalid("--seccomp: invalid seccomp mode: missing mode=remove or mode=retain") }
        guard !set.isEmpty, !set.contains("") else { throw .invalid("--seccomp: the set of syscalls is empty") }
        return SeccompOverride(mode: mode, errno: errno, set: set)
    }
}

/// The whole pod to prepare.
public struct PodRequest: Sendable {
    public var apps: [AppRequest] = []
    public var volumes: [Volume] = []
    /// `--mount` given before the first image: for every app.
    public var mounts: [Mount] = []
    public var environment = EnvironmentOverrides()
    /// `--insecure-options=capabilities`: apps keep every capability.
    public var allCapabilities = false
    public var uuid: String?
    public var stage1Binary: String
    /// `--debug-image`: a stored image rendered below every app's own files.
    public var debugImageKey: String?
    /// `--port`: host ports for ports the apps declare (the pod manifest's `ports`).
    public var ports: [ExposedPort] = []

    public init(stage1Binary: String) { self.stage1Binary = stage1Binary }
}

/// stage0's prepare: a pod directory with everything stage1 needs (rkt-runtime.md §5.1).
public struct PodPreparer {
    let pods: PodStore
    let store: ImageStore
    let trees: TreeStore
    let debug: (String) -> Void

    public init(pods: PodStore, store: ImageStore, trees: TreeStore, debug: @escaping (String) -> Void = { _ in }) {
        self.pods = pods
        self.store = store
        self.trees = trees
        self.debug = debug
    }

    /// Creates and fills the pod. It stays in `prepare/` holding `lock`; on failure it is
    /// left there unlocked, an aborted prepare, for `gc`, as rkt leaves it.
    public func prepare(_ request: PodRequest) throws(PodError) -> (Pod, PodLock) {
        for volume in request.volumes where volume.source.utf8.contains(0) {
            throw .nulByte(app: nil, field: "volume \(goQuote(volume.name.value)) source")
        }
        if let error = Volume.duplicateError(request.volumes) { throw .invalid("error setting up stage0: \(error)") }
        let (pod, lock) = try pods.create(uuid: request.uuid ?? PodStore.newUUID())
        var runtimeApps: [RuntimeApp] = []
        var names: Set<String> = []
        var volumes = request.volumes
        let debugTree = try request.debugImageKey.map { (key) throws(PodError) in try debugImageTree(key) }
        for app in request.apps {
            let (runtimeApp, runtime, tree) = try prepareApp(app, request: request, pod: pod)
            guard names.insert(runtime.name).inserted else {
                throw .invalid("error setting up stage0: error: multiple apps with name \(runtime.name)")
            }
            runtimeApps.append(runtimeApp)
            try writeAppFiles(pod: pod, runtime: runtime, tree: tree, debugTree: debugTree)
            for mount in runtime.mounts where !volumes.contains(where: { $0.name.value == mount.volume }) {
                volumes.append(try implicitVolume(mount, pod: pod, tree: tree))
            }
        }
        debug("Writing pod manifest")
        var manifest = PodManifest(
            apps: runtimeApps, volumes: volumes.isEmpty ? nil : volumes,
            isolators: nil, annotations: [], ports: request.ports)
        do throws(ManifestError) {
            manifest.acVersion = try SemVer(RktRelease.version)
            manifest.annotations = [Annotation(name: try ACIdentifier("coreos.com/rkt/stage1/mutable"), value: "false")]
        } catch {
            throw .manifest(error)
        }
        let encoded: [UInt8]
        do {
            encoded = try manifest.encoded()
        } catch {
            throw .invalid("cannot encode the pod manifest: \(error)")
        }
        try makeStage1(pod: pod, apps: runtimeApps.map(\.name.value), binary: request.stage1Binary)
        try PodFiles.write(Data(encoded), to: pod.path + "/pod")
        // Written last: a prepare that failed has no creation time (list: "a long while ago").
        try PodFiles.write(Data(), to: pod.path + "/pod-created")
        return (pod, lock)
    }

    /// A mount point no volume serves gets an empty volume of its name, filled with what the
    /// image has at that path (rkt's Docker volume semantics).
    private func implicitVolume(_ mount: AppMount, pod: Pod, tree: RenderedTree) throws(PodError) -> Volume {
        let path = pod.path + "/volumes/" + mount.volume
        try PodFiles.makeDirectories(path)
        // The image's directory is found inside its tree and copied entry by entry: its
        // links are copied as links, fifos and devices made anew, never opened.
        let image = try RootDirectory.image(tree.rootfs)
        if image.isDirectory(mount.path) {
            do {
                let handle = try image.open(mount.path)
                defer { close(handle) }
                try TreeCopy.copyDirectory(handle, to: path)
            } catch {
                throw .invalid("cannot fill the volume of mount point \(goQuote(mount.volume)): \(error)")
            }
        }
        do throws(ManifestError) {
            return try Volume(name: try ACName(mount.volume), kind: "empty", mode: "0755", uid: 0, gid: 0)
        } catch {
            throw .invalid("volume \(goQuote(mount.volume)): \(error)")
        }
    }

    /// One app: checks, name, overrides, rendered tree, runtime settings.
    private func prepareApp(_ request: AppRequest, request pod: PodRequest, pod podDir: Pod)
        throws(PodError) -> (RuntimeApp, AppRuntime, RenderedTree)
    {
        let manifest: ImageManifest
        do throws(StoreError) {
            manifest = try store.manifest(request.imageKey)
        } catch {
            throw .store(error)
        }
        try Self.checkPlatform(manifest)
        // rkt's ImageNameToAppName: the image name's last component, sanitized
        // (`app-sha256_ab…` → `app-sha256-ab…`); a name given with --name is taken as is.
        let nameText = request.name ?? String(manifest.name.value.split(separator: "/").last ?? "app")
        let name: ACName
        do throws(ManifestError) {
            if request.name == nil, let sanitized = ACName.sanitized(nameText) {
                name = sanitized
            } else {
                name = try ACName(nameText)
            }
        } catch {
            throw .invalid("invalid app name \(goQuote(nameText)): \(error)")
        }
        var app = request.app ?? manifest.app ?? App(user: "0", group: "0")
        if let exec = request.exec {
            app.exec = [exec] + (request.args ?? [])
        } else if let args = request.args, var exec = app.exec, !exec.isEmpty {
            exec.removeSubrange(1...)
            app.exec = exec + args
        }
        if let user = request.user { app.user = user }
        if let group = request.group { app.group = group }
        if let gids = request.supplementaryGIDs { app.supplementaryGIDs = gids }
        if let cwd = request.workingDirectory { app.workingDirectory = cwd }
        if request.app == nil { try Self.applyOverrides(to: &app, request, pod: pod) }
        for (key, value) in request.environment {
            if let index = app.environment.firstIndex(where: { $0.name == key }) {
                app.environment[index].value = value
            } else {
                do throws(ManifestError) {
                    app.environment.append(try EnvironmentVariable(name: key, value: value))
                } catch {
                    throw .invalid("--environment \(key)=\(value): \(error)")
                }
            }
        }
        debug("Loading image \(request.imageKey)")
        let tree: RenderedTree
        do throws(RenderError) {
            tree = try trees.render(key: request.imageKey)
        } catch {
            throw .render(error)
        }
        let mounts = pod.mounts + request.mounts
        var runtime = try AppRuntimeBuilder(rootfs: tree.rootfs).build(
            name: name.value, app: app, mounts: mounts, environment: pod.environment,
            allCapabilities: pod.allCapabilities)
        runtime.readOnlyRootfs = request.readOnlyRootfs
        let image = RuntimeImage(name: manifest.name, id: try imageHash(request.imageKey), labels: manifest.labels)
        var annotations: [Annotation] = []
        for (key, value) in request.annotations.sorted(by: { $0.key < $1.key }) {
            do throws(ManifestError) {
                annotations.append(try Annotation(name: key, value: value))
            } catch {
                throw .invalid("error parsing annotation key \(goQuote(key)): \(error)")
            }
        }
        let runtimeApp = RuntimeApp(
            name: name, image: image, app: app, readOnlyRootFS: request.readOnlyRootfs,
            mounts: request.mounts, annotations: annotations)
        return (runtimeApp, runtime, tree)
    }

    /// rkt's stage0 `prepareIsolators`: the command line's per-app settings become isolators
    /// of the app, so the pod manifest shows what the app runs with. `--memory` and `--cpu`
    /// are appended (the last of a kind wins); the others replace the image's of their kind.
    static func applyOverrides(to app: inout App, _ request: AppRequest, pod: PodRequest) throws(PodError) {
        func isolator(_ name: String, _ value: IsolatorValue) throws(PodError) -> Isolator {
            do throws(ManifestError) {
                return try Isolator(name: try ACIdentifier(name), value: value)
            } catch {
                throw .invalid("app \(goQuote(request.name ?? "")): \(name): \(error)")
            }
        }
        func replace(_ names: [String], with new: Isolator) {
            app.isolators.removeAll { names.contains($0.name.value) }
            app.isolators.append(new)
        }
        if let memory = request.memory {
            app.isolators.append(try isolator(IsolatorName.resourceMemory, .memory(ResourceLimits(request: memory, limit: memory))))
        }
        if let cpu = request.cpu {
            app.isolators.append(try isolator(IsolatorName.resourceCPU, .cpu(ResourceLimits(request: cpu, limit: cpu))))
        }
        if let shares = request.cpuShares { replace([IsolatorName.cpuShares], with: try isolator(IsolatorName.cpuShares, .cpuShares(shares))) }
        if let userAnnotations = request.userAnnotations { app.userAnnotations = userAnnotations }
        if let userLabels = request.userLabels { app.userLabels = userLabels }
        if let oom = request.oomScoreAdj { replace([IsolatorName.oomScoreAdj], with: try isolator(IsolatorName.oomScoreAdj, .oomScoreAdj(oom))) }
        let retain = request.capsRetain, remove = request.capsRemove
        if retain != nil, remove != nil { throw .invalid("error: cannot use both --caps-retain and --caps-remove on the same image") }
        let capsNames = [IsolatorName.capabilitiesRetainSet, IsolatorName.capabilitiesRemoveSet]
        if let retain { replace(capsNames, with: try isolator(IsolatorName.capabilitiesRetainSet, .capabilitiesRetainSet(retain))) }
        if let remove { replace(capsNames, with: try isolator(IsolatorName.capabilitiesRemoveSet, .capabilitiesRemoveSet(remove))) }
        if let seccomp = request.seccomp {
            let value = seccomp.mode.isolatorValue(SeccompSet(set: seccomp.set, errno: seccomp.errno))
            replace([IsolatorName.seccompRemoveSet, IsolatorName.seccompRetainSet], with: try isolator(seccomp.mode.isolatorName, value))
        }
    }

    /// Whether an image runs here: os and arch labels present, valid, and this machine's.
    static func checkPlatform(_ manifest: ImageManifest) throws(PodError) {
        guard let os = manifest.label("os") else { throw .invalid("missing os label in the image manifest") }
        guard let arch = manifest.label("arch") else { throw .invalid("missing arch label in the image manifest") }
        if let error = Label.validationError(manifest.labels) { throw .invalid(error) }
        guard os == "linux" else { throw .invalid("bad os \(goQuote(os))") }
        guard arch == Self.hostArch else { throw .invalid("bad arch \(goQuote(arch))") }
    }

    /// appc's arch label for this machine.
    static let hostArch: String = {
        var names = utsname()
        uname(&names)
        let machine = withUnsafeBytes(of: names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64": return "aarch64"
        case "i686", "i386": return "i386"
        case "armv7l": return "armv7l"
        case "ppc64le": return "ppc64le"
        case "s390x": return "s390x"
        default: return machine
        }
    }()

    private func imageHash(_ key: String) throws(PodError) -> ImageHash {
        do throws(ManifestError) {
            return try ImageHash(key)
        } catch {
            throw .invalid("bad image key \(goQuote(key)): \(error)")
        }
    }

    /// `--debug-image`'s tree: checked for this machine and rendered with its dependencies.
    private func debugImageTree(_ key: String) throws(PodError) -> RenderedTree {
        let manifest: ImageManifest
        do throws(StoreError) {
            manifest = try store.manifest(key)
        } catch {
            throw .store(error)
        }
        try Self.checkPlatform(manifest)
        debug("Loading debug image \(key)")
        do throws(RenderError) {
            return try trees.render(key: key)
        } catch {
            throw .render(error)
        }
    }

    private func writeAppFiles(pod: Pod, runtime: AppRuntime, tree: RenderedTree, debugTree: RenderedTree?) throws(PodError) {
        let info = pod.path + "/appsinfo/" + runtime.name
        try PodFiles.makeDirectories(info)
        debug("Writing image manifest")
        try copy(tree.path + "/manifest", to: info + "/manifest")
        try PodFiles.write(Data(tree.id.utf8), to: info + "/treeStoreID")
        // (The app's own tree already holds the files when both are the same image.)
        if let debugTree, debugTree.id != tree.id {
            try PodFiles.write(Data(debugTree.id.utf8), to: info + "/" + Pod.debugTreeFile)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let json = try? encoder.encode(runtime) else { throw .invalid("cannot encode app \(runtime.name)") }
        try PodFiles.write(json, to: info + "/runtime.json")
        try PodFiles.makeDirectories(pod.path + "/overlay/" + runtime.name + "/upper")
        try PodFiles.makeDirectories(pod.path + "/overlay/" + runtime.name + "/work")
        try PodFiles.makeDirectories(pod.stage1Rootfs + "/rkt/env")
        try PodFiles.write(Data(runtime.environmentFile.utf8), to: pod.stage1Rootfs + "/rkt/env/" + runtime.name)
        try PodFiles.makeDirectories(pod.appRootfs(runtime.name))
        try copy(tree.path + "/manifest", to: pod.stage1Rootfs + "/opt/stage2/" + runtime.name + "/manifest")
    }

    /// stage1's own root: no shell, no tools, as in rkt; `init` is the C stage1.
    private func makeStage1(pod: Pod, apps: [String], binary: String) throws(PodError) {
        let root = pod.stage1Rootfs
        for dir in ["bin", "dev", "etc", "opt/stage2", "proc", "rkt/env", "rkt/status", "sys", "tmp"] {
            try PodFiles.makeDirectories(root + "/" + dir)
        }
        chmod(root + "/tmp", 0o1777)
        try PodFiles.write(Data(Self.stage1Manifest.utf8), to: pod.path + "/stage1/manifest")
        try copy(binary, to: root + "/init", mode: 0o755)
    }

    /// The manifest of our stage1 (`POD/stage1/manifest`), shaped like rkt's stage1 images':
    /// every entry point is `/init`.
    static let stage1Manifest: String = {
        let labels = [("version", RktRelease.version), ("os", "linux"), ("arch", hostArch)]
        let entryPoints = ["run", "enter", "gc", "stop"].map { ("coreos.com/rkt/stage1/" + $0, "/init") }
        let annotations = entryPoints + [("coreos.com/rkt/stage1/interface-version", "5")]
        func list(_ pairs: [(String, String)]) -> String {
            pairs.map { #"{"name":"\#($0.0)","value":"\#($0.1)"}"# }.joined(separator: ",")
        }
        return
            #"{"acKind":"ImageManifest","acVersion":"\#(RktRelease.appcVersion)","name":"coreos.com/rkt/stage1-swift","labels":[\#(list(labels))],"annotations":[\#(list(annotations))]}"#
    }()

    // MARK: Files

    /// A hard link when on the same file system (stage1 is the same for every pod), else a copy.
    func copy(_ source: String, to target: String, mode: mode_t = 0o644) throws(PodError) {
        unlink(target)
        if link(source, target) == 0 { return }
        do throws(SystemError) {
            let input = try FileDescriptor.open(source, O_RDONLY)
            let output = try FileDescriptor.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
            try Files.copy(from: input.raw, to: output.raw, path: target)
            fchmod(output.raw, mode)  // whatever the umask
        } catch {
            throw .invalid("cannot copy \(source) to \(target): \(error)")
        }
    }
}
