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

/// The SQL the store writes: SQLite's, with `?1`, `?2` … placeholders. A driver for another database
/// translates what differs (`PostgresDriver` turns placeholders into `$1`, `INSERT OR IGNORE` into
/// `ON CONFLICT DO NOTHING` and a text's byte length into `octet_length`).
package enum SQLDialect: Sendable, Hashable {
    case sqlite, postgresql
}

/// A database the store runs its statements on, one at a time, from the store's actor. A driver reports
/// every failure as a `StoreError` that keeps the statement's text and never the values bound to it.
package protocol SQLDriver: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs statements that bind nothing and return no rows.
    func execute(_ sql: String) throws(StoreError)
    /// Runs one statement with `values` bound in order, handing each row to `each` until it returns false.
    /// Returns how many rows an insert, update or delete changed.
    func run(_ sql: String, _ values: [SQLValue], _ each: (Row) throws(StoreError) -> Bool) throws(StoreError) -> Int
    /// Starts a transaction. An `exclusive` one waits until no other writer (in this process or any other
    /// on the same database) is inside one, as SQLite's `BEGIN IMMEDIATE` does: every audited change
    /// extends the one hash chain, so writers take turns.
    func begin(exclusive: Bool) throws(StoreError)
    func commit() throws(StoreError)
    func rollback()
    /// Starts a read-only transaction that sees one snapshot of the database throughout, while others
    /// go on writing.
    func beginSnapshot() throws(StoreError)
    /// The schema version the database is at, and the one this Ensemble writes.
    func schemaVersion() throws(StoreError) -> (current: Int, expected: Int)
    /// A table's columns, in their order.
    func columns(of table: String) throws(StoreError) -> [String]
}

extension SQLDriver {
    /// The first column of every row the statement gives, as text.
    package func texts(_ sql: String, _ values: [SQLValue] = []) throws(StoreError) -> [String] {
        var texts: [String] = []
        _ = try self.run(sql, values) { (row) throws(StoreError) in
            texts.append(row.text(0))
            return true
        }
        return texts
    }

    /// The integer in the first column of the statement's first row (0 when there is none).
    package func integer(_ sql: String) throws(StoreError) -> Int {
        var value = 0
        _ = try self.run(sql, []) { (row) throws(StoreError) in
            value = row.int(0)
            return false
        }
        return value
    }
}

/// The store's handle on its database: statements by their SQL text, transactions, and the rows the last
/// statement changed. Not Sendable: the `Store` actor owns it and lends it to its own methods only.
package final class Connection {
    let driver: any SQLDriver
    private(set) var changes = 0
    /// How much the connection has been used: operations (a transaction, or a statement outside one)
    /// and the time they held it.
    private(set) var use = DatabaseUse(operations: 0, busy: .zero)
    private var inTransaction = false

    init(_ driver: any SQLDriver) { self.driver = driver }

    var dialect: SQLDialect { self.driver.dialect }

    func execute(_ sql: String) throws(StoreError) { try self.driver.execute(sql) }

    func prepare(_ sql: String) throws(StoreError) -> Statement { Statement(connection: self, sql: sql) }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws, so a
    /// unit of work lands whole or not at all (a killed process leaves the last committed state).
    func transaction<T>(exclusive: Bool = true, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let started = ContinuousClock.now
        self.inTransaction = true
        defer {
            self.inTransaction = false
            self.use.operations += 1
            self.use.busy += ContinuousClock.now - started
        }
        try self.driver.begin(exclusive: exclusive)
        do {
            let result = try body()
            try self.driver.commit()
            return result
        } catch {
            self.driver.rollback()
            throw error
        }
    }

    /// Inserts rows into `table`: a statement per row on SQLite (prepared once, no round trip), up to 200
    /// rows a statement on PostgreSQL (one round trip each).
    func insert(into table: String, columns: [String], rows: [[SQLValue]]) throws(StoreError) {
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let perStatement = self.dialect == .sqlite ? 1 : max(1, min(200, 30_000 / max(1, columns.count)))
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            var values: [SQLValue] = []
            var tuples: [String] = []
            for row in chunk {
                let first = values.count
                tuples.append("(" + (1...columns.count).map { "?\(first + $0)" }.joined(separator: ", ") + ")")
                values += row
            }
            try self.prepare("INSERT INTO \(table) (\(list)) VALUES \(tuples.joined(separator: ", "))").run(values)
            start += chunk.count
        }
    }

    fileprivate func run(
        _ sql: String, _ values: [SQLValue], _ each: (Row) throws(StoreError) -> Bool
    ) throws(StoreError) {
        guard !self.inTransaction else {
            self.changes = try self.driver.run(sql, values, each)
            return
        }
        let started = ContinuousClock.now
        defer {
            self.use.operations += 1
            self.use.busy += ContinuousClock.now - started
        }
        self.changes = try self.driver.run(sql, values, each)
    }
}

/// How much a store has used its database connection since it opened, for the server's metrics: the
/// operations it ran (each transaction, and each statement outside one) and the time they held the
/// connection. Its rate is the share of time the connection was busy, the store's pool use.
public struct DatabaseUse: Sendable, Hashable {
    public var operations: Int
    public var busy: Duration

    public init(operations: Int, busy: Duration) {
        self.operations = operations
        self.busy = busy
    }
}

/// A statement by its SQL text: bind by position, read rows.
struct Statement {
    unowned let connection: Connection
    let sql: String

    /// Runs the statement to the end (an insert, update or delete).
    func run(_ values: [SQLValue] = []) throws(StoreError) {
        try self.connection.run(self.sql, values) { _ in true }
    }

    /// Every row, each read by `read`.
    func rows<T>(_ values: [SQLValue] = [], _ read: (Row) throws(StoreError) -> T) throws(StoreError) -> [T] {
        var rows: [T] = []
        try self.connection.run(self.sql, values) { (row) throws(StoreError) in
            rows.append(try read(row))
            return true
        }
        return rows
    }

    /// The first row, if any.
    func row<T>(_ values: [SQLValue] = [], _ read: (Row) throws(StoreError) -> T) throws(StoreError) -> T? {
        var first: T?
        try self.connection.run(self.sql, values) { (row) throws(StoreError) in
            first = try read(row)
            return false
        }
        return first
    }
}

/// A value bound to a statement, or read from a row.
package enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }
    static func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
    static func bool(_ value: Bool) -> SQLValue { .integer(value ? 1 : 0) }
}

/// The current row of a statement: SQLite's, read in place, or another driver's values.
package struct Row {
    enum Storage {
        case sqlite(OpaquePointer)
        case values([SQLValue])
    }

    let storage: Storage

    init(sqlite statement: OpaquePointer) { self.storage = .sqlite(statement) }

    package init(values: [SQLValue]) { self.storage = .values(values) }

    /// The column's value as it is stored.
    func value(_ column: Int32) -> SQLValue {
        switch self.storage {
        case .sqlite(let statement):
            switch sqlite3_column_type(statement, column) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
            case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
            default: return .text(self.text(column))
            }
        case .values(let values):
            return Int(column) < values.count ? values[Int(column)] : .null
        }
    }

    func isNull(_ column: Int32) -> Bool {
        switch self.storage {
        case .sqlite(let statement): sqlite3_column_type(statement, column) == SQLITE_NULL
        case .values: self.value(column) == .null
        }
    }

    package func int(_ column: Int32) -> Int {
        switch self.storage {
        case .sqlite(let statement): return Int(sqlite3_column_int64(statement, column))
        case .values:
            switch self.value(column) {
            case .integer(let number): return Int(number)
            case .real(let number): return Int(number)
            case .text(let text): return Int(text) ?? 0
            case .null: return 0
            }
        }
    }

    func double(_ column: Int32) -> Double {
        switch self.storage {
        case .sqlite(let statement): return sqlite3_column_double(statement, column)
        case .values:
            switch self.value(column) {
            case .integer(let number): return Double(number)
            case .real(let number): return number
            case .text(let text): return Double(text) ?? 0
            case .null: return 0
            }
        }
    }

    func bool(_ column: Int32) -> Bool { self.int(column) != 0 }
    func optionalText(_ column: Int32) -> String? { self.isNull(column) ? nil : self.text(column) }
    func optionalDouble(_ column: Int32) -> Double? { self.isNull(column) ? nil : self.double(column) }
    func optionalInt(_ column: Int32) -> Int? { self.isNull(column) ? nil : self.int(column) }

    package func text(_ column: Int32) -> String {
        switch self.storage {
        case .sqlite(let statement):
            guard let bytes = sqlite3_column_text(statement, column) else { return "" }
            let count = Int(sqlite3_column_bytes(statement, column))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        case .values:
            switch self.value(column) {
            case .text(let text): return text
            case .integer(let number): return String(number)
            case .real(let number): return String(number)
            case .null: return ""
            }
        }
    }
}

/// The embedded store: one SQLite file (WAL journaling, foreign keys on), statements prepared once and
/// kept for their SQL text.
final class SQLiteDriver: SQLDriver {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    var dialect: SQLDialect { .sqlite }

    /// Opens (creating if needed) the database at `path`.
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
        for statement in self.statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(self.handle)
    }

    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(self.handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else { throw self.error(status, sql: sql) }
    }

    func begin(exclusive: Bool) throws(StoreError) {
        try self.execute(exclusive ? "BEGIN IMMEDIATE" : "BEGIN")
    }

    func commit() throws(StoreError) { try self.execute("COMMIT") }

    /// WAL mode: a deferred transaction's first read fixes its snapshot.
    func beginSnapshot() throws(StoreError) { try self.execute("BEGIN") }

    func rollback() { try? self.execute("ROLLBACK") }

    func schemaVersion() throws(StoreError) -> (current: Int, expected: Int) {
        (try self.integer("PRAGMA user_version"), Schema.migrations.count)
    }

    func columns(of table: String) throws(StoreError) -> [String] {
        try self.texts("SELECT name FROM pragma_table_info(?1) ORDER BY cid", [.text(table)])
    }

    func run(
        _ sql: String, _ values: [SQLValue], _ each: (Row) throws(StoreError) -> Bool
    ) throws(StoreError) -> Int {
        let statement = try self.prepare(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try self.bind(values, to: statement, sql: sql)
        while true {
            let status = sqlite3_step(statement)
            switch status {
            case SQLITE_ROW:
                guard try each(Row(sqlite: statement)) else { return 0 }
            case SQLITE_DONE:
                return Int(sqlite3_changes(self.handle))
            default:
                throw self.error(status, sql: sql)
            }
        }
    }

    /// A prepared statement, kept and reused for the same SQL text.
    private func prepare(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let statement = self.statements[sql] { return statement }
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v3(self.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw self.error(status, sql: sql) }
        self.statements[sql] = pointer
        return pointer
    }

    /// Binds every value in order (`?1`, `?2` …).
    private func bind(_ values: [SQLValue], to statement: OpaquePointer, sql: String) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(statement, index)
            case .integer(let number): status = sqlite3_bind_int64(statement, index, number)
            case .real(let number): status = sqlite3_bind_double(statement, index, number)
            case .text(let text):
                var text = text
                status = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) {
                        ensemble_sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count))
                    }
                }
            }
            guard status == SQLITE_OK else { throw self.error(status, sql: sql) }
        }
    }

    private func error(_ status: Int32, sql: String) -> StoreError {
        let detail = String(cString: sqlite3_errmsg(self.handle))
        return StoreError(.sql, "the database refused a statement (\(detail)): \(sql)")
    }
}
