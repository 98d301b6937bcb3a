import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService
import EnsembleStore
import EnsembleStoreTesting
import EnsembleTesting
import Foundation

// `make bench-store`: the store under load, on SQLite and on PostgreSQL (the throwaway server `make
// bench-store` starts, named in ENSEMBLE_TEST_DATABASE_URL).
// - Jobs drafted per second: N queued webhook jobs (the bundled family session, each under its own
//   session id), drained by 1, 2 and 4 workers as `ensemble serve`'s pool does (claim, draft with the
//   deterministic engine, record the run and finish the job in one transaction); on PostgreSQL also by
//   two instances (two stores, each with its own connection) of 2 workers.
// - Review actions per second: C clinicians at once, each on a session of their own, each action an
//   audited view of a note followed by an edit of one section (two transactions).
// Each figure is one run on a fresh database. `--quick` runs a small version.

let quick = CommandLine.arguments.contains("--quick")
let jobCount = quick ? 24 : 160
let actionRounds = quick ? 10 : 60

struct Prepared: Sendable {
    let session: Session
    let json: String
    let transcript: Transcript
}

func prepare(_ count: Int) throws -> [Prepared] {
    let scenario = try Fixtures.scenario("adolescent-family")
    let json = String(decoding: try Fixtures.bytes(scenario.directory + "/session.json"), as: UTF8.self)
    return try (0..<count).map { index in
        let renamed = json.replacingOccurrences(of: "S-2026-05-14-FAM", with: "S-BENCH-\(index)")
        let session = try SessionDecoder.decode(Array(renamed.utf8), file: "session.json").session
        return Prepared(session: session, json: renamed, transcript: scenario.transcript)
    }
}

func users(_ store: Store, clinicians: Int) async throws {
    try await store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
    try await store.addUser(User(id: "intake", name: "EHR intake", role: .assistant), by: "admin")
    for index in 0..<clinicians {
        try await store.addUser(
            User(id: "c\(index)", name: "Clinician", role: .clinician, clinicianID: "PROV-4"), by: "admin")
    }
}

/// Seconds for `workers` workers spread over `instances` stores to drain `prepared.count` jobs.
func drain(_ backend: Backend, workers: Int, instances: Int, prepared: [Prepared], service: DraftingService)
    async throws -> Double
{
    let database = try await TestDatabase.make(backend)
    var stores: [Store] = []
    for _ in 0..<instances { stores.append(try await database.open()) }
    try await users(stores[0], clinicians: 0)
    for (index, item) in prepared.enumerated() {
        _ = try await stores[0].enqueueJob(
            source: "ehr", eventID: "evt-\(index)", session: item.session.id.rawValue, clinicians: ["PROV-4"],
            payload: String(index), maxAttempts: 3, as: "intake")
    }
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            let store = stores[worker % instances]
            group.addTask {
                while let (job, payload) = try await store.claimJob() {
                    let item = prepared[Int(payload) ?? 0]
                    _ = try await service.draft(
                        item.session, sessionJSON: item.json, transcript: item.transcript, store: store, as: job.user,
                        job: job.claim)
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = ContinuousClock.now - start
    let audit = try await stores[0].verifyAudit(as: "admin")
    precondition(audit.firstBroken == nil, "the audit chain broke")
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Review actions a second for `clients` clinicians at once, each on a session drafted for them.
func review(_ backend: Backend, clients: Int, instances: Int, prepared: [Prepared], service: DraftingService)
    async throws -> Double
{
    let database = try await TestDatabase.make(backend)
    var stores: [Store] = []
    for _ in 0..<instances { stores.append(try await database.open()) }
    try await users(stores[0], clinicians: clients)
    for index in 0..<clients {
        let item = prepared[index]
        _ = try await service.draft(
            item.session, sessionJSON: item.json, transcript: item.transcript, store: stores[0], as: "c\(index)")
    }
    let patient = PersonID("CL-302")
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for client in 0..<clients {
            let store = stores[client % instances]
            let session = prepared[client].session.id.rawValue
            group.addTask {
                var version = 1
                for round in 0..<actionRounds {
                    _ = try await store.review(session: session, attendee: patient, as: "c\(client)")
                    version = try await store.editSection(
                        session: session, attendee: patient, section: "Plan", text: "Plan revised, round \(round).",
                        baseVersion: version, as: "c\(client)")
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(clients * actionRounds * 2) / seconds
}

let agents = try Fixtures.agents()
let service = DraftingService(agents: agents, engine: .deterministic)
let prepared = try prepare(max(jobCount, 16))
var backends = Backend.available
if backends.count == 1 { print("PostgreSQL: not measured (no ENSEMBLE_TEST_DATABASE_URL)") }
// One job alone first, so that one-time costs (agents, caches) are not in the first figure.
_ = try await drain(.sqlite, workers: 1, instances: 1, prepared: Array(prepared.prefix(2)), service: service)

print("jobs drafted per second (\(jobCount) jobs, the family session: 69 utterances, 3 attendees)")
print("database     workers  instances  jobs/s")
for backend in backends {
    var shapes = [(1, 1), (2, 1), (4, 1)]
    if backend == .postgresql { shapes.append((4, 2)) }
    for (workers, instances) in shapes {
        let seconds = try await drain(
            backend, workers: workers, instances: instances, prepared: Array(prepared.prefix(jobCount)),
            service: service)
        let name = backend.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
        print("\(name) \(workers)        \(instances)          \(String(format: "%.1f", Double(jobCount) / seconds))")
    }
}

print("")
print("review actions per second (each client: \(actionRounds) rounds of an audited view and an edit)")
print("database     clients  instances  actions/s")
for backend in backends {
    var shapes = [(1, 1), (4, 1), (16, 1)]
    if backend == .postgresql { shapes.append((16, 2)) }
    for (clients, instances) in shapes {
        let rate = try await review(
            backend, clients: clients, instances: instances, prepared: prepared, service: service)
        let name = backend.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
        print("\(name) \(clients)        \(instances)          \(String(format: "%.0f", rate))")
    }
}
