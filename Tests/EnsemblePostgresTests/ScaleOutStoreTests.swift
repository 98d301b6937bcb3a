import EnsembleCore
import EnsemblePostgres
import EnsembleStore
import EnsembleStoreTesting
import Foundation
import Synchronization
import Testing

/// Several instances on one PostgreSQL database, each a `Store` with its own connection, as several
/// `ensemble serve` processes have: the queue, the leases and the audit chain hold across them.
@Suite("PostgreSQL: several instances on one database")
struct ScaleOutStoreTests {
    final class Clock: Sendable {
        private let value = Mutex(Date(timeIntervalSince1970: 1_796_000_000))
        var now: Date { self.value.withLock { $0 } }
        func advance(_ seconds: Double) { self.value.withLock { $0 += seconds } }
    }

    /// `count` instances on a fresh database with the users jobs draft as; nil without a server.
    static func instances(_ count: Int, clock: Clock? = nil) async throws -> [Store]? {
        guard let database = try await PostgresSchemaTests.database() else { return nil }
        let now: @Sendable () -> Date = if let clock { { clock.now } } else { { Date() } }
        var stores: [Store] = []
        for _ in 0..<count { stores.append(try await database.open(clock: now)) }
        try await stores[0].addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
        try await stores[0].addUser(User(id: "intake", name: "EHR intake", role: .assistant), by: "admin")
        return stores
    }

    static func enqueue(_ store: Store, _ event: String, maxAttempts: Int = 3) async throws -> Enqueued {
        try await store.enqueueJob(
            source: "ehr", eventID: event, session: "S-1", clinicians: ["PROV-1"], payload: "{}",
            maxAttempts: maxAttempts, as: "intake")
    }

    @Test func workersInSeveralInstances_takeEachJobOnce() async throws {
        guard let stores = try await Self.instances(3) else { return }
        for index in 0..<60 { _ = try await Self.enqueue(stores[index % 3], "evt-\(index)") }
        // Two workers per instance.
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<6 {
                let store = stores[worker % 3]
                group.addTask {
                    var mine: [String] = []
                    while let (job, _) = try await store.claimJob() {
                        mine.append(job.id)
                        try await store.completeJob(job.claim, run: nil)
                    }
                    return mine
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claimed.count == 60 && Set(claimed).count == 60, "every job once, none twice")
        let jobs = try await stores[1].jobs(limit: 100, as: "intake")
        #expect(jobs.count == 60 && jobs.allSatisfy { $0.state == .succeeded && $0.attempts == 1 })
        let audit = try await stores[2].verifyAudit(as: "admin")
        #expect(audit.firstBroken == nil && audit.events == 2 + 60 + 60)
    }

    @Test func aDeadWorkersJob_comesBackWhenItsLeaseRunsOut_andFailsOutOfAttempts() async throws {
        let clock = Clock()
        guard let stores = try await Self.instances(2, clock: clock) else { return }
        let job = try await Self.enqueue(stores[0], "evt-crash", maxAttempts: 2).job
        #expect(try await stores[0].claimJob(lease: .seconds(60))?.job.id == job.id)  // its worker then dies
        #expect(try await stores[1].claimJob(lease: .seconds(60)) == nil, "the lease still holds it")
        #expect(try await stores[1].requeueRunningJobs(refund: false) == 0, "a starting instance leaves it be")
        clock.advance(61)
        let again = try await stores[1].claimJob(lease: .seconds(60))
        #expect(again?.job.id == job.id && again?.job.attempts == 2, "taken back, the attempt counted")
        clock.advance(30)
        #expect(try await stores[1].renewJobLease(again!.job.claim, lease: .seconds(60)), "its worker is alive")
        clock.advance(45)
        #expect(try await stores[0].claimJob(lease: .seconds(60)) == nil, "the renewed lease holds it")
        clock.advance(61)  // that worker dies too: out of attempts
        #expect(try await stores[0].claimJob(lease: .seconds(60)) == nil)
        #expect(try await stores[0].jobRecord(job.id)?.state == .failed)
        #expect(try await stores[0].jobRecord(job.id)?.payloadBytes == 0, "the payload is dropped")
    }

    @Test func repeatedDeliveriesToSeveralInstances_makeOneJob() async throws {
        guard let stores = try await Self.instances(4) else { return }
        let results = try await withThrowingTaskGroup(of: Enqueued.self) { group in
            for delivery in 0..<8 {
                let store = stores[delivery % 4]
                group.addTask { try await Self.enqueue(store, "evt-same") }
            }
            var all: [Enqueued] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(Set(results.map(\.job.id)).count == 1, "one job")
        #expect(results.filter { !$0.duplicate }.count == 1, "made once, the others told it was a duplicate")
    }

    @Test func severalInstancesChangingAtOnce_makeOneAuditChainThatVerifies() async throws {
        guard let stores = try await Self.instances(4) else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in 0..<4 {
                let store = stores[instance]
                group.addTask {
                    for user in 0..<20 {
                        try await store.addUser(
                            User(id: "u\(instance)-\(user)", name: "User", role: .biller), by: "admin")
                    }
                }
            }
            try await group.waitForAll()
        }
        let verification = try await stores[3].verifyAudit(as: "admin")
        #expect(verification.firstBroken == nil && verification.events == 2 + 80)
        // A refused operation leaves no event: the event lands with its change or not at all.
        await #expect(throws: StoreError.self) {
            try await stores[0].addUser(User(id: "u0-0", name: "Again", role: .biller), by: "admin")
        }
        #expect(try await stores[1].verifyAudit(as: "admin").events == 2 + 80)
    }
}
