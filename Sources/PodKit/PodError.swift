import AppcSchema
import GoCompat
import ImageFetch
import ImageKit
import ImageRender
import ImageStore
import LinuxSystem
import PodNetwork

/// Why a pod operation failed; `description` is the text rkt prints after the command's prefix.
public enum PodError: SystemFailure, Sendable, Equatable, CustomStringConvertible {
    case emptyUUID
    case noMatch(String)
    case ambiguous(Int)
    case notRunning(String)
    case notPrepared(String)
    case system(SystemError)
    case invalid(String)
    /// A manifest value could not be made or read.
    case manifest(ManifestError)
    /// The image store failed (a missing or damaged image).
    case store(StoreError)
    /// Rendering an app's image failed, or removing a pod's tree.
    case render(RenderError)
    /// Getting an image into the store failed (rkt's wrapped chain; `--debug` prints it whole).
    case fetch(FetchError)
    /// The pod's network could not be set up.
    case network(NetworkError)
    /// `--uuid-file` could not be read (rkt's `status` exits 1 on this, not 254).
    case unreadableUUIDFile(ImageKitError)
    /// A string bound for a process (path, argv, environment) or for stage1's plan holds a
    /// NUL byte: `app` names the app (nil for pod-wide fields), `field` what it is.
    case nulByte(app: String?, field: String)

    public var description: String {
        switch self {
        case .emptyUUID: return "UUID cannot be empty"
        case let .noMatch(text): return "no matches found for \(goQuote(text))"
        case let .ambiguous(count): return "ambiguous uuid, \(count) matches"
        case let .notRunning(uuid): return "pod \(goQuote(uuid)) isn't currently running"
        case let .notPrepared(uuid): return "pod \(goQuote(uuid)) is not prepared"
        case let .system(error): return error.description
        case let .invalid(text): return text
        case let .manifest(error): return error.description
        case let .store(error): return error.description
        case let .render(error): return error.description
        case let .fetch(error): return error.description
        case let .network(error): return "networking: \(error)"
        case let .unreadableUUIDFile(cause): return "unable to resolve UUID from file: \(cause)"
        case let .nulByte(app?, field): return "app \(goQuote(app)): \(field) contains a NUL byte"
        case let .nulByte(nil, field): return "\(field) contains a NUL byte"
        }
    }
}
