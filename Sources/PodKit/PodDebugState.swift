import Glibc
import GoCompat
import LinuxSystem

/// What debugging left on record in a pod directory (`debug/`): the mounts `rkt bind`
/// made (`binds`, one destination per line), when the pod was first debugged
/// (`debugged`, its mtime), and the debug sessions (`sessions/ID/`: a `record` locked
/// while the session lives, the session's `upper` and `work` directories). Changes are
/// made under `debug/lock`.
struct PodDebugState {
    let directory: String
    var sessionsDirectory: String { directory + "/sessions" }

    init(pod: Pod) throws(PodError) {
        try self.init(directory: pod.path + "/debug")
    }

    /// A record at `directory` (made if missing): a pod's, or the data directory's for
    /// sessions on bare images.
    init(directory: String) throws(PodError) {
        self.directory = directory
        if mkdir(directory, 0o750) != 0 && errno != EEXIST { throw .system(SystemError("mkdir", directory)) }
    }

    /// The record of `pod`, if it was ever debugged or bound to (nothing is created).
    static func existing(_ pod: Pod) -> PodDebugState? {
        access(pod.path + "/debug", F_OK) == 0 ? PodDebugState(existing: pod.path + "/debug") : nil
    }

    private init(existing directory: String) { self.directory = directory }

    /// Waits for and holds the lock on the record.
    func lock() throws(PodError) -> FileLock {
        let path = directory + "/lock"
        return try PodError.wrapping { () throws(SystemError) in
            guard let lock = try FileLock.acquire(path, exclusive: true) else { throw SystemError("lock", path, code: EWOULDBLOCK) }
            return lock
        }
    }

    // MARK: binds

    /// The destinations `rkt bind` mounted, oldest first.
    func binds() -> [String] {
        guard let bytes = try? Files.readFile(directory + "/binds", limit: 1 << 20) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Replaces the list of binds (the caller holds `lock`).
    func setBinds(_ binds: [String], locked: FileLock) throws(PodError) {
        let text = binds.map { $0 + "\n" }.joined()
        try PodError.wrapping { () throws(SystemError) in try AtomicFile.write(directory + "/binds", Array(text.utf8)) }
    }

    // MARK: sessions

    /// When the pod was first debugged, nanoseconds since the epoch; nil if never.
    var debuggedAt: Int64? {
        let time = Pod.mtime(directory + "/debugged")
        return time == 0 ? nil : time
    }

    /// A new session's record and directories, its record locked for the session's life.
    func open(app: String, mode: PodDebug.Mode) throws(PodError) -> DebugSession {
        let lock = try self.lock()
        defer { _ = lock }
        if access(directory + "/debugged", F_OK) != 0 {
            try PodError.wrapping { () throws(SystemError) in try Files.writeFile(directory + "/debugged", []) }
        }
        let id = String(PodStore.newUUID().prefix(8))
        let path = sessionsDirectory + "/" + id
        return try PodError.wrapping { () throws(SystemError) in
            for directory in ["upper", "work", "target-upper", "target-work", "root"] {
                try Files.makeDirectories(path + "/" + directory, mode: 0o755)
            }
            guard let record = try FileLock.acquire(path + "/record", exclusive: true, wait: false) else {
                throw SystemError("lock", path + "/record", code: EWOULDBLOCK)
            }
            let started = WallClock.nanoseconds()
            let text = "app=\(app)\nmode=\(mode == .toolsRoot ? "tools" : "chroot")\nstarted=\(started)\n"
            try Files.writeAll(record.fd, Array(text.utf8), path: path + "/record")
            return DebugSession(id: id, path: path, record: record)
        }
    }

    /// The sessions that are open (their record is locked), oldest first.
    func openSessions() -> [DebugSession.Info] {
        sessionIDs().compactMap { id -> DebugSession.Info? in
            let path = sessionsDirectory + "/" + id + "/record"
            guard Self.isLocked(path) else { return nil }
            return DebugSession.Info(id: id, fields: Self.fields(path))
        }.sorted { $0.started < $1.started }
    }

    /// Ends what sessions killed with their `rkt debug` left: every process still in
    /// their mount namespace (and the pod's pid namespace, of init `podInit`), and
    /// their directories.
    func sweep(podInit: Int32?) {
        guard let lock = try? self.lock() else { return }
        defer { _ = lock }
        for id in sessionIDs() {
            let path = sessionsDirectory + "/" + id
            guard let record = try? FileLock.acquire(path + "/record", exclusive: true, wait: false) else { continue }
            if let podInit, let namespace = Self.fields(path + "/record")["mntns"] {
                DebugSession.killProcesses(mountNamespace: namespace, podInit: podInit)
            }
            try? Files.removeTree(path)
            _ = record
        }
    }

    /// Whether another process holds the lock of record `path`.
    static func isLocked(_ path: String) -> Bool {
        do {
            return try FileLock.acquire(path, exclusive: false, wait: false) == nil
        } catch {
            return false
        }
    }

    private func sessionIDs() -> [String] { (try? Files.sortedNames(sessionsDirectory)) ?? [] }

    /// `key=value` lines of a record.
    static func fields(_ path: String) -> [String: String] {
        guard let bytes = try? Files.readFile(path, limit: 4096) else { return [:] }
        var fields: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return fields
    }
}

/// One debug session's place in the pod directory, held while it runs.
final class DebugSession {
    /// An open session as `rkt status` shows it.
    struct Info {
        let id: String
        let app: String
        let pid: String
        let started: Int64

        init(id: String, fields: [String: String]) {
            self.id = id
            app = fields["app"] ?? ""
            pid = fields["pid"] ?? ""
            started = fields["started"].flatMap { Int64($0) } ?? 0
        }
    }

    let id: String
    let path: String
    private var record: FileLock?

    init(id: String, path: String, record: FileLock) {
        self.id = id
        self.path = path
        self.record = record
    }

    /// The session's writes to the tools' root.
    var upper: String { path + "/upper" }
    var work: String { path + "/work" }
    /// Throwaway sessions: their writes to the app's files, and where their root is assembled.
    var targetUpper: String { path + "/target-upper" }
    var targetWork: String { path + "/target-work" }
    var mountPoint: String { path + "/root" }
    /// The locked record, which the session's processes inherit (and so keep locked).
    var recordFD: Int32 { record?.fd ?? -1 }

    /// Puts a file into the session's root (its upper directory), e.g. a gdb setting.
    func addToolsFile(_ relativePath: String, _ text: String) throws(PodError) {
        let target = upper + "/" + relativePath
        try PodError.wrapping { () throws(SystemError) in
            try Files.makeDirectories(Files.directory(of: target), mode: 0o755)
            try Files.writeFile(target, Array(text.utf8))
        }
    }

    /// Removes the session's directories and releases its record.
    func close() {
        try? Files.removeTree(path)
        record = nil
    }

    /// SIGKILLs every process in mount namespace `namespace` (an inode number) that is
    /// in the pid namespace of `podInit`.
    static func killProcesses(mountNamespace namespace: String, podInit: Int32) {
        guard let podPID = link("/proc/\(podInit)/ns/pid") else { return }
        for name in (try? Files.sortedNames("/proc")) ?? [] {
            guard let pid = Int32(name), pid > 1 else { continue }
            if link("/proc/\(pid)/ns/mnt") == "mnt:[\(namespace)]" && link("/proc/\(pid)/ns/pid") == podPID {
                kill(pid, SIGKILL)
            }
        }
    }

    private static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink(path, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}
