/// The BillingReconciler agent: an actor over `BillingReconciliation`, run by the supervisor once the
/// notes are drafted (a claim's status depends on its attendee's note).
public actor BillingReconciler: BillingReconcilingAgent {
    private let engine: BillingReconciliation

    public init(rules: BillingRules) {
        self.engine = BillingReconciliation(rules: rules)
    }

    /// Runs outside the actor's isolation (immutable rules only), so sessions reconcile in parallel
    /// instead of queueing on one actor.
    public nonisolated func reconcile(_ session: Session, notes: [PersonID: NoteReadiness]) async throws
        -> BillingResult
    {
        self.engine.reconcile(session, notes: notes)
    }
}
