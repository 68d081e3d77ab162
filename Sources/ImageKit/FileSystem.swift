import Glibc

/// The few file-system reads ImageKit needs, with Go-worded errors.
public enum FileSystem {
    /// Names in a directory (not `.`/`..`), sorted by bytes as Go's `filepath.Walk` visits them.
    static func sortedEntries(of path: String) throws(ImageKitError) -> [String] {
        try sortedEntryNames(of: Array(path.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The same, as raw names (which need not be UTF-8).
    static func sortedEntryNames(of path: [UInt8]) throws(ImageKitError) -> [[UInt8]] {
        guard let dir = withCPath(path, { opendir($0) }) else {
            throw .system(operation: "open", path: String(decoding: path, as: UTF8.self), errno: errno)
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
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
        guard n >= 0 else { throw .system(operation: "readlink", path: String(decoding: path, as: UTF8.self), errno: errno) }
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
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        close(fd)
    }

    /// A whole (small) file; refuses more than `limit` bytes.
    public static func readFile(_ path: String, limit: Int) throws(ImageKitError) -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        do {
            return try readAll(fd, limit: limit, path: path)
        } catch where error.code == EFBIG {
            throw .tooLarge(name: path, limit: limit)
        } catch {
            throw .system(operation: error.operation, path: path, errno: error.code)
        }
    }
}
