import CLinux
import Glibc

/// Copies of image content onto the host (a volume seeded from the image's directory at
/// its mount point): every entry is recreated as what it is, never opened unless it is
/// a regular file (a fifo would block the copy, a device would be read), regular files
/// keep their holes, and each entry is reached by name from its parent's descriptor,
/// with no link followed.
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
        try copyDirectory(from, to, path: destination)
        var info = stat()
        guard fstat(from, &info) == 0 else { throw SystemError("stat", "image directory") }
        guard fchown(to, info.st_uid, info.st_gid) == 0, fchmod(to, info.st_mode & 0o7777) == 0 else {
            throw SystemError("set owner and mode of", destination)
        }
        var times = [info.st_atim, info.st_mtim]
        guard futimens(to, &times) == 0 else { throw SystemError("set times of", destination) }
    }

    /// The names in the directory `fd` (not `.` and `..`), sorted.
    static func names(in fd: Int32, path: String) throws(SystemError) -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw SystemError("read directory", path)
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    private static func copyDirectory(_ from: Int32, _ to: Int32, path: String) throws(SystemError) {
        for name in try names(in: from, path: path) {
            let target = path + "/" + name
            var info = stat()
            guard fstatat(from, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw SystemError("stat", target) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                guard mkdirat(to, name, 0o700) == 0 || errno == EEXIST else { throw SystemError("mkdir", target) }
                let sub = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard sub >= 0 else { throw SystemError("open", target) }
                defer { close(sub) }
                let made = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard made >= 0 else { throw SystemError("open", target) }
                defer { close(made) }
                try copyDirectory(sub, made, path: target)
            case S_IFREG:
                try copyFile(from, to, name, info, path: target)
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(from, name, &buffer, buffer.count - 1)
                guard n >= 0 else { throw SystemError("readlink", target) }
                buffer[n] = 0
                guard symlinkat(buffer, to, name) == 0 else { throw SystemError("symlink", target) }
            default:
                // fifos, devices, sockets: made anew, never opened.
                guard mknodat(to, name, info.st_mode, info.st_rdev) == 0 else { throw SystemError("mknod", target) }
            }
            try copyAttributes(info, to, name, path: target)
        }
    }

    private static func copyFile(_ from: Int32, _ to: Int32, _ name: String, _ info: stat, path: String) throws(SystemError) {
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

    private static func copyAttributes(_ info: stat, _ to: Int32, _ name: String, path: String) throws(SystemError) {
        guard fchownat(to, name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW) == 0 else { throw SystemError("chown", path) }
        if info.st_mode & S_IFMT != S_IFLNK {
            guard fchmodat(to, name, info.st_mode & 0o7777, 0) == 0 else { throw SystemError("chmod", path) }
        }
        var times = [info.st_atim, info.st_mtim]
        guard utimensat(to, name, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw SystemError("set times of", path) }
    }
}
