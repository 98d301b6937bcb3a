import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService
import EnsembleStore
import Foundation
import Synchronization

struct DraftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draft",
        abstract: "Draft one note per attendee, the group note, plan progress and risk flags for a session.",
        discussion: """
            Drafts are drafts: every note is marked AI-generated and needs the clinician's review and \
            signature. Attendees without AI-drafting consent get a blank template marked "manual note \
            required". Progress goes to standard error; --quiet silences it.
            """
    )

    @Argument(help: "A scenario folder.")
    var directory: String

    @Flag(help: "Print the run report as JSON (docs/scenario-format.md).")
    var json = false

    @Flag(name: .customLong("no-text"), help: "Leave utterance text out of the JSON (the notes keep theirs).")
    var noText = false

    @Option(name: .customLong("attendee"), help: "Print only this attendee's note (human output).")
    var attendee: String?

    @Flag(help: "Show each sentence's evidence (utterance indexes) in the human output.")
    var evidence = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    @Option(name: .customLong("concurrency"), help: "How many agents run at once.")
    var concurrency: Int = 4

    @Option(name: .customLong("agent-timeout"), help: "Seconds one agent may take before its work is abandoned.")
    var agentTimeout: Int = 120

    @OptionGroup var input: InputOptions

    @OptionGroup var store: StoreOptions

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard self.concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard self.agentTimeout >= 1 else { throw ValidationError("--agent-timeout must be at least 1 second") }
    }

    func run() async throws {
        let (scenario, agents) = try self.input.load(self.directory)
        if let attendee = self.attendee, !scenario.session.attendees.contains(where: { $0.id.rawValue == attendee }) {
            throw ValidationError("--attendee names no attendee of this session")
        }
        let service = DraftingService(
            agents: agents, engine: try self.modelOptions.engine(agents), concurrency: self.concurrency,
            agentTimeout: .seconds(self.agentTimeout))
        let lines = ProgressLines(console: Console.current)
        let progress: SupervisorProgress? = self.quiet ? nil : { @Sendable event in lines.report(event) }
        // With a user named, the session's speaker corrections apply and the run is kept in the store.
        let user = self.store.actingUser
        let store = user == nil ? nil : try await self.store.open()
        let outcome = try await service.draft(
            scenario.session, sessionJSON: scenario.sessionJSON, transcript: scenario.transcript, store: store,
            as: user, progress: progress)
        let run = outcome.run
        if !self.quiet {
            if let usage = outcome.model { Console.error(Self.summary(usage)) }
            Console.error(Self.stored(outcome.recorded, path: self.store.location.description))
        }
        if self.json {
            let report = RunReport.json(
                run,
                context: RunReport.Context(
                    transcriptFiles: scenario.transcriptFiles, includeText: !self.noText,
                    disclaimer: agents.drafting.drafter.disclaimer, agents: agents.versions,
                    agentsFolder: agents.directory, model: outcome.model
                )
            )
            Console.out(JSONWriter.write(report))
        } else {
            Console.out(
                DraftText.render(
                    run, files: scenario.transcriptFiles, disclaimer: agents.drafting.drafter.disclaimer,
                    only: self.attendee.map(PersonID.init), evidence: self.evidence
                )
            )
        }
    }
}

extension DraftCommand {
    /// One line on standard error: where the run was kept, or how to keep it.
    static func stored(_ recorded: RecordedRun?, path: String) -> String {
        guard let recorded else {
            return "[ensemble] not stored: name the user drafting with --as to keep the run in \(path)"
        }
        let counts = Dictionary(grouping: recorded.notes.values, by: \.change).mapValues(\.count)
        let summary = [NoteChange.created, .redrafted, .besideEdit, .unchanged, .locked].compactMap { change in
            counts[change].map { "\($0) \(change.rawValue)" }
        }
        return "[ensemble] stored as run \(recorded.runID) in \(path): notes \(summary.joined(separator: ", ")); "
            + "\(recorded.newFlags) new risk flag(s)"
    }

    /// One line on standard error: what the model did, by counts only.
    static func summary(_ usage: RunReport.ModelUsage) -> String {
        let accepted = usage.records.filter { if case .accepted = $0.outcome { true } else { false } }.count
        let tokens = usage.usage
        let cost = usage.cost.map { String(format: ", about $%.4f", $0) } ?? ""
        return "[ensemble] model \(usage.model): \(usage.records.reduce(0) { $0 + $1.requests }) request(s), "
            + "\(tokens.prompt) prompt and \(tokens.completion) completion tokens\(cost); "
            + "\(accepted) of \(usage.records.count) drafts used the model's sentences, "
            + "\(usage.records.count - accepted) fell back to the deterministic draft"
    }
}

/// Progress lines on standard error, by agent and attendee id only. Events arrive from the agents'
/// threads, so the count is kept under a lock and each line is written whole.
final class ProgressLines: Sendable {
    private let console: Console
    private let counts = Mutex<(total: Int, done: Int)>((0, 0))

    init(console: Console) { self.console = console }

    func report(_ event: SupervisorEvent) {
        func line(_ text: String) { self.console.writeError(text + "\n") }
        func done() -> String {
            let (total, done) = self.counts.withLock { counts in
                counts.done += 1
                return (counts.total, counts.done)
            }
            return "\(done)/\(total)"
        }
        switch event {
        case .segmented(let utterances, let segments):
            line("[ensemble] segmented \(utterances) utterances into \(segments) segments")
        case .attributed(let speakers, let unknown):
            line("[ensemble] attributed \(speakers) speaker labels (\(unknown) utterances unknown)")
        case .fanningOut(let jobs): self.counts.withLock { $0.total = jobs }
        case .agentStarted, .finished: break
        case .agentFinished(let agent, let attendee):
            line("[ensemble] \(done()) \(agent)\(attendee.map { " \($0)" } ?? "") done")
        case .agentFailed(let agent, let attendee, let reason):
            line("[ensemble] \(done()) \(agent)\(attendee.map { " \($0)" } ?? "") \(reason)")
        }
    }
}

/// The drafted session for a person: each note, the group note, risk, plan progress and findings.
enum DraftText {
    static func render(_ run: SessionRun, files: [String], disclaimer: String, only: PersonID?, evidence: Bool)
        -> String
    {
        let session = run.attributed.session
        let roster = run.attributed.roster
        func name(_ id: PersonID) -> String { roster.person(id).map { "\($0.name) (\(id))" } ?? id.rawValue }
        func cite(_ sentence: NoteSentence) -> String {
            guard evidence else { return "" }
            switch sentence.basis {
            case .transcript: return " [" + sentence.evidence.map(String.init).joined(separator: ", ") + "]"
            case .metadata: return " [" + (sentence.source ?? "session") + "]"
            case .notAssessed, .manual, .clinician: return ""
            }
        }
        func sections(_ sections: [NoteSection]) -> [String] {
            sections.flatMap { section in
                ["  \(section.title)"] + section.sentences.map { "    \($0.text)\(cite($0))" }
            }
        }

        var lines: [String] = []
        let present = session.attendees.filter(\.present).count
        lines.append(
            "Session \(session.id) · \(session.kind.rawValue) · \(session.durationMinutes) min · "
                + "\(present) of \(session.attendees.count) attendees present · \(files.joined(separator: ", "))"
        )
        lines.append("DRAFT · \(disclaimer)")
        for note in run.notes where only == nil || note.attendee == only {
            lines.append("")
            let marking = note.aiGenerated ? "draft, AI-generated" : "manual note required"
            lines.append("== \(name(note.attendee)) · \(note.format.rawValue) · \(marking) ==")
            lines += sections(note.sections)
        }
        if let only {
            if !run.notes.contains(where: { $0.attendee == only }) {
                let reason = run.skipped.first { $0.attendee == only }?.reason.rawValue ?? "no note"
                lines.append("")
                lines.append("\(only): no note (\(reason))")
            }
            return lines.joined(separator: "\n")
        }
        lines.append("")
        lines.append("== Group note · linked to \(run.groupNote.attendees.map(\.rawValue).joined(separator: ", ")) ==")
        lines += run.groupNote.sections.isEmpty ? ["  (not drafted; see findings)"] : sections(run.groupNote.sections)

        lines.append("")
        lines.append("Risk flags")
        if run.risk.flags.isEmpty { lines.append("  none found (screening is not a risk assessment)") }
        for flag in run.risk.flags {
            let route = flag.route == .supervisorReview ? "→ supervisor review" : "→ clinician review"
            let cssrs = flag.cssrsItem.map { " · C-SSRS item \($0)" } ?? ""
            lines.append(
                "  \(Text.pad(flag.attendee?.rawValue ?? "unknown", 10)) \(Text.pad(flag.category.rawValue, 24)) "
                    + "\(Text.pad(flag.level.rawValue, 9)) \(route)\(cssrs) · utterances "
                    + flag.evidence.map(String.init).joined(separator: ", ")
            )
            if !flag.indicators.isEmpty { lines.append("      " + flag.indicators.joined(separator: "; ")) }
        }

        if !run.alignment.progress.isEmpty {
            lines.append("")
            lines.append("Treatment-plan progress")
            for item in run.alignment.progress {
                let id = item.objectiveID.map { "\(item.goalID)/\($0)" } ?? item.goalID
                let cited =
                    item.evidence.isEmpty
                    ? "" : " · utterances " + item.evidence.map(String.init).joined(separator: ", ")
                lines.append(
                    "  \(Text.pad(item.attendee.rawValue, 10)) \(Text.pad(id, 10)) \(item.status.rawValue)\(cited)")
            }
        }
        if !run.alignment.conflicts.isEmpty {
            lines.append("")
            lines.append("Goal conflicts")
            for conflict in run.alignment.conflicts {
                lines.append("  \(conflict.goals.joined(separator: " vs ")) (\(conflict.theme))")
                lines.append("      suggested shared objective: \(conflict.suggestedObjective)")
            }
        }
        if !run.skipped.isEmpty {
            lines.append("")
            lines.append("Skipped")
            for skipped in run.skipped {
                lines.append("  \(Text.pad(skipped.attendee.rawValue, 10)) \(skipped.reason.rawValue)")
            }
        }
        lines.append("")
        lines.append("Findings")
        if run.findings.isEmpty { lines.append("  none") }
        let ordered = run.findings.enumerated().sorted {
            ($1.element.severity, $0.offset) < ($0.element.severity, $1.offset)
        }
        for (_, finding) in ordered {
            let who = finding.person?.rawValue ?? finding.label ?? "session"
            lines.append("  \(Text.pad(finding.severity.rawValue, 8)) \(Text.pad(who, 10)) \(finding.message)")
        }
        return lines.joined(separator: "\n")
    }
}
