import CLinux
import Glibc
import GoCompat

/// The file helpers every module needs, written once: whole-file reads and writes,
/// `mkdir -p`, sorted listings, temporary directories and a removal that follows no link.
public enum Files {
    /// Writes all of `buffer` to `fd` (retrying short writes and EINTR); `path` names it in errors.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        var offset = 0
        while offset < buffer.count {
            let n = Syscall.retrying { write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset) }
            guard n >= 0 else { throw SystemError("write", path) }
            offset += n
        }
    }

    /// Writes all of `bytes` to `fd`.
    public static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>, path: String) throws(SystemError) {
        var failure: SystemError?
        let done: Void? = bytes.withContiguousStorageIfAvailable { storage in
            do throws(SystemError) { try writeAll(fd, UnsafeRawBufferPointer(storage), path: path) } catch { failure = error }
        }
        if done == nil {
            Array(bytes).withUnsafeBytes { raw in
                do throws(SystemError) { try writeAll(fd, raw, path: path) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// Everything left to read from `fd`, at most `limit` bytes (more: EFBIG).
    public static func readAll(_ fd: Int32, limit: Int, path: String) throws(SystemError) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = Syscall.retrying { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            guard n >= 0 else { throw SystemError("read", path) }
            if n == 0 { return data }
            guard data.count + n <= limit else { throw SystemError("read", path, code: EFBIG) }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// A whole (small) file, at most `limit` bytes (more: EFBIG).
    public static func readFile(_ path: String, limit: Int) throws(SystemError) -> [UInt8] {
        let file = try FileDescriptor.open(path, O_RDONLY)
        return try readAll(file.raw, limit: limit, path: path)
    }

    /// Creates or truncates `path` and writes `bytes` (Go's `os.WriteFile`). `noFollow`
    /// refuses a symbolic link at `path`; `sync` flushes the data before closing.
    public static func writeFile(
        _ path: String, _ bytes: some Collection<UInt8>, mode: mode_t = 0o644,
        noFollow: Bool = false, sync: Bool = false
    ) throws(SystemError) {
        let file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC | (noFollow ? O_NOFOLLOW : 0), mode: mode)
        try writeAll(file.raw, bytes, path: path)
        if sync, fsync(file.raw) != 0 { throw SystemError("fsync", path) }
    }

    /// Copies everything from `source` at `offset` to its end onto `target`'s position:
    /// copy_file_range where the kernel can, read/write otherwise. `path` names the copy in errors.
    public static func copy(from source: Int32, offset: Int64 = 0, to target: Int32, path: String) throws(SystemError) {
        let code = clinux_copy_rest(source, offset, target)
        guard code == 0 else { throw SystemError("copy", path, code: code) }
    }

    /// `mkdir -p` (Go's `os.MkdirAll`): each missing component made with `mode`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST { throw SystemError("mkdir", current) }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError("stat", path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw SystemError("mkdir", path, code: ENOTDIR) }
    }

    /// The names in directory `path` (not `.`/`..`), sorted by bytes as Go's `filepath.Walk` visits them.
    public static func sortedNames(_ path: String) throws(SystemError) -> [String] {
        let directory = try FileDescriptor.open(path, O_RDONLY | O_DIRECTORY)
        return try DirectoryWalk.names(in: directory.raw, path: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A fresh private directory (mode 0700) named `prefix` + six random characters.
    public static func makeTemporaryDirectory(_ prefix: String) throws(SystemError) -> String {
        var template = Array((prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else { throw SystemError("mkdtemp", prefix) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `rm -rf path`, never following a symbolic link; a missing path is fine. With
    /// `stayOnDevice`, a directory on another file system (a mount point) is never entered:
    /// removal stops there with EBUSY instead of deleting what is mounted.
    public static func removeTree(_ path: String, stayOnDevice: Bool = false) throws(SystemError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw SystemError("lstat", path)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            guard unlink(path) == 0 || errno == ENOENT else { throw SystemError("unlink", path) }
            return
        }
        let directory = try FileDescriptor.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        try removeContents(of: directory.raw, path: path, device: stayOnDevice ? info.st_dev : nil)
        guard rmdir(path) == 0 || errno == ENOENT else { throw SystemError("rmdir", path) }
    }

    /// Empties the directory open as `fd` (not crossing into another `device` when given),
    /// at any depth, without recursion. Directories an image made unwritable are opened up
    /// first; root never changes a mode by name, where a link could stand.
    private static func removeContents(of fd: Int32, path: String, device: dev_t? = nil) throws(SystemError) {
        func describe(_ entry: DirectoryWalk.Entry) -> String { path + "/" + String(decoding: entry.relative, as: UTF8.self) }
        let isRoot = geteuid() == 0
        fchmod(fd, 0o700)
        try DirectoryWalk.run(
            fd, rootPath: path, failure: { $0 },
            visit: { (entry) throws(SystemError) -> Bool in
                try DirectoryWalk.withCName(entry.name) { (child) throws(SystemError) -> Bool in
                    guard entry.isDirectory else {
                        guard unlinkat(entry.parent, child, 0) == 0 || errno == ENOENT else {
                            throw SystemError("unlink", describe(entry))
                        }
                        return false
                    }
                    if let device, entry.info.st_dev != device {
                        throw SystemError("remove (a file system is mounted there)", describe(entry), code: EBUSY)
                    }
                    if !isRoot, entry.info.st_uid == geteuid() { fchmodat(entry.parent, child, 0o700, 0) }
                    return true
                }
            },
            enter: { (_, sub) throws(SystemError) in
                fchmod(sub, 0o700)
            },
            leave: { (entry, _) throws(SystemError) in
                try DirectoryWalk.withCName(entry.name) { (child) throws(SystemError) in
                    guard unlinkat(entry.parent, child, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                        throw SystemError("rmdir", describe(entry))
                    }
                }
            })
    }

    /// True when `path` (followed if a symlink) is a regular file.
    /// Starts writing `length` bytes of `fd` from `offset` back to the disk, without
    /// waiting (a later fsync then has less to wait for). Best effort.
    public static func startWriteBack(_ fd: Int32, offset: Int64, length: Int64) {
        _ = clinux_start_write_back(fd, offset, length)
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The directory part of `path` (`.` when it has none, `/` for a top-level name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = path[..<slash]
        return dir.isEmpty ? "/" : String(dir)
    }

    /// The last component of `path`.
    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `path` with every symlink resolved (Go's `filepath.EvalSymlinks` on an absolute path).
    public static func realPath(_ path: String) throws(SystemError) -> String {
        guard let resolved = realpath(path, nil) else { throw SystemError("realpath", path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` made absolute against the current directory and cleaned (Go's `filepath.Abs`).
    public static func absolute(_ path: String) throws(SystemError) -> String {
        if path.hasPrefix("/") { return GoPath.clean(path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { throw SystemError("getcwd", path) }
        return GoPath.clean(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path)
    }
}
