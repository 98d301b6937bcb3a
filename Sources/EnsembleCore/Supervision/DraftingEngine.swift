/// What drafts the notes: the embedded deterministic engine, or a language model behind the NoteDrafter
/// (with the deterministic drafter as its fallback). Built once per process and handed to the drafting
/// service, so every way in (CLI, server jobs, relabelling, claims) drafts with the same engine.
public struct DraftingEngine: Sendable {
    /// The language model, for reports and the audit trail.
    public struct Model: Sendable, Hashable {
        public var backend: String
        public var model: String
        public var pricePerMillionPrompt: Double?
        public var pricePerMillionCompletion: Double?

        public init(backend: String, model: String, pricePerMillionPrompt: Double?, pricePerMillionCompletion: Double?)
        {
            self.backend = backend
            self.model = model
            self.pricePerMillionPrompt = pricePerMillionPrompt
            self.pricePerMillionCompletion = pricePerMillionCompletion
        }
    }

    public var model: Model?
    /// A NoteDrafter for one job, given how to make the deterministic one (its fallback) and the time it
    /// may spend on the model before the deterministic draft stands (inside the agent's own timeout); nil
    /// keeps the deterministic one.
    public typealias DrafterMaker =
        @Sendable (_ local: @escaping @Sendable () -> any NoteDraftingAgent, _ budget: Duration) ->
        any NoteDraftingAgent

    public var drafter: DrafterMaker?
    /// A RiskScreener for one job around the deterministic one (a model second reader), given its time
    /// budget; nil keeps the deterministic one alone.
    public typealias ScreenerMaker =
        @Sendable (_ local: @escaping @Sendable () -> any RiskScreeningAgent, _ budget: Duration) ->
        any RiskScreeningAgent

    public var screener: ScreenerMaker?

    public init(model: Model?, drafter: DrafterMaker?, screener: ScreenerMaker? = nil) {
        self.model = model
        self.drafter = drafter
        self.screener = screener
    }

    public static let deterministic = DraftingEngine(model: nil, drafter: nil)

    /// `deterministic`, or `llm:BACKEND:MODEL`, as runs are recorded.
    public var name: String { self.model.map { "llm:\($0.backend):\($0.model)" } ?? "deterministic" }

    /// The live agents for `configuration`, with this engine's NoteDrafter. A model drafter gets
    /// `modelBudget` for the model, at most three quarters of `agentTimeout` (the default); the rest is the
    /// deterministic draft's and the checks', so a slow model ends in the deterministic draft, never in a
    /// manual template.
    public func agents(
        _ configuration: SessionSupervisor.DraftingConfiguration, agentTimeout: Duration, modelBudget: Duration? = nil
    ) -> SessionSupervisor.Agents {
        var agents = SessionSupervisor.Agents(configuration)
        let budget = min(modelBudget ?? agentTimeout, agentTimeout * 3 / 4)
        if let drafter = self.drafter {
            let local = agents.drafter
            agents.drafter = { drafter(local, budget) }
        }
        if let screener = self.screener {
            let local = agents.screener
            agents.screener = { screener(local, budget) }
        }
        return agents
    }
}
