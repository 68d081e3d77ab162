import CArchive
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

/// A file of a local image, open for reading.
final class LocalFile {
    let fd: Int32
    let size: Int64
    /// Known when the file was unpacked from an archive (hashed on the way).
    private var digest: OCIDigest?
    private let ownsDescriptor: Bool

    init(fd: Int32, size: Int64, digest: OCIDigest?, ownsDescriptor: Bool) {
        self.fd = fd
        self.size = size
        self.digest = digest
        self.ownsDescriptor = ownsDescriptor
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// The whole file, refused past `limit` bytes.
    func read(limit: Int, what: String) throws(OCIError) -> [UInt8] {
        guard size <= Int64(limit) else { throw .document("\(what) is larger than \(limit >> 20) MiB") }
        var out = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            guard n > 0 else { throw n == 0 ? .document("\(what): file changed while read") : .system(SystemError("read", what)) }
            done += n
        }
        return out
    }

    /// The file's SHA-256, computed once.
    func sha256(what: String) throws(OCIError) -> OCIDigest {
        if let digest { return digest }
        let hasher = ContentHasher(.sha256)
        // From the start: an unpacked member's descriptor was left at its end by the writes.
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw .system(SystemError("seek", what)) }
        try OCIError.wrapping { () throws(SystemError) in try hasher.update(readingAll: fd, path: what) }
        let result = OCIDigest(sha256: hasher.finalize())
        digest = result
        return result
    }
}

/// The files of a local image, by their path inside it.
protocol LocalFiles: AnyObject {
    /// The regular file at `path` (relative, `/`-separated); nil when there is none.
    func open(_ path: String) throws(OCIError) -> LocalFile?
}

/// An image layout directory; links inside it resolve inside it.
final class DirectoryFiles: LocalFiles {
    private let root: RootDirectory

    init(_ path: String) throws(OCIError) {
        root = try OCIError.wrapping { () throws(SystemError) in try RootDirectory(path: path) }
    }

    func open(_ name: String) throws(OCIError) -> LocalFile? {
        let handle: Int32
        do {
            handle = try root.open(name)
        } catch  where error.code == ENOENT {
            return nil
        } catch {
            throw .system(error)
        }
        defer { close(handle) }
        let path = root.path + "/" + name
        let fd = try OCIError.wrapping { () throws(SystemError) in try RootDirectory.reopen(handle, flags: O_RDONLY, path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw .system(SystemError("stat", path))
        }
        return LocalFile(fd: fd, size: Int64(info.st_size), digest: nil, ownsDescriptor: true)
    }
}

/// A tar of an image (a layout or a `docker save` archive, compressed or not), unpacked
/// in one pass into unnamed files (hashed on the way) kept by their cleaned names;
/// symbolic links between members are followed (older `docker save` links layers).
final class ArchiveFiles: LocalFiles {
    private var members: [String: (TemporaryFile, OCIDigest)] = [:]
    private var links: [String: String] = [:]

    init(_ path: String, scratch: String) throws(OCIError) {
        guard let archive = archive_read_new() else { throw .layer("out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        archive_read_support_filter_gzip(archive)
        archive_read_support_filter_zstd(archive)
        archive_read_support_filter_xz(archive)
        archive_read_support_filter_bzip2(archive)
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path)) }
        defer { close(fd) }
        guard archive_read_open_fd(archive, fd, 1 << 20) == ARCHIVE_OK else {
            throw .document("\(path): \(LibarchiveError.text(archive, fallback: "not a tar archive"))")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw .document("\(path): \(LibarchiveError.text(archive, fallback: "broken tar archive"))")
            }
            guard let rawName = archive_entry_pathname(entry) else { continue }
            let name = ArchiveFiles.clean(String(cString: rawName))
            switch archive_entry_filetype(entry) & 0o170000 {
            case 0o120000:
                if let target = archive_entry_symlink(entry) {
                    let text = String(cString: target)
                    let base = Files.directory(of: name)
                    links[name] = ArchiveFiles.clean(text.hasPrefix("/") ? text : (base == "." ? text : base + "/" + text))
                }
            case 0o100000:
                if let target = archive_entry_hardlink(entry) {
                    links[name] = ArchiveFiles.clean(String(cString: target))
                    continue
                }
                let file = try OCIError.wrapping { () throws(SystemError) in try TemporaryFile(directory: scratch) }
                let hasher = ContentHasher(.sha256)
                while true {
                    let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
                    guard n >= 0 else { throw .document("\(path): \(name): \(LibarchiveError.text(archive, fallback: "read error"))") }
                    if n == 0 { break }
                    let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                    hasher.update(chunk)
                    try OCIError.wrapping { () throws(SystemError) in try file.write(chunk) }
                }
                members[name] = (file, OCIDigest(sha256: hasher.finalize()))
            default: continue
            }
        }
    }

    func open(_ path: String) throws(OCIError) -> LocalFile? {
        var name = ArchiveFiles.clean(path)
        for _ in 0..<16 {
            if let (file, digest) = members[name] {
                return LocalFile(fd: file.fd, size: file.size, digest: digest, ownsDescriptor: false)
            }
            guard let next = links[name] else { return nil }
            name = next
        }
        return nil
    }

    private static func clean(_ name: String) -> String {
        var cleaned = GoPath.clean(name)
        while cleaned.hasPrefix("/") { cleaned.removeFirst() }
        return cleaned
    }
}
