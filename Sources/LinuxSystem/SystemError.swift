import CLinux
import Glibc

/// A system call that failed: what was done, to which path, the errno, and what it was
/// done for when a caller wrapped it (`cause` reads outermost first). The text is Go's
/// `*PathError` shape: `open /x: no such file or directory`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32
    /// The error this one was met while handling, if any (shown by `chain`).
    public var cause: (any Error & Sendable)?

    public init(_ operation: String, _ path: String, code: Int32 = errno, cause: (any Error & Sendable)? = nil) {
        self.operation = operation
        self.path = path
        self.code = code
        self.cause = cause
    }

    public var description: String { "\(operation) \(path): \(errnoText(code))" }

    /// This error's text, then its causes' texts, outermost first (for `--debug` trees).
    public var chain: [String] {
        var texts = [description]
        var next = cause
        while let error = next {
            texts.append("\(error)")
            next = (error as? SystemError)?.cause
        }
        return texts
    }

    public static func == (a: SystemError, b: SystemError) -> Bool {
        a.operation == b.operation && a.path == b.path && a.code == b.code
            && a.cause.map { "\($0)" } == b.cause.map { "\($0)" }
    }
}

/// Go's lower-case strerror texts for the errno values users meet; glibc's text otherwise.
public func errnoText(_ code: Int32) -> String {
    switch code {
    case EPERM: return "operation not permitted"
    case ENOENT: return "no such file or directory"
    case EACCES: return "permission denied"
    case EEXIST: return "file exists"
    case ENOTDIR: return "not a directory"
    case EISDIR: return "is a directory"
    case ENOSPC: return "no space left on device"
    case EROFS: return "read-only file system"
    case ENAMETOOLONG: return "file name too long"
    case ELOOP: return "too many levels of symbolic links"
    default:
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text).lowercased()
    }
}

/// errno names as C and `man 3 errno` spell them (`EPERM`), glibc's own plus the
/// aliases glibc does not name (`EWOULDBLOCK`, `EDEADLOCK`, `ENOTSUP`).
public enum ErrnoName {
    /// The value of `name`, or nil when no errno is called that.
    public static func value(of name: String) -> Int32? { table[name] }

    /// The name of `code` (the primary one for values with aliases), or nil.
    public static func name(of code: Int32) -> String? { clinux_errno_name(code).map { String(cString: $0) } }

    private static let table: [String: Int32] = {
        var table: [String: Int32] = ["EWOULDBLOCK": EAGAIN, "EDEADLOCK": EDEADLK, "ENOTSUP": EOPNOTSUPP]
        for code in Int32(1)..<4096 {
            if let name = name(of: code) { table[name] = code }
        }
        return table
    }()
}

/// A module's error type that carries system errors as its `.system` case, cause intact.
public protocol SystemFailure: Error {
    static func system(_ error: SystemError) -> Self
}

extension SystemFailure {
    /// Runs `body`, its system error thrown as this type's `.system` case.
    public static func wrapping<T>(_ body: () throws(SystemError) -> T) throws(Self) -> T {
        do {
            return try body()
        } catch {
            throw .system(error)
        }
    }
}
