public import EnsembleCore
import Synchronization

/// Drafting agents for supervisor tests: each call can succeed (through the live agents), fail,
/// hang until cancelled, or wait a scripted while first, and every call and cancellation is counted.
public struct ScriptedAgents: Sendable {
    public enum Behaviour: Sendable {
        case succeed
        /// Throws an error (its message would carry PHI if the supervisor echoed it: it must not).
        case fail
        /// Sleeps on the given clock far beyond any timeout; only cancellation ends it.
        case hang(ManualClock)
        /// Yields to the scheduler this many times first, so children finish in another order.
        case yield(Int)
        /// A fake language-model call (the benchmarks'): the reply is ready this long after the call on
        /// the continuous clock, and the live agent works it out meanwhile, as a model computes its
        /// answer during the call. Cancellation ends the wait.
        case latency(Duration)
        /// Works this long on the continuous clock and ignores cancellation throughout (an agent stuck
        /// in code that never checks): only its own end ends it.
        case ignoreCancellation(Duration)
    }

    /// A failure whose description is PHI, so tests can check the supervisor never repeats it.
    public struct AgentFailure: Error, CustomStringConvertible {
        public var description: String { "Maria Lopez said she wanted to die" }
    }

    public final class Log: Sendable {
        private let state = Mutex<(calls: [String], cancelled: [String])>(([], []))
        public init() {}
        public var calls: [String] { self.state.withLock { $0.calls } }
        public var cancelled: [String] { self.state.withLock { $0.cancelled } }
        func call(_ name: String) { self.state.withLock { $0.calls.append(name) } }
        func cancel(_ name: String) { self.state.withLock { $0.cancelled.append(name) } }
    }

    public let log = Log()
    private let live: SessionSupervisor.Agents
    private let behaviour: @Sendable (String) -> Behaviour

    /// - Parameter behaviour: what to do for each call, by name: `NoteDrafter:CL-101`, `PlanAligner:CL-101`,
    ///   `PlanAligner:conflicts`, `RiskScreener`, `GroupSummarizer`, `BillingReconciler`.
    public init(live: SessionSupervisor.Agents, behaviour: @escaping @Sendable (String) -> Behaviour) {
        self.live = live
        self.behaviour = behaviour
    }

    public var agents: SessionSupervisor.Agents {
        SessionSupervisor.Agents(
            drafter: { Drafter(scripted: self) }, aligner: { Aligner(scripted: self) },
            screener: { Screener(scripted: self) }, summarizer: { Summarizer(scripted: self) },
            billing: { Billing(scripted: self) }
        )
    }

    func perform<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T {
        self.log.call(name)
        switch self.behaviour(name) {
        case .succeed: break
        case .fail: throw AgentFailure()
        case .hang(let clock):
            do {
                try await clock.sleep(for: .seconds(1_000_000))
            } catch {
                self.log.cancel(name)
                throw error
            }
        case .yield(let count):
            for _ in 0..<count { await Task.yield() }
        case .latency(let duration):
            async let reply = body()
            try await Task.sleep(for: duration)
            return try await reply
        case .ignoreCancellation(let duration):
            // A detached task is not cancelled with its caller, and awaiting its value ignores cancellation.
            await Task.detached { try? await Task.sleep(for: duration) }.value
            if Task.isCancelled { self.log.cancel(name) }
        }
        return try await body()
    }

    struct Drafter: NoteDraftingAgent {
        let scripted: ScriptedAgents
        func draft(for attendee: PersonID, in context: DraftingContext) async throws -> NoteDraft {
            try await self.scripted.perform("NoteDrafter:\(attendee)") {
                try await self.scripted.live.drafter().draft(for: attendee, in: context)
            }
        }
    }

    struct Aligner: PlanAligningAgent {
        let scripted: ScriptedAgents
        func align(_ attendee: PersonID, in context: DraftingContext) async throws -> [GoalProgress] {
            try await self.scripted.perform("PlanAligner:\(attendee)") {
                try await self.scripted.live.aligner().align(attendee, in: context)
            }
        }
        func conflicts(in context: DraftingContext) async throws -> [GoalConflict] {
            try await self.scripted.perform("PlanAligner:conflicts") {
                try await self.scripted.live.aligner().conflicts(in: context)
            }
        }
    }

    struct Screener: RiskScreeningAgent {
        let scripted: ScriptedAgents
        func screen(_ context: DraftingContext) async throws -> RiskScreen {
            try await self.scripted.perform("RiskScreener") { try await self.scripted.live.screener().screen(context) }
        }
    }

    struct Billing: BillingReconcilingAgent {
        let scripted: ScriptedAgents
        func reconcile(_ session: Session, notes: [PersonID: NoteReadiness]) async throws -> BillingResult {
            try await self.scripted.perform("BillingReconciler") {
                try await self.scripted.live.billing().reconcile(session, notes: notes)
            }
        }
    }

    struct Summarizer: GroupSummarizingAgent {
        let scripted: ScriptedAgents
        func summarize(_ context: DraftingContext) async throws -> GroupNote {
            try await self.scripted.perform("GroupSummarizer") {
                try await self.scripted.live.summarizer().summarize(context)
            }
        }
    }
}
