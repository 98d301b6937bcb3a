/// What became of one attendee's model-drafted note: the record behind the run report's usage figures
/// and the fallback findings.
public struct ModelDraftRecord: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The model's sentences were used: `kept` passed every check, `dropped` did not.
        case accepted(kept: Int, dropped: Int)
        /// The deterministic draft was used instead, and why (by kind, never by content).
        case fellBack(String)
    }

    public var attendee: PersonID
    /// The session drafted.
    public var session: SessionID?
    public var outcome: Outcome
    /// Model calls made (each may have been retried inside the client).
    public var calls: Int
    public var requests: Int
    public var usage: TokenUsage
    public var latency: Duration

    public init(
        attendee: PersonID, outcome: Outcome, calls: Int, requests: Int, usage: TokenUsage, latency: Duration
    ) {
        self.attendee = attendee
        self.outcome = outcome
        self.calls = calls
        self.requests = requests
        self.usage = usage
        self.latency = latency
    }

    /// The finding a fallback leaves for the clinician; nil when the model's sentences were used.
    public var finding: Finding? {
        guard case .fellBack(let reason) = self.outcome else { return nil }
        return Finding(
            code: .modelFallback, severity: .warning, person: self.attendee,
            message:
                "The language model's draft for \(self.attendee) was not used (\(reason)); the deterministic draft stands."
        )
    }
}

extension Duration {
    /// Whole milliseconds, for reports and the audit trail.
    public var wholeMilliseconds: Int {
        let (seconds, attoseconds) = self.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
