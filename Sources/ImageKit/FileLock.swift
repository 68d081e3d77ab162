import Glibc

/// An `flock(2)` on a lock file, held until the value goes away. The store's index,
/// the remote cache, and rkt's tree and layer locks all take it this way.
public final class FileLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Takes the lock (creating the file), waiting for it unless `wait` is false;
    /// then nil means "busy".
    public static func acquire(_ path: String, exclusive: Bool, wait: Bool = true) throws(ImageKitError) -> FileLock? {
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
}
