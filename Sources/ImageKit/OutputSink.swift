import CArchive
import Dispatch
import Glibc
import LinuxSystem

/// How an image's tar stream is stored.
public enum ImageCompression: Sendable, Equatable {
    case none
    /// gzip as independent members (each an ordinary gzip stream; concatenated
    /// they are one gzip file to every reader), compressed on all cores.
    case gzip(level: Int32)

    /// Fast by default: compression is the cost of `build`.
    public static let defaultGzip = ImageCompression.gzip(level: 1)
}

/// Receives an uncompressed tar stream and writes it to a file descriptor,
/// compressing it when asked. `endMember()` closes the current gzip member, so the
/// next bytes start a new one: that is how the manifest gets a member of its own.
final class OutputSink {
    private let fd: Int32
    private let path: String
    private let compression: ImageCompression
    /// Uncompressed bytes per gzip member: 512 KiB compresses as well and as fast as 1 MiB
    /// and halves what the members in flight hold.
    private let memberSize = 512 << 10
    private var pending: [UInt8] = []
    private let compressor: ParallelGzip?
    private(set) var bytesIn: Int64 = 0
    /// Start writing back to the disk every `writeBehindStep` bytes (uncompressed only).
    private let writeBehind: Bool
    private var flushedTo: Int64 = 0
    private static let writeBehindStep: Int64 = 16 << 20

    /// - Parameter writeBehind: the file will be synced when done (a store's blob): start
    ///   its write-back as it is written, so the final sync has little left to wait for.
    init(fd: Int32, path: String, compression: ImageCompression, writeBehind: Bool = false) {
        self.fd = fd
        self.path = path
        self.compression = compression
        self.writeBehind = writeBehind
        if case let .gzip(level) = compression {
            compressor = ParallelGzip(fd: fd, path: path, level: level)
        } else {
            compressor = nil
        }
        pending.reserveCapacity(memberSize)
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws(ImageKitError) {
        bytesIn += Int64(buffer.count)
        guard let compressor else {
            try writeAll(fd: fd, path: path, buffer)
            if writeBehind, bytesIn - flushedTo >= OutputSink.writeBehindStep {
                Files.startWriteBack(fd, offset: flushedTo, length: bytesIn - flushedTo)
                flushedTo = bytesIn
            }
            return
        }
        var rest = buffer[...]
        while !rest.isEmpty {
            let take = min(rest.count, memberSize - pending.count)
            pending.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            if pending.count == memberSize {
                try compressor.submit(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Ends the current gzip member (no-op without compression or when nothing is pending).
    /// - Parameter level: this member's gzip level, when not the stream's.
    func endMember(level: Int32? = nil) throws(ImageKitError) {
        guard let compressor, !pending.isEmpty else { return }
        try compressor.submit(pending, level: level)
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes everything and waits for the compressors.
    func finish() throws(ImageKitError) {
        try endMember()
        try compressor?.finish()
    }
}

/// Writes all of `buffer` to `fd` (`Files.writeAll` with an ImageKitError).
func writeAll(fd: Int32, path: String, _ buffer: UnsafeRawBufferPointer) throws(ImageKitError) {
    try ImageKitError.wrapping { () throws(SystemError) in try Files.writeAll(fd, buffer, path: path) }
}

/// Writes all of `bytes` to `fd` (`Files.writeAll` with an ImageKitError).
func writeAll(fd: Int32, path: String, _ bytes: [UInt8]) throws(ImageKitError) {
    try ImageKitError.wrapping { () throws(SystemError) in try Files.writeAll(fd, bytes, path: path) }
}
