import EnsembleCore
import EnsemblePostgres
import EnsembleStore
import EnsembleStoreTesting
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The PostgreSQL store's own foundations, against a real PostgreSQL server (`make test` starts a
/// throwaway one and names it in ENSEMBLE_TEST_DATABASE_URL; without one these tests say so and pass
/// nothing off). Everything else the store does is tested on both backends by the store's and the
/// server's tests.
@Suite("PostgreSQL: schema, migrations, readiness")
struct PostgresSchemaTests {
    /// A fresh database, or nil (with the note printed once) when there is no server.
    static func database() async throws -> TestDatabase? {
        guard Backend.available.contains(.postgresql) else { return nil }
        return try await TestDatabase.make(.postgresql)
    }

    @Test func instancesStartingTogether_migrateOnce() async throws {
        guard let database = try await Self.database() else { return }
        // Four instances start at once on an empty database: one applies the migrations, the others wait
        // on the advisory lock and find nothing left to do.
        let stores = try await withThrowingTaskGroup(of: Store.self) { group in
            for _ in 0..<4 { group.addTask { try await database.open() } }
            var stores: [Store] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        for store in stores {
            let readiness = await store.readiness()
            #expect(readiness.ready && readiness.schemaVersion == readiness.expectedSchemaVersion)
        }
        let versions = try await database.postgresCount("SELECT count(*) FROM ensemble_schema")
        #expect(versions == (await stores[0].readiness()).expectedSchemaVersion, "each migration recorded once")
    }

    @Test func anInstanceWaitingForAnothersMigration_waitsPastItsLockTimeout() async throws {
        guard let database = try await Self.database(), var location = database.location else { return }
        // Another instance holds the migration lock for longer than this one's lock_timeout (its migration
        // is slow on a busy machine). This one waits for it rather than migrating without the lock.
        location.lockTimeout = .seconds(1)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let holder = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try location.connection(), id: 9,
            logger: logger)
        let held = try await holder.query(
            PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock(\(PostgresStore.migrationLock))"), logger: logger)
        for try await _ in held {}
        let opened = Mutex(false)
        let opening = Task {
            let store = try await PostgresStore.open(location)
            opened.withLock { $0 = true }
            return store
        }
        try await Task.sleep(for: .seconds(3))
        #expect(!opened.withLock { $0 }, "the store opened while another instance held the migration lock")
        try await holder.close()
        let store = try await opening.value
        let readiness = await store.readiness()
        #expect(readiness.ready && readiness.schemaVersion == readiness.expectedSchemaVersion)
        let versions = try await database.postgresCount("SELECT count(*) FROM ensemble_schema")
        #expect(versions == readiness.expectedSchemaVersion, "each migration recorded once")
    }

    @Test func theAuditTrail_isAppendOnlyInTheDatabase() async throws {
        guard let database = try await Self.database() else { return }
        let store = try await database.open()
        try await store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
        for statement in [
            "UPDATE audit_events SET hash = 'forged'", "DELETE FROM audit_events", "TRUNCATE audit_events",
        ] {
            await #expect(throws: (any Error).self, "\(statement)") { try await database.postgres([statement]) }
        }
        #expect(try await store.verifyAudit(as: "admin").firstBroken == nil)
    }

    @Test func aNewerSchema_isRefused_andNotReady() async throws {
        guard let database = try await Self.database() else { return }
        let store = try await database.open()
        try await database.postgres(["INSERT INTO ensemble_schema (version, applied) VALUES (99, 'later')"])
        let readiness = await store.readiness()
        #expect(readiness.reachable && readiness.schemaVersion == 99 && !readiness.ready)
        let refused = await #expect(throws: StoreError.self) { _ = try await database.open() }
        #expect(refused?.code == .newerSchema)
    }

    @Test func aConnectionTheServerDrops_isOpenedAgain() async throws {
        guard let database = try await Self.database() else { return }
        let store = try await database.open()
        try await store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
        for round in 0..<3 {
            // An administrator (or a failover) ends every other connection to the database.
            try await database.postgres([
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                """
            ])
            try await store.addUser(User(id: "u\(round)", name: "User", role: .biller), by: "admin")
            #expect((await store.readiness()).ready)
        }
        #expect(try await store.users(as: "admin").count == 4)
        #expect(try await store.verifyAudit(as: "admin").firstBroken == nil)
    }

    @Test(.timeLimit(.minutes(10))) func aStatementWithNoAnswer_failsInTime_andTheStoreCarriesOn() async throws {
        guard let database = try await Self.database(), let location = database.location else { return }
        let store = try await PostgresStore.open(location, statementTimeout: .seconds(1))
        try await store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
        // Another session holds the writers' lock and does not let go (a hung instance, a stuck transaction).
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let holder = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(),
            configuration: PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: nil,
                database: location.database, tls: .disable), id: 9, logger: logger)
        try await holder.query(
            PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock(\(PostgresStore.writerLock))"), logger: logger)
        let started = ContinuousClock.now
        let refused = await #expect(throws: StoreError.self) {
            try await store.addUser(User(id: "late", name: "Late", role: .biller), by: "admin")
        }
        #expect(refused?.code == .unavailable && refused?.message.contains("did not answer within 1 s") == true)
        #expect(ContinuousClock.now - started < .seconds(45), "well before the sessions' 50 s lock_timeout")
        try await holder.close()
        // The lock is free again: the store opens a new connection and carries on, nothing half-done.
        try await store.addUser(User(id: "late", name: "Late", role: .biller), by: "admin")
        #expect(try await store.users(as: "admin").map(\.id) == ["admin", "late"])
        #expect(try await store.verifyAudit(as: "admin").firstBroken == nil)
    }

    @Test func theInstancesSessions_endWhenLeftInsideATransaction_andStopWaitingForLocks() async throws {
        guard let database = try await Self.database(), let location = database.location else { return }
        // The settings every store session starts with: a session that sits inside a transaction with
        // nothing sent for 30 s (its machine was lost mid-change) is ended by the server, and the writers'
        // lock goes with it; a statement waits at most 50 s for a lock.
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let session = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try location.connection(), id: 9,
            logger: logger)
        var settings: [String] = []
        for name in ["idle_in_transaction_session_timeout", "lock_timeout", "application_name"] {
            let shown: EventLoopFuture<PostgresQueryResult> = session.query(
                PostgresQuery(unsafeSQL: "SHOW \(name)"), logger: logger)
            settings.append(try await shown.get().first?.decode(String.self) ?? "")
        }
        try await session.close()
        #expect(settings == ["30s", "50s", "ensemble"])
    }

    @Test func aTextWithANulCharacter_isKept() async throws {
        guard let database = try await Self.database() else { return }
        let store = try await database.open()
        try await store.addUser(User(id: "admin", name: "Admin\u{0}Nul", role: .admin), by: nil)
        #expect(try await store.users(as: "admin").first?.name == "Admin\u{FFFD}Nul")
    }

    @Test func anUnreachableDatabase_isNamed_withoutItsPassword() async throws {
        let location = try PostgresLocation.parse(
            "postgresql://ensemble@127.0.0.1:1/nowhere", environment: ["PGPASSWORD": "s3cret"])
        let refused = await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(location) }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.contains("postgresql://ensemble@127.0.0.1:1/nowhere") == true)
        #expect(refused?.message.contains("s3cret") == false)
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

    @Test func theStoresSQL_readsAsPostgreSQL() {
        #expect(
            PostgresStore.translate("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?12")
                == "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $12")
        #expect(
            PostgresStore.translate("INSERT OR IGNORE INTO t (a) VALUES (?1)")
                == "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING")
        #expect(
            PostgresStore.translate("INSERT OR IGNORE INTO t (a) VALUES (?1) RETURNING a")
                == "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING a")
        #expect(
            PostgresStore.translate("SELECT length(CAST(payload AS BLOB)), id FROM jobs")
                == "SELECT octet_length(payload), id FROM jobs")
    }
}
