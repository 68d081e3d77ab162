import CArchive
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

/// What one extraction produced.
struct ExtractionResult {
    var index: LayerIndex
    /// The `manifest` entry's bytes as stored in the image (nil when it has none).
    var manifest: [UInt8]?
    /// The key the archive hashes to.
    var key: String
}

/// Extracts an image's rootfs into a directory, safely (appc-spec.md §7.3):
///
/// * names are cleaned; an absolute name or one climbing out with `..` stops the
///   extraction, and only `rootfs` and what is below it is written (the root of the
///   output stands for `rootfs`); the manifest is kept in memory;
/// * every parent is walked without following symbolic links: an entry below a
///   symlink or a file is skipped, as acirenderer skips it;
/// * hardlinks must point to an entry of the same rootfs that is already there;
/// * devices need `privileges.devices`, setuid/setgid bits and owners need root
///   (see `Privileges`); fifos and symlinks are made as such, links are never followed;
/// * the total of regular file sizes is bounded by `limit` (sparse members count at
///   their full size), so a decompression bomb stops with `.tooLarge` early.
///
/// Modes, owners and times are restored (directories at the end). Returns the
/// index of what was written, in archive order.
enum LayerExtractor {
    static func extract(archive path: String, into output: OutputTree, limit: Int64) throws(RenderError) -> ExtractionResult {
        let source = try ArchiveSource(path: path)
        let state = ExtractionState(output: output, limit: limit)
        while let entry = try source.next() {
            try state.handle(entry, source: source)
        }
        try output.finish()
        let key = try source.finishKey()
        return ExtractionResult(
            index: LayerIndex(privileged: output.privileges == .all, entries: state.entries),
            manifest: state.manifest, key: key)
    }
}

/// The running state of one extraction.
private final class ExtractionState {
    let output: OutputTree
    let limit: Int64
    var entries: [LayerEntry] = []
    var manifest: [UInt8]?
    private var total: Int64 = 0
    private var implicitSeen = 0

    init(output: OutputTree, limit: Int64) {
        self.output = output
        self.limit = limit
    }

    func handle(_ entry: OpaquePointer, source: ArchiveSource) throws(RenderError) {
        guard let raw = TarReader.entryBytes(archive_entry_pathname(entry), archive_entry_pathname_utf8(entry)) else {
            throw .archive("\(source.path): entry without a readable name")
        }
        let name = BytePath.text(raw)
        let cleaned = GoPath.clean(bytes: raw)
        if cleaned.first == BytePath.slash { throw .unsafeEntry(name: name, reason: "absolute name") }
        if BytePath.escapes(cleaned) { throw .unsafeEntry(name: name, reason: "name leaves the image") }
        let metadata = try Self.metadata(entry, name: name)
        if cleaned == Array("manifest".utf8) {
            try readManifest(entry, source: source, metadata: metadata)
            return
        }
        // Anything else outside the rootfs is not part of the root filesystem.
        guard let relative = BytePath.belowRootfs(cleaned) else { return }
        let type = archive_entry_filetype(entry) & S_IFMT
        let hardlink = TarReader.entryBytes(archive_entry_hardlink(entry), archive_entry_hardlink_utf8(entry))
        if relative.isEmpty {
            guard hardlink == nil, type == S_IFDIR else { throw .archive("rootfs is not a directory") }
            let applied = output.setDirectoryMetadata([], metadata)
            entries.append(Self.record(.directory, [], applied))
            return
        }
        guard let parent = try output.parent(of: relative) else { return }
        recordImplicitDirectories()
        if let hardlink {
            try link(relative, name: name, target: hardlink, parent: parent)
            return
        }
        switch type {
        case S_IFDIR:
            let applied = try output.makeDirectory(parent, relative: relative, metadata: metadata)
            entries.append(Self.record(.directory, relative, applied))
        case S_IFREG:
            try writeFile(relative, size: archive_entry_size(entry), parent: parent, metadata: metadata, source: source)
        case S_IFLNK:
            guard let target = TarReader.entryBytes(archive_entry_symlink(entry), archive_entry_symlink_utf8(entry)) else {
                throw .archive("\(name): symlink without a target")
            }
            let applied = try output.symlink(parent, relative: relative, target: target, metadata: metadata)
            var record = Self.record(.symlink, relative, applied)
            record.target = target
            entries.append(record)
        case S_IFCHR, S_IFBLK:
            // Devices from an untrusted image only where the output may hold them.
            guard output.privileges.devices else { return }
            let major = UInt32(truncatingIfNeeded: archive_entry_rdevmajor(entry))
            let minor = UInt32(truncatingIfNeeded: archive_entry_rdevminor(entry))
            let applied = try output.node(parent, relative: relative, type: type, major: major, minor: minor, metadata: metadata)
            var record = Self.record(type == S_IFCHR ? .characterDevice : .blockDevice, relative, applied)
            record.major = major
            record.minor = minor
            entries.append(record)
        case S_IFIFO:
            let applied = try output.node(parent, relative: relative, type: S_IFIFO, major: 0, minor: 0, metadata: metadata)
            entries.append(Self.record(.fifo, relative, applied))
        default:
            throw .unsupportedType(name: name)
        }
    }

    private func readManifest(_ entry: OpaquePointer, source: ArchiveSource, metadata: Metadata) throws(RenderError) {
        let collector = ByteCollector(limit: ImageValidator.manifestLimit, name: "manifest")
        try source.readData(into: collector)
        // Two manifest entries are concatenated, as actool reads them.
        let bytes = (manifest ?? []) + collector.bytes
        manifest = bytes
        entries.removeAll { $0.kind == .manifest }
        var record = Self.record(.manifest, Array("manifest".utf8), metadata)
        record.size = Int64(bytes.count)
        entries.append(record)
    }

    private func writeFile(
        _ relative: RelativePath, size: Int64, parent: (fd: Int32, name: [UInt8]), metadata: Metadata,
        source: ArchiveSource
    ) throws(RenderError) {
        guard size >= 0, size <= limit - total else { throw .tooLarge(limit: limit) }
        total += size
        let fd = try output.createFile(parent, relative: relative)
        defer { close(fd) }
        let sink = FileSink(fd: fd, size: size, path: output.describe(relative))
        try source.readData(into: sink)
        let digest = try sink.finish()
        let applied = try output.finishFile(fd, relative: relative, metadata: metadata)
        var record = Self.record(.file, relative, applied)
        record.size = size
        record.digest = digest
        entries.append(record)
    }

    /// A hardlink within the rootfs: the target is cleaned like any name and must be an
    /// entry already extracted below the rootfs; it is reached without following links.
    private func link(_ relative: RelativePath, name: String, target raw: [UInt8], parent: (fd: Int32, name: [UInt8])) throws(RenderError) {
        let cleaned = GoPath.clean(bytes: raw)
        let targetName = BytePath.text(raw)
        if cleaned.first == BytePath.slash || BytePath.escapes(cleaned) {
            throw .unsafeEntry(name: name, reason: "hardlink to outside path \(goQuote(targetName))")
        }
        guard let target = BytePath.belowRootfs(cleaned), !target.isEmpty else {
            throw .unsafeEntry(name: name, reason: "hardlink to \(goQuote(targetName)), outside the rootfs")
        }
        guard let source = try output.existing(target) else {
            throw .missingLinkTarget(name: name, target: targetName)
        }
        let code = try output.link(from: source, to: parent, relative: relative)
        if code == ENOENT { throw .missingLinkTarget(name: name, target: targetName) }
        guard code == 0 else { throw .system(SystemError("link", output.describe(relative), code: code)) }
        var info = stat()
        guard fstatat(parent.fd, cString(parent.name), &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .system(SystemError("lstat", output.describe(relative)))
        }
        var record = LayerEntry(
            kind: .hardlink, path: relative, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid,
            mtime: Int64(info.st_mtim.tv_sec), mtimeNanoseconds: Int64(info.st_mtim.tv_nsec))
        record.size = Int64(info.st_size)
        record.target = target
        entries.append(record)
    }

    private func recordImplicitDirectories() {
        let made = output.implicitDirectories
        while implicitSeen < made.count {
            entries.append(
                LayerEntry(
                    kind: .implicitDirectory, path: made[implicitSeen], mode: 0o755, uid: geteuid(), gid: getegid(),
                    mtime: 0, mtimeNanoseconds: 0))
            implicitSeen += 1
        }
    }

    private static func metadata(_ entry: OpaquePointer, name: String) throws(RenderError) -> Metadata {
        let uid = archive_entry_uid(entry), gid = archive_entry_gid(entry)
        guard (0..<Int64(UInt32.max)).contains(uid), (0..<Int64(UInt32.max)).contains(gid) else {
            throw .unsafeEntry(name: name, reason: "owner \(uid):\(gid) out of range")
        }
        return Metadata(
            mode: UInt32(archive_entry_perm(entry)), uid: UInt32(uid), gid: UInt32(gid),
            mtime: Int64(archive_entry_mtime(entry)), mtimeNanoseconds: Int64(archive_entry_mtime_nsec(entry)))
    }

    private static func record(_ kind: LayerEntry.Kind, _ path: RelativePath, _ m: Metadata) -> LayerEntry {
        LayerEntry(kind: kind, path: path, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime, mtimeNanoseconds: m.mtimeNanoseconds)
    }
}
