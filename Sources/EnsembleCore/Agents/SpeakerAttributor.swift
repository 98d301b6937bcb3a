/// Binds every speaker label, and where a label covers several people every utterance, to a roster
/// person with a confidence; below the configured threshold the answer is `unknown`, never a guess.
///
/// The work is the pure `AttributionEngine`: a call never suspends midway and never throws. It runs
/// outside the actor's isolation (immutable configuration only), so sessions are attributed in parallel.
public actor SpeakerAttributor {
    private let engine: AttributionEngine

    public init(configuration: AttributorConfiguration) {
        self.engine = AttributionEngine(configuration: configuration)
    }

    public nonisolated var configurationVersion: String { self.engine.configuration.version }

    public nonisolated func attribute(_ segmented: SegmentedTranscript, roster: Roster, hints: [SpeakerHint] = [])
        -> Attribution
    {
        self.engine.attribute(segmented, roster: roster, hints: hints)
    }
}
