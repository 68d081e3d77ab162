import Glibc
import GoCompat
import ImageKit
import LinuxSystem

enum Paths {
    /// Go's `filepath.Abs` (the path itself if there is no current directory).
    static func absolute(_ path: String) -> String {
        (try? Files.absolute(path)) ?? path
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A whole small file, with Go's `open P: ...` error text.
    static func read(_ path: String, limit: Int = 16 << 20) throws(FetchError) -> [UInt8] {
        do {
            return try FileSystem.readFile(path, limit: limit)
        } catch {
            throw FetchError(error.description)
        }
    }
}

/// The text of a NUL-terminated C buffer.
func stringFromCBuffer(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
