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
    /// The NoteDrafter to use, given the deterministic one; nil keeps the deterministic one.
    public var drafter: (@Sendable (any NoteDraftingAgent) -> any NoteDraftingAgent)?
    /// Where the model drafter records each attendee's calls, tokens and outcome, by session.
    public var ledger: ModelDraftLedger?

    public init(
        model: Model?, drafter: (@Sendable (any NoteDraftingAgent) -> any NoteDraftingAgent)?,
        ledger: ModelDraftLedger?
    ) {
        self.model = model
        self.drafter = drafter
        self.ledger = ledger
    }

    public static let deterministic = DraftingEngine(model: nil, drafter: nil, ledger: nil)

    /// `deterministic`, or `llm:BACKEND:MODEL`, as runs are recorded.
    public var name: String { self.model.map { "llm:\($0.backend):\($0.model)" } ?? "deterministic" }

    /// The live agents for `configuration`, with this engine's NoteDrafter.
    public func agents(_ configuration: SessionSupervisor.DraftingConfiguration) -> SessionSupervisor.Agents {
        var agents = SessionSupervisor.Agents(configuration)
        if let drafter = self.drafter { agents.drafter = drafter(agents.drafter) }
        return agents
    }
}
