import CArchive
import Glibc
import LinuxSystem

/// Writes an ACI: a tar stream (libarchive, pax where needed, ustar otherwise) whose
/// first entry is the manifest, alone in the first gzip member when compressed, so
/// `patch-manifest` can later replace that member and copy the rest untouched.
public final class ACIWriter {
    /// One entry's header, as it will be written.
    public struct Header: Sendable {
        public enum Kind: Sendable, Equatable {
            case regular, directory
            case symlink(target: [UInt8])
            case hardlink(target: [UInt8])
            case fifo
            case characterDevice(major: UInt32, minor: UInt32)
            case blockDevice(major: UInt32, minor: UInt32)
        }

        public var name: [UInt8]
        public var kind: Kind
        public var mode: UInt32
        public var uid: Int64 = 0
        public var gid: Int64 = 0
        public var userName = ""
        public var groupName = ""
        public var mtime: timespec = timespec()
        public var size: Int64 = 0

        public init(name: [UInt8], kind: Kind, mode: UInt32) {
            self.name = name
            self.kind = kind
            self.mode = mode
        }

        /// The fields of a regular file's header as libarchive read them.
        init(regularFile entry: OpaquePointer) {
            let name = archive_entry_pathname(entry).map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
            self.init(name: name, kind: .regular, mode: UInt32(archive_entry_perm(entry)))
            uid = archive_entry_uid(entry)
            gid = archive_entry_gid(entry)
            userName = archive_entry_uname(entry).map { String(cString: $0) } ?? ""
            groupName = archive_entry_gname(entry).map { String(cString: $0) } ?? ""
            mtime = timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: archive_entry_mtime_nsec(entry))
            size = archive_entry_size(entry)
        }
    }

    private let archive: OpaquePointer
    private let sink: OutputSink
    private let path: String
    private var failure: ImageKitError?
    private var closed = false
    private let hasher: ContentHasher?

    /// - Parameters:
    ///   - fd: where the image goes (not closed here).
    ///   - path: the file's name, for messages.
    ///   - hashing: hash the uncompressed stream, for `imageID()`.
    ///   - writeBehind: the file will be synced when done: start its write-back early.
    public init(fd: Int32, path: String, compression: ImageCompression, hashing: Bool = false, writeBehind: Bool = false) throws(ImageKitError) {
        guard let a = archive_write_new() else { throw .archive("out of memory") }
        archive = a
        hasher = hashing ? ContentHasher() : nil
        self.path = path
        sink = OutputSink(fd: fd, path: path, compression: compression, writeBehind: writeBehind)
        archive_write_set_format_pax_restricted(a)
        // No blocking: the stream ends right after the two end-of-archive blocks,
        // and each entry reaches the sink as soon as it is written.
        archive_write_set_bytes_per_block(a, 0)
        let client = Unmanaged.passUnretained(self).toOpaque()
        let status = archive_write_open2(
            a, client, nil,
            { _, client, buffer, length in
                guard let client, let buffer else { return -1 }
                let writer = Unmanaged<ACIWriter>.fromOpaque(client).takeUnretainedValue()
                return writer.accept(UnsafeRawBufferPointer(start: buffer, count: length))
            }, nil, nil)
        guard status == ARCHIVE_OK else { throw error() }
    }

    deinit { archive_write_free(archive) }

    private func accept(_ buffer: UnsafeRawBufferPointer) -> Int {
        do {
            hasher?.update(buffer)
            try sink.write(buffer)
            return buffer.count
        } catch {
            failure = error
            return -1
        }
    }

    /// Writes the manifest entry and closes the gzip member it is in, which is stored
    /// (not compressed): a few hundred bytes more, and a patch of the same size can be
    /// written over it in place.
    public func writeManifest(_ bytes: [UInt8], header: Header) throws(ImageKitError) {
        var header = header
        header.size = Int64(bytes.count)
        try writeHeader(header)
        try writeData(bytes)
        try finishEntry()
        try sink.endMember(level: GzipMember.storedLevel)
    }

    /// Writes an entry without data (directories, links, devices, fifos; empty files).
    public func write(_ header: Header) throws(ImageKitError) {
        try writeHeader(header)
        try finishEntry()
    }

    /// Writes a regular file with `data` as its contents (`header.size` set from it).
    public func write(_ header: Header, data: [UInt8]) throws(ImageKitError) {
        var header = header
        header.size = Int64(data.count)
        try writeHeader(header)
        try writeData(data)
        try finishEntry()
    }

    /// Writes a regular file's header, then exactly `header.size` bytes read from `fd`.
    public func write(_ header: Header, contentsOf fd: Int32, path filePath: String) throws(ImageKitError) {
        try writeHeader(header)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var remaining = header.size
        while remaining > 0 {
            let n = Syscall.retrying { read(fd, buffer.baseAddress, min(buffer.count, Int(remaining))) }
            guard n >= 0 else { throw .system(SystemError("read", filePath)) }
            // A file that shrank while we read it cannot be archived faithfully.
            guard n > 0 else { throw .archive("\(filePath): file changed size while being archived") }
            try writeData(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            remaining -= Int64(n)
        }
        try finishEntry()
    }

    /// Copies the entry `reader` is positioned on (its header as read, its data
    /// streamed), for rewriting a foreign image.
    public func copyCurrentEntry(of reader: TarReader) throws(ImageKitError) {
        guard let entry = reader.currentEntry else { throw .archive("no current entry to copy") }
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else { throw error() }
        try reader.streamData { chunk throws(ImageKitError) in try writeData(chunk) }
        try finishEntry()
    }

    /// Copies the entry `reader` is positioned on under another name (and, for a hard
    /// link, another target): its header as read otherwise, its data streamed. Sparse
    /// maps are dropped (the data is copied whole, holes as zeros).
    public func copyCurrentEntry(of reader: TarReader, name: [UInt8], hardlinkTarget: [UInt8]?) throws(ImageKitError) {
        guard let current = reader.currentEntry, let entry = archive_entry_clone(current) else { throw .archive("no current entry to copy") }
        defer { archive_entry_free(entry) }
        archive_entry_sparse_clear(entry)
        ACIWriter.setBytes(name) { archive_entry_copy_pathname(entry, $0) }
        if let hardlinkTarget {
            ACIWriter.setBytes(hardlinkTarget) { archive_entry_copy_hardlink(entry, $0) }
            archive_entry_set_size(entry, 0)
        }
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else { throw error() }
        if hardlinkTarget == nil { try reader.streamData { chunk throws(ImageKitError) in try writeData(chunk) } }
        try finishEntry()
    }

    /// Writes a header read from another archive, with `data` (and its size) as the contents.
    public func write(copyOf header: OpaquePointer, data: [UInt8]) throws(ImageKitError) {
        guard let entry = archive_entry_clone(header) else { throw .archive("out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_size(entry, Int64(data.count))
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else { throw error() }
        try writeData(data)
        try finishEntry()
    }

    /// Writes the end-of-archive blocks and flushes the compressors.
    public func close() throws(ImageKitError) {
        guard !closed else { return }
        closed = true
        guard archive_write_close(archive) == ARCHIVE_OK else { throw error() }
        try sink.finish()
    }

    /// The written image's ID, after `close()` (the writer must have been made `hashing`).
    public func imageID() -> ImageID {
        guard let hasher, closed else { preconditionFailure("imageID() needs a hashing writer, closed") }
        return ImageID(digest: hasher.finalize())
    }

    /// The uncompressed bytes written so far.
    public var uncompressedBytes: Int64 { sink.bytesIn }

    private func writeHeader(_ header: Header) throws(ImageKitError) {
        guard let e = ACIWriter.makeEntry(header) else { throw .archive("out of memory") }
        defer { archive_entry_free(e) }
        guard archive_write_header(archive, e) >= ARCHIVE_WARN else { throw error() }
    }

    /// A libarchive entry for `header` (the caller frees it).
    /// A libarchive entry for `header` (the caller frees it): also how the tests' writer
    /// builds the hostile headers it needs.
    public static func makeEntry(_ header: Header) -> OpaquePointer? {
        guard let e = archive_entry_new() else { return nil }
        setBytes(header.name) { archive_entry_set_pathname(e, $0) }
        archive_entry_set_uid(e, header.uid)
        archive_entry_set_gid(e, header.gid)
        if !header.userName.isEmpty { archive_entry_set_uname(e, header.userName) }
        if !header.groupName.isEmpty { archive_entry_set_gname(e, header.groupName) }
        archive_entry_set_mtime(e, header.mtime.tv_sec, header.mtime.tv_nsec)
        var type: UInt32 = 0o100000
        switch header.kind {
        case .regular:
            archive_entry_set_size(e, header.size)
        case .directory:
            type = 0o040000
        case let .symlink(target):
            type = 0o120000
            setBytes(target) { archive_entry_set_symlink(e, $0) }
        case let .hardlink(target):
            setBytes(target) { archive_entry_set_hardlink(e, $0) }
        case .fifo:
            type = 0o010000
        case let .characterDevice(major, minor):
            type = 0o020000
            archive_entry_set_rdevmajor(e, dev_t(major))
            archive_entry_set_rdevminor(e, dev_t(minor))
        case let .blockDevice(major, minor):
            type = 0o060000
            archive_entry_set_rdevmajor(e, dev_t(major))
            archive_entry_set_rdevminor(e, dev_t(minor))
        }
        archive_entry_set_filetype(e, type)
        archive_entry_set_perm(e, mode_t(header.mode & 0o7777))
        return e
    }

    private func writeData(_ bytes: [UInt8]) throws(ImageKitError) {
        let written = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw error() }
    }

    private func writeData(_ buffer: UnsafeRawBufferPointer) throws(ImageKitError) {
        let written = archive_write_data(archive, buffer.baseAddress, buffer.count)
        guard written == buffer.count else { throw error() }
    }

    private func finishEntry() throws(ImageKitError) {
        guard archive_write_finish_entry(archive) >= ARCHIVE_WARN else { throw error() }
    }

    private static func setBytes(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Void) {
        let cString = bytes.map { CChar(bitPattern: $0) } + [0]
        cString.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { body(base) }
        }
    }

    private func error() -> ImageKitError {
        if let failure { return failure }
        return .archive("\(path): \(LibarchiveError.text(archive, fallback: "write failed"))")
    }
}
