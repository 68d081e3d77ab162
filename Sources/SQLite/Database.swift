import CSQLite
import Glibc

/// An SQLite failure: the result code and SQLite's message.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLite's extended result code.
    public let code: Int32
    public let message: String

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    init(code: Int32, database: OpaquePointer?) {
        let text = database.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        self.init(code: code, message: text ?? String(cString: sqlite3_errstr(code)))
    }

    /// The file is not a database or its pages are damaged: only a rebuild helps.
    public var isDamage: Bool {
        let primary = code & 0xff
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
    }

    public var description: String { message }
}

/// One connection to an SQLite database file (Debian's libsqlite3). Not thread-safe: a
/// caller that shares one between threads serialises its use. Statements are prepared
/// once per connection and kept.
public final class Database {
    private let handle: OpaquePointer
    private var statements: [String: Statement] = [:]
    private var inTransaction = false

    /// Opens (creating if asked) the database at `path`; `busyTimeout` is how long a write
    /// waits for another connection's write to end, in milliseconds.
    public init(path: String, create: Bool = true, busyTimeout: Int32 = 600_000) throws(SQLiteError) {
        var pointer: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard let pointer else { throw SQLiteError(code: code, message: "out of memory") }
        guard code == SQLITE_OK else {
            let error = SQLiteError(code: code, database: pointer)
            sqlite3_close_v2(pointer)
            throw error
        }
        handle = pointer
        sqlite3_busy_timeout(handle, busyTimeout)
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that take no parameters (schema, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw SQLiteError(code: code, database: handle) }
    }

    /// The statement for `sql`, prepared on first use and reset for this one.
    public func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else { throw SQLiteError(code: code, database: handle) }
        let statement = Statement(pointer, database: handle)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `parameters` to its end (an insert, update or delete); returns how
    /// many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ parameters: SQLValue?...) throws(SQLiteError) -> Int {
        let statement = try statement(sql)
        try statement.bind(parameters)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs `body` in one transaction, committed if it returns and rolled back if it throws.
    /// `immediate` takes the write lock at once (every transaction that writes should: a
    /// deferred one that reads first could find its snapshot stale when it comes to write).
    /// Nested calls join the outer transaction.
    public func transaction<T, Failure: Error>(immediate: Bool = true, _ body: () throws(Failure) -> T) throws(TransactionError<Failure>) -> T {
        if inTransaction {
            do {
                return try body()
            } catch {
                throw .body(error)
            }
        }
        do {
            try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        } catch {
            throw .database(error)
        }
        inTransaction = true
        defer { inTransaction = false }
        let result: T
        do {
            result = try body()
        } catch {
            try? execute("ROLLBACK")
            throw .body(error)
        }
        do {
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw .database(error)
        }
        return result
    }

    /// `PRAGMA NAME` as an integer (`user_version`, `page_count`).
    public func pragmaInteger(_ name: String) throws(SQLiteError) -> Int64 {
        let statement = try statement("PRAGMA " + name)
        guard try statement.step() else { return 0 }
        let value = statement.int64(0)
        statement.reset()
        return value
    }
}

/// Why a transaction failed: the database, or the body's own error.
public enum TransactionError<Failure: Error>: Error {
    case database(SQLiteError)
    case body(Failure)
}

/// A parameter's value.
public enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

/// A prepared statement: bind, step, read columns.
public final class Statement {
    private let pointer: OpaquePointer
    private let database: OpaquePointer

    init(_ pointer: OpaquePointer, database: OpaquePointer) {
        self.pointer = pointer
        self.database = database
    }

    deinit { sqlite3_finalize(pointer) }

    /// Binds `values` to parameters 1, 2, ... (nil binds NULL).
    public func bind(_ values: [SQLValue?]) throws(SQLiteError) {
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let code: Int32
            switch value {
            case nil: code = sqlite3_bind_null(pointer, index)
            case let .integer(number)?: code = sqlite3_bind_int64(pointer, index, number)
            case let .real(number)?: code = sqlite3_bind_double(pointer, index, number)
            case let .text(text)?:
                code = text.withCString { csqlite_bind_text(pointer, index, $0, Int32(strlen($0))) }
            }
            guard code == SQLITE_OK else { throw SQLiteError(code: code, database: database) }
        }
    }

    /// Binds `values` and runs the statement, calling `row` for each row.
    public func forEach(_ values: SQLValue?..., row: (Statement) throws(SQLiteError) -> Void) throws(SQLiteError) {
        try forEach(values, row: row)
    }

    /// Binds `values` and runs the statement, calling `row` for each row.
    public func forEach(_ values: [SQLValue?], row: (Statement) throws(SQLiteError) -> Void) throws(SQLiteError) {
        // Reset at the end, so the statement holds no read snapshot open (WAL checkpoints wait for those).
        defer { reset() }
        try bind(values)
        while try step() { try row(self) }
    }

    /// Advances to the next row: true when there is one, false when done.
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(pointer)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteError(code: sqlite3_extended_errcode(database), database: database)
            sqlite3_reset(pointer)
            throw error
        }
    }

    /// Ends the current run (keeps the bindings until the next bind).
    public func reset() {
        sqlite3_reset(pointer)
        sqlite3_clear_bindings(pointer)
    }

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(pointer, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(pointer, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(pointer, column) == SQLITE_NULL }

    public func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(pointer, column) else { return "" }
        let count = Int(sqlite3_column_bytes(pointer, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
}
