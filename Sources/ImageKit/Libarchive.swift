import CArchive

/// libarchive's failures, read in one place, and the Go texts they stand for.
public enum LibarchiveError {
    /// What libarchive says about the last failure of `archive`; `fallback` when it says nothing.
    public static func text(_ archive: OpaquePointer, fallback: String) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? fallback
    }

    /// Whether the last failure is "no format bid": libarchive recognised nothing it could read.
    static func isUnrecognizedFormat(_ archive: OpaquePointer) -> Bool {
        isUnrecognizedFormat(text(archive, fallback: ""))
    }

    static func isUnrecognizedFormat(_ text: String) -> Bool {
        text.lowercased().contains("unrecognized archive format")
    }

    /// Go's reader errors for the failures users meet, so messages match actool's;
    /// libarchive's own text for the rest.
    static func goReaderMessage(_ text: String) -> String {
        let lower = text.lowercased()
        if lower.contains("truncated") || lower.contains("premature end") || lower.contains("unexpected eof")
            || lower.contains("no progress is possible")
        {
            return "unexpected EOF"
        }
        if lower.contains("damaged tar archive") || isUnrecognizedFormat(text) {
            return "archive/tar: invalid tar header"
        }
        if lower.contains("crc") || lower.contains("checksum") { return "gzip: invalid checksum" }
        return text
    }
}

/// A libarchive writer whose output collects in memory: one gzip member, one tar entry.
final class MemoryArchiveWriter {
    let archive: OpaquePointer
    /// Where libarchive's callback appends; an object of its own so that a close made
    /// by `archive_write_free` in deinit still writes into something alive.
    private final class Sink { var bytes: [UInt8] = [] }
    private let sink = Sink()
    /// What the writer has produced so far.
    var bytes: [UInt8] { sink.bytes }

    /// A new writer; `configure` sets its format and filters before it is opened.
    init(reserving capacity: Int = 0, configure: (OpaquePointer) -> Void) throws(ImageKitError) {
        guard let a = archive_write_new() else { throw .archive("out of memory") }
        archive = a
        sink.bytes.reserveCapacity(capacity)
        configure(a)
        // No blocking: the output must end exactly where the writer ends.
        archive_write_set_bytes_per_block(a, 0)
        let client = Unmanaged.passUnretained(sink).toOpaque()
        let opened = archive_write_open2(
            a, client, nil,
            { _, client, buffer, length in
                guard let client, let buffer else { return -1 }
                Unmanaged<Sink>.fromOpaque(client).takeUnretainedValue().bytes
                    .append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
                return length
            }, nil, nil)
        guard opened == ARCHIVE_OK else { throw .archive(LibarchiveError.text(a, fallback: "cannot open the writer")) }
    }

    deinit { archive_write_free(archive) }

    /// Closes the writer (flushing compressors, writing trailers); returns the status.
    @discardableResult
    func close() -> Int32 { archive_write_close(archive) }
}
