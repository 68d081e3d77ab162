import AppcSchema
import FoundationEssentials
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

/// A pod's state: which directory under `pods/` holds it, and whether its lock is held
/// (rkt-runtime.md §2).
public enum PodState: String, Sendable, CaseIterable {
    case embryo
    case preparing
    case abortedPrepare = "aborted prepare"
    case prepared
    case running
    case exited
    case exitedGarbage = "exited garbage"
    case exitedDeleting = "exited deleting"
    case garbage
    case deleting

    /// The states whose pod has (or had) a stage1 process: `status` prints `pid=` and `exited=`.
    public var hasRun: Bool { [.running, .exited, .exitedGarbage, .exitedDeleting, .deleting].contains(self) }
}

/// The folders under `pods/`, in rkt's order.
public enum PodFolder: String, Sendable, CaseIterable {
    case embryo, prepare, prepared, run
    case exitedGarbage = "exited-garbage"
    case garbage

    func state(locked: Bool) -> PodState {
        switch self {
        case .embryo: return .embryo
        case .prepare: return locked ? .preparing : .abortedPrepare
        case .prepared: return .prepared
        case .run: return locked ? .running : .exited
        case .exitedGarbage: return locked ? .exitedDeleting : .exitedGarbage
        case .garbage: return locked ? .deleting : .garbage
        }
    }
}

/// Places in a pod directory, relative to it: how the stage1 plan names them (stage1
/// runs in the pod directory, wherever the pod is then).
public enum PodPath {
    /// The stage1 root file system.
    public static let stage1Rootfs = "stage1/rootfs"
    /// App `name`'s root file system (mounted only inside the pod).
    public static func appRootfs(_ name: String) -> String { stage1Rootfs + "/opt/stage2/" + name + "/rootfs" }
    /// The upper and work directories of app `name`'s overlay.
    public static func overlay(_ name: String) -> (upper: String, work: String) {
        ("overlay/" + name + "/upper", "overlay/" + name + "/work")
    }
    /// An empty volume's directory.
    public static func volume(_ name: String) -> String { "volumes/" + name }
    /// The list of the pod's cgroup directories (host paths), for rm and gc.
    public static let cgroups = "cgroups"
    /// A file of the pod's /etc in stage1 (resolv.conf, hosts, hostname as rkt names them).
    public static func stage1Etc(_ name: String) -> String { stage1Rootfs + "/etc/" + name }
}

/// One pod on disk: its UUID, where it is now, and its state when it was looked at.
public struct Pod: Sendable {
    public let uuid: String
    public let folder: PodFolder
    public let state: PodState
    /// `DATADIR/pods/FOLDER/UUID`.
    public let path: String

    /// The stage1 root file system on the host.
    public var stage1Rootfs: String { path + "/" + PodPath.stage1Rootfs }
    /// The host path of app `name`'s root file system (mounted only inside the pod).
    public func appRootfs(_ name: String) -> String { path + "/" + PodPath.appRootfs(name) }
    /// The app's root as the pod's init sees it.
    public static func appRootInPod(_ name: String) -> String { "/opt/stage2/" + name + "/rootfs" }

    /// The pod manifest (`pod`), or nil for a pod that never got one (aborted prepare).
    public func manifest() -> PodManifest? {
        guard let bytes = try? FileSystem.readFile(path + "/pod", limit: ImageValidator.manifestLimit) else { return nil }
        return try? PodManifest.decode(bytes)
    }

    /// The raw bytes of the pod manifest.
    public func manifestBytes() throws(PodError) -> [UInt8] {
        do throws(ImageKitError) {
            return try FileSystem.readFile(path + "/pod", limit: ImageValidator.manifestLimit)
        } catch {
            throw .invalid("cannot read pod manifest: \(error)")
        }
    }

    /// The image manifest stage0 copied for app `name` (survives `rkt image rm`).
    public func imageManifest(app name: String) -> ImageManifest? {
        guard let bytes = try? FileSystem.readFile(path + "/appsinfo/" + name + "/manifest", limit: ImageValidator.manifestLimit) else { return nil }
        return try? ImageManifest.decode(bytes)
    }

    /// The tree store ID app `name` runs from.
    public func treeStoreID(app name: String) -> String? {
        (try? FileSystem.readFile(path + "/appsinfo/" + name + "/treeStoreID", limit: 4096))
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Where stage0 notes the `--debug-image` tree of an app (in `appsinfo/NAME/`).
    static let debugTreeFile = "debugTreeStoreID"

    /// The tree store IDs app `name` runs from, top layer first: its image's, then a
    /// `--debug-image`'s.
    public func treeStoreIDs(app name: String) -> [String] {
        let debugTree = (try? FileSystem.readFile(path + "/appsinfo/" + name + "/" + Self.debugTreeFile, limit: 4096))
            .map { String(decoding: $0, as: UTF8.self) }
        return [treeStoreID(app: name), debugTree].compactMap { $0 }
    }

    /// Creation time (mtime of `pod-created`), nanoseconds since the epoch; 0 if unknown.
    public var createdAt: Int64 { Pod.mtime(path + "/pod-created") }

    /// Start time (mtime of `ppid`, written just before stage1 starts); 0 if never started.
    public var startedAt: Int64 { Pod.mtime(path + "/ppid") }

    /// The stage1 supervisor's host pid (what `rkt status` prints), if written.
    public var supervisorPID: Int32? {
        guard let bytes = try? FileSystem.readFile(path + "/ppid", limit: 64) else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \t\r\n"))
    }

    /// The pod init's host pid: the supervisor's only child.
    public var initPID: Int32? {
        guard let parent = supervisorPID,
            let bytes = try? FileSystem.readFile("/proc/\(parent)/task/\(parent)/children", limit: 4096)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: " ").first.flatMap { Int32($0) }
    }

    /// The exit code stage1 recorded for app `name`, if it has ended.
    public func exitCode(app name: String) -> Int? {
        guard let bytes = try? FileSystem.readFile(stage1Rootfs + "/rkt/status/" + name, limit: 64) else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \t\r\n"))
    }

    /// When app `name` ended (mtime of its status file), nanoseconds; nil while it runs.
    public func finishedAt(app name: String) -> Int64? {
        let time = Pod.mtime(stage1Rootfs + "/rkt/status/" + name)
        return time == 0 ? nil : time
    }

    /// Whether stage1 said the apps were started (`rkt/supervisor-status` -> `ready`).
    public var isReady: Bool {
        var buffer = [CChar](repeating: 0, count: 16)
        let n = readlink(stage1Rootfs + "/rkt/supervisor-status", &buffer, buffer.count)
        return n == 5 && String(decoding: buffer.prefix(5).map { UInt8(bitPattern: $0) }, as: UTF8.self) == "ready"
    }

    /// The app names in the pod manifest's order.
    public func appNames() -> [String] {
        manifest()?.apps?.map(\.name.value) ?? []
    }

    static func mtime(_ path: String) -> Int64 {
        (try? FileIdentity(path: path))?.modified ?? 0
    }

    /// ctime of the pod directory: for `exited-garbage`, when it was marked.
    var changedAt: Int64 {
        (try? FileIdentity(path: path))?.changed ?? 0
    }
}

/// The lock on a pod directory: an `flock` on the directory itself. The pod is alive
/// exactly as long as some process holds it; stage1 inherits it (`RKT_LOCK_FD`).
public final class PodLock {
    private let lock: FileLock

    private init(_ lock: FileLock) { self.lock = lock }

    /// Takes `path`'s lock, exclusively or shared, without waiting: nil when busy.
    static func take(_ path: String, exclusive: Bool, wait: Bool = false) throws(PodError) -> PodLock? {
        let lock = try PodError.wrapping { () throws(SystemError) in
            try FileLock.acquire(directory: path, exclusive: exclusive, wait: wait)
        }
        return lock.map(PodLock.init)
    }

    /// The exclusive lock on pod directory `path`, or nil when another process holds it.
    public static func takeExclusive(_ path: String) throws(PodError) -> PodLock? {
        try take(path, exclusive: true)
    }

    /// Keeps the descriptor open across exec (for stage1) and returns it.
    public func inheritable() -> Int32 { lock.inheritable() }
}

/// rkt's pods directory: `DATADIR/pods/{embryo,prepare,prepared,run,exited-garbage,garbage}/UUID`.
public struct PodStore: Sendable {
    public let dataDirectory: String
    public var podsDirectory: String { dataDirectory + "/pods" }

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    public func folderPath(_ folder: PodFolder) -> String { podsDirectory + "/" + folder.rawValue }

    /// The root directories of the rendered trees app `name` of `pod` runs from, top first
    /// (its image's, then a `--debug-image`'s); each must still be in the tree store.
    /// `hint` ends the message of a tree that is gone.
    public func appTrees(of pod: Pod, app name: String, hint: String = "") throws(PodError) -> [String] {
        let ids = pod.treeStoreIDs(app: name)
        guard !ids.isEmpty else { throw .invalid("pod \(goQuote(pod.uuid)): no tree for app \(name)") }
        return try ids.map { (id) throws(PodError) in
            let rootfs = dataDirectory + "/cas/tree/" + id + "/rootfs"
            guard access(rootfs, F_OK) == 0 else {
                throw .invalid("the rendered image of app \(goQuote(name)) is gone (\(id))\(hint)")
            }
            return rootfs
        }
    }

    /// Makes the pods folders (0750, as rkt).
    func makeFolders() throws(PodError) {
        for path in [dataDirectory, podsDirectory] + PodFolder.allCases.map(folderPath) {
            if mkdir(path, 0o750) != 0 && errno != EEXIST { throw .system(SystemError("mkdir", path)) }
        }
    }

    /// A new pod in `embryo/`, locked, moved at once to `prepare/` (rkt's NewPod).
    public func create(uuid: String = PodStore.newUUID()) throws(PodError) -> (Pod, PodLock) {
        try makeFolders()
        let embryo = folderPath(.embryo) + "/" + uuid
        guard mkdir(embryo, 0o750) == 0 else { throw .system(SystemError("mkdir", embryo)) }
        guard let lock = try PodLock.take(embryo, exclusive: true) else {
            throw .invalid("pod \(goQuote(uuid)) is locked")
        }
        let pod = Pod(uuid: uuid, folder: .embryo, state: .embryo, path: embryo)
        return (try move(pod, to: .prepare, state: .preparing), lock)
    }

    /// Renames the pod into `folder` (the lock, on the directory, moves with it).
    public func move(_ pod: Pod, to folder: PodFolder, state: PodState) throws(PodError) -> Pod {
        let target = folderPath(folder) + "/" + pod.uuid
        guard rename(pod.path, target) == 0 else { throw .system(SystemError("rename", pod.path)) }
        return Pod(uuid: pod.uuid, folder: folder, state: state, path: target)
    }

    /// Every pod in `folders` with its current state, sorted by UUID.
    public func pods(in folders: [PodFolder] = [.prepare, .prepared, .run, .exitedGarbage]) -> [Pod] {
        (try? listPods(in: folders, creatingFolders: false)) ?? []
    }

    /// The pods in `folders`, as rkt's `WalkPods` finds them: the pods folders are made
    /// first (as root; an unprivileged user gets rkt's `mkdir` error), and a folder that
    /// cannot be read is an error rather than an empty list (`open DIR: permission denied`).
    public func listPods(
        in folders: [PodFolder] = [.prepare, .prepared, .run, .exitedGarbage], creatingFolders: Bool = true
    ) throws(PodError) -> [Pod] {
        if creatingFolders { try makeFolders() }
        var pods: [Pod] = []
        for folder in folders {
            let names: [String]
            do {
                names = try Self.names(in: folderPath(folder))
            } catch {
                throw .system(error)
            }
            for uuid in names {
                if let pod = load(uuid, folder: folder) { pods.append(pod) }
            }
        }
        return pods.sorted { $0.uuid < $1.uuid }
    }

    /// The pod `uuid` in `folder` with its state, or nil if it is not there (any more).
    public func load(_ uuid: String, folder: PodFolder) -> Pod? {
        let path = folderPath(folder) + "/" + uuid
        guard access(path, F_OK) == 0 else { return nil }
        var locked = false
        if folder != .embryo && folder != .prepared {
            switch Result(catching: { () throws(PodError) in try PodLock.take(path, exclusive: false) }) {
            case .success(let lock): locked = lock == nil
            case .failure: return nil
            }
        }
        return Pod(uuid: uuid, folder: folder, state: folder.state(locked: locked), path: path)
    }

    /// The pod whose UUID starts with `prefix` (case-insensitive), searched where rkt
    /// searches: prepare, prepared, run, exited-garbage.
    public func resolve(_ prefix: String) throws(PodError) -> Pod {
        guard !prefix.isEmpty else { throw .emptyUUID }
        let wanted = prefix.lowercased()
        var matches: [(String, PodFolder)] = []
        for folder in [PodFolder.prepare, .prepared, .run, .exitedGarbage] {
            for uuid in (try? Self.names(in: folderPath(folder))) ?? [] where uuid.hasPrefix(wanted) {
                if uuid == wanted, let pod = load(uuid, folder: folder) { return pod }
                matches.append((uuid, folder))
            }
        }
        guard !matches.isEmpty else { throw .noMatch(prefix) }
        guard matches.count == 1 else { throw .ambiguous(matches.count) }
        guard let pod = load(matches[0].0, folder: matches[0].1) else { throw .noMatch(prefix) }
        return pod
    }

    /// The pod named in `file` (as written by `--uuid-file-save`).
    public func resolve(uuidFile file: String) throws(PodError) -> Pod {
        let text: String
        do throws(ImageKitError) {
            text = String(decoding: try FileSystem.readFile(file, limit: 4096), as: UTF8.self)
        } catch {
            throw .unreadableUUIDFile(error)
        }
        return try resolve(text.trimmingCharacters(in: " \t\r\n"))
    }

    /// The pods' names in a folder (hidden names skipped); none if it does not exist.
    static func names(in directory: String) throws(SystemError) -> [String] {
        do {
            return try Files.sortedNames(directory).filter { !$0.hasPrefix(".") }
        } catch  where error.code == ENOENT {
            return []
        }
    }

    /// A random (version 4) UUID in rkt's lower-case form.
    public static func newUUID() -> String { UUID().uuidString.lowercased() }
}
