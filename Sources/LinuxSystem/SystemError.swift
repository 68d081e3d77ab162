import Glibc

/// A system call that failed: what was done, to which path, and the errno.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32

    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String { "\(operation) \(path): \(errnoText(code))" }
}

/// Everything left to read from `fd`, at most `limit` bytes (more: EFBIG); `path` names
/// it in errors.
public func readAll(_ fd: Int32, limit: Int, path: String) throws(SystemError) -> [UInt8] {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw SystemError("read", path)
        }
        if n == 0 { return data }
        guard data.count + n <= limit else { throw SystemError("read", path, code: EFBIG) }
        data.append(contentsOf: buffer[0..<n])
    }
}

/// Go's lower-case strerror texts for the errno values users meet; glibc's text otherwise.
public func errnoText(_ code: Int32) -> String {
    switch code {
    case 1: return "operation not permitted"
    case 2: return "no such file or directory"
    case 13: return "permission denied"
    case 17: return "file exists"
    case 20: return "not a directory"
    case 21: return "is a directory"
    case 28: return "no space left on device"
    case 30: return "read-only file system"
    case 36: return "file name too long"
    case 40: return "too many levels of symbolic links"
    default:
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text).lowercased()
    }
}

/// The soft limit on open files: raised at start to the hard limit (what Go's runtime
/// does), and put back before this process execs something else (stage1, an app, a
/// command entered into a pod), which must start with the limit the user gave.
public enum OpenFileLimit {
    nonisolated(unsafe) private static var original: rlimit?

    public static func raise() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        original = limit
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 { original = nil }
    }

    public static func restore() {
        guard var limit = original else { return }
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
