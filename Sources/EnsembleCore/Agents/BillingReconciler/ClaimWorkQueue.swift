/// Blocked (or not billable) claims grouped by what stops them, so one fix is seen to clear many: every
/// claim missing the practice's ZIP+4 in one group, whichever session it came from. A claim stopped by
/// two reasons is in two groups.
public struct ClaimWorkQueue: Sendable, Hashable {
    /// One claim as the queue sees it.
    public struct Entry: Sendable, Hashable {
        public var claimID: String
        public var sessionID: String
        public var attendee: PersonID
        /// The reasons that stop it, in order found.
        public var reasons: [Reason]

        public init(claimID: String, sessionID: String, attendee: PersonID, reasons: [Reason]) {
            self.claimID = claimID
            self.sessionID = sessionID
            self.attendee = attendee
            self.reasons = reasons
        }
    }

    public struct Reason: Sendable, Hashable {
        /// A `ClaimReason.Code`'s raw value, or an older stored code.
        public var code: String
        public var message: String
        public var fix: ClaimFix?
        public var alternative: String?

        public init(code: String, message: String, fix: ClaimFix?, alternative: String? = nil) {
            self.code = code
            self.message = message
            self.fix = fix
            self.alternative = alternative
        }
    }

    /// One claim in a group, with its own reason (the exact field and message).
    public struct Item: Sendable, Hashable {
        public var entry: Entry
        public var reason: Reason
    }

    /// Claims stopped by one reason with one kind of fix.
    public struct Group: Sendable, Hashable {
        public var code: String
        public var title: String
        public var file: ClaimFix.File?
        /// The field to fix with people's ids left out (`attendees[*].coverage.memberId`), when there is one.
        public var pattern: String?
        public var items: [Item] = []
        /// How many of its claims this fix alone clears (they have no other stopping reason).
        public var clearedAlone = 0

        init(code: String, file: ClaimFix.File?, pattern: String?) {
            self.code = code
            self.title = ClaimReason.Code(rawValue: code)?.title ?? code
            self.file = file
            self.pattern = pattern
        }
    }

    public var groups: [Group]
    public var claims: Int

    /// Groups the entries by reason code and fix pattern, the groups that hold most claims first.
    public init(_ entries: [Entry]) {
        struct Key: Hashable {
            var code: String
            var file: ClaimFix.File?
            var pattern: String?
        }
        var order: [Key] = []
        var groups: [Key: Group] = [:]
        for entry in entries {
            // A claim is in a group once, under its first reason of that kind (two malformed diagnoses are
            // one fix), and that fix alone clears it when it has no other kind.
            let keys = entry.reasons.map { Key(code: $0.code, file: $0.fix?.file, pattern: $0.fix?.pattern) }
            let kinds = Set(keys)
            var seen: Set<Key> = []
            for (key, reason) in zip(keys, entry.reasons) where seen.insert(key).inserted {
                if groups[key] == nil {
                    order.append(key)
                    groups[key] = Group(code: key.code, file: key.file, pattern: key.pattern)
                }
                groups[key]?.items.append(Item(entry: entry, reason: reason))
                if kinds.count == 1 { groups[key]?.clearedAlone += 1 }
            }
        }
        let ranked = order.enumerated().sorted { lhs, rhs in
            let left = groups[lhs.element]?.items.count ?? 0
            let right = groups[rhs.element]?.items.count ?? 0
            return left != right ? left > right : lhs.offset < rhs.offset
        }
        self.groups = ranked.compactMap { groups[$0.element] }
        self.claims = entries.count
    }

    /// The queue of claims in `status` (`blocked` or `notBillable`), from reconciled claims: each with the
    /// reasons that put it there.
    public init(claims: [Claim], status: ClaimStatus) {
        self.init(
            claims.filter { $0.status == status }.map { claim in
                Entry(
                    claimID: claim.id, sessionID: claim.sessionID.rawValue, attendee: claim.attendee,
                    reasons: claim.reasons.filter { $0.stops == status }.map {
                        Reason(code: $0.code.rawValue, message: $0.message, fix: $0.fix, alternative: $0.alternative)
                    })
            })
    }
}
