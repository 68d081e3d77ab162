import CArchive
import Dispatch
import Glibc
import LinuxSystem
import Synchronization

/// Something that fills buffers with the next bytes of a stream: a file, or a decompressor.
protocol ByteSource: AnyObject {
    /// Fills as much of `buffer` as it can; returns the count, 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageKitError) -> Int
}

/// A stream consumed chunk by chunk; each chunk stays valid until the next call.
protocol ChunkSource: AnyObject {
    /// The next chunk; empty at the end of the stream.
    func nextChunk() throws(ImageKitError) -> UnsafeRawBufferPointer
    /// Stops any background work. Further calls to `nextChunk` are not allowed.
    func close()
}

/// Reads a file descriptor (not closed here).
final class FileSource: ByteSource {
    private let fd: Int32
    private let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageKitError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = Syscall.retrying { Glibc.read(fd, buffer.baseAddress.map { $0 + filled }, buffer.count - filled) }
            if n > 0 {
                filled += n
                continue
            }
            if n == 0 { break }
            throw .system(SystemError("read", path))
        }
        return filled
    }
}

/// Decompresses bzip2, xz or zstd in-process with libarchive's filters, exposing
/// the decompressed bytes through libarchive's "raw" format.
final class DecompressorSource: ByteSource {
    private let archive: OpaquePointer
    private var atEnd = false

    /// The compressions read through libarchive (gzip has `GzipSource`).
    enum Filter {
        case bzip2, xz, zstd
    }

    /// What libarchive's read callback reads: the compressed bytes, a buffer at a time.
    private final class Input {
        let source: ByteSource
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * 1024, alignment: 16)
        var failure: ImageKitError?

        init(_ source: ByteSource) { self.source = source }
        deinit { buffer.deallocate() }
    }
    private let input: Input

    /// Decompresses what `source` reads (from the start of the compressed stream).
    init(source: ByteSource, filter: Filter) throws(ImageKitError) {
        guard let a = archive_read_new() else { throw .archive("out of memory") }
        archive = a
        input = Input(source)
        let expectedFilter: Int32
        switch filter {
        case .bzip2:
            archive_read_support_filter_bzip2(a)
            expectedFilter = ARCHIVE_FILTER_BZIP2
        case .xz:
            archive_read_support_filter_xz(a)
            expectedFilter = ARCHIVE_FILTER_XZ
        case .zstd:
            archive_read_support_filter_zstd(a)
            expectedFilter = ARCHIVE_FILTER_ZSTD
        }
        archive_read_support_format_raw(a)
        var status = archive_read_open(
            a, Unmanaged.passUnretained(input).toOpaque(), nil,
            { _, client, buffer in
                guard let client, let buffer else { return -1 }
                let input = Unmanaged<Input>.fromOpaque(client).takeUnretainedValue()
                do throws(ImageKitError) {
                    let n = try input.source.read(into: input.buffer)
                    buffer.pointee = UnsafeRawPointer(input.buffer.baseAddress)
                    return n
                } catch {
                    input.failure = error
                    return -1
                }
            }, nil)
        var entry: OpaquePointer?
        if status == ARCHIVE_OK { status = archive_read_next_header(a, &entry) }
        // The raw format bids on any first byte: no bid means nothing came out of the decompressor.
        if status == ARCHIVE_FATAL, LibarchiveError.isUnrecognizedFormat(a) {
            status = ARCHIVE_EOF
        }
        switch status {
        case ARCHIVE_EOF:
            // The raw format reports EOF at once for an empty decompressed stream.
            atEnd = true
        case ARCHIVE_OK, ARCHIVE_WARN:
            // Without a matching filter libarchive would hand back the compressed bytes unchanged.
            if archive_filter_code(a, 0) != expectedFilter {
                pending = .archive(DecompressorSource.badMagicMessage(filter))
            }
        default:
            // Go's decompressors fail on their first read, not when created: so do we.
            pending = input.failure ?? DecompressorSource.error(from: a)
        }
    }

    /// A failure met while opening, reported by the first read.
    private var pending: ImageKitError?

    deinit { archive_read_free(archive) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageKitError) -> Int {
        if let pending { throw pending }
        var filled = 0
        while !atEnd, filled < buffer.count {
            let n = archive_read_data(archive, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            if n < 0 {
                let error = input.failure ?? DecompressorSource.error(from: archive)
                // What was decompressed before the failure is read first, as Go's readers
                // give it: a truncated image still shows its leading entries.
                guard filled > 0 else { throw error }
                pending = error
                return filled
            }
            if n == 0 { atEnd = true }
            filled += n
        }
        return filled
    }

    private static func badMagicMessage(_ filter: Filter) -> String {
        switch filter {
        case .bzip2: return "bzip2 data invalid: bad magic value"
        case .xz: return "xz: file format not recognized"
        case .zstd: return "zstd: invalid magic number"
        }
    }

    static func error(from archive: OpaquePointer) -> ImageKitError {
        .archive(LibarchiveError.goReaderMessage(LibarchiveError.text(archive, fallback: "unknown decompression error")))
    }
}

/// Chunks from a source on the calling thread, through one buffer.
final class DirectChunks: ChunkSource {
    private let source: ByteSource
    private let buffer: UnsafeMutableRawBufferPointer

    init(_ source: ByteSource, chunkSize: Int) {
        self.source = source
        buffer = .allocate(byteCount: chunkSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    func nextChunk() throws(ImageKitError) -> UnsafeRawBufferPointer {
        let n = try source.read(into: buffer)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<n])
    }

    func close() {}
}

/// Chunks produced by a background thread a few buffers ahead of the consumer, so
/// that decompressing and hashing run on both cores. Memory: `depth` chunks.
final class PipelinedChunks: ChunkSource, @unchecked Sendable {
    // A slot belongs to the producer between `free.wait()` and `full.signal()`, and to
    // the consumer from `full.wait()` until its next call; the semaphores order all access.
    private let source: ByteSource
    private let slots: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    private var failure: ImageKitError?
    private let free: CountingSemaphore
    private let full = CountingSemaphore(0)
    private let finished = CountingSemaphore(0)
    private let cancelled = Atomic<Bool>(false)
    private var consumerIndex = 0
    private var holdingSlot = false
    private var sawEnd = false

    init(_ source: ByteSource, chunkSize: Int, depth: Int = 4) {
        self.source = source
        slots = (0..<depth).map { _ in .allocate(byteCount: chunkSize, alignment: 16) }
        lengths = Array(repeating: 0, count: depth)
        free = CountingSemaphore(depth)
        DispatchQueue.global(qos: .userInitiated).async { [self] in produce() }
    }

    deinit {
        for slot in slots { slot.deallocate() }
    }

    private func produce() {
        defer { finished.signal() }
        var index = 0
        while true {
            free.wait()
            if cancelled.load(ordering: .acquiring) { return }
            let i = index % slots.count
            do {
                lengths[i] = try source.read(into: slots[i])
            } catch {
                failure = error
                lengths[i] = -1
            }
            let length = lengths[i]
            full.signal()
            if length <= 0 { return }
            index += 1
        }
    }

    func nextChunk() throws(ImageKitError) -> UnsafeRawBufferPointer {
        if sawEnd { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if holdingSlot {
            free.signal()
            consumerIndex += 1
        }
        full.wait()
        holdingSlot = true
        let i = consumerIndex % slots.count
        let length = lengths[i]
        if length < 0 {
            sawEnd = true
            throw failure ?? .archive("decompression failed")
        }
        if length == 0 { sawEnd = true }
        return UnsafeRawBufferPointer(rebasing: slots[i][0..<length])
    }

    /// Stops the producer and waits for it, so nothing touches the slots or the source afterwards.
    func close() {
        if cancelled.exchange(true, ordering: .acquiringAndReleasing) { return }
        free.signal()
        finished.wait()
    }
}
