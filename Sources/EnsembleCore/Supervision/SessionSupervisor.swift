/// What the supervisor reports while a session runs.
public enum SupervisorEvent: Sendable, Hashable {
    case segmented(utterances: Int, segments: Int)
    case attributed(speakers: Int, unknownUtterances: Int)
    /// The drafting fan-out begins with this many agent jobs (one per drafted attendee, plus the shared ones).
    case fanningOut(jobs: Int)
    case agentStarted(agent: String, attendee: PersonID?)
    case agentFinished(agent: String, attendee: PersonID?)
    case agentFailed(agent: String, attendee: PersonID?, reason: String)
    case finished
}

/// A session after segmentation and attribution: what every later agent starts from.
public struct AttributedSession: Sendable, Hashable {
    public var session: Session
    public var roster: Roster
    public var segmented: SegmentedTranscript
    public var attribution: Attribution

    public init(session: Session, roster: Roster, segmented: SegmentedTranscript, attribution: Attribution) {
        self.session = session
        self.roster = roster
        self.segmented = segmented
        self.attribution = attribution
    }
}

/// An agent's failure, by agent and attendee id (never by content).
public struct AgentError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case timedOut, failed
    }

    public var code: Code
    public var agent: String
    public var attendee: PersonID?
    public var message: String

    public init(_ code: Code, agent: String, attendee: PersonID?, message: String) {
        self.code = code
        self.agent = agent
        self.attendee = attendee
        self.message = message
    }

    public var description: String { self.message }
}

/// Runs the agents over one session: segment → attribute → fan out.
///
/// The fan-out is one task group: a child per attendee (draft, then align with the treatment plan)
/// alongside risk screening, the group summary and the goal-conflict check, at most
/// `concurrencyLimit` at a time, each under `agentTimeout`. A child that fails or times out becomes a
/// finding for its attendee (who gets a manual template) and the others finish. Cancelling the calling
/// task cancels every child and the run throws `CancellationError`. Results are assembled in roster
/// order, so the output is the same whatever order the children finish in. Progress leaves through
/// `events` (the newest kept when nobody reads).
public actor SessionSupervisor {
    public struct Configuration: Sendable {
        public var segmenter: SegmenterConfiguration
        public var attributor: AttributorConfiguration
        public var drafting: DraftingConfiguration?
        public var concurrencyLimit: Int
        public var agentTimeout: Duration

        public init(
            segmenter: SegmenterConfiguration, attributor: AttributorConfiguration,
            drafting: DraftingConfiguration? = nil,
            concurrencyLimit: Int = 4, agentTimeout: Duration = .seconds(120)
        ) {
            self.segmenter = segmenter
            self.attributor = attributor
            self.drafting = drafting
            self.concurrencyLimit = max(1, concurrencyLimit)
            self.agentTimeout = agentTimeout
        }
    }

    /// The drafting agents' configurations.
    public struct DraftingConfiguration: Sendable {
        public var drafter: NoteDrafterConfiguration
        public var summarizer: GroupSummarizerConfiguration
        public var aligner: PlanAlignerConfiguration
        public var screener: RiskScreenerConfiguration
        public var interventions: InterventionLexicon
        public var billing: BillingRules

        public init(
            drafter: NoteDrafterConfiguration, summarizer: GroupSummarizerConfiguration,
            aligner: PlanAlignerConfiguration,
            screener: RiskScreenerConfiguration, interventions: InterventionLexicon, billing: BillingRules
        ) {
            self.drafter = drafter
            self.summarizer = summarizer
            self.aligner = aligner
            self.screener = screener
            self.interventions = interventions
            self.billing = billing
        }
    }

    /// The agents the fan-out calls.
    public struct Agents: Sendable {
        public var drafter: any NoteDraftingAgent
        public var aligner: any PlanAligningAgent
        public var screener: any RiskScreeningAgent
        public var summarizer: any GroupSummarizingAgent
        public var billing: any BillingReconcilingAgent

        public init(
            drafter: any NoteDraftingAgent, aligner: any PlanAligningAgent, screener: any RiskScreeningAgent,
            summarizer: any GroupSummarizingAgent, billing: any BillingReconcilingAgent
        ) {
            self.drafter = drafter
            self.aligner = aligner
            self.screener = screener
            self.summarizer = summarizer
            self.billing = billing
        }

        /// The live, deterministic agents.
        public init(_ configuration: DraftingConfiguration) {
            self.init(
                drafter: NoteDrafter(configuration: configuration.drafter),
                aligner: PlanAligner(configuration: configuration.aligner),
                screener: RiskScreener(configuration: configuration.screener),
                summarizer: GroupSummarizer(configuration: configuration.summarizer, wording: configuration.drafter),
                billing: BillingReconciler(rules: configuration.billing)
            )
        }
    }

    private let configuration: Configuration
    private let segmenter: TranscriptSegmenter
    private let attributor: SpeakerAttributor
    private let agents: Agents?
    private let clock: any Clock<Duration>
    /// The attributor's lexicon, compiled once for the drafting runs' name handling (nil when this
    /// supervisor only attributes).
    private let lexicon: CompiledLexicon?
    public nonisolated let events: AsyncStream<SupervisorEvent>
    private let continuation: AsyncStream<SupervisorEvent>.Continuation

    public init(configuration: Configuration) {
        self.init(
            configuration: configuration, agents: configuration.drafting.map(Agents.init), clock: ContinuousClock())
    }

    /// - Parameters:
    ///   - agents: the drafting agents (live ones by default; tests pass scripted fakes).
    ///   - clock: the clock agent timeouts are measured on.
    public init(configuration: Configuration, agents: Agents?, clock: any Clock<Duration>) {
        self.configuration = configuration
        self.segmenter = TranscriptSegmenter(configuration: configuration.segmenter)
        self.attributor = SpeakerAttributor(configuration: configuration.attributor)
        self.agents = agents
        self.clock = clock
        self.lexicon = agents == nil ? nil : CompiledLexicon(configuration.attributor.lexicon)
        (self.events, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    deinit { self.continuation.finish() }

    /// Segments and attributes one session's transcript.
    public func attribute(_ session: Session, transcript: Transcript) async throws -> AttributedSession {
        let attributed = try await self.segmentAndAttribute(session, transcript: transcript)
        self.continuation.yield(.finished)
        return attributed
    }

    private func segmentAndAttribute(_ session: Session, transcript: Transcript) async throws -> AttributedSession {
        try Task.checkCancellation()
        let segmented = await self.segmenter.segment(transcript)
        self.continuation.yield(.segmented(utterances: segmented.utterances.count, segments: segmented.segments.count))
        try Task.checkCancellation()
        let roster = Roster(session: session)
        let attribution = await self.attributor.attribute(segmented, roster: roster, hints: session.speakerHints)
        self.continuation.yield(
            .attributed(speakers: attribution.speakers.count, unknownUtterances: attribution.unknownUtterances.count)
        )
        return AttributedSession(session: session, roster: roster, segmented: segmented, attribution: attribution)
    }

    /// Drafts everything for one session: a note per attendee, the group note, plan progress and risk.
    /// Throws `CancellationError` when cancelled; an agent's failure is a finding, not an error.
    public func draft(_ session: Session, transcript: Transcript) async throws -> SessionRun {
        guard let drafting = self.configuration.drafting, let agents = self.agents, let lexicon = self.lexicon else {
            preconditionFailure("SessionSupervisor.draft needs a drafting configuration")
        }
        let attributed = try await self.segmentAndAttribute(session, transcript: transcript)
        let facts = SessionFacts(attributed: attributed, compiled: lexicon, interventions: drafting.interventions)
        let context = DraftingContext(facts: facts)
        let results = try await self.fanOut(context, agents: agents)
        try Task.checkCancellation()

        var findings = attributed.attribution.findings
        for failure in results.failures {
            findings.append(
                Finding(
                    code: failure.code == .timedOut ? .agentTimedOut : .draftFailed, severity: .error,
                    person: failure.attendee,
                    message: failure.message
                )
            )
        }
        let risk = results.risk ?? RiskScreen()
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
        for conflict in results.conflicts {
            findings.append(
                Finding(
                    code: .goalConflict, severity: .info, person: conflict.members.first,
                    message:
                        "Goals \(conflict.goals.joined(separator: ", ")) pull against each other (\(conflict.theme)); "
                        + "suggested shared objective: \(conflict.suggestedObjective)"
                )
            )
        }
        let assembly = NoteAssembly(drafter: drafting.drafter, lexicon: lexicon)
        let groupNote = results.groupNote ?? assembly.manualGroupNote(attendees: session.presentAttendees.map(\.id))
        let output = assembly.assemble(
            facts: facts, drafts: results.drafts, progress: results.progress, risk: results.risk, groupNote: groupNote
        )
        let order = Dictionary(uniqueKeysWithValues: session.attendees.enumerated().map { ($1.id, $0) })
        let progress = results.progress.values.flatMap { $0 }.sorted {
            (order[$0.attendee] ?? 0, $0.goalID, $0.objectiveID ?? "") < (
                order[$1.attendee] ?? 0, $1.goalID, $1.objectiveID ?? ""
            )
        }
        let billing = try await self.reconcile(session, notes: output.notes, agent: agents.billing)
        self.continuation.yield(.finished)
        return SessionRun(
            attributed: attributed, notes: output.notes, groupNote: output.groupNote, skipped: output.skipped,
            risk: risk,
            alignment: PlanAlignment(progress: progress, conflicts: results.conflicts),
            billing: billing,
            findings: findings + output.findings + billing.findings
        )
    }

    /// Runs the BillingReconciler over the drafted notes (none is signed: drafts never are), under the
    /// same timeout; its failure is a finding and leaves no claims rather than failing the run.
    private func reconcile(_ session: Session, notes: [ClientNote], agent: any BillingReconcilingAgent)
        async throws -> BillingResult
    {
        var readiness: [PersonID: NoteReadiness] = [:]
        for note in notes { readiness[note.attendee] = note.aiGenerated ? .draft : .manualNoteRequired }
        for attendee in session.attendees where readiness[attendee.id] == nil {
            readiness[attendee.id] = .manualNoteRequired
        }
        let notes = readiness
        self.continuation.yield(.agentStarted(agent: "BillingReconciler", attendee: nil))
        do {
            let result = try await withTimeout(self.configuration.agentTimeout, clock: self.clock) {
                try await agent.reconcile(session, notes: notes)
            }
            self.continuation.yield(.agentFinished(agent: "BillingReconciler", attendee: nil))
            return result
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let timedOut = error is TimeoutReached
            self.continuation.yield(
                .agentFailed(agent: "BillingReconciler", attendee: nil, reason: timedOut ? "timedOut" : "failed"))
            return BillingResult(findings: [
                Finding(
                    code: .billingFailed, severity: .error,
                    message: "BillingReconciler " + (timedOut ? "did not finish within the time limit" : "failed")
                        + "; no claims were proposed for this session")
            ])
        }
    }

    // MARK: - Fan-out

    private enum Job: Sendable {
        case risk, summary, conflicts
        case attendee(PersonID)

        var agent: String {
            switch self {
            case .risk: "RiskScreener"
            case .summary: "GroupSummarizer"
            case .conflicts: "PlanAligner"
            case .attendee: "NoteDrafter"
            }
        }

        var attendee: PersonID? {
            if case .attendee(let id) = self { return id }
            return nil
        }
    }

    private enum Outcome: Sendable {
        case risk(RiskScreen)
        case summary(GroupNote)
        case conflicts([GoalConflict])
        case attendee(PersonID, StructuredNote, [GoalProgress])
        case failed(AgentError)
    }

    private struct Results: Sendable {
        var risk: RiskScreen?
        var groupNote: GroupNote?
        var conflicts: [GoalConflict] = []
        var drafts: [PersonID: StructuredNote] = [:]
        var progress: [PersonID: [GoalProgress]] = [:]
        var failures: [AgentError] = []
    }

    private func fanOut(_ context: DraftingContext, agents: Agents) async throws -> Results {
        let draftable = context.session.attendees.filter { $0.present && ($0.consent?.aiDrafting ?? false) }.map(\.id)
        var queue: [Job] = [.risk, .summary, .conflicts] + draftable.map(Job.attendee)
        queue.reverse()  // popLast takes them in the order listed
        self.continuation.yield(.fanningOut(jobs: queue.count + 1))  // and the BillingReconciler after
        let limit = self.configuration.concurrencyLimit
        let timeout = self.configuration.agentTimeout
        let clock = self.clock
        let continuation = self.continuation
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            func startNext() {
                guard let job = queue.popLast() else { return }
                continuation.yield(.agentStarted(agent: job.agent, attendee: job.attendee))
                group.addTask {
                    try await Self.run(job, context: context, agents: agents, timeout: timeout, clock: clock)
                }
            }
            for _ in 0..<limit { startNext() }
            var results = Results()
            while let outcome = try await group.next() {
                switch outcome {
                case .risk(let screen):
                    results.risk = screen
                    continuation.yield(.agentFinished(agent: "RiskScreener", attendee: nil))
                case .summary(let note):
                    results.groupNote = note
                    continuation.yield(.agentFinished(agent: "GroupSummarizer", attendee: nil))
                case .conflicts(let conflicts):
                    results.conflicts = conflicts
                    continuation.yield(.agentFinished(agent: "PlanAligner", attendee: nil))
                case .attendee(let id, let note, let progress):
                    results.drafts[id] = note
                    results.progress[id] = progress
                    continuation.yield(.agentFinished(agent: "NoteDrafter", attendee: id))
                case .failed(let error):
                    results.failures.append(error)
                    continuation.yield(
                        .agentFailed(agent: error.agent, attendee: error.attendee, reason: error.code.rawValue))
                }
                startNext()
            }
            results.failures.sort { ($0.attendee?.rawValue ?? "", $0.agent) < ($1.attendee?.rawValue ?? "", $1.agent) }
            return results
        }
    }

    /// Runs one job under the timeout. Failures come back as values, so one attendee's failure stays
    /// theirs; cancellation is rethrown so the whole run stops.
    private static func run(
        _ job: Job, context: DraftingContext, agents: Agents, timeout: Duration, clock: any Clock<Duration>
    ) async throws -> Outcome {
        do {
            switch job {
            case .risk:
                return .risk(try await withTimeout(timeout, clock: clock) { try await agents.screener.screen(context) })
            case .summary:
                return .summary(
                    try await withTimeout(timeout, clock: clock) { try await agents.summarizer.summarize(context) })
            case .conflicts:
                return .conflicts(
                    try await withTimeout(timeout, clock: clock) { try await agents.aligner.conflicts(in: context) })
            case .attendee(let id):
                let note = try await withTimeout(timeout, clock: clock) {
                    try await agents.drafter.draft(for: id, in: context)
                }
                let progress = try await withTimeout(timeout, clock: clock) {
                    try await agents.aligner.align(id, in: context)
                }
                return .attendee(id, note, progress)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch is TimeoutReached {
            return .failed(
                AgentError(
                    .timedOut, agent: job.agent, attendee: job.attendee,
                    message: "\(job.agent) did not finish within the time limit"
                        + (job.attendee.map { " for \($0); write that note by hand" } ?? "") + ".")
            )
        } catch {
            return .failed(
                AgentError(
                    .failed, agent: job.agent, attendee: job.attendee,
                    message: "\(job.agent) failed" + (job.attendee.map { " for \($0); write that note by hand" } ?? "")
                        + ".")
            )
        }
    }
}

struct TimeoutReached: Error {}

/// Runs `operation`, throwing `TimeoutReached` if `limit` passes on `clock` first; the loser is cancelled.
func withTimeout<T: Sendable>(
    _ limit: Duration, clock: any Clock<Duration>, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await clock.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        guard let value = first else { throw TimeoutReached() }
        return value
    }
}
