import CSQLite
public import EnsemblePostgres
public import EnsembleStore
public import Foundation

/// The two databases a store runs on, for tests that must hold on both.
public enum Backend: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sqlite, postgresql

    public var description: String { self.rawValue }

    /// The backends this run can test: SQLite always; PostgreSQL when `make test` started a throwaway
    /// server and named it in `ENSEMBLE_TEST_DATABASE_URL` (without one, a note says its tests are skipped).
    public static let available: [Backend] = {
        guard TestDatabase.serverURL != nil else {
            print("note: PostgreSQL is not available (ENSEMBLE_TEST_DATABASE_URL unset); its tests are skipped")
            return [.sqlite]
        }
        return [.sqlite, .postgresql]
    }()
}

/// A fresh, empty database for one test: a SQLite file in the temporary folder, or a new database on the
/// test PostgreSQL server (the server and everything on it go when `make test` stops it).
public struct TestDatabase: Sendable {
    public let backend: Backend
    /// The SQLite file, or the PostgreSQL URL: what `--db` or `--database` takes.
    public let address: String

    static let serverURL = ProcessInfo.processInfo.environment["ENSEMBLE_TEST_DATABASE_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    public static func make(_ backend: Backend) async throws -> TestDatabase {
        switch backend {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "ensemble-\(UUID().uuidString).db"
            ).path
            return TestDatabase(backend: .sqlite, address: path)
        case .postgresql:
            guard let url = Self.serverURL else {
                throw StoreError(.unavailable, "no test PostgreSQL server (ENSEMBLE_TEST_DATABASE_URL)")
            }
            let server = try PostgresLocation.parse(url, environment: [:])
            let name = "ensemble_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
            try await PostgresStore.administer(server, ["CREATE DATABASE \(name)"])
            var location = server
            location.database = name
            return TestDatabase(backend: .postgresql, address: location.display)
        }
    }

    public var location: PostgresLocation? {
        self.backend == .postgresql ? try? PostgresLocation.parse(self.address, environment: [:]) : nil
    }

    /// A store on this database (a second call is a second instance on the same database).
    public func open(clock: @escaping @Sendable () -> Date = { Date() }) async throws -> Store {
        switch self.backend {
        case .sqlite: return try Store(path: self.address, clock: clock)
        case .postgresql:
            guard let location = self.location else { throw StoreError(.invalid, "not a PostgreSQL URL") }
            return try await PostgresStore.open(location, clock: clock)
        }
    }

    /// The arguments naming this database to the CLI.
    public var arguments: [String] {
        self.backend == .sqlite ? ["--db", self.address] : ["--database", self.address]
    }

    /// Runs statements behind the store's back (a tamperer with database access), on PostgreSQL.
    public func postgres(_ statements: [String]) async throws {
        guard let location = self.location else { throw StoreError(.invalid, "not a PostgreSQL database") }
        try await PostgresStore.administer(location, statements)
    }

    /// The one integer a query on the PostgreSQL database gives.
    public func postgresCount(_ sql: String) async throws -> Int {
        guard let location = self.location else { throw StoreError(.invalid, "not a PostgreSQL database") }
        return try await PostgresStore.count(location, sql)
    }

    /// The integer a one-row query gives, read behind the store's back on either backend.
    public func count(_ sql: String) async throws -> Int {
        switch self.backend {
        case .postgresql: return try await self.postgresCount(sql)
        case .sqlite:
            var handle: OpaquePointer?
            var statement: OpaquePointer?
            guard sqlite3_open(self.address, &handle) == SQLITE_OK else {
                throw StoreError(.unavailable, "cannot open \(self.address)")
            }
            defer { sqlite3_close(handle) }
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
                throw StoreError(.sql, "cannot prepare \(sql)")
            }
            defer { sqlite3_finalize(statement) }
            return sqlite3_step(statement) == SQLITE_ROW ? Int(sqlite3_column_int64(statement, 0)) : 0
        }
    }
}
