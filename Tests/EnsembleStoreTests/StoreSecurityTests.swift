import CSQLite
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStoreTesting
import EnsembleSystem
import EnsembleTesting
import Foundation
import Testing

@testable import EnsembleStore

#if canImport(Glibc)
    import Glibc
#endif

/// The store's files and its audit anchor (issue 15).
@Suite("Store security")
struct StoreSecurityTests {
    @Test("the database, its -wal and -shm files are 0600 under umask 022; a file others can write is refused")
    func fileModes() async throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let desk = try await FamilyDesk()
        _ = try await desk.draft()
        for file in [desk.path, desk.path + "-wal", desk.path + "-shm"] {
            #expect(PrivateFile.mode(file) == 0o600, "\(file)")
        }
        // A file other users can write may have been changed by them: refused, with what to do.
        chmod(desk.path, 0o664)
        let refused = #expect(throws: StoreError.self) { try Store(path: desk.path) }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.contains("can be written by other users (mode 0664)") == true)
        #expect(refused?.message.contains("chmod 600") == true)
        // One left readable by an older version is made private when opened.
        chmod(desk.path, 0o644)
        chmod(desk.path + "-wal", 0o644)
        _ = try Store(path: desk.path)
        #expect(PrivateFile.mode(desk.path) == 0o600)
        #expect(PrivateFile.mode(desk.path + "-wal") == 0o600)
    }

    @Test("private files are written 0600, also over a file that was world-writable")
    func privateWrite() throws {
        // The umask is the process's: tests run in parallel, so this one keeps the usual 022.
        let previous = umask(0o022)
        defer { umask(previous) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data("old and longer".utf8)))
        chmod(path, 0o666)
        try PrivateFile.write(Array("ens_x\n".utf8), to: path)
        #expect(PrivateFile.mode(path) == 0o600)
        #expect(FileManager.default.contents(atPath: path) == Data("ens_x\n".utf8))
    }

    @Test("an anchored head finds a deleted tail", arguments: Backend.available)
    func anchoredHead_findsDeletedTail(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        _ = try await desk.note()
        let head = try await desk.store.auditHead(as: "admin")
        #expect(head.seq > 3 && head.hash.count == 64)
        #expect(try await desk.store.verifyAudit(as: "admin", expectHead: head).firstBroken == nil)
        // Later events do not disturb the anchor.
        _ = try await desk.note()
        #expect(try await desk.store.verifyAudit(as: "admin", expectHead: head).firstBroken == nil)

        let delete = "DELETE FROM audit_events WHERE seq >= \(head.seq - 1)"
        try await desk.tamper(
            sqlite: "DROP TRIGGER audit_events_no_delete; \(delete)",
            postgres: ["DROP TRIGGER audit_events_no_delete ON audit_events", delete])
        // Without the anchor the shorter chain still verifies: that is the gap the anchor closes.
        #expect(try await desk.store.verifyAudit(as: "admin").firstBroken == nil)
        let broken = try await desk.store.verifyAudit(as: "admin", expectHead: head).firstBroken
        #expect(broken?.seq == head.seq)
        #expect(broken?.reason.contains("events were deleted") == true)
    }

    @Test("an anchored head finds a chain rewritten with every later hash recomputed")
    func anchoredHead_findsRewrittenChain() async throws {
        let desk = try await FamilyDesk()
        _ = try await desk.draft()
        let head = try await desk.store.auditHead(as: "admin")
        // Rewrite event 3 and recompute every hash after it, as someone covering their tracks would.
        let events = Self.auditEvents(desk.path)
        #expect(events.count > 5)
        var rewritten: [AuditEvent] = []
        var previous = AuditEvent.genesis
        for var event in events {
            if event.seq == 3 { event.user = "mallory" }
            event.previousHash = previous
            event.hash = AuditEvent.chain(previous: previous, canonical: event.canonical)
            previous = event.hash
            rewritten.append(event)
        }
        var sql = "DROP TRIGGER audit_events_no_update;"
        for event in rewritten {
            sql +=
                " UPDATE audit_events SET user_id = '\(event.user)', prev_hash = '\(event.previousHash)', hash = '\(event.hash)' WHERE seq = \(event.seq);"
        }
        desk.rawSQL(sql)
        #expect(try await desk.store.verifyAudit(as: "admin").firstBroken == nil, "the rewrite is self-consistent")
        let broken = try await desk.store.verifyAudit(as: "admin", expectHead: head).firstBroken
        #expect(broken?.seq == head.seq)
        #expect(broken?.reason.contains("rewritten") == true)
    }

    /// The trail read behind the store's back.
    static func auditEvents(_ path: String) -> [AuditEvent] {
        var handle: OpaquePointer?
        var statement: OpaquePointer?
        sqlite3_open(path, &handle)
        defer { sqlite3_close(handle) }
        sqlite3_prepare_v2(
            handle, "SELECT seq, at, user_id, action, entity, detail, prev_hash, hash FROM audit_events ORDER BY seq",
            -1,
            &statement, nil)
        defer { sqlite3_finalize(statement) }
        func text(_ column: Int32) -> String { String(cString: sqlite3_column_text(statement, column)) }
        var events: [AuditEvent] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            events.append(
                AuditEvent(
                    seq: Int(sqlite3_column_int64(statement, 0)), at: text(1), user: text(2), action: text(3),
                    entity: text(4), detail: text(5), previousHash: text(6), hash: text(7)))
        }
        return events
    }

    @Test("heads read back from text, and a signed head's MAC holds only with its key")
    func headText() throws {
        let hash = String(repeating: "ab", count: 32)
        let head = try #require(AuditHead("12:\(hash)"))
        #expect(head.seq == 12 && head.hash == hash && head.mac == nil)
        #expect(head.description == "12:\(hash)")
        let signed = head.signed(key: Array("anchor-key".utf8))
        #expect(AuditHead(signed.description) == signed)
        #expect(signed.macHolds(key: Array("anchor-key".utf8)))
        #expect(!signed.macHolds(key: Array("another-key".utf8)))
        var forged = signed
        forged.seq = 11
        #expect(!forged.macHolds(key: Array("anchor-key".utf8)))
        for text in ["", "12", "x:\(hash)", "12:abc", "-1:\(hash)", "12:\(hash):zz"] {
            #expect(AuditHead(text) == nil, "\(text)")
        }
    }

    @Test("new inputs cannot take a stored session over by naming another roster", arguments: Backend.available)
    func rosterTakeover(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        var session = desk.scenario.session
        session.clinicians[0].id = PersonID("PROV-9")
        let run = try await SessionSupervisor(configuration: desk.agents.supervisor).draft(
            session, transcript: desk.scenario.transcript)
        let inputs = DraftInputs(
            sessionJSON: "{}", transcript: desk.scenario.transcript, digest: "other-inputs",
            agents: desk.agents.versions, engine: "deterministic")
        let refused = await #expect(throws: StoreError.self) {
            try await desk.store.record(run, inputs: inputs, as: "other")
        }
        #expect(refused?.code == .forbidden)
        #expect(try await desk.store.claims(as: "other").isEmpty, "nothing of the session became theirs")
        // A supervisor may move a session to another clinician.
        _ = try await desk.store.record(run, inputs: inputs, as: "sup")
        #expect(try await desk.store.claims(as: "other").count == 1)
    }

    @Test(
        "a redraft based on inputs that were replaced meanwhile is refused instead of restoring them",
        arguments: Backend.available)
    func staleRedraft(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        let run = try await desk.run()
        let inputs = DraftInputs(
            sessionJSON: "{}", transcript: desk.scenario.transcript, digest: "newer",
            agents: desk.agents.versions, engine: "deterministic")
        let stale = await #expect(throws: StoreError.self) {
            try await desk.store.record(run, inputs: inputs, as: "hcole", basedOn: "an-older-digest")
        }
        #expect(stale?.code == .staleVersion)
    }

    @Test("the audit chain's canonical text keeps DEL and C1 characters raw, as trails written before hashed them")
    func auditCanonicalIsStable() {
        let event = AuditEvent(
            seq: 1, at: "2026-01-01T00:00:00.000Z", user: "u\u{7F}", action: "a", entity: "e\u{85}",
            detail: "{\"x\":1}", previousHash: AuditEvent.genesis, hash: "")
        // Written out by hand: C0 would be escaped, DEL and NEL stay as they are.
        #expect(event.canonical == "[1,\"2026-01-01T00:00:00.000Z\",\"u\u{7F}\",\"a\",\"e\u{85}\",\"{\\\"x\\\":1}\"]")
    }

    @Test("a database reached through a symbolic link, or owned by another user, is refused")
    func linksAndOwners() async throws {
        let desk = try await FamilyDesk()
        let link = desk.path + "-link.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: desk.path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        let linked = #expect(throws: StoreError.self) { try Store(path: link) }
        #expect(linked?.message.contains("is not a regular file") == true)
        if geteuid() == 0 {
            chown(desk.path, 65534, 65534)
            let foreign = #expect(throws: StoreError.self) { try Store(path: desk.path) }
            #expect(foreign?.message.contains("belongs to another user") == true)
            chown(desk.path, 0, 0)
        }
    }

    @Test("a private write replaces the file whole: a hard link to the old one keeps the old content")
    func privateWriteReplaces() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString)").path
        let link = path + ".link"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: link)
        }
        try PrivateFile.write(Array("old".utf8), to: path)
        #expect(link.withCString { target in path.withCString { Glibc.link($0, target) } } == 0)
        try PrivateFile.write(Array("new claims".utf8), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("new claims".utf8))
        #expect(FileManager.default.contents(atPath: link) == Data("old".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix((path as NSString).lastPathComponent + ".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("speakers stored before labels were bound in spans are kept, each as its label's first span")
    func upgradedSpeakers() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString).db")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var handle: OpaquePointer?
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        var sql = Schema.migrations[0..<4].joined() + "PRAGMA user_version = 4;"
        sql +=
            "INSERT INTO users (id, name, role, clinician_id, created) VALUES ('hcole','H','clinician','PROV-4','t');"
        sql += "INSERT INTO sessions (id, kind, session_json, transcript_format, transcript_origin, inputs_digest, "
        sql += "created) VALUES ('S-1', 'family', '{}', 'vtt', 'diarized', 'd', 't');"
        sql += "INSERT INTO runs (id, session_id, engine, inputs_digest, agents, output_digest, user_id, created) "
        sql += "VALUES (7, 'S-1', 'deterministic', 'd', 'a', 'o', 'hcole', 't');"
        sql += "INSERT INTO speakers (run_id, label, person_id, confidence) VALUES (7, 'SPEAKER_00', 'PROV-4', 0.9),"
        sql += "(7, 'SPEAKER_01', NULL, 0.4);"
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)

        _ = try Store(path: path)
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        defer { sqlite3_close(handle) }
        var statement: OpaquePointer?
        let query = "SELECT label, span, from_utterance IS NULL, person_id IS NULL FROM speakers ORDER BY label"
        #expect(sqlite3_prepare_v2(handle, query, -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append(
                "\(String(cString: sqlite3_column_text(statement, 0))) \(sqlite3_column_int(statement, 1)) "
                    + "\(sqlite3_column_int(statement, 2)) \(sqlite3_column_int(statement, 3))")
        }
        #expect(rows == ["SPEAKER_00 0 1 0", "SPEAKER_01 0 1 1"])
    }

    @Test("jobs queued before the upgrade get their digest and roster, and a failed one drops its payload")
    func upgradedJobs() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString).db")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let payload = #"{"eventId":"e","session":{"sessionId":"S-1","clinicians":[{"id":"PROV-4"}]},"transcript":{}}"#
        var handle: OpaquePointer?
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        var sql = Schema.migrations[0] + Schema.migrations[1] + "PRAGMA user_version = 2;"
        sql += "INSERT INTO users (id, name, role, clinician_id, created) VALUES ('admin','A','admin',NULL,'t'),"
        sql +=
            "('intake','I','assistant',NULL,'t'),('hcole','H','clinician','PROV-4','t'),('other','O','clinician','PROV-9','t');"
        for (id, state) in [("job-q", "queued"), ("job-f", "failed")] {
            sql += """
                INSERT INTO jobs (id, source, event_id, user_id, session_id, payload, state, attempts, max_attempts,
                not_before, created, updated) VALUES ('\(id)', 'ehr', '\(id)', 'intake', 'S-1', '\(payload)', '\(state)', 0, 3,
                't', 't', 't');
                """
        }
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)

        let store = try Store(path: path)
        let queued = try await store.job("job-q", as: "hcole")
        #expect(
            queued.payloadDigest == Hashing.sha256Hex(Array(payload.utf8)) && queued.payloadBytes == payload.utf8.count)
        let failed = try await store.job("job-f", as: "hcole")
        #expect(failed.payloadDigest == Hashing.sha256Hex(Array(payload.utf8)) && failed.payloadBytes == 0)
        await #expect(throws: StoreError.self) { try await store.job("job-q", as: "other") }
    }

    @Test(
        "a job that already succeeded stays succeeded when a late failure is reported for it",
        arguments: Backend.available)
    func succeededStays(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        let job = try await desk.queuedJob()
        let claimed = try #require(try await desk.store.claimJob())
        let recorded = try await desk.draft()
        try await desk.store.completeJob(claimed.job.claim, run: recorded.runID)
        #expect(try await desk.store.failJob(claimed.job.claim, error: "late", retryAfter: 0) == .succeeded)
        #expect(try await desk.store.job(job.job.id, as: "intake").state == .succeeded)
    }

    @Test(
        "a worker whose lease ran out while another took its job over records nothing: one run per job",
        arguments: Backend.available)
    func oneRunPerJob(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        let job = try await desk.queuedJob()
        // Worker a takes the job and stalls past its lease; worker b takes it over.
        let first = try #require(try await desk.store.claimJob(lease: .milliseconds(1))).job.claim
        try await Task.sleep(for: .milliseconds(5))
        let second = try #require(try await desk.store.claimJob()).job.claim
        #expect(second.id == job.job.id && second.attempt == 2)
        // Worker a comes back: its claim no longer holds, so nothing it writes about the job counts.
        #expect(try await desk.store.renewJobLease(first) == false, "a's lease is not renewed")
        #expect(try await desk.store.renewJobLease(second) == true)
        try await desk.store.recordJobProgress(first, progress: "{\"stage\":\"stale\"}")
        #expect(try await desk.store.jobRecord(job.job.id)?.progress == nil)
        #expect(try await desk.store.failJob(first, error: "a's model call failed", retryAfter: 0) == .running)
        #expect(try await desk.store.requeueRunningJobs(claims: [first], refund: true) == 0)
        let late = await #expect(throws: StoreError.self) { _ = try await desk.draft(as: "intake", job: first) }
        #expect(late?.code == .staleVersion)
        try await desk.store.completeJob(first, run: nil)
        #expect(try await desk.store.job(job.job.id, as: "intake").state == .running, "still b's")
        // b records its run; the job is done, once.
        _ = try await desk.draft(as: "intake", job: second)
        #expect(try await desk.store.renewJobLease(second) == false, "a finished job's lease is not renewed")
        #expect(try await desk.count("SELECT count(*) FROM runs") == 1)
        let done = try await desk.store.job(job.job.id, as: "intake")
        #expect(done.state == .succeeded && done.attempts == 2 && done.runID != nil)
    }

    @Test(
        "claims: a clinician sees their sessions' claims only and is refused another session's",
        arguments: Backend.available)
    func claimsRoster(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        #expect(try await desk.store.claims(as: "hcole").count == 1)
        #expect(try await desk.store.claims(as: "other").isEmpty)
        let refused = await #expect(throws: StoreError.self) {
            try await desk.store.claims(session: FamilyDesk.session, as: "other")
        }
        #expect(refused?.code == .forbidden)
        #expect(try await desk.store.claims(session: FamilyDesk.session, as: "bill").count == 1)
        #expect(try await desk.store.claims(as: "sup").count == 1)
    }
}
