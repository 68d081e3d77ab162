import Glibc
import LinuxSystem

/// An image file opened for streaming: its sniffed type and its decompressed bytes.
///
/// The caller owns it and must call `close()`; nothing is read beyond what the
/// consumer asks for (plus, when pipelined, a few chunks of read-ahead).
public final class ACIStream {
    public let path: String
    public let fileType: FileType
    private let fd: Int32
    let chunks: ChunkSource
    private var closed = false

    /// Chunk size for streaming: large enough to amortise per-chunk work (256 KiB reads a
    /// 1 GiB image as fast as 1 MiB did), small enough that the pipeline's four slots
    /// cost 1 MiB, not 4.
    static let chunkSize = 256 << 10

    /// Opens `path`, sniffs it, and prepares decompression.
    ///
    /// - Parameter pipelined: decompress on a second thread, ahead of the consumer. Right
    ///   for reading a whole image; wrong for reading only its first entries.
    /// - Throws: `.system` when the file cannot be opened or read (Go's wording,
    ///   `open P: no such file or directory`), `.unknownFileType` / `.notAnArchive`
    ///   when it is not an image archive, `.archive` for a broken compressed header.
    /// - Parameter knownTar: the file is an uncompressed tar (a stored image); it is not
    ///   sniffed (a tar without the `ustar` magic, from an old writer, is still a tar).
    public init(path: String, pipelined: Bool, knownTar: Bool = false) throws(ImageKitError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path)) }
        self.fd = fd
        do throws(ImageKitError) {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: FileType.sniffLength, alignment: 1)
            defer { buffer.deallocate() }
            let n = try FileSource(fd: fd, path: path).read(into: buffer)
            let head = Array(buffer[0..<n])
            let type = knownTar ? .tar : FileType.detect(head)
            fileType = type
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw .system(SystemError("seek", path)) }
            if type == .gzip { try ACIStream.checkGzipHeader(head) }
            let source = try ACIStream.decompressing(FileSource(fd: fd, path: path), type)
            chunks =
                pipelined
                ? PipelinedChunks(source, chunkSize: ACIStream.chunkSize)
                : DirectChunks(source, chunkSize: 64 * 1024)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Opens a Docker or OCI layer blob (`fd` is duplicated; `path` names it in messages): a
    /// tar stream, plain or compressed with gzip, zstd, xz or bzip2, told apart by its
    /// first bytes. Always pipelined: a layer is read whole.
    public convenience init(layerFD: Int32, path: String) throws(ImageKitError) {
        let fd = fcntl(layerFD, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw .system(SystemError("dup", path)) }
        var head = [UInt8](repeating: 0, count: 6)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        // The duplicate shares the original's offset, which a writer may have left at the end.
        guard n >= 0, lseek(fd, 0, SEEK_SET) == 0 else {
            let error = SystemError("read", path)
            Glibc.close(fd)
            throw .system(error)
        }
        try self.init(layer: FileSource(fd: fd, path: path), head: Array(head.prefix(n)), ownedFD: fd, path: path)
    }

    /// Opens a layer blob still being downloaded: reads wait for its bytes.
    public convenience init(layer file: GrowingFile, path: String) throws(ImageKitError) {
        try self.init(layer: file.reader(), head: try file.head(6), ownedFD: -1, path: path)
    }

    private init(layer source: ByteSource, head: [UInt8], ownedFD: Int32, path: String) throws(ImageKitError) {
        self.path = path
        fd = ownedFD
        fileType = .tar
        do throws(ImageKitError) {
            // Anything not compressed goes to the tar reader as it is, which judges it.
            let type = FileType.detect(head)
            let decompressed =
                head.starts(with: [0x28, 0xb5, 0x2f, 0xfd])
                ? try DecompressorSource(source: source, filter: .zstd)
                : try ACIStream.decompressing(source, [.gzip, .bzip2, .xz].contains(type) ? type : .tar)
            chunks = PipelinedChunks(decompressed, chunkSize: ACIStream.chunkSize)
        } catch {
            if ownedFD >= 0 { Glibc.close(ownedFD) }
            throw error
        }
    }

    deinit { close() }

    /// Stops read-ahead and closes the file. Safe to call twice.
    public func close() {
        guard !closed else { return }
        closed = true
        chunks.close()
        if fd >= 0 { Glibc.close(fd) }
    }

    /// `source` read through the decompressor `type` needs (a tar as it is); a type that
    /// holds no image archive is refused.
    private static func decompressing(_ source: ByteSource, _ type: FileType) throws(ImageKitError) -> ByteSource {
        switch type {
        case .tar: return source
        case .gzip: return try GzipSource(source: source)
        case .bzip2: return try DecompressorSource(source: source, filter: .bzip2)
        case .xz: return try DecompressorSource(source: source, filter: .xz)
        case .unknown: throw .unknownFileType
        case .text: throw .notAnArchive
        }
    }

    /// Go's `gzip.NewReader` checks the 10-byte header before anything is read;
    /// actool reports its errors as `Cannot extract`.
    private static func checkGzipHeader(_ head: [UInt8]) throws(ImageKitError) {
        guard head.count >= 10 else { throw .archive("unexpected EOF") }
        guard head[2] == 8 else { throw .archive("gzip: invalid header") }
    }

    /// Reads what is left of the stream (past a tar's end: padding, a compressor's
    /// trailer), so a source that checks its content at its end (a download) has done so.
    public func drain() throws(ImageKitError) {
        while try !chunks.nextChunk().isEmpty {}
    }

    /// Hashes every remaining decompressed byte: the image ID when nothing was read yet.
    public func imageID() throws(ImageKitError) -> ImageID {
        let hasher = ContentHasher()
        while true {
            let chunk = try chunks.nextChunk()
            if chunk.isEmpty { break }
            hasher.update(chunk)
        }
        return ImageID(digest: hasher.finalize())
    }
}
