import Synchronization

/// What the supervisor reports while a session runs.
public enum SupervisorEvent: Sendable, Hashable {
    case segmented(utterances: Int, segments: Int)
    case attributed(speakers: Int, unknownUtterances: Int)
    /// The drafting fan-out begins with this many agent jobs (one per drafted attendee, plus the shared ones).
    case fanningOut(jobs: Int)
    case agentStarted(agent: AgentKind, attendee: PersonID?)
    case agentFinished(agent: AgentKind, attendee: PersonID?)
    case agentFailed(agent: AgentKind, attendee: PersonID?, reason: String)
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
    public var agent: AgentKind
    public var attendee: PersonID?
    public var message: String

    public init(_ code: Code, agent: AgentKind, attendee: PersonID?, message: String) {
        self.code = code
        self.agent = agent
        self.attendee = attendee
        self.message = message
    }

    public var description: String { self.message }
}

/// Receives a session's progress events as they happen, on whichever thread the work is on; it must
/// return quickly. Events name agents and attendee ids only, never content.
public typealias SupervisorProgress = @Sendable (SupervisorEvent) -> Void

/// Runs the agents over sessions: segment → attribute → fan out → assemble → reconcile.
///
/// The fan-out is one task group per session: a job per attendee's draft and one per attendee's plan
/// alignment, alongside risk screening, the group summary and the goal-conflict check, then the
/// BillingReconciler over the assembled notes; at most `concurrencyLimit` run at a time, each under
/// `agentTimeout`. A job that fails or times out becomes a finding for its attendee (who gets a manual
/// template) and the others finish. Cancelling the calling task cancels every job and the run throws
/// `CancellationError`. Results are assembled in roster order, so the output is the same whatever
/// order the jobs finish in.
///
/// One supervisor serves any number of sessions at once. The work runs outside the actor (the agents'
/// configuration is immutable and compiled once, at init); admission lets at most `sessionLimit`
/// sessions work at a time and queues the rest in arrival order, so thousands submitted together wait
/// in a few bytes each instead of all holding a working set. Admission is a lock, not an actor hop, so
/// an admitted session never leaves its thread to be let in. Each call can pass a `progress` handler
/// for that session's events; without one, no event is built.
public final class SessionSupervisor: Sendable {
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

    /// How the fan-out gets its agents: each of these makes a fresh agent for one job. The instances
    /// share only the immutable compiled configuration the makers captured.
    public struct Agents: Sendable {
        public var drafter: @Sendable () -> any NoteDraftingAgent
        public var aligner: @Sendable () -> any PlanAligningAgent
        public var screener: @Sendable () -> any RiskScreeningAgent
        public var summarizer: @Sendable () -> any GroupSummarizingAgent
        public var billing: @Sendable () -> any BillingReconcilingAgent

        public init(
            drafter: @escaping @Sendable () -> any NoteDraftingAgent,
            aligner: @escaping @Sendable () -> any PlanAligningAgent,
            screener: @escaping @Sendable () -> any RiskScreeningAgent,
            summarizer: @escaping @Sendable () -> any GroupSummarizingAgent,
            billing: @escaping @Sendable () -> any BillingReconcilingAgent
        ) {
            self.drafter = drafter
            self.aligner = aligner
            self.screener = screener
            self.summarizer = summarizer
            self.billing = billing
        }

        /// The live, deterministic agents, their configuration compiled once here.
        public init(_ configuration: DraftingConfiguration) {
            let drafting = NoteDrafting(configuration: configuration.drafter)
            let alignment = PlanAlignmentEngine(configuration: configuration.aligner)
            let screening = RiskScreening(configuration: configuration.screener)
            let summary = GroupSummary(configuration: configuration.summarizer, wording: configuration.drafter)
            let reconciliation = BillingReconciliation(rules: configuration.billing)
            self.init(
                drafter: { NoteDrafter(compiled: drafting) }, aligner: { PlanAligner(compiled: alignment) },
                screener: { RiskScreener(compiled: screening) }, summarizer: { GroupSummarizer(compiled: summary) },
                billing: { BillingReconciler(compiled: reconciliation) })
        }
    }

    private let configuration: Configuration
    /// The segmenter's and the attributor's configuration, compiled once; each session gets its own
    /// agent instances over them.
    private let segmentation: Segmentation
    private let attribution: AttributionEngine
    private let compiled: CompiledDrafting?
    /// Every running agent call's deadline, across sessions, on one watcher (on the supervisor's clock).
    private let deadlines: DeadlineWatch
    private let admission: Admission

    public convenience init(configuration: Configuration) {
        self.init(
            configuration: configuration, agents: configuration.drafting.map(Agents.init), clock: ContinuousClock())
    }

    /// - Parameters:
    ///   - agents: the drafting agents (live ones by default; tests pass scripted fakes).
    ///   - clock: the clock agent timeouts are measured on.
    public init(configuration: Configuration, agents: Agents?, clock: any Clock<Duration>) {
        self.configuration = configuration
        self.segmentation = Segmentation(configuration: configuration.segmenter)
        self.attribution = AttributionEngine(configuration: configuration.attributor)
        self.deadlines = DeadlineWatch(clock: clock, timeout: configuration.agentTimeout)
        // The attributor's lexicon, compiled once, also reads names for the facts and the assembly.
        let lexicon = self.attribution.lexicon
        self.compiled = agents.flatMap { CompiledDrafting(configuration, agents: $0, lexicon: lexicon) }
        self.admission = Admission(limit: configuration.sessionLimit)
    }

    deinit {
        self.deadlines.stop()
    }

    /// Segments and attributes one session's transcript, with a clinician's `corrections` of labels
    /// applied over the attributor's answer. Throws `CancellationError` when cancelled.
    @concurrent
    public func attribute(
        _ session: Session, transcript: Transcript, corrections: [SpeakerCorrection] = [],
        progress: SupervisorProgress? = nil
    ) async throws -> AttributedSession {
        try await self.admission.admitted {
            let attributed = try await self.segmentAndAttribute(
                session, transcript: transcript, corrections: corrections, progress: progress)
            progress?(.finished)
            return attributed
        }
    }

    /// Drafts everything for one session: a note per attendee, the group note, plan progress, risk and
    /// claims, from the attribution with a clinician's `corrections` of labels applied. Throws
    /// `CancellationError` when cancelled (also while waiting to be admitted); an agent's failure is a
    /// finding, not an error.
    @concurrent
    public func draft(
        _ session: Session, transcript: Transcript, corrections: [SpeakerCorrection] = [],
        progress: SupervisorProgress? = nil
    ) async throws -> SessionRun {
        guard let compiled = self.compiled else {
            preconditionFailure("SessionSupervisor.draft needs a drafting configuration and agents")
        }
        return try await self.admission.admitted {
            let attributed = try await self.segmentAndAttribute(
                session, transcript: transcript, corrections: corrections, progress: progress)
            let facts = SessionFacts(attributed: attributed, readers: compiled.readers)
            let run = try await self.fanOut(facts, compiled: compiled, progress: progress)
            progress?(.finished)
            return run
        }
    }

    /// Sessions at work and waiting, for monitoring.
    public var load: (working: Int, waiting: Int) { self.admission.load }

    private func segmentAndAttribute(
        _ session: Session, transcript: Transcript, corrections: [SpeakerCorrection], progress: SupervisorProgress?
    ) async throws -> AttributedSession {
        try Task.checkCancellation()
        // A TranscriptSegmenter and a SpeakerAttributor for this session.
        let segmented = try await TranscriptSegmenter(compiled: self.segmentation).segment(
            transcript, session: session.id)
        progress?(.segmented(utterances: segmented.utterances.count, segments: segmented.segments.count))
        try Task.checkCancellation()
        let roster = Roster(session: session)
        let attribution = try await SpeakerAttributor(compiled: self.attribution).attribute(
            segmented, roster: roster, hints: session.speakerHints, session: session.id
        ).correcting(corrections, segmented: segmented, roster: roster)
        progress?(
            .attributed(speakers: attribution.speakers.count, unknownUtterances: attribution.unknownUtterances.count))
        return AttributedSession(session: session, roster: roster, segmented: segmented, attribution: attribution)
    }

    // MARK: - Fan-out

    private enum Job: Sendable {
        case risk, summary, conflicts
        case draft(PersonID)
        case align(PersonID)
        /// After every other job has settled: the notes are assembled and reconciled into claims.
        case billing

        var agent: AgentKind {
            switch self {
            case .risk: .riskScreener
            case .summary: .groupSummarizer
            case .conflicts, .align: .planAligner
            case .draft: .noteDrafter
            case .billing: .billingReconciler
            }
        }

        var attendee: PersonID? {
            switch self {
            case .draft(let id), .align(let id): id
            case .risk, .summary, .conflicts, .billing: nil
            }
        }
    }

    private enum Outcome: Sendable {
        case risk(RiskScreen)
        case summary(GroupNote)
        case conflicts([GoalConflict])
        case draft(PersonID, NoteDraft)
        case align(PersonID, [GoalProgress])
        case billing(BillingResult)
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

    /// The fan-out's shared state: the next job, the jobs running, the results. The billing job is
    /// last and opens only when every other job has settled; whoever settles the last one (a worker
    /// looping, or a fresh worker after a timeout) takes it.
    private final class Board: DeadlineTarget {
        /// Where one job is.
        enum Slot {
            case waiting
            /// Taken by a worker; its deadline is being registered.
            case starting
            /// Running under the deadline with this ticket.
            case running(UInt64)
            case settled

            var isOpen: Bool {
                switch self {
                case .starting, .running: true
                case .waiting, .settled: false
                }
            }
        }

        struct State {
            var next = 0
            var slots: [Slot]
            var settled = 0
            var results = DraftResults()
            var assembled: DraftResults.Assembled?
            var billing: BillingResult?
        }

        let jobs: [Job]
        let context: DraftingContext
        let compiled: CompiledDrafting
        let state: Mutex<State>
        let progress: SupervisorProgress?
        let deadlines: DeadlineWatch
        /// Rung when a job passes its deadline.
        let bell = Bell()

        init(
            jobs: [Job], context: DraftingContext, compiled: CompiledDrafting, progress: SupervisorProgress?,
            deadlines: DeadlineWatch
        ) {
            self.jobs = jobs
            self.context = context
            self.compiled = compiled
            self.state = Mutex(State(slots: Array(repeating: .waiting, count: jobs.count)))
            self.progress = progress
            self.deadlines = deadlines
        }

        /// Runs one job: an agent call, or for the billing job the assembly and then the call.
        func perform(_ job: Job, results: DraftResults?) async throws -> Outcome {
            guard case .billing = job, var results else {
                return try await SessionSupervisor.run(job, context: self.context, agents: self.compiled.agents)
            }
            results.settle()
            let assembled = results.assembled(facts: self.context.facts, assembly: self.compiled.assembly)
            self.state.withLock { $0.assembled = assembled }
            return try await SessionSupervisor.reconcile(
                assembled, session: self.context.session, agent: self.compiled.agents.billing())
        }

        var billingIndex: Int { self.jobs.count - 1 }

        /// The next job for a worker, with the results so far when it is the billing job; its deadline
        /// is registered. Nil when none is open.
        func take() -> (index: Int, job: Job, results: DraftResults?)? {
            let taken: (Int, DraftResults?)? = self.state.withLock { state in
                guard state.next < self.jobs.count else { return nil }
                if state.next == self.billingIndex {
                    guard state.settled == self.billingIndex else { return nil }
                    state.next += 1
                    state.slots[self.billingIndex] = .starting
                    return (self.billingIndex, state.results)
                }
                defer { state.next += 1 }
                state.slots[state.next] = .starting
                return (state.next, nil)
            }
            guard let (index, results) = taken else { return nil }
            let ticket = self.deadlines.register(self, tag: index)
            let late = self.state.withLock { state in
                guard state.slots[index].isOpen else { return true }
                state.slots[index] = .running(ticket)
                return false
            }
            if late { self.deadlines.remove(ticket) }  // it already timed out on another clock's tick
            self.progress?(.agentStarted(agent: self.jobs[index].agent, attendee: self.jobs[index].attendee))
            return (index, self.jobs[index], results)
        }

        /// A job's outcome; a job already reported timed out is not recorded again.
        func finish(_ index: Int, _ outcome: Outcome) {
            let slot: Slot = self.state.withLock { state in
                let slot = state.slots[index]
                guard slot.isOpen else { return slot }
                state.slots[index] = .settled
                state.settled += 1
                SessionSupervisor.record(outcome, in: &state)
                return slot
            }
            guard slot.isOpen else { return }
            if case .running(let ticket) = slot { self.deadlines.remove(ticket) }
            if let progress { SessionSupervisor.announce(outcome, progress: progress) }
        }

        /// The job passed its deadline (if it is still running): it is reported timed out.
        func deadlinePassed(_ index: Int) {
            let job = self.jobs[index]
            let expired = self.state.withLock { state in
                guard state.slots[index].isOpen else { return false }
                state.slots[index] = .settled
                state.settled += 1
                SessionSupervisor.record(.failed(SessionSupervisor.timedOut(job)), in: &state)
                return true
            }
            guard expired else { return }
            self.progress?(.agentFailed(agent: job.agent, attendee: job.attendee, reason: "timedOut"))
            self.bell.ring()
        }

        /// Clears the deadlines of jobs still running when the fan-out ends (abandoned or cancelled).
        func release() {
            let tickets = self.state.withLock { state in
                defer { state.slots = state.slots.map { _ in .settled } }
                return state.slots.compactMap { slot -> UInt64? in
                    if case .running(let ticket) = slot { ticket } else { nil }
                }
            }
            for ticket in tickets { self.deadlines.remove(ticket) }
        }

        var allSettled: Bool { self.state.withLock { $0.settled == self.jobs.count } }
        var run: (DraftResults.Assembled?, BillingResult?) { self.state.withLock { ($0.assembled, $0.billing) } }
    }

    /// The fan-out: a bounded pool of workers (`concurrencyLimit`, or fewer when there are fewer jobs)
    /// in one task group, each taking the next job until none is open, so a session costs a few child
    /// tasks however many attendees it has. Each call's deadline goes to the supervisor's deadline
    /// watch, so no call arms a timer of its own. A job past its deadline is reported timed out, its
    /// late result is ignored, and a fresh worker takes its stuck worker's place. Once every job is
    /// settled the group cancels what is left: abandoned calls and the bell.
    private func fanOut(
        _ facts: SessionFacts, compiled: CompiledDrafting, progress: SupervisorProgress?
    ) async throws -> SessionRun {
        let draftable = facts.session.attendees.filter { $0.present && ($0.consent?.aiDrafting ?? false) }.map(\.id)
        // A draft and its attendee's plan alignment are independent, so they run side by side.
        var jobs: [Job] = [.risk, .summary, .conflicts]
        jobs.reserveCapacity(4 + 2 * draftable.count)
        for id in draftable {
            jobs.append(.draft(id))
            jobs.append(.align(id))
        }
        jobs.append(.billing)
        progress?(.fanningOut(jobs: jobs.count))
        let board = Board(
            jobs: jobs, context: DraftingContext(facts: facts), compiled: compiled, progress: progress,
            deadlines: self.deadlines)
        defer { board.release() }
        // The group runs in a task of its own, and the fan-out returns once every job has settled: a child
        // stuck in an agent that ignores cancellation is cancelled and left behind, never awaited.
        let workers = min(self.configuration.concurrencyLimit, jobs.count)
        _ = try await Abandonable.run(until: { (done: @escaping @Sendable (Bool) -> Void) in
            try await withThrowingTaskGroup(of: Event.self) { group in
                func addWorker() {
                    group.addTask {
                        while let (index, job, results) = board.take() {
                            try Task.checkCancellation()
                            board.finish(index, try await board.perform(job, results: results))
                        }
                        return .workerDone
                    }
                }
                func addBell() { group.addTask { .expired(await board.bell.wait()) } }
                for _ in 0..<workers { addWorker() }
                addBell()
                while !board.allSettled, let event = try await group.next() {
                    if case .expired(let count) = event, count > 0 {
                        for _ in 0..<count { addWorker() }
                        addBell()
                    }
                }
                done(true)
                group.cancelAll()
            }
        })
        try Task.checkCancellation()
        let (stored, billing) = board.run
        let assembled: DraftResults.Assembled
        if let stored {
            assembled = stored
        } else {
            // The last drafting job timed out and the billing job's worker never got to assemble.
            var results = board.state.withLock { $0.results }
            results.settle()
            assembled = results.assembled(facts: facts, assembly: compiled.assembly)
        }
        return assembled.run(billing: billing ?? BillingResult())
    }

    /// The claims for the assembled notes (none is signed: drafts never are).
    private static func reconcile(
        _ assembled: DraftResults.Assembled, session: Session, agent: any BillingReconcilingAgent
    ) async throws -> Outcome {
        do {
            return .billing(
                try await agent.reconcile(session, notes: DraftResults.readiness(of: assembled.notes, in: session)))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return .failed(
                AgentError(.failed, agent: .billingReconciler, attendee: nil, message: "BillingReconciler failed"))
        }
    }

    private static func record(_ outcome: Outcome, in state: inout Board.State) {
        switch outcome {
        case .risk(let screen): state.results.risk = screen
        case .summary(let note): state.results.groupNote = note
        case .conflicts(let conflicts): state.results.conflicts = conflicts
        case .draft(let id, let draft):
            state.results.drafts[id] = draft.note
            if let record = draft.model { state.results.modelRecords.append(record) }
        case .align(let id, let progress): state.results.progress[id] = progress
        case .billing(let result): state.billing = result
        case .failed(let error) where error.agent == .billingReconciler:
            // A failed reconciliation leaves no claims rather than failing the run.
            state.billing = BillingResult(findings: [
                Finding(
                    code: .billingFailed, severity: .error,
                    message: "BillingReconciler "
                        + (error.code == .timedOut ? "did not finish within the time limit" : "failed")
                        + "; no claims were proposed for this session")
            ])
        case .failed(let error): state.results.failures.append(error)
        }
    }

    private static func announce(_ outcome: Outcome, progress: SupervisorProgress) {
        switch outcome {
        case .risk: progress(.agentFinished(agent: .riskScreener, attendee: nil))
        case .summary: progress(.agentFinished(agent: .groupSummarizer, attendee: nil))
        case .conflicts: progress(.agentFinished(agent: .planAligner, attendee: nil))
        case .draft(let id, _): progress(.agentFinished(agent: .noteDrafter, attendee: id))
        case .align(let id, _): progress(.agentFinished(agent: .planAligner, attendee: id))
        case .billing: progress(.agentFinished(agent: .billingReconciler, attendee: nil))
        case .failed(let error):
            progress(.agentFailed(agent: error.agent, attendee: error.attendee, reason: error.code.rawValue))
        }
    }

    /// Runs one job. Failures come back as values, so one attendee's failure stays theirs; cancellation
    /// is rethrown so the whole run stops.
    private static func run(_ job: Job, context: DraftingContext, agents: Agents) async throws -> Outcome {
        do {
            switch job {
            // Each call can be left behind: past its deadline the session finishes without waiting for it.
            // A fresh agent for each job.
            case .risk: return .risk(try await agents.screener().screen(context))
            case .summary: return .summary(try await agents.summarizer().summarize(context))
            case .conflicts: return .conflicts(try await agents.aligner().conflicts(in: context))
            case .draft(let id): return .draft(id, try await agents.drafter().draft(for: id, in: context))
            case .align(let id): return .align(id, try await agents.aligner().align(id, in: context))
            case .billing: preconditionFailure("the billing job runs on the assembled notes")
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

    private static func timedOut(_ job: Job) -> AgentError {
        AgentError(
            .timedOut, agent: job.agent, attendee: job.attendee,
            message: "\(job.agent) did not finish within the time limit" + Self.consequence(of: job) + ".")
    }

    /// What a failed job leaves the clinician to do, by attendee id (never by content).
    private static func consequence(of job: Job) -> String {
        switch job {
        case .draft(let id): " for \(id); write that note by hand"
        case .align(let id): " for \(id); review their treatment-plan progress by hand"
        case .risk, .summary, .conflicts, .billing: ""
        }
    }
}

/// Lets at most `limit` sessions work at once and queues the rest first come, first served. The fast
/// path is one lock; only a session that must wait suspends. A waiting session that is cancelled
/// leaves the queue at once and throws `CancellationError`.
public final class Admission: Sendable {
    private enum Waiter {
        /// Queued; its continuation is on its way.
        case pending
        case suspended(CheckedContinuation<Void, any Error>)
        /// Given a slot before its continuation arrived.
        case admitted
        /// Cancelled before its continuation arrived.
        case cancelled
    }

    private struct State {
        var working = 0
        var waitingCount = 0
        var queue = SlidingQueue<UInt64>()
        var waiters: [UInt64: Waiter] = [:]
        var nextTicket: UInt64 = 0

        /// Settles a waiting session, if it still waits: one whose continuation has not arrived is
        /// marked `mark` (its continuation reads the mark when it comes); a suspended one is removed
        /// and its continuation returned to resume. False when it no longer waits.
        mutating func settle(_ ticket: UInt64, pendingAs mark: Waiter) -> (
            settled: Bool, resume: CheckedContinuation<Void, any Error>?
        ) {
            switch self.waiters[ticket] {
            case .pending:
                self.waiters[ticket] = mark
                self.waitingCount -= 1
                return (true, nil)
            case .suspended(let continuation):
                self.waiters[ticket] = nil
                self.waitingCount -= 1
                return (true, continuation)
            case .admitted, .cancelled, nil:
                return (false, nil)
            }
        }
    }

    private let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) { self.limit = max(1, limit) }

    public var load: (working: Int, waiting: Int) { self.state.withLock { ($0.working, $0.waitingCount) } }

    /// Runs `work` once admitted, and lets the next session in when it ends.
    public func admitted<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        try await self.admit()
        defer { self.leave() }
        return try await work()
    }

    private func admit() async throws {
        try Task.checkCancellation()
        let ticket: UInt64? = self.state.withLock { state in
            if state.working < self.limit && state.waitingCount == 0 {
                state.working += 1
                return nil
            }
            let ticket = state.nextTicket
            state.nextTicket += 1
            state.queue.append(ticket)
            state.waiters[ticket] = .pending
            state.waitingCount += 1
            return ticket
        }
        guard let ticket else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let settled: Bool? = self.state.withLock { state in
                    switch state.waiters[ticket] {
                    case .admitted:
                        state.waiters[ticket] = nil
                        return true
                    case .cancelled:
                        state.waiters[ticket] = nil
                        return false
                    default:
                        state.waiters[ticket] = .suspended(continuation)
                        return nil
                    }
                }
                switch settled {
                case true: continuation.resume()
                case false: continuation.resume(throwing: CancellationError())
                default: break
                }
            }
        } onCancel: {
            let continuation = self.state.withLock { $0.settle(ticket, pendingAs: .cancelled).resume }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// One session is done: the longest-waiting one takes its slot (`working` is unchanged), or the
    /// slot is freed.
    private func leave() {
        let next: CheckedContinuation<Void, any Error>? = self.state.withLock { state in
            while let ticket = state.queue.popFirst() {
                let (settled, continuation) = state.settle(ticket, pendingAs: .admitted)
                if settled { return continuation }  // the slot passes to it (cancelled ones are skipped)
            }
            state.working -= 1
            return nil
        }
        next?.resume()
    }
}
