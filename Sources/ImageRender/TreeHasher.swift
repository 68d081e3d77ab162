import CLinux
import Glibc
import ImageKit
import LinuxSystem

/// The hash of a rendered tree, in rkt's key form (`sha512-` + 64 hex).
///
/// Like rkt's tree hash it covers, for every entry of `rootfs/` in sorted order, the
/// name, type, permission bits, owner, size, link text, device numbers and content,
/// and not the times; it also covers the `manifest` next to the rootfs. File content
/// enters as its SHA-512, so a freshly rendered tree is hashed from the digests
/// recorded in its layers (no file is read), while `verify` reads every file.
enum TreeHasher {
    /// - Parameter digest: the content digest of a regular file (path below the rootfs,
    ///   parent directory handle, name, its stat).
    static func hash(tree: String, digest: (RelativePath, Int32, [UInt8], stat) throws(RenderError) -> String) throws(RenderError) -> String {
        let hasher = ContentHasher()
        let manifest = try Sys.readFile(tree + "/manifest", limit: ImageValidator.manifestLimit)
        hasher.update(Array("manifest \(ImageID(sha512Of: manifest).storeKey)\n".utf8))
        let root = try Sys.openDirectory(tree + "/rootfs")
        defer { close(root) }
        var info = stat()
        guard fstat(root, &info) == 0 else { throw .system(SystemError("stat", tree + "/rootfs")) }
        hasher.update(record([], info, extra: []))
        try walk(root, path: tree + "/rootfs", hasher: hasher, digest: digest)
        return ImageID(digest: hasher.finalize()).storeKey
    }

    private static func walk(
        _ root: Int32, path: String, hasher: ContentHasher,
        digest: (RelativePath, Int32, [UInt8], stat) throws(RenderError) -> String
    ) throws(RenderError) {
        try DirectoryWalk.run(
            root, rootPath: path, failure: { RenderError.system(SystemError($0.operation, $0.path, code: $0.code)) },
            visit: { (entry) throws(RenderError) -> Bool in
                let (dir, name, info, child) = (entry.parent, entry.name, entry.info, entry.relative)
                switch info.st_mode & S_IFMT {
                case S_IFREG:
                    hasher.update(record(child, info, extra: Array(try digest(child, dir, name, info).utf8)))
                case S_IFLNK:
                    hasher.update(record(child, info, extra: LayerStore.readLink(dir, name) ?? []))
                case S_IFCHR, S_IFBLK:
                    let dev = UInt64(info.st_rdev)
                    hasher.update(record(child, info, extra: Array("\(clinux_major(dev)),\(clinux_minor(dev))".utf8)))
                default:
                    hasher.update(record(child, info, extra: []))
                }
                return entry.isDirectory
            })
    }

    /// `TYPE MODE UID GID SIZE PATH =EXTRA\n` (sizes only for regular files).
    private static func record(_ relative: RelativePath, _ info: stat, extra: [UInt8]) -> [UInt8] {
        let type = info.st_mode & S_IFMT
        let letter: String
        switch type {
        case S_IFDIR: letter = "d"
        case S_IFREG: letter = "f"
        case S_IFLNK: letter = "l"
        case S_IFCHR: letter = "c"
        case S_IFBLK: letter = "b"
        case S_IFIFO: letter = "p"
        default: letter = "s"
        }
        // Symlink permission bits mean nothing on Linux.
        let mode = type == S_IFLNK ? 0o777 : info.st_mode & 0o7777
        let size = type == S_IFREG ? Int64(info.st_size) : 0
        var out = Array("\(letter) \(String(mode, radix: 8)) \(info.st_uid) \(info.st_gid) \(size) ".utf8)
        LayerIndex.escape(relative.isEmpty ? [BytePath.dot] : relative, into: &out)
        out.append(contentsOf: [0x20, 0x3d])
        LayerIndex.escape(extra, into: &out)
        out.append(0x0a)
        return out
    }

    /// Reads and hashes every regular file (each inode once).
    static func contentDigests(tree: String) -> (RelativePath, Int32, [UInt8], stat) throws(RenderError) -> String {
        let cache = DigestCache()
        return { (_: RelativePath, dir: Int32, name: [UInt8], info: stat) throws(RenderError) -> String in
            try cache.digest(dir, name, info, path: tree)
        }
    }

    private final class DigestCache {
        struct Inode: Hashable {
            let dev: UInt64
            let ino: UInt64
        }
        var known: [Inode: String] = [:]

        func digest(_ dir: Int32, _ name: [UInt8], _ info: stat, path: String) throws(RenderError) -> String {
            let inode = Inode(dev: UInt64(info.st_dev), ino: UInt64(info.st_ino))
            if let digest = known[inode] { return digest }
            let digest = try ContentDigest.of(dir, name, path: path)
            known[inode] = digest
            return digest
        }
    }
}
