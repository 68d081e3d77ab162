import Glibc

/// An flock(2) on a lock file, released when the value goes away (rkt's key locks:
/// `cas/treestorelocks/ID`, and ours for layers, `cas/layerlocks/KEY`).
final class FileLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Takes the lock, waiting for it unless `wait` is false; then nil means "busy".
    static func acquire(_ path: String, exclusive: Bool, wait: Bool = true) throws(RenderError) -> FileLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        let lock = FileLock(fd: fd)
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        while flock(fd, operation) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK && !wait { return nil }
            throw .system(operation: "lock", path: path, errno: errno)
        }
        return lock
    }

    /// Takes the lock, waiting as long as needed.
    static func wait(_ path: String, exclusive: Bool) throws(RenderError) -> FileLock {
        guard let lock = try acquire(path, exclusive: exclusive, wait: true) else {
            throw .system(operation: "lock", path: path, errno: EWOULDBLOCK)
        }
        return lock
    }
}
