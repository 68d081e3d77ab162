import CLinux
import Glibc

/// Copies of image content onto the host (a volume seeded from the image's directory at
/// its mount point): every entry is recreated as what it is, never opened unless it is
/// a regular file (a fifo would block the copy, a device would be read), regular files
/// keep their holes, and each entry is reached by name from its parent's descriptor,
/// with no link followed, at any depth (DirectoryWalk).
public enum TreeCopy {
    /// Copies the directory `source` (any descriptor of it, O_PATH too) onto the existing,
    /// empty directory `destination`: its contents, and the owners, modes and times of
    /// everything, `destination`'s own included.
    public static func copyDirectory(_ source: Int32, to destination: String) throws(SystemError) {
        let from = openat(source, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard from >= 0 else { throw SystemError("open", "image directory") }
        defer { close(from) }
        let to = open(destination, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard to >= 0 else { throw SystemError("open", destination) }
        defer { close(to) }
        // The destination directories along the walk: the last one receives the entries.
        var targets: [Int32] = [to]
        defer { for fd in targets.dropFirst() { close(fd) } }
        func path(_ entry: DirectoryWalk.Entry) -> String { destination + "/" + String(decoding: entry.relative, as: UTF8.self) }
        try DirectoryWalk.run(
            from, rootPath: "image directory", failure: { $0 },
            visit: { (entry) throws(SystemError) -> Bool in
                let into = targets[targets.count - 1]
                let target = path(entry)
                try DirectoryWalk.withCName(entry.name) { (name) throws(SystemError) in
                    switch entry.info.st_mode & S_IFMT {
                    case S_IFDIR:
                        guard mkdirat(into, name, 0o700) == 0 else { throw SystemError("mkdir", target) }
                        let made = openat(into, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                        guard made >= 0 else { throw SystemError("open", target) }
                        targets.append(made)
                    case S_IFREG:
                        try copyFile(entry.parent, into, name, path: target)
                        try copyAttributes(entry.info, into, name, path: target)
                    case S_IFLNK:
                        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                        let n = readlinkat(entry.parent, name, &buffer, buffer.count - 1)
                        guard n >= 0 else { throw SystemError("readlink", target) }
                        buffer[n] = 0
                        guard symlinkat(buffer, into, name) == 0 else { throw SystemError("symlink", target) }
                        try copyAttributes(entry.info, into, name, path: target)
                    default:
                        // fifos, devices, sockets: made anew, never opened.
                        guard mknodat(into, name, entry.info.st_mode, entry.info.st_rdev) == 0 else { throw SystemError("mknod", target) }
                        try copyAttributes(entry.info, into, name, path: target)
                    }
                }
                return entry.isDirectory
            },
            leave: { (entry, _) throws(SystemError) in
                // A directory's own attributes once its contents are in (it may be read-only).
                close(targets.removeLast())
                try DirectoryWalk.withCName(entry.name) { (name) throws(SystemError) in
                    try copyAttributes(entry.info, targets[targets.count - 1], name, path: path(entry))
                }
            })
        var info = stat()
        guard fstat(from, &info) == 0 else { throw SystemError("stat", "image directory") }
        guard fchown(to, info.st_uid, info.st_gid) == 0, fchmod(to, info.st_mode & 0o7777) == 0 else {
            throw SystemError("set owner and mode of", destination)
        }
        var times = [info.st_atim, info.st_mtim]
        guard futimens(to, &times) == 0 else { throw SystemError("set times of", destination) }
    }

    private static func copyFile(_ from: Int32, _ to: Int32, _ name: UnsafePointer<CChar>, path: String) throws(SystemError) {
        // O_NONBLOCK: if a fifo was swapped in since the stat, the open does not wait.
        let input = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard input >= 0 else { throw SystemError("open", path) }
        defer { close(input) }
        var now = stat()
        guard fstat(input, &now) == 0, now.st_mode & S_IFMT == S_IFREG else { throw SystemError("open", path, code: EINVAL) }
        let output = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw SystemError("create", path) }
        defer { close(output) }
        let error = clinux_copy_sparse(input, output, Int64(now.st_size))
        guard error == 0 else { throw SystemError("copy", path, code: error) }
    }

    private static func copyAttributes(_ info: stat, _ to: Int32, _ name: UnsafePointer<CChar>, path: String) throws(SystemError) {
        guard fchownat(to, name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW) == 0 else { throw SystemError("chown", path) }
        if info.st_mode & S_IFMT != S_IFLNK {
            guard fchmodat(to, name, info.st_mode & 0o7777, 0) == 0 else { throw SystemError("chmod", path) }
        }
        var times = [info.st_atim, info.st_mtim]
        guard utimensat(to, name, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw SystemError("set times of", path) }
    }
}
