public import EnsembleCore
import EnsembleFormats
import EnsembleSystem
public import Foundation

/// The system of record for drafting and review, on one SQLite file.
///
/// The actor owns the one connection. Every operation names the user it acts for, asks `Policy`
/// before it changes or shows anything, and runs in one transaction. That transaction also
/// appends the operation's event to the hash-chained audit trail, so a change and its record land
/// together or not at all. Errors are `StoreError`s that say what to do next, by id, never by content.
public actor Store {
    let connection: Connection
    private let clock: @Sendable () -> Date
    var faults = Faults()

    /// Opens or creates the database at `path` (`:memory:` for tests) and brings its schema up to date.
    public init(path: String, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        let connection = Connection(try SQLiteDriver(path: path))
        try Schema.migrate(connection)
        try Self.upgradeJobs(connection)
        self.connection = connection
        self.clock = clock
    }

    /// A store on another database, whose driver has brought its schema up to date.
    package init(migrated driver: sending any SQLDriver, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.connection = Connection(driver)
        self.clock = clock
    }

    func now() -> String {
        self.clock().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    var clockNow: Date { self.clock() }

    // MARK: - Users

    /// Adds a user. The first user of an empty database must be an admin and needs no `actor`; after
    /// that only an admin may add users.
    public func addUser(_ user: User, by actor: String?) throws {
        try self.connection.transaction { () throws(StoreError) in
            let count = try self.connection.prepare("SELECT count(*) FROM users").row { $0.int(0) } ?? 0
            let actorID: String
            if count == 0 {
                guard user.role == .admin else {
                    throw StoreError(.forbidden, "the database has no users yet; the first user must be an admin")
                }
                actorID = user.id
            } else {
                guard let actor else {
                    throw StoreError(.forbidden, "name the admin adding the user with --as")
                }
                try self.authorize(actor, .manageUsers)
                actorID = actor
            }
            guard try self.findUser(user.id) == nil else {
                throw StoreError(.invalid, "user \(user.id) already exists")
            }
            try self.connection.prepare(
                "INSERT INTO users (id, name, role, clinician_id, created) VALUES (?1, ?2, ?3, ?4, ?5)"
            ).run([
                .text(user.id), .text(user.name), .text(user.role.rawValue), .optional(user.clinicianID),
                .text(self.now()),
            ])
            try self.audit(
                actorID, "user.added", "user:\(user.id)",
                .object([("role", .string(user.role.rawValue)), ("clinicianId", user.clinicianID.map { .string($0) })]))
        }
    }

    public func users(as actor: String) throws -> [User] {
        try self.authorize(actor, .manageUsers)
        return try self.connection.prepare("SELECT id, name, role, clinician_id FROM users ORDER BY id").rows {
            (row) throws(StoreError) in try Self.user(row)
        }
    }

    /// The active user with this id, if there is one.
    public func user(_ id: String) throws -> User? { try self.findUser(id) }

    func findUser(_ id: String) throws(StoreError) -> User? {
        try self.connection.prepare("SELECT id, name, role, clinician_id FROM users WHERE id = ?1 AND active = 1").row(
            [.text(id)]
        ) { (row) throws(StoreError) in try Self.user(row) }
    }

    private static func user(_ row: Row) throws(StoreError) -> User {
        guard let role = UserRole(rawValue: row.text(2)) else {
            throw StoreError(.corrupt, "user \(row.text(0)) has an unknown role")
        }
        return User(id: row.text(0), name: row.text(1), role: role, clinicianID: row.optionalText(3))
    }

    /// The user, if they may take `action` (on a session with these clinicians, when it is about one).
    @discardableResult
    func authorize(_ id: String, _ action: ReviewAction, session: String? = nil) throws(StoreError) -> User {
        try self.authorize(id, action, clinicians: try session.map(self.clinicians(of:)))
    }

    /// The user, if they may take `action` on a record whose roster names these clinicians (nil when the
    /// action is not about one record).
    @discardableResult
    func authorize(_ id: String, _ action: ReviewAction, clinicians: [String]?) throws(StoreError) -> User {
        guard let user = try self.findUser(id) else {
            throw StoreError(
                .forbidden, "no active user \(id) in this database; an admin adds users with ensemble users add")
        }
        if let refusal = Policy.refusal(
            role: user.role, clinician: user.clinicianID, action: action, sessionClinicians: clinicians)
        {
            throw StoreError(.forbidden, "\(id) is refused: \(refusal)")
        }
        return user
    }

    /// The clinician ids a session's roster names.
    func clinicians(of session: String) throws(StoreError) -> [String] {
        try self.connection.prepare("SELECT clinician_id FROM session_clinicians WHERE session_id = ?1").rows(
            [.text(session)]
        ) { $0.text(0) }
    }

    func audit(_ user: String, _ action: String, _ entity: String, _ detail: JSONNode) throws(StoreError) {
        try self.connection.audit(at: self.now(), user: user, action: action, entity: entity, detail: detail)
    }

    // MARK: - Drafting runs

    /// Keeps a drafting run: the session and its inputs, the attribution, every note (a new version only
    /// where the output changed; with `only`, only those attendees' notes are looked at), the group
    /// note, new risk flags, claims and findings.
    ///
    /// With `job`, the same transaction marks that job succeeded: a crash can never leave a recorded run
    /// whose job is drafted again. With `basedOn`, the run is refused when the session's stored inputs
    /// are no longer the ones with that digest (they were drafted again while this run was being made).
    ///
    /// A session already stored may only be drafted again by a user its stored roster allows, so new
    /// inputs cannot take a session over by naming another roster.
    public func record(
        _ run: SessionRun, inputs: DraftInputs, as userID: String, only: Set<PersonID>? = nil, job: JobClaim? = nil,
        basedOn: String? = nil
    ) throws -> RecordedRun {
        try self.connection.transaction { () throws(StoreError) -> RecordedRun in
            try self.recordRun(run, inputs: inputs, as: userID, only: only, job: job, basedOn: basedOn)
        }
    }

    /// `record`'s work, inside the caller's transaction.
    func recordRun(
        _ run: SessionRun, inputs: DraftInputs, as userID: String, only: Set<PersonID>?, job: JobClaim?,
        basedOn: String?
    ) throws(StoreError) -> RecordedRun {
        let session = run.attributed.session
        let sessionID = session.id.rawValue
        if let job {
            // A job records one run, by the attempt that holds it: a worker whose lease ran out while another
            // took the job over records nothing.
            let current = try self.connection.prepare("SELECT state, attempts FROM jobs WHERE id = ?1").row([
                .text(job.id)
            ]) { ($0.text(0), $0.int(1)) }
            guard let current, current.0 == Job.State.running.rawValue, current.1 == job.attempt else {
                throw StoreError(
                    .staleVersion, "job \(job.id) was taken over or finished by another worker meanwhile")
            }
        }
        let stored = try self.connection.prepare("SELECT inputs_digest FROM sessions WHERE id = ?1").row([
            .text(sessionID)
        ]) { $0.text(0) }
        if stored != nil { try self.authorize(userID, .draftSession, session: sessionID) }
        if let basedOn, stored != basedOn {
            throw StoreError(
                .staleVersion,
                "session \(sessionID) was drafted again from new inputs meanwhile; look at it again and retry")
        }
        try self.storeSession(session, inputs: inputs)
        try self.authorize(userID, .draftSession, session: sessionID)
        let now = self.now()
        let noteContents = run.notes.map { NoteCodec.encode($0.sections) }
        let groupContent = NoteCodec.encode(run.groupNote.sections)
        let outputDigest = Hashing.sha256Hex(Array((noteContents + [groupContent]).joined(separator: "\n").utf8))
        let agents = JSONWriter.write(.array(inputs.agents.map(RunReport.agent)), pretty: false)
        let inserted = try self.connection.prepare(
            "INSERT INTO runs (session_id, engine, inputs_digest, agents, output_digest, user_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"
        ).row([
            .text(sessionID), .text(inputs.engine), .text(inputs.digest), .text(agents), .text(outputDigest),
            .text(userID), .text(now),
        ]) { $0.int(0) }
        guard let runID = inserted else { throw StoreError(.corrupt, "the database gave no id for a new run") }
        try self.storeAttribution(run.attributed.attribution, run: runID)

        var changes: [PersonID: (change: NoteChange, version: Int)] = [:]
        for (note, content) in zip(run.notes, noteContents) {
            changes[note.attendee] = try self.storeNote(
                note, content: content, session: sessionID, run: runID, at: now)
        }
        try self.storeGroupNote(groupContent, session: sessionID, run: runID)
        let newFlags = try self.storeFlags(run.risk.flags, session: sessionID, run: runID, at: now)
        try self.storeClaims(run.billing.claims, session: sessionID, run: runID)
        try self.connection.insert(
            into: "findings", columns: ["run_id", "seq", "code", "severity", "person_id", "message"],
            rows: run.findings.enumerated().map { seq, finding in
                [
                    .int(runID), .int(seq), .text(finding.code.rawValue), .text(finding.severity.rawValue),
                    .optional(finding.person?.rawValue), .text(finding.message),
                ]
            })
        try self.audit(
            userID, "draft.generated", "session:\(sessionID)",
            .object([
                ("run", .number(runID)), ("engine", .string(inputs.engine)),
                ("inputsDigest", .string(inputs.digest)),
                ("outputDigest", .string(outputDigest)),
                (
                    "agents",
                    .array(
                        inputs.agents.map {
                            .object([
                                ("agent", .string($0.agent)), ("version", .string($0.version)),
                                ("sha256", .string($0.sha256)),
                            ])
                        })
                ),
                (
                    "notes",
                    .array(
                        run.notes.compactMap { note in
                            changes[note.attendee].map { change in
                                .object([
                                    ("attendee", .string(note.attendee.rawValue)),
                                    ("change", .string(change.change.rawValue)),
                                    ("version", .number(change.version)),
                                ])
                            }
                        })
                ),
                ("newRiskFlags", .number(newFlags)),
                (
                    "model",
                    inputs.modelRecords.isEmpty
                        ? nil
                        : .object([
                            ("costUSD", inputs.modelCostUSD.map { .rounded($0, places: 6) }),
                            ("calls", .array(inputs.modelRecords.map(Self.modelCall))),
                        ])
                ),
            ]))
        if let job { try self.finishJob(job, run: runID) }
        return RecordedRun(runID: runID, notes: changes, newFlags: newFlags)
    }

    /// Faults tests inject at exact points of a store operation (a crash stands for a throw there: the
    /// transaction rolls back as it would when the process dies).
    public struct Faults: Sendable {
        /// Just before a job is marked succeeded: after its drafting run is written, inside the same
        /// transaction (`record(…, job:)`), or in its own (`completeJob`).
        public var beforeJobSucceeds: (@Sendable () throws(StoreError) -> Void)?

        public init(beforeJobSucceeds: (@Sendable () throws(StoreError) -> Void)? = nil) {
            self.beforeJobSucceeds = beforeJobSucceeds
        }
    }

    /// For tests only: faults to inject.
    public func inject(_ faults: Faults) { self.faults = faults }

    /// One attendee's model calls for the audit trail: ids, counts, tokens, latency and the outcome's
    /// kind (a fallback's reason is the drafter's fixed wording, never content).
    static func modelCall(_ record: ModelDraftRecord) -> JSONNode {
        var outcome = "accepted"
        if case .fellBack = record.outcome { outcome = "fellBack" }
        return .object([
            ("attendee", .string(record.attendee.rawValue)), ("outcome", .string(outcome)),
            ("calls", .number(record.calls)), ("requests", .number(record.requests)),
            ("promptTokens", .number(record.usage.prompt)), ("completionTokens", .number(record.usage.completion)),
            ("latencyMilliseconds", .number(record.latency.wholeMilliseconds)),
        ])
    }

    /// The session row and its inputs; the roster, attendees and utterances are replaced when the
    /// inputs changed.
    private func storeSession(_ session: Session, inputs: DraftInputs) throws(StoreError) {
        let id = session.id.rawValue
        let known = try self.connection.prepare("SELECT inputs_digest FROM sessions WHERE id = ?1").row([.text(id)]) {
            $0.text(0)
        }
        guard known != inputs.digest else { return }
        if known == nil {
            try self.connection.prepare(
                "INSERT INTO sessions (id, kind, session_json, transcript_format, transcript_origin, inputs_digest, created, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ).run([
                .text(id), .text(session.kind.rawValue), .text(inputs.sessionJSON), .text(inputs.transcript.format),
                .text(inputs.transcript.origin.rawValue), .text(inputs.digest), .text(self.now()),
                .optional(session.title),
            ])
        } else {
            try self.connection.prepare(
                "UPDATE sessions SET kind = ?2, session_json = ?3, transcript_format = ?4, transcript_origin = ?5, inputs_digest = ?6, title = ?7 WHERE id = ?1"
            ).run([
                .text(id), .text(session.kind.rawValue), .text(inputs.sessionJSON), .text(inputs.transcript.format),
                .text(inputs.transcript.origin.rawValue), .text(inputs.digest), .optional(session.title),
            ])
            for table in ["session_clinicians", "attendees", "utterances"] {
                try self.connection.prepare("DELETE FROM \(table) WHERE session_id = ?1").run([.text(id)])
            }
        }
        let clinician = try self.connection.prepare(
            "INSERT INTO session_clinicians (session_id, clinician_id, role) VALUES (?1, ?2, ?3)")
        for entry in session.clinicians {
            try clinician.run([.text(id), .text(entry.id.rawValue), .text(entry.role.rawValue)])
        }
        let attendee = try self.connection.prepare(
            "INSERT INTO attendees (session_id, person_id, role, present, ai_consent) VALUES (?1, ?2, ?3, ?4, ?5)")
        for entry in session.attendees {
            try attendee.run([
                .text(id), .text(entry.id.rawValue), .text(entry.role.rawValue), .bool(entry.present),
                .bool(entry.consent?.aiDrafting ?? false),
            ])
        }
        try self.connection.insert(
            into: "utterances", columns: ["session_id", "idx", "label", "text", "start", "end", "line"],
            rows: inputs.transcript.utterances.map { entry in
                [
                    .text(id), .int(entry.index), .optional(entry.label), .text(entry.text),
                    entry.start.map(SQLValue.real) ?? .null, entry.end.map(SQLValue.real) ?? .null, .int(entry.line),
                ]
            })
    }

    private func storeAttribution(_ attribution: Attribution, run: Int) throws(StoreError) {
        // A label bound in spans has several entries: each is numbered within its label.
        var spans: [String: Int] = [:]
        try self.connection.insert(
            into: "speakers", columns: ["run_id", "label", "span", "from_utterance", "person_id", "confidence"],
            rows: attribution.speakers.map { entry in
                let span = spans[entry.label, default: 0]
                spans[entry.label] = span + 1
                return [
                    .int(run), .text(entry.label), .int(span), entry.fromUtterance.map(SQLValue.int) ?? .null,
                    .optional(entry.person?.rawValue), .real(entry.confidence),
                ]
            })
        try self.connection.insert(
            into: "attributions", columns: ["run_id", "idx", "person_id", "confidence", "method"],
            rows: attribution.utterances.map { entry in
                [
                    .int(run), .int(entry.index), .optional(entry.person?.rawValue), .real(entry.confidence),
                    .text(entry.method.rawValue),
                ]
            })
    }

    private func storeNote(_ note: ClientNote, content: String, session: String, run: Int, at now: String)
        throws(StoreError) -> (change: NoteChange, version: Int)
    {
        let digest = Hashing.sha256Hex(Array(content.utf8))
        let existing = try self.connection.prepare(
            "SELECT id, state, current_version FROM notes WHERE session_id = ?1 AND attendee_id = ?2"
        ).row([.text(session), .text(note.attendee.rawValue)]) { ($0.int(0), $0.text(1), $0.int(2)) }
        let insertVersion = try self.connection.prepare(
            "INSERT INTO note_versions (note_id, version, origin, run_id, content, content_digest, ai_generated, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        )
        guard let (noteID, state, current) = existing else {
            guard
                let noteID = try self.connection.prepare(
                    "INSERT INTO notes (session_id, attendee_id, format, current_version) VALUES (?1, ?2, ?3, 1) RETURNING id"
                ).row([.text(session), .text(note.attendee.rawValue), .text(note.format.rawValue)], { $0.int(0) })
            else { throw StoreError(.corrupt, "the database gave no id for a new note") }
            try insertVersion.run([
                .int(noteID), .int(1), .text("draft"), .int(run), .text(content), .text(digest),
                .bool(note.aiGenerated),
                .text(now),
            ])
            return (.created, 1)
        }
        guard state == NoteState.draft.rawValue else { return (.locked, current) }
        let lastDraft = try self.connection.prepare(
            "SELECT content_digest FROM note_versions WHERE note_id = ?1 AND origin IN ('draft', 'redraft') ORDER BY version DESC LIMIT 1"
        ).row([.int(noteID)]) { $0.text(0) }
        guard lastDraft != digest else { return (.unchanged, current) }
        let latest =
            try self.connection.prepare("SELECT max(version) FROM note_versions WHERE note_id = ?1").row([.int(noteID)])
        {
            $0.int(0)
        } ?? current
        let currentOrigin = try self.connection.prepare(
            "SELECT origin FROM note_versions WHERE note_id = ?1 AND version = ?2"
        ).row([.int(noteID), .int(current)]) { $0.text(0) }
        try insertVersion.run([
            .int(noteID), .int(latest + 1), .text("redraft"), .int(run), .text(content), .text(digest),
            .bool(note.aiGenerated), .text(now),
        ])
        if currentOrigin == "edit" { return (.besideEdit, current) }
        try self.connection.prepare("UPDATE notes SET current_version = ?2 WHERE id = ?1").run([
            .int(noteID), .int(latest + 1),
        ])
        return (.redrafted, latest + 1)
    }

    private func storeGroupNote(_ content: String, session: String, run: Int) throws(StoreError) {
        let digest = Hashing.sha256Hex(Array(content.utf8))
        let last = try self.connection.prepare(
            "SELECT version, content_digest FROM group_notes WHERE session_id = ?1 ORDER BY version DESC LIMIT 1"
        ).row([.text(session)]) { ($0.int(0), $0.text(1)) }
        guard last?.1 != digest else { return }
        try self.connection.prepare(
            "INSERT INTO group_notes (session_id, version, run_id, content, content_digest) VALUES (?1, ?2, ?3, ?4, ?5)"
        ).run([.text(session), .int((last?.0 ?? 0) + 1), .int(run), .text(content), .text(digest)])
    }

    /// Inserts flags not seen before (by attendee, category, level and evidence); returns how many.
    private func storeFlags(_ flags: [RiskFlag], session: String, run: Int, at now: String) throws(StoreError) -> Int {
        let insert = try self.connection.prepare(
            "INSERT OR IGNORE INTO risk_flags (session_id, attendee_id, category, level, route, evidence, fingerprint, run_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        )
        var added = 0
        for flag in flags {
            let evidence = flag.evidence.map(String.init).joined(separator: ",")
            let fingerprint = Hashing.sha256Hex(
                Array(
                    [flag.attendee?.rawValue ?? "", flag.category.rawValue, flag.level.rawValue, evidence].joined(
                        separator: "|"
                    ).utf8))
            try insert.run([
                .text(session), .optional(flag.attendee?.rawValue), .text(flag.category.rawValue),
                .text(flag.level.rawValue),
                .text(flag.route.rawValue), .text(evidence), .text(fingerprint), .int(run), .text(now),
            ])
            added += self.connection.changes
        }
        return added
    }

    /// Claims by claim id: drafting again updates a claim rather than adding one. A claim that is neither
    /// blocked nor not billable is ready once the attendee's note is signed.
    private func storeClaims(_ claims: [Claim], session: String, run: Int) throws(StoreError) {
        let upsert = try self.connection.prepare(
            """
            INSERT INTO claims (session_id, claim_id, attendee_id, codes, charge_cents, drafted_status, status, reasons, content, run_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            ON CONFLICT (session_id, claim_id) DO UPDATE SET attendee_id = ?3, codes = ?4, charge_cents = ?5,
                drafted_status = ?6, status = ?7, reasons = ?8, content = ?9, run_id = ?10
            """)
        for claim in claims {
            let signed = try self.noteState(session: session, attendee: claim.attendee.rawValue) == .signed
            let status: String =
                !claim.status.isSubmittable
                ? claim.status.rawValue
                : signed ? ClaimStatus.ready.rawValue : ClaimStatus.pendingSignature.rawValue
            let codes = claim.lines.map { ([$0.cpt] + $0.modifiers).joined(separator: "-") }.joined(separator: " ")
            try upsert.run([
                .text(session), .text(claim.id), .text(claim.attendee.rawValue), .text(codes),
                .int(claim.totalChargeInCents),
                .text(claim.status.rawValue), .text(status),
                // A line per reason, `code<TAB>severity<TAB>fix file<TAB>fix path<TAB>message`, so the reason a
                // signature settles can be left out once it has.
                .text(claim.reasons.map(StoredClaimReason.line).joined(separator: "\n")),
                .text(JSONWriter.write(ClaimsReport.claim(claim), pretty: false)), .int(run),
            ])
        }
    }

    func noteState(session: String, attendee: String) throws(StoreError) -> NoteState? {
        try self.connection.prepare("SELECT state FROM notes WHERE session_id = ?1 AND attendee_id = ?2").row(
            [.text(session), .text(attendee)]
        ) { NoteState(rawValue: $0.text(0)) } ?? nil
    }

    /// What the store keeps to draft a session again: its session.json, transcript and their digest.
    func storedInputs(session id: String) throws(StoreError) -> (
        sessionJSON: String, transcript: Transcript, digest: String
    ) {
        guard
            let row = try self.connection.prepare(
                "SELECT session_json, transcript_format, transcript_origin, inputs_digest FROM sessions WHERE id = ?1"
            ).row([.text(id)], { ($0.text(0), $0.text(1), $0.text(2), $0.text(3)) })
        else { throw StoreError(.notFound, "no session \(id) in this database; draft it first") }
        let utterances = try self.connection.prepare(
            "SELECT idx, label, text, start, \"end\", line FROM utterances WHERE session_id = ?1 ORDER BY idx"
        ).rows([.text(id)]) {
            Utterance(
                index: $0.int(0), label: $0.optionalText(1), text: $0.text(2), start: $0.isNull(3) ? nil : $0.double(3),
                end: $0.isNull(4) ? nil : $0.double(4), line: $0.int(5))
        }
        return (
            row.0,
            Transcript(format: row.1, origin: TranscriptOrigin(rawValue: row.2) ?? .recording, utterances: utterances),
            row.3
        )
    }
}
