import Foundation
import Logging
public import PostgresNIO

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

    var configuration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: self.host, port: self.port, username: self.user, password: self.password, database: self.database,
            tls: tls)
        configuration.options.maximumConnections = 20
        return configuration
    }
}

/// The PostgreSQL database behind a store: a connection pool (PostgresNIO's `PostgresClient`, whose
/// `run()` must be going while it is used), its migrations, and its readiness.
public final class PostgresStoreDatabase: Sendable {
    public let location: PostgresLocation
    public let client: PostgresClient
    let logger: Logger

    public init(_ location: PostgresLocation) {
        self.location = location
        var logger = Logger(label: "ensemble.postgres")
        logger.logLevel = .warning
        self.logger = logger
        self.client = PostgresClient(configuration: location.configuration, backgroundLogger: logger)
    }

    /// The pool's background work; run it in a task for as long as the database is used.
    public func run() async { await self.client.run() }

    /// The advisory lock migrations hold, so that instances starting together migrate once.
    static let migrationLock: Int64 = 0x456E_7365_6D62_6C65  // "Ensemble"

    /// Brings the database to the newest schema. Every instance may call it at start: the advisory lock
    /// makes the others wait, and then find nothing left to do. Each migration runs in one transaction
    /// with its version. Returns the migrations this call applied. A database at a newer version than
    /// this Ensemble knows is refused.
    @discardableResult
    public func migrate() async throws -> Int {
        try await self.client.withConnection { connection in
            try await connection.query(
                "SELECT pg_advisory_lock(\(Self.migrationLock))", logger: self.logger)
            do {
                let applied = try await Self.migrate(connection, logger: self.logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: self.logger)
                return applied
            } catch {
                _ = try? await connection.query(
                    "SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: self.logger)
                throw error
            }
        }
    }

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS ensemble_schema (version BIGINT NOT NULL, applied TEXT NOT NULL)",
            logger: logger)
        let current = try await Self.version(connection, logger: logger)
        guard current <= PostgresSchema.migrations.count else {
            throw PostgresSchemaError(
                description: "the database is at schema version \(current), newer than this Ensemble knows "
                    + "(\(PostgresSchema.migrations.count)); use a newer Ensemble or another --database")
        }
        var applied = 0
        for (offset, statements) in PostgresSchema.migrations.enumerated() where offset >= current {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let version = Int64(offset + 1)
                let now = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
                try await connection.query(
                    "INSERT INTO ensemble_schema (version, applied) VALUES (\(version), \(now))", logger: logger)
            }
            applied += 1
        }
        return applied
    }

    static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "SELECT coalesce(max(version), 0) FROM ensemble_schema", logger: logger)
        for try await version in rows.decode(Int64.self) { return Int(version) }
        return 0
    }

    /// Readiness for a load balancer: the database answers, and its schema is this Ensemble's.
    public func readiness() async -> (reachable: Bool, schemaVersion: Int, expected: Int) {
        let expected = PostgresSchema.migrations.count
        do {
            let version = try await self.client.withConnection { connection in
                try await Self.version(connection, logger: self.logger)
            }
            return (true, version, expected)
        } catch {
            return (false, 0, expected)
        }
    }
}

public struct PostgresSchemaError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
