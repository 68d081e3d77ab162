import Glibc
import GoCompat
import ImageKit
import ImageStore
import LinuxSystem

/// Errors from resolving, extracting, rendering and checking images. `description` is
/// the one line the CLI prints after its `SUBCOMMAND: ` prefix (rkt's wording where
/// rkt has one).
public enum RenderError: SystemFailure, Sendable, Equatable, CustomStringConvertible {
    /// A store lookup failed (`no image IDs found`, `ambiguous image ID`, ...).
    case store(StoreError)
    /// A dependency named without an ID is not in the store and no fetcher found it.
    case discoveryFailed(name: String)
    /// The dependency fetcher failed; the text is its own.
    case fetchFailed(String)
    /// An image depends on one of its own ancestors; the names from the repeated image down.
    case dependencyCycle([String])
    /// The flattened dependency list grew beyond `limit` images (a runaway diamond).
    case tooManyImages(limit: Int)
    /// An image's stored tar does not hash to its key (acirenderer's text: computed, then expected).
    case hashMismatch(computed: String, expected: String)
    /// `verify` found a rendered tree that differs from its recorded hash.
    case treeHashMismatch(actual: String, expected: String)
    /// `verify` of a tree that was never (completely) rendered.
    case notRendered(id: String)
    /// The output directory exists and `overwrite` was not given.
    case outputExists
    /// `overwrite` would remove `/`.
    case refusingRootFilesystem
    /// The image expands to more than `limit` bytes (decompression bombs).
    case tooLarge(limit: Int64)
    /// An entry that would write outside the target: absolute or `..` names, hardlinks out.
    case unsafeEntry(name: String, reason: String)
    /// A tar entry type that has no place in a root filesystem (sockets, unknown types).
    case unsupportedType(name: String)
    /// Two entries that cannot both exist (a non-directory over a directory).
    case conflict(name: String)
    /// A hardlink whose target is not (yet) in the output.
    case missingLinkTarget(name: String, target: String)
    /// The tar stream is broken; libarchive's text.
    case archive(String)
    /// A damaged layer or tree-store file.
    case damaged(String)
    /// A system call failed: `open P: no such file or directory` style.
    case system(SystemError)

    public var description: String {
        switch self {
        case let .store(error): return error.description
        case .discoveryFailed: return "discovery failed"
        case let .fetchFailed(text): return text
        case let .dependencyCycle(names): return "dependency cycle: " + names.joined(separator: " -> ")
        case let .tooManyImages(limit): return "dependency list too long: more than \(limit) images"
        case let .hashMismatch(computed, expected): return "image hash does not match expected (\(computed) != \(expected))"
        case let .treeHashMismatch(actual, expected): return "wrong tree hash: \(actual), expected: \(expected)"
        case let .notRendered(id): return "tree store \(id) is not rendered"
        case .outputExists: return "output directory exists (try --overwrite)"
        case .refusingRootFilesystem: return "this would delete your root filesystem. Refusing."
        case let .tooLarge(limit):
            return "image expands to more than \(limit) bytes; refusing to extract it (raise the limit with RKT_MAX_IMAGE_SIZE)"
        case let .unsafeEntry(name, reason): return "unsafe entry \(goQuote(name)) in image: \(reason)"
        case let .unsupportedType(name): return "unsupported type for entry \(goQuote(name))"
        case let .conflict(name): return "entry \(goQuote(name)) conflicts with a directory of the same name"
        case let .missingLinkTarget(name, target): return "hardlink \(goQuote(name)) points to \(goQuote(target)), which is not there"
        case let .archive(text), let .damaged(text): return text
        case let .system(error): return error.description
        }
    }
}

/// A `FileLock` with its failures as render errors (rkt's key locks:
/// `cas/treestorelocks/ID`, and ours for layers, `cas/layerlocks/KEY`).
func takeLock(_ path: String, exclusive: Bool, wait: Bool) throws(RenderError) -> FileLock? {
    do {
        return try FileLock.acquire(path, exclusive: exclusive, wait: wait)
    } catch {
        throw .system(error)
    }
}
