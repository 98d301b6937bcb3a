/// The BillingReconciler agent: an actor over `BillingReconciliation`, run by the supervisor once the
/// notes are drafted (a claim's status depends on its attendee's note).
public actor BillingReconciler: BillingReconcilingAgent {
    private let engine: BillingReconciliation
    public private(set) var job: AgentJob?

    public init(rules: BillingRules) {
        self.init(compiled: BillingReconciliation(rules: rules))
    }

    /// An instance over rules compiled once for many.
    public init(compiled engine: BillingReconciliation) { self.engine = engine }

    public func reconcile(_ session: Session, notes: [PersonID: NoteReadiness]) async throws -> BillingResult {
        try AgentJob.perform(&self.job, .billingReconciler, session: session.id) {
            self.engine.reconcile(session, notes: notes)
        }
    }
}
