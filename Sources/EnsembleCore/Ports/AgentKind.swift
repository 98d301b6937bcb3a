// The agents the supervisor drives. Each agent's port (the protocol the supervisor calls) lives in its
// folder under `Agents/`; the live agents are actors there, and tests substitute scripted fakes to show
// failure isolation, timeouts and cancellation.

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
