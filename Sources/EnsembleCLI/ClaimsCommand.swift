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
            Agents/billing-reconciler/. A claim is ready once its attendee's note is signed; drafts are never \
            signed, so claims from a fresh draft are pendingSignature. A claim is blocked when data is missing \
            or invalid (each reason names the field to fix) and notBillable when the service cannot support the \
            code (too short, not covered, a duplicate: drop it, or bill the code a reason offers instead). \
            Claims for the same client, date and code in several folders are flagged as duplicates. \
            --status blocked lists the blocked claims grouped by what to fix, the fix that clears most first. \
            An 837P holds the ready and pendingSignature claims, all sessions in one interchange; a test file \
            (ISA15=T) unless --production, which takes ready claims only.
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

    @Option(
        help: ArgumentHelp(
            "Only claims with this status: ready, pendingSignature, blocked or notBillable. blocked and notBillable "
                + "list the claims grouped by what to fix (table or json)."))
    var status: ClaimStatusOption?

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
        if self.status != nil && (self.format == .x12 || self.format == .csv) {
            throw ValidationError("--status applies to --format table and json")
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
        switch (self.format, self.status?.status) {
        case (.table, .blocked?), (.table, .notBillable?), (.json, .blocked?), (.json, .notBillable?):
            let status = self.status?.status ?? .blocked
            let queue = ClaimWorkQueue(claims: sessions.flatMap(\.billing.claims), status: status)
            let unbilled = sessions.compactMap { entry -> (id: String, reasons: [ClaimReason])? in
                let reasons = entry.billing.sessionReasons.filter { $0.stops == status }
                return entry.billing.claims.isEmpty && !reasons.isEmpty ? (entry.session.id.rawValue, reasons) : nil
            }
            text =
                self.format == .json
                ? JSONWriter.write(WorkQueueText.json(queue, status: status))
                : WorkQueueText.render(queue, status: status, sessions: unbilled)
        case (_, let status?):
            let kept = sessions.compactMap { entry -> (session: Session, billing: BillingResult)? in
                var billing = entry.billing
                billing.claims = billing.claims.filter { $0.status == status }
                guard !billing.claims.isEmpty else { return nil }
                let ids = Set(billing.claims.map(\.id))
                billing.dispositions = billing.dispositions.filter { $0.claimID.map(ids.contains) ?? false }
                return (session: entry.session, billing: billing)
            }
            text =
                self.format == .json
                ? JSONWriter.write(ClaimsReport.json(kept, rulesVersion: agents.drafting.billing.version))
                : ClaimsTable.render(kept)
        case (.table, nil): text = ClaimsTable.render(sessions)
        case (.json, nil):
            text = JSONWriter.write(ClaimsReport.json(sessions, rulesVersion: agents.drafting.billing.version))
        case (.csv, nil): text = ClaimsReport.csv(sessions)
        case (.x12, nil): text = try self.interchange(sessions, settings: agents.interchange)
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
        let exported = claims.filter { settings.production ? $0.status == .ready : $0.status.isSubmittable }
        let blocked = claims.filter { $0.status == .blocked }.count
        let notBillable = claims.filter { $0.status == .notBillable }.count
        let pending = exported.filter { $0.status == .pendingSignature }.count
        guard !exported.isEmpty else {
            let why =
                settings.production
                ? "none is ready (a claim is ready once its attendee's note is signed)"
                : "every claim is blocked or not billable"
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
        if blocked > 0 { summary += "; \(blocked) blocked claim(s) left out (see --status blocked)" }
        if notBillable > 0 { summary += "; \(notBillable) not billable claim(s) left out (see --status notBillable)" }
        Console.error(summary)
        return file
    }
}
