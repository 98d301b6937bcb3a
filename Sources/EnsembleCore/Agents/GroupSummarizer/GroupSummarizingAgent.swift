// The GroupSummarizer's port.

/// Writes the group (or family) note.
public protocol GroupSummarizingAgent: Sendable {
    func summarize(_ context: DraftingContext) async throws -> GroupNote
}
