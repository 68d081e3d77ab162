import Glibc
import LinuxSystem
@_exported import LinuxSystem

/// Errors from reading and checking images. `description` is the one-line text
/// the tools print (the Go tool's wording where there is one).
public enum ImageKitError: SystemFailure, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed: `open P: no such file or directory` style (Go's PathError).
    case system(SystemError)
    /// The file does not start like a gzip, bzip2, xz or tar stream.
    case unknownFileType
    /// A text file was given where an image archive is needed.
    case notAnArchive
    /// Decompression or tar parsing failed; the text is the Go reader's where known.
    case archive(String)
    /// The archive or layout breaks an ACI rule (appc-spec.md §1.2).
    case invalidImage(String)
    /// An image ID or ID prefix that cannot be used.
    case invalidImageID(String, String)
    /// A command refused or failed, with the tool's own text (e.g. `Target file exists (try --overwrite)`).
    case failed(String)
    /// A file or entry read whole (a manifest) is larger than we agree to hold in memory.
    case tooLarge(name: String, limit: Int)

    public var description: String {
        switch self {
        case let .system(error):
            return error.description
        case .unknownFileType:
            return "error: unknown image filetype"
        case .notAnArchive:
            return "no type returned from DetectFileType?"
        case let .archive(message), let .invalidImage(message), let .failed(message):
            return message
        case let .invalidImageID(id, reason):
            return "\(reason): \(id)"
        case let .tooLarge(name, limit):
            return "\(name) is larger than \(limit >> 20) MiB; refusing to read it"
        }
    }
}
