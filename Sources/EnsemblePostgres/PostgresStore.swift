public import EnsembleStore
public import Foundation
import Logging
package import PostgresNIO

/// Where the PostgreSQL store lives: `postgresql://USER@HOST:PORT/DATABASE[?sslmode=disable|prefer|require]`.
/// The password comes from `PGPASSWORD`, or from the file `ENSEMBLE_DATABASE_PASSWORD_FILE` names, never
/// from the URL (a URL lands in shell histories and process lists).
public struct PostgresLocation: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String?
    public enum TLSMode: String, Sendable, Hashable { case disable, prefer, require }
    public var tls: TLSMode
    /// How long the server lets one of this instance's sessions sit inside a transaction with nothing
    /// sent: if the instance's machine is lost mid-transaction, the server ends the session after this
    /// long, and the writers' lock it held goes with it (instead of waiting hours for TCP to notice).
    public var idleInTransactionTimeout: Duration = .seconds(30)
    /// How long a statement may wait for a lock (the writers' turn) before the server gives up on it.
    public var lockTimeout: Duration = .seconds(50)

    /// An error that names what is wrong with the URL and what would be accepted; never the password.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String, environment: [String: String]) throws(Invalid) -> PostgresLocation {
        let expected = "expected postgresql://USER@HOST:PORT/DATABASE"
        guard let components = URLComponents(string: text),
            components.scheme == "postgresql" || components.scheme == "postgres"
        else { throw Invalid(description: "the database URL is not a postgresql:// URL; \(expected)") }
        guard components.password == nil else {
            throw Invalid(
                description: "the database URL carries a password; remove it and set PGPASSWORD, or name a file "
                    + "holding it in ENSEMBLE_DATABASE_PASSWORD_FILE")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "no host; \(expected)") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(description: "no user; \(expected)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw Invalid(description: "no database name; \(expected)")
        }
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host)
        var tls: TLSMode = loopback ? .disable : .prefer
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let chosen = TLSMode(rawValue: mode) else {
                throw Invalid(description: "sslmode must be disable, prefer or require")
            }
            tls = chosen
        }
        var password = environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        if password == nil, let file = environment["ENSEMBLE_DATABASE_PASSWORD_FILE"] {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Invalid(description: "ENSEMBLE_DATABASE_PASSWORD_FILE names \(file), which cannot be read")
            }
            password = contents.trimmingCharacters(in: .newlines)
        }
        return PostgresLocation(
            host: host, port: components.port ?? 5432, user: user, database: database, password: password, tls: tls)
    }

    /// The URL without its password, for messages.
    public var display: String { "postgresql://\(self.user)@\(self.host):\(self.port)/\(self.database)" }

    /// How PostgresNIO connects: TLS as the URL asks (`prefer` off loopback), the password from the environment.
    package func connection() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: self.host, port: self.port, username: self.user, password: self.password, database: self.database,
            tls: tls)
        configuration.options.additionalStartupParameters = [
            ("application_name", "ensemble"),
            ("idle_in_transaction_session_timeout", String(Self.milliseconds(self.idleInTransactionTimeout))),
            ("lock_timeout", String(Self.milliseconds(self.lockTimeout))),
        ]
        return configuration
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

/// The store on PostgreSQL: `open` connects, brings the schema up to date (once, whichever instances
/// start together), and gives the `Store` its connection.
public enum PostgresStore {
    static var logger: Logger {
        var logger = Logger(label: "ensemble.postgres")
        logger.logLevel = .warning
        return logger
    }

    /// The store on the database at `location`, its schema migrated. A statement that has had no answer
    /// after `statementTimeout` (waiting for the writers' lock included) fails the operation, and the
    /// connection is opened again.
    public static func open(
        _ location: PostgresLocation, clock: @escaping @Sendable () -> Date = { Date() },
        statementTimeout: Duration = .seconds(60)
    ) async throws -> Store {
        let connection = try await Self.connect(location)
        do {
            try await Self.migrate(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        let driver = PostgresDriver(
            location: location, connection: connection, logger: Self.logger, statementTimeout: statementTimeout)
        return Store(migrated: driver, clock: clock)
    }

    /// Runs statements on the database at `location`, outside any store (creating a database, for tests;
    /// changing one by hand).
    package static func administer(_ location: PostgresLocation, _ statements: [String]) async throws {
        let connection = try await Self.connect(location)
        do {
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The integer a one-row, one-column query gives (for tests and checks by hand).
    package static func count(_ location: PostgresLocation, _ sql: String) async throws -> Int {
        let connection = try await Self.connect(location)
        var count = 0
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
            for try await value in rows.decode(Int64.self) { count = Int(value) }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return count
    }

    /// The advisory lock writers take turns on (for tests that hold it from outside).
    package static var writerLock: Int64 { PostgresDriver.writerLock }

    /// SQLite's SQL as PostgreSQL reads it (`PostgresDriver` translates each statement once).
    package static func translate(_ sql: String) -> String { PostgresDriver.translate(sql) }

    static func connect(_ location: PostgresLocation) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try location.connection(), id: 1,
                logger: Self.logger
            ).get()
        } catch {
            throw StoreError(.unavailable, PostgresDriver.unreachable(location, error))
        }
    }

    /// The advisory lock migrations hold, so that instances starting together migrate once.
    package static let migrationLock: Int64 = 0x456E_7365_6D62_6C65  // "Ensemble"

    /// How long an instance waits for another's migration, and how long a migration may sit idle inside
    /// its transaction (the sessions' own limits are for writers).
    static let migrationWait = "10min"

    /// Brings the database to the newest schema. Every instance may call it at start. Each migration runs
    /// in one transaction that first takes the migration lock (waiting while another instance migrates),
    /// then reads the version again and applies the next migration only if it is still missing, with its
    /// version; so a migration is applied once whatever the timing, and an instance that cannot get the
    /// lock fails instead of going on without it. Returns the migrations this call applied. A database at
    /// a newer version than this Ensemble knows is refused.
    @discardableResult
    static func migrate(_ connection: PostgresConnection) async throws -> Int {
        let logger = Self.logger
        var applied = 0
        do {
            // A busy instance may take long between a migration's statements: the session's 30 s limit
            // on a transaction left idle (which would end it mid-migration) and its 50 s limit on waiting
            // for a lock are for writers; a migration gets ten minutes for each, then the session's own.
            for setting in ["idle_in_transaction_session_timeout", "lock_timeout"] {
                try await Self.run(connection, "SET \(setting) = '\(Self.migrationWait)'", logger: logger)
            }
            while try await Self.migrateNext(connection, logger: logger) { applied += 1 }
            for setting in ["idle_in_transaction_session_timeout", "lock_timeout"] {
                try await Self.run(connection, "RESET \(setting)", logger: logger)
            }
        } catch let error as PostgresTransactionError {
            // What went wrong inside, not the transaction's wrapping of it (a newer schema is a StoreError).
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
        return applied
    }

    /// Applies the first missing migration under the lock; false when there was none left.
    private static func migrateNext(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.withTransaction(logger: logger) { connection in
            try await Self.run(connection, "SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await Self.run(
                connection,
                "CREATE TABLE IF NOT EXISTS ensemble_schema (version BIGINT NOT NULL, applied TEXT NOT NULL)",
                logger: logger)
            let current = try await Self.version(connection, logger: logger)
            guard current <= PostgresSchema.migrations.count else {
                throw StoreError(
                    .newerSchema,
                    "the database is at schema version \(current), newer than this Ensemble knows "
                        + "(\(PostgresSchema.migrations.count)); use a newer Ensemble or another --database")
            }
            guard current < PostgresSchema.migrations.count else { return false }
            for statement in PostgresSchema.migrations[current] {
                try await Self.run(connection, statement, logger: logger)
            }
            let version = Int64(current + 1)
            let now = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            try await connection.query(
                "INSERT INTO ensemble_schema (version, applied) VALUES (\(version), \(now))", logger: logger)
            return true
        }
    }

    /// Runs a statement and reads its answer to the end, so that a failure (a lock not granted in time)
    /// is thrown here rather than lost with rows nobody reads.
    private static func run(_ connection: PostgresConnection, _ sql: String, logger: Logger) async throws {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await _ in rows {}
    }

    static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "SELECT coalesce(max(version), 0) FROM ensemble_schema", logger: logger)
        for try await version in rows.decode(Int64.self) { return Int(version) }
        return 0
    }
}
