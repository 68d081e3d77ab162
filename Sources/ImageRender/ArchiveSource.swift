import CArchive
import Glibc
import ImageKit
import LinuxSystem

/// A stored image's uncompressed tar, read with ImageKit's `TarReader`, every byte
/// hashed on the way: one pass both extracts the image and proves it is the image its
/// key names. Failures become RenderErrors naming the file.
final class ArchiveSource {
    let path: String
    private let stream: ACIStream
    private let reader: TarReader

    init(path: String) throws(RenderError) {
        self.path = path
        do throws(ImageKitError) {
            stream = try ACIStream(path: path, pipelined: true, knownTar: true)
        } catch {
            throw Self.renderError(error, path: path)
        }
        do throws(ImageKitError) {
            reader = try TarReader(stream, hashing: true)
        } catch {
            stream.close()
            throw Self.renderError(error, path: path)
        }
    }

    deinit { stream.close() }

    /// The next entry (libarchive's, valid until the next call), nil after the last.
    func next() throws(RenderError) -> OpaquePointer? {
        do throws(ImageKitError) {
            guard try reader.next() != nil else { return nil }
            return reader.currentEntry
        } catch {
            throw Self.renderError(error, path: path)
        }
    }

    /// Hands the current entry's data blocks to `sink` with their offsets (sparse
    /// members leave gaps between blocks).
    func readData(into sink: DataSink) throws(RenderError) {
        let path = self.path
        try reader.readDataBlocks(
            { (block, offset) throws(RenderError) in try sink.consume(block, at: offset) },
            failure: { Self.renderError($0, path: path) })
    }

    /// After the last entry: hashes whatever follows and returns the key (`sha512-` + 64 hex).
    func finishKey() throws(RenderError) -> String {
        do throws(ImageKitError) {
            return try reader.imageID().storeKey
        } catch {
            throw Self.renderError(error, path: path)
        }
    }

    private static func renderError(_ error: ImageKitError, path: String) -> RenderError {
        if case let .system(failure) = error { return .system(failure) }
        return .archive("\(path): \(error)")
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
    private let hasher = ContentHasher()
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
