import EnsembleCore
import EnsembleFormats

/// What `ensemble store copy` moved: rows per table, and the audit chain's head on both sides.
public struct StoreCopyReport: Sendable, Hashable {
    public var tables: [Table]
    /// The source's newest audit event, which the copy's chain holds unchanged before its own event.
    public var sourceHead: AuditHead

    public struct Table: Sendable, Hashable {
        public var name: String
        public var rows: Int
    }

    public var rows: Int { self.tables.reduce(0) { $0 + $1.rows } }
}

extension Store {
    /// Every table, parents before the tables that refer to them, with the columns that order its rows
    /// (jobs by `rowid`, the order they were queued, which both backends keep).
    static let copiedTables: [(name: String, order: String)] = [
        ("users", "id"), ("sessions", "id"), ("session_clinicians", "session_id, clinician_id"),
        ("attendees", "session_id, person_id"), ("utterances", "session_id, idx"),
        ("speaker_corrections", "session_id, label"), ("runs", "id"), ("speakers", "run_id, label"),
        ("attributions", "run_id, idx"), ("notes", "id"), ("note_versions", "note_id, version"),
        ("section_reviews", "note_id, version, section"), ("signatures", "note_id, kind"), ("addenda", "id"),
        ("group_notes", "session_id, version"), ("risk_flags", "id"), ("claims", "session_id, claim_id"),
        ("findings", "run_id, seq"), ("audit_events", "seq"), ("jobs", "rowid"), ("api_tokens", "digest"),
        ("job_clinicians", "job_id, clinician_id"), ("browser_sessions", "digest"),
    ]

    /// PostgreSQL's identity columns, whose next value must follow the rows copied in.
    static let identityColumns: [(table: String, column: String)] = [
        ("runs", "id"), ("notes", "id"), ("addenda", "id"), ("risk_flags", "id"), ("audit_events", "seq"),
        ("jobs", "rowid"),
    ]

    /// Copies every row of `source` into `destination`, an empty store (on either backend), in one
    /// transaction on the destination: the copy lands whole or not at all. Ids, versions, signatures,
    /// tokens' digests and the audit chain are copied as they are, so the chain verifies on the copy; the
    /// copy then appends its own `store.copied` event. `user` must be an admin of the source.
    public static func copy(from source: Store, to destination: Store, as user: String, batch: Int = 500)
        async throws -> StoreCopyReport
    {
        let sourceHead = try await source.copyOut(as: user)
        try await destination.beginCopy()
        do {
            var tables: [StoreCopyReport.Table] = []
            for (table, order) in Self.copiedTables {
                let sourceColumns = try await source.columns(of: table)
                let destinationColumns = Set(try await destination.columns(of: table))
                let columns = sourceColumns.filter(destinationColumns.contains)
                var copied = 0
                while true {
                    let rows = try await source.rows(
                        of: table, columns: columns, order: order, limit: batch, offset: copied)
                    guard !rows.isEmpty else { break }
                    try await destination.insert(rows, into: table, columns: columns)
                    copied += rows.count
                    if rows.count < batch { break }
                }
                tables.append(StoreCopyReport.Table(name: table, rows: copied))
            }
            let report = StoreCopyReport(tables: tables, sourceHead: sourceHead)
            try await destination.finishCopy(report, as: user)
            return report
        } catch {
            await destination.abortCopy()
            throw error
        }
    }

    /// The source's side: the user must be an admin; the copy is audited here too. Returns the head the
    /// copy will end at.
    private func copyOut(as user: String) throws -> AuditHead {
        try self.transaction { () throws(StoreError) -> AuditHead in
            try self.authorize(user, .manageUsers)
            try self.audit(user, "store.copied", "store", .object([("to", .string("another database"))]))
            return try self.connection.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").row {
                AuditHead(seq: $0.int(0), hash: $0.text(1))
            } ?? AuditHead(seq: 0, hash: AuditEvent.genesis)
        }
    }

    private func columns(of table: String) throws -> [String] {
        try self.connection.driver.columns(of: table)
    }

    private func rows(of table: String, columns: [String], order: String, limit: Int, offset: Int) throws
        -> [[SQLValue]]
    {
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        return try self.connection.prepare(
            "SELECT \(list) FROM \(table) ORDER BY \(order) LIMIT ?1 OFFSET ?2"
        ).rows([.int(limit), .int(offset)]) { row in (0..<columns.count).map { row.value(Int32($0)) } }
    }

    /// Opens the destination's transaction, after checking that the destination is empty.
    private func beginCopy() throws {
        for (table, _) in Self.copiedTables {
            let count = try self.connection.prepare("SELECT count(*) FROM \(table)").row { $0.int(0) } ?? 0
            guard count == 0 else {
                throw StoreError(
                    .invalid,
                    "the destination already holds data (table \(table)); copy into a new, empty database")
            }
        }
        try self.connection.driver.begin(exclusive: true)
    }

    private func insert(_ rows: [[SQLValue]], into table: String, columns: [String]) throws {
        try self.connection.insert(into: table, columns: columns, rows: rows)
    }

    private func finishCopy(_ report: StoreCopyReport, as user: String) throws {
        if self.connection.dialect == .postgresql {
            for (table, column) in Self.identityColumns {
                try self.connection.prepare(
                    """
                    SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), coalesce(max(\(column)), 0) + 1, false)
                    FROM \(table)
                    """
                ).run()
            }
        }
        try self.audit(
            user, "store.copied", "store",
            .object([
                ("rows", .number(report.rows)), ("sourceHead", .string(report.sourceHead.description)),
            ]))
        try self.connection.driver.commit()
    }

    private func abortCopy() { self.connection.driver.rollback() }
}
