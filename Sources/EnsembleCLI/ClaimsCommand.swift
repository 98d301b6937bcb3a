import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService
import EnsembleSystem
import Foundation

struct ClaimsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract:
            "Reconcile sessions into per-attendee claims: every attendee, billed or not and why; CSV or X12 837P.",
        discussion: """
            Each folder is drafted (quietly) and reconciled by the BillingReconciler with the payer rules in \
            Agents/billing-reconciler/. A claim is ready only once its attendee's note is signed; drafts are \
            never signed, so claims from a fresh draft are pendingSignature. Claims for the same client, \
            date and code in several folders are flagged as duplicates. An 837P holds the claims that are \
            not blocked, all sessions in one interchange; a test file (ISA15=T) unless --production, which \
            takes ready claims only.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
        case x12 = "837p"
    }

    @Argument(help: "One or more scenario folders.")
    var directories: [String]

    @Option(help: "table, json, csv or 837p.")
    var format: Format = .table

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    @Option(name: .customLong("control-number"), help: "837P interchange control number (default: from the clock).")
    var controlNumber: Int?

    @Option(help: "837P creation time, ISO 8601 with offset (default: now).")
    var created: String?

    @Flag(help: "837P production file (ISA15=P): ready claims only.")
    var production = false

    @OptionGroup var input: InputOptions

    func validate() throws {
        guard !self.directories.isEmpty else { throw ValidationError("give at least one scenario folder") }
        if let controlNumber = self.controlNumber, !(1...999_999_999).contains(controlNumber) {
            throw ValidationError("--control-number must be 1 to 999999999")
        }
        if let created = self.created, Timestamp(iso8601: created) == nil {
            throw ValidationError(
                "--created must be an ISO 8601 date-time with offset, such as 2026-05-20T12:00:00-05:00")
        }
        if self.format != .x12 && (self.controlNumber != nil || self.created != nil || self.production) {
            throw ValidationError("--control-number, --created and --production apply to --format 837p")
        }
    }

    func run() async throws {
        let agents = try AgentsDirectory.load(explicit: self.input.agents, reader: self.input.reader)
        // One drafting service for every folder: the agents' configuration is compiled once.
        let service = DraftingService(agents: agents)
        var sessions: [(session: Session, billing: BillingResult)] = []
        for directory in self.directories {
            let scenario = try ScenarioLoader(reader: self.input.reader).load(directory)
            let outcome = try await service.draft(
                scenario.session, sessionJSON: scenario.sessionJSON, transcript: scenario.transcript)
            sessions.append((scenario.session, outcome.run.billing))
        }
        let flagged = BillingReconciliation.flagDuplicates(sessions.map(\.billing))
        for index in sessions.indices { sessions[index].billing = flagged[index] }

        let text: String
        switch self.format {
        case .table: text = ClaimsTable.render(sessions)
        case .json: text = JSONWriter.write(ClaimsReport.json(sessions, rulesVersion: agents.drafting.billing.version))
        case .csv: text = ClaimsReport.csv(sessions)
        case .x12: text = try self.interchange(sessions, settings: agents.interchange)
        }
        if let output = self.output {
            // Claims carry names, birth dates and member ids: readable by the owner only.
            try PrivateFile.write(Array(text.utf8), to: output)
        } else {
            Console.out(text)
        }
    }

    private func interchange(_ sessions: [(session: Session, billing: BillingResult)], settings: InterchangeSettings)
        throws -> String
    {
        var settings = settings
        settings.production = settings.production || self.production
        let claims = sessions.flatMap(\.billing.claims)
        let exported = claims.filter { settings.production ? $0.status == .ready : $0.status != .blocked }
        let blocked = claims.filter { $0.status == .blocked }.count
        let pending = exported.filter { $0.status == .pendingSignature }.count
        guard !exported.isEmpty else {
            let why =
                settings.production
                ? "none is ready (a claim is ready once its attendee's note is signed)"
                : "every claim is blocked"
            throw CommandFailure(
                message: "no claim to export: \(why); see ensemble claims --format table", exitCode: 1)
        }
        let now = Date().timeIntervalSince1970
        let created =
            self.created.flatMap { Timestamp(iso8601: $0) }
            ?? Timestamp(secondsSinceEpoch: now, utcOffsetSeconds: TimeZone.current.secondsFromGMT())
        let control = self.controlNumber ?? max(1, Int(now) % 1_000_000_000)
        let file: String
        do {
            file = try X12ClaimWriter.write(exported, settings: settings, controlNumber: control, created: created)
        } catch {
            throw CommandFailure(message: error.description, exitCode: 1)
        }
        var summary = "837P: \(exported.count) claim(s), control number \(control)"
        summary += settings.production ? ", production file" : ", test file (ISA15=T)"
        if pending > 0 { summary += "; \(pending) pending signature" }
        if blocked > 0 { summary += "; \(blocked) blocked claim(s) left out (see --format table)" }
        Console.error(summary)
        return file
    }
}

/// Claims for billing staff: per session, every attendee with their claim or why they are not billed,
/// then what must be fixed.
enum ClaimsTable {
    static func render(_ sessions: [(session: Session, billing: BillingResult)]) -> String {
        var lines: [String] = []
        var counts: [ClaimStatus: Int] = [:]
        for (session, billing) in sessions {
            if !lines.isEmpty { lines.append("") }
            let modality = session.modality?.rawValue ?? "modality not given"
            lines.append(
                "Session \(session.id) · \(session.kind.rawValue) · \(session.start.localDate) · "
                    + "\(session.durationMinutes) min · \(modality) · POS \(session.placeOfService ?? "none")")
            lines.append(
                "  " + Text.pad("Attendee", 26) + Text.pad("Role", 18) + Text.pad("Codes", 22) + Text.pad("Dx", 22)
                    + Text.pad("Payer", 18) + Text.padLeft("Charge", 8) + "  Status")
            // Session-wide problems (the practice's NPI, the place of service) are printed once, below.
            let sessionWide = billing.findings.filter { $0.person == nil }
            let sessionWideMessages = Set(sessionWide.map(\.message))
            for disposition in billing.dispositions {
                let attendee = session.attendee(disposition.attendee)
                let who = Text.pad(
                    Text.truncate("\(disposition.attendee) \(attendee?.name ?? "")", 25), 26)
                let role = Text.pad(attendee?.role.rawValue ?? "", 18)
                guard let id = disposition.claimID, let claim = billing.claims.first(where: { $0.id == id }) else {
                    lines.append("  " + who + role + disposition.explanation)
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
                where reason.severity != .info && !sessionWideMessages.contains(reason.message) {
                    lines.append("      \(reason.severity.rawValue): \(reason.message)")
                }
            }
            for finding in sessionWide {
                lines.append("  \(finding.severity.rawValue) (session): \(finding.message)")
            }
        }
        lines.append("")
        let total = counts.values.reduce(0, +)
        lines.append(
            "\(total) claim(s): \(counts[.ready] ?? 0) ready, \(counts[.pendingSignature] ?? 0) pending signature, "
                + "\(counts[.blocked] ?? 0) blocked")
        return lines.joined(separator: "\n")
    }
}
