/// Screens an attributed session for suicide, self-harm, violence, abuse and relapse risk per attendee.
/// The work is the pure `RiskScreening`; the call never suspends midway.
public actor RiskScreener: RiskScreeningAgent {
    private let screening: RiskScreening
    public private(set) var job: AgentJob?

    public init(configuration: RiskScreenerConfiguration) {
        self.init(compiled: RiskScreening(configuration: configuration))
    }

    /// An instance over configuration compiled once for many.
    public init(compiled screening: RiskScreening) { self.screening = screening }

    public func screen(_ context: DraftingContext) async throws -> RiskScreen {
        try AgentJob.perform(&self.job, .riskScreener, session: context.facts.session.id) {
            self.screening.screen(context.facts)
        }
    }
}
