import CLinux
import Glibc
import ImageKit

/// Paths inside images are byte strings (names need not be UTF-8), relative to a
/// root, `/`-separated, already cleaned; the root itself is the empty path.
typealias RelativePath = [UInt8]

enum BytePath {
    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// True for a cleaned name that climbs out of its root (`..`, `../x`).
    static func escapes(_ cleaned: [UInt8]) -> Bool {
        cleaned == [dot, dot] || cleaned.starts(with: [dot, dot, slash])
    }

    /// The part of a cleaned archive name below `rootfs/`; `[]` for `rootfs` itself,
    /// nil for names outside the rootfs (the manifest, `rootfs-extra`, ...).
    static func belowRootfs(_ cleaned: [UInt8]) -> RelativePath? {
        let rootfs = Array("rootfs".utf8)
        if cleaned == rootfs { return [] }
        guard cleaned.count > rootfs.count + 1, cleaned.starts(with: rootfs), cleaned[rootfs.count] == slash else { return nil }
        return Array(cleaned[(rootfs.count + 1)...])
    }

    static func components(_ path: RelativePath) -> [[UInt8]] {
        path.split(separator: slash, omittingEmptySubsequences: true).map { Array($0) }
    }

    static func parent(_ path: RelativePath) -> RelativePath {
        guard let i = path.lastIndex(of: slash) else { return [] }
        return Array(path[..<i])
    }

    static func join(_ a: RelativePath, _ b: [UInt8]) -> RelativePath {
        a.isEmpty ? b : a + [slash] + b
    }

    static func text(_ path: [UInt8]) -> String { String(decoding: path, as: UTF8.self) }
}

/// A NUL-terminated copy of `bytes`, to pass where C wants a `const char *`.
func cString(_ bytes: [UInt8]) -> [CChar] {
    var out = [CChar]()
    out.reserveCapacity(bytes.count + 1)
    for b in bytes { out.append(CChar(bitPattern: b)) }
    out.append(0)
    return out
}

func cString(_ text: String) -> [CChar] { cString(Array(text.utf8)) }


/// rkt's key form of a finished SHA-512: `sha512-` + the first 64 hex digits.
func keyForm(_ hasher: SHA512Hasher) -> String {
    "sha512-" + String(ImageID.hexString(hasher.finalize()).prefix(64))
}

/// rkt's key form of the SHA-512 of `bytes`.
func keyForm(of bytes: [UInt8]) -> String {
    let hasher = SHA512Hasher()
    hasher.update(bytes)
    return keyForm(hasher)
}

/// Small system-call helpers with `RenderError`s.
enum Sys {
    static var isRoot: Bool { geteuid() == 0 }

    static func lstat(_ path: String) -> stat? {
        var info = stat()
        return Glibc.lstat(path, &info) == 0 ? info : nil
    }

    static func exists(_ path: String) -> Bool { lstat(path) != nil }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }

    static func openDirectory(_ path: String) throws(RenderError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        return fd
    }

    /// mkdir that accepts an existing directory.
    static func makeDirectory(_ path: String, mode: mode_t) throws(RenderError) {
        if mkdir(path, mode) != 0 {
            let code = errno
            guard code == EEXIST, let info = lstat(path), isDirectory(info) else {
                throw .system(operation: "mkdir", path: path, errno: code)
            }
        }
    }

    /// mkdir -p.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(RenderError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            try makeDirectory(current, mode: mode)
        }
    }

    /// A fresh directory named `prefix` + six random characters (mode 0700).
    static func makeTemporaryDirectory(_ prefix: String) throws(RenderError) -> String {
        var template = cString(prefix + "XXXXXX")
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else { throw .system(operation: "mkdtemp", path: prefix, errno: errno) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes a whole small file (created or truncated), then closes it.
    static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, sync: Bool = false) throws(RenderError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
        if sync, fsync(fd) != 0 { throw .system(operation: "fsync", path: path, errno: errno) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(RenderError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress.map { $0 + done }, raw.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    /// A whole file, at most `limit` bytes.
    static func readFile(_ path: String, limit: Int) throws(RenderError) -> [UInt8] {
        do {
            return try FileSystem.readFile(path, limit: limit)
        } catch let .system(operation, path, code) {
            throw .system(operation: operation, path: path, errno: code)
        } catch {
            throw .damaged("\(path): \(error)")
        }
    }

    /// Flushes the file system holding `path` (what rkt does before marking a tree rendered).
    static func syncFileSystem(_ path: String) throws(RenderError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard clinux_syncfs(fd) == 0 else { throw .system(operation: "syncfs", path: path, errno: errno) }
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// `rm -rf path`, never following symbolic links. A missing path is fine.
    /// With `stayOnDevice`, a directory on another file system (a mount point) is
    /// never entered: removal stops there with EBUSY instead of deleting what is mounted.
    static func removeTree(_ path: String, stayOnDevice: Bool = false) throws(RenderError) {
        guard let info = lstat(path) else { return }
        if !isDirectory(info) {
            guard unlink(path) == 0 || errno == ENOENT else { throw .system(operation: "unlink", path: path, errno: errno) }
            return
        }
        let fd = try openDirectory(path)
        defer { close(fd) }
        try removeContents(of: fd, path: path, device: stayOnDevice ? info.st_dev : nil)
        guard rmdir(path) == 0 || errno == ENOENT else { throw .system(operation: "rmdir", path: path, errno: errno) }
    }

    /// Empties the directory open as `fd` (not crossing into another `device` when given),
    /// at any depth (DirectoryWalk, no recursion).
    static func removeContents(of fd: Int32, path: String, device: dev_t? = nil) throws(RenderError) {
        func describe(_ entry: DirectoryWalk.Entry) -> String { path + "/" + BytePath.text(entry.relative) }
        // Directories made unwritable by an image (mode 0555) must be opened up first.
        fchmod(fd, 0o700)
        try DirectoryWalk.run(fd, rootPath: path, failure: { RenderError.system(operation: $0.operation, path: $0.path, errno: $0.code) },
                              visit: { (entry) throws(RenderError) -> Bool in
            let child = cString(entry.name)
            guard entry.isDirectory else {
                guard unlinkat(entry.parent, child, 0) == 0 || errno == ENOENT else {
                    throw .system(operation: "unlink", path: describe(entry), errno: errno)
                }
                return false
            }
            if let device, entry.info.st_dev != device {
                throw .system(operation: "remove (a file system is mounted there)", path: describe(entry), errno: EBUSY)
            }
            // Root reads any directory; anyone else may first need to open up one of its own
            // (an image's mode 0000 directory). Root never chmods by name: a link could stand there.
            if !isRoot, entry.info.st_uid == geteuid() { fchmodat(entry.parent, child, 0o700, 0) }
            return true
        }, enter: { (_, sub) throws(RenderError) in
            fchmod(sub, 0o700)
        }, leave: { (entry, _) throws(RenderError) in
            guard unlinkat(entry.parent, cString(entry.name), AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw .system(operation: "rmdir", path: describe(entry), errno: errno)
            }
        })
    }

    /// The names in the directory open as `fd` (not `.`/`..`), sorted by bytes.
    static func directoryNames(_ fd: Int32, path: String) throws(RenderError) -> [[UInt8]] {
        do {
            return try DirectoryWalk.names(in: fd, path: path)
        } catch {
            throw .system(operation: "open", path: path, errno: error.code)
        }
    }

    /// The directory names under `path` as text (for the store's own directories).
    static func listDirectory(_ path: String) -> [String] {
        guard let fd = try? openDirectory(path) else { return [] }
        defer { close(fd) }
        return ((try? directoryNames(fd, path: path)) ?? []).map { BytePath.text($0) }
    }
}

/// `rm -rf path` that never follows symbolic links and never enters another file system
/// (pods: a mount left behind must not have its contents deleted).
public func removeDirectoryTree(_ path: String, stayOnDevice: Bool) throws(RenderError) {
    try Sys.removeTree(path, stayOnDevice: stayOnDevice)
}
