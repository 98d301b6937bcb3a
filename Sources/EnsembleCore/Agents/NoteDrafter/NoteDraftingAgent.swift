// The NoteDrafter's port: what the supervisor asks of a note drafter, and what it gets back.

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
