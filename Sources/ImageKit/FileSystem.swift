import Glibc

/// The few file-system reads ImageKit needs, with Go-worded errors.
public enum FileSystem {
    /// Names in a directory (not `.`/`..`), sorted by bytes as Go's `filepath.Walk` visits them.
    static func sortedEntries(of path: String) throws(ImageKitError) -> [String] {
        guard let dir = opendir(path) else { throw .system(operation: "open", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Opens and closes `path`, so a walk reports an unopenable file where Go's would.
    static func checkOpenable(_ path: String) throws(ImageKitError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        close(fd)
    }

    /// A whole (small) file; refuses more than `limit` bytes.
    public static func readFile(_ path: String, limit: Int) throws(ImageKitError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "read", path: path, errno: errno)
            }
            if n == 0 { return data }
            guard data.count + n <= limit else { throw .tooLarge(name: path, limit: limit) }
            data.append(contentsOf: buffer[0..<n])
        }
    }
}
