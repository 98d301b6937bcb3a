public import EnsembleStore
import Logging
public import PostgresNIO

/// The audit trail on PostgreSQL, appended by several instances without forking: each append takes a
/// transaction-scoped advisory lock, reads the newest event and chains the next one from it
/// (`AuditEvent.next`, the same chain the SQLite store writes), so appends are serialised across every
/// instance and the chain verifies as `ensemble audit verify` checks it. The lock is released when the
/// caller's transaction ends: the event lands with the change it records, or neither does.
public enum PostgresAuditLog {
    static let lock: Int64 = 0x4175_6469_7443_6861  // "AuditCha"

    /// Appends an event inside the caller's transaction on `connection`.
    @discardableResult
    public static func append(
        on connection: PostgresConnection, at: String, user: String, action: String, entity: String, detail: String,
        logger: Logger
    ) async throws -> AuditEvent {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lock))", logger: logger)
        var last: (seq: Int, hash: String)? = nil
        let rows = try await connection.query(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", logger: logger)
        for try await (seq, hash) in rows.decode((Int64, String).self) { last = (Int(seq), hash) }
        let event = AuditEvent.next(after: last, at: at, user: user, action: action, entity: entity, detail: detail)
        try await connection.query(
            """
            INSERT INTO audit_events (seq, at, user_id, action, entity, detail, prev_hash, hash)
            VALUES (\(Int64(event.seq)), \(event.at), \(event.user), \(event.action), \(event.entity), \(event.detail),
                \(event.previousHash), \(event.hash))
            """, logger: logger)
        return event
    }

    public static func events(_ client: PostgresClient) async throws -> [AuditEvent] {
        let rows = try await client.query(
            "SELECT seq, at, user_id, action, entity, detail, prev_hash, hash FROM audit_events ORDER BY seq")
        var events: [AuditEvent] = []
        for try await (seq, at, user, action, entity, detail, previous, hash) in rows.decode(
            (Int64, String, String, String, String, String, String, String).self)
        {
            events.append(
                AuditEvent(
                    seq: Int(seq), at: at, user: user, action: action, entity: entity, detail: detail,
                    previousHash: previous, hash: hash))
        }
        return events
    }

    public static func verify(_ client: PostgresClient) async throws -> AuditVerification {
        AuditVerification.check(try await Self.events(client))
    }
}
