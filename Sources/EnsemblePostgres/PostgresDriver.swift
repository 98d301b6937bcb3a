import EnsembleStore
import Foundation
import Logging
import PostgresNIO

/// The store's statements on PostgreSQL. The `Store` actor runs one statement at a time on one
/// connection and waits for each, exactly as it does with SQLite's file, so a store operation is one
/// transaction with no interleaving inside the instance; across instances:
/// - an exclusive transaction first takes a database-wide advisory lock held to its end, the lock
///   SQLite's `BEGIN IMMEDIATE` takes on the file: every audited change extends one hash chain, so
///   writers in every instance take turns and read each other's committed work (versions, signatures,
///   locks and the audit chain's head are checked and changed under it);
/// - a non-exclusive transaction (claiming a job) relies on row locks (`FOR UPDATE SKIP LOCKED`).
///
/// The SQL the store writes is SQLite's; this driver translates what differs, once per statement text:
/// `?N` placeholders become `$N`, `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`, and a text's
/// byte length `length(CAST(x AS BLOB))` becomes `octet_length(x)`.
///
/// A connection the server dropped (a restart, a failover) is opened again before the next statement
/// outside a transaction; inside one, the operation fails whole and may be retried.
final class PostgresDriver: SQLDriver {
    let location: PostgresLocation
    private var connection: PostgresConnection
    private var inTransaction = false
    /// The connection was given up (it stopped answering): the next statement opens a new one.
    private var forceReconnect = false
    private var translations: [String: String] = [:]
    private let logger: Logger
    /// How long a statement may take, waiting for the writers' lock included, before the connection is
    /// given up (its state unknown) and the operation fails.
    let statementTimeout: Duration

    /// The advisory lock exclusive transactions take (the audit chain's head).
    package static let writerLock: Int64 = 0x4175_6469_7443_6861  // "AuditCha"

    var dialect: SQLDialect { .postgresql }

    init(location: PostgresLocation, connection: PostgresConnection, logger: Logger, statementTimeout: Duration) {
        self.statementTimeout = statementTimeout
        self.location = location
        self.connection = connection
        self.logger = logger
    }

    deinit {
        // Not waited for: the last reference may go on any thread, an event loop's included. The connection
        // is kept until it has closed.
        let connection = self.connection
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in _ = connection }
    }

    func execute(_ sql: String) throws(StoreError) {
        _ = try self.run(sql, []) { _ in true }
    }

    func begin(exclusive: Bool) throws(StoreError) {
        // Pinned, whatever the server's default: each statement sees what was committed before it, so a
        // writer that waited for its turn reads the previous writer's work.
        _ = try self.run("BEGIN ISOLATION LEVEL READ COMMITTED", []) { _ in true }
        self.inTransaction = true
        if exclusive {
            do {
                _ = try self.run("SELECT pg_advisory_xact_lock(\(Self.writerLock))", []) { _ in true }
            } catch {
                self.rollback()
                throw error
            }
        }
    }

    func beginSnapshot() throws(StoreError) {
        _ = try self.run("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", []) { _ in true }
        self.inTransaction = true
    }

    func commit() throws(StoreError) {
        defer { self.inTransaction = false }
        _ = try self.run("COMMIT", []) { _ in true }
    }

    func rollback() {
        defer { self.inTransaction = false }
        _ = try? self.run("ROLLBACK", []) { _ in true }
    }

    func schemaVersion() throws(StoreError) -> (current: Int, expected: Int) {
        (try self.integer("SELECT coalesce(max(version), 0) FROM ensemble_schema"), PostgresSchema.migrations.count)
    }

    func columns(of table: String) throws(StoreError) -> [String] {
        try self.texts(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position
            """, [.text(table)])
    }

    func run(
        _ sql: String, _ values: [SQLValue], _ each: (Row) throws(StoreError) -> Bool
    ) throws(StoreError) -> Int {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            // PostgreSQL's text holds no NUL character (a transcript might): it is kept as U+FFFD.
            case .text(let text):
                bindings.append(
                    text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text)
            }
        }
        let query = PostgresQuery(unsafeSQL: self.translate(sql), binds: bindings)
        let result: PostgresQueryResult
        do {
            result = try self.answer(self.open().query(query, logger: self.logger), sql: sql)
        } catch let error as PSQLError where Self.isConnectionLoss(error) && !self.inTransaction {
            // The server dropped the connection (a restart, a failover, an administrator): outside a
            // transaction the statement runs again once on a new one.
            self.reconnectNow()
            do {
                result = try self.answer(self.open().query(query, logger: self.logger), sql: sql)
            } catch {
                throw Self.storeError(error, sql: sql)
            }
        } catch {
            throw Self.storeError(error, sql: sql)
        }
        for row in result.rows {
            var values: [SQLValue] = []
            values.reserveCapacity(row.count)
            for cell in row { values.append(try Self.value(cell, sql: sql)) }
            guard try each(Row(values: values)) else { break }
        }
        return result.metadata.rows ?? 0
    }

    /// The connection, opened again when the server dropped it and no transaction was under way.
    private func open() throws(StoreError) -> PostgresConnection {
        guard self.connection.isClosed || self.forceReconnect else { return self.connection }
        guard !self.inTransaction else {
            throw StoreError(.unavailable, "the connection to \(self.location.display) was lost; retry")
        }
        do {
            self.forceReconnect = false
            self.connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try self.location.connection(),
                id: 1, logger: self.logger
            ).wait()
        } catch {
            throw StoreError(.unavailable, Self.unreachable(self.location, error))
        }
        return self.connection
    }

    /// The statement's answer, or a failure once `statementTimeout` has passed without one (a server
    /// that stopped answering, a connection lost on the way): the store never waits forever.
    private func answer(_ future: EventLoopFuture<PostgresQueryResult>, sql: String) throws -> PostgresQueryResult {
        let bounded = future.eventLoop.makePromise(of: PostgresQueryResult.self)
        future.cascade(to: bounded)
        let seconds = self.statementTimeout.components.seconds
        let timeout = future.eventLoop.scheduleTask(in: .seconds(seconds)) {
            bounded.fail(StoreError(.unavailable, "the database did not answer within \(seconds) s: \(sql)"))
        }
        defer { timeout.cancel() }
        do {
            return try bounded.futureResult.wait()
        } catch let error as StoreError {
            self.reconnectNow()
            throw error
        }
    }

    /// Lets go of the connection, so that the next statement opens a new one.
    private func reconnectNow() {
        let connection = self.connection
        guard !connection.isClosed else { return }
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in _ = connection }
        self.forceReconnect = true
    }

    /// Whether the error means the connection is gone, not that the statement was refused.
    static func isConnectionLoss(_ error: PSQLError) -> Bool {
        if let state = error.serverInfo?[.sqlState] { return state.hasPrefix("57P") || state.hasPrefix("08") }
        return [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown].contains(
            error.code)
    }

    static func unreachable(_ location: PostgresLocation, _ error: any Error) -> String {
        let reason = (error as? PSQLError)?.serverInfo?[.message] ?? "no answer"
        return "cannot reach the database at \(location.display) (\(reason)); check that PostgreSQL is running "
            + "and the URL, user and password"
    }

    /// A column's value: integers, floating point and text (everything else as its text).
    private static func value(_ cell: PostgresCell, sql: String) throws(StoreError) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .numeric: return .real(Double(try cell.decode(String.self)) ?? 0)
            default: return .text(try cell.decode(String.self))
            }
        } catch {
            throw StoreError(.corrupt, "a column of a stored row did not decode: \(sql)")
        }
    }

    /// The failure, by PostgreSQL's error code; the server's message only where it carries no values (a
    /// constraint or a trigger's refusal, a serialization conflict), never the values bound.
    static func storeError(_ error: any Error, sql: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            return StoreError(.unavailable, "the database did not answer: \(sql)")
        }
        guard let state = error.serverInfo?[.sqlState] else {
            return StoreError(.unavailable, "the connection to the database failed (\(error.code)): \(sql)")
        }
        if state == "55P03" {
            return StoreError(.unavailable, "the database's writers' lock did not come free in time; retry: \(sql)")
        }
        let quoted = state.hasPrefix("23") || state == "P0001" || state.hasPrefix("40")
        let detail = quoted ? "\(state): \(error.serverInfo?[.message] ?? "")" : "SQLSTATE \(state)"
        return StoreError(.sql, "the database refused a statement (\(detail)): \(sql)")
    }

    /// SQLite's SQL as PostgreSQL reads it.
    private func translate(_ sql: String) -> String {
        if let known = self.translations[sql] { return known }
        let translated = Self.translate(sql)
        self.translations[sql] = translated
        return translated
    }

    static func translate(_ sql: String) -> String {
        var text = sql
        var ignore = false
        if let range = text.range(of: "INSERT OR IGNORE INTO") {
            text.replaceSubrange(range, with: "INSERT INTO")
            ignore = true
        }
        while let open = text.range(of: "length(CAST("),
            let close = text.range(of: " AS BLOB))", range: open.upperBound..<text.endIndex)
        {
            let column = text[open.upperBound..<close.lowerBound]
            text.replaceSubrange(open.lowerBound..<close.upperBound, with: "octet_length(\(column))")
        }
        // Placeholders outside string literals and quoted names.
        var output = ""
        output.reserveCapacity(text.utf8.count + 8)
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
                output.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                output.append(character)
            } else if character == "?" {
                output.append("$")
            } else {
                output.append(character)
            }
        }
        if ignore {
            if let returning = output.range(of: " RETURNING ") {
                output.insert(contentsOf: " ON CONFLICT DO NOTHING", at: returning.lowerBound)
            } else {
                output += " ON CONFLICT DO NOTHING"
            }
        }
        return output
    }
}
