public import Foundation
import Logging
import PostgresNIO

/// The drafting job queue on PostgreSQL, for workers in several `ensemble serve` instances with no
/// coordinator between them:
/// - a delivery becomes one job per source and event id, whichever instance takes it (the table's
///   unique constraint decides, not a check-then-insert);
/// - a worker claims the oldest due job with `SELECT … FOR UPDATE SKIP LOCKED`, so two workers never
///   take the same one, and holds it under a lease;
/// - a worker that dies mid-job gives the job back when its lease runs out: the next claim takes it,
///   counting the attempt, and a job out of attempts fails instead of running again.
public struct PostgresJobQueue: Sendable {
    public let database: PostgresStoreDatabase
    /// How long a claim holds a job before another worker may take it.
    public var lease: Duration
    /// The time, for tests; ISO 8601 in UTC, as the store writes every time.
    public var clock: @Sendable () -> Date

    public init(
        database: PostgresStoreDatabase, lease: Duration = .seconds(120),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.database = database
        self.lease = lease
        self.clock = clock
    }

    public struct Claimed: Sendable, Hashable {
        public var id: String
        public var payload: String
        public var attempts: Int
        public var maxAttempts: Int
    }

    static func text(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    var logger: Logger { self.database.logger }

    /// Queues a job for an event, once per source and event id: returns the job's id and whether the
    /// event had been delivered before.
    public func enqueue(
        source: String, eventID: String, user: String, session: String, payload: String, payloadDigest: String,
        maxAttempts: Int, clinicians: [String]
    ) async throws -> (id: String, duplicate: Bool) {
        let now = Self.text(self.clock())
        let candidate = "job-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        return try await self.database.client.withTransaction(logger: self.logger) { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO jobs (id, source, event_id, user_id, session_id, payload, payload_digest, state, attempts,
                    max_attempts, not_before, created, updated)
                VALUES (\(candidate), \(source), \(eventID), \(user), \(session), \(payload), \(payloadDigest), 'queued', 0,
                    \(Int64(maxAttempts)), \(now), \(now), \(now))
                ON CONFLICT (source, event_id) DO NOTHING RETURNING id
                """, logger: self.logger)
            for try await id in inserted.decode(String.self) {
                for clinician in clinicians {
                    try await connection.query(
                        """
                        INSERT INTO job_clinicians (job_id, clinician_id) VALUES (\(id), \(clinician))
                        ON CONFLICT DO NOTHING
                        """, logger: self.logger)
                }
                return (id, false)
            }
            let existing = try await connection.query(
                "SELECT id FROM jobs WHERE source = \(source) AND event_id = \(eventID)", logger: self.logger)
            for try await id in existing.decode(String.self) { return (id, true) }
            throw PostgresSchemaError(description: "a job for that event was neither made nor found")
        }
    }

    /// Takes the oldest due job, or one whose worker's lease ran out, marks it running under a new lease
    /// and counts the attempt. A job whose lease ran out on its last attempt fails instead (a job that
    /// brings its worker down each time must not run forever). Nil when nothing is due.
    public func claim() async throws -> Claimed? {
        let now = self.clock()
        let nowText = Self.text(now)
        let expires = Self.text(now.addingTimeInterval(Double(self.lease.components.seconds)))
        return try await self.database.client.withTransaction(logger: self.logger) { connection in
            // Abandoned jobs out of attempts fail first, so that the claim below never takes them.
            try await connection.query(
                """
                UPDATE jobs SET state = 'failed', payload = '', lease_expires = NULL, updated = \(nowText),
                    error = 'the worker running the last attempt stopped before finishing it'
                WHERE state = 'running' AND lease_expires < \(nowText) AND attempts >= max_attempts
                """, logger: self.logger)
            let rows = try await connection.query(
                """
                UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_expires = \(expires),
                    updated = \(nowText)
                WHERE id = (
                    SELECT id FROM jobs
                    WHERE (state = 'queued' AND not_before <= \(nowText))
                        OR (state = 'running' AND lease_expires < \(nowText))
                    ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, payload, attempts, max_attempts
                """, logger: self.logger)
            for try await (id, payload, attempts, maxAttempts) in rows.decode((String, String, Int64, Int64).self) {
                return Claimed(id: id, payload: payload, attempts: Int(attempts), maxAttempts: Int(maxAttempts))
            }
            return nil
        }
    }

    /// Keeps a long job's lease while its worker is alive.
    public func renew(_ id: String) async throws {
        let expires = Self.text(self.clock().addingTimeInterval(Double(self.lease.components.seconds)))
        try await self.database.client.query(
            "UPDATE jobs SET lease_expires = \(expires) WHERE id = \(id) AND state = 'running'", logger: self.logger)
    }

    /// The attempt succeeded: the job drops its payload (the session keeps the inputs).
    public func complete(_ id: String, run: Int?) async throws {
        let now = Self.text(self.clock())
        try await self.database.client.query(
            """
            UPDATE jobs SET state = 'succeeded', run_id = \(run.map(Int64.init)), error = NULL, payload = '',
                lease_expires = NULL, updated = \(now)
            WHERE id = \(id) AND state = 'running'
            """, logger: self.logger)
    }

    /// The attempt failed with `error` (naming no content): the job waits `retryAfter` seconds and runs
    /// again, unless it is out of attempts or `permanent` says another cannot help. Returns the new state.
    @discardableResult
    public func fail(_ id: String, error: String, retryAfter: Double, permanent: Bool = false) async throws -> String {
        let now = self.clock()
        let rows = try await self.database.client.query(
            """
            UPDATE jobs SET
                state = CASE WHEN \(permanent) OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                payload = CASE WHEN \(permanent) OR attempts >= max_attempts THEN '' ELSE payload END,
                error = \(error), not_before = \(Self.text(now.addingTimeInterval(retryAfter))),
                lease_expires = NULL, updated = \(Self.text(now))
            WHERE id = \(id) AND state = 'running'
            RETURNING state
            """, logger: self.logger)
        for try await state in rows.decode(String.self) { return state }
        return "unchanged"
    }

    /// A job's state and attempts, for tests and status.
    public func state(_ id: String) async throws -> (state: String, attempts: Int)? {
        let rows = try await self.database.client.query(
            "SELECT state, attempts FROM jobs WHERE id = \(id)", logger: self.logger)
        for try await (state, attempts) in rows.decode((String, Int64).self) { return (state, Int(attempts)) }
        return nil
    }
}
