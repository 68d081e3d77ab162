import CLinux
import Glibc

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

    /// - Parameter mode: permission bits for the new file (the umask applies, as for `open`).
    public init(path: String, mode: mode_t = 0o644) throws(ImageKitError) {
        targetPath = path
        directory = AtomicFile.directory(of: path)
        var fd = clinux_open_tmpfile(directory, mode)
        if fd < 0 && clinux_tmpfile_unsupported(errno) != 0 {
            var template = Array((directory + "/.actool-tmp." + AtomicFile.baseName(of: path) + "-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress.map { clinux_mkostemp_cloexec($0) } ?? -1
            }
            if fd >= 0 {
                namedTemp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let mask = umask(0)
                umask(mask)
                fchmod(fd, mode & ~mask)
            }
        }
        guard fd >= 0 else { throw .system(operation: "open", path: directory, errno: errno) }
        self.fd = fd
    }

    deinit { discard() }

    /// Publishes the file at `path` instead, a name known only now (e.g. a content hash).
    /// It must be in the same directory tree's file system as the one given at creation.
    public func commit(to path: String, replace: Bool) throws(ImageKitError) {
        targetPath = path
        try commit(replace: replace)
    }

    /// Publishes the file at `targetPath`. Without `replace`, an existing target is an error (EEXIST).
    public func commit(replace: Bool) throws(ImageKitError) {
        guard !done else { return }

        if let namedTemp {
            let status = replace ? rename(namedTemp, targetPath) : renameNoReplace(namedTemp, targetPath)
            guard status == 0 else { throw .system(operation: replace ? "rename" : "link", path: targetPath, errno: errno) }
        } else if replace {
            let temp = directory + "/.actool-tmp." + AtomicFile.baseName(of: targetPath) + "-\(getpid())"
            unlink(temp)
            guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0 else {
                throw .system(operation: "link", path: temp, errno: errno)
            }
            guard rename(temp, targetPath) == 0 else {
                let code = errno
                unlink(temp)
                throw .system(operation: "rename", path: targetPath, errno: code)
            }
        } else {
            guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, targetPath, AT_SYMLINK_FOLLOW) == 0 else {
                throw .system(operation: "link", path: targetPath, errno: errno)
            }
        }
        done = true
        namedTemp = nil
        close(fd)
    }

    /// Drops the data; the target is left as it was.
    public func discard() {
        guard !done else { return }
        done = true
        if let namedTemp { unlink(namedTemp) }
        close(fd)
    }

    private func renameNoReplace(_ from: String, _ to: String) -> Int32 {
        clinux_rename_noreplace(from, to)
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = path[..<slash]
        return dir.isEmpty ? "/" : String(dir)
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
