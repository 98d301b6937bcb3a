import CSQLite
import EnsembleSystem

/// An error from the store: what failed, by code; SQL keeps its statement text, never the values bound
/// to it, so no PHI reaches a message.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The database could not be opened or read (a path, permission or corruption problem).
        case unavailable
        /// SQLite refused a statement.
        case sql
        /// The database was written by a newer Ensemble.
        case newerSchema
        /// A stored value did not decode (the database was changed by hand).
        case corrupt
        /// The user is not allowed this action.
        case forbidden
        /// The named session, note, user or flag does not exist.
        case notFound
        /// The edit or signature was based on a version that is no longer the current one.
        case staleVersion
        /// The note is signed and locked.
        case locked
        /// The action must wait for something else (a supervisor's acknowledgement, a co-signature).
        case blocked
        /// The request itself is wrong (an unknown section, an empty edit).
        case invalid
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}

/// One SQLite connection. Not Sendable: the `Store` actor owns it and lends it to its own methods only.
final class Connection {
    private let handle: OpaquePointer
    private var statements: [String: Statement] = [:]

    /// Opens (creating if needed) the database at `path` with WAL journaling and foreign keys on.
    init(path: String) throws(StoreError) {
        if path != ":memory:" && !path.isEmpty {
            // Whole transcripts and notes: 0600 whatever the umask. SQLite gives the -wal and -shm files it
            // creates the database file's permissions; ones left by an earlier run are checked too.
            do {
                try PrivateFile.prepare(path)
                try PrivateFile.prepare(path + "-wal", create: false)
                try PrivateFile.prepare(path + "-shm", create: false)
            } catch {
                throw StoreError(.unavailable, "cannot use the database: \(error)")
            }
        }
        var handle: OpaquePointer?
        // No symbolic links: the file checked above is the file opened.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            if let handle { sqlite3_close_v2(handle) }
            throw StoreError(
                .unavailable,
                "cannot open the database \(path) (\(String(cString: sqlite3_errstr(status)))); check the path and its permissions"
            )
        }
        self.handle = handle
        sqlite3_busy_timeout(handle, 5_000)
        sqlite3_extended_result_codes(handle, 1)
        if path != ":memory:" { try self.execute("PRAGMA journal_mode = WAL") }
        try self.execute("PRAGMA foreign_keys = ON")
        try self.execute("PRAGMA synchronous = NORMAL")
    }

    deinit {
        self.statements.removeAll()
        sqlite3_close_v2(self.handle)
    }

    /// Runs statements that bind nothing and return no rows (schema, pragmas).
    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(self.handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else { throw self.error(status, sql: sql) }
    }

    /// A prepared statement, kept and reused for the same SQL text.
    func prepare(_ sql: String) throws(StoreError) -> Statement {
        if let statement = self.statements[sql] {
            statement.reset()
            return statement
        }
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v3(self.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw self.error(status, sql: sql) }
        let statement = Statement(pointer, connection: self, sql: sql)
        self.statements[sql] = statement
        return statement
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws, so a
    /// unit of work lands whole or not at all (a killed process leaves the last committed state).
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try self.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try self.execute("COMMIT")
            return result
        } catch {
            try? self.execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(self.handle) }
    var changes: Int { Int(sqlite3_changes(self.handle)) }

    func error(_ status: Int32, sql: String) -> StoreError {
        let detail = String(cString: sqlite3_errmsg(self.handle))
        return StoreError(.sql, "the database refused a statement (\(detail)): \(sql)")
    }
}

/// A prepared statement: bind by position, step through rows, read columns by position.
final class Statement {
    private let pointer: OpaquePointer
    private unowned let connection: Connection
    let sql: String

    init(_ pointer: OpaquePointer, connection: Connection, sql: String) {
        self.pointer = pointer
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(self.pointer) }

    func reset() {
        sqlite3_reset(self.pointer)
        sqlite3_clear_bindings(self.pointer)
    }

    /// Binds every value in order (`?1`, `?2` …).
    @discardableResult
    func bind(_ values: [SQLValue]) throws(StoreError) -> Statement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(self.pointer, index)
            case .integer(let number): status = sqlite3_bind_int64(self.pointer, index, number)
            case .real(let number): status = sqlite3_bind_double(self.pointer, index, number)
            case .text(let text):
                var text = text
                status = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) {
                        ensemble_sqlite3_bind_text(self.pointer, index, $0.baseAddress, Int32($0.count))
                    }
                }
            }
            guard status == SQLITE_OK else { throw self.connection.error(status, sql: self.sql) }
        }
        return self
    }

    /// Runs the statement to the end (an insert, update or delete).
    func run(_ values: [SQLValue] = []) throws(StoreError) {
        try self.bind(values)
        while try self.step() {}
    }

    /// Every row, each read by `read`.
    func rows<T>(_ values: [SQLValue] = [], _ read: (Row) throws(StoreError) -> T) throws(StoreError) -> [T] {
        try self.bind(values)
        var rows: [T] = []
        while try self.step() { rows.append(try read(Row(statement: self.pointer, sql: self.sql))) }
        return rows
    }

    /// The first row, if any.
    func row<T>(_ values: [SQLValue] = [], _ read: (Row) throws(StoreError) -> T) throws(StoreError) -> T? {
        try self.bind(values)
        guard try self.step() else { return nil }
        let value = try read(Row(statement: self.pointer, sql: self.sql))
        self.reset()
        return value
    }

    /// True while there is a row to read.
    private func step() throws(StoreError) -> Bool {
        let status = sqlite3_step(self.pointer)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            sqlite3_reset(self.pointer)
            return false
        default:
            let error = self.connection.error(status, sql: self.sql)
            sqlite3_reset(self.pointer)
            throw error
        }
    }
}

/// A value bound to a statement.
enum SQLValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }
    static func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
    static func bool(_ value: Bool) -> SQLValue { .integer(value ? 1 : 0) }
}

/// The current row of a statement.
struct Row {
    let statement: OpaquePointer
    let sql: String

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(self.statement, column) == SQLITE_NULL }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(self.statement, column)) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(self.statement, column) }
    func bool(_ column: Int32) -> Bool { sqlite3_column_int64(self.statement, column) != 0 }
    func optionalText(_ column: Int32) -> String? { self.isNull(column) ? nil : self.text(column) }
    func optionalDouble(_ column: Int32) -> Double? { self.isNull(column) ? nil : self.double(column) }
    func optionalInt(_ column: Int32) -> Int? { self.isNull(column) ? nil : self.int(column) }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(self.statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(self.statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}
