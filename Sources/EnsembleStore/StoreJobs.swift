public import EnsembleCore
import EnsembleFormats
import EnsembleSystem
public import Foundation

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
    /// SHA-256 of the webhook body the job was queued with (kept after the body is dropped).
    public var payloadDigest: String?
    /// Bytes of payload the job still holds: the webhook body while it waits or runs, 0 once it has
    /// succeeded or failed for good.
    public var payloadBytes: Int
    /// The latest progress line of the running attempt (compact JSON: stage, agent, attendee id, counts;
    /// never content), for progress streams served by another instance.
    public var progress: String?
    public var created: String
    public var updated: String
}

/// A worker's hold on a job: the job, and the attempt its claim counted. Whatever a worker then writes
/// about the job names the claim, and changes nothing once the job has been claimed again since (the
/// worker's lease ran out and another worker took the job over): two workers never both finish, fail or
/// put back the same job.
public struct JobClaim: Sendable, Hashable {
    public var id: String
    public var attempt: Int

    public init(id: String, attempt: Int) {
        self.id = id
        self.attempt = attempt
    }
}

extension Job {
    /// The claim this job's current attempt holds.
    public var claim: JobClaim { JobClaim(id: self.id, attempt: self.attempts) }
}

/// What a webhook delivery did to the queue.
public struct Enqueued: Sendable, Hashable {
    public var job: Job
    /// True when the event was delivered before: no second job was made.
    public var duplicate: Bool
}

extension Store {
    // MARK: - The job queue

    /// Jobs queued before schema 3 get what the queue now keeps for each: their payload's digest and the
    /// clinicians their payload's roster names; a failed one then drops its payload, as jobs failing now do.
    static func upgradeJobs(_ connection: Connection) throws(StoreError) {
        let old = try connection.prepare(
            "SELECT id, state, payload FROM jobs WHERE payload_digest IS NULL AND payload != ''"
        ).rows { ($0.text(0), $0.text(1), $0.text(2)) }
        guard !old.isEmpty else { return }
        try connection.transaction { () throws(StoreError) in
            let clinician = try connection.prepare(
                "INSERT OR IGNORE INTO job_clinicians (job_id, clinician_id) VALUES (?1, ?2)")
            for (id, state, payload) in old {
                let roster = (try? JSONParser.parse(payload, file: "job"))?["session"]?["clinicians"]?.array ?? []
                for entry in roster {
                    if let name = entry["id"]?.string { try clinician.run([.text(id), .text(name)]) }
                }
                try connection.prepare(
                    """
                    UPDATE jobs SET payload_digest = ?2,
                        payload = CASE WHEN ?3 IN ('succeeded', 'failed') THEN '' ELSE payload END WHERE id = ?1
                    """
                ).run([.text(id), .text(Hashing.sha256Hex(Array(payload.utf8))), .text(state)])
            }
        }
    }

    /// Queues a drafting job for a webhook event, once per source and event id: a repeated delivery
    /// returns the job the first one made. `clinicians` are the ids the payload's roster names: the job is
    /// visible to those clinicians only, from the moment it is queued.
    public func enqueueJob(
        source: String, eventID: String, session: String, clinicians: [String], payload: String, maxAttempts: Int,
        as userID: String
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
                INSERT INTO jobs (id, source, event_id, user_id, session_id, payload, payload_digest, state, attempts,
                    max_attempts, not_before, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', 0, ?8, ?9, ?9, ?9)
                """
            ).run([
                .text(id), .text(source), .text(eventID), .text(userID), .text(session), .text(payload),
                .text(Hashing.sha256Hex(Array(payload.utf8))), .int(maxAttempts), .text(now),
            ])
            let clinician = try self.connection.prepare(
                "INSERT OR IGNORE INTO job_clinicians (job_id, clinician_id) VALUES (?1, ?2)")
            for entry in clinicians { try clinician.run([.text(id), .text(entry)]) }
            try self.audit(
                userID, "job.queued", "job:\(id)",
                .object([("source", .string(source)), ("eventId", .string(eventID)), ("session", .string(session))]))
            guard let job = try self.jobRow(id) else {
                throw StoreError(.corrupt, "job \(id) vanished as it was queued")
            }
            return Enqueued(job: job, duplicate: false)
        }
    }

    /// Takes the oldest queued job that is due, or a running one whose worker's lease ran out (its worker
    /// died, in this instance or another), marks it running under a new lease of `lease`, and counts the
    /// attempt. Returns it with its payload, or nil when nothing is due. A job whose lease ran out on its
    /// last attempt fails instead: a job that brings its worker down each time must not run forever.
    ///
    /// On PostgreSQL, workers in several instances claim at once: `FOR UPDATE SKIP LOCKED` gives each a
    /// different job without waiting for the others.
    public func claimJob(lease: Duration = .seconds(120)) throws -> (job: Job, payload: String)? {
        let now = self.now()
        let abandoned = try self.connection.prepare(
            "SELECT id FROM jobs WHERE state = 'running' AND lease_expires < ?1 AND attempts >= max_attempts"
        ).rows([.text(now)]) { $0.text(0) }
        if !abandoned.isEmpty {
            try self.transaction { () throws(StoreError) in
                for id in abandoned {
                    // Looked at again under the writers' turn: its worker may have renewed the lease meanwhile.
                    guard let job = try self.jobRow(id), job.state == .running,
                        let expiry = try self.connection.prepare("SELECT lease_expires FROM jobs WHERE id = ?1").row(
                            [.text(id)], { $0.optionalText(0) }) ?? nil,
                        expiry < self.now()
                    else { continue }
                    try self.failForGood(
                        job, error: "the worker running its last attempt stopped before finishing it")
                }
            }
        }
        let expires = Self.timestamp(self.clockNow.addingTimeInterval(Self.seconds(lease)))
        let postgres = self.connection.dialect == .postgresql
        return try self.connection.transaction(exclusive: !postgres) {
            () throws(StoreError) -> (job: Job, payload: String)? in
            guard
                let (id, payload) = try self.connection.prepare(
                    """
                    UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_expires = ?2, progress = NULL,
                        updated = ?1
                    WHERE id = (
                        SELECT id FROM jobs
                        WHERE (state = 'queued' AND not_before <= ?1)
                            OR (state = 'running' AND lease_expires < ?1 AND attempts < max_attempts)
                        ORDER BY created, rowid LIMIT 1\(postgres ? " FOR UPDATE SKIP LOCKED" : ""))
                    RETURNING id, payload
                    """
                ).row([.text(now), .text(expires)], { ($0.text(0), $0.text(1)) }),
                let job = try self.jobRow(id)
            else { return nil }
            return (job, payload)
        }
    }

    /// Keeps a running job's lease while its worker is alive; false when the claim no longer holds (the
    /// job finished, or its lease ran out and another worker took it over): the worker should stop.
    @discardableResult
    public func renewJobLease(_ claim: JobClaim, lease: Duration = .seconds(120)) throws -> Bool {
        let expires = Self.timestamp(self.clockNow.addingTimeInterval(Self.seconds(lease)))
        try self.connection.prepare(
            "UPDATE jobs SET lease_expires = ?2 WHERE id = ?1 AND state = 'running' AND attempts = ?3"
        ).run([.text(claim.id), .text(expires), .int(claim.attempt)])
        return self.connection.changes > 0
    }

    /// Keeps the running attempt's latest progress line (ids and counts only), so that a browser following
    /// the job through another instance sees it.
    public func recordJobProgress(_ claim: JobClaim, progress: String) throws {
        try self.connection.prepare(
            "UPDATE jobs SET progress = ?2 WHERE id = ?1 AND state = 'running' AND attempts = ?3"
        ).run([.text(claim.id), .text(progress), .int(claim.attempt)])
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A job's drafting run was recorded: the job succeeded, and its copy of the inputs is dropped (the
    /// session keeps them). Nothing happens when the run was recorded with the job (`record(…, job:)`), or
    /// when the claim no longer holds. A job that drafts nothing (a FHIR push) completes with no run.
    public func completeJob(_ claim: JobClaim, run: Int?) throws {
        try self.transaction { () throws(StoreError) in try self.finishJob(claim, run: run) }
    }

    /// Marks the claimed attempt's job succeeded with `run`, inside the caller's transaction.
    func finishJob(_ claim: JobClaim, run: Int?) throws(StoreError) {
        try self.faults.beforeJobSucceeds?()
        try self.connection.prepare(
            """
            UPDATE jobs SET state = 'succeeded', run_id = ?2, error = NULL, payload = '', lease_expires = NULL,
                updated = ?3
            WHERE id = ?1 AND state = 'running' AND attempts = ?4
            """
        ).run([.text(claim.id), run.map { .int($0) } ?? .null, .text(self.now()), .int(claim.attempt)])
        guard self.connection.changes > 0 else { return }
        try self.audit(
            try self.jobRow(claim.id)?.user ?? "server", "job.succeeded", "job:\(claim.id)",
            .object([("run", run.map { .number($0) })]))
    }

    /// A job that failed for good keeps its ids, error and the payload's digest; the payload (a whole
    /// transcript with names) is dropped.
    private func failForGood(_ job: Job, error: String) throws(StoreError) {
        try self.connection.prepare(
            "UPDATE jobs SET state = 'failed', error = ?2, payload = '', lease_expires = NULL, updated = ?3 WHERE id = ?1"
        ).run([.text(job.id), .text(error), .text(self.now())])
        try self.audit(job.user, "job.failed", "job:\(job.id)", .object([("attempts", .number(job.attempts))]))
    }

    /// A job's attempt failed with `error` (which must name no content). It waits `retryAfter` seconds
    /// and runs again, unless it has had all its attempts or `permanent` says another cannot help.
    /// Returns the job's new state; a claim that no longer holds (the job succeeded, or another worker
    /// took it over) changes nothing.
    @discardableResult
    public func failJob(_ claim: JobClaim, error: String, retryAfter: Double, permanent: Bool = false) throws
        -> Job.State
    {
        try self.transaction { () throws(StoreError) -> Job.State in
            guard let job = try self.jobRow(claim.id) else {
                throw StoreError(.notFound, "no job \(claim.id)")
            }
            guard job.state == .running && job.attempts == claim.attempt else { return job.state }
            guard !permanent && job.attempts < job.maxAttempts else {
                try self.failForGood(job, error: error)
                return .failed
            }
            let due = self.clockNow.addingTimeInterval(retryAfter)
                .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            try self.connection.prepare(
                "UPDATE jobs SET state = 'queued', error = ?2, not_before = ?3, lease_expires = NULL, updated = ?4 WHERE id = ?1"
            ).run([.text(claim.id), .text(error), .text(due), .text(self.now())])
            return .queued
        }
    }

    /// Puts running jobs back in the queue: with `claims`, those attempts of this instance's (a server
    /// stopping); without, every running job (a server restarted after a crash, on SQLite, where it is the
    /// only instance). With `refund`, the interrupted attempt does not count against the job's attempts;
    /// without it, a job that has had all its attempts (a job that brings the server down each time)
    /// fails instead. Returns how many were put back.
    ///
    /// On PostgreSQL a starting instance puts nothing back: running jobs may be other instances', and a
    /// dead instance's come back through `claimJob` once their leases run out.
    @discardableResult
    public func requeueRunningJobs(claims: [JobClaim]? = nil, refund: Bool) throws -> Int {
        if claims == nil && self.connection.dialect == .postgresql { return 0 }
        return try self.transaction { () throws(StoreError) -> Int in
            let running = try self.connection.prepare(
                "SELECT \(Self.jobColumns) FROM jobs WHERE state = 'running'"
            ).rows { (row) throws(StoreError) in try Self.job(row) }.filter { claims?.contains($0.claim) ?? true }
            var requeued = 0
            for job in running {
                if !refund && job.attempts >= job.maxAttempts {
                    try self.failForGood(
                        job, error: "the server stopped while drafting it, on each of its \(job.attempts) attempts")
                    continue
                }
                try self.connection.prepare(
                    "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > ?2 THEN attempts - ?2 ELSE 0 END, lease_expires = NULL, updated = ?3 WHERE id = ?1"
                ).run([.text(job.id), .int(refund ? 1 : 0), .text(self.now())])
                requeued += 1
            }
            return requeued
        }
    }

    /// One job, for a user who may draft its session: a clinician or trainee only when the job's own
    /// payload names them on the roster (whether or not the session has been stored yet).
    public func job(_ id: String, as userID: String) throws -> Job {
        guard let job = try self.jobRow(id) else {
            throw StoreError(.notFound, "no job \(id)")
        }
        try self.authorize(userID, .draftSession, clinicians: try self.clinicians(ofJob: id))
        return job
    }

    /// The clinician ids a job's payload names.
    func clinicians(ofJob id: String) throws(StoreError) -> [String] {
        try self.connection.prepare("SELECT clinician_id FROM job_clinicians WHERE job_id = ?1").rows([.text(id)]) {
            $0.text(0)
        }
    }

    /// Deletes succeeded and failed jobs last changed more than `days` days ago (queued and running jobs
    /// stay); returns how many. Audited.
    public func purgeJobs(olderThanDays days: Int, as userID: String) throws -> Int {
        guard days >= 0 else { throw StoreError(.invalid, "--older-than must be 0 days or more") }
        return try self.transaction { () throws(StoreError) -> Int in
            try self.authorize(userID, .purgeJobs)
            let cutoff = self.clockNow.addingTimeInterval(-Double(days) * 86_400)
                .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            try self.connection.prepare(
                "DELETE FROM job_clinicians WHERE job_id IN (SELECT id FROM jobs WHERE state IN ('succeeded', 'failed') AND updated < ?1)"
            ).run([.text(cutoff)])
            try self.connection.prepare("DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND updated < ?1").run(
                [.text(cutoff)])
            let count = self.connection.changes
            try self.audit(
                userID, "jobs.purged", "jobs",
                .object([("olderThanDays", .number(days)), ("jobs", .number(count))]))
            return count
        }
    }

    /// A job as the queue has it, for the server's own bookkeeping (no user asks; nothing is shown).
    public func jobRecord(_ id: String) throws -> Job? { try self.jobRow(id) }

    /// Recent jobs, newest first, for users who run drafting; a clinician or trainee sees their sessions' only.
    public func jobs(limit: Int = 50, as userID: String) throws -> [Job] {
        let user = try self.authorize(userID, .draftSession)
        return try self.connection.prepare(
            """
            SELECT \(Self.jobColumns) FROM jobs WHERE CAST(?2 AS TEXT) IS NULL OR id IN
                (SELECT job_id FROM job_clinicians WHERE clinician_id = ?2)
            ORDER BY created DESC, rowid DESC LIMIT ?1
            """
        ).rows([.int(limit), Self.rosterClinician(user, .draftSession)]) { (row) throws(StoreError) in
            try Self.job(row)
        }
    }

    private static let jobColumns =
        "id, source, event_id, user_id, session_id, state, attempts, max_attempts, error, run_id, created, updated, payload_digest, length(CAST(payload AS BLOB)), progress"

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
            runID: row.optionalInt(9), payloadDigest: row.optionalText(12), payloadBytes: row.int(13),
            progress: row.optionalText(14),
            created: row.text(10),
            updated: row.text(11))
    }

    func sessionStored(_ id: String) throws(StoreError) -> Bool {
        try self.connection.prepare("SELECT 1 FROM sessions WHERE id = ?1").row([.text(id)]) { $0.int(0) } != nil
    }

    // MARK: - Bearer tokens

    /// Issues a bearer token for `user` (an admin acts), valid until `expires` when given. The token is
    /// returned once; only its SHA-256 digest is kept.
    public func issueToken(for user: String, label: String, expires: Date? = nil, by actor: String) throws -> String {
        try self.transaction { () throws(StoreError) -> String in
            try self.authorize(actor, .manageUsers)
            guard
                try self.connection.prepare("SELECT 1 FROM users WHERE id = ?1 AND active = 1").row(
                    [.text(user)], { $0.int(0) }) != nil
            else { throw StoreError(.notFound, "no active user \(user); add them with ensemble users add") }
            if let expires, expires <= self.clockNow {
                throw StoreError(.invalid, "the token would expire before it is issued; give a later expiry")
            }
            let token = "ens_" + Hashing.randomHex(bytes: 32)
            let expiry = expires.map(Self.timestamp)
            try self.connection.prepare(
                "INSERT INTO api_tokens (digest, user_id, label, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)"
            ).run([.text(Self.tokenDigest(token)), .text(user), .text(label), .text(self.now()), .optional(expiry)])
            try self.audit(
                actor, "token.issued", "user:\(user)",
                .object([("label", .string(label)), ("expires", expiry.map { .string($0) })]))
            return token
        }
    }

    /// Revokes a user's tokens (only those with `label`, when given); returns how many. Browsers signed in
    /// with them are signed out at once.
    public func revokeTokens(for user: String, label: String?, by actor: String) throws -> Int {
        try self.transaction { () throws(StoreError) -> Int in
            try self.authorize(actor, .manageUsers)
            try self.connection.prepare(
                """
                DELETE FROM browser_sessions WHERE token_digest IN
                    (SELECT digest FROM api_tokens WHERE user_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR label = ?2))
                """
            ).run([.text(user), .optional(label)])
            let browsers = self.connection.changes
            try self.connection.prepare(
                "DELETE FROM api_tokens WHERE user_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR label = ?2)"
            ).run(
                [.text(user), .optional(label)])
            let count = self.connection.changes
            try self.audit(
                actor, "token.revoked", "user:\(user)",
                .object([
                    ("label", label.map { .string($0) }), ("tokens", .number(count)),
                    ("browserSessions", .number(browsers)),
                ]))
            return count
        }
    }

    /// The active user a bearer token belongs to, or nil for an unknown or expired token. The first use
    /// of an expired token is audited (`token.expired`).
    public func authenticate(token: String) throws -> User? {
        try self.transaction { () throws(StoreError) -> User? in try self.tokenUser(Self.tokenDigest(token)) }
    }

    /// The user of the token with this digest, inside the caller's transaction.
    private func tokenUser(_ digest: String) throws(StoreError) -> User? {
        guard
            let (id, expires, audited) = try self.connection.prepare(
                "SELECT user_id, expires, expiry_audited FROM api_tokens WHERE digest = ?1"
            ).row([.text(digest)], { ($0.text(0), $0.optionalText(1), $0.bool(2)) })
        else { return nil }
        if let expires, expires <= self.now() {
            if !audited {
                try self.connection.prepare("UPDATE api_tokens SET expiry_audited = 1 WHERE digest = ?1").run([
                    .text(digest)
                ])
                try self.audit(
                    id, "token.expired", "user:\(id)",
                    .object([("expired", .string(expires)), ("token", .string(String(digest.prefix(12))))]))
            }
            return nil
        }
        guard let user = try self.findUser(id) else { return nil }
        try self.connection.prepare("UPDATE api_tokens SET last_used = ?2 WHERE digest = ?1").run([
            .text(digest), .text(self.now()),
        ])
        return user
    }

    // MARK: - Browser sessions

    /// Signs a browser in with a bearer token: a new server-side session whose random id is returned once
    /// (only its digest is kept). Nil when the token is unknown, expired or its user inactive.
    public func startBrowserSession(token: String, lifetime: Duration) throws -> String? {
        try self.transaction { () throws(StoreError) -> String? in
            let tokenDigest = Self.tokenDigest(token)
            guard let user = try self.tokenUser(tokenDigest) else { return nil }
            let id = Hashing.randomHex(bytes: 32)
            let now = self.now()
            // Sessions that ended on their own (idle or past their lifetime) are cleared as new ones start.
            try self.connection.prepare("DELETE FROM browser_sessions WHERE expires <= ?1").run([.text(now)])
            let expires = Self.timestamp(self.clockNow.addingTimeInterval(Double(lifetime.components.seconds)))
            try self.connection.prepare(
                """
                INSERT INTO browser_sessions (digest, user_id, token_digest, created, last_seen, expires)
                VALUES (?1, ?2, ?3, ?4, ?4, ?5)
                """
            ).run([.text(Self.tokenDigest(id)), .text(user.id), .text(tokenDigest), .text(now), .text(expires)])
            try self.audit(user.id, "browser.signedIn", "user:\(user.id)", .object([("expires", .string(expires))]))
            return id
        }
    }

    /// The user of a browser session, while it is within its lifetime, has been used within `idle`, and
    /// the token it was started with still works; the session is ended otherwise.
    public func browserUser(session id: String, idle: Duration) throws -> User? {
        try self.transaction { () throws(StoreError) -> User? in
            let digest = Self.tokenDigest(id)
            guard
                let (userID, tokenDigest, lastSeen, expires) = try self.connection.prepare(
                    "SELECT user_id, token_digest, last_seen, expires FROM browser_sessions WHERE digest = ?1"
                ).row([.text(digest)], { ($0.text(0), $0.text(1), $0.text(2), $0.text(3)) })
            else { return nil }
            let idleSince = Self.timestamp(self.clockNow.addingTimeInterval(-Double(idle.components.seconds)))
            let now = self.now()
            guard expires > now, lastSeen > idleSince, let user = try self.tokenUser(tokenDigest), user.id == userID
            else {
                try self.connection.prepare("DELETE FROM browser_sessions WHERE digest = ?1").run([.text(digest)])
                return nil
            }
            try self.connection.prepare("UPDATE browser_sessions SET last_seen = ?2 WHERE digest = ?1").run([
                .text(digest), .text(now),
            ])
            return user
        }
    }

    /// Signs a browser out: its session ends (audited when there was one).
    public func endBrowserSession(_ id: String) throws {
        try self.transaction { () throws(StoreError) in
            let digest = Self.tokenDigest(id)
            guard
                let user = try self.connection.prepare("SELECT user_id FROM browser_sessions WHERE digest = ?1").row(
                    [.text(digest)], { $0.text(0) })
            else { return }
            try self.connection.prepare("DELETE FROM browser_sessions WHERE digest = ?1").run([.text(digest)])
            try self.audit(user, "browser.signedOut", "user:\(user)", .object([]))
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
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
            FROM sessions s WHERE CAST(?2 AS TEXT) IS NULL OR s.id IN (SELECT session_id FROM session_clinicians WHERE clinician_id = ?2)
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
