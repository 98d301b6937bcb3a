import EnsembleFormats
import EnsembleSystem
import Foundation

/// One event of the audit trail: who did what to which record, when. `detail` holds ids, versions,
/// digests and counts only, never transcript text, names or note content.
public struct AuditEvent: Sendable, Hashable {
    public var seq: Int
    public var at: String
    public var user: String
    public var action: String
    public var entity: String
    /// Compact JSON.
    public var detail: String
    public var previousHash: String
    public var hash: String

    /// The event after `previous` (nil for the first): its sequence number, its link and its hash. Every
    /// backend appends through this, so that one chain verifies the same everywhere.
    public static func next(
        after previous: (seq: Int, hash: String)?, at: String, user: String, action: String, entity: String,
        detail: String
    ) -> AuditEvent {
        var event = AuditEvent(
            seq: (previous?.seq ?? 0) + 1, at: at, user: user, action: action, entity: entity, detail: detail,
            previousHash: previous?.hash ?? Self.genesis, hash: "")
        event.hash = Self.chain(previous: event.previousHash, canonical: event.canonical)
        return event
    }

    public init(
        seq: Int, at: String, user: String, action: String, entity: String, detail: String, previousHash: String,
        hash: String
    ) {
        self.seq = seq
        self.at = at
        self.user = user
        self.action = action
        self.entity = entity
        self.detail = detail
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The text the hash covers: the event's fields in a fixed order, as compact JSON.
    var canonical: String {
        JSONWriter.write(
            .array([
                .number(self.seq), .string(self.at), .string(self.user), .string(self.action), .string(self.entity),
                .string(self.detail),
            ]), pretty: false, escapingOnlyC0: true)
    }

    /// SHA-256 over the previous event's hash and this event's canonical text.
    static func chain(previous: String, canonical: String) -> String {
        Hashing.sha256Hex(Array((previous + "\n" + canonical).utf8))
    }

    /// The hash the first event chains from.
    static let genesis = String(repeating: "0", count: 64)

    /// One JSON line for `ensemble audit export`.
    public var jsonLine: String {
        JSONWriter.write(
            .object([
                ("seq", .number(self.seq)), ("at", .string(self.at)), ("user", .string(self.user)),
                ("action", .string(self.action)), ("entity", .string(self.entity)),
                ("detail", (try? JSONParser.parse(self.detail, file: "detail")) ?? .string(self.detail)),
                ("previousHash", .string(self.previousHash)), ("hash", .string(self.hash)),
            ]), pretty: false)
    }
}

/// An anchor for the audit trail: the newest event's sequence number and hash, as `SEQ:HASH`, optionally
/// with an HMAC-SHA256 over that text (`SEQ:HASH:MAC`) made with a key kept outside the database.
public struct AuditHead: Sendable, Hashable, CustomStringConvertible {
    public var seq: Int
    public var hash: String
    public var mac: String?

    public init(seq: Int, hash: String, mac: String? = nil) {
        self.seq = seq
        self.hash = hash
        self.mac = mac
    }

    /// Reads `SEQ:HASH` or `SEQ:HASH:MAC`; nil when the text is not of that form.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let seq = Int(parts[0]), seq >= 0,
            parts[1].count == 64, parts[1].allSatisfy(\.isHexDigit)
        else { return nil }
        self.seq = seq
        self.hash = parts[1].lowercased()
        if parts.count == 3 {
            guard parts[2].count == 64, parts[2].allSatisfy(\.isHexDigit) else { return nil }
            self.mac = parts[2].lowercased()
        }
    }

    /// The text the MAC covers.
    var anchor: String { "\(self.seq):\(self.hash)" }

    /// This head signed with `key`.
    public func signed(key: [UInt8]) -> AuditHead {
        AuditHead(
            seq: self.seq, hash: self.hash, mac: Hashing.hmacSHA256Hex(key: key, message: Array(self.anchor.utf8)))
    }

    /// Whether the head's MAC is the one `key` makes.
    public func macHolds(key: [UInt8]) -> Bool {
        guard let mac = self.mac else { return false }
        return Hashing.constantTimeEqual(mac, self.signed(key: key).mac ?? "")
    }

    public var description: String { self.anchor + (self.mac.map { ":" + $0 } ?? "") }
}

/// What `ensemble audit verify` found.
public struct AuditVerification: Sendable {
    public var events: Int
    /// The first event whose hash or link does not hold, and why; nil when the chain is whole.
    public var firstBroken: (seq: Int, reason: String)?

    /// Recomputes every link of `events` (in sequence order): each event's sequence number follows the
    /// last, its previous hash is the last event's hash, and its own hash is that of its content.
    public static func check(_ events: [AuditEvent]) -> AuditVerification {
        var previous = AuditEvent.genesis
        for (offset, event) in events.enumerated() {
            if event.seq != offset + 1 {
                return AuditVerification(
                    events: events.count, firstBroken: (event.seq, "an event before it is missing"))
            }
            if event.previousHash != previous {
                return AuditVerification(
                    events: events.count, firstBroken: (event.seq, "its link to the previous event does not match"))
            }
            if AuditEvent.chain(previous: previous, canonical: event.canonical) != event.hash {
                return AuditVerification(
                    events: events.count, firstBroken: (event.seq, "its content does not match its hash"))
            }
            previous = event.hash
        }
        return AuditVerification(events: events.count, firstBroken: nil)
    }
}

extension Connection {
    /// Appends an event to the chain (inside the caller's transaction, so the event and the change
    /// it records land together).
    func audit(at: String, user: String, action: String, entity: String, detail: JSONNode) throws(StoreError) {
        let last = try self.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").row {
            ($0.int(0), $0.text(1))
        }
        let event = AuditEvent.next(
            after: last.map { (seq: $0.0, hash: $0.1) }, at: at, user: user, action: action, entity: entity,
            detail: JSONWriter.write(detail, pretty: false))
        try self.prepare(
            "INSERT INTO audit_events (seq, at, user_id, action, entity, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ).run([
            .int(event.seq), .text(event.at), .text(event.user), .text(event.action), .text(event.entity),
            .text(event.detail), .text(event.previousHash), .text(event.hash),
        ])
    }

    func auditEvents() throws(StoreError) -> [AuditEvent] {
        try self.prepare(
            "SELECT seq, at, user_id, action, entity, detail, prev_hash, hash FROM audit_events ORDER BY seq"
        ).rows {
            AuditEvent(
                seq: $0.int(0), at: $0.text(1), user: $0.text(2), action: $0.text(3), entity: $0.text(4),
                detail: $0.text(5), previousHash: $0.text(6), hash: $0.text(7))
        }
    }

    /// Recomputes every link (`AuditVerification.check`).
    func verifyAudit() throws(StoreError) -> AuditVerification {
        AuditVerification.check(try self.auditEvents())
    }
}
