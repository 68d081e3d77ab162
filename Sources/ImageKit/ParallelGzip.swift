import CArchive
import Dispatch
import Glibc
import LinuxSystem

/// Compresses chunks into gzip members on worker threads and writes them in order.
final class ParallelGzip: @unchecked Sendable {
    // `lock` guards `done`, `nextToWrite` and `failure`; `slots` bounds the chunks in flight.
    private let fd: Int32
    private let path: String
    private let level: Int32
    private let slots: CountingSemaphore
    private let group = DispatchGroup()
    private let lock = CountingSemaphore(1)
    private var done: [Int: [UInt8]] = [:]
    private var nextToWrite = 0
    private var nextSequence = 0
    private var failure: ImageKitError?

    init(fd: Int32, path: String, level: Int32) {
        self.fd = fd
        self.path = path
        self.level = level
        slots = CountingSemaphore(max(2, 2 * ProcessInfoLite.activeProcessorCount))
    }

    func submit(_ chunk: [UInt8], level: Int32? = nil) throws(ImageKitError) {
        let level = level ?? self.level
        if let failure = currentFailure() { throw failure }
        slots.wait()
        let sequence = nextSequence
        nextSequence += 1
        group.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            defer { group.leave() }
            var member: [UInt8] = []
            var error: ImageKitError?
            do throws(ImageKitError) {
                member = try GzipMember.compress(chunk, level: level)
            } catch let failed {
                error = failed
            }
            lock.wait()
            if failure == nil, let error { failure = error }
            // A failed member still takes its place in line, so later ones are released.
            done[sequence] = member
            // Whoever completes the next member in line writes every ready one, in order.
            while let ready = done.removeValue(forKey: nextToWrite) {
                if failure == nil {
                    do throws(ImageKitError) {
                        try writeAll(fd: fd, path: path, ready)
                    } catch let failed {
                        failure = failed
                    }
                }
                nextToWrite += 1
                slots.signal()
            }
            lock.signal()
        }
    }

    func finish() throws(ImageKitError) {
        group.wait()
        if let failure = currentFailure() { throw failure }
    }

    private func currentFailure() -> ImageKitError? {
        lock.wait()
        defer { lock.signal() }
        return failure
    }
}

/// One gzip member made by libarchive's gzip filter over its "raw" format:
/// no file name, no timestamp, so equal input gives equal bytes.
enum GzipMember {
    /// Level 0 stores the data: the member's length then depends only on the data's
    /// length, which lets `patch-manifest` rewrite a same-sized manifest member in place.
    static let storedLevel: Int32 = 0

    static func compress(_ data: [UInt8], level: Int32) throws(ImageKitError) -> [UInt8] {
        let writer = try MemoryArchiveWriter(reserving: data.count / 2 + 1024) { a in
            archive_write_set_format_raw(a)
            archive_write_add_filter_gzip(a)
            archive_write_set_filter_option(a, "gzip", "compression-level", "\(level)")
            archive_write_set_filter_option(a, "gzip", "timestamp", nil)
        }
        let a = writer.archive
        func failure() -> ImageKitError { .archive("gzip: " + LibarchiveError.text(a, fallback: "compression failed")) }
        guard let entry = archive_entry_new() else { throw .archive("out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "member")
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_size(entry, Int64(data.count))
        guard archive_write_header(a, entry) == ARCHIVE_OK else { throw failure() }
        let written = data.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) }
        guard written == data.count, writer.close() == ARCHIVE_OK else { throw failure() }
        return writer.bytes
    }
}

/// The number of cores online.
enum ProcessInfoLite {
    static var activeProcessorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
