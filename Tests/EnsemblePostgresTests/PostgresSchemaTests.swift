import EnsemblePostgres
import EnsembleTesting
import Foundation
import PostgresNIO
import Testing

/// The PostgreSQL store's foundation, against a real PostgreSQL server (`make test` starts a throwaway
/// one and names it in ENSEMBLE_TEST_DATABASE_URL; without one these tests say so and pass nothing off).
@Suite("PostgreSQL: schema, migrations, readiness", .serialized)
struct PostgresSchemaTests {
    static let url = ProcessInfo.processInfo.environment["ENSEMBLE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// A fresh database for one test, dropped at the end.
    static func withDatabase(_ body: @Sendable (PostgresLocation) async throws -> Void) async throws {
        guard let url = Self.url else {
            print("note: PostgreSQL is not available (ENSEMBLE_TEST_DATABASE_URL unset); its tests are skipped")
            return
        }
        let admin = try PostgresLocation.parse(url, environment: [:])
        let name = "ensemble_\(UUID().uuidString.prefix(8).lowercased())"
        let server = PostgresStoreDatabase(admin)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.run() }
            try await server.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            var location = admin
            location.database = name
            do {
                try await body(location)
            } catch {
                _ = try? await server.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
                group.cancelAll()
                throw error
            }
            try await server.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
            group.cancelAll()
        }
    }

    static func using<T: Sendable>(
        _ location: PostgresLocation, _ body: @Sendable (PostgresStoreDatabase) async throws -> T
    )
        async throws -> T
    {
        let database = PostgresStoreDatabase(location)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await database.run()
                return nil
            }
            let result = try await body(database)
            group.cancelAll()
            return result
        }
    }

    @Test func instancesStartingTogether_migrateOnce() async throws {
        try await Self.withDatabase { location in
            // Four instances start at once on an empty database: one applies the migrations, the others
            // wait on the advisory lock and find nothing left to do.
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Self.using(location) { try await $0.migrate() } }
                }
                var counts: [Int] = []
                for try await count in group { counts.append(count) }
                return counts.sorted()
            }
            #expect(applied == [0, 0, 0, 1])
            let readiness = try await Self.using(location) { await $0.readiness() }
            #expect(readiness.reachable && readiness.schemaVersion == readiness.expected)
            let versions = try await Self.using(location) { database in
                var count = 0
                for try await _ in try await database.client.query("SELECT version FROM ensemble_schema") { count += 1 }
                return count
            }
            #expect(versions == 1)
        }
    }

    @Test func theAuditTrail_isAppendOnlyInTheDatabase() async throws {
        try await Self.withDatabase { location in
            try await Self.using(location) { database in
                try await database.migrate()
                try await database.client.query(
                    "INSERT INTO users (id, name, role, created) VALUES ('admin', 'Admin', 'admin', 'now')")
                try await database.client.query(
                    """
                    INSERT INTO audit_events (at, user_id, action, entity, detail, prev_hash, hash)
                    VALUES ('now', 'admin', 'user.added', 'user:admin', '{}', 'genesis', 'h1')
                    """)
                for statement in [
                    "UPDATE audit_events SET hash = 'forged'", "DELETE FROM audit_events", "TRUNCATE audit_events",
                ] {
                    await #expect(throws: (any Error).self, "\(statement)") {
                        try await database.client.query(PostgresQuery(unsafeSQL: statement))
                    }
                }
            }
        }
    }

    @Test func aNewerSchema_isRefused_andNotReady() async throws {
        try await Self.withDatabase { location in
            try await Self.using(location) { database in
                try await database.migrate()
                try await database.client.query("INSERT INTO ensemble_schema (version, applied) VALUES (99, 'later')")
                let readiness = await database.readiness()
                #expect(
                    readiness.reachable && readiness.schemaVersion == 99
                        && readiness.schemaVersion != readiness.expected)
                await #expect(throws: PostgresSchemaError.self) { try await database.migrate() }
            }
        }
    }

    @Test func databaseURLs_keepPasswordsOffTheCommandLine() throws {
        let plain = try PostgresLocation.parse("postgresql://ensemble@db.example.org:6432/notes", environment: [:])
        #expect(
            plain.host == "db.example.org" && plain.port == 6432 && plain.database == "notes" && plain.tls == .prefer)
        #expect(try PostgresLocation.parse("postgresql://ensemble@127.0.0.1/notes", environment: [:]).tls == .disable)
        let withPassword = try PostgresLocation.parse(
            "postgresql://ensemble@db/notes?sslmode=require", environment: ["PGPASSWORD": "s3cret"])
        #expect(
            withPassword.password == "s3cret" && withPassword.tls == .require
                && !withPassword.display.contains("s3cret"))
        #expect(throws: PostgresLocation.Invalid.self) {
            try PostgresLocation.parse("postgresql://ensemble:s3cret@db/notes", environment: [:])
        }
        #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation.parse("mysql://a@b/c", environment: [:]) }
        #expect(throws: PostgresLocation.Invalid.self) {
            try PostgresLocation.parse("postgresql://a@b/", environment: [:])
        }
    }
}
