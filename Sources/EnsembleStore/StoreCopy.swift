import EnsembleCore
import EnsembleFormats

/// What `ensemble store copy` moved: rows per table, and the audit chain's head as copied.
public struct StoreCopyReport: Sendable, Hashable {
    public var tables: [Table]
    /// The source's newest audit event in the copy, which the copy's chain holds unchanged before its own.
    public var sourceHead: AuditHead

    public struct Table: Sendable, Hashable {
        public var name: String
        public var rows: Int
    }

    public var rows: Int { self.tables.reduce(0) { $0 + $1.rows } }
}

extension Store {
    /// Every table, parents before the tables that refer to them, with the columns that order its rows and
    /// page through them (jobs by `rowid`, the order they were queued, which both backends keep).
    static let copiedTables: [(name: String, key: [String])] = [
        ("users", ["id"]), ("sessions", ["id"]), ("session_clinicians", ["session_id", "clinician_id"]),
        ("attendees", ["session_id", "person_id"]), ("utterances", ["session_id", "idx"]),
        ("speaker_corrections", ["session_id", "label"]), ("runs", ["id"]), ("speakers", ["run_id", "label", "span"]),
        ("attributions", ["run_id", "idx"]), ("notes", ["id"]), ("note_versions", ["note_id", "version"]),
        ("section_reviews", ["note_id", "version", "section"]), ("signatures", ["note_id", "kind"]),
        ("addenda", ["id"]), ("group_notes", ["session_id", "version"]), ("risk_flags", ["id"]),
        ("claims", ["session_id", "claim_id"]), ("findings", ["run_id", "seq"]), ("audit_events", ["seq"]),
        ("jobs", ["rowid"]), ("api_tokens", ["digest"]), ("job_clinicians", ["job_id", "clinician_id"]),
        ("browser_sessions", ["digest"]),
    ]

    /// PostgreSQL's identity columns, whose next value must follow the rows copied in.
    static let identityColumns: [(table: String, column: String)] = [
        ("runs", "id"), ("notes", "id"), ("addenda", "id"), ("risk_flags", "id"), ("audit_events", "seq"),
        ("jobs", "rowid"),
    ]

    /// Copies every row of `source` into `destination`, an empty store (on either backend). The source is
    /// read from one snapshot, a page at a time in key order; the destination is written in one
    /// transaction, so the copy lands whole or not at all. Ids, versions, signatures, tokens' digests and
    /// the audit chain are copied as they are, so the chain verifies on the copy, which then appends its
    /// own `store.copied` event; the source records the copy once it has landed. `user` must be an admin
    /// of the source.
    public static func copy(from source: Store, to destination: Store, as user: String, batch: Int = 500)
        async throws -> StoreCopyReport
    {
        try await source.authorizeCopy(as: user)
        try await destination.beginCopy()
        do {
            try await source.beginSnapshot()
        } catch {
            await destination.abortCopy()
            throw error
        }
        do {
            var tables: [StoreCopyReport.Table] = []
            for (table, key) in Self.copiedTables {
                let sourceColumns = try await source.columns(of: table)
                let destinationColumns = Set(try await destination.columns(of: table))
                if let missing = sourceColumns.first(where: { !destinationColumns.contains($0) && $0 != "rowid" }) {
                    throw StoreError(
                        .invalid,
                        "the destination's table \(table) has no column \(missing): the two databases are at "
                            + "different schema versions; open the older one with this Ensemble first")
                }
                let columns = sourceColumns.filter(destinationColumns.contains)
                var copied = 0
                var after: [SQLValue]?
                while true {
                    let page = try await source.page(
                        of: table, columns: columns, key: key, after: after, limit: batch)
                    guard let last = page.last else { break }
                    try await destination.insert(
                        page.map { Array($0.dropFirst(key.count)) }, into: table, columns: columns)
                    copied += page.count
                    after = Array(last.prefix(key.count))
                    if page.count < batch { break }
                }
                tables.append(StoreCopyReport.Table(name: table, rows: copied))
            }
            let report = StoreCopyReport(tables: tables, sourceHead: try await source.newestEvent())
            try await destination.finishCopy(report, as: user)
            await source.endSnapshot()
            try await source.recordCopyOut(report, as: user)
            return report
        } catch {
            await destination.abortCopy()
            await source.endSnapshot()
            throw error
        }
    }

    private func authorizeCopy(as user: String) throws {
        try self.authorize(user, .manageUsers)
    }

    private func beginSnapshot() throws { try self.connection.driver.beginSnapshot() }

    private func endSnapshot() { self.connection.driver.rollback() }

    /// The source's side, once the copy has landed.
    private func recordCopyOut(_ report: StoreCopyReport, as user: String) throws {
        try self.transaction { () throws(StoreError) in
            try self.audit(
                user, "store.copied", "store",
                .object([
                    ("to", .string("another database")), ("rows", .number(report.rows)),
                    ("head", .string(report.sourceHead.description)),
                ]))
        }
    }

    private func newestEvent() throws -> AuditHead {
        try self.connection.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").row {
            AuditHead(seq: $0.int(0), hash: $0.text(1))
        } ?? AuditHead(seq: 0, hash: AuditEvent.genesis)
    }

    private func columns(of table: String) throws -> [String] {
        try self.connection.driver.columns(of: table)
    }

    /// Up to `limit` rows after the key `after`, in key order: each row's key, then its columns.
    private func page(of table: String, columns: [String], key: [String], after: [SQLValue]?, limit: Int) throws
        -> [[SQLValue]]
    {
        let list = (key + columns.map { "\"\($0)\"" }).joined(separator: ", ")
        let order = key.joined(separator: ", ")
        var values: [SQLValue] = []
        var filter = ""
        if let after {
            filter = " WHERE (\(order)) > (" + (1...after.count).map { "?\($0)" }.joined(separator: ", ") + ")"
            values = after
        }
        values.append(.int(limit))
        let width = key.count + columns.count
        return try self.connection.prepare(
            "SELECT \(list) FROM \(table)\(filter) ORDER BY \(order) LIMIT ?\(values.count)"
        ).rows(values) { row in (0..<width).map { row.value(Int32($0)) } }
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
