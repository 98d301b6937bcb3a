public import EnsembleCore
import EnsembleFormats
import EnsembleIO
import Foundation

/// A drafting job from a webhook event, as the queue keeps it. Ids, states and counts only: the
/// payload stays in the database.
public struct Job: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        case queued, running, succeeded, failed
    }

    public var id: String
    public var source: String
    public var eventID: String
    /// The user the job drafts as (the webhook source's user).
    public var user: String
    public var session: String
    public var state: State
    public var attempts: Int
    public var maxAttempts: Int
    /// Why the last attempt failed (an error naming files, fields and lines, never content).
    public var error: String?
    /// The drafting run the job recorded, once it succeeded.
    public var runID: Int?
    public var created: String
    public var updated: String
}

/// What a webhook delivery did to the queue.
public struct Enqueued: Sendable, Hashable {
    public var job: Job
    /// True when the event was delivered before: no second job was made.
    public var duplicate: Bool
}

extension Store {
    // MARK: - The job queue

    /// Queues a drafting job for a webhook event, once per source and event id: a repeated delivery
    /// returns the job the first one made.
    public func enqueueJob(
        source: String, eventID: String, session: String, payload: String, maxAttempts: Int, as userID: String
    ) throws -> Enqueued {
        try self.transaction { () throws(StoreError) -> Enqueued in
            try self.authorize(userID, .draftSession)
            if let existing = try self.findJob(
                "SELECT \(Self.jobColumns) FROM jobs WHERE source = ?1 AND event_id = ?2",
                [
                    .text(source), .text(eventID),
                ])
            {
                return Enqueued(job: existing, duplicate: true)
            }
            let id = "job-" + Hashing.randomHex(bytes: 8)
            let now = self.now()
            try self.connection.prepare(
                """
                INSERT INTO jobs (id, source, event_id, user_id, session_id, payload, state, attempts, max_attempts,
                    not_before, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, ?7, ?8, ?8, ?8)
                """
            ).run([
                .text(id), .text(source), .text(eventID), .text(userID), .text(session), .text(payload),
                .int(maxAttempts), .text(now),
            ])
            try self.audit(
                userID, "job.queued", "job:\(id)",
                .object([("source", .string(source)), ("eventId", .string(eventID)), ("session", .string(session))]))
            guard let job = try self.jobRow(id) else {
                throw StoreError(.corrupt, "job \(id) vanished as it was queued")
            }
            return Enqueued(job: job, duplicate: false)
        }
    }

    /// Takes the oldest queued job that is due, marks it running and counts the attempt. Returns it with
    /// its payload, or nil when nothing is due.
    public func claimJob() throws -> (job: Job, payload: String)? {
        try self.transaction { () throws(StoreError) -> (job: Job, payload: String)? in
            let now = self.now()
            guard
                let id = try self.connection.prepare(
                    "SELECT id FROM jobs WHERE state = 'queued' AND not_before <= ?1 ORDER BY created, rowid LIMIT 1"
                ).row([.text(now)], { $0.text(0) })
            else { return nil }
            try self.connection.prepare(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, updated = ?2 WHERE id = ?1"
            ).run([.text(id), .text(now)])
            let payload = try self.connection.prepare("SELECT payload FROM jobs WHERE id = ?1").row([.text(id)]) {
                $0.text(0)
            }
            guard let job = try self.jobRow(id),
                let payload
            else { return nil }
            return (job, payload)
        }
    }

    /// A job's drafting run was recorded: the job succeeded, and its copy of the inputs is dropped (the
    /// session keeps them).
    public func completeJob(_ id: String, run: Int) throws {
        try self.transaction { () throws(StoreError) in
            try self.connection.prepare(
                "UPDATE jobs SET state = 'succeeded', run_id = ?2, error = NULL, payload = '', updated = ?3 WHERE id = ?1"
            ).run([.text(id), .int(run), .text(self.now())])
            try self.audit(
                try self.jobRow(id)?.user ?? "server", "job.succeeded", "job:\(id)", .object([("run", .number(run))]))
        }
    }

    /// A job's attempt failed with `error` (which must name no content). It waits `retryAfter` seconds
    /// and runs again, unless it has had all its attempts or `permanent` says another cannot help.
    /// Returns the job's new state.
    @discardableResult
    public func failJob(_ id: String, error: String, retryAfter: Double, permanent: Bool = false) throws -> Job.State {
        try self.transaction { () throws(StoreError) -> Job.State in
            guard let job = try self.jobRow(id) else {
                throw StoreError(.notFound, "no job \(id)")
            }
            let state: Job.State = permanent || job.attempts >= job.maxAttempts ? .failed : .queued
            let due = self.clockNow.addingTimeInterval(retryAfter)
                .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            try self.connection.prepare(
                "UPDATE jobs SET state = ?2, error = ?3, not_before = ?4, updated = ?5 WHERE id = ?1"
            ).run([.text(id), .text(state.rawValue), .text(error), .text(due), .text(self.now())])
            if state == .failed {
                try self.audit(
                    job.user, "job.failed", "job:\(id)", .object([("attempts", .number(job.attempts))]))
            }
            return state
        }
    }

    /// Puts jobs that were running back in the queue (a server stopping, or restarted after a crash). With
    /// `refund`, the interrupted attempt does not count against the job's attempts; without it, a job that
    /// has had all its attempts (a job that brings the server down each time) fails instead. Returns how
    /// many were put back.
    @discardableResult
    public func requeueRunningJobs(ids: [String]? = nil, refund: Bool) throws -> Int {
        try self.transaction { () throws(StoreError) -> Int in
            let running = try self.connection.prepare(
                "SELECT \(Self.jobColumns) FROM jobs WHERE state = 'running'"
            ).rows { (row) throws(StoreError) in try Self.job(row) }.filter { ids?.contains($0.id) ?? true }
            var requeued = 0
            for job in running {
                if !refund && job.attempts >= job.maxAttempts {
                    try self.connection.prepare(
                        "UPDATE jobs SET state = 'failed', error = ?2, updated = ?3 WHERE id = ?1"
                    ).run([
                        .text(job.id),
                        .text("the server stopped while drafting it, on each of its \(job.attempts) attempts"),
                        .text(self.now()),
                    ])
                    try self.audit(
                        job.user, "job.failed", "job:\(job.id)", .object([("attempts", .number(job.attempts))]))
                    continue
                }
                try self.connection.prepare(
                    "UPDATE jobs SET state = 'queued', attempts = max(0, attempts - ?2), updated = ?3 WHERE id = ?1"
                ).run([.text(job.id), .int(refund ? 1 : 0), .text(self.now())])
                requeued += 1
            }
            return requeued
        }
    }

    /// One job, for a user who may draft its session.
    public func job(_ id: String, as userID: String) throws -> Job {
        guard let job = try self.jobRow(id) else {
            throw StoreError(.notFound, "no job \(id)")
        }
        try self.authorize(userID, .draftSession, session: try self.sessionStored(job.session) ? job.session : nil)
        return job
    }

    /// A job as the queue has it, for the server's own bookkeeping (no user asks; nothing is shown).
    public func jobRecord(_ id: String) throws -> Job? { try self.jobRow(id) }

    /// Recent jobs, newest first, for users who run drafting; a clinician or trainee sees their sessions' only.
    public func jobs(limit: Int = 50, as userID: String) throws -> [Job] {
        let user = try self.authorize(userID, .draftSession)
        return try self.connection.prepare(
            """
            SELECT \(Self.jobColumns) FROM jobs WHERE ?2 IS NULL OR session_id IN
                (SELECT session_id FROM session_clinicians WHERE clinician_id = ?2)
            ORDER BY created DESC, rowid DESC LIMIT ?1
            """
        ).rows([.int(limit), Self.rosterClinician(user, .draftSession)]) { (row) throws(StoreError) in
            try Self.job(row)
        }
    }

    private static let jobColumns =
        "id, source, event_id, user_id, session_id, state, attempts, max_attempts, error, run_id, created, updated"

    private func jobRow(_ id: String) throws(StoreError) -> Job? {
        try self.findJob("SELECT \(Self.jobColumns) FROM jobs WHERE id = ?1", [.text(id)])
    }

    private func findJob(_ sql: String, _ values: [SQLValue]) throws(StoreError) -> Job? {
        try self.connection.prepare(sql).row(values) { (row) throws(StoreError) in try Self.job(row) }
    }

    private static func job(_ row: Row) throws(StoreError) -> Job {
        guard let state = Job.State(rawValue: row.text(5)) else {
            throw StoreError(.corrupt, "job \(row.text(0)) has an unknown state")
        }
        return Job(
            id: row.text(0), source: row.text(1), eventID: row.text(2), user: row.text(3), session: row.text(4),
            state: state, attempts: row.int(6), maxAttempts: row.int(7), error: row.optionalText(8),
            runID: row.optionalInt(9), created: row.text(10), updated: row.text(11))
    }

    func sessionStored(_ id: String) throws(StoreError) -> Bool {
        try self.connection.prepare("SELECT 1 FROM sessions WHERE id = ?1").row([.text(id)]) { $0.int(0) } != nil
    }

    // MARK: - Bearer tokens

    /// Issues a bearer token for `user` (an admin acts). The token is returned once; only its SHA-256
    /// digest is kept.
    public func issueToken(for user: String, label: String, by actor: String) throws -> String {
        try self.transaction { () throws(StoreError) -> String in
            try self.authorize(actor, .manageUsers)
            guard
                try self.connection.prepare("SELECT 1 FROM users WHERE id = ?1 AND active = 1").row(
                    [.text(user)], { $0.int(0) }) != nil
            else { throw StoreError(.notFound, "no active user \(user); add them with ensemble users add") }
            let token = "ens_" + Hashing.randomHex(bytes: 32)
            try self.connection.prepare(
                "INSERT INTO api_tokens (digest, user_id, label, created) VALUES (?1, ?2, ?3, ?4)"
            ).run([.text(Self.tokenDigest(token)), .text(user), .text(label), .text(self.now())])
            try self.audit(actor, "token.issued", "user:\(user)", .object([("label", .string(label))]))
            return token
        }
    }

    /// Revokes a user's tokens (only those with `label`, when given); returns how many. Signed-in browsers
    /// using them are signed out at their next request.
    public func revokeTokens(for user: String, label: String?, by actor: String) throws -> Int {
        try self.transaction { () throws(StoreError) -> Int in
            try self.authorize(actor, .manageUsers)
            try self.connection.prepare("DELETE FROM api_tokens WHERE user_id = ?1 AND (?2 IS NULL OR label = ?2)").run(
                [.text(user), .optional(label)])
            let count = self.connection.changes
            try self.audit(
                actor, "token.revoked", "user:\(user)",
                .object([("label", label.map { .string($0) }), ("tokens", .number(count))]))
            return count
        }
    }

    /// The active user a bearer token belongs to, or nil for an unknown token.
    public func authenticate(token: String) throws -> User? {
        let digest = Self.tokenDigest(token)
        guard
            let id = try self.connection.prepare("SELECT user_id FROM api_tokens WHERE digest = ?1").row(
                [.text(digest)], { $0.text(0) }),
            let user = try self.user(id)
        else { return nil }
        try self.connection.prepare("UPDATE api_tokens SET last_used = ?2 WHERE digest = ?1").run([
            .text(digest), .text(self.now()),
        ])
        return user
    }

    static func tokenDigest(_ token: String) -> String { Hashing.sha256Hex(Array(token.utf8)) }
}

/// A session as a list shows it: ids, counts and states.
public struct SessionSummary: Sendable, Hashable {
    public var id: String
    public var kind: String
    public var title: String?
    public var created: String
    public var attendees: Int
    public var draftNotes: Int
    public var signedNotes: Int
    /// Elevated and urgent flags not yet acknowledged.
    public var openFlags: Int
}

extension Store {
    // MARK: - Sessions for the server

    /// The sessions the user may view, newest first.
    public func sessions(limit: Int = 200, as userID: String) throws -> [SessionSummary] {
        let user = try self.authorize(userID, .viewNote)
        let rows = try self.connection.prepare(
            """
            SELECT s.id, s.kind, s.title, s.created,
                (SELECT count(*) FROM attendees a WHERE a.session_id = s.id),
                (SELECT count(*) FROM notes n WHERE n.session_id = s.id AND n.state = 'signed'),
                (SELECT count(*) FROM notes n WHERE n.session_id = s.id)
            FROM sessions s WHERE ?2 IS NULL OR s.id IN (SELECT session_id FROM session_clinicians WHERE clinician_id = ?2)
            ORDER BY s.created DESC, s.id LIMIT ?1
            """
        ).rows([.int(limit), Self.rosterClinician(user, .viewNote)]) {
            SessionSummary(
                id: $0.text(0), kind: $0.text(1), title: $0.optionalText(2), created: $0.text(3), attendees: $0.int(4),
                draftNotes: $0.int(6) - $0.int(5), signedNotes: $0.int(5), openFlags: 0)
        }
        return try rows.map { (summary) throws(StoreError) in
            var summary = summary
            summary.openFlags = try self.flags(session: summary.id).filter {
                $0.needsSupervisor && $0.acknowledgedAt == nil
            }.count
            return summary
        }
    }

    /// Policy's roster rule as a filter in SQL, so a list reads only the rows it shows: the clinician id a
    /// roster must name for this user and action, or NULL when the user is not tied to sessions.
    static func rosterClinician(_ user: User, _ action: ReviewAction) -> SQLValue {
        Policy.isRosterBound(user.role) && action.isSessionBound ? .text(user.clinicianID ?? "") : .null
    }

    /// One version of an attendee's note (an audited view).
    public func noteVersion(session id: String, attendee: PersonID, version: Int, as userID: String) throws
        -> [NoteSection]
    {
        try self.transaction { () throws(StoreError) -> [NoteSection] in
            try self.authorize(userID, .viewNote, session: id)
            let row = try self.requireNote(session: id, attendee: attendee)
            let sections = try self.version(note: row.id, version).sections
            try self.audit(
                userID, "note.viewed", "note:\(id)/\(attendee.rawValue)", .object([("version", .number(version))]))
            return sections
        }
    }
}
