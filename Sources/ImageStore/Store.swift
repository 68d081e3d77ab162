import AppcSchema
import Foundation
import Glibc
import ImageKit
import LinuxSystem

/// rkt's image store under the data directory (`/var/lib/rkt` by default):
///
///     cas/blob/sha512/XX/KEY            the image's uncompressed tar, named by its key
///     cas/imageManifest/sha512/XX/KEY   its manifest
///     cas/db/images.json                the index (one record per image)
///     cas/db/lock                       flock: one writer of the index at a time
///     cas/tmp/                          imports in progress (unnamed files)
///
/// Imports hash while they copy, and become visible only when complete: the blob is
/// linked into place once its hash is known, then the index row is added under the
/// lock. A process killed half-way leaves no visible trace.
public final class ImageStore: @unchecked Sendable {
    public let directory: String
    public var casDirectory: String { directory + "/cas" }

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
    private var indexPath: String { casDirectory + "/db/images.json" }
    private var lockPath: String { casDirectory + "/db/lock" }

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
        let limit = ImageStore.maxImageSize
        let (manifest, id, blob) = try copyIntoStore(path, limit: limit)
        let key = id.storeKey
        if let expectedID {
            let wanted = String(expectedID.prefix(key.count))
            guard key.hasPrefix(wanted) else { throw .hashMismatch(expected: wanted, actual: key) }
        }
        let blobFile = blobPath(key)
        try StoreError.wrapping { () throws(SystemError) in
            try Self.makeDirectory(Files.directory(of: blobFile), mode: Self.fanoutMode)
            try Self.makeDirectory(Files.directory(of: manifestPath(key)), mode: Self.fanoutMode)
        }
        try publish(blob, at: blobFile)
        try writeManifest(manifest, key: key)
        var info = stat()
        let size = stat(blobFile, &info) == 0 ? Int64(info.st_size) : 0
        let now = WallClock.nanoseconds()
        return try updateIndex { records in
            if let i = ImageStore.index(of: key, in: records) {
                records[i].latest = records[i].latest || latest
                return records[i]
            }
            let version = manifest.labels.first { $0.name.description == "version" }?.value
            let record = ImageRecord(
                key: key, name: manifest.name.description, importTime: now, lastUsed: now,
                latest: latest, size: size, version: version)
            records.append(record)
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
            let reader = try TarReader(stream, hashing: true, tee: BlobWriter(fd: blob.fd, path: path, limit: limit).write)
            let manifest = try ImageValidator.validateArchive(reader)
            return (manifest, try reader.imageID(), blob)
        } catch .tooLarge(let name, _) where name == path {
            // The blob writer's limit; the manifest's own (16 MiB) is told as actool tells it.
            throw .tooLarge(limit: limit)
        } catch {
            throw .image(error)
        }
    }

    // MARK: Lookup

    /// Every record, in import order.
    public func records() throws(StoreError) -> [ImageRecord] {
        let lock = try lockIndex(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        return try loadIndex()
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
        let matches = try records().filter { $0.key.hasPrefix(prefix) }
        guard let first = matches.first else { throw .noImageIDs }
        guard matches.count == 1 else { throw .ambiguous(idPrefix) }
        return first
    }

    /// rkt's choice among images named `name` having every label in `labels`: without a
    /// `version` label prefer those marked latest, then the most recently imported.
    public func record(name: String, labels: [Label]) throws(StoreError) -> ImageRecord {
        let candidates = try records().filter { $0.name == name }.filter { record in
            guard let manifest = try? self.manifest(record.key) else { return false }
            return labels.allSatisfy { wanted in manifest.labels.contains { $0.name == wanted.name && $0.value == wanted.value } }
        }
        let askedVersion = labels.contains { $0.name.description == "version" }
        let ranked = candidates.sorted { a, b in
            if !askedVersion, a.latest != b.latest { return a.latest }
            return a.importTime > b.importTime
        }
        guard let best = ranked.first else { throw .nameNotFound(name: name, labels: labels) }
        return best
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
        try updateIndex { records in
            if let i = ImageStore.index(of: key, in: records) { records[i].lastUsed = now }
        }
    }

    /// Removes an image's record, blob and manifest.
    public func remove(_ key: String) throws(StoreError) {
        try updateIndex { records in records.removeAll { $0.key == key } }
        unlink(blobPath(key))
        unlink(manifestPath(key))
    }

    // MARK: Index

    /// The index lock: shared for reading, exclusive for a read-modify-write.
    private func lockIndex(exclusive: Bool) throws(StoreError) -> FileLock {
        let lock: FileLock?
        do {
            lock = try FileLock.acquire(lockPath, exclusive: exclusive, mode: Self.fileMode)
        } catch {
            throw .system(error)
        }
        // A waiting acquire returns nil only for a non-blocking try; kept as an error, not a crash.
        guard let lock else { throw .io("lock \(lockPath): busy") }
        return lock
    }

    private func loadIndex() throws(StoreError) -> [ImageRecord] {
        let bytes: [UInt8]
        do {
            bytes = try Files.readFile(indexPath, limit: 1 << 30)
        } catch  where error.code == ENOENT {
            return []
        } catch {
            throw .system(error)
        }
        guard !bytes.isEmpty else { return [] }
        do {
            return try JSONDecoder().decode([ImageRecord].self, from: Data(bytes))
        } catch {
            throw .damagedIndex(path: indexPath)
        }
    }

    /// When the index cannot be read, rebuilds it from the images stored under `cas/blob`
    /// (each one's manifest gives its name and version, its file's time the import time;
    /// the last use is taken as now) and keeps the damaged file as `images.json.damaged`.
    /// Returns how many images the new index holds, or nil when the index was sound.
    public func repairIndexIfDamaged() throws(StoreError) -> Int? {
        let lock = try lockIndex(exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        do {
            _ = try loadIndex()
            return nil
        } catch .damagedIndex {
            // Rebuilt below.
        }
        var records: [ImageRecord] = []
        let blobs = casDirectory + "/blob/sha512"
        for fan in (try? Files.sortedNames(blobs)) ?? [] {
            for key in (try? Files.sortedNames(blobs + "/" + fan)) ?? []
            where key.hasPrefix(ImageID.algorithmPrefix) && key.count == 71 && ImageStore.fanout(key) == fan {
                var info = stat()
                guard lstat(blobPath(key), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                guard let manifest = try? recoverManifest(key) else { continue }  // kept on disk, unlisted
                let time = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
                let version = manifest.labels.first { $0.name.description == "version" }?.value
                // Last use is unknown: now, so the gc that rebuilt the index removes none of them.
                records.append(
                    ImageRecord(
                        key: key, name: manifest.name.description, importTime: time, lastUsed: WallClock.nanoseconds(),
                        latest: false, size: Int64(info.st_size), version: version))
            }
        }
        records.sort { ($0.importTime, $0.key) < ($1.importTime, $1.key) }
        if rename(indexPath, indexPath + ".damaged") != 0 && errno != ENOENT {
            throw .io("rename \(indexPath): \(errnoText(errno))")
        }
        try saveIndex(records)
        return records.count
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

    private func saveIndex(_ records: [ImageRecord]) throws(StoreError) {
        do {
            try AtomicFile.write(indexPath, Array(try JSONEncoder().encode(records)), mode: Self.fileMode, exactMode: true)
        } catch {
            throw .io("\(indexPath): \(error)")
        }
    }

    /// Changes the index under the exclusive lock; the new list is saved atomically.
    @discardableResult
    public func updateIndex<T>(_ change: (inout [ImageRecord]) -> T) throws(StoreError) -> T {
        let lock = try lockIndex(exclusive: true)
        var records = try loadIndex()
        let result = change(&records)
        try saveIndex(records)
        withExtendedLifetime(lock) {}
        return result
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

    /// The position of `key`'s record. (A plain loop: Swift 6.3's AllocBoxToStack pass
    /// crashes on a `firstIndex(where:)` closure nested in the index closures.)
    static func index(of key: String, in records: [ImageRecord]) -> Int? {
        for (i, record) in records.enumerated() where record.key == key { return i }
        return nil
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
