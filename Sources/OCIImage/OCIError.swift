import ImageKit
import LinuxSystem

/// Why a Docker or OCI image could not be read or converted. The message is one line a
/// user can act on; it names the file, layer or reference concerned.
public enum OCIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A reference that is not `[REGISTRY/]REPOSITORY[:TAG|@DIGEST]`, or a bad digest.
    case reference(String)
    /// A manifest, index or config that cannot be used.
    case document(String)
    /// Content whose digest is not the one its descriptor names.
    case digestMismatch(what: String, expected: String, actual: String)
    /// A layer that cannot be converted (paths out of the root, a broken archive).
    case layer(String)
    /// No image in a source matches what was asked.
    case notFound(String)
    case system(SystemError)
    case image(ImageKitError)

    public var message: String {
        switch self {
        case let .reference(text), let .document(text), let .layer(text), let .notFound(text): return text
        case let .digestMismatch(what, expected, actual): return "\(what): digest mismatch: expected \(expected), got \(actual)"
        case let .system(error): return error.description
        case let .image(error): return error.description
        }
    }

    public var description: String { message }

    /// Runs `body`, reporting a system failure as `.system`.
    public static func wrappingSystem<T>(_ body: () throws(SystemError) -> T) throws(OCIError) -> T {
        try wrapping(body)
    }

    /// Runs `body`, reporting a system failure as `.system`.
    static func wrapping<T>(_ body: () throws(SystemError) -> T) throws(OCIError) -> T {
        do {
            return try body()
        } catch {
            throw .system(error)
        }
    }
}
