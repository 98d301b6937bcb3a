// The RiskScreener's port.

/// Screens the whole session for risk, per attendee.
public protocol RiskScreeningAgent: Sendable {
    func screen(_ context: DraftingContext) async throws -> RiskScreen
}
