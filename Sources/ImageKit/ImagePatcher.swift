import AppcSchema
import CArchive
import CZlib
import Glibc
import GoCompat
import LinuxSystem

/// Rewrites an image with a new manifest (the I/O half of `patch-manifest`).
///
/// An image in the spliceable layout (the manifest alone in the first gzip member, or
/// first in an uncompressed tar) is patched by replacing that part and copying every
/// other byte as it is: the cost does not grow with the image. Any other image is read
/// once and rewritten into the spliceable layout.
public enum ImagePatcher {
    /// Why patching failed, in the three places actool reports them.
    public enum Failure: Error, CustomStringConvertible {
        /// The input cannot be opened (`Cannot open P: ERR`).
        case cannotOpen(ImageKitError)
        /// The input is not an image archive (`Cannot extract P: ERR`).
        case cannotExtract(ImageKitError)
        /// Reading the image, the manifest or the patch failed (`Unable to read P: ERR`).
        case unableToRead(any Error)

        public var description: String {
            switch self {
            case let .cannotOpen(error), let .cannotExtract(error): return "\(error)"
            case let .unableToRead(error): return "\(error)"
            }
        }
    }

    public enum Method: Sendable, Equatable {
        /// The input's manifest part was rewritten in place (same size, one page):
        /// nothing was written to the output file.
        case splicedInPlace
        /// A new manifest part, then the input's other bytes copied as they are.
        case spliced
        /// The whole image decompressed, rewritten and recompressed.
        case rewritten
    }

    /// The most that is written in place: one page, which a killed process cannot leave half-written.
    static let inPlaceLimit = 4096

    /// Makes the new manifest bytes from the input's (validated) manifest.
    public typealias Transform = (ImageManifest) throws -> [UInt8]

    /// Patches `input` into `output` (positioned at its start; the caller publishes it,
    /// unless the result is `.splicedInPlace`).
    /// - Parameter inPlace: the output replaces the input (`--replace`): a same-sized
    ///   manifest part may then be written over the input's own.
    public static func patch(
        input: String, into output: AtomicFile, compression: ImageCompression, inPlace: Bool = false, transform: Transform
    ) throws(Failure) -> Method {
        let fd = open(input, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(.system(SystemError("open", input))) }
        defer { close(fd) }
        if let method = try splice(fd: fd, input: input, output: output, compression: compression, inPlace: inPlace, transform: transform) {
            return method
        }
        try rewrite(input: input, output: output, compression: compression, transform: transform)
        return .rewritten
    }

    // MARK: Splicing

    /// Patches in place of the leading manifest part when the layout allows; nil when it does not.
    private static func splice(
        fd: Int32, input: String, output: AtomicFile, compression: ImageCompression, inPlace: Bool, transform: Transform
    ) throws(Failure) -> Method? {
        let leading: (storedLength: Int, tar: [UInt8])
        switch compression {
        case .gzip:
            guard let member = GzipProbe.firstMember(fd: fd, limit: ImageValidator.manifestLimit + 64 * 1024) else { return nil }
            leading = (member.compressedLength, member.content)
        case .none:
            guard let end = TarProbe.endOfFirstEntry(fd: fd, limit: ImageValidator.manifestLimit + 64 * 1024) else { return nil }
            var bytes = [UInt8](repeating: 0, count: end)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, end, 0) }
            guard n == end else { return nil }
            leading = (end, bytes)
        }
        guard let entry = TarProbe.soleManifestEntry(leading.tar) else { return nil }
        let newManifest: [UInt8]
        do {
            newManifest = try transform(try ImageManifest.decode(entry.data))
        } catch {
            throw .unableToRead(error)
        }
        do {
            let part = try leadingPart(try TarProbe.encode(header: entry.header, data: newManifest), compression)
            if inPlace, part.count == leading.storedLength, part.count <= inPlaceLimit, isSoleName(input, of: fd) {
                try overwrite(input, with: part)
                return .splicedInPlace
            }
            try writeAll(fd: output.fd, path: output.targetPath, part)
            try ImageKitError.wrapping { () throws(SystemError) in
                try Files.copy(from: fd, offset: Int64(leading.storedLength), to: output.fd, path: input)
            }
        } catch {
            throw .unableToRead(error)
        }
        return .spliced
    }

    /// Whether `path` is the only name of the regular file open as `fd`: not a symlink to
    /// it, no other hard link (a `cp -al` backup, a build cache) that an in-place write
    /// would change too. Otherwise `--replace` writes a new file and renames it, as actool.
    private static func isSoleName(_ path: String, of fd: Int32) -> Bool {
        var named = stat(), open = stat()
        guard lstat(path, &named) == 0, fstat(fd, &open) == 0 else { return false }
        return named.st_mode & S_IFMT == S_IFREG && named.st_nlink == 1
            && named.st_dev == open.st_dev && named.st_ino == open.st_ino
    }

    /// The manifest entry as it leads an image: alone in a stored gzip member, or as is.
    private static func leadingPart(_ entry: [UInt8], _ compression: ImageCompression) throws(ImageKitError) -> [UInt8] {
        switch compression {
        case .gzip: return try GzipMember.compress(entry, level: GzipMember.storedLevel)
        case .none: return entry
        }
    }

    /// Writes `part` over the start of `path` with one `pwrite` of at most one page.
    private static func overwrite(_ path: String, with part: [UInt8]) throws(ImageKitError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path)) }
        defer { close(fd) }
        let written = part.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == part.count else { throw .system(SystemError("write", path, code: written < 0 ? errno : EIO)) }
    }

    // MARK: Rewriting

    /// One pass over a foreign image: every entry copied with its header, the manifest
    /// moved to the front (in its own member). The rest goes to scratch space first,
    /// because a foreign image usually holds its manifest last.
    private static func rewrite(
        input: String, output: AtomicFile, compression: ImageCompression, transform: Transform
    ) throws(Failure) {
        let stream: ACIStream
        do {
            stream = try ACIStream(path: input, pipelined: true)
        } catch let .system(error) where error.operation == "open" {
            throw .cannotOpen(.system(error))
        } catch {
            throw .cannotExtract(error)
        }
        defer { stream.close() }
        let scratchFile: TemporaryFile
        do {
            scratchFile = try TemporaryFile(directory: Files.directory(of: output.targetPath))
        } catch {
            throw .unableToRead(ImageKitError.system(error))
        }
        let scratch = scratchFile.fd
        do {
            let reader = try TarReader(stream, hashing: false)
            let rest = try ACIWriter(fd: scratch, path: output.targetPath, compression: compression)
            var leadingEntry: [UInt8]?
            while true {
                let header: TarEntryHeader?
                do {
                    header = try reader.next()
                } catch {
                    throw ImageKitError.archive("error reading tarball: \(error)")
                }
                guard let header else { break }
                guard header.cleanedName == "manifest", let entry = reader.currentEntry else {
                    try rest.copyCurrentEntry(of: reader)
                    continue
                }
                // Every manifest entry is patched, as actool does; the first one leads.
                let data = try reader.readData(limit: ImageValidator.manifestLimit)
                let patched = try transform(try ImageManifest.decode(data))
                if leadingEntry == nil {
                    leadingEntry = try TarProbe.encode(header: entry, data: patched)
                } else {
                    try rest.write(copyOf: entry, data: patched)
                }
            }
            try rest.close()
            if let leadingEntry {
                try writeAll(fd: output.fd, path: output.targetPath, try leadingPart(leadingEntry, compression))
            }
            try ImageKitError.wrapping { () throws(SystemError) in try Files.copy(from: scratch, to: output.fd, path: output.targetPath) }
        } catch {
            throw .unableToRead(error)
        }
    }
}
