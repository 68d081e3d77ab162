import AppcSchema
import Glibc
import GoCompat
import ImageKit
import ImageStore
import LinuxSystem

/// A rendered tree in the tree store.
public struct RenderedTree: Sendable, Equatable {
    /// `deps-sha512-…`: the hash of the comma-joined keys of the flattened dependency list.
    public let id: String
    /// `DATADIR/cas/tree/ID`, holding `manifest`, `rootfs/`, `hash`, `image`, `rendered`.
    public let path: String
    /// The key of the image rendered (the top of the list).
    public let imageKey: String

    /// The rendered root filesystem.
    public var rootfs: String { path + "/rootfs" }
}

/// rkt's tree store (rkt-runtime.md §4.2) over per-image layer trees.
///
/// Each image is extracted once, safely, into its own layer tree
/// (`cas/layers/KEY/`). A tree (`cas/tree/deps-sha512-…/`) is then assembled from
/// the layers of its dependency list with acirenderer's rules (first image wins each
/// path, directories merged, whitelists) as hard links into the layers, so rendering
/// an app with a new small dependency costs that dependency's extraction plus a pass
/// over directory entries. `rkt image render` and `rkt image extract` get plain copies.
///
/// Concurrency: a tree is built under `cas/treestorelocks/ID`, a layer under
/// `cas/layerlocks/KEY` (taken in key order while a tree is built from them).
public final class TreeStore {
    /// The image store the images come from.
    public let store: ImageStore
    /// Called for a dependency missing from the store (the fetcher plugs in here).
    /// Without it, a missing dependency fails with rkt's `no image IDs found` (by ID)
    /// or `discovery failed` (by name).
    public var dependencyFetcher: DependencyFetcher?
    let layers: LayerStore

    /// Opens the tree store of `store`'s data directory.
    public init(store: ImageStore, dependencyFetcher: DependencyFetcher? = nil) {
        self.store = store
        self.dependencyFetcher = dependencyFetcher
        layers = LayerStore(store: store, limit: ImageStore.maxImageSize)
    }

    /// The most regular-file bytes one image may expand to (decompression bombs);
    /// defaults to `ImageStore.maxImageSize` (`RKT_MAX_IMAGE_SIZE`, else 64 GiB).
    public var maxExtractedBytes: Int64 {
        get { layers.limit }
        set { layers.limit = newValue }
    }

    /// How many images this instance has extracted into layer trees (for `--debug` and tests).
    public var layerExtractions: Int { layers.extractions }

    /// `DATADIR/cas/tree`.
    public var directory: String { store.casDirectory + "/tree" }
    var lockDirectory: String { store.casDirectory + "/treestorelocks" }

    // MARK: Dependencies and IDs

    /// The flattened dependency list of the image `key` in appc's order (appc-spec.md §7.1).
    /// `key` may be any unique ID prefix (rkt's rules); the list holds full keys.
    public func dependencyList(for key: String) throws(RenderError) -> [ResolvedImage] {
        try DependencyResolver(store: store, fetcher: dependencyFetcher).list(for: try storeKey(key))
    }

    /// The full key of a stored image: the store's lookup also keeps odd text out of paths.
    private func storeKey(_ key: String) throws(RenderError) -> String {
        do throws(StoreError) {
            return try store.record(idPrefix: key).key
        } catch {
            throw .store(error)
        }
    }

    /// The tree ID of a dependency list: `deps-` + rkt's key form of the SHA-512 of the
    /// comma-joined keys.
    public static func treeID(for images: [ResolvedImage]) -> String {
        "deps-" + ImageID(sha512Of: Array(images.map(\.key).joined(separator: ",").utf8)).storeKey
    }

    /// The tree ID the image `key` renders to with the dependencies the store has now.
    public func treeID(for key: String) throws(RenderError) -> String {
        Self.treeID(for: try dependencyList(for: key))
    }

    /// The directory of tree `id` (whether or not it exists).
    public func path(ofTree id: String) -> String { directory + "/" + id }

    /// True when tree `id` was completely rendered (its `rendered` flag exists).
    public func isRendered(_ id: String) -> Bool { Sys.exists(path(ofTree: id) + "/rendered") }

    // MARK: Rendering

    /// The tree of image `key` with its dependencies, rendered if it is not yet (or
    /// again, after removing it, with `rebuild`; a rebuild also checks every layer's
    /// content and extracts damaged layers again). The tree's rootfs shares its files
    /// with the layer trees: use it read-only (as an overlay lower layer).
    public func render(key: String, rebuild: Bool = false) throws(RenderError) -> RenderedTree {
        let images = try dependencyList(for: key)
        let id = Self.treeID(for: images)
        let tree = RenderedTree(id: id, path: path(ofTree: id), imageKey: images[0].key)
        if !rebuild && isRendered(id) { return tree }
        let lock = try lockTree(id, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        if !rebuild && isRendered(id) { return tree }
        try removeTreeDirectory(id)
        let (chosenLayers, layerLocks) = try lockedLayers(images, thorough: rebuild)
        defer { withExtendedLifetime(layerLocks) {} }
        try Sys.makeDirectories(directory)
        try Sys.makeDirectories(tree.path, mode: 0o700)
        do throws(RenderError) {
            try build(tree, images: images, layers: chosenLayers)
        } catch {
            try? Sys.removeTree(tree.path)
            throw error
        }
        return tree
    }

    private func build(_ tree: RenderedTree, images: [ResolvedImage], layers chosenLayers: [Layer]) throws(RenderError) {
        try Sys.makeDirectories(tree.rootfs, mode: 0o700)
        let output = try OutputTree(path: tree.rootfs, privileges: .process)
        let materializer = try Materializer(output: output, mode: .hardlink, layers: chosenLayers)
        try materializer.run(Selection.choose(images, indexes: chosenLayers.map(\.index)))
        // Only the top image's manifest is kept, as the image stores it.
        try Sys.writeFile(tree.path + "/manifest", try Sys.readFile(chosenLayers[0].manifestPath, limit: ImageValidator.manifestLimit))
        let hash = try TreeHasher.hash(tree: tree.path, digest: RecordedDigests(materializer.digests, tree: tree.path).digest)
        try Sys.writeFile(tree.path + "/hash", Array(hash.utf8))
        try Sys.writeFile(tree.path + "/image", Array(tree.imageKey.utf8))
        try Sys.syncFileSystem(tree.path)
        try Sys.writeFile(tree.path + "/rendered", [], sync: true)
        Sys.fsyncDirectory(tree.path)
    }

    /// `rkt image render`: image `key` with its dependencies merged, as a plain copy in
    /// `dir` (`manifest` + `rootfs/`, or the rootfs contents only). Layers are checked
    /// thoroughly first, as rkt checks its tree before copying it.
    public func renderCopy(key: String, to dir: String, rootfsOnly: Bool, overwrite: Bool) throws(RenderError) {
        let images = try dependencyList(for: key)
        let target = try prepareOutput(dir, overwrite: overwrite)
        let (chosenLayers, layerLocks) = try lockedLayers(images, thorough: true)
        defer { withExtendedLifetime(layerLocks) {} }
        let selection = Selection.choose(images, indexes: chosenLayers.map(\.index))
        // rkt writes the store's manifest (Go's json.Marshal of it) with mode 0700.
        let manifest = rootfsOnly ? nil : try Sys.readFile(store.manifestPath(images[0].key), limit: ImageValidator.manifestLimit)
        let now = Int64(time(nil))
        try writeOutput(
            target, rootfsOnly: rootfsOnly, layers: chosenLayers, selection: selection,
            manifest: manifest.map { ($0, Metadata(mode: 0o700, uid: geteuid(), gid: getegid(), mtime: now, mtimeNanoseconds: 0)) })
    }

    /// `rkt image extract`: the image's own files only (no dependencies, no whitelist),
    /// as a plain copy in `dir` (`manifest` + `rootfs/`, or the rootfs contents only).
    public func extract(key: String, to dir: String, rootfsOnly: Bool, overwrite: Bool) throws(RenderError) {
        let full = try storeKey(key)
        let image = ResolvedImage(key: full, level: 0, manifest: try manifestOf(full))
        let target = try prepareOutput(dir, overwrite: overwrite)
        let (chosenLayers, layerLocks) = try lockedLayers([image], thorough: true)
        defer { withExtendedLifetime(layerLocks) {} }
        let layer = chosenLayers[0]
        var selection = Selection()
        for entry in layer.index.entries {
            switch entry.kind {
            case .implicitDirectory, .manifest: continue
            default: break
            }
            if entry.path.isEmpty {
                selection.rootfs = entry
            } else {
                selection.chosen.append(Selection.Chosen(image: 0, entry: entry))
            }
        }
        // The manifest as the image stores it, with its own mode, owner and time.
        var original: ([UInt8], Metadata)?
        if !rootfsOnly, let entry = layer.index.entries.first(where: { $0.kind == .manifest }) {
            original = (try Sys.readFile(layer.manifestPath, limit: ImageValidator.manifestLimit), Metadata(entry))
        }
        try writeOutput(target, rootfsOnly: rootfsOnly, layers: chosenLayers, selection: selection, manifest: original)
    }

    /// Creates `target` (which must not exist) and fills it: the selection as a copy, in
    /// `target/rootfs` with `manifest` beside it, or in `target` itself when `rootfsOnly`. Everything below `target` is reached through handles
    /// opened without following links, so a user owning the parent directory cannot
    /// redirect the writes. On failure nothing is left.
    private func writeOutput(
        _ target: String, rootfsOnly: Bool, layers chosenLayers: [Layer], selection: Selection,
        manifest: ([UInt8], Metadata)?
    ) throws(RenderError) {
        let privileges = Privileges.output(inside: Files.directory(of: target))
        // Made 0700 and opened up at the end: no one else can reach it while it is filled.
        guard mkdir(target, 0o700) == 0 else {
            if errno == EEXIST { throw .outputExists }
            throw .system(SystemError("mkdir", target))
        }
        do throws(RenderError) {
            let top = try OutputTree(path: target, privileges: privileges)
            var info = stat()
            guard fstat(top.rootFd, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
                throw .system(SystemError("open", target, code: EEXIST))
            }
            if rootfsOnly {
                try Materializer(output: top, mode: .copy, layers: chosenLayers).run(selection)
                return
            }
            try Materializer(output: try top.subtree("rootfs"), mode: .copy, layers: chosenLayers).run(selection)
            if let manifest { try Self.writeManifest(manifest.0, metadata: manifest.1, in: top) }
            guard fchmod(top.rootFd, 0o755) == 0 else { throw .system(SystemError("chmod", target)) }
        } catch {
            try? Sys.removeTree(target)
            throw error
        }
    }

    private static func writeManifest(_ bytes: [UInt8], metadata: Metadata, in top: OutputTree) throws(RenderError) {
        let name = Array("manifest".utf8)
        let fd = try top.createFile((top.rootFd, name), relative: name)
        defer { close(fd) }
        try Sys.writeAll(fd, bytes, path: top.path + "/manifest")
        try top.finishFile(fd, relative: name, metadata: metadata)
    }

    /// rkt's checks on an output directory: an existing one needs `overwrite` and is
    /// removed (never `/`). Missing parents are created. Returns the absolute path.
    private func prepareOutput(_ dir: String, overwrite: Bool) throws(RenderError) -> String {
        let absolute = try RenderError.wrapping { () throws(SystemError) in try Files.absolute(dir) }
        if Sys.exists(absolute) {
            guard overwrite else { throw .outputExists }
            if absolute == "/" || Self.realPath(absolute) == "/" { throw .refusingRootFilesystem }
            try Sys.removeTree(absolute)
        }
        try Sys.makeDirectories(Files.directory(of: absolute))
        return absolute
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: Checking

    /// `rkt image verify`: recomputes the hash of image `key`'s tree (reading every file)
    /// and compares it with the one recorded when it was rendered. Returns the tree ID.
    /// On `.treeHashMismatch` rkt rebuilds: `render(key:rebuild: true)`.
    public func verify(key: String) throws(RenderError) -> String {
        let id = try treeID(for: key)
        let tree = path(ofTree: id)
        let lock = try lockTree(id, exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        guard isRendered(id) else { throw .notRendered(id: id) }
        let expected = String(decoding: try Sys.readFile(tree + "/hash", limit: 256), as: UTF8.self)
        let actual = try TreeHasher.hash(tree: tree, digest: TreeHasher.contentDigests(tree: tree))
        guard actual == expected else { throw .treeHashMismatch(actual: actual, expected: expected) }
        return id
    }

    // MARK: Listing and garbage collection

    /// The IDs of every tree directory, rendered or not, sorted.
    public func treeIDs() -> [String] {
        (try? listTreeIDs()) ?? []
    }

    /// `treeIDs()`, failing when the tree directory cannot be read (a user who is not root).
    public func listTreeIDs() throws(RenderError) -> [String] {
        do {
            return try Files.sortedNames(directory).filter { $0.hasPrefix("deps-") }
        } catch  where error.code == ENOENT {
            return []
        } catch {
            throw .system(error)
        }
    }

    /// The bytes of every tree, summed by the image each renders (`rkt image list` adds
    /// them to the blob size), in one pass over the trees. Layer trees are a cache and not
    /// counted.
    public func treeSizesByImage() -> [String: Int64] {
        var sizes: [String: Int64] = [:]
        for id in treeIDs() {
            guard let image = try? Sys.readFile(path(ofTree: id) + "/image", limit: 256) else { continue }
            sizes[String(decoding: image, as: UTF8.self), default: 0] += Self.size(of: path(ofTree: id))
        }
        return sizes
    }

    private static func size(of path: String) -> Int64 {
        guard let info = Sys.lstat(path) else { return 0 }
        var total = Int64(info.st_size)
        guard Sys.isDirectory(info), let fd = try? Sys.openDirectory(path) else { return total }
        defer { close(fd) }
        try? DirectoryWalk.run(
            fd, rootPath: path, failure: { $0 },
            visit: { (entry) throws(SystemError) -> Bool in
                total += Int64(entry.info.st_size)
                return entry.isDirectory
            })
        return total
    }

    /// `rkt image gc`, tree part: removes every tree not in `referenced` (by pods) and not
    /// being rendered right now. Returns the removed IDs, sorted.
    public func removeTrees(except referenced: Set<String>) throws(RenderError) -> [String] {
        var removed: [String] = []
        for id in try listTreeIDs() where !referenced.contains(id) {
            guard let lock = try? lockTree(id, exclusive: true, wait: false) else { continue }
            if (try? removeTreeDirectory(id)) != nil { removed.append(id) }
            withExtendedLifetime(lock) {}
        }
        return removed
    }

    /// Removes the layer trees of images no longer in the store, and leftovers of
    /// interrupted extractions. Trees keep working: they hold their own links. Returns
    /// the removed names.
    public func pruneLayers() -> [String] {
        guard let records = try? store.records() else { return [] }
        let stored = Set(records.map(\.key))
        let (keys, leftovers) = layers.listing()
        var removed: [String] = []
        for key in keys where !stored.contains(key) {
            guard let lock = try? layers.lock(key, wait: false) else { continue }
            if (try? layers.remove(key)) != nil { removed.append(key) }
            withExtendedLifetime(lock) {}
        }
        for name in leftovers {
            // `.tmp-KEY-XXXXXX` is being written under KEY's lock; `.old-XXXXXX` is garbage.
            if name.hasPrefix(".tmp-") {
                let key = String(name.dropFirst(5).prefix(71))
                guard let lock = try? layers.lock(key, wait: false) else { continue }
                if (try? Sys.removeTree(layers.directory + "/" + name)) != nil { removed.append(name) }
                withExtendedLifetime(lock) {}
            } else if (try? Sys.removeTree(layers.directory + "/" + name)) != nil {
                removed.append(name)
            }
        }
        return removed
    }

    // MARK: Helpers

    private func manifestOf(_ key: String) throws(RenderError) -> ImageManifest {
        do throws(StoreError) {
            return try store.manifest(key)
        } catch {
            throw .store(error)
        }
    }

    private func lockTree(_ id: String, exclusive: Bool, wait: Bool = true) throws(RenderError) -> FileLock? {
        try Sys.makeDirectories(lockDirectory)
        return try takeLock(lockDirectory + "/" + id, exclusive: exclusive, wait: wait)
    }

    /// Removes a tree (the `rendered` flag first, so a half-removed tree never looks whole).
    private func removeTreeDirectory(_ id: String) throws(RenderError) {
        let tree = path(ofTree: id)
        guard Sys.exists(tree) else { return }
        if unlink(tree + "/rendered") == 0 { Sys.fsyncDirectory(tree) }
        try Sys.removeTree(tree)
    }

    /// The layer of every list position, each made or checked under its lock; the locks
    /// are taken in key order and held until the caller drops them.
    private func lockedLayers(_ images: [ResolvedImage], thorough: Bool) throws(RenderError) -> ([Layer], [FileLock]) {
        var locks: [FileLock] = []
        var byKey: [String: Layer] = [:]
        for key in Set(images.map(\.key)).sorted() {
            if let lock = try layers.lock(key) { locks.append(lock) }
            byKey[key] = try layers.ensure(key, thorough: thorough)
        }
        var ordered: [Layer] = []
        for image in images {
            guard let layer = byKey[image.key] else { throw .damaged("no layer for \(image.key)") }
            ordered.append(layer)
        }
        return (ordered, locks)
    }
}

/// Content digests known from the layer indexes; anything else is read.
private final class RecordedDigests {
    let known: [RelativePath: String]
    let tree: String

    init(_ known: [RelativePath: String], tree: String) {
        self.known = known
        self.tree = tree
    }

    func digest(_ relative: RelativePath, _ dir: Int32, _ name: [UInt8], _ info: stat) throws(RenderError) -> String {
        if let digest = known[relative] { return digest }
        return try ContentDigest.of(dir, name, path: tree + "/rootfs")
    }
}
