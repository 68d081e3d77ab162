import Glibc
import LinuxSystem

/// A file one thread is still writing (a download) while another reads it (a
/// conversion): reads wait for the bytes they need, and see the end only once the
/// writer says the content is whole and checked (`finish()`), or fail with the
/// writer's error (`fail(_:)`). The bytes live in an unnamed file under `directory`.
public final class GrowingFile: @unchecked Sendable {
    private let file: TemporaryFile
    private let lock = ConditionLock()
    private var written: Int64 = 0
    private var finished = false
    private var failure: ImageKitError?

    public init(directory: String) throws(SystemError) {
        file = try TemporaryFile(directory: directory)
    }

    /// Bytes appended but not written yet: the writer writes (and wakes readers) a MiB
    /// at a time, not for every few KiB a network read gives.
    private var pending: [UInt8] = []
    private static let batch = 1 << 20

    /// Appends bytes (writer side).
    public func append(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        pending.append(contentsOf: bytes)
        if pending.count >= GrowingFile.batch { try flush() }
    }

    private func flush() throws(SystemError) {
        guard !pending.isEmpty else { return }
        try file.write(pending)
        let count = Int64(pending.count)
        pending.removeAll(keepingCapacity: true)
        update { written += count }
    }

    /// The content is whole: readers see its end.
    public func finish() throws(SystemError) {
        try flush()
        update { finished = true }
    }

    /// The content will never be whole: readers fail with `message`.
    public func fail(_ message: String) { update { failure = failure ?? .archive(message) } }

    private func update(_ change: () -> Void) {
        lock.locked {
            change()
            lock.wake()
        }
    }

    /// Waits until more than `offset` bytes are written (their count), or the end
    /// (`offset` itself, when finished there).
    func available(after offset: Int64) throws(ImageKitError) -> Int64 {
        try lock.locked { () throws(ImageKitError) -> Int64 in
            while true {
                if let failure { throw failure }
                if written > offset || finished { return written }
                lock.wait()
            }
        }
    }

    /// A reader from the start, which waits for bytes as they come.
    func reader() -> ByteSource { Reader(self) }

    private final class Reader: ByteSource {
        private let file: GrowingFile
        private var offset: Int64 = 0

        init(_ file: GrowingFile) { self.file = file }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageKitError) -> Int {
            let end = try file.available(after: offset)
            let count = Int(min(Int64(buffer.count), end - offset))
            guard count > 0 else { return 0 }
            let n = Syscall.retrying { pread(file.file.fd, buffer.baseAddress, count, off_t(offset)) }
            guard n > 0 else { throw .system(SystemError("read", file.file.name)) }
            offset += Int64(n)
            return n
        }
    }

    /// The first bytes, once there are `count` of them or the content is whole.
    func head(_ count: Int) throws(ImageKitError) -> [UInt8] {
        var end = try available(after: 0)
        while end < Int64(count) {
            let more = try available(after: end)
            if more == end { break }
            end = more
        }
        var bytes = [UInt8](repeating: 0, count: Int(min(end, Int64(count))))
        let n = bytes.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress, $0.count, 0) }
        guard n == bytes.count else { throw .system(SystemError("read", file.name)) }
        return bytes
    }
}
