public import EnsembleCore

/// Claims as JSON and CSV for billing staff: every attendee, billed or not and why. Ids, codes and
/// amounts only: names and addresses stay in the 837P, which is meant for the payer.
public enum ClaimsReport {
    public static func claim(_ claim: Claim) -> JSONNode {
        let primary = claim.lines.first
        let lines: [JSONNode] = claim.lines.map(self.line)
        let reasons: [JSONNode] = claim.reasons.map(self.reason)
        var payer: JSONNode? = nil
        if let claimPayer = claim.payer {
            payer = .object([
                ("payerId", .string(claimPayer.payerId)),
                ("name", .string(claimPayer.name)),
                ("profile", .string(claimPayer.profile)),
                ("claimFilingIndicator", .string(claimPayer.claimFilingIndicator)),
            ])
        }
        let modifiers: [JSONNode] = (primary?.modifiers ?? []).map { .string($0) }
        let addOns: [JSONNode] = claim.lines.dropFirst().map { .string($0.cpt) }
        let diagnoses: [JSONNode] = claim.diagnoses.map { .string($0) }
        var members: [(String, JSONNode?)] = [
            ("attendeeId", .string(claim.attendee.rawValue)),
            ("cpt", .string(claim.cpt)),
            ("modifiers", .array(modifiers)),
            ("units", .number(primary?.units ?? 0)),
            ("claimId", .string(claim.id)),
            ("sessionId", .string(claim.sessionID.rawValue)),
            ("status", .string(claim.status.rawValue)),
            ("addOns", .array(addOns)),
            ("dateOfService", .string(claim.dateOfService.description)),
            ("minutes", .number(claim.minutes)),
        ]
        members += [
            ("placeOfService", claim.placeOfService.map { .string($0) }),
            ("diagnoses", .array(diagnoses)),
            ("lines", .array(lines)),
            ("charge", .string(self.dollars(claim.totalChargeInCents))),
            ("payer", payer),
            ("patientIsSubscriber", .bool(claim.subscriber == nil)),
            ("renderingProviderId", claim.renderingProvider?.id.map { .string($0.rawValue) }),
            ("renderingNpi", claim.renderingProvider.map { .string($0.npi) }),
            ("billingNpi", claim.billingProvider.map { .string($0.npi) }),
            ("reasons", .array(reasons)),
        ]
        return .object(members)
    }

    static func line(_ line: ClaimLine) -> JSONNode {
        let modifiers: [JSONNode] = line.modifiers.map { .string($0) }
        let pointers: [JSONNode] = line.diagnosisPointers.map { .number($0) }
        return .object([
            ("cpt", .string(line.cpt)),
            ("modifiers", .array(modifiers)),
            ("units", .number(line.units)),
            ("charge", .string(self.dollars(line.chargeInCents))),
            ("diagnosisPointers", .array(pointers)),
        ])
    }

    /// `code` is the reason's stable identifier; `finding` the run report's coarser finding code; `stops`
    /// says whether it blocks the claim or makes it not billable; `fix` names the field to fill.
    public static func reason(_ reason: ClaimReason) -> JSONNode {
        .object([
            ("code", .string(reason.code.rawValue)),
            ("finding", .string(reason.finding.rawValue)),
            ("severity", .string(reason.severity.rawValue)),
            ("stops", reason.stops.map { .string($0.rawValue) }),
            ("message", .string(reason.message)),
            ("fix", reason.fix.map(self.fix)),
            ("alternativeCpt", reason.alternative.map { .string($0) }),
        ])
    }

    /// A reason's field to fix: `file` and `path`.
    public static func fix(_ fix: ClaimFix) -> JSONNode {
        .object([("file", .string(fix.file.rawValue)), ("path", .string(fix.path))])
    }

    public static func disposition(_ disposition: BillingDisposition) -> JSONNode {
        .object([
            ("attendeeId", .string(disposition.attendee.rawValue)),
            ("billed", .bool(disposition.claimID != nil)),
            ("claimId", disposition.claimID.map { .string($0) }),
            ("notBilled", disposition.notBilled.map { .string($0.rawValue) }),
            ("explanation", .string(disposition.explanation)),
        ])
    }

    /// `ensemble claims --format json`: per session, the claims, every attendee's disposition and the
    /// billing findings.
    public static func json(_ sessions: [(session: Session, billing: BillingResult)], rulesVersion: String) -> JSONNode
    {
        .object([
            ("rulesVersion", .string(rulesVersion)),
            (
                "sessions",
                .array(
                    sessions.map { entry in
                        .object([
                            ("sessionId", .string(entry.session.id.rawValue)),
                            ("kind", .string(entry.session.kind.rawValue)),
                            ("claims", .array(entry.billing.claims.map(self.claim))),
                            ("attendees", .array(entry.billing.dispositions.map(self.disposition))),
                            ("findings", .array(entry.billing.findings.map(AttributionReport.finding))),
                            ("sessionReasons", .array(entry.billing.sessionReasons.map(self.reason))),
                        ])
                    })
            ),
        ])
    }

    /// One row per attendee per session: billed ones with their claim, the rest with the reason.
    public static func csv(_ sessions: [(session: Session, billing: BillingResult)]) -> String {
        let header = [
            "sessionId", "dateOfService", "attendeeId", "role", "billed", "claimId", "status", "cpt", "addOns",
            "modifiers", "units", "placeOfService", "diagnoses", "charge", "payerId", "payerProfile",
            "renderingNpi", "reasons", "reasonCodes", "fix", "alternativeCpt",
        ]
        var rows = [header]
        for (session, billing) in sessions {
            for disposition in billing.dispositions {
                let role = session.attendee(disposition.attendee)?.role.rawValue ?? ""
                guard let id = disposition.claimID, let claim = billing.claims.first(where: { $0.id == id }) else {
                    rows.append([
                        session.id.rawValue, session.start.localDate.description, disposition.attendee.rawValue, role,
                        "no", "", "", "", "", "", "", "", "", "", "", "", "", disposition.explanation,
                        disposition.notBilled?.rawValue ?? "", "", "",
                    ])
                    continue
                }
                let primary = claim.lines.first
                rows.append([
                    session.id.rawValue, claim.dateOfService.description, claim.attendee.rawValue, role, "yes",
                    claim.id,
                    claim.status.rawValue, claim.cpt, claim.lines.dropFirst().map(\.cpt).joined(separator: " "),
                    (primary?.modifiers ?? []).joined(separator: " "), String(primary?.units ?? 0),
                    claim.placeOfService ?? "", claim.diagnoses.joined(separator: " "),
                    self.dollars(claim.totalChargeInCents), claim.payer?.payerId ?? "", claim.payer?.profile ?? "",
                    claim.renderingProvider?.npi ?? "",
                    claim.reasons.filter { !$0.restatesStatus }.map(\.message).joined(separator: " | "),
                    claim.reasons.filter { !$0.restatesStatus }.map(\.code.rawValue).joined(separator: " "),
                    claim.reasons.compactMap(\.fix?.description).joined(separator: " | "),
                    claim.reasons.compactMap(\.alternative).first ?? "",
                ])
            }
        }
        return rows.map { $0.map(self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// Quotes a field when it holds a comma, quote or line break (RFC 4180); a leading `=`, `+`, `-` or
    /// `@` is prefixed with `'` so a spreadsheet never runs it as a formula.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacing("\"", with: "\"\"") + "\""
    }

    /// `65.00`.
    public static func dollars(_ cents: Int) -> String { "\(cents / 100).\(Digits.padded(cents % 100, 2))" }
}
