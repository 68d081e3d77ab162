import Glibc
import LinuxSystem

/// What debugging left on record in a pod directory (`debug/`): the mounts `rkt bind`
/// made (`binds`, one destination per line). Changes are made under `debug/lock`.
struct PodDebugState {
    let directory: String

    init(pod: Pod) throws(PodError) {
        directory = pod.path + "/debug"
        if mkdir(directory, 0o750) != 0 && errno != EEXIST { throw .system(SystemError("mkdir", directory)) }
    }

    /// Waits for and holds the lock on the record.
    func lock() throws(PodError) -> FileLock {
        let path = directory + "/lock"
        return try PodError.wrapping { () throws(SystemError) in
            guard let lock = try FileLock.acquire(path, exclusive: true) else { throw SystemError("lock", path, code: EWOULDBLOCK) }
            return lock
        }
    }

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
}
