import CLinux
import Glibc

/// How both kinds of out-of-sight file are made: an unnamed file (`O_TMPFILE`) in
/// `directory`, or, where the file system has none, a named one (`.NAME-XXXXXX`) whose
/// name is returned for the caller to publish or remove.
enum UnnamedFile {
    static func open(in directory: String, prefix: String, readable: Bool, mode: mode_t) throws(SystemError) -> (fd: Int32, name: String?) {
        let fd = Syscall.retrying { clinux_open_unnamed(directory, readable ? O_RDWR : O_WRONLY, mode) }
        if fd >= 0 { return (fd, nil) }
        guard clinux_tmpfile_unsupported(errno) != 0 else { throw SystemError("open", directory) }
        var template = Array((directory + "/." + prefix + "-XXXXXX").utf8CString)
        let named = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { clinux_mkostemp_cloexec($0) } ?? -1
        }
        guard named >= 0 else { throw SystemError("open", directory) }
        // mkostemp makes 0600; give the mode open(2) would have (the umask applies).
        fchmod(named, mode & ~Umask.current)
        return (named, String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

/// The process's umask, read without changing it (`/proc/self/status`).
enum Umask {
    static var current: mode_t {
        if let status = try? Files.readFile("/proc/self/status", limit: 1 << 16) {
            for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Umask:") {
                if let field = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last,
                    let mask = mode_t(field, radix: 8)
                {
                    return mask
                }
            }
        }
        return 0o022
    }
}

/// A file written out of sight and published in one step.
///
/// The data goes to an unnamed file (`O_TMPFILE`) in the target's directory, so a
/// process killed mid-write leaves nothing behind and the target untouched. `commit`
/// links it into place: with `replace: false` the link itself refuses an existing
/// target; with `replace: true` it is linked under a temporary name and renamed over
/// the target. Where `O_TMPFILE` is not supported, a named temporary file is used.
public final class AtomicFile {
    public private(set) var targetPath: String
    public let fd: Int32
    private let directory: String
    private var namedTemp: String?
    private var done = false

    /// - Parameters:
    ///   - mode: permission bits for the new file (the umask applies, as for `open`).
    ///   - exactMode: give the file exactly `mode`, whatever the umask (a store shared
    ///     with a group, as rkt's is).
    public init(path: String, mode: mode_t = 0o644, exactMode: Bool = false) throws(SystemError) {
        targetPath = path
        directory = Files.directory(of: path)
        (fd, namedTemp) = try UnnamedFile.open(in: directory, prefix: "tmp." + Files.baseName(of: path), readable: false, mode: mode)
        if exactMode { fchmod(fd, mode) }
    }

    deinit { discard() }

    /// Publishes the file at `path` instead, a name known only now (e.g. a content hash).
    /// It must be on the file system of the path given at creation.
    public func commit(to path: String, replace: Bool) throws(SystemError) {
        targetPath = path
        try commit(replace: replace)
    }

    /// Publishes the file at `targetPath`. Without `replace`, an existing target is an error (EEXIST).
    public func commit(replace: Bool) throws(SystemError) {
        guard !done else { return }
        if let namedTemp {
            let status = replace ? rename(namedTemp, targetPath) : clinux_rename_noreplace(namedTemp, targetPath)
            guard status == 0 else { throw SystemError(replace ? "rename" : "link", targetPath) }
        } else if replace {
            let temp = directory + "/.tmp." + Files.baseName(of: targetPath) + "-\(getpid())"
            unlink(temp)
            guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0 else {
                throw SystemError("link", temp)
            }
            guard rename(temp, targetPath) == 0 else {
                let code = errno
                unlink(temp)
                throw SystemError("rename", targetPath, code: code)
            }
        } else {
            guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, targetPath, AT_SYMLINK_FOLLOW) == 0 else {
                throw SystemError("link", targetPath)
            }
        }
        done = true
        namedTemp = nil
        close(fd)
    }

    /// Flushes the data to the disk (before a record that names the file is committed).
    public func sync() throws(SystemError) {
        guard fdatasync(fd) == 0 else { throw SystemError("fdatasync", targetPath) }
    }

    /// Drops the data; the target is left as it was.
    public func discard() {
        guard !done else { return }
        done = true
        if let namedTemp { unlink(namedTemp) }
        close(fd)
    }

    /// Replaces `path` with `bytes` in one step.
    public static func write(_ path: String, _ bytes: some Collection<UInt8>, mode: mode_t = 0o644, exactMode: Bool = false) throws(SystemError) {
        let file = try AtomicFile(path: path, mode: mode, exactMode: exactMode)
        try Files.writeAll(file.fd, bytes, path: path)
        try file.commit(replace: true)
    }
}

/// Scratch space: an unnamed file, readable and writable, that disappears with its
/// descriptor, so a process killed half-way leaves nothing behind.
public final class TemporaryFile {
    public let fd: Int32
    /// What messages call the file: it has no name, so its directory stands for it (a
    /// full disk is that directory's).
    public let name: String

    /// Creates the file in `directory` (which must exist).
    public init(directory: String) throws(SystemError) {
        let (fd, name) = try UnnamedFile.open(in: directory, prefix: "scratch", readable: true, mode: 0o600)
        if let name { unlink(name) }
        self.fd = fd
        self.name = directory + " (scratch file)"
    }

    deinit { close(fd) }

    /// A path that opens this file anew (from offset 0) in this process.
    public var procPath: String { "/proc/self/fd/\(fd)" }

    /// The current size in bytes.
    public var size: Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Appends `bytes` at the current position.
    public func write(_ bytes: some Collection<UInt8>) throws(SystemError) {
        try Files.writeAll(fd, bytes, path: name)
    }

    /// Appends `bytes` at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try Files.writeAll(fd, bytes, path: name)
    }

    /// The whole content (more than `limit` bytes: EFBIG), read from offset 0.
    public func contents(limit: Int) throws(SystemError) -> [UInt8] {
        guard size <= Int64(limit) else { throw SystemError("read", name, code: EFBIG) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: off_t = 0
        while true {
            let n = Syscall.retrying { buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) } }
            guard n >= 0 else { throw SystemError("read", name) }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
            offset += off_t(n)
        }
    }
}
