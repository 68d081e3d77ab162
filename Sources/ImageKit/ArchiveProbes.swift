import CArchive
import CZlib
import Glibc
import GoCompat
import LinuxSystem

/// Finds where the first gzip member of a file ends (zlib's inflate stops there).
enum GzipProbe {
    /// The first member's stored length and content, or nil when the file does not start
    /// with a complete gzip member of at most `limit` decompressed bytes.
    static func firstMember(fd: Int32, limit: Int) -> (compressedLength: Int, content: [UInt8])? {
        var stream = z_stream()
        // 15 + 16: a gzip wrapper, the largest window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = [UInt8](repeating: 0, count: 64 * 1024)
        var output = [UInt8](repeating: 0, count: 64 * 1024)
        var content: [UInt8] = []
        var offset: off_t = 0
        while true {
            let n = input.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            guard n > 0 else { return nil }
            offset += off_t(n)
            var status = Z_OK
            let done: Bool? = input.withUnsafeMutableBufferPointer { inBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(n)
                while stream.avail_in > 0 {
                    let produced: Int = output.withUnsafeMutableBufferPointer { outBuffer in
                        stream.next_out = outBuffer.baseAddress
                        stream.avail_out = UInt32(outBuffer.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return outBuffer.count - Int(stream.avail_out)
                    }
                    content.append(contentsOf: output.prefix(produced))
                    if status == Z_STREAM_END { return true }
                    if status != Z_OK || content.count > min(limit, soleEntryBound(content)) { return nil }
                }
                return false
            }
            guard let done else { return nil }
            if done { return (Int(stream.total_in), content) }
        }
    }
}

/// The most a gzip member holding one tar entry can inflate to, from the entry's header
/// (once its 512 bytes are in): its data rounded to blocks, and room for the end blocks.
/// A foreign image's single member is thus given up after the first entry, not after
/// `limit` bytes. Extended headers (pax, GNU long names) leave the bound to `limit`.
private func soleEntryBound(_ content: [UInt8]) -> Int {
    guard content.count >= 512 else { return Int.max }
    let typeflag = content[156]
    guard typeflag != UInt8(ascii: "x"), typeflag != UInt8(ascii: "g"), typeflag != UInt8(ascii: "L") else { return Int.max }
    var size = 0
    for byte in content[124..<136] {
        if byte == 0 || byte == UInt8(ascii: " ") { break }
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7"), size < 1 << 40 else { return Int.max }
        size = size * 8 + Int(byte - UInt8(ascii: "0"))
    }
    return 512 + (size + 511) / 512 * 512 + 1024
}

/// Small tar jobs done in memory with libarchive.
enum TarProbe {
    /// The stored length of the first entry of an uncompressed tar file, when that entry
    /// is the manifest and is followed by another entry.
    static func endOfFirstEntry(fd: Int32, limit: Int) -> Int? {
        guard let a = archive_read_new() else { return nil }
        defer { archive_read_free(a) }
        archive_read_support_format_tar(a)
        guard lseek(fd, 0, SEEK_SET) == 0, archive_read_open_fd(a, fd, 64 * 1024) == ARCHIVE_OK else { return nil }
        var first: OpaquePointer?
        guard archive_read_next_header(a, &first) == ARCHIVE_OK, let first,
            let name = archive_entry_pathname(first), GoPath.clean(String(cString: name)) == "manifest",
            archive_entry_size(first) <= limit
        else { return nil }
        var second: OpaquePointer?
        guard archive_read_next_header(a, &second) == ARCHIVE_OK else { return nil }
        let end = archive_read_header_position(a)
        return end > 0 && end <= limit + 64 * 1024 ? Int(end) : nil
    }

    /// When `tar` is exactly one complete regular-file entry named `manifest` (and
    /// nothing else), its header and data.
    static func soleManifestEntry(_ tar: [UInt8]) -> (header: ACIWriter.Header, data: [UInt8])? {
        guard let a = archive_read_new() else { return nil }
        defer { archive_read_free(a) }
        archive_read_support_format_tar(a)
        return tar.withUnsafeBytes { raw -> (ACIWriter.Header, [UInt8])? in
            guard archive_read_open_memory(a, raw.baseAddress, raw.count) == ARCHIVE_OK else { return nil }
            var entry: OpaquePointer?
            guard archive_read_next_header(a, &entry) == ARCHIVE_OK, let entry,
                archive_entry_filetype(entry) == 0o100000, archive_entry_hardlink(entry) == nil,
                let name = archive_entry_pathname(entry), GoPath.clean(String(cString: name)) == "manifest"
            else { return nil }
            var data = [UInt8](repeating: 0, count: Int(archive_entry_size(entry)))
            let n = data.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress, $0.count) }
            guard n == data.count else { return nil }
            // Taken now: libarchive reuses (and clears) the entry on the next call.
            let header = ACIWriter.Header(regularFile: entry)
            // Nothing may follow: the next read must be a clean end of the bytes.
            var next: OpaquePointer?
            guard archive_read_next_header(a, &next) == ARCHIVE_EOF else { return nil }
            return (header, data)
        }
    }

    /// One entry's tar bytes for `header` with the size of `data`.
    static func encode(header: ACIWriter.Header, data: [UInt8]) throws(ImageKitError) -> [UInt8] {
        guard let entry = ACIWriter.makeEntry(header) else { throw .archive("out of memory") }
        defer { archive_entry_free(entry) }
        return try encode(header: entry, data: data)
    }

    /// One entry's tar bytes (header(s), data, padding; no end-of-archive): `header`
    /// as it was read (from a reader still open), with the size of `data`.
    static func encode(header: OpaquePointer, data: [UInt8]) throws(ImageKitError) -> [UInt8] {
        guard let entry = archive_entry_clone(header) else { throw .archive("out of memory") }
        defer { archive_entry_free(entry) }
        let writer = try MemoryArchiveWriter { archive_write_set_format_pax_restricted($0) }
        let a = writer.archive
        archive_entry_set_size(entry, Int64(data.count))
        func failure() -> ImageKitError {
            .archive("cannot encode the manifest entry: " + LibarchiveError.text(a, fallback: "unknown error"))
        }
        guard archive_write_header(a, entry) >= ARCHIVE_WARN else { throw failure() }
        let n = data.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) }
        guard n == data.count, archive_write_finish_entry(a) >= ARCHIVE_WARN else { throw failure() }
        // The end-of-archive blocks written by close are not part of the entry.
        let entryBytes = writer.bytes
        writer.close()
        return entryBytes
    }
}
