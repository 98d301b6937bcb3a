public import EnsembleCore
import EnsembleFormats
import EnsembleSystem
import Foundation

/// A note row: its id, state and current version.
struct NoteRow {
    var id: Int
    var format: String
    var state: NoteState
    var currentVersion: Int
}

extension Store {
    // MARK: - Reading a session

    /// Every attendee's note (or only `attendee`'s), the group note, the risk flags, the latest run's
    /// findings and the utterances with their attribution. Each note shown is an audited view.
    public func review(session id: String, attendee: PersonID? = nil, as userID: String) throws -> SessionReview {
        try self.transaction { () throws(StoreError) -> SessionReview in
            try self.authorize(userID, .viewNote, session: id)
            let session = try self.session(id)
            var notes: [NoteReview] = []
            for entry in session.attendees where attendee == nil || entry.id == attendee {
                guard let row = try self.noteRow(session: id, attendee: entry.id.rawValue) else { continue }
                notes.append(try self.noteReview(row, attendee: entry.id))
                try self.audit(
                    userID, "note.viewed", "note:\(id)/\(entry.id.rawValue)",
                    .object([("version", .number(row.currentVersion))]))
            }
            let group = try self.connection.prepare(
                "SELECT content FROM group_notes WHERE session_id = ?1 ORDER BY version DESC LIMIT 1"
            ).row([.text(id)]) { $0.text(0) }
            let run = try self.latestRun(session: id)
            let findings = try self.connection.prepare(
                "SELECT code, severity, person_id, message FROM findings WHERE run_id = ?1 ORDER BY seq"
            ).rows([.int(run)]) { (row) throws(StoreError) in
                Finding(
                    code: Finding.Code(rawValue: row.text(0)) ?? .noteNotSigned,
                    severity: Finding.Severity(rawValue: row.text(1)) ?? .info,
                    person: row.optionalText(2).map(PersonID.init), message: row.text(3))
            }
            let utterances = try self.connection.prepare(
                """
                SELECT u.idx, u.label, a.person_id, u.text FROM utterances u
                LEFT JOIN attributions a ON a.run_id = ?2 AND a.idx = u.idx
                WHERE u.session_id = ?1 ORDER BY u.idx
                """
            ).rows([.text(id), .int(run)]) {
                (
                    index: $0.int(0), label: $0.optionalText(1), person: $0.optionalText(2).map(PersonID.init),
                    text: $0.text(3)
                )
            }
            let speakers = try self.connection.prepare(
                "SELECT label, person_id, confidence, from_utterance FROM speakers WHERE run_id = ?1 ORDER BY label, span"
            ).rows([.int(run)]) {
                (
                    label: $0.text(0), person: $0.optionalText(1).map(PersonID.init), confidence: $0.double(2),
                    fromUtterance: $0.optionalInt(3)
                )
            }
            return SessionReview(
                session: session, notes: notes,
                groupNote: try group.map { (text) throws(StoreError) in try self.decode(text, "group note") } ?? [],
                flags: try self.flags(session: id), findings: findings, utterances: utterances, speakers: speakers)
        }
    }

    func noteReview(_ row: NoteRow, attendee: PersonID) throws(StoreError) -> NoteReview {
        let history = try self.connection.prepare(
            "SELECT version, origin, author, ai_generated, created FROM note_versions WHERE note_id = ?1 ORDER BY version"
        ).rows([.int(row.id)]) {
            NoteVersionSummary(
                version: $0.int(0), origin: $0.text(1), author: $0.optionalText(2), aiGenerated: $0.bool(3),
                created: $0.text(4))
        }
        let current = try self.version(note: row.id, row.currentVersion)
        let decisions = try self.connection.prepare(
            "SELECT section, decision FROM section_reviews WHERE note_id = ?1 AND version = ?2"
        ).rows([.int(row.id), .int(row.currentVersion)]) {
            ($0.text(0), SectionDecision(rawValue: $0.text(1)) ?? .rejected)
        }
        let currentOrigin = history.first { $0.version == row.currentVersion }?.origin
        let beside =
            currentOrigin == "edit"
            ? history.last { $0.origin == "redraft" && $0.version > row.currentVersion }?.version : nil
        let signatures = try self.connection.prepare(
            "SELECT kind, user_id, version, created FROM signatures WHERE note_id = ?1 ORDER BY created"
        ).rows([.int(row.id)]) { NoteSignature(kind: $0.text(0), user: $0.text(1), version: $0.int(2), at: $0.text(3)) }
        let addenda = try self.connection.prepare(
            "SELECT user_id, created, text FROM addenda WHERE note_id = ?1 ORDER BY id"
        ).rows([.int(row.id)]) { (user: $0.text(0), at: $0.text(1), text: $0.text(2)) }
        return NoteReview(
            attendee: attendee, format: row.format, state: row.state, currentVersion: row.currentVersion,
            sections: current.sections, aiGenerated: current.aiGenerated && row.state != .signed,
            decisions: Dictionary(decisions, uniquingKeysWith: { $1 }), history: history, draftBesideEdit: beside,
            signatures: signatures, addenda: addenda)
    }

    // MARK: - Editing and reviewing sections

    /// Replaces one section's text with the clinician's (a line per sentence) as a new version based
    /// on `baseVersion`; refused when that is no longer the current version. Returns the new version.
    public func editSection(
        session id: String, attendee: PersonID, section title: String, text: String, baseVersion: Int, as userID: String
    ) throws -> Int {
        try self.transaction { () throws(StoreError) -> Int in
            try self.authorize(userID, .editNote, session: id)
            let row = try self.requireNote(session: id, attendee: attendee)
            if let refusal = ReviewRules.editRefusal(
                state: row.state, currentVersion: row.currentVersion, baseVersion: baseVersion)
            {
                throw Self.error(refusal)
            }
            let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            guard !lines.isEmpty else { throw StoreError(.invalid, "the new text of section \(title) is empty") }
            var current = try self.version(note: row.id, row.currentVersion)
            let index = try Self.section(title, in: current.sections)
            let before = current.sections[index].sentences.map(\.text)
            current.sections[index].sentences = lines.map { NoteSentence($0, basis: .clinician) }
            let content = NoteCodec.encode(current.sections)
            let version = try self.nextVersion(note: row.id)
            let diff = JSONWriter.write(
                .object([
                    ("section", .string(current.sections[index].title)),
                    ("removed", .array(before.map { .string($0) })),
                    ("added", .array(lines.map { .string($0) })),
                ]), pretty: false)
            // The mark stays while any sentence the agents wrote is left.
            let aiGenerated = current.sections.contains {
                $0.sentences.contains { $0.basis != .clinician && $0.basis != .manual }
            }
            try self.connection.prepare(
                "INSERT INTO note_versions (note_id, version, origin, based_on, author, content, content_digest, diff, ai_generated, created) VALUES (?1, ?2, 'edit', ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ).run([
                .int(row.id), .int(version), .int(baseVersion), .text(userID), .text(content),
                .text(Hashing.sha256Hex(Array(content.utf8))), .text(diff), .bool(aiGenerated), .text(self.now()),
            ])
            try self.connection.prepare("UPDATE notes SET current_version = ?2 WHERE id = ?1").run([
                .int(row.id), .int(version),
            ])
            try self.audit(
                userID, "note.edited", "note:\(id)/\(attendee.rawValue)",
                .object([
                    ("version", .number(version)), ("basedOn", .number(baseVersion)),
                    ("section", .string(current.sections[index].title)), ("sentencesRemoved", .number(before.count)),
                    ("sentencesAdded", .number(lines.count)),
                ]))
            return version
        }
    }

    /// Records a reviewer's verdict on one section of the current version.
    public func reviewSection(
        session id: String, attendee: PersonID, section title: String, decision: SectionDecision, version: Int,
        as userID: String
    ) throws {
        try self.transaction { () throws(StoreError) in
            try self.authorize(userID, .reviewSection, session: id)
            let row = try self.requireNote(session: id, attendee: attendee)
            if let refusal = ReviewRules.editRefusal(
                state: row.state, currentVersion: row.currentVersion, baseVersion: version)
            {
                throw Self.error(refusal)
            }
            let sections = try self.version(note: row.id, version).sections
            let name = sections[try Self.section(title, in: sections)].title
            try self.connection.prepare(
                """
                INSERT INTO section_reviews (note_id, version, section, decision, user_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT (note_id, version, section) DO UPDATE SET decision = ?4, user_id = ?5, created = ?6
                """
            ).run([
                .int(row.id), .int(version), .text(name), .text(decision.rawValue), .text(userID), .text(self.now()),
            ])
            try self.audit(
                userID, "section.\(decision.rawValue)", "note:\(id)/\(attendee.rawValue)",
                .object([("version", .number(version)), ("section", .string(name))]))
        }
    }

    // MARK: - Risk

    /// Flags waiting for a supervisor (elevated and urgent, unacknowledged): urgent first, oldest first.
    public func riskQueue(as userID: String) throws -> [(flag: StoredFlag, ageSeconds: Double)] {
        try self.authorize(userID, .viewRiskQueue)
        let now = self.clockNow
        return try self.flags(session: nil)
            .filter { $0.needsSupervisor && $0.acknowledgedAt == nil }
            .map { (flag: $0, ageSeconds: now.timeIntervalSince(Self.date($0.created) ?? now)) }
            .sorted {
                ($0.flag.level == "urgent" ? 0 : 1, -$0.ageSeconds) < (
                    $1.flag.level == "urgent" ? 0 : 1, -$1.ageSeconds
                )
            }
    }

    /// A supervisor's acknowledgement of a flag, with their comment.
    public func acknowledge(flag id: Int, comment: String, as userID: String) throws {
        try self.transaction { () throws(StoreError) in
            try self.authorize(userID, .acknowledgeRisk)
            guard let flag = try self.flags(session: nil).first(where: { $0.id == id }) else {
                throw StoreError(.notFound, "no risk flag \(id); review queue lists them")
            }
            if let by = flag.acknowledgedBy {
                throw StoreError(.invalid, "risk flag \(id) was already acknowledged by \(by)")
            }
            let comment = comment.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !comment.isEmpty else {
                throw StoreError(.invalid, "an acknowledgement needs a comment saying what was done (--comment)")
            }
            try self.connection.prepare(
                "UPDATE risk_flags SET acknowledged_by = ?2, acknowledged_comment = ?3, acknowledged_at = ?4 WHERE id = ?1"
            ).run([.int(id), .text(userID), .text(comment), .text(self.now())])
            try self.audit(
                userID, "risk.acknowledged", "flag:\(id)",
                .object([
                    ("session", .string(flag.session)), ("attendee", flag.attendee.map { .string($0.rawValue) }),
                    ("category", .string(flag.category)), ("level", .string(flag.level)),
                ]))
        }
    }

    func flags(session: String?) throws(StoreError) -> [StoredFlag] {
        try self.connection.prepare(
            """
            SELECT id, session_id, attendee_id, category, level, route, evidence, created, acknowledged_by,
                acknowledged_comment, acknowledged_at FROM risk_flags WHERE CAST(?1 AS TEXT) IS NULL OR session_id = ?1 ORDER BY id
            """
        ).rows([.optional(session)]) {
            StoredFlag(
                id: $0.int(0), session: $0.text(1), attendee: $0.optionalText(2).map(PersonID.init),
                category: $0.text(3),
                level: $0.text(4), route: $0.text(5), evidence: $0.text(6).split(separator: ",").compactMap { Int($0) },
                created: $0.text(7), acknowledgedBy: $0.optionalText(8), acknowledgedComment: $0.optionalText(9),
                acknowledgedAt: $0.optionalText(10))
        }
    }

    // MARK: - Signing

    /// Signs the version the user reviewed. A clinician's or supervisor's signature locks the note and
    /// readies its claim; a trainee's locks it to wait for a supervisor's co-signature.
    public func sign(session id: String, attendee: PersonID, version: Int, as userID: String) throws -> NoteState {
        try self.transaction { () throws(StoreError) -> NoteState in
            let user = try self.authorize(userID, .signNote, session: id)
            let row = try self.requireNote(session: id, attendee: attendee)
            let sections = try self.version(note: row.id, row.currentVersion).sections
            let rejected = try self.connection.prepare(
                "SELECT section FROM section_reviews WHERE note_id = ?1 AND version = ?2 AND decision = 'rejected' ORDER BY section"
            ).rows([.int(row.id), .int(row.currentVersion)]) { $0.text(0) }
            let waiting = try self.flags(session: id).filter {
                $0.attendee == attendee && $0.needsSupervisor && $0.acknowledgedAt == nil
            }
            let facts = SigningFacts(
                state: row.state, currentVersion: row.currentVersion, version: version, signerRole: user.role,
                unacknowledgedFlags: waiting.count,
                placeholderSections: sections.filter { $0.sentences.contains { $0.basis == .manual } }.map(\.title),
                rejectedSections: rejected)
            let state: NoteState
            switch ReviewRules.signing(facts) {
            case .success(let next): state = next
            case .failure(let refusal): throw Self.error(refusal)
            }
            try self.connection.prepare(
                "INSERT INTO signatures (note_id, version, kind, user_id, created) VALUES (?1, ?2, 'author', ?3, ?4)"
            ).run([.int(row.id), .int(version), .text(userID), .text(self.now())])
            try self.setState(state, note: row.id, session: id, attendee: attendee)
            try self.audit(
                userID, "note.signed", "note:\(id)/\(attendee.rawValue)",
                .object([
                    ("version", .number(version)), ("state", .string(state.rawValue)),
                    ("role", .string(user.role.rawValue)),
                ]))
            return state
        }
    }

    /// A supervisor's co-signature on a trainee's signed note: the note is then signed.
    public func cosign(session id: String, attendee: PersonID, as userID: String) throws {
        try self.transaction { () throws(StoreError) in
            try self.authorize(userID, .cosignNote)
            let row = try self.requireNote(session: id, attendee: attendee)
            if let refusal = ReviewRules.cosignRefusal(state: row.state) { throw Self.error(refusal) }
            try self.connection.prepare(
                "INSERT INTO signatures (note_id, version, kind, user_id, created) VALUES (?1, ?2, 'cosignature', ?3, ?4)"
            ).run([.int(row.id), .int(row.currentVersion), .text(userID), .text(self.now())])
            try self.setState(.signed, note: row.id, session: id, attendee: attendee)
            try self.audit(
                userID, "note.cosigned", "note:\(id)/\(attendee.rawValue)",
                .object([("version", .number(row.currentVersion))]))
        }
    }

    private func setState(_ state: NoteState, note: Int, session: String, attendee: PersonID) throws(StoreError) {
        try self.connection.prepare("UPDATE notes SET state = ?2 WHERE id = ?1").run([
            .int(note), .text(state.rawValue),
        ])
        guard state == .signed else { return }
        try self.connection.prepare(
            "UPDATE claims SET status = 'ready' WHERE session_id = ?1 AND attendee_id = ?2 AND drafted_status IN ('ready', 'pendingSignature')"
        ).run([.text(session), .text(attendee.rawValue)])
    }

    /// A correction to a signed note: the note itself never changes.
    public func addendum(session id: String, attendee: PersonID, text: String, as userID: String) throws {
        try self.transaction { () throws(StoreError) in
            try self.authorize(userID, .addAddendum, session: id)
            let row = try self.requireNote(session: id, attendee: attendee)
            guard row.state != .draft else {
                throw StoreError(.invalid, "the note is not signed yet; edit it instead of adding an addendum")
            }
            let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw StoreError(.invalid, "the addendum is empty") }
            try self.connection.prepare(
                "INSERT INTO addenda (note_id, user_id, text, created) VALUES (?1, ?2, ?3, ?4)"
            ).run([.int(row.id), .text(userID), .text(text), .text(self.now())])
            try self.audit(
                userID, "note.addendum", "note:\(id)/\(attendee.rawValue)",
                .object([("version", .number(row.currentVersion))]))
        }
    }

    // MARK: - Claims

    /// Claims with their status (optionally one session's, or one status). Billing fields only. A
    /// clinician sees the claims of sessions whose roster names them, as with notes; naming another
    /// session is refused.
    public func claims(session: String? = nil, status: String? = nil, as userID: String) throws -> [StoredClaim] {
        let user = try self.authorize(userID, .viewClaims, session: session)
        return try self.connection.prepare(
            """
            SELECT session_id, claim_id, attendee_id, codes, charge_cents, status, reasons FROM claims
            WHERE (CAST(?1 AS TEXT) IS NULL OR session_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)
                AND (CAST(?3 AS TEXT) IS NULL OR session_id IN (SELECT session_id FROM session_clinicians WHERE clinician_id = ?3))
            ORDER BY session_id, claim_id
            """
        ).rows([.optional(session), .optional(status), Self.rosterClinician(user, .viewClaims)]) {
            StoredClaim(
                session: $0.text(0), claimID: $0.text(1), attendee: PersonID($0.text(2)),
                codes: $0.text(3).split(separator: " ").map(String.init), chargeCents: $0.int(4), status: $0.text(5),
                reasons: Self.claimReasons($0.text(6), status: $0.text(5)))
        }
    }

    /// The stored reasons; once the claim is ready, without the one the signature settled.
    static func claimReasons(_ text: String, status: String) -> [StoredClaimReason] {
        text.split(separator: "\n").compactMap { line in
            let reason = StoredClaimReason(line: line)
            let settled = [ClaimReason.Code.noteNotSigned.rawValue, ClaimReason.Code.noteNotWritten.rawValue]
            if status == ClaimStatus.ready.rawValue, settled.contains(reason.code) { return nil }
            return reason
        }
    }

    // MARK: - Audit

    /// Recomputes the chain; with `expectHead` (a head printed earlier and kept outside the database), also
    /// requires that event to be in the chain unchanged, so a deleted tail or a chain rewritten with
    /// recomputed hashes is found.
    public func verifyAudit(as userID: String, expectHead: AuditHead? = nil) throws -> AuditVerification {
        try self.authorize(userID, .verifyAudit)
        var result = try self.connection.verifyAudit()
        guard result.firstBroken == nil, let expectHead else { return result }
        let stored = try self.connection.prepare("SELECT hash FROM audit_events WHERE seq = ?1").row([
            .int(expectHead.seq)
        ]) { $0.text(0) }
        if stored == nil {
            result.firstBroken = (
                expectHead.seq,
                "the anchored head is missing: the chain ends at event \(result.events), so events were deleted"
            )
        } else if stored != expectHead.hash {
            result.firstBroken = (
                expectHead.seq, "its hash differs from the anchored head: the chain was rewritten up to this event"
            )
        }
        return result
    }

    /// The newest event's sequence number and hash, to be kept outside the database (`ensemble audit head`).
    public func auditHead(as userID: String) throws -> AuditHead {
        try self.authorize(userID, .verifyAudit)
        return try self.connection.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").row {
            AuditHead(seq: $0.int(0), hash: $0.text(1))
        } ?? AuditHead(seq: 0, hash: AuditEvent.genesis)
    }

    /// Every event as a JSON line; the export itself is the trail's next event.
    public func exportAudit(as userID: String) throws -> [String] {
        try self.transaction { () throws(StoreError) -> [String] in
            try self.authorize(userID, .exportAudit)
            let events = try self.connection.auditEvents()
            try self.audit(userID, "audit.exported", "audit", .object([("events", .number(events.count))]))
            return events.map(\.jsonLine)
        }
    }

    // MARK: - Helpers

    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try self.connection.transaction(body)
    }

    func session(_ id: String) throws(StoreError) -> Session {
        guard
            let json = try self.connection.prepare("SELECT session_json FROM sessions WHERE id = ?1").row(
                [.text(id)],
                {
                    $0.text(0)
                })
        else { throw StoreError(.notFound, "no session \(id) in this database; draft it first") }
        do {
            return try SessionDecoder.decode(Array(json.utf8), file: "session \(id)").session
        } catch {
            throw StoreError(.corrupt, "the stored session.json of \(id) no longer decodes: \(error)")
        }
    }

    func latestRun(session: String) throws(StoreError) -> Int {
        try self.connection.prepare("SELECT max(id) FROM runs WHERE session_id = ?1").row([.text(session)]) {
            $0.int(0)
        } ?? 0
    }

    func noteRow(session: String, attendee: String) throws(StoreError) -> NoteRow? {
        try self.connection.prepare(
            "SELECT id, format, state, current_version FROM notes WHERE session_id = ?1 AND attendee_id = ?2"
        ).row([.text(session), .text(attendee)]) {
            NoteRow(
                id: $0.int(0), format: $0.text(1), state: NoteState(rawValue: $0.text(2)) ?? .draft,
                currentVersion: $0.int(3))
        }
    }

    func requireNote(session: String, attendee: PersonID) throws(StoreError) -> NoteRow {
        guard let row = try self.noteRow(session: session, attendee: attendee.rawValue) else {
            throw StoreError(.notFound, "no note for \(attendee) in session \(session)")
        }
        return row
    }

    func version(note: Int, _ version: Int) throws(StoreError) -> (sections: [NoteSection], aiGenerated: Bool) {
        guard
            let (content, ai) = try self.connection.prepare(
                "SELECT content, ai_generated FROM note_versions WHERE note_id = ?1 AND version = ?2"
            ).row([.int(note), .int(version)], { ($0.text(0), $0.bool(1)) })
        else { throw StoreError(.notFound, "the note has no version \(version)") }
        return (try self.decode(content, "note version \(version)"), ai)
    }

    func nextVersion(note: Int) throws(StoreError) -> Int {
        (try self.connection.prepare("SELECT max(version) FROM note_versions WHERE note_id = ?1").row([.int(note)]) {
            $0.int(0)
        } ?? 0) + 1
    }

    func decode(_ text: String, _ field: String) throws(StoreError) -> [NoteSection] {
        do {
            return try NoteCodec.decode(text, field: field)
        } catch {
            throw StoreError(.corrupt, "\(error)")
        }
    }

    static func section(_ title: String, in sections: [NoteSection]) throws(StoreError) -> Int {
        if let index = sections.firstIndex(where: { $0.title.caseInsensitiveCompare(title) == .orderedSame }) {
            return index
        }
        throw StoreError(
            .invalid,
            "the note has no section \(title); its sections are \(sections.map(\.title).joined(separator: ", "))")
    }

    static func error(_ refusal: ReviewRules.Refusal) -> StoreError {
        switch refusal {
        case .locked(let text): StoreError(.locked, text)
        case .stale(let text): StoreError(.staleVersion, text)
        case .blocked(let text): StoreError(.blocked, text)
        }
    }

    static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

extension Store {
    // MARK: - Speaker corrections

    /// A clinician's correction, checked but not yet recorded: every utterance under `label` is `person`'s
    /// (nil: nobody's). The plan holds every correction the session will have, the attendees whose notes
    /// it touches (the label's people in the latest run, and the new one; only their notes are drafted
    /// again), and the stored inputs to draft from. `relabel(_:run:…)` records it with the redraft.
    public func planRelabel(session id: String, label: String, person: PersonID?, as userID: String) throws
        -> RelabelPlan
    {
        try self.transaction { () throws(StoreError) -> RelabelPlan in
            try self.authorize(userID, .relabelSpeaker, session: id)
            let session = try self.session(id)
            let labels = try self.connection.prepare(
                "SELECT label FROM utterances WHERE session_id = ?1 AND label IS NOT NULL GROUP BY label ORDER BY min(idx)"
            ).rows([.text(id)]) { $0.text(0) }
            // Labels are device and display names: refusals and the audit trail give their position.
            guard let position = labels.firstIndex(of: label) else {
                throw StoreError(
                    .invalid, "the session has no such speaker label; review show lists its \(labels.count) labels")
            }
            let attendees = Set(session.attendees.map(\.id))
            if let person, !attendees.contains(person), !session.clinicians.contains(where: { $0.id == person }) {
                throw StoreError(.invalid, "\(person) is not on session \(id)'s roster")
            }
            if let person, let attendee = session.attendees.first(where: { $0.id == person }), !attendee.present {
                throw StoreError(
                    .invalid, "\(person) is marked absent from session \(id); correct the attendance first")
            }
            let before = try self.connection.prepare(
                """
                SELECT DISTINCT a.person_id FROM attributions a JOIN utterances u ON u.session_id = ?1 AND u.idx = a.idx
                WHERE a.run_id = ?2 AND u.label = ?3 AND a.person_id IS NOT NULL
                """
            ).rows([.text(id), .int(try self.latestRun(session: id)), .text(label)]) { PersonID($0.text(0)) }
            let existing = try self.corrections(session: id)
            var corrections = existing.filter { $0.label != label }
            corrections.append(SpeakerCorrection(label: label, person: person))
            corrections.sort { $0.label < $1.label }
            let (json, transcript, digest) = try self.storedInputs(session: id)
            return RelabelPlan(
                session: id, label: label, labelPosition: position + 1, person: person, previously: before,
                existing: existing, corrections: corrections,
                affected: Set(before + (person.map { [$0] } ?? [])).intersection(attendees),
                sessionJSON: json, transcript: transcript, inputsDigest: digest)
        }
    }

    /// Records a planned correction and the notes drafted again with it, in one transaction. Refused with
    /// `staleVersion` when the session's inputs or corrections changed since the plan was made.
    public func relabel(_ plan: RelabelPlan, run: SessionRun, inputs: DraftInputs, as userID: String) throws
        -> RecordedRun
    {
        try self.transaction { () throws(StoreError) -> RecordedRun in
            guard try self.corrections(session: plan.session) == plan.existing else {
                throw StoreError(
                    .staleVersion,
                    "session \(plan.session)'s speakers were corrected by someone else meanwhile; look again and retry")
            }
            try self.connection.prepare(
                """
                INSERT INTO speaker_corrections (session_id, label, person_id, user_id, created) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (session_id, label) DO UPDATE SET person_id = ?3, user_id = ?4, created = ?5
                """
            ).run([
                .text(plan.session), .text(plan.label), .optional(plan.person?.rawValue), .text(userID),
                .text(self.now()),
            ])
            try self.audit(
                userID, "speaker.relabeled", "session:\(plan.session)",
                .object([
                    ("labelPosition", .number(plan.labelPosition)),
                    ("person", plan.person.map { .string($0.rawValue) } ?? .null),
                    ("previously", .array(plan.previously.map { .string($0.rawValue) })),
                ]))
            return try self.recordRun(
                run, inputs: inputs, as: userID, only: plan.affected, job: nil, basedOn: plan.inputsDigest)
        }
    }

    /// The session's speaker corrections, for drafting it again. Drafting permission is needed.
    /// None for a session not stored yet.
    public func corrections(session id: String, as userID: String) throws -> [SpeakerCorrection] {
        guard try self.sessionStored(id) else { return [] }
        try self.authorize(userID, .draftSession, session: id)
        return try self.corrections(session: id)
    }

    func corrections(session id: String) throws(StoreError) -> [SpeakerCorrection] {
        try self.connection.prepare(
            "SELECT label, person_id FROM speaker_corrections WHERE session_id = ?1 ORDER BY label"
        )
        .rows([.text(id)]) { SpeakerCorrection(label: $0.text(0), person: $0.optionalText(1).map(PersonID.init)) }
    }
}
