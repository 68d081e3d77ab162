import Glibc
import LinuxSystem

/// The few file-system reads ImageKit needs, with Go-worded errors.
public enum FileSystem {
    /// Names in a directory (not `.`/`..`), sorted by bytes as Go's `filepath.Walk` visits them.
    static func sortedEntries(of path: String) throws(ImageKitError) -> [String] {
        try sortedEntryNames(of: Array(path.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The same, as raw names (which need not be UTF-8).
    static func sortedEntryNames(of path: [UInt8]) throws(ImageKitError) -> [[UInt8]] {
        let text = String(decoding: path, as: UTF8.self)
        let fd = withCPath(path) { cPath in Syscall.retrying { Glibc.open(cPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } }
        guard fd >= 0 else { throw .system(SystemError("open", text)) }
        defer { close(fd) }
        return try ImageKitError.wrapping { () throws(SystemError) in try DirectoryWalk.names(in: fd, path: text) }
    }

    static func lstat(_ path: [UInt8], _ info: inout stat) -> Bool {
        withCPath(path) { Glibc.lstat($0, &info) } == 0
    }

    static func open(_ path: [UInt8], _ flags: Int32) -> Int32 {
        withCPath(path) { Glibc.open($0, flags) }
    }

    static func readLink(_ path: [UInt8]) throws(ImageKitError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = withCPath(path) { cPath in
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { readlink(cPath, $0.assumingMemoryBound(to: CChar.self), raw.count) } ?? -1
            }
        }
        guard n >= 0 else { throw .system(SystemError("readlink", String(decoding: path, as: UTF8.self))) }
        return Array(buffer.prefix(n))
    }

    /// Runs `body` with `path` as a NUL-terminated C string.
    static func withCPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        let cString = path.map { CChar(bitPattern: $0) } + [0]
        return cString.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Opens and closes `path`, so a walk reports an unopenable file where Go's would.
    static func checkOpenable(_ path: String) throws(ImageKitError) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path)) }
        close(fd)
    }

    /// A whole (small) file; refuses more than `limit` bytes.
    public static func readFile(_ path: String, limit: Int) throws(ImageKitError) -> [UInt8] {
        do {
            return try Files.readFile(path, limit: limit)
        } catch  where error.code == EFBIG {
            throw .tooLarge(name: path, limit: limit)
        } catch {
            throw .system(error)
        }
    }
}
