import EnsembleCore
public import EnsembleFormats
import EnsembleSystem
import Foundation

extension Store {
    /// A stored session as the FHIR export needs it: each note's current version with its signatures
    /// and addenda, the group note, the risk flags with their acknowledgements, the claims with their
    /// status now, the latest run's agents, and the transcript's utterances (as Whisper-style JSON, the
    /// store keeps utterances rather than the file). Audited as `session.exportedFHIR`.
    public func fhirRecord(session id: String, as userID: String, withTranscript: Bool) throws -> FHIRSessionRecord {
        try self.transaction { () throws(StoreError) -> FHIRSessionRecord in
            try self.authorize(userID, .exportRecord, session: id)
            let session = try self.session(id)
            var signers: [String: User] = [:]
            func signer(_ user: String, at: String) throws(StoreError) -> FHIRSigner {
                if signers[user] == nil { signers[user] = try self.findUser(user) }
                let found = signers[user]
                return FHIRSigner(
                    clinician: found?.clinicianID.map(PersonID.init), userID: user, name: found?.name ?? user, at: at)
            }
            var notes: [FHIRNoteRecord] = []
            for attendee in session.attendees {
                guard let row = try self.noteRow(session: id, attendee: attendee.id.rawValue) else { continue }
                let review = try self.noteReview(row, attendee: attendee.id)
                let author = review.signatures.first { $0.kind == "author" }
                let cosignature = review.signatures.first { $0.kind == "cosignature" }
                let status: FHIRNoteStatus =
                    review.state != .signed ? .preliminary : review.addenda.isEmpty ? .final : .amended
                var addenda: [(author: FHIRSigner, text: String)] = []
                for addendum in review.addenda {
                    addenda.append((try signer(addendum.user, at: addendum.at), addendum.text))
                }
                notes.append(
                    FHIRNoteRecord(
                        attendee: attendee.id, format: NoteFormat(rawValue: review.format) ?? session.noteFormat,
                        sections: review.sections, aiGenerated: review.history.contains { $0.aiGenerated },
                        status: status, version: review.currentVersion,
                        signer: try author.map { (signature) throws(StoreError) in
                            try signer(signature.user, at: signature.at)
                        },
                        cosigner: try cosignature.map { (signature) throws(StoreError) in
                            try signer(signature.user, at: signature.at)
                        },
                        addenda: addenda))
            }
            let group = try self.connection.prepare(
                "SELECT content FROM group_notes WHERE session_id = ?1 ORDER BY version DESC LIMIT 1"
            ).row([.text(id)]) { $0.text(0) }
            var flags: [FHIRRiskRecord] = []
            for flag in try self.flags(session: id) {
                guard let attendee = flag.attendee else { continue }
                flags.append(
                    FHIRRiskRecord(
                        attendee: attendee, category: flag.category, level: flag.level, route: flag.route,
                        evidence: flag.evidence,
                        acknowledged: try flag.acknowledgedBy.map { (user) throws(StoreError) in
                            try signer(user, at: flag.acknowledgedAt ?? flag.created)
                        }))
            }
            let claims = try self.connection.prepare(
                "SELECT content, status FROM claims WHERE session_id = ?1 ORDER BY claim_id"
            ).rows([.text(id)]) { (row) throws(StoreError) -> FHIRClaimRecord in
                do {
                    return try FHIRClaimRecord(
                        storedJSON: try JSONParser.parse(row.text(0), file: "stored claim"), status: row.text(1))
                } catch {
                    throw StoreError(.corrupt, "a stored claim of session \(id) no longer decodes: \(error)")
                }
            }
            let run = try self.latestRun(session: id)
            let (agentsJSON, engine, created) =
                try self.connection.prepare("SELECT agents, engine, created FROM runs WHERE id = ?1").row([.int(run)]) {
                    ($0.text(0), $0.text(1), $0.text(2))
                } ?? ("[]", "deterministic", self.now())
            var transcript: [FHIRTranscript] = []
            if withTranscript {
                transcript = [
                    FHIRTranscript(
                        fileName: "transcript.json", contentType: "application/json",
                        bytes: Array(try self.utterancesJSON(session: id).utf8))
                ]
            }
            try self.audit(
                userID, "session.exportedFHIR", "session:\(id)",
                .object([("notes", .number(notes.count)), ("transcript", .bool(withTranscript))]))
            return FHIRSessionRecord(
                session: session, notes: notes,
                groupNote: try group.map { (text) throws(StoreError) in try self.decode(text, "group note") },
                groupNoteAIGenerated: true, flags: flags, claims: claims, agents: Self.agents(agentsJSON),
                model: engine.hasPrefix("llm:")
                    ? String(engine.split(separator: ":").dropFirst(2).joined(separator: ":")) : nil,
                drafted: Timestamp(iso8601: created) ?? Timestamp(secondsSinceEpoch: 0, utcOffsetSeconds: 0),
                transcript: transcript)
        }
    }

    /// The stored utterances as `{"segments": [{"start", "end", "speaker", "text"}]}`, one segment per
    /// utterance in index order, so that a transcript read back keeps every utterance's index.
    func utterancesJSON(session id: String) throws(StoreError) -> String {
        let segments = try self.connection.prepare(
            "SELECT label, text, start, \"end\" FROM utterances WHERE session_id = ?1 ORDER BY idx"
        ).rows([.text(id)]) { row -> JSONNode in
            .object([
                ("start", JSONNode.number(row.optionalDouble(2))), ("end", JSONNode.number(row.optionalDouble(3))),
                ("speaker", row.optionalText(0).map { .string($0) }), ("text", .string(row.text(1))),
            ])
        }
        return JSONWriter.write(.object([("segments", .array(segments))]))
    }

    /// The job source of FHIR pushes: no webhook source may take this name.
    public static let fhirPushSource = "fhir-push"

    /// Queues a push to the EHR for every signed note whose current state (version, co-signature,
    /// addenda) has not been queued yet, as the user who completed its signing. Returns how many were
    /// queued. The job's event id names the state, so each state is pushed once however often this runs.
    @discardableResult
    public func enqueueFHIRPushes(maxAttempts: Int) throws -> Int {
        try self.transaction { () throws(StoreError) -> Int in
            let notes = try self.connection.prepare(
                """
                SELECT n.session_id, n.attendee_id, n.current_version,
                    (SELECT count(*) FROM addenda a WHERE a.note_id = n.id),
                    (SELECT user_id FROM signatures s WHERE s.note_id = n.id ORDER BY
                        CASE kind WHEN 'cosignature' THEN 0 ELSE 1 END LIMIT 1)
                FROM notes n WHERE n.state = 'signed' ORDER BY n.id
                """
            ).rows {
                (
                    session: $0.text(0), attendee: $0.text(1), version: $0.int(2), addenda: $0.int(3),
                    user: $0.optionalText(4)
                )
            }
            var queued = 0
            let now = self.now()
            for note in notes {
                guard let user = note.user else { continue }
                let event = "\(note.session)/\(note.attendee)@v\(note.version)+\(note.addenda)"
                try self.connection.prepare(
                    """
                    INSERT OR IGNORE INTO jobs (id, source, event_id, user_id, session_id, payload, payload_digest, state,
                        attempts, max_attempts, not_before, created, updated)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', 0, ?8, ?9, ?9, ?9)
                    """
                ).run([
                    .text("job-" + Hashing.randomHex(bytes: 8)), .text(Self.fhirPushSource), .text(event), .text(user),
                    .text(note.session), .text(Self.pushPayload(session: note.session, attendee: note.attendee)),
                    .text(
                        Hashing.sha256Hex(Array(Self.pushPayload(session: note.session, attendee: note.attendee).utf8))),
                    .int(maxAttempts), .text(now),
                ])
                guard self.connection.changes > 0 else { continue }
                queued += 1
                let id =
                    try self.connection.prepare(
                        "SELECT id FROM jobs WHERE source = ?1 AND event_id = ?2"
                    ).row([.text(Self.fhirPushSource), .text(event)]) { $0.text(0) } ?? ""
                let clinician = try self.connection.prepare(
                    "INSERT OR IGNORE INTO job_clinicians (job_id, clinician_id) VALUES (?1, ?2)")
                for entry in try self.clinicians(of: note.session) { try clinician.run([.text(id), .text(entry)]) }
                try self.audit(
                    user, "job.queued", "job:\(id)",
                    .object([
                        ("source", .string(Self.fhirPushSource)), ("eventId", .string(event)),
                        ("session", .string(note.session)),
                    ]))
            }
            return queued
        }
    }

    static func pushPayload(session: String, attendee: String) -> String {
        JSONWriter.write(.object([("session", .string(session)), ("attendee", .string(attendee))]), pretty: false)
    }

    /// A push delivered: audited as `note.pushedFHIR` with where the EHR filed the note.
    public func recordFHIRPush(job: String, session: String, attendee: String, location: String, as user: String) throws
    {
        try self.transaction { () throws(StoreError) in
            try self.audit(
                user, "note.pushedFHIR", "note:\(session)/\(attendee)",
                .object([("job", .string(job)), ("location", .string(location))]))
        }
    }

    static func agents(_ json: String) -> [AgentVersion] {
        guard let node = try? JSONParser.parse(json, file: "stored agents"), let list = node.array else { return [] }
        return list.compactMap { agent in
            guard let name = agent["agent"]?.string, let version = agent["version"]?.string,
                let sha256 = agent["sha256"]?.string
            else { return nil }
            let files = (agent["files"]?.array ?? []).compactMap { file -> AgentVersion.File? in
                guard let path = file["path"]?.string, let hash = file["sha256"]?.string else { return nil }
                return AgentVersion.File(path: path, sha256: hash)
            }
            return AgentVersion(agent: name, version: version, files: files, sha256: sha256)
        }
    }
}
