import CRootPath
import Glibc

/// A directory that paths are resolved in as if it were `/`: an image's rendered tree, an
/// app's root. Every lookup goes through CRootPath (the same resolver stage1 uses): links
/// are followed only inside the directory, magic links not at all, and what is read is
/// read through the descriptor the resolution gave, never by walking a path string again.
public final class RootDirectory {
    /// The directory on the host.
    public let path: String
    private let fd: Int32

    /// How `open` treats missing components.
    public enum Creation: Sendable {
        case none
        /// Missing components are made as directories (0755), the last one too.
        case directories
        /// Missing parents are made as directories, a missing last component as an empty file (0644).
        case file
    }

    public init(path: String) throws(SystemError) {
        self.path = path
        fd = root_path_open_root(path)
        guard fd >= 0 else { throw SystemError("open", path, code: -fd) }
    }

    deinit { close(fd) }

    /// An O_PATH descriptor of `inner` (the caller closes it). With `followLast` false a
    /// symlink as last component is opened itself.
    public func open(_ inner: String, create: Creation = .none, followLast: Bool = true) throws(SystemError) -> Int32 {
        var flags: Int32 = followLast ? 0 : Int32(ROOT_PATH_NOFOLLOW)
        switch create {
        case .none: break
        case .directories: flags |= Int32(ROOT_PATH_MKDIR)
        case .file: flags |= Int32(ROOT_PATH_MKFILE)
        }
        let result = root_path_open(fd, inner, flags)
        guard result >= 0 else { throw SystemError("resolve", describe(inner), code: -result) }
        return result
    }

    /// The file status of `inner`, resolved inside the root.
    public func status(_ inner: String, followLast: Bool = true) throws(SystemError) -> stat {
        let handle = try open(inner, followLast: followLast)
        defer { close(handle) }
        var info = stat()
        guard fstat(handle, &info) == 0 else { throw SystemError("stat", describe(inner)) }
        return info
    }

    /// Whether `inner` resolves to something inside the root (a dangling link does not).
    public func exists(_ inner: String, followLast: Bool = true) -> Bool {
        guard let handle = try? open(inner, followLast: followLast) else { return false }
        close(handle)
        return true
    }

    /// Whether `inner` is a directory.
    public func isDirectory(_ inner: String) -> Bool {
        guard let info = try? status(inner) else { return false }
        return info.st_mode & S_IFMT == S_IFDIR
    }

    /// The contents of the regular file `inner`, at most `limit` bytes (else EFBIG).
    /// Anything else (a fifo, a device) is refused before it is opened for reading.
    public func readFile(_ inner: String, limit: Int) throws(SystemError) -> [UInt8] {
        let handle = try open(inner)
        defer { close(handle) }
        let file = try Self.reopen(handle, flags: O_RDONLY, path: describe(inner))
        defer { close(file) }
        return try Files.readAll(file, limit: limit, path: describe(inner))
    }

    /// `inner` with every link resolved inside the root, as an absolute path in it; the
    /// components from the first missing one on are kept as written (`..` among them
    /// applied to the text). Fails when a link loops or leads out through procfs.
    public func resolve(_ inner: String) throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let result = root_path_resolve(fd, inner, &buffer, buffer.count)
        guard result == 0 else { throw SystemError("resolve", describe(inner), code: -result) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func describe(_ inner: String) -> String {
        path == "/" ? inner : path + (inner.hasPrefix("/") ? "" : "/") + inner
    }

    /// A real descriptor (for reading, writing) of what the O_PATH `handle` names, if it
    /// is a regular file: fifos and devices are never opened.
    public static func reopen(_ handle: Int32, flags: Int32, path: String) throws(SystemError) -> Int32 {
        var info = stat()
        guard fstat(handle, &info) == 0 else { throw SystemError("stat", path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw SystemError("open", path, code: EINVAL) }
        let file = Glibc.open("/proc/self/fd/\(handle)", flags | O_CLOEXEC | O_NOCTTY)
        guard file >= 0 else { throw SystemError("open", path) }
        return file
    }
}
