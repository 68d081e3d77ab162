import Glibc

/// Which file, in which state: device, inode, size, and modification and change times
/// to the nanosecond. Any write, `touch`, `chmod` or rename over the path gives another.
public struct FileIdentity: Sendable, Equatable, CustomStringConvertible {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    public let modified: Int64
    public let changed: Int64

    /// The identity of the open file `fd`.
    public init(fd: Int32, path: String) throws(SystemError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError("stat", path) }
        self.init(info)
    }

    /// The identity of the file at `path` (followed if a symlink).
    public init(path: String) throws(SystemError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError("stat", path) }
        self.init(info)
    }

    private init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim.nanoseconds
        changed = info.st_ctim.nanoseconds
    }

    /// `device:inode:size:modified:changed`, as stored.
    public var description: String { "\(device):\(inode):\(size):\(modified):\(changed)" }
}
