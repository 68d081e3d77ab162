import CArchive
import Glibc
import ImageKit
import LinuxSystem

/// An image's uncompressed tar read with libarchive, every byte hashed on the way,
/// so one pass both extracts the image and proves it is the image its key names.
final class ArchiveSource {
    let path: String
    private let fd: Int32
    private let archive: OpaquePointer
    private let hasher = SHA512Hasher()
    private let buffer: UnsafeMutableRawBufferPointer
    private var readErrno: Int32 = 0
    private var finished = false

    init(path: String) throws(RenderError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path)) }
        guard let a = archive_read_new() else {
            close(fd)
            throw .archive("\(path): out of memory")
        }
        self.fd = fd
        archive = a
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        archive_read_support_format_tar(a)
        let client = Unmanaged.passUnretained(self).toOpaque()
        let status = archive_read_open(a, client, nil, { _, client, out in
            guard let client, let out else { return -1 }
            return Unmanaged<ArchiveSource>.fromOpaque(client).takeUnretainedValue().fill(out)
        }, nil)
        guard status == ARCHIVE_OK else { throw failure(status) }
    }

    deinit {
        archive_read_free(archive)
        buffer.deallocate()
        close(fd)
    }

    /// libarchive's read callback: the next chunk of the file, hashed.
    private func fill(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        while true {
            let n = Syscall.retrying { read(fd, buffer.baseAddress, buffer.count) }
            if n < 0 {
                readErrno = errno
                return -1
            }
            if n > 0 { hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
            out.pointee = UnsafeRawPointer(buffer.baseAddress)
            return n
        }
    }

    /// The next entry (libarchive's, valid until the next call), nil after the last.
    func next() throws(RenderError) -> OpaquePointer? {
        guard !finished else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            finished = true
            return nil
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw failure(status) }
        return entry
    }

    /// Hands the current entry's data blocks to `sink` with their offsets (sparse
    /// members leave gaps between blocks).
    func readData(into sink: DataSink) throws(RenderError) {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        while true {
            let status = archive_read_data_block(archive, &block, &size, &offset)
            if status == ARCHIVE_EOF { return }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw failure(status) }
            if size > 0 { try sink.consume(UnsafeRawBufferPointer(start: block, count: size), at: offset) }
        }
    }

    /// After the last entry: hashes whatever follows and returns the key (`sha512-` + 64 hex).
    func finishKey() throws(RenderError) -> String {
        while try next() != nil {}
        try RenderError.wrapping { () throws(SystemError) in try hasher.update(readingAll: fd, path: path) }
        return keyForm(hasher)
    }

    private func failure(_ status: Int32) -> RenderError {
        if readErrno != 0 { return .system(SystemError("read", path, code: readErrno)) }
        let text = archive_error_string(archive).map { String(cString: $0) } ?? "tar read error (\(status))"
        return .archive("\(path): \(text)")
    }

    /// An entry's name, link texts as raw bytes (libarchive's locale form, else its UTF-8 form).
    static func bytes(_ text: UnsafePointer<CChar>?, _ utf8: UnsafePointer<CChar>?) -> [UInt8]? {
        guard let text = text ?? utf8 else { return nil }
        return Array(UnsafeRawBufferPointer(start: text, count: strlen(text)))
    }
}

/// Receives an entry's data blocks.
protocol DataSink: AnyObject {
    func consume(_ block: UnsafeRawBufferPointer, at offset: Int64) throws(RenderError)
}

/// Collects a small entry (the manifest) in memory, up to `limit` bytes.
final class ByteCollector: DataSink {
    private(set) var bytes: [UInt8] = []
    let limit: Int
    let name: String

    init(limit: Int, name: String) {
        self.limit = limit
        self.name = name
    }

    func consume(_ block: UnsafeRawBufferPointer, at offset: Int64) throws(RenderError) {
        let end = Int(offset) + block.count
        guard offset >= 0, end <= limit else { throw .archive("\(name) is larger than \(limit >> 20) MiB") }
        if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
        bytes.replaceSubrange(Int(offset)..<end, with: block)
    }
}

/// Writes a regular file's blocks at their offsets (holes stay holes) and hashes the
/// content, holes as zeros. Refuses to go past the declared size.
final class FileSink: DataSink {
    let fd: Int32
    let size: Int64
    let path: String
    private let hasher = SHA512Hasher()
    private var position: Int64 = 0
    private static let zeros = [UInt8](repeating: 0, count: 1 << 16)

    init(fd: Int32, size: Int64, path: String) {
        self.fd = fd
        self.size = size
        self.path = path
    }

    func consume(_ block: UnsafeRawBufferPointer, at offset: Int64) throws(RenderError) {
        guard offset >= position, offset + Int64(block.count) <= size else {
            throw .archive("\(path): data does not match the entry's size")
        }
        hashZeros(upTo: offset)
        var done = 0
        while done < block.count {
            let n = Syscall.retrying { pwrite(fd, block.baseAddress.map { $0 + done }, block.count - done, off_t(offset) + off_t(done)) }
            guard n >= 0 else { throw .system(SystemError("write", path)) }
            done += n
        }
        hasher.update(block)
        position = offset + Int64(block.count)
    }

    /// Completes the file to its size and returns the content's SHA-512 hex.
    func finish() throws(RenderError) -> String {
        hashZeros(upTo: size)
        guard ftruncate(fd, off_t(size)) == 0 else { throw .system(SystemError("truncate", path)) }
        return ImageID.hexString(hasher.finalize())
    }

    private func hashZeros(upTo end: Int64) {
        while position < end {
            let n = Int(min(Int64(FileSink.zeros.count), end - position))
            FileSink.zeros.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            position += Int64(n)
        }
    }
}
