// The BillingReconciler's port.

/// Reconciles the session into per-attendee claims once the notes exist.
public protocol BillingReconcilingAgent: Sendable {
    func reconcile(_ session: Session, notes: [PersonID: NoteReadiness]) async throws -> BillingResult
}
