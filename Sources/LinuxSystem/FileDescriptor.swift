import Glibc

/// An open file descriptor owned by this value: closed when the value goes away.
public final class FileDescriptor {
    /// The descriptor number, valid while this value lives.
    public let raw: Int32

    /// Takes ownership of `raw`.
    public init(adopting raw: Int32) { self.raw = raw }

    deinit { close(raw) }

    /// open(2) with O_CLOEXEC added, retried on EINTR.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SystemError) -> FileDescriptor {
        let fd = Syscall.retrying { Glibc.open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw SystemError("open", path) }
        return FileDescriptor(adopting: fd)
    }
}
