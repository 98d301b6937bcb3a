import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleStore
import Foundation

/// `--status` for the claim listings.
enum ClaimStatusOption: String, ExpressibleByArgument, CaseIterable {
    case ready, pendingSignature, blocked, notBillable

    var status: ClaimStatus { ClaimStatus(rawValue: self.rawValue) ?? .blocked }
}

/// Claims for billing staff: per session, every attendee with their claim or why they are not billed,
/// then each claim's reasons, whole and wrapped, with the field that fixes them.
enum ClaimsTable {
    static func render(_ sessions: [(session: Session, billing: BillingResult)], width: Int = Text.width) -> String {
        var lines: [String] = []
        var counts: [ClaimStatus: Int] = [:]
        for (session, billing) in sessions {
            if !lines.isEmpty { lines.append("") }
            let modality = session.modality?.rawValue ?? "modality not given"
            lines.append(
                "Session \(session.id) · \(session.kind.rawValue) · \(session.start.localDate) · "
                    + "\(session.durationMinutes) min · \(modality) · POS \(session.placeOfService ?? "none")")
            // Wide enough for the longest "id name" (a name is never cut), at most 40.
            let column = min(
                40,
                max(26, (session.attendees.map { $0.id.rawValue.count + 1 + $0.name.count }.max() ?? 0) + 1))
            let gutter = column + 20
            lines.append(
                "  " + Text.pad("Attendee", column) + Text.pad("Role", 18) + Text.pad("Codes", 22)
                    + Text.pad("Dx", 22) + Text.pad("Payer", 18) + Text.padLeft("Charge", 8) + "  Status")
            // Session-wide problems (the practice's NPI, the place of service) are printed once, below.
            let sessionWide = Set(billing.sessionReasons.map(\.message))
            for disposition in billing.dispositions {
                let attendee = session.attendee(disposition.attendee)
                let who = Text.pad(
                    Text.truncate("\(disposition.attendee) \(attendee?.name ?? "")", column - 1), column)
                let role = Text.pad(attendee?.role.rawValue ?? "", 18)
                guard let id = disposition.claimID, let claim = billing.claims.first(where: { $0.id == id }) else {
                    let wrapped = Text.wrap(disposition.explanation, width: max(20, width - gutter))
                    lines.append("  " + who + role + (wrapped.first ?? ""))
                    lines += wrapped.dropFirst().map { String(repeating: " ", count: gutter) + $0 }
                    continue
                }
                counts[claim.status, default: 0] += 1
                let codes = claim.lines.map { line in
                    ([line.cpt] + line.modifiers).joined(separator: "-") + (line.units > 1 ? "×\(line.units)" : "")
                }.joined(separator: " ")
                lines.append(
                    "  " + who + role + Text.pad(codes, 22)
                        + Text.pad(Text.truncate(claim.diagnoses.joined(separator: " "), 21), 22)
                        + Text.pad(Text.truncate(claim.payer.map { "\($0.payerId) (\($0.profile))" } ?? "none", 17), 18)
                        + Text.padLeft(ClaimsReport.dollars(claim.totalChargeInCents), 8) + "  " + claim.status.rawValue
                )
                for reason in claim.reasons
                where !reason.restatesStatus && !sessionWide.contains(reason.message) {
                    lines += self.reason(reason, indent: 6, width: width)
                }
            }
            for reason in billing.sessionReasons {
                lines += self.reason(reason, indent: 2, width: width, label: "session: " + self.label(reason))
            }
        }
        lines.append("")
        let total = counts.values.reduce(0, +)
        lines.append(
            "\(total) claim(s): \(counts[.ready] ?? 0) ready, \(counts[.pendingSignature] ?? 0) pending signature, "
                + "\(counts[.blocked] ?? 0) blocked, \(counts[.notBillable] ?? 0) not billable")
        if (counts[.blocked] ?? 0) > 0 {
            lines.append("Blocked claims by what to fix: ensemble claims … --status blocked")
        }
        return lines.joined(separator: "\n")
    }

    /// `blocks`, `not billable`, `warning` or `note`: what a reason does to its claim.
    static func label(_ reason: ClaimReason) -> String {
        switch reason.stops {
        case .blocked?: "blocks"
        case .notBillable?: "not billable"
        default: reason.severity == .warning ? "warning" : "note"
        }
    }

    /// A reason under its claim: the label, the whole message wrapped, then the field to fix and any code
    /// that applies instead.
    static func reason(_ reason: ClaimReason, indent: Int, width: Int, label: String? = nil) -> [String] {
        let label = label ?? self.label(reason)
        let gutter = max(indent + 14, indent + label.count + 2)
        var lines: [String] = []
        let wrapped = Text.wrap(reason.message, width: max(30, width - gutter))
        for (offset, line) in wrapped.enumerated() {
            let head =
                offset == 0
                ? String(repeating: " ", count: indent) + Text.pad(label, gutter - indent)
                : String(repeating: " ", count: gutter)
            lines.append(head + line)
        }
        if let fix = reason.fix {
            lines.append(String(repeating: " ", count: gutter) + "fix: " + fix.description)
        }
        if let alternative = reason.alternative {
            lines.append(String(repeating: " ", count: gutter) + "instead: " + alternative)
        }
        return lines
    }
}

/// The work queue: claims in one status grouped by what stops them, the fix that clears most first.
enum WorkQueueText {
    /// - Parameter sessions: sessions that billed nobody for a reason of this status (no identified
    ///   patient; the patient absent), with those reasons.
    static func render(
        _ queue: ClaimWorkQueue, status: ClaimStatus, sessions: [(id: String, reasons: [ClaimReason])] = [],
        width: Int = Text.width
    ) -> String {
        let what = status == .notBillable ? "not billable" : "blocked"
        guard queue.claims > 0 || !sessions.isEmpty else { return "No \(what) claims." }
        var lines: [String] = []
        if status == .notBillable {
            lines.append(
                "\(queue.claims) claim(s) not billable, by reason: drop them, or bill the code offered instead once "
                    + "the note supports it.")
        } else {
            lines.append(
                "\(queue.claims) blocked claim(s), by what to fix: \(queue.groups.count) fix(es), those that touch "
                    + "most claims first.")
        }
        for (number, group) in queue.groups.enumerated() {
            lines.append("")
            var heading = "\(number + 1). \(group.title) · \(group.code) · \(group.items.count) claim(s)"
            if status == .blocked {
                heading +=
                    group.clearedAlone == group.items.count
                    ? ", all cleared by this fix"
                    : ", \(group.clearedAlone) cleared by this fix alone"
            }
            lines.append(heading)
            if let pattern = group.pattern, let file = group.file {
                lines.append("   fix: \(file.rawValue): \(pattern)")
            }
            // One message when every claim's reason reads the same but for whose it is, else each its own.
            let messages = Set(group.items.map { Self.general($0.reason.message, attendee: $0.entry.attendee) })
            if messages.count == 1, let message = messages.first {
                lines += Text.wrap(message, width: max(30, width - 3)).map { "   " + $0 }
            }
            for item in group.items {
                var line = "   - \(item.entry.claimID)  session \(item.entry.sessionID)  \(item.entry.attendee)"
                if let fix = item.reason.fix, fix.path != group.pattern {
                    line += "  → \(fix.path)"
                }
                if let alternative = item.reason.alternative { line += "  instead: \(alternative)" }
                lines.append(line)
                if messages.count > 1 {
                    lines += Text.wrap(item.reason.message, width: max(30, width - 7)).map { "       " + $0 }
                }
            }
        }
        if !sessions.isEmpty {
            lines.append("")
            lines.append("Sessions that bill nobody until this is settled:")
            for (id, reasons) in sessions {
                for reason in reasons {
                    lines.append("   - session \(id) · \(reason.code.rawValue)")
                    lines += Text.wrap(reason.message, width: max(30, width - 7)).map { "       " + $0 }
                    if let fix = reason.fix { lines.append("       fix: " + fix.description) }
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The message with the attendee's id read as "the client", so reasons that differ only in whose
    /// they are read as one.
    static func general(_ message: String, attendee: PersonID) -> String {
        // The id as a word of its own, never inside a claim id (`S-2026-05-19-RPG-CL-205`).
        let id = attendee.rawValue
        var text = ""
        var rest = Substring(message)
        while let range = rest.range(of: id) {
            let before = rest[..<range.lowerBound]
            let glued =
                (before.last ?? (text.last ?? " ")).isLetter || before.last == "-"
                || (before.last ?? (text.last ?? " ")).isNumber
            text += before
            text += glued ? id : (text.isEmpty || text.hasSuffix(". ") ? "The client" : "the client")
            rest = rest[range.upperBound...]
        }
        return text + rest
    }

    /// The queue as JSON: each group with its code, title, fix and claims.
    static func json(_ queue: ClaimWorkQueue, status: ClaimStatus) -> JSONNode {
        .object([
            ("status", .string(status.rawValue)),
            ("claims", .number(queue.claims)),
            (
                "groups",
                .array(
                    queue.groups.map { group in
                        .object([
                            ("code", .string(group.code)),
                            ("title", .string(group.title)),
                            ("file", group.file.map { .string($0.rawValue) }),
                            ("field", group.pattern.map { .string($0) }),
                            ("clearedAlone", .number(group.clearedAlone)),
                            (
                                "claims",
                                .array(
                                    group.items.map { item in
                                        .object([
                                            ("claimId", .string(item.entry.claimID)),
                                            ("sessionId", .string(item.entry.sessionID)),
                                            ("attendeeId", .string(item.entry.attendee.rawValue)),
                                            ("message", .string(item.reason.message)),
                                            ("field", item.reason.fix.map { .string($0.path) }),
                                            ("alternativeCpt", item.reason.alternative.map { .string($0) }),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }
}
