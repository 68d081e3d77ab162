import AppcSchema
import Glibc
import GoCompat
import LinuxSystem

/// `actool build`: an image layout directory into an ACI (appc-spec.md §8.3), with the
/// manifest as the first entry in its own gzip member.
public enum ImageBuilder {
    public struct Options: Sendable {
        public var overwrite = false
        public var compression = ImageCompression.defaultGzip
        /// uid/gid 0 and root/root on every entry.
        public var ownerRoot = false
        /// Reproducible output: this mtime on every entry and numeric owners
        /// without names (nil: the files' own mtimes and the host's user names).
        public var fixedTime: Int?
        public init() {}
    }

    /// Builds `layout` into `output`. Errors are actool's texts (without the `build: ` prefix).
    /// Nothing is left at `output` on failure: the image is written out of sight and linked in at the end.
    public static func build(layout: String, output: String, options: Options) throws(ImageKitError) {
        let ext = fileExtension(output)
        guard ext == ".aci" else { throw .failed("Extension must be .aci (given \(ext))") }
        do {
            try ImageValidator.validateLayout(path: layout)
        } catch {
            throw .failed("Layout failed validation: \(error)")
        }
        let file = try openOutput(output, options: options)
        defer { file.discard() }

        try write(
            manifest: GoPath.clean(layout + "/manifest"), into: file, output: output, options: options, walkerRoot: Array(layout.utf8)
        ) { walker throws(ImageKitError) in
            try walker.walk()
        }
    }

    /// An image of manifest file `manifestPath` and the tree at `rootfs` (any directory: an
    /// app's root seen through a detached mount's `/proc/self/fd/N`, say) into `output`.
    /// The same archive `build` writes; the manifest is not checked against the files.
    public static func build(manifestPath: String, rootfs: String, output: String, options: Options) throws(ImageKitError) {
        let ext = fileExtension(output)
        guard ext == ".aci" else { throw .failed("Extension must be .aci (given \(ext))") }
        let file = try openOutput(output, options: options)
        defer { file.discard() }
        try write(manifest: manifestPath, into: file, output: output, options: options, walkerRoot: Array(rootfs.utf8)) {
            walker throws(ImageKitError) in
            try walker.visit(Array(rootfs.utf8), as: Array("rootfs".utf8))
        }
    }

    /// The image's file, out of sight until committed; an existing one is refused unless
    /// `options.overwrite`.
    private static func openOutput(_ output: String, options: Options) throws(ImageKitError) -> AtomicFile {
        if !options.overwrite, pathExists(output) { throw .failed("Target file exists (try --overwrite)") }
        do {
            return try AtomicFile(path: output)
        } catch {
            throw .failed("Unable to open target \(output): \(goOpenError(error, output))")
        }
    }

    /// The manifest (canonical, first, in its own gzip member), then what `walk` archives.
    private static func write(
        manifest manifestPath: String, into file: AtomicFile, output: String, options: Options, walkerRoot: [UInt8],
        walk: (LayoutWalker) throws(ImageKitError) -> Void
    ) throws(ImageKitError) {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(manifestPath, limit: ImageValidator.manifestLimit)
        } catch {
            throw .failed("Unable to read Image Manifest: \(error)")
        }
        let manifest: ImageManifest
        do {
            manifest = try ImageManifest.decode(bytes)
        } catch {
            throw .failed("Unable to load Image Manifest: \(error)")
        }
        let canonical: [UInt8]
        do {
            canonical = try manifest.encoded()
        } catch {
            throw .failed("Unable to load Image Manifest: \(error)")
        }

        let writer: ACIWriter
        do {
            writer = try ACIWriter(fd: file.fd, path: output, compression: options.compression)
        } catch {
            throw .failed("Unable to open target \(output): \(error)")
        }
        let walker = LayoutWalker(root: walkerRoot, writer: writer, options: options)
        do {
            var header = ACIWriter.Header(name: Array("manifest".utf8), kind: .regular, mode: 0o644)
            if options.fixedTime == nil {
                header.userName = "root"
                header.groupName = "root"
                clock_gettime(CLOCK_REALTIME, &header.mtime)
                header.mtime.tv_nsec = 0
            } else {
                header.mtime = walker.time(of: stat())
            }
            try writer.writeManifest(canonical, header: header)
            try walk(walker)
        } catch {
            throw .failed("Error walking rootfs: \(error)")
        }
        do {
            try writer.close()
            try ImageKitError.wrapping { () throws(SystemError) in try file.commit(replace: options.overwrite) }
        } catch let .system(error) where error.operation == "link" && error.code == EEXIST {
            throw .failed("Target file exists (try --overwrite)")
        } catch {
            throw .failed("Unable to close image \(output): \(error)")
        }
    }

    /// Go's `filepath.Ext`: from the last dot of the last path element, or "".
    public static func fileExtension(_ path: String) -> String {
        var ext = ""
        for c in path.reversed() {
            if c == "/" { return "" }
            ext.insert(c, at: ext.startIndex)
            if c == "." { return ext }
        }
        return ""
    }

    private static func pathExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Go reports a failed create as `open OUTPUT: ERR`, naming the output, not its directory.
    private static func goOpenError(_ error: SystemError, _ output: String) -> String {
        "open \(output): \(errnoText(error.code))"
    }
}

/// Walks a layout in Go's `filepath.Walk` order (names sorted by bytes, depth first,
/// symlinks not followed), writing every entry but the top-level manifest.
private final class LayoutWalker {
    let root: [UInt8]
    let writer: ACIWriter
    let options: ImageBuilder.Options
    /// The first path archived for each (device, inode) of a multiply-linked file.
    private var firstPath: [InodeKey: [UInt8]] = [:]
    private var userNames: [uid_t: String] = [:]
    private var groupNames: [gid_t: String] = [:]

    private struct InodeKey: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    init(root: [UInt8], writer: ACIWriter, options: ImageBuilder.Options) {
        self.root = root
        self.writer = writer
        self.options = options
    }

    func walk() throws(ImageKitError) {
        for name in try FileSystem.sortedEntryNames(of: root) where name != Array("manifest".utf8) {
            try visit(root + [0x2f] + name, as: name)
        }
    }

    /// The file at `full` (and what is below it) as archive entry `relative`.
    func visit(_ full: [UInt8], as relative: [UInt8]) throws(ImageKitError) {
        var info = stat()
        guard FileSystem.lstat(full, &info) else {
            throw .system(SystemError("lstat", String(decoding: full, as: UTF8.self)))
        }
        var header = ACIWriter.Header(name: relative, kind: .regular, mode: UInt32(info.st_mode & 0o7777))
        header.mtime = time(of: info)
        setOwner(&header, info)
        let type = info.st_mode & S_IFMT
        if type != S_IFDIR, info.st_nlink > 1 {
            let key = InodeKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if let first = firstPath[key] {
                header.kind = .hardlink(target: first)
                try writer.write(header)
                return
            }
            firstPath[key] = relative
        }
        switch type {
        case S_IFREG:
            header.size = Int64(info.st_size)
            let fd = FileSystem.open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            let path = String(decoding: full, as: UTF8.self)
            guard fd >= 0 else { throw .system(SystemError("open", path)) }
            defer { close(fd) }
            try writer.write(header, contentsOf: fd, path: path)
        case S_IFDIR:
            header.kind = .directory
            try writer.write(header)
            for name in try FileSystem.sortedEntryNames(of: full) {
                try visit(full + [0x2f] + name, as: relative + [0x2f] + name)
            }
        case S_IFLNK:
            header.kind = .symlink(target: try FileSystem.readLink(full))
            try writer.write(header)
        case S_IFIFO:
            header.kind = .fifo
            try writer.write(header)
        case S_IFCHR, S_IFBLK:
            let (major, minor) = deviceNumbers(UInt64(info.st_rdev))
            header.kind = type == S_IFCHR ? .characterDevice(major: major, minor: minor) : .blockDevice(major: major, minor: minor)
            try writer.write(header)
        default:
            // Sockets (and anything stranger) are skipped, as actool does.
            return
        }
    }

    func time(of info: stat) -> timespec {
        if let fixed = options.fixedTime { return timespec(tv_sec: fixed, tv_nsec: 0) }
        return info.st_mtim
    }

    private func setOwner(_ header: inout ACIWriter.Header, _ info: stat) {
        if options.ownerRoot {
            header.uid = 0
            header.gid = 0
            header.userName = "root"
            header.groupName = "root"
            return
        }
        header.uid = Int64(info.st_uid)
        header.gid = Int64(info.st_gid)
        // Reproducible images carry numbers only: names depend on the build host.
        guard options.fixedTime == nil else { return }
        header.userName = userName(info.st_uid)
        header.groupName = groupName(info.st_gid)
    }

    private func userName(_ uid: uid_t) -> String {
        if let cached = userNames[uid] { return cached }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name =
            getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
            ? String(cString: entry.pw_name) : ""
        userNames[uid] = name
        return name
    }

    private func groupName(_ gid: gid_t) -> String {
        if let cached = groupNames[gid] { return cached }
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name =
            getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
            ? String(cString: entry.gr_name) : ""
        groupNames[gid] = name
        return name
    }

    /// glibc's `major()`/`minor()` encoding of a dev_t.
    private func deviceNumbers(_ dev: UInt64) -> (UInt32, UInt32) {
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        return (UInt32(truncatingIfNeeded: major), UInt32(truncatingIfNeeded: minor))
    }
}
