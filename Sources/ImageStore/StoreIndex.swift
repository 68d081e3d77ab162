import AppcSchema
import Glibc
import LinuxSystem
import SQLite

/// One image as the index stores it: its record, and what lookups need of its manifest
/// (labels for name lookups, dependencies for `image rm`'s check) without reading it.
struct IndexEntry {
    var record: ImageRecord
    var labels: [(name: String, value: String)]
    var dependencies: [(name: String, imageID: String?)]
}

extension IndexEntry {
    init(record: ImageRecord, manifest: ImageManifest) {
        self.record = record
        labels = manifest.labels.map { ($0.name.description, $0.value) }
        dependencies = manifest.dependencies.map { ($0.imageName.description, $0.imageID?.description) }
    }
}

/// The store's index, `cas/db/images.db`: an SQLite database in WAL mode (readers never
/// wait for a writer), where rkt kept `cas/db/ql.db`. Each command's change is one
/// transaction, so a process killed at any point leaves the index as it was before or
/// after that change. One connection per store object, used by one thread at a time.
final class StoreIndex {
    static let fileName = "images.db"
    /// `PRAGMA user_version` of the schema below.
    static let schemaVersion: Int64 = 1

    let path: String
    /// True when this instance made the index (and ran the seed).
    private(set) var wasCreated = false
    private let database: Database
    private let lock = ConditionLock()

    private static let schema = """
        CREATE TABLE IF NOT EXISTS images (
            seq INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            version TEXT,
            import_time INTEGER NOT NULL,
            last_used INTEGER NOT NULL,
            latest INTEGER NOT NULL,
            size INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS images_by_name ON images(name);
        CREATE TABLE IF NOT EXISTS labels (
            key TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (key, name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS dependencies (
            key TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL, image_id TEXT,
            PRIMARY KEY (key, position)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS dependencies_by_name ON dependencies(name);
        CREATE TABLE IF NOT EXISTS remotes (
            aci_url TEXT PRIMARY KEY, sig_url TEXT NOT NULL, etag TEXT NOT NULL, blob_key TEXT NOT NULL,
            download_time REAL NOT NULL, cache_max_age INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS remotes_by_key ON remotes(blob_key);
        CREATE TABLE IF NOT EXISTS imported_files (
            path TEXT PRIMARY KEY, identity TEXT NOT NULL, signature TEXT, signers TEXT NOT NULL, key TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS imported_files_by_key ON imported_files(key);
        """

    /// Opens the index at `path`, making it (with exactly `mode`) if it is missing. A new
    /// index is filled by `seed`, in the transaction that makes it (the migration of an
    /// older store's files); `seed` runs at most once per store.
    init(path: String, mode: mode_t, seed: () throws(StoreError) -> ([IndexEntry], [RemoteRecord])) throws(StoreError) {
        self.path = path
        // Made here rather than by SQLite, so the group sharing the store may open it (the
        // journal files SQLite makes beside it take this file's mode).
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode)
        if fd >= 0 {
            var info = stat()
            if fstat(fd, &info) == 0, info.st_size == 0, info.st_uid == geteuid() { fchmod(fd, mode) }
            close(fd)
        } else {
            throw .cannotOpen(SystemError("open", path))
        }
        do {
            database = try Database(path: path, create: false)
            try database.execute("PRAGMA synchronous=NORMAL")
            // The one read an open of a current index costs.
            guard try database.pragmaInteger("user_version") != Self.schemaVersion else { return }
            try database.execute("PRAGMA journal_mode=WAL")
        } catch {
            throw Self.failure(error, path: path)
        }
        try write { db throws(StoreError) in
            // Another process may have made it since the check above.
            guard try sql({ () throws(SQLiteError) in try db.pragmaInteger("user_version") }) != Self.schemaVersion else { return }
            let (entries, remotes) = try seed()
            try sql { () throws(SQLiteError) in
                try db.execute(Self.schema)
                for entry in entries { try Self.insert(entry, into: db) }
                for remote in remotes { try Self.save(remote, into: db) }
                try db.execute("PRAGMA user_version=\(Self.schemaVersion)")
            }
            wasCreated = true
        }
    }

    // MARK: Transactions

    /// Runs `body` in a read transaction: one consistent snapshot, never waiting for writers.
    func read<T>(_ body: (Database) throws(SQLiteError) -> T) throws(StoreError) -> T {
        try lock.locked { () throws(StoreError) in
            do throws(TransactionError<SQLiteError>) {
                return try database.transaction(immediate: false) { () throws(SQLiteError) in try body(database) }
            } catch {
                throw Self.failure(error, path: path)
            }
        }
    }

    /// Runs `body` in a write transaction (the store's writers take turns).
    func write<T>(_ body: (Database) throws(StoreError) -> T) throws(StoreError) -> T {
        try lock.locked { () throws(StoreError) in
            do throws(TransactionError<StoreError>) {
                return try database.transaction(immediate: true) { () throws(StoreError) in try body(database) }
            } catch {
                switch error {
                case let .body(error): throw error
                case let .database(error): throw Self.failure(error, path: path)
                }
            }
        }
    }

    /// Runs a write transaction whose body is SQL alone.
    @discardableResult
    func update<T>(_ body: (Database) throws(SQLiteError) -> T) throws(StoreError) -> T {
        try write { db throws(StoreError) in try sql { () throws(SQLiteError) in try body(db) } }
    }

    /// Runs SQL work inside `write`'s body, turning its errors into the store's.
    @discardableResult
    func sql<T>(_ body: () throws(SQLiteError) -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw Self.failure(error, path: path)
        }
    }

    private static func failure(_ error: TransactionError<SQLiteError>, path: String) -> StoreError {
        switch error {
        case let .database(error), let .body(error): return failure(error, path: path)
        }
    }

    static func failure(_ error: SQLiteError, path: String) -> StoreError {
        error.isDamage ? .damagedIndex(path: path) : .database(path: path, message: error.message)
    }

    /// True when the database's pages check out (`PRAGMA quick_check`).
    func isSound() -> Bool {
        (try? read { db throws(SQLiteError) -> Bool in
            let statement = try db.statement("PRAGMA quick_check")
            var ok = false
            try statement.forEach { row throws(SQLiteError) in ok = ok || row.text(0) == "ok" }
            return ok
        }) ?? false
    }

    // MARK: Images

    static let columns = "key, name, version, import_time, last_used, latest, size"

    static func record(_ row: Statement) -> ImageRecord {
        ImageRecord(
            key: row.text(0), name: row.text(1), importTime: row.int64(3), lastUsed: row.int64(4),
            latest: row.int64(5) != 0, size: row.int64(6), version: row.optionalText(2))
    }

    /// The records selected by `clause` (`WHERE`, `ORDER BY`, `LIMIT`) with `parameters`;
    /// by default all of them, in import order.
    static func records(_ db: Database, _ clause: String = "ORDER BY seq", _ parameters: SQLValue?...) throws(SQLiteError) -> [ImageRecord] {
        var records: [ImageRecord] = []
        try db.statement("SELECT \(columns) FROM images \(clause)").forEach(parameters) { row throws(SQLiteError) in records.append(record(row)) }
        return records
    }

    /// True when image `key` has a row.
    static func contains(_ key: String, _ db: Database) throws(SQLiteError) -> Bool {
        var found = false
        try db.statement("SELECT 1 FROM images WHERE key = ?").forEach(.text(key)) { _ throws(SQLiteError) in found = true }
        return found
    }

    /// Adds `entry` unless its image is indexed.
    static func insert(_ entry: IndexEntry, into db: Database) throws(SQLiteError) {
        let r = entry.record
        let added = try db.run(
            "INSERT OR IGNORE INTO images (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
            .text(r.key), .text(r.name), r.version.map(SQLValue.text), .integer(r.importTime), .integer(r.lastUsed),
            .integer(r.latest ? 1 : 0), .integer(r.size))
        guard added > 0 else { return }
        for label in entry.labels {
            try db.run("INSERT OR REPLACE INTO labels (key, name, value) VALUES (?, ?, ?)", .text(r.key), .text(label.name), .text(label.value))
        }
        for (position, dependency) in entry.dependencies.enumerated() {
            try db.run(
                "INSERT INTO dependencies (key, position, name, image_id) VALUES (?, ?, ?, ?)",
                .text(r.key), .integer(Int64(position)), .text(dependency.name), dependency.imageID.map(SQLValue.text))
        }
    }

    /// Removes the rows of image `key`.
    static func delete(_ key: String, from db: Database) throws(SQLiteError) {
        for table in ["images", "labels", "dependencies", "imported_files"] {
            try db.run("DELETE FROM \(table) WHERE key = ?", .text(key))
        }
        try db.run("DELETE FROM remotes WHERE blob_key = ?", .text(key))
    }

    // MARK: Remotes

    static func save(_ remote: RemoteRecord, into db: Database) throws(SQLiteError) {
        try db.run(
            "INSERT OR REPLACE INTO remotes (aci_url, sig_url, etag, blob_key, download_time, cache_max_age) VALUES (?, ?, ?, ?, ?, ?)",
            .text(remote.aciURL), .text(remote.sigURL), .text(remote.etag), .text(remote.blobKey), .real(remote.downloadTime),
            .integer(Int64(remote.cacheMaxAge)))
    }
}
