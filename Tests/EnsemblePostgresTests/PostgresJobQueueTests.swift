import EnsemblePostgres
import EnsembleStore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The job queue for workers in several instances, against a real PostgreSQL server.
@Suite("PostgreSQL: the job queue for many workers", .serialized)
struct PostgresJobQueueTests {
    final class Clock: Sendable {
        private let value = Mutex(Date(timeIntervalSince1970: 1_796_000_000))
        var now: Date { self.value.withLock { $0 } }
        func advance(_ seconds: Double) { self.value.withLock { $0 += seconds } }
    }

    /// A migrated database with the user jobs draft as.
    static func prepared(_ database: PostgresStoreDatabase) async throws {
        try await database.migrate()
        try await database.client.query(
            "INSERT INTO users (id, name, role, created) VALUES ('intake', 'EHR intake', 'assistant', 'now')")
    }

    static func enqueue(_ queue: PostgresJobQueue, _ event: String, maxAttempts: Int = 3) async throws -> (
        id: String, duplicate: Bool
    ) {
        try await queue.enqueue(
            source: "ehr", eventID: event, user: "intake", session: "S-1", payload: "{}", payloadDigest: "d",
            maxAttempts: maxAttempts, clinicians: ["PROV-1"])
    }

    @Test func concurrentWorkers_takeEachJobOnce() async throws {
        try await PostgresSchemaTests.withDatabase { location in
            try await PostgresSchemaTests.using(location) { database in
                try await Self.prepared(database)
                let queue = PostgresJobQueue(database: database)
                for index in 0..<60 { _ = try await Self.enqueue(queue, "evt-\(index)") }
                // Six workers, each with its own pool as a separate instance would have.
                let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            try await PostgresSchemaTests.using(location) { instance in
                                let worker = PostgresJobQueue(database: instance)
                                var mine: [String] = []
                                while let job = try await worker.claim() {
                                    mine.append(job.id)
                                    try await worker.complete(job.id, run: nil)
                                }
                                return mine
                            }
                        }
                    }
                    var all: [String] = []
                    for try await ids in group { all += ids }
                    return all
                }
                #expect(claimed.count == 60 && Set(claimed).count == 60, "every job once, none twice")
                let states = try await database.client.query("SELECT count(*) FROM jobs WHERE state = 'succeeded'")
                for try await count in states.decode(Int64.self) { #expect(count == 60) }
            }
        }
    }

    @Test func aDeadWorkersJob_comesBackWhenItsLeaseRunsOut_andFailsOutOfAttempts() async throws {
        try await PostgresSchemaTests.withDatabase { location in
            try await PostgresSchemaTests.using(location) { database in
                try await Self.prepared(database)
                let clock = Clock()
                let queue = PostgresJobQueue(database: database, lease: .seconds(60), clock: { clock.now })
                let (id, _) = try await Self.enqueue(queue, "evt-crash", maxAttempts: 2)
                #expect(try await queue.claim()?.id == id)  // its worker then dies
                #expect(try await queue.claim() == nil, "the lease still holds it")
                clock.advance(61)
                let again = try await queue.claim()
                #expect(again?.id == id && again?.attempts == 2, "taken back, the attempt counted")
                clock.advance(61)  // that worker dies too: out of attempts
                #expect(try await queue.claim() == nil)
                #expect(try await queue.state(id)?.state == "failed")
            }
        }
    }

    @Test func repeatedDeliveriesToSeveralInstances_makeOneJob() async throws {
        try await PostgresSchemaTests.withDatabase { location in
            try await PostgresSchemaTests.using(location) { database in
                try await Self.prepared(database)
                let results = try await withThrowingTaskGroup(of: (id: String, duplicate: Bool).self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await PostgresSchemaTests.using(location) { instance in
                                try await Self.enqueue(PostgresJobQueue(database: instance), "evt-same")
                            }
                        }
                    }
                    var all: [(id: String, duplicate: Bool)] = []
                    for try await result in group { all.append(result) }
                    return all
                }
                #expect(Set(results.map(\.id)).count == 1, "one job")
                #expect(results.filter { !$0.duplicate }.count == 1, "made once, the others told it was a duplicate")
            }
        }
    }

    @Test func aFailingAttempt_waitsAndRetries_untilItsAttemptsRunOut() async throws {
        try await PostgresSchemaTests.withDatabase { location in
            try await PostgresSchemaTests.using(location) { database in
                try await Self.prepared(database)
                let clock = Clock()
                let queue = PostgresJobQueue(database: database, clock: { clock.now })
                let (id, _) = try await Self.enqueue(queue, "evt-flaky", maxAttempts: 2)
                _ = try await queue.claim()
                #expect(try await queue.fail(id, error: "drafting failed (timeout)", retryAfter: 30) == "queued")
                #expect(try await queue.claim() == nil, "not due yet")
                clock.advance(31)
                #expect(try await queue.claim()?.attempts == 2)
                #expect(try await queue.fail(id, error: "drafting failed (timeout)", retryAfter: 30) == "failed")
                let (bad, _) = try await Self.enqueue(queue, "evt-bad")
                _ = try await queue.claim()
                #expect(
                    try await queue.fail(bad, error: "webhook body: session.kind: …", retryAfter: 0, permanent: true)
                        == "failed")
            }
        }
    }
}

/// The audit chain appended by several instances at once.
@Suite("PostgreSQL: the audit chain across instances", .serialized)
struct PostgresAuditTests {
    @Test func severalInstancesAppending_makeOneChainThatVerifies() async throws {
        try await PostgresSchemaTests.withDatabase { location in
            try await PostgresSchemaTests.using(location) { database in
                try await PostgresJobQueueTests.prepared(database)
                // Eight instances, each with its own pool, append 25 events each, one transaction apiece.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for instance in 0..<8 {
                        group.addTask {
                            try await PostgresSchemaTests.using(location) { pool in
                                for event in 0..<25 {
                                    _ = try await pool.client.withTransaction(logger: Logger(label: "test")) {
                                        connection in
                                        try await PostgresAuditLog.append(
                                            on: connection, at: "2026-12-06T10:00:00Z", user: "intake",
                                            action: "job.queued", entity: "job:\(instance)-\(event)", detail: "{}",
                                            logger: Logger(label: "test"))
                                    }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let verification = try await PostgresAuditLog.verify(database.client)
                #expect(verification.events == 200 && verification.firstBroken == nil)
                // A rolled-back transaction leaves no event: the event lands with its change or not at all.
                var rolledBack = false
                do {
                    _ = try await database.client.withTransaction(logger: Logger(label: "test")) { connection in
                        try await PostgresAuditLog.append(
                            on: connection, at: "now", user: "intake", action: "x", entity: "y", detail: "{}",
                            logger: Logger(label: "test"))
                        try await connection.query(
                            PostgresQuery(unsafeSQL: "SELECT 1/0"), logger: Logger(label: "test"))
                    }
                } catch {
                    rolledBack = true
                }
                #expect(rolledBack)
                #expect(try await PostgresAuditLog.verify(database.client).events == 200)
            }
        }
    }
}
