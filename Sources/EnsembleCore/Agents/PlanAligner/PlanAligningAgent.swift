// The PlanAligner's port.

/// Aligns one attendee's session with their treatment plan; finds goals that conflict between members.
public protocol PlanAligningAgent: Sendable {
    func align(_ attendee: PersonID, in context: DraftingContext) async throws -> [GoalProgress]
    func conflicts(in context: DraftingContext) async throws -> [GoalConflict]
}
