/// The ports the supervisor drives. The live agents are actors in this module; tests substitute
/// scripted fakes to show failure isolation, timeouts and cancellation.

/// The agents, by type. Progress events, failures and findings name an agent through this, never through
/// a free string.
public enum AgentKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case transcriptSegmenter = "TranscriptSegmenter"
    case speakerAttributor = "SpeakerAttributor"
    case noteDrafter = "NoteDrafter"
    case groupSummarizer = "GroupSummarizer"
    case planAligner = "PlanAligner"
    case riskScreener = "RiskScreener"
    case billingReconciler = "BillingReconciler"

    public var description: String { self.rawValue }
}

/// A NoteDrafter's answer: the attendee's structured note, and what a language model did for it (its
/// calls, tokens, latency and outcome; nil for the deterministic engine). The record travels with the
/// note, so nothing reports on the side.
public struct NoteDraft: Sendable {
    public var note: StructuredNote
    public var model: ModelDraftRecord?

    public init(note: StructuredNote, model: ModelDraftRecord? = nil) {
        self.note = note
        self.model = model
    }
}

/// Drafts one attendee's structured note (risk and plan progress are joined in afterwards).
public protocol NoteDraftingAgent: Sendable {
    func draft(for attendee: PersonID, in context: DraftingContext) async throws -> NoteDraft
}

/// Aligns one attendee's session with their treatment plan; finds goals that conflict between members.
public protocol PlanAligningAgent: Sendable {
    func align(_ attendee: PersonID, in context: DraftingContext) async throws -> [GoalProgress]
    func conflicts(in context: DraftingContext) async throws -> [GoalConflict]
}

/// Screens the whole session for risk, per attendee.
public protocol RiskScreeningAgent: Sendable {
    func screen(_ context: DraftingContext) async throws -> RiskScreen
}

/// Writes the group (or family) note.
public protocol GroupSummarizingAgent: Sendable {
    func summarize(_ context: DraftingContext) async throws -> GroupNote
}

/// Reconciles the session into per-attendee claims once the notes exist.
public protocol BillingReconcilingAgent: Sendable {
    func reconcile(_ session: Session, notes: [PersonID: NoteReadiness]) async throws -> BillingResult
}
