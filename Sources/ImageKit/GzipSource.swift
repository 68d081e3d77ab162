import CZlib
import Glibc

/// Decompresses a gzip stream of one or more members with zlib, as Go's `gzip.Reader`
/// reads it (multistream): every byte that decompresses is handed out before an error
/// is reported, so a truncated image still shows its leading entries, as it does to
/// actool. libarchive's gzip filter drops its partly filled output block on an error.
///
/// Errors, in Go's words: a cut anywhere is `unexpected EOF`; a member that does not
/// start with a gzip header is `gzip: invalid header`; a bad CRC or length is
/// `gzip: invalid checksum`; broken deflate data is `flate: corrupt input before offset N`.
final class GzipSource: ByteSource {
    private let source: ByteSource
    private var stream = z_stream()
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * 1024, alignment: 16)
    private var sourceEnded = false
    private var atEnd = false
    /// An error met after some output: reported by the next read.
    private var pending: ImageKitError?

    /// `source` must be at the start of the first member.
    init(source: ByteSource) throws(ImageKitError) {
        self.source = source
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            input.deallocate()
            throw .archive("gzip: out of memory")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageKitError) -> Int {
        if let pending { throw pending }
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), !atEnd else { return 0 }
        stream.next_out = base
        stream.avail_out = UInt32(clamping: buffer.count)
        do throws(ImageKitError) {
            while stream.avail_out > 0, !atEnd {
                try inflateSome()
            }
        } catch {
            let filled = buffer.count - Int(stream.avail_out)
            guard filled > 0 else { throw error }
            pending = error
        }
        return buffer.count - Int(stream.avail_out)
    }

    /// One call of `inflate`, with more input first when it has none.
    private func inflateSome() throws(ImageKitError) {
        try refill()
        let status = inflate(&stream, Z_NO_FLUSH)
        switch status {
        case Z_OK:
            return
        case Z_STREAM_END:
            try nextMember()
        case Z_BUF_ERROR where stream.avail_in == 0 && sourceEnded:
            throw .archive("unexpected EOF")
        case Z_BUF_ERROR:
            return
        case Z_DATA_ERROR:
            throw dataError()
        case Z_MEM_ERROR:
            throw .archive("gzip: out of memory")
        default:
            throw .archive("gzip: inflate failed (\(status))")
        }
    }

    /// After a member's trailer: the end of the stream, or another member's header.
    private func nextMember() throws(ImageKitError) {
        try refill()
        if stream.avail_in == 0 {
            atEnd = true
            return
        }
        guard inflateReset(&stream) == Z_OK else { throw .archive("gzip: inflate failed") }
    }

    /// Reads more compressed bytes when the last ones are used up.
    private func refill() throws(ImageKitError) {
        guard stream.avail_in == 0, !sourceEnded else { return }
        let n = try source.read(into: input)
        sourceEnded = n == 0
        stream.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.avail_in = UInt32(n)
    }

    private func dataError() -> ImageKitError {
        let message = stream.msg.map { String(cString: $0) } ?? ""
        switch message {
        case "incorrect header check", "unknown compression method", "unknown header flags set":
            return .archive("gzip: invalid header")
        case "incorrect data check", "incorrect length check":
            return .archive("gzip: invalid checksum")
        default:
            // Go counts from the start of the deflate data; the header is 10 bytes or more.
            return .archive("flate: corrupt input before offset \(max(0, Int(stream.total_in) - 10))")
        }
    }
}
