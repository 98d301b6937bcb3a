import Synchronization

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

/// Runs the agents over sessions: segment → attribute → fan out → assemble → reconcile.
///
/// The fan-out is one task group per session: a child per attendee's draft and one per attendee's plan
/// alignment, alongside risk screening, the group summary and the goal-conflict check, at most
/// `concurrencyLimit` at a time, each under `agentTimeout`. A child that fails or times out becomes a
/// finding for its attendee (who gets a manual template) and the others finish. Cancelling the calling
/// task cancels every child and the run throws `CancellationError`. Results are assembled in roster
/// order, so the output is the same whatever order the children finish in.
///
/// One supervisor serves any number of sessions at once. The work runs outside the actor (the agents'
/// configuration is immutable and compiled once, at init); the actor only admits sessions, at most
/// `sessionLimit` at a time and the rest in arrival order, so thousands submitted together wait in
/// a few bytes each instead of all holding a working set. Progress leaves through `events` (the newest
/// kept when nobody reads).
public actor SessionSupervisor {
    public struct Configuration: Sendable {
        public var segmenter: SegmenterConfiguration
        public var attributor: AttributorConfiguration
        public var drafting: DraftingConfiguration?
        /// Agent calls running at once within one session.
        public var concurrencyLimit: Int
        public var agentTimeout: Duration
        /// Sessions worked on at once; the rest wait their turn.
        public var sessionLimit: Int

        public init(
            segmenter: SegmenterConfiguration, attributor: AttributorConfiguration,
            drafting: DraftingConfiguration? = nil,
            concurrencyLimit: Int = 4, agentTimeout: Duration = .seconds(120), sessionLimit: Int = 64
        ) {
            self.segmenter = segmenter
            self.attributor = attributor
            self.drafting = drafting
            self.concurrencyLimit = max(1, concurrencyLimit)
            self.agentTimeout = agentTimeout
            self.sessionLimit = max(1, sessionLimit)
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

    private nonisolated let configuration: Configuration
    private nonisolated let segmenter: TranscriptSegmenter
    private nonisolated let attributor: SpeakerAttributor
    private nonisolated let compiled: CompiledDrafting?
    /// Every running agent call's deadline, across sessions, on one watcher (on the supervisor's clock).
    private nonisolated let deadlines: DeadlineWatch
    public nonisolated let events: AsyncStream<SupervisorEvent>
    private nonisolated let continuation: AsyncStream<SupervisorEvent>.Continuation

    /// Admission: sessions at work, and those waiting (first come, first served).
    private var working = 0
    private var waiting: [(ticket: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var waitingHead = 0
    private var nextTicket: UInt64 = 0

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
        self.deadlines = DeadlineWatch(clock: clock, timeout: configuration.agentTimeout)
        self.compiled = agents.flatMap { CompiledDrafting(configuration, agents: $0) }
        (self.events, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    deinit {
        self.continuation.finish()
        self.deadlines.stop()
    }

    /// Segments and attributes one session's transcript.
    @concurrent
    public nonisolated func attribute(_ session: Session, transcript: Transcript) async throws -> AttributedSession {
        try await self.admitted {
            let attributed = try await self.segmentAndAttribute(session, transcript: transcript)
            self.continuation.yield(.finished)
            return attributed
        }
    }

    /// Drafts everything for one session: a note per attendee, the group note, plan progress, risk and
    /// claims. Throws `CancellationError` when cancelled (also while waiting to be admitted); an agent's
    /// failure is a finding, not an error.
    @concurrent
    public nonisolated func draft(_ session: Session, transcript: Transcript) async throws -> SessionRun {
        guard let compiled = self.compiled else {
            preconditionFailure("SessionSupervisor.draft needs a drafting configuration and agents")
        }
        return try await self.admitted {
            try await self.drafting(session, transcript: transcript, compiled: compiled)
        }
    }

    private nonisolated func segmentAndAttribute(_ session: Session, transcript: Transcript) async throws
        -> AttributedSession
    {
        try Task.checkCancellation()
        let segmented = self.segmenter.segment(transcript)
        self.continuation.yield(.segmented(utterances: segmented.utterances.count, segments: segmented.segments.count))
        try Task.checkCancellation()
        let roster = Roster(session: session)
        let attribution = self.attributor.attribute(segmented, roster: roster, hints: session.speakerHints)
        self.continuation.yield(
            .attributed(speakers: attribution.speakers.count, unknownUtterances: attribution.unknownUtterances.count)
        )
        return AttributedSession(session: session, roster: roster, segmented: segmented, attribution: attribution)
    }

    private nonisolated func drafting(
        _ session: Session, transcript: Transcript, compiled: CompiledDrafting
    ) async throws -> SessionRun {
        let attributed = try await self.segmentAndAttribute(session, transcript: transcript)
        let facts = SessionFacts(attributed: attributed, readers: compiled.readers)
        let results = try await self.fanOut(DraftingContext(facts: facts), agents: compiled.agents)
        try Task.checkCancellation()
        let drafted = results.assembled(facts: facts, assembly: compiled.assembly)
        let billing = try await self.reconcile(session, notes: drafted.notes, agent: compiled.agents.billing)
        self.continuation.yield(.finished)
        return drafted.run(billing: billing)
    }

    // MARK: - Admission

    /// Runs `work` once this session is admitted, and lets the next one in when it ends.
    private nonisolated func admitted<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        try await self.admit()
        do {
            let result = try await work()
            await self.leave()
            return result
        } catch {
            await self.leave()
            throw error
        }
    }

    private func admit() async throws {
        try Task.checkCancellation()
        if self.working < self.configuration.sessionLimit && self.waitingHead == self.waiting.count {
            self.working += 1
            return
        }
        let ticket = self.nextTicket
        self.nextTicket += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                self.waiting.append((ticket, continuation))
            }
        } onCancel: {
            Task { await self.abandon(ticket) }
        }
    }

    /// One session is done: the longest-waiting one takes its place.
    private func leave() {
        guard self.waitingHead < self.waiting.count else {
            self.working -= 1
            return
        }
        let next = self.waiting[self.waitingHead].continuation
        self.waitingHead += 1
        if self.waitingHead == self.waiting.count {
            self.waiting.removeAll(keepingCapacity: true)
            self.waitingHead = 0
        } else if self.waitingHead >= 1024 && self.waitingHead * 2 >= self.waiting.count {
            self.waiting.removeFirst(self.waitingHead)
            self.waitingHead = 0
        }
        next.resume()  // the slot passes straight to it: `working` is unchanged
    }

    /// A waiting session was cancelled: it leaves the queue and throws.
    private func abandon(_ ticket: UInt64) {
        guard let index = self.waiting[self.waitingHead...].firstIndex(where: { $0.ticket == ticket }) else { return }
        let cancelled = self.waiting.remove(at: index).continuation
        if self.waitingHead == self.waiting.count {
            self.waiting.removeAll(keepingCapacity: true)
            self.waitingHead = 0
        }
        cancelled.resume(throwing: CancellationError())
    }

    /// Sessions at work and waiting, for monitoring.
    public var load: (working: Int, waiting: Int) { (self.working, self.waiting.count - self.waitingHead) }

    // MARK: - Billing

    /// Runs the BillingReconciler over the drafted notes (none is signed: drafts never are), under the
    /// same timeout; its failure is a finding and leaves no claims rather than failing the run.
    private nonisolated func reconcile(_ session: Session, notes: [ClientNote], agent: any BillingReconcilingAgent)
        async throws -> BillingResult
    {
        let notes = DraftResults.readiness(of: notes, in: session)
        self.continuation.yield(.agentStarted(agent: "BillingReconciler", attendee: nil))
        do {
            let result = try await Self.withDeadline(self.deadlines) {
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
        case draft(PersonID)
        case align(PersonID)

        var agent: String {
            switch self {
            case .risk: "RiskScreener"
            case .summary: "GroupSummarizer"
            case .conflicts, .align: "PlanAligner"
            case .draft: "NoteDrafter"
            }
        }

        var attendee: PersonID? {
            switch self {
            case .draft(let id), .align(let id): id
            case .risk, .summary, .conflicts: nil
            }
        }
    }

    private enum Outcome: Sendable {
        case risk(RiskScreen)
        case summary(GroupNote)
        case conflicts([GoalConflict])
        case draft(PersonID, StructuredNote)
        case align(PersonID, [GoalProgress])
        case failed(AgentError)
    }

    /// What a child of the fan-out returns when it ends.
    private enum Event: Sendable {
        /// A worker found no job left.
        case workerDone
        /// This many jobs passed their deadline (their workers are stuck in them); zero when the bell
        /// was only cancelled.
        case expired(Int)
    }

    /// The fan-out's shared state: the next job, the jobs running, the results.
    private final class Board: Sendable {
        struct State {
            var next = 0
            /// Running jobs and their deadline tickets.
            var running: [Int: UInt64] = [:]
            var settled = 0
            var results = DraftResults()
        }

        let jobs: [Job]
        let state = Mutex(State())
        let events: AsyncStream<SupervisorEvent>.Continuation
        let deadlines: DeadlineWatch
        /// Rung when a job passes its deadline.
        let bell = Bell()

        init(jobs: [Job], events: AsyncStream<SupervisorEvent>.Continuation, deadlines: DeadlineWatch) {
            self.jobs = jobs
            self.events = events
            self.deadlines = deadlines
        }

        /// The next job for a worker, its deadline registered; nil when none is left.
        func take() -> (index: Int, job: Job)? {
            let index: Int? = self.state.withLock { state in
                guard state.next < self.jobs.count else { return nil }
                defer { state.next += 1 }
                state.running[state.next] = .max  // running; its ticket follows
                return state.next
            }
            guard let index else { return nil }
            let ticket = self.deadlines.register { [weak self] in self?.expire(index) }
            self.state.withLock { state in
                if state.running[index] != nil { state.running[index] = ticket }
            }
            self.events.yield(.agentStarted(agent: self.jobs[index].agent, attendee: self.jobs[index].attendee))
            return (index, self.jobs[index])
        }

        /// A job's outcome; a job already reported timed out is not recorded again.
        func finish(_ index: Int, _ outcome: Outcome) {
            let ticket: UInt64? = self.state.withLock { state in
                guard let ticket = state.running.removeValue(forKey: index) else { return nil }
                state.settled += 1
                SessionSupervisor.record(outcome, in: &state.results)
                return ticket
            }
            guard let ticket else { return }
            self.deadlines.remove(ticket)
            SessionSupervisor.announce(outcome, events: self.events)
        }

        /// The job passed its deadline (if it is still running): it is reported timed out.
        func expire(_ index: Int) {
            let job = self.jobs[index]
            let expired = self.state.withLock { state in
                guard state.running.removeValue(forKey: index) != nil else { return false }
                state.settled += 1
                state.results.failures.append(
                    AgentError(
                        .timedOut, agent: job.agent, attendee: job.attendee,
                        message: "\(job.agent) did not finish within the time limit"
                            + SessionSupervisor.consequence(of: job) + "."))
                return true
            }
            guard expired else { return }
            self.events.yield(.agentFailed(agent: job.agent, attendee: job.attendee, reason: "timedOut"))
            self.bell.ring()
        }

        var allSettled: Bool { self.state.withLock { $0.settled == self.jobs.count } }
        var results: DraftResults { self.state.withLock { $0.results } }
    }

    /// The fan-out: a bounded pool of workers (`concurrencyLimit`, or fewer when there are fewer jobs)
    /// in one task group, each taking the next job until none is left, so a session costs a few child
    /// tasks however many attendees it has. Each call's deadline goes to the supervisor's deadline
    /// watch, so no call arms a timer of its own. A job past its deadline is reported timed out, its
    /// late result is ignored, and a fresh worker takes its stuck worker's place. Once every job is
    /// settled the group cancels what is left: abandoned calls and the bell.
    private nonisolated func fanOut(_ context: DraftingContext, agents: Agents) async throws -> DraftResults {
        let draftable = context.session.attendees.filter { $0.present && ($0.consent?.aiDrafting ?? false) }.map(\.id)
        // A draft and its attendee's plan alignment are independent, so they run side by side.
        let jobs: [Job] = [.risk, .summary, .conflicts] + draftable.flatMap { [Job.draft($0), Job.align($0)] }
        self.continuation.yield(.fanningOut(jobs: jobs.count + 1))  // and the BillingReconciler after
        let board = Board(jobs: jobs, events: self.continuation, deadlines: self.deadlines)
        var results = try await withThrowingTaskGroup(of: Event.self) { group in
            func addWorker() {
                group.addTask {
                    while let (index, job) = board.take() {
                        board.finish(index, try await Self.run(job, context: context, agents: agents))
                    }
                    return .workerDone
                }
            }
            func addBell() { group.addTask { .expired(await board.bell.wait()) } }
            for _ in 0..<min(self.configuration.concurrencyLimit, jobs.count) { addWorker() }
            addBell()
            while !board.allSettled, let event = try await group.next() {
                if case .expired(let count) = event, count > 0 {
                    for _ in 0..<count { addWorker() }
                    addBell()
                }
            }
            group.cancelAll()
            return board.results
        }
        results.settle()
        return results
    }

    /// Runs `operation` under the supervisor's deadline watch: `TimeoutReached` if the agent timeout
    /// passes first, and the operation is cancelled.
    private static func withDeadline<T: Sendable>(
        _ deadlines: DeadlineWatch, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let bell = Bell()
        let ticket = deadlines.register { bell.ring() }
        defer { deadlines.remove(ticket) }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                _ = await bell.wait()
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            guard let value = first else {
                try Task.checkCancellation()
                throw TimeoutReached()
            }
            return value
        }
    }

    private static func record(_ outcome: Outcome, in results: inout DraftResults) {
        switch outcome {
        case .risk(let screen): results.risk = screen
        case .summary(let note): results.groupNote = note
        case .conflicts(let conflicts): results.conflicts = conflicts
        case .draft(let id, let note): results.drafts[id] = note
        case .align(let id, let progress): results.progress[id] = progress
        case .failed(let error): results.failures.append(error)
        }
    }

    private static func announce(_ outcome: Outcome, events: AsyncStream<SupervisorEvent>.Continuation) {
        switch outcome {
        case .risk: events.yield(.agentFinished(agent: "RiskScreener", attendee: nil))
        case .summary: events.yield(.agentFinished(agent: "GroupSummarizer", attendee: nil))
        case .conflicts: events.yield(.agentFinished(agent: "PlanAligner", attendee: nil))
        case .draft(let id, _): events.yield(.agentFinished(agent: "NoteDrafter", attendee: id))
        case .align(let id, _): events.yield(.agentFinished(agent: "PlanAligner", attendee: id))
        case .failed(let error):
            events.yield(.agentFailed(agent: error.agent, attendee: error.attendee, reason: error.code.rawValue))
        }
    }

    /// Runs one job. Failures come back as values, so one attendee's failure stays theirs; cancellation
    /// is rethrown so the whole run stops.
    private static func run(_ job: Job, context: DraftingContext, agents: Agents) async throws -> Outcome {
        do {
            switch job {
            case .risk: return .risk(try await agents.screener.screen(context))
            case .summary: return .summary(try await agents.summarizer.summarize(context))
            case .conflicts: return .conflicts(try await agents.aligner.conflicts(in: context))
            case .draft(let id): return .draft(id, try await agents.drafter.draft(for: id, in: context))
            case .align(let id): return .align(id, try await agents.aligner.align(id, in: context))
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return .failed(
                AgentError(
                    .failed, agent: job.agent, attendee: job.attendee,
                    message: "\(job.agent) failed" + Self.consequence(of: job) + ".")
            )
        }
    }

    /// What a failed job leaves the clinician to do, by attendee id (never by content).
    private static func consequence(of job: Job) -> String {
        switch job {
        case .draft(let id): " for \(id); write that note by hand"
        case .align(let id): " for \(id); review their treatment-plan progress by hand"
        case .risk, .summary, .conflicts: ""
        }
    }
}

struct TimeoutReached: Error {}
