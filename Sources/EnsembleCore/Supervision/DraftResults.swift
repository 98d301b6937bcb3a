/// What the drafting agents returned for one session, and how it becomes a `SessionRun`: the same
/// steps whether the supervisor fanned the agents out or `SequentialDrafting` called them in turn.
struct DraftResults: Sendable {
    var risk: RiskScreen?
    var groupNote: GroupNote?
    var conflicts: [GoalConflict] = []
    var drafts: [PersonID: StructuredNote] = [:]
    var progress: [PersonID: [GoalProgress]] = [:]
    var failures: [AgentError] = []
    /// What a language model did for each attendee it drafted for, as the drafters returned it.
    var modelRecords: [ModelDraftRecord] = []

    /// Puts the results in a fixed order: an attendee whose draft failed gets a manual note, and their
    /// plan progress goes with it; failures are sorted by attendee and agent.
    mutating func settle() {
        for failure in self.failures where failure.agent == .noteDrafter {
            if let attendee = failure.attendee { self.progress[attendee] = nil }
        }
        self.modelRecords.sort { $0.attendee.rawValue < $1.attendee.rawValue }
        self.failures.sort {
            ($0.attendee?.rawValue ?? "", $0.agent.rawValue) < ($1.attendee?.rawValue ?? "", $1.agent.rawValue)
        }
    }

    /// The notes assembled and every finding so far, waiting for the claims.
    struct Assembled: Sendable {
        var attributed: AttributedSession
        var notes: [ClientNote]
        var groupNote: GroupNote
        var skipped: [SkippedAttendee]
        var risk: RiskScreen
        var alignment: PlanAlignment
        var findings: [Finding]
        var modelRecords: [ModelDraftRecord]

        func run(billing: BillingResult) -> SessionRun {
            var run = SessionRun(
                attributed: self.attributed, notes: self.notes, groupNote: self.groupNote, skipped: self.skipped,
                risk: self.risk, alignment: self.alignment, billing: billing,
                findings: self.findings + billing.findings)
            run.modelRecords = self.modelRecords
            return run
        }
    }

    func assembled(facts: SessionFacts, assembly: NoteAssembly) -> Assembled {
        let attributed = facts.attributed
        let session = facts.session
        var findings = attributed.attribution.findings
        for failure in self.failures {
            findings.append(
                Finding(
                    code: failure.code == .timedOut ? .agentTimedOut : .draftFailed, severity: .error,
                    person: failure.attendee,
                    message: failure.message
                )
            )
        }
        let risk = self.risk ?? RiskScreen()
        for flag in risk.flags where flag.attendee == nil {
            findings.append(
                Finding(
                    code: .riskUnattributed, severity: .warning,
                    message:
                        "A risk statement (\(flag.category.rawValue), \(flag.level.rawValue)) was made by a speaker "
                        + "who could not be identified; review the utterances and relabel.",
                    evidence: flag.evidence
                )
            )
        }
        for conflict in self.conflicts {
            findings.append(
                Finding(
                    code: .goalConflict, severity: .info, person: conflict.members.first,
                    message:
                        "Goals \(conflict.goals.joined(separator: ", ")) pull against each other (\(conflict.theme)); "
                        + "suggested shared objective: \(conflict.suggestedObjective)"
                )
            )
        }
        let groupNote = self.groupNote ?? assembly.manualGroupNote(attendees: session.presentAttendees.map(\.id))
        let output = assembly.assemble(
            facts: facts, drafts: self.drafts, progress: self.progress, risk: self.risk, groupNote: groupNote)
        let order = Dictionary(uniqueKeysWithValues: session.attendees.enumerated().map { ($1.id, $0) })
        let progress = self.progress.values.flatMap { $0 }.sorted {
            (order[$0.attendee] ?? 0, $0.goalID, $0.objectiveID ?? "") < (
                order[$1.attendee] ?? 0, $1.goalID, $1.objectiveID ?? ""
            )
        }
        return Assembled(
            attributed: attributed, notes: output.notes, groupNote: output.groupNote, skipped: output.skipped,
            risk: risk, alignment: PlanAlignment(progress: progress, conflicts: self.conflicts),
            findings: findings + output.findings, modelRecords: self.modelRecords)
    }

    /// What the BillingReconciler is told about each attendee's note: none is signed (drafts never are).
    static func readiness(of notes: [ClientNote], in session: Session) -> [PersonID: NoteReadiness] {
        var readiness: [PersonID: NoteReadiness] = [:]
        for note in notes { readiness[note.attendee] = note.aiGenerated ? .draft : .manualNoteRequired }
        for attendee in session.attendees where readiness[attendee.id] == nil {
            readiness[attendee.id] = .manualNoteRequired
        }
        return readiness
    }
}

/// What a drafting run needs besides segmentation and attribution, compiled once per supervisor:
/// the agents, the facts' lexicons and the assembly's filters.
final class CompiledDrafting: Sendable {
    let agents: SessionSupervisor.Agents
    let readers: SessionFacts.Readers
    let assembly: NoteAssembly

    /// Nil without a drafting configuration. `lexicon` is the attributor's, compiled once for both.
    init?(_ configuration: SessionSupervisor.Configuration, agents: SessionSupervisor.Agents, lexicon: CompiledLexicon)
    {
        guard let drafting = configuration.drafting else { return nil }
        self.agents = agents
        self.readers = SessionFacts.Readers(names: lexicon, interventions: drafting.interventions)
        self.assembly = NoteAssembly(drafter: drafting.drafter, lexicon: lexicon)
    }
}

/// The drafting run's steps over the same agents as `SessionSupervisor`, called one after another on
/// the calling task: no admission, fan-out, timeouts or events. The benchmarks measure the
/// supervisor's overhead against it, and tests check the supervisor's output is the same.
public struct SequentialDrafting: Sendable {
    private let segmentation: Segmentation
    private let attribution: AttributionEngine
    private let compiled: CompiledDrafting

    /// - Parameter agents: the drafting agents (the live ones when nil).
    public init(configuration: SessionSupervisor.Configuration, agents: SessionSupervisor.Agents? = nil) {
        let attribution = AttributionEngine(configuration: configuration.attributor)
        guard let drafting = configuration.drafting,
            let compiled = CompiledDrafting(
                configuration, agents: agents ?? SessionSupervisor.Agents(drafting), lexicon: attribution.lexicon)
        else {
            preconditionFailure("SequentialDrafting needs a drafting configuration")
        }
        self.segmentation = Segmentation(configuration: configuration.segmenter)
        self.attribution = attribution
        self.compiled = compiled
    }

    /// Every agent in turn; an agent's error propagates (there is no failure isolation here).
    public func draft(_ session: Session, transcript: Transcript) async throws -> SessionRun {
        let segmented = try await TranscriptSegmenter(compiled: self.segmentation).segment(
            transcript, session: session.id)
        let roster = Roster(session: session)
        let attribution = try await SpeakerAttributor(compiled: self.attribution).attribute(
            segmented, roster: roster, hints: session.speakerHints, session: session.id)
        let attributed = AttributedSession(
            session: session, roster: roster, segmented: segmented, attribution: attribution)
        let context = DraftingContext(facts: SessionFacts(attributed: attributed, readers: self.compiled.readers))
        let agents = self.compiled.agents
        var results = DraftResults()
        results.risk = try await agents.screener().screen(context)
        results.groupNote = try await agents.summarizer().summarize(context)
        results.conflicts = try await agents.aligner().conflicts(in: context)
        for attendee in session.attendees where attendee.present && (attendee.consent?.aiDrafting ?? false) {
            let draft = try await agents.drafter().draft(for: attendee.id, in: context)
            results.drafts[attendee.id] = draft.note
            if let record = draft.model { results.modelRecords.append(record) }
            results.progress[attendee.id] = try await agents.aligner().align(attendee.id, in: context)
        }
        results.settle()
        let drafted = results.assembled(facts: context.facts, assembly: self.compiled.assembly)
        let billing = try await agents.billing().reconcile(
            session, notes: DraftResults.readiness(of: drafted.notes, in: session))
        return drafted.run(billing: billing)
    }
}
