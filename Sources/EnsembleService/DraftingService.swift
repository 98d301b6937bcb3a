public import EnsembleCore
public import EnsembleFormats
public import EnsembleIO
public import EnsembleStore

/// What one drafting produced: the run, the inputs it came from, what the language model did, and
/// the stored run when it was recorded.
public struct DraftOutcome: Sendable {
    public var run: SessionRun
    public var inputs: DraftInputs
    /// What the language model did per attendee, when it drafted; nil for the deterministic engine.
    public var model: RunReport.ModelUsage?
    public var recorded: RecordedRun?
}

/// The one way to draft. Built once per process from the agents' configuration and an engine, it owns
/// the session supervisor (one for every session the process drafts, so its admission limit, deadline
/// watch and compiled configuration are shared) and is what every way in calls: `ensemble draft`,
/// `ensemble claims`, `ensemble attribute`, `review relabel`, and the server's job workers and relabel
/// routes. Work on one session is serialised (two relabels of a session produce two versions in turn,
/// never an interleaving); different sessions draft in parallel.
///
/// The pipeline, in the supervisor: segment → attribute → fan out (a note per attendee, plan alignment,
/// risk screening, the group note) → assemble (confidentiality filter, clone check) → reconcile (claims).
public actor DraftingService {
    public nonisolated let agents: AgentConfigurations
    public nonisolated let engine: DraftingEngine
    private nonisolated let supervisor: SessionSupervisor
    /// The last piece of work queued for each session; the next waits for it.
    private var tails: [String: Task<Void, Never>] = [:]

    /// - Parameters:
    ///   - concurrency: agent calls at once within one session (the configuration's default when nil).
    ///   - agentTimeout: how long one agent call may take (the configuration's default when nil).
    ///   - modelBudget: how long a model drafter may wait for the model before the deterministic draft
    ///     stands; at most (and by default) three quarters of the agent timeout.
    public init(
        agents: AgentConfigurations, engine: DraftingEngine = .deterministic, concurrency: Int? = nil,
        agentTimeout: Duration? = nil, modelBudget: Duration? = nil
    ) {
        var configuration = agents.supervisor
        if let concurrency { configuration.concurrencyLimit = max(1, concurrency) }
        if let agentTimeout { configuration.agentTimeout = agentTimeout }
        self.agents = agents
        self.engine = engine
        self.supervisor = SessionSupervisor(
            configuration: configuration,
            agents: engine.agents(
                agents.drafting, agentTimeout: configuration.agentTimeout, modelBudget: modelBudget),
            clock: ContinuousClock())
    }

    /// Segments and attributes a session, with a clinician's corrections of labels applied.
    public nonisolated func attribute(
        _ session: Session, transcript: Transcript, corrections: [SpeakerCorrection] = []
    ) async throws -> AttributedSession {
        try await self.supervisor.attribute(session, transcript: transcript, corrections: corrections)
    }

    /// Drafts a session from its session.json and transcript. With a store and a user, the session's
    /// speaker corrections apply and the run is recorded as that user; with `job`, the same transaction
    /// marks the job succeeded.
    public func draft(
        _ session: Session, sessionJSON: String, transcript: Transcript, store: Store? = nil, as user: String? = nil,
        job: JobClaim? = nil, progress: SupervisorProgress? = nil
    ) async throws -> DraftOutcome {
        try await self.serialized(session.id.rawValue) {
            var corrections: [SpeakerCorrection] = []
            if let store, let user {
                corrections = try await store.corrections(session: session.id.rawValue, as: user)
            }
            let run = try await self.supervisor.draft(
                session, transcript: transcript, corrections: corrections, progress: progress)
            var outcome = self.outcome(
                run, sessionJSON: sessionJSON, transcript: transcript,
                digest: DraftInputs.digest(sessionJSON: sessionJSON, transcript: transcript))
            if let store, let user {
                outcome.recorded = try await store.record(outcome.run, inputs: outcome.inputs, as: user, job: job)
            }
            return outcome
        }
    }

    /// A clinician's speaker correction: the affected attendees' notes drafted again with the configured
    /// engine from the stored inputs, and the correction and the new versions recorded in one transaction.
    public func relabel(
        session id: String, label: String, person: PersonID?, store: Store, as user: String
    ) async throws -> (affected: Set<PersonID>, recorded: RecordedRun) {
        try await self.serialized(id) {
            let plan = try await store.planRelabel(session: id, label: label, person: person, as: user)
            let session = try SessionDecoder.decode(Array(plan.sessionJSON.utf8), file: "session \(id)").session
            let run = try await self.supervisor.draft(
                session, transcript: plan.transcript, corrections: plan.corrections)
            let outcome = self.outcome(
                run, sessionJSON: plan.sessionJSON, transcript: plan.transcript, digest: plan.inputsDigest)
            let recorded = try await store.relabel(plan, run: outcome.run, inputs: outcome.inputs, as: user)
            return (plan.affected, recorded)
        }
    }

    /// The run with the model's records for this session (and a finding per fallback), and its inputs.
    private nonisolated func outcome(_ run: SessionRun, sessionJSON: String, transcript: Transcript, digest: String)
        -> DraftOutcome
    {
        var run = run
        var usage: RunReport.ModelUsage?
        if let model = self.engine.model {
            let records = run.modelRecords
            usage = RunReport.ModelUsage(
                backend: model.backend, model: model.model, records: records,
                pricePerMillionPrompt: model.pricePerMillionPrompt,
                pricePerMillionCompletion: model.pricePerMillionCompletion)
            run.findings += records.compactMap(\.finding)
        }
        let inputs = DraftInputs(
            sessionJSON: sessionJSON, transcript: transcript, digest: digest, agents: self.agents.versions,
            engine: self.engine.name, modelRecords: usage?.records ?? [], modelCostUSD: usage?.cost)
        return DraftOutcome(run: run, inputs: inputs, model: usage, recorded: nil)
    }

    /// Runs `work` after the work already queued for the same session.
    private func serialized<T: Sendable>(_ session: String, _ work: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        let previous = self.tails[session]
        let task = Task {
            await previous?.value
            return try await work()
        }
        let tail = Task { _ = try? await task.value }
        self.tails[session] = tail
        defer { if self.tails[session] == tail { self.tails[session] = nil } }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
