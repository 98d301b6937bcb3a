import CSQLite
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import EnsembleStoreTesting
import EnsembleTesting
import Foundation
import Testing

/// A store in a temporary file with the family scenario's people, and the scenario drafted into it.
struct FamilyDesk {
    static let session = "S-2026-05-14-FAM"
    static let patient = PersonID("CL-301")
    static let mother = PersonID("CL-302")

    let database: TestDatabase
    let store: Store
    let scenario: Scenario
    let agents: AgentConfigurations

    /// The SQLite file (on SQLite).
    var path: String { self.database.address }

    init(_ backend: Backend = .sqlite) async throws {
        self.database = try await TestDatabase.make(backend)
        self.store = try await self.database.open()
        self.scenario = try Fixtures.scenario("adolescent-family")
        self.agents = try Fixtures.agents()
        try await self.store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
        for user in [
            User(id: "hcole", name: "Hannah Cole", role: .clinician, clinicianID: "PROV-4"),
            User(id: "other", name: "Other Clinician", role: .clinician, clinicianID: "PROV-9"),
            User(id: "trainee", name: "Tess Trainee", role: .trainee, clinicianID: "PROV-4"),
            User(id: "sup", name: "Sam Supervisor", role: .supervisor),
            User(id: "asst", name: "Ari Assistant", role: .assistant),
            User(id: "bill", name: "Bea Biller", role: .biller),
        ] {
            try await self.store.addUser(user, by: "admin")
        }
    }

    func draft(_ run: SessionRun? = nil, as user: String = "hcole", job: JobClaim? = nil) async throws -> RecordedRun {
        let drafted: SessionRun
        if let run {
            drafted = run
        } else {
            drafted = try await self.run()
        }
        let json = String(decoding: try Fixtures.bytes(self.scenario.directory + "/session.json"), as: UTF8.self)
        let inputs = DraftInputs(
            sessionJSON: json, transcript: self.scenario.transcript, digest: "digest-\(json.count)",
            agents: self.agents.versions, engine: "deterministic")
        return try await self.store.record(drafted, inputs: inputs, as: user, job: job)
    }

    /// The family session queued as a webhook job, drafting as an assistant `intake` (added here).
    func queuedJob() async throws -> Enqueued {
        try await self.store.addUser(User(id: "intake", name: "I", role: .assistant), by: "admin")
        return try await self.store.enqueueJob(
            source: "ehr", eventID: "e1", session: FamilyDesk.session, clinicians: ["PROV-4"], payload: "{}",
            maxAttempts: 3, as: "intake")
    }

    func run() async throws -> SessionRun {
        try await SessionSupervisor(configuration: self.agents.supervisor).draft(
            self.scenario.session, transcript: self.scenario.transcript)
    }

    func note(_ attendee: PersonID = FamilyDesk.patient, as user: String = "hcole") async throws -> NoteReview {
        try #require(try await self.store.review(session: Self.session, attendee: attendee, as: user).notes.first)
    }

    /// Runs SQL on the database file behind the store's back, as someone with the file could.
    func rawSQL(_ sql: String) {
        var handle: OpaquePointer?
        #expect(sqlite3_open(self.path, &handle) == SQLITE_OK)
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK, "\(sql)")
        sqlite3_close(handle)
    }

    /// Runs SQL behind the store's back on either backend: `sqlite` on the file, `postgres` on the server.
    func tamper(sqlite: String, postgres: [String]) async throws {
        switch self.database.backend {
        case .sqlite: self.rawSQL(sqlite)
        case .postgresql: try await self.database.postgres(postgres)
        }
    }

    /// The integer a one-row query gives, read behind the store's back.
    func count(_ sql: String) async throws -> Int { try await self.database.count(sql) }

}

func expectRefusal(_ code: StoreError.Code, containing text: String? = nil, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a \(code) refusal")
    } catch let error as StoreError {
        #expect(error.code == code, "\(error.message)")
        if let text { #expect(error.message.contains(text), "\(error.message)") }
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Suite("Store: drafting runs, review, signing and the audit trail")
struct StoreTests {
    /// Readiness for a load balancer: the database answers, at this Ensemble's schema; another instance
    /// that migrated it further makes this one not ready.
    @Test(arguments: Backend.available) func readiness_followsTheSchemaVersion(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        let ready = await desk.store.readiness()
        #expect(ready.ready && ready.reachable && ready.schemaVersion == ready.expectedSchemaVersion)
        try await desk.tamper(
            sqlite: "PRAGMA user_version = \(ready.expectedSchemaVersion + 1)",
            postgres: [
                "INSERT INTO ensemble_schema (version, applied) VALUES (\(ready.expectedSchemaVersion + 1), 'later')"
            ])
        let newer = await desk.store.readiness()
        #expect(newer.reachable && !newer.ready && newer.schemaVersion == ready.expectedSchemaVersion + 1)
    }

    /// A label bound in two spans (a diarizer swapping voices) has two entries in the run; both are
    /// stored and read back in order, the later with the utterance it starts from.
    @Test(arguments: Backend.available) func labelBoundInSpans_isStoredAndReadBack(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        var spanned: SessionRun? = nil
        for seed in 1...20 as ClosedRange<UInt64> {
            let swapped = DiarizationErrors.apply(.swap, to: desk.scenario.transcript, seed: seed)
            let run = try await SessionSupervisor(configuration: desk.agents.supervisor).draft(
                desk.scenario.session, transcript: swapped)
            if run.attributed.attribution.speakers.contains(where: { $0.fromUtterance != nil }) {
                spanned = run
                break
            }
        }
        let run = try #require(spanned)
        _ = try await desk.draft(run)
        let review = try await desk.store.review(session: FamilyDesk.session, as: "hcole")
        let expected = run.attributed.attribution.speakers.sorted { $0.label < $1.label }
        #expect(review.speakers.map(\.label) == expected.map(\.label))
        #expect(review.speakers.map(\.person) == expected.map(\.person))
        #expect(review.speakers.map(\.fromUtterance) == expected.map(\.fromUtterance))
        #expect(review.speakers.contains { $0.fromUtterance != nil })
    }

    @Test(arguments: Backend.available) func draftingAgain_addsNoDuplicates_andVersionsOnlyChangedNotes(
        _ backend: Backend
    ) async throws {
        let desk = try await FamilyDesk(backend)
        let first = try await desk.draft()
        #expect(first.notes.values.allSatisfy { $0.change == .created && $0.version == 1 })
        #expect(first.notes.count == desk.scenario.session.attendees.filter(\.present).count)
        let second = try await desk.draft()
        #expect(second.notes.values.allSatisfy { $0.change == .unchanged && $0.version == 1 })
        #expect(second.newFlags == 0)
        #expect(try await desk.count("SELECT count(*) FROM notes") == first.notes.count)
        #expect(try await desk.count("SELECT count(*) FROM note_versions") == first.notes.count)
        #expect(
            try await desk.count("SELECT count(*) FROM claims") == 1, "one family claim, under the identified patient")
        #expect(try await desk.count("SELECT count(*) FROM risk_flags") == first.newFlags)
        #expect(try await desk.count("SELECT count(*) FROM runs") == 2)

        // A changed draft for one attendee: a new version for that note only.
        var changed = try await desk.run()
        let index = try #require(changed.notes.firstIndex { $0.attendee == FamilyDesk.mother })
        changed.notes[index].sections[0].sentences.append(NoteSentence("Added by a newer engine.", evidence: [1]))
        let third = try await desk.draft(changed)
        #expect(third.notes[FamilyDesk.mother]?.change == .redrafted && third.notes[FamilyDesk.mother]?.version == 2)
        #expect(third.notes[FamilyDesk.patient]?.change == .unchanged)
    }

    @Test(arguments: Backend.available) func redraftOfAnEditedNote_sitsBesideTheCliniciansVersion(_ backend: Backend)
        async throws
    {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        let edited = try await desk.store.editSection(
            session: FamilyDesk.session, attendee: FamilyDesk.mother, section: "Plan",
            text: "Mother will attend the next session.",
            baseVersion: 1, as: "hcole")
        var changed = try await desk.run()
        let index = try #require(changed.notes.firstIndex { $0.attendee == FamilyDesk.mother })
        changed.notes[index].sections[0].sentences.append(NoteSentence("Newer engine output.", evidence: [1]))
        let recorded = try await desk.draft(changed)
        #expect(recorded.notes[FamilyDesk.mother]?.change == .besideEdit)
        let note = try await desk.note(FamilyDesk.mother)
        #expect(note.currentVersion == edited, "the clinician's version stays current")
        #expect(note.draftBesideEdit == edited + 1)
        let plan = try #require(note.sections.first { $0.title == "Plan" })
        #expect(plan.sentences.map(\.text) == ["Mother will attend the next session."])
        #expect(plan.sentences.allSatisfy { $0.basis == .clinician })
    }

    /// Issue 23: a claim billing found not billable (or blocked) stays so when its note is signed, and keeps
    /// each reason's code, severity and field.
    @Test(arguments: Backend.available) func stoppedClaim_staysStopped_whenItsNoteIsSigned(_ backend: Backend)
        async throws
    {
        let desk = try await FamilyDesk(backend)
        var run = try await desk.run()
        let index = try #require(run.billing.claims.firstIndex { $0.attendee == FamilyDesk.patient })
        run.billing.claims[index].status = .notBillable
        run.billing.claims[index].reasons = [
            ClaimReason(.belowFamilyMinimum, .error, "Too short.", alternative: "90832"),
            ClaimReason(
                .memberIdMissing, .error, "No member id.", fix: .attendee(FamilyDesk.patient, "coverage.memberId")),
        ]
        _ = try await desk.draft(run)
        let store = desk.store
        let stored = try #require(try await store.claims(session: FamilyDesk.session, as: "bill").first)
        #expect(stored.status == "notBillable")
        #expect(stored.reasons.map(\.code) == ["belowFamilyMinimum", "memberIdMissing"])
        #expect(stored.reasons.map(\.stops) == [.notBillable, .blocked])
        #expect(stored.reasons[1].fix == .attendee(FamilyDesk.patient, "coverage.memberId"))
        #expect(stored.reasons[1].message == "No member id.")
        let queue = ClaimWorkQueue(stored: [stored], status: .notBillable)
        #expect(queue.groups.map(\.code) == ["belowFamilyMinimum"])

        for entry in try await store.riskQueue(as: "sup") {
            try await store.acknowledge(flag: entry.flag.id, comment: "Reviewed.", as: "sup")
        }
        #expect(
            try await store.sign(session: FamilyDesk.session, attendee: FamilyDesk.patient, version: 1, as: "hcole")
                == .signed)
        #expect(try await store.claims(session: FamilyDesk.session, as: "bill").map(\.status) == ["notBillable"])
        #expect(try await store.claims(status: "notBillable", as: "bill").count == 1)
    }

    /// Claims stored before reasons had their own codes (`code<TAB>message`) still read, as blocking.
    @Test func claimStoredBeforeReasonCodes_stillReads() async throws {
        let desk = try await FamilyDesk()
        _ = try await desk.draft()
        desk.rawSQL(
            "UPDATE claims SET status = 'blocked', reasons = 'providerIncomplete' || char(9) || 'the practice has no name'"
        )
        let stored = try #require(try await desk.store.claims(as: "bill").first)
        #expect(stored.reasons.map(\.code) == ["providerIncomplete"])
        #expect(stored.reasons.first?.message == "the practice has no name" && stored.reasons.first?.severity == nil)
        let queue = ClaimWorkQueue(stored: [stored], status: .blocked)
        #expect(queue.groups.map(\.code) == ["providerIncomplete"] && queue.groups.first?.pattern == nil)
    }

    @Test(arguments: Backend.available) func theWholeReview_draftToReadyClaim(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        let store = desk.store
        // The identified patient's self-harm disclosure waits for a supervisor.
        let queue = try await store.riskQueue(as: "sup")
        let flag = try #require(queue.first { $0.flag.attendee == FamilyDesk.patient }?.flag)
        #expect(flag.level == "elevated" && flag.category == "selfHarm")
        await expectRefusal(.blocked, containing: "supervisor") {
            _ = try await store.sign(session: FamilyDesk.session, attendee: FamilyDesk.patient, version: 1, as: "hcole")
        }
        await expectRefusal(.invalid, containing: "comment") {
            try await store.acknowledge(flag: flag.id, comment: "  ", as: "sup")
        }
        try await store.acknowledge(flag: flag.id, comment: "Safety plan reviewed with the family.", as: "sup")
        await expectRefusal(.invalid, containing: "already acknowledged") {
            try await store.acknowledge(flag: flag.id, comment: "again", as: "sup")
        }
        let version = try await store.editSection(
            session: FamilyDesk.session, attendee: FamilyDesk.patient, section: "assessment",
            text: "Client disclosed recent self-harm.\nSafety planning begun.", baseVersion: 1, as: "hcole")
        #expect(version == 2)
        // Another edit based on version 1 is stale.
        await expectRefusal(.staleVersion, containing: "version 2") {
            _ = try await store.editSection(
                session: FamilyDesk.session, attendee: FamilyDesk.patient, section: "Plan", text: "x", baseVersion: 1,
                as: "hcole")
        }
        let before = try await store.claims(session: FamilyDesk.session, as: "bill")
        #expect(before.map(\.status) == ["pendingSignature"])
        #expect(try await desk.note().aiGenerated, "the AI mark stays until signing")
        #expect(
            try await store.sign(session: FamilyDesk.session, attendee: FamilyDesk.patient, version: 2, as: "hcole")
                == .signed)
        let signed = try await desk.note()
        #expect(signed.state == .signed && !signed.aiGenerated)
        #expect(try await store.claims(session: FamilyDesk.session, status: "ready", as: "bill").count == 1)
        // Locked: no second signature, no edit; corrections are addenda.
        await expectRefusal(.locked) {
            _ = try await store.sign(session: FamilyDesk.session, attendee: FamilyDesk.patient, version: 2, as: "hcole")
        }
        await expectRefusal(.locked) {
            _ = try await store.editSection(
                session: FamilyDesk.session, attendee: FamilyDesk.patient, section: "Plan", text: "x", baseVersion: 2,
                as: "hcole")
        }
        try await store.addendum(
            session: FamilyDesk.session, attendee: FamilyDesk.patient, text: "Correction to the PHQ-9 date.",
            as: "hcole")
        #expect(try await desk.note().addenda.count == 1)
        let audit = try await store.verifyAudit(as: "admin")
        #expect(audit.firstBroken == nil && audit.events > 10)
        let actions = try await store.exportAudit(as: "admin").map {
            try JSONParser.parse($0, file: "line")["action"]?.string
        }
        for action in [
            "draft.generated", "note.viewed", "risk.acknowledged", "note.edited", "note.signed", "note.addendum",
        ] {
            #expect(actions.contains(action), "\(action)")
        }
    }

    @Test(arguments: Backend.available) func everyRefusal_byRoleAndWorkflow(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        let store = desk.store
        await expectRefusal(.forbidden, containing: "biller may not run drafting") {
            _ = try await desk.draft(as: "bill")
        }
        _ = try await desk.draft(as: "asst")  // assistants may draft
        await expectRefusal(.forbidden, containing: "only for sessions they are a clinician of") {
            _ = try await store.review(session: FamilyDesk.session, as: "other")
        }
        await expectRefusal(.forbidden, containing: "biller may not view notes") {
            _ = try await store.review(session: FamilyDesk.session, as: "bill")
        }
        await expectRefusal(.forbidden, containing: "assistant may not sign") {
            _ = try await store.sign(session: FamilyDesk.session, attendee: FamilyDesk.mother, version: 1, as: "asst")
        }
        await expectRefusal(.forbidden, containing: "clinician may not acknowledge") {
            try await store.acknowledge(flag: 1, comment: "done", as: "hcole")
        }
        await expectRefusal(.forbidden, containing: "admin may not view notes") {
            _ = try await store.review(session: FamilyDesk.session, as: "admin")
        }
        await expectRefusal(.forbidden, containing: "no active user") {
            _ = try await store.claims(as: "nobody")
        }
        await expectRefusal(.forbidden, containing: "clinician may not manage users") {
            try await store.addUser(User(id: "x", name: "X", role: .admin), by: "hcole")
        }
        // A trainee's signature waits for a supervisor; the trainee cannot complete it alone.
        #expect(
            try await store.sign(session: FamilyDesk.session, attendee: FamilyDesk.mother, version: 1, as: "trainee")
                == .awaitingCosignature)
        #expect(try await store.claims(session: FamilyDesk.session, as: "bill").allSatisfy { $0.status != "ready" })
        await expectRefusal(.forbidden, containing: "trainee may not co-sign") {
            try await store.cosign(session: FamilyDesk.session, attendee: FamilyDesk.mother, as: "trainee")
        }
        await expectRefusal(.locked, containing: "co-signature") {
            _ = try await store.sign(session: FamilyDesk.session, attendee: FamilyDesk.mother, version: 1, as: "hcole")
        }
        try await store.cosign(session: FamilyDesk.session, attendee: FamilyDesk.mother, as: "sup")
        #expect(try await desk.note(FamilyDesk.mother).state == .signed)
        await expectRefusal(.locked) {
            try await store.cosign(session: FamilyDesk.session, attendee: FamilyDesk.mother, as: "sup")
        }
        // Unknown sections and notes name what exists.
        await expectRefusal(.invalid, containing: "its sections are") {
            _ = try await store.editSection(
                session: FamilyDesk.session, attendee: FamilyDesk.patient, section: "Nope", text: "x", baseVersion: 1,
                as: "hcole")
        }
        await expectRefusal(.notFound) {
            _ = try await store.review(session: "S-NONE", as: "sup")
        }
    }

    @Test(arguments: Backend.available) func sectionReviews_gateSigning_andFeedTheMetrics(_ backend: Backend)
        async throws
    {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        let store = desk.store
        let mother = FamilyDesk.mother
        try await store.reviewSection(
            session: FamilyDesk.session, attendee: mother, section: "Plan", decision: .rejected, version: 1, as: "hcole"
        )
        await expectRefusal(.blocked, containing: "Plan") {
            _ = try await store.sign(session: FamilyDesk.session, attendee: mother, version: 1, as: "hcole")
        }
        try await store.reviewSection(
            session: FamilyDesk.session, attendee: mother, section: "Subjective", decision: .accepted, version: 1,
            as: "hcole")
        let version = try await store.editSection(
            session: FamilyDesk.session, attendee: mother, section: "Plan", text: "Mother will attend next week.",
            baseVersion: 1, as: "hcole")
        _ = try await store.sign(session: FamilyDesk.session, attendee: mother, version: version, as: "hcole")
        // The stepfather's note is signed as drafted: an over-reliance signal.
        let stepfather = try #require(
            try await store.review(session: FamilyDesk.session, as: "hcole").notes.first {
                $0.attendee != mother && $0.attendee != FamilyDesk.patient
            })
        _ = try await store.sign(session: FamilyDesk.session, attendee: stepfather.attendee, version: 1, as: "hcole")
        let metrics = try await store.metrics(as: "sup")
        #expect(metrics.acceptance["Plan"]?.rejected == 1 && metrics.acceptance["Subjective"]?.accepted == 1)
        #expect(metrics.overall.signedNotes == 2 && metrics.overall.signedWithoutEdits == 1)
        #expect(metrics.overall.meanEditDistance > 0)
        #expect(metrics.byClinician["hcole"]?.signedNotes == 2)
        await expectRefusal(.forbidden) { _ = try await store.metrics(as: "hcole") }
    }

    @Test(arguments: Backend.available) func tamperedAuditRow_isNamedByVerify(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        _ = try await desk.note()
        #expect(try await desk.store.verifyAudit(as: "admin").firstBroken == nil)
        // The trail refuses changes through SQL…
        let forged = "UPDATE audit_events SET user_id = 'mallory' WHERE seq = 3"
        switch backend {
        case .sqlite:
            var handle: OpaquePointer?
            sqlite3_open(desk.path, &handle)
            #expect(sqlite3_exec(handle, forged, nil, nil, nil) != SQLITE_OK)
            sqlite3_close(handle)
        case .postgresql:
            await #expect(throws: (any Error).self) { try await desk.database.postgres([forged]) }
        }
        // …and someone who drops the guard and edits an event is caught at that event.
        let edit = "UPDATE audit_events SET detail = '{\"run\":99}' WHERE seq = 8"
        try await desk.tamper(
            sqlite: "DROP TRIGGER audit_events_no_update; \(edit)",
            postgres: ["DROP TRIGGER audit_events_no_update ON audit_events", edit])
        let result = try await desk.store.verifyAudit(as: "admin")
        #expect(result.firstBroken?.seq == 8)
        #expect(result.firstBroken?.reason.contains("content") == true)
        // Deleting an event breaks the link at the next one.
        let other = try await FamilyDesk(backend)
        _ = try await other.draft()
        let delete = "DELETE FROM audit_events WHERE seq = 4"
        try await other.tamper(
            sqlite: "DROP TRIGGER audit_events_no_delete; \(delete)",
            postgres: ["DROP TRIGGER audit_events_no_delete ON audit_events", delete])
        #expect(try await other.store.verifyAudit(as: "admin").firstBroken?.seq == 5)
    }

    @Test(arguments: Backend.available) func auditDetails_holdNoTranscriptTextOrNames(_ backend: Backend) async throws {
        let desk = try await FamilyDesk(backend)
        _ = try await desk.draft()
        _ = try await desk.store.review(session: FamilyDesk.session, as: "hcole")
        let lines = try await desk.store.exportAudit(as: "admin").joined(separator: "\n")
        for person in desk.scenario.session.attendees {
            for word in person.name.split(separator: " ") { #expect(!lines.contains(word), "\(word)") }
        }
        for utterance in desk.scenario.transcript.utterances.prefix(20) where utterance.text.count > 20 {
            #expect(!lines.contains(utterance.text))
        }
    }

    @Test func newerSchema_isRefused() async throws {
        let desk = try await FamilyDesk()
        desk.rawSQL("PRAGMA user_version = 99")
        #expect(throws: StoreError.self) { _ = try Store(path: desk.path) }
    }
}

extension StoreTests {
    @Test(arguments: Backend.available) func modelRun_recordsEachAttendeesCallsInTheAuditEvent(_ backend: Backend)
        async throws
    {
        let desk = try await FamilyDesk(backend)
        let json = String(decoding: try Fixtures.bytes(desk.scenario.directory + "/session.json"), as: UTF8.self)
        let records = [
            ModelDraftRecord(
                attendee: FamilyDesk.patient, outcome: .accepted(kept: 3, dropped: 1), calls: 1, requests: 2,
                usage: TokenUsage(prompt: 1_500, completion: 120), latency: .milliseconds(2_400)),
            ModelDraftRecord(
                attendee: FamilyDesk.mother, outcome: .fellBack("the model call failed (unavailable)"), calls: 1,
                requests: 4, usage: TokenUsage(), latency: .milliseconds(900)),
        ]
        let inputs = DraftInputs(
            sessionJSON: json, transcript: desk.scenario.transcript, digest: "d", agents: desk.agents.versions,
            engine: "llm:openai:gpt", modelRecords: records, modelCostUSD: 0.0042)
        _ = try await desk.store.record(try await desk.run(), inputs: inputs, as: "hcole")
        let line = try #require(try await desk.store.exportAudit(as: "admin").first { $0.contains("draft.generated") })
        let detail = try #require(try JSONParser.parse(line, file: "line")["detail"])
        #expect(detail["engine"]?.string == "llm:openai:gpt")
        let calls = detail["model"]?["calls"]?.array ?? []
        #expect(calls.count == 2 && detail["model"]?["costUSD"]?.number == 0.0042)
        let patient = try #require(calls.first { $0["attendee"]?.string == "CL-301" })
        #expect(patient["promptTokens"]?.number == 1_500 && patient["latencyMilliseconds"]?.number == 2_400)
        #expect(patient["outcome"]?.string == "accepted" && patient["requests"]?.number == 2)
        #expect(!line.contains("Sofia") && !line.contains("unavailable"), "ids and counts only")
    }
}
