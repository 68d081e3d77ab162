import CArchive
import Glibc
import ImageKit

/// Writes a tar stream with libarchive, optionally compressed, for tests: the caller
/// decides every header (names are written as given, unchecked), so it makes the
/// unusual and hostile archives the tests need. (The tools write with `ACIWriter`.)
public final class TarWriter {
    public enum Format: Sendable {
        /// POSIX pax, restricted to ustar headers where they suffice.
        case pax
        case ustar
        case gnu
        /// Old Unix v7: no magic, which actool's sniffer does not recognise.
        case v7
    }

    public enum Compression: Sendable {
        case none, gzip, bzip2, xz, zstd
    }

    /// A header to write.
    public struct Entry: Sendable {
        public enum Kind: Sendable {
            case file([UInt8])
            case directory
            case symlink(String)
            case hardlink(String)
            case fifo
            case characterDevice(major: UInt32, minor: UInt32)
            case blockDevice(major: UInt32, minor: UInt32)
        }

        public var name: String
        public var kind: Kind
        public var mode: UInt32
        public var uid: Int64 = 0
        public var gid: Int64 = 0
        public var mtime: Int = 0

        public init(name: String, kind: Kind, mode: UInt32? = nil) {
            self.name = name
            self.kind = kind
            switch kind {
            case .directory: self.mode = mode ?? 0o755
            case .symlink: self.mode = mode ?? 0o777
            default: self.mode = mode ?? 0o644
            }
        }

        public static func file(_ name: String, _ text: String, mode: UInt32 = 0o644) -> Entry {
            Entry(name: name, kind: .file(Array(text.utf8)), mode: mode)
        }

        public static func directory(_ name: String) -> Entry {
            Entry(name: name, kind: .directory)
        }

        /// `depth` directories nested under rootfs (`rootfs/d/d/...`), then the file
        /// `leaf` holding `text` at the bottom.
        public static func nested(depth: Int, leaf: String, _ text: String) -> [Entry] {
            var entries: [Entry] = []
            var path = "rootfs"
            for _ in 0..<depth {
                path += "/d"
                entries.append(.directory(path))
            }
            entries.append(.file(path + "/" + leaf, text))
            return entries
        }
    }

    private let archive: OpaquePointer
    private let path: String
    private var closed = false

    /// Creates (or truncates) `path`.
    /// - Parameter blockSize: libarchive pads the output to this; 0 means no padding,
    ///   so the stream ends right after the two end-of-archive blocks, as Go writes it.
    public init(path: String, format: Format = .pax, compression: Compression = .none, blockSize: Int32 = 0) throws(ImageKitError) {
        guard let a = archive_write_new() else { throw .archive("out of memory") }
        archive = a
        self.path = path
        switch format {
        case .pax: archive_write_set_format_pax_restricted(a)
        case .ustar: archive_write_set_format_ustar(a)
        case .gnu: archive_write_set_format_gnutar(a)
        case .v7: archive_write_set_format_v7tar(a)
        }
        switch compression {
        case .none: break
        case .gzip: archive_write_add_filter_gzip(a)
        case .bzip2: archive_write_add_filter_bzip2(a)
        case .xz: archive_write_add_filter_xz(a)
        case .zstd: archive_write_add_filter_zstd(a)
        }
        archive_write_set_bytes_per_block(a, blockSize)
        archive_write_set_bytes_in_last_block(a, 1)
        guard archive_write_open_filename(a, path) == ARCHIVE_OK else { throw failure() }
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    public func write(_ entry: Entry) throws(ImageKitError) {
        var header = ACIWriter.Header(name: Array(entry.name.utf8), kind: .regular, mode: entry.mode)
        header.uid = entry.uid
        header.gid = entry.gid
        header.mtime = timespec(tv_sec: entry.mtime, tv_nsec: 0)
        var data: [UInt8] = []
        switch entry.kind {
        case let .file(bytes):
            data = bytes
            header.size = Int64(bytes.count)
        case .directory: header.kind = .directory
        case let .symlink(target): header.kind = .symlink(target: Array(target.utf8))
        case let .hardlink(target): header.kind = .hardlink(target: Array(target.utf8))
        case .fifo: header.kind = .fifo
        case let .characterDevice(major, minor): header.kind = .characterDevice(major: major, minor: minor)
        case let .blockDevice(major, minor): header.kind = .blockDevice(major: major, minor: minor)
        }
        guard let e = ACIWriter.makeEntry(header) else { throw .archive("out of memory") }
        defer { archive_entry_free(e) }
        guard archive_write_header(archive, e) >= ARCHIVE_WARN else { throw failure() }
        if !data.isEmpty {
            let written = data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            guard written == data.count else { throw failure() }
        }
    }

    /// Finishes the stream (end-of-archive blocks, compressor trailer) and closes the file.
    public func close() throws(ImageKitError) {
        guard !closed else { return }
        closed = true
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure() }
    }

    private func failure() -> ImageKitError {
        return .archive("\(path): \(LibarchiveError.text(archive, fallback: "write failed"))")
    }
}
