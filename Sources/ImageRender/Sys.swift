import CLinux
import Glibc
import ImageKit
import LinuxSystem

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
        guard fd >= 0 else { throw .system(SystemError("open", path)) }
        return fd
    }

    // The file helpers of LinuxSystem with their failures as RenderErrors.

    /// mkdir -p.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(RenderError) {
        try RenderError.wrapping { () throws(SystemError) in try Files.makeDirectories(path, mode: mode) }
    }

    static func makeTemporaryDirectory(_ prefix: String) throws(RenderError) -> String {
        try RenderError.wrapping { () throws(SystemError) in try Files.makeTemporaryDirectory(prefix) }
    }

    /// Writes a whole small file (created or truncated, never through a link), then closes it.
    static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, sync: Bool = false) throws(RenderError) {
        try RenderError.wrapping { () throws(SystemError) in try Files.writeFile(path, bytes, mode: mode, noFollow: true, sync: sync) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(RenderError) {
        try RenderError.wrapping { () throws(SystemError) in try Files.writeAll(fd, bytes, path: path) }
    }

    /// A whole file, at most `limit` bytes.
    static func readFile(_ path: String, limit: Int) throws(RenderError) -> [UInt8] {
        do {
            return try FileSystem.readFile(path, limit: limit)
        } catch let .system(error) {
            throw .system(error)
        } catch {
            throw .damaged("\(path): \(error)")
        }
    }

    /// Flushes the file system holding `path` (what rkt does before marking a tree rendered).
    static func syncFileSystem(_ path: String) throws(RenderError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path)) }
        defer { close(fd) }
        guard clinux_syncfs(fd) == 0 else { throw .system(SystemError("syncfs", path)) }
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// `rm -rf path`, never following symbolic links (`Files.removeTree`).
    static func removeTree(_ path: String, stayOnDevice: Bool = false) throws(RenderError) {
        try RenderError.wrapping { () throws(SystemError) in try Files.removeTree(path, stayOnDevice: stayOnDevice) }
    }

    /// The directory names under `path` as text (for the store's own directories).
    static func listDirectory(_ path: String) -> [String] {
        (try? Files.sortedNames(path)) ?? []
    }
}
