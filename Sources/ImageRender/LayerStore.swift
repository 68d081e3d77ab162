import Glibc
import ImageKit
import ImageStore
import LinuxSystem

/// One image extracted on its own (`cas/layers/KEY/`):
///
///     rootfs/    the image's rootfs, extracted once
///     manifest   the manifest bytes as stored in the image
///     index      every entry in archive order with its metadata and content digest
///     hash       `sha512-…` of `index`: the layer's tree hash
///     complete   empty; written last
///
/// A layer is built in a temporary directory beside its final place and renamed in
/// when complete, so a crash leaves either nothing or a whole layer.
struct Layer {
    let key: String
    let path: String
    let index: LayerIndex
    var rootfs: String { path + "/rootfs" }
    var manifestPath: String { path + "/manifest" }
}

/// The layer trees: made on first use, checked cheaply before reuse (index hash plus
/// the type, size and time of every entry), checked thoroughly (content digests) on
/// request, and made again when damaged.
final class LayerStore {
    let store: ImageStore
    /// Total regular-file bytes one extraction may write.
    var limit: Int64
    /// How many layers this instance extracted (tests and `--debug` use it).
    private(set) var extractions = 0

    var directory: String { store.casDirectory + "/layers" }
    var lockDirectory: String { store.casDirectory + "/layerlocks" }

    init(store: ImageStore, limit: Int64) {
        self.store = store
        self.limit = limit
    }

    func path(_ key: String) -> String { directory + "/" + key }

    /// Locks the layer of `key` (exclusive: while it is made, checked or linked from).
    func lock(_ key: String, wait: Bool = true) throws(RenderError) -> FileLock? {
        try Sys.makeDirectories(lockDirectory)
        return try takeLock(lockDirectory + "/" + key, exclusive: true, wait: wait)
    }

    /// The layer of `key`, made if missing or damaged. The caller holds its lock.
    func ensure(_ key: String, thorough: Bool) throws(RenderError) -> Layer {
        if let layer = load(key), layer.index.privileged == Sys.isRoot, check(layer, thorough: thorough) {
            return layer
        }
        return try extract(key)
    }

    /// The recorded layer if it is complete and its index matches its hash.
    func load(_ key: String) -> Layer? {
        let base = path(key)
        guard Sys.exists(base + "/complete"),
            let bytes = try? Sys.readFile(base + "/index", limit: 1 << 30),
            let hash = try? Sys.readFile(base + "/hash", limit: 256),
            String(decoding: hash, as: UTF8.self) == ImageID(sha512Of: bytes).storeKey,
            let index = LayerIndex.decode(bytes)
        else { return nil }
        return Layer(key: key, path: base, index: index)
    }

    /// Compares the layer on disk with its index: kinds, sizes, modification times
    /// and link texts always; content digests when `thorough`.
    func check(_ layer: Layer, thorough: Bool) -> Bool {
        guard let root = try? Sys.openDirectory(layer.rootfs) else { return false }
        defer { close(root) }
        let walker = DirectoryWalker(rootFd: root, rootPath: layer.rootfs)
        for entry in layer.index.entries where entry.kind != .manifest {
            guard let info = Self.lstat(entry.path, walker: walker), Self.matches(entry, info) else { return false }
            if entry.kind == .symlink {
                guard let found = try? walker.parent(of: entry.path, create: false),
                    Self.readLink(found.fd, found.name) == entry.target
                else { return false }
            }
            if thorough, entry.kind == .file {
                guard let found = try? walker.parent(of: entry.path, create: false),
                    let digest = try? ContentDigest.of(found.fd, found.name, path: layer.rootfs), digest == entry.digest
                else { return false }
            }
        }
        return true
    }

    private static func lstat(_ relative: RelativePath, walker: DirectoryWalker) -> stat? {
        var info = stat()
        if relative.isEmpty { return fstat(walker.rootFd, &info) == 0 ? info : nil }
        guard let found = try? walker.parent(of: relative, create: false),
            fstatat(found.fd, cString(found.name), &info, AT_SYMLINK_NOFOLLOW) == 0
        else { return nil }
        return info
    }

    private static func matches(_ entry: LayerEntry, _ info: stat) -> Bool {
        let type = info.st_mode & S_IFMT
        switch entry.kind {
        case .directory, .implicitDirectory: return type == S_IFDIR
        case .file, .hardlink:
            return type == S_IFREG && Int64(info.st_size) == entry.size && Int64(info.st_mtim.tv_sec) == entry.mtime
                && Int64(info.st_mtim.tv_nsec) == entry.mtimeNanoseconds && UInt32(info.st_mode & 0o7777) == entry.mode
        case .symlink: return type == S_IFLNK
        case .characterDevice: return type == S_IFCHR
        case .blockDevice: return type == S_IFBLK
        case .fifo: return type == S_IFIFO
        case .manifest: return true
        }
    }

    static func readLink(_ parent: Int32, _ name: [UInt8]) -> [UInt8]? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(parent, cString(name), &buffer, buffer.count)
        guard n >= 0 else { return nil }
        return buffer.prefix(n).map { UInt8(bitPattern: $0) }
    }

    /// Extracts the image of `key` into a new layer, replacing a damaged one.
    func extract(_ key: String) throws(RenderError) -> Layer {
        try Sys.makeDirectories(directory)
        // Only root (and whoever runs us) may reach the layers: they keep setuid files and devices.
        let temporary = try Sys.makeTemporaryDirectory(directory + "/.tmp-" + key + "-")
        do throws(RenderError) {
            let layer = try build(key, in: temporary)
            try replace(path(key), with: temporary)
            extractions += 1
            return Layer(key: key, path: path(key), index: layer.index)
        } catch {
            try? Sys.removeTree(temporary)
            throw error
        }
    }

    private func build(_ key: String, in temporary: String) throws(RenderError) -> Layer {
        try Sys.makeDirectories(temporary + "/rootfs", mode: 0o755)
        let output = try OutputTree(path: temporary + "/rootfs", privileges: .process)
        let result = try LayerExtractor.extract(archive: store.blobPath(key), into: output, limit: limit)
        guard result.key == key else { throw .hashMismatch(computed: result.key, expected: key) }
        let index = result.index.encoded()
        try Sys.writeFile(temporary + "/manifest", result.manifest ?? [])
        try Sys.writeFile(temporary + "/index", index)
        try Sys.writeFile(temporary + "/hash", Array(ImageID(sha512Of: index).storeKey.utf8))
        try Sys.syncFileSystem(temporary)
        try Sys.writeFile(temporary + "/complete", [], sync: true)
        return Layer(key: key, path: temporary, index: result.index)
    }

    /// Moves `fresh` to `target`, moving a previous `target` away first.
    private func replace(_ target: String, with fresh: String) throws(RenderError) {
        if Sys.exists(target) {
            let trash = try Sys.makeTemporaryDirectory(directory + "/.old-")
            guard rename(target, trash + "/layer") == 0 else { throw .system(SystemError("rename", target)) }
            try? Sys.removeTree(trash)
        }
        guard rename(fresh, target) == 0 else { throw .system(SystemError("rename", fresh)) }
        Sys.fsyncDirectory(directory)
    }

    /// Removes the layer of `key` (the caller holds its lock). Trees made from it keep
    /// their own links to its files and stay whole.
    func remove(_ key: String) throws(RenderError) {
        let base = path(key)
        unlink(base + "/complete")
        try Sys.removeTree(base)
    }

    /// Keys with a layer directory, and leftovers of interrupted extractions.
    func listing() -> (keys: [String], leftovers: [String]) {
        var keys: [String] = [], leftovers: [String] = []
        for name in Sys.listDirectory(directory) {
            if name.hasPrefix(".tmp-") || name.hasPrefix(".old-") {
                leftovers.append(name)
            } else if name.hasPrefix(ImageID.algorithmPrefix) {
                keys.append(name)
            }
        }
        return (keys, leftovers)
    }
}

/// SHA-512 of a file's content.
enum ContentDigest {
    static func of(_ parent: Int32, _ name: [UInt8], path: String) throws(RenderError) -> String {
        let fd = openat(parent, cString(name), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path + "/" + BytePath.text(name))) }
        defer { close(fd) }
        return try of(fd: fd, path: path + "/" + BytePath.text(name))
    }

    static func of(fd: Int32, path: String) throws(RenderError) -> String {
        let hasher = ContentHasher()
        try RenderError.wrapping { () throws(SystemError) in try hasher.update(readingAll: fd, path: path) }
        return ImageID.hexString(hasher.finalize())
    }
}
