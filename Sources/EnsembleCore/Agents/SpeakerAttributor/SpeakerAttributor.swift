/// Binds every speaker label, and where a label covers several people every utterance, to a roster
/// person with a confidence; below the configured threshold the answer is `unknown`, never a guess.
///
/// One instance per session: it owns that job's state; the work is the pure `AttributionEngine`, compiled
/// once and shared by every instance, so sessions are attributed in parallel.
public actor SpeakerAttributor {
    private let engine: AttributionEngine
    public private(set) var job: AgentJob?

    public init(configuration: AttributorConfiguration) {
        self.init(compiled: AttributionEngine(configuration: configuration))
    }

    /// An instance over configuration (the lexicon) compiled once for many.
    public init(compiled engine: AttributionEngine) { self.engine = engine }

    public nonisolated var configurationVersion: String { self.engine.configuration.version }

    /// Attributes one session's segmented transcript: this instance's one job.
    public func attribute(
        _ segmented: SegmentedTranscript, roster: Roster, hints: [SpeakerHint] = [], session: SessionID
    ) throws -> Attribution {
        try AgentJob.perform(&self.job, .speakerAttributor, session: session) {
            self.engine.attribute(segmented, roster: roster, hints: hints)
        }
    }
}
