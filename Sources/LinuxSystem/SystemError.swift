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
