import Glibc

/// An `flock(2)` held until the value goes away: on a lock file (the store's index, the
/// remote cache, rkt's tree and layer locks), or on a directory (a pod's lock, which
/// stage1 inherits).
public final class FileLock {
    /// The locked descriptor.
    public let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Takes the lock on lock file `path` (creating it), waiting for it unless `wait` is
    /// false; then nil means "busy".
    /// `mode`: the lock file's exact permission bits (no umask) when this user owns it,
    /// whether made now or earlier with other bits, so that a group sharing the directory
    /// can take it.
    public static func acquire(_ path: String, exclusive: Bool, wait: Bool = true, mode: mode_t? = nil) throws(SystemError) -> FileLock? {
        let lock = try lock(path, flags: O_RDWR | O_CREAT, exclusive: exclusive, wait: wait)
        if let lock, let mode {
            var info = stat()
            if fstat(lock.fd, &info) == 0, info.st_mode & 0o7777 != mode, info.st_uid == geteuid() { fchmod(lock.fd, mode) }
        }
        return lock
    }

    /// Takes the lock on directory `path` itself.
    public static func acquire(directory path: String, exclusive: Bool, wait: Bool = false) throws(SystemError) -> FileLock? {
        try lock(path, flags: O_RDONLY | O_DIRECTORY, exclusive: exclusive, wait: wait)
    }

    private static func lock(_ path: String, flags: Int32, exclusive: Bool, wait: Bool) throws(SystemError) -> FileLock? {
        let fd = Syscall.retrying { open(path, flags | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw SystemError("open", path) }
        let lock = FileLock(fd: fd)
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        guard Syscall.retrying({ flock(fd, operation) }) == 0 else {
            if errno == EWOULDBLOCK && !wait { return nil }
            throw SystemError("lock", path)
        }
        return lock
    }

    /// Keeps the descriptor open across exec (stage1 inherits a pod's lock) and returns it.
    public func inheritable() -> Int32 {
        let flags = fcntl(fd, F_GETFD)
        _ = fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC)
        return fd
    }
}
