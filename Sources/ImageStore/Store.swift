import AppcSchema
import Glibc
import ImageKit
import LinuxSystem
import SQLite

/// rkt's image store under the data directory (`/var/lib/rkt` by default):
///
///     cas/blob/sha512/XX/KEY            the image's uncompressed tar, named by its key
///     cas/imageManifest/sha512/XX/KEY   its manifest
///     cas/db/images.db                  the index (SQLite: images, labels, downloads)
///     cas/tmp/                          imports in progress (unnamed files)
///
/// Imports hash while they copy, and become visible only when complete: once its hash
/// is known the blob is synced, then linked into place and its row added in one index
/// transaction. A process killed half-way leaves no visible trace; one killed between
/// a removal's transaction and its unlinks leaves unlisted files `image gc` removes.
public final class ImageStore: @unchecked Sendable {
    public let directory: String
    public var casDirectory: String { directory + "/cas" }
    private let indexLock = ConditionLock()
    private var openedIndex: StoreIndex?

    /// The largest uncompressed image accepted (decompression bombs): `RKT_MAX_IMAGE_SIZE`
    /// bytes if set, else 64 GiB.
    public static var maxImageSize: Int64 {
        if let text = getenv("RKT_MAX_IMAGE_SIZE").map({ String(cString: $0) }), let value = Int64(text), value > 0 {
            return value
        }
        return 64 << 30
    }

    /// The store's directories and the modes rkt gives them when it makes them (its umask
    /// set to 0): the image store is shared with group `rkt` (setgid, group-writable), the
    /// rendered trees only root may change (so `rkt image gc` needs root). A data directory
    /// made by `scripts/setup-data-dir.sh` keeps the modes and group it was given.
    static let directoryModes: [(String, mode_t)] = [
        ("cas", 0o2770), ("cas/blob", 0o2770), ("cas/blob/sha512", 0o2770), ("cas/imageManifest", 0o2770),
        ("cas/imageManifest/sha512", 0o2770), ("cas/db", 0o2770), ("cas/tmp", 0o2770),
        ("cas/tree", 0o2700), ("cas/layers", 0o2700),
    ]
    /// The mode of the store's files (blobs, manifests, the index and its lock), as rkt's.
    static let fileMode: mode_t = 0o660

    /// Opens (creating if needed) the store under `directory`. As rkt's, opening reads the
    /// `cas` directory: a user who may not gets `cannot open store: open DIR: permission denied`.
    public init(directory: String) throws(StoreError) {
        self.directory = directory
        do throws(SystemError) {
            try Files.makeDirectories(directory)
            for (sub, mode) in Self.directoryModes { try Self.makeDirectory(directory + "/" + sub, mode: mode) }
            _ = try FileDescriptor.open(directory + "/cas", O_RDONLY | O_DIRECTORY)
        } catch {
            throw .cannotOpen(error)
        }
    }

    // MARK: Paths

    public func blobPath(_ key: String) -> String { casDirectory + "/blob/sha512/" + ImageStore.fanout(key) + "/" + key }
    public func manifestPath(_ key: String) -> String { casDirectory + "/imageManifest/sha512/" + ImageStore.fanout(key) + "/" + key }

    private static func fanout(_ key: String) -> String {
        String(key.dropFirst(ImageID.algorithmPrefix.count).prefix(2))
    }

    // MARK: Import

    /// Imports an ACI file (gzip, bzip2, xz or plain tar): validates it, stores the
    /// uncompressed tar under its key, and records it. Importing an image that is
    /// already stored only updates its record.
    /// - Parameters:
    ///   - expectedID: when given (a dependency's pinned `imageID`), the image must hash to it.
    ///   - latest: mark the record "latest" (fetched by name without a version).
    public func importImage(from path: String, expectedID: String? = nil, latest: Bool = false) throws(StoreError) -> ImageRecord {
        let (manifest, id, blob) = try copyIntoStore(path, limit: ImageStore.maxImageSize)
        return try publish(blob, manifest: manifest, id: id, expectedID: expectedID, latest: latest)
    }

    /// Imports an image a trusted writer produces in place (a converted image): `write`
    /// gets an unnamed file under `cas/tmp` to write the uncompressed tar into, and
    /// returns the image's manifest and ID, computed as it wrote. Nothing is read back.
    public func importWritten(
        expectedID: String? = nil, latest: Bool = false, _ write: (Int32) throws -> (ImageManifest, ImageID)
    ) throws -> ImageRecord {
        let blob = try StoreError.wrapping { () throws(SystemError) in
            try AtomicFile(path: casDirectory + "/tmp/import", mode: Self.fileMode, exactMode: true)
        }
        let (manifest, id) = try write(blob.fd)
        var info = stat()
        if fstat(blob.fd, &info) == 0, Int64(info.st_size) > ImageStore.maxImageSize { throw StoreError.tooLarge(limit: ImageStore.maxImageSize) }
        return try publish(blob, manifest: manifest, id: id, expectedID: expectedID, latest: latest)
    }

    /// Links a finished blob in under its key and records it.
    private func publish(_ blob: AtomicFile, manifest: ImageManifest, id: ImageID, expectedID: String?, latest: Bool) throws(StoreError) -> ImageRecord {
        let key = id.storeKey
        if let expectedID {
            let wanted = String(expectedID.prefix(key.count))
            guard key.hasPrefix(wanted) else { throw .hashMismatch(expected: wanted, actual: key) }
        }
        let blobFile = blobPath(key)
        try StoreError.wrapping { () throws(SystemError) in
            try Self.makeDirectory(Files.directory(of: blobFile), mode: Self.fanoutMode)
            try Self.makeDirectory(Files.directory(of: manifestPath(key)), mode: Self.fanoutMode)
            // On the disk before the row that names it commits.
            try blob.sync()
        }
        let index = try index()
        let now = WallClock.nanoseconds()
        // Linked in under the index's write lock: `image gc`'s sweep of unlisted blobs,
        // which takes it too, never sees a blob between its link and its row.
        return try index.write { db throws(StoreError) in
            try publish(blob, at: blobFile)
            if var existing = try index.sql({ () throws(SQLiteError) in try StoreIndex.records(db, "WHERE key = ?", .text(key)) }).first {
                if latest && !existing.latest {
                    try index.sql { () throws(SQLiteError) in try db.run("UPDATE images SET latest = 1 WHERE key = ?", .text(key)) }
                    existing.latest = true
                }
                return existing
            }
            try writeManifest(manifest, key: key)
            var info = stat()
            let size = stat(blobFile, &info) == 0 ? Int64(info.st_size) : 0
            let record = ImageRecord(key: key, manifest: manifest, importTime: now, lastUsed: now, latest: latest, size: size)
            try index.sql { () throws(SQLiteError) in try StoreIndex.insert(IndexEntry(record: record, manifest: manifest), into: db) }
            return record
        }
    }

    /// Links a finished blob in; one already there has the same bytes (same key).
    private func publish(_ blob: AtomicFile, at path: String) throws(StoreError) {
        do {
            try blob.commit(to: path, replace: false)
        } catch  where error.code == EEXIST {
            blob.discard()
        } catch {
            throw .system(error)
        }
    }

    private func writeManifest(_ manifest: ImageManifest, key: String) throws(StoreError) {
        let bytes: [UInt8]
        do {
            bytes = try manifest.encoded()
        } catch {
            throw .manifest(error)
        }
        try StoreError.wrapping { () throws(SystemError) in try AtomicFile.write(manifestPath(key), bytes, mode: Self.fileMode, exactMode: true) }
    }

    /// Decompresses, validates and hashes `path` into an unnamed file under cas/tmp.
    private func copyIntoStore(_ path: String, limit: Int64) throws(StoreError) -> (ImageManifest, ImageID, AtomicFile) {
        let blob: AtomicFile
        do {
            blob = try AtomicFile(path: casDirectory + "/tmp/import", mode: Self.fileMode, exactMode: true)
        } catch {
            throw .system(error)
        }
        do {
            let stream = try ACIStream(path: path, pipelined: true)
            defer { stream.close() }
            // Write errors name the blob (in the store's cas/tmp): a full disk is the store's.
            let reader = try TarReader(stream, hashing: true, tee: BlobWriter(fd: blob.fd, path: blob.targetPath, limit: limit).write)
            let manifest = try ImageValidator.validateArchive(reader)
            return (manifest, try reader.imageID(), blob)
        } catch .tooLarge(let name, _) where name == blob.targetPath {
            // The blob writer's limit; the manifest's own (16 MiB) is told as actool tells it.
            throw .tooLarge(limit: limit)
        } catch {
            throw .image(error)
        }
    }

    // MARK: Lookup

    /// Every record, in import order.
    public func records() throws(StoreError) -> [ImageRecord] {
        try index().read { db throws(SQLiteError) in try StoreIndex.records(db) }
    }

    /// The image whose key starts with `prefix` (rkt's rules: `sha512-` and at least two hex digits).
    public func record(idPrefix: String) throws(StoreError) -> ImageRecord {
        let prefix: String
        do {
            prefix = try ImageID.normalisedPrefix(idPrefix)
        } catch let .invalidImageID(_, reason) {
            throw reason == "image ID too short" ? .imageIDTooShort : .wrongKeyPrefix(idPrefix)
        } catch {
            throw .wrongKeyPrefix(idPrefix)
        }
        // Keys are lower-case hex: every key starting with `prefix` sorts below `prefix~`.
        let matches = try index().read { db throws(SQLiteError) in
            try StoreIndex.records(db, "WHERE key >= ? AND key < ? ORDER BY seq LIMIT 2", .text(prefix), .text(prefix + "~"))
        }
        guard let first = matches.first else { throw .noImageIDs }
        guard matches.count == 1 else { throw .ambiguous(idPrefix) }
        return first
    }

    /// rkt's choice among images named `name` having every label in `labels`: without a
    /// `version` label prefer those marked latest, then the most recently imported.
    public func record(name: String, labels: [Label]) throws(StoreError) -> ImageRecord {
        let candidates = try index().read { db throws(SQLiteError) in
            var matching: [ImageRecord] = []
            for record in try StoreIndex.records(db, "WHERE name = ? ORDER BY seq", .text(name)) {
                var stored: [String: String] = [:]
                try db.statement("SELECT name, value FROM labels WHERE key = ?").forEach(.text(record.key)) { row throws(SQLiteError) in
                    stored[row.text(0)] = row.text(1)
                }
                if labels.allSatisfy({ stored[$0.name.description] == $0.value }) { matching.append(record) }
            }
            return matching
        }
        let askedVersion = labels.contains { $0.name.description == "version" }
        let ranked = candidates.sorted { a, b in
            if !askedVersion, a.latest != b.latest { return a.latest }
            return a.importTime > b.importTime
        }
        guard let best = ranked.first else { throw .nameNotFound(name: name, labels: labels) }
        return best
    }

    /// The other stored images that name `record` as a dependency (by a pinned ID that
    /// matches it, or by its name), in import order.
    public func dependents(of record: ImageRecord) throws(StoreError) -> [ImageRecord] {
        try index().read { db throws(SQLiteError) in
            try StoreIndex.records(
                db,
                """
                WHERE key != ?1 AND key IN (SELECT key FROM dependencies WHERE
                    (image_id IS NULL AND name = ?2) OR
                    (image_id IS NOT NULL AND substr(?1, 1, min(length(image_id), length(?1))) = substr(image_id, 1, length(?1))))
                ORDER BY seq
                """, .text(record.key), .text(record.name))
        }
    }

    /// A stored image's manifest.
    public func manifest(_ key: String) throws(StoreError) -> ImageManifest {
        do {
            return try ImageManifest.decode(try FileSystem.readFile(manifestPath(key), limit: ImageValidator.manifestLimit))
        } catch let error as ImageKitError {
            throw .image(error)
        } catch let error as ManifestError {
            throw .manifest(error)
        } catch {
            throw .io("\(error)")
        }
    }

    /// Records a use (rkt's "last used" column).
    public func touch(_ key: String) throws(StoreError) {
        let now = WallClock.nanoseconds()
        try index().update { db throws(SQLiteError) in try db.run("UPDATE images SET last_used = ? WHERE key = ?", .integer(now), .text(key)) }
    }

    /// Removes an image's record, blob and manifest.
    public func remove(_ key: String) throws(StoreError) {
        try remove([key])
    }

    /// Removes the records of `keys` in one transaction, then their blobs and manifests.
    public func remove(_ keys: [String]) throws(StoreError) {
        let index = try index()
        try index.update { db throws(SQLiteError) in
            for key in keys { try StoreIndex.delete(key, from: db) }
        }
        // The files go after the rows are gone (a kill in between leaves unlisted files for
        // gc, never a row without its blob), and only if no import brought a row back.
        try index.write { db throws(StoreError) in
            for key in keys where try !index.sql({ () throws(SQLiteError) in try StoreIndex.contains(key, db) }) {
                unlink(blobPath(key))
                unlink(manifestPath(key))
            }
        }
    }

    /// Removes blobs and manifests no record names: left by an import or removal killed
    /// half-way, or by an earlier release. Returns their keys.
    public func removeUnlistedFiles() throws(StoreError) -> [String] {
        let index = try index()
        return try index.write { db throws(StoreError) in
            let listed = Set(try index.sql { () throws(SQLiteError) in try StoreIndex.records(db).map(\.key) })
            var removed: Set<String> = []
            for (root, path) in [("/blob/sha512", blobPath), ("/imageManifest/sha512", manifestPath)] {
                for key in storedKeys(under: casDirectory + root) where !listed.contains(key) {
                    unlink(path(key))
                    removed.insert(key)
                }
            }
            return removed.sorted()
        }
    }

    /// The key-named files under `root`'s fan-out directories.
    private func storedKeys(under root: String) -> [String] {
        var keys: [String] = []
        for fan in (try? Files.sortedNames(root)) ?? [] {
            for key in (try? Files.sortedNames(root + "/" + fan)) ?? []
            where key.hasPrefix(ImageID.algorithmPrefix) && key.utf8.count == 71 && ImageStore.fanout(key) == fan {
                keys.append(key)
            }
        }
        return keys
    }

    // MARK: Remotes

    /// The download record of `url` whose image is still stored.
    public func remote(for url: String) throws(StoreError) -> RemoteRecord? {
        try index().read { db throws(SQLiteError) in
            var found: RemoteRecord?
            let sql = """
                SELECT aci_url, sig_url, etag, blob_key, download_time, cache_max_age FROM remotes
                WHERE aci_url = ? AND EXISTS (SELECT 1 FROM images WHERE images.key = remotes.blob_key)
                """
            try db.statement(sql).forEach(.text(url)) { row throws(SQLiteError) in
                found = RemoteRecord(
                    aciURL: row.text(0), sigURL: row.text(1), etag: row.text(2), blobKey: row.text(3), downloadTime: row.double(4),
                    cacheMaxAge: Int(row.int64(5)))
            }
            return found
        }
    }

    /// Adds or replaces the download record of `remote.aciURL`.
    public func saveRemote(_ remote: RemoteRecord) throws(StoreError) {
        try index().update { db throws(SQLiteError) in try StoreIndex.save(remote, into: db) }
    }

    // MARK: Imported files

    /// What is known of the file at `path` from its last import, if its image is still stored.
    public func importedFile(_ path: String) throws(StoreError) -> ImportedFile? {
        try index().read { db throws(SQLiteError) in
            var found: ImportedFile?
            let sql = """
                SELECT identity, signature, signers, key FROM imported_files
                WHERE path = ? AND EXISTS (SELECT 1 FROM images WHERE images.key = imported_files.key)
                """
            try db.statement(sql).forEach(.text(path)) { row throws(SQLiteError) in
                let signers = row.text(2)
                found = ImportedFile(
                    path: path, identity: row.text(0), signature: row.optionalText(1),
                    signers: signers.isEmpty ? [] : signers.split(separator: "\n").map(String.init), key: row.text(3))
            }
            return found
        }
    }

    /// Remembers the import of `file` (replacing what was known of its path).
    public func rememberImport(_ file: ImportedFile) throws(StoreError) {
        try index().update { db throws(SQLiteError) in
            try db.run(
                "INSERT OR REPLACE INTO imported_files (path, identity, signature, signers, key) VALUES (?, ?, ?, ?, ?)",
                .text(file.path), .text(file.identity), file.signature.map(SQLValue.text), .text(file.signers.joined(separator: "\n")),
                .text(file.key))
        }
    }

    // MARK: Index

    /// `cas/db/images.db`.
    public var indexPath: String { casDirectory + "/db/" + StoreIndex.fileName }
    /// The index file of earlier releases, migrated once and then kept as `images.json.migrated`.
    private var legacyIndexPath: String { casDirectory + "/db/images.json" }
    private var legacyRemotesPath: String { casDirectory + "/db/remotes.json" }

    /// The index, opened on first use.
    func index() throws(StoreError) -> StoreIndex {
        try indexLock.locked { () throws(StoreError) in try openIndex() }
    }

    /// `index()` with the lock held.
    private func openIndex() throws(StoreError) -> StoreIndex {
        if let openedIndex { return openedIndex }
        let index = try StoreIndex(path: indexPath, mode: Self.fileMode) { () throws(StoreError) in try self.seedIndex() }
        openedIndex = index
        // Set aside only now that the index holds what they held (a kill before the commit
        // leaves them to be migrated again; one after it, in place but no longer read).
        if index.wasCreated {
            for old in [legacyIndexPath, legacyRemotesPath] { rename(old, old + ".migrated") }
        }
        return index
    }

    /// What a new index starts with: an earlier release's records (`images.json`, and the
    /// download records of `remotes.json`), else the images found under `cas/blob` (a store
    /// whose index was lost or damaged; nothing for a new store). Records whose blob is
    /// missing are dropped. `index()` renames the old files `*.migrated` once the index commits.
    private func seedIndex() throws(StoreError) -> ([IndexEntry], [RemoteRecord]) {
        let legacy = try? Files.readFile(legacyIndexPath, limit: 1 << 30)
        var entries: [IndexEntry] = []
        if let legacy, let records = ImageRecord.legacyRecords(legacy) {
            for record in records where Files.isRegularFile(blobPath(record.key)) {
                guard let manifest = try? recoverManifest(record.key) else { continue }
                entries.append(IndexEntry(record: record, manifest: manifest))
            }
        } else {
            entries = recoverEntries()
        }
        let keys = Set(entries.map(\.record.key))
        var remotes: [RemoteRecord] = []
        if let bytes = try? Files.readFile(legacyRemotesPath, limit: 1 << 30), let decoded = RemoteRecord.legacyRecords(bytes) {
            remotes = decoded.filter { keys.contains($0.blobKey) }
        }
        return (entries, remotes)
    }

    /// One entry per image found under `cas/blob` (each one's manifest gives its name and
    /// labels, its file's time the import time; the last use is taken as now).
    private func recoverEntries() -> [IndexEntry] {
        var entries: [IndexEntry] = []
        for key in storedKeys(under: casDirectory + "/blob/sha512") {
            var info = stat()
            guard lstat(blobPath(key), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            guard let manifest = try? recoverManifest(key) else { continue }  // kept on disk, unlisted
            // Last use is unknown: now, so the gc that rebuilt the index removes none of them.
            let record = ImageRecord(
                key: key, manifest: manifest, importTime: info.st_mtim.nanoseconds, lastUsed: WallClock.nanoseconds(), latest: false,
                size: Int64(info.st_size))
            entries.append(IndexEntry(record: record, manifest: manifest))
        }
        entries.sort { ($0.record.importTime, $0.record.key) < ($1.record.importTime, $1.record.key) }
        return entries
    }

    /// When the index cannot be read, or its pages do not check out, moves it aside as
    /// `images.db.damaged` and rebuilds it from the images stored under `cas/blob`.
    /// Returns how many images the new index holds, or nil when the index was sound.
    public func repairIndexIfDamaged() throws(StoreError) -> Int? {
        do {
            if try index().isSound() { return nil }
        } catch .damagedIndex {
            // Rebuilt below.
        }
        indexLock.locked { openedIndex = nil }
        guard rename(indexPath, indexPath + ".damaged") == 0 || errno == ENOENT else {
            throw .system(SystemError("rename", indexPath))
        }
        // The journal belongs to the damaged file; replayed into a new one it would damage that too.
        for suffix in ["-wal", "-shm"] { unlink(indexPath + suffix) }
        return try records().count
    }

    /// A stored image's manifest: the copy under `cas/imageManifest`, else read again from
    /// the blob (which is then validated as an import would be), and written back.
    private func recoverManifest(_ key: String) throws(StoreError) -> ImageManifest {
        if let manifest = try? manifest(key) { return manifest }
        let manifest: ImageManifest
        do {
            let stream = try ACIStream(path: blobPath(key), pipelined: false)
            defer { stream.close() }
            manifest = try ImageValidator.validateArchive(try TarReader(stream, hashing: false))
        } catch {
            throw .image(error)
        }
        try StoreError.wrapping { () throws(SystemError) in try Self.makeDirectory(Files.directory(of: manifestPath(key)), mode: Self.fanoutMode) }
        try writeManifest(manifest, key: key)
        return manifest
    }

    // MARK: Helpers

    /// The mode of a `sha512/XX` directory of blobs or manifests: shared as its parent is.
    private static let fanoutMode: mode_t = 0o2770

    /// Makes directory `path` with exactly `mode` (no umask) if it is missing; an existing
    /// one keeps its mode (one set up by `scripts/setup-data-dir.sh`, say).
    private static func makeDirectory(_ path: String, mode: mode_t) throws(SystemError) {
        if mkdir(path, mode) == 0 {
            chmod(path, mode)
        } else if errno != EEXIST {
            throw SystemError("mkdir", path)
        }
    }

}

/// Copies an import's decompressed bytes into its blob file, refusing more than `limit`.
private final class BlobWriter {
    let fd: Int32
    let path: String
    let limit: Int64
    private var written: Int64 = 0

    init(fd: Int32, path: String, limit: Int64) {
        self.fd = fd
        self.path = path
        self.limit = limit
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws(ImageKitError) {
        written += Int64(chunk.count)
        guard written <= limit else { throw .tooLarge(name: path, limit: Int(limit)) }
        try ImageKitError.wrapping { () throws(SystemError) in try Files.writeAll(fd, chunk, path: path) }
    }
}
