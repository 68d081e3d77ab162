import CArchive
import Glibc
import GoCompat

/// One tar entry's header, as the walk sees it.
public struct TarEntryHeader: Sendable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket, other
    }

    /// The name exactly as stored (raw bytes; not necessarily UTF-8).
    public let rawName: [UInt8]
    public let kind: Kind
    public let size: Int64

    /// The name as text (invalid UTF-8 shown as U+FFFD): for messages.
    public var name: String { String(decoding: rawName, as: UTF8.self) }
    /// The name cleaned with Go's `path.Clean`, as actool compares names.
    public var cleanedName: String { GoPath.clean(name) }
}

/// Walks the entries of an uncompressed tar stream with libarchive, hashing every
/// byte it consumes, so one pass gives both the entries and the image ID.
public final class TarReader {
    private let stream: ACIStream
    private let archive: OpaquePointer
    private let hasher: ContentHasher?
    private var bytesSeen: Int64 = 0
    private var sourceError: ImageKitError?
    private var finished = false

    /// - Parameters:
    ///   - hashing: hash the decompressed stream (needed for `imageID()`).
    ///   - tee: also receives every decompressed byte, in order (e.g. to store the image
    ///     as it is read). Given here because libarchive starts reading while opening.
    public init(_ stream: ACIStream, hashing: Bool, tee: ((UnsafeRawBufferPointer) throws(ImageKitError) -> Void)? = nil) throws(ImageKitError) {
        self.stream = stream
        self.tee = tee
        hasher = hashing ? ContentHasher() : nil
        guard let a = archive_read_new() else { throw .archive("out of memory") }
        archive = a
        archive_read_support_format_tar(a)
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        let status = archive_read_open(
            a, opaque, nil,
            { _, client, buffer in
                guard let client, let buffer else { return -1 }
                let reader = Unmanaged<TarReader>.fromOpaque(client).takeUnretainedValue()
                return reader.supply(buffer)
            }, nil)
        // libarchive bids on the format while opening. An empty stream is a tar with no
        // entries; any other failure is reported by the first `next()`, as Go's reader would.
        if status != ARCHIVE_OK {
            if sourceError == nil, bytesSeen == 0 {
                finished = true
            } else {
                pending = error(status)
            }
        }
    }

    /// libarchive's entry for the header `next()` returned last (valid until the next
    /// call), for readers of fields the header does not carry (modes, owners, links).
    public private(set) var currentEntry: OpaquePointer?
    private let tee: ((UnsafeRawBufferPointer) throws(ImageKitError) -> Void)?
    /// The name of the entry `next()` returned last, for messages.
    private var currentName = ""
    /// A failure met while opening, reported by the first `next()`.
    private var pending: ImageKitError?

    deinit { archive_read_free(archive) }

    /// libarchive's read callback: hands over the next chunk and hashes it.
    private func supply(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        do {
            let chunk = try stream.chunks.nextChunk()
            hasher?.update(chunk)
            try tee?(chunk)
            bytesSeen += Int64(chunk.count)
            buffer.pointee = chunk.baseAddress
            return chunk.count
        } catch {
            sourceError = error
            return -1
        }
    }

    /// The next entry, or nil after the last one.
    public func next() throws(ImageKitError) -> TarEntryHeader? {
        if let pending { throw pending }
        guard !finished else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            finished = true
            return nil
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            // An empty stream is a tar with no entries, as Go's reader sees it.
            if sourceError == nil, bytesSeen == 0 {
                finished = true
                return nil
            }
            throw error(status)
        }
        let name: [UInt8]
        if let cName = archive_entry_pathname(entry) {
            name = Array(UnsafeRawBufferPointer(start: cName, count: strlen(cName)))
        } else {
            name = []
        }
        let header = TarEntryHeader(rawName: name, kind: TarReader.kind(of: entry), size: archive_entry_size(entry))
        currentName = header.name
        currentEntry = entry
        return header
    }

    /// Reads the current entry's data, at most `limit` bytes.
    public func readData(limit: Int) throws(ImageKitError) -> [UInt8] {
        var data = [UInt8]()
        try streamData { chunk throws(ImageKitError) in
            guard data.count + chunk.count <= limit else { throw .tooLarge(name: currentName, limit: limit) }
            data.append(contentsOf: chunk)
        }
        return data
    }

    /// Hands the current entry's data to `body` in chunks (valid during the call only).
    func streamData(_ body: (UnsafeRawBufferPointer) throws(ImageKitError) -> Void) throws(ImageKitError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if n < 0 { throw error(Int32(n)) }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Hands the current entry's data blocks to `body` with their offsets, as stored:
    /// a sparse member leaves gaps between blocks (holes), which nothing fills in.
    public func readDataBlocks<E: Error>(
        _ body: (UnsafeRawBufferPointer, Int64) throws(E) -> Void,
        failure: (ImageKitError) -> E
    ) throws(E) {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        while true {
            let status = archive_read_data_block(archive, &block, &size, &offset)
            if status == ARCHIVE_EOF { return }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw failure(error(status)) }
            if size > 0 { try body(UnsafeRawBufferPointer(start: block, count: size), offset) }
        }
    }

    /// An entry's name or link text as raw bytes: libarchive's locale form, else its
    /// UTF-8 form (`archive_entry_pathname` / `archive_entry_pathname_utf8` and the like).
    public static func entryBytes(_ text: UnsafePointer<CChar>?, _ utf8: UnsafePointer<CChar>?) -> [UInt8]? {
        guard let text = text ?? utf8 else { return nil }
        return Array(UnsafeRawBufferPointer(start: text, count: strlen(text)))
    }

    /// Reads (and hashes) whatever follows the last entry, then returns the image ID.
    public func imageID() throws(ImageKitError) -> ImageID {
        guard let hasher else { preconditionFailure("TarReader was opened without hashing") }
        // Entries libarchive has not consumed yet, then the end-of-archive and any trailing bytes.
        while try next() != nil {}
        while true {
            let chunk = try stream.chunks.nextChunk()
            if chunk.isEmpty { break }
            hasher.update(chunk)
            try tee?(chunk)
        }
        return ImageID(digest: hasher.finalize())
    }

    private func error(_ status: Int32) -> ImageKitError {
        if let sourceError { return sourceError }
        let text = LibarchiveError.text(archive, fallback: "tar read error (\(status))")
        // libarchive rejects a stream it cannot bid on; Go reads a short one as a truncated header.
        if LibarchiveError.isUnrecognizedFormat(text), bytesSeen < 512 {
            return .archive("unexpected EOF")
        }
        return .archive(LibarchiveError.goReaderMessage(text))
    }

    private static func kind(of entry: OpaquePointer) -> TarEntryHeader.Kind {
        switch archive_entry_filetype(entry) & 0o170000 {
        case 0o100000: return archive_entry_hardlink(entry) != nil ? .hardlink : .regular
        case 0o040000: return .directory
        case 0o120000: return .symlink
        case 0o020000: return .characterDevice
        case 0o060000: return .blockDevice
        case 0o010000: return .fifo
        case 0o140000: return .socket
        default: return archive_entry_hardlink(entry) != nil ? .hardlink : .other
        }
    }
}
