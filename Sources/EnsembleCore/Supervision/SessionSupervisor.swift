/// What the supervisor reports while a session runs.
public enum SupervisorEvent: Sendable, Hashable {
    case segmented(utterances: Int, segments: Int)
    case attributed(speakers: Int, unknownUtterances: Int)
    case finished
}

/// A session after segmentation and attribution: what every later agent starts from.
public struct AttributedSession: Sendable, Hashable {
    public var session: Session
    public var roster: Roster
    public var segmented: SegmentedTranscript
    public var attribution: Attribution

    public init(session: Session, roster: Roster, segmented: SegmentedTranscript, attribution: Attribution) {
        self.session = session
        self.roster = roster
        self.segmented = segmented
        self.attribution = attribution
    }
}

/// Runs the agents over one session in order: segment, then attribute.
///
/// Progress leaves through `events` (newest kept when nobody reads). Cancelling the calling task
/// stops the run between stages with `CancellationError`.
public actor SessionSupervisor {
    public struct Configuration: Sendable {
        public var segmenter: SegmenterConfiguration
        public var attributor: AttributorConfiguration

        public init(segmenter: SegmenterConfiguration, attributor: AttributorConfiguration) {
            self.segmenter = segmenter
            self.attributor = attributor
        }
    }

    private let segmenter: TranscriptSegmenter
    private let attributor: SpeakerAttributor
    public nonisolated let events: AsyncStream<SupervisorEvent>
    private let continuation: AsyncStream<SupervisorEvent>.Continuation

    public init(configuration: Configuration) {
        self.segmenter = TranscriptSegmenter(configuration: configuration.segmenter)
        self.attributor = SpeakerAttributor(configuration: configuration.attributor)
        (self.events, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(64))
    }

    deinit { self.continuation.finish() }

    /// Segments and attributes one session's transcript.
    public func attribute(_ session: Session, transcript: Transcript) async throws -> AttributedSession {
        try Task.checkCancellation()
        let segmented = await self.segmenter.segment(transcript)
        self.continuation.yield(.segmented(utterances: segmented.utterances.count, segments: segmented.segments.count))
        try Task.checkCancellation()
        let roster = Roster(session: session)
        let attribution = await self.attributor.attribute(segmented, roster: roster, hints: session.speakerHints)
        self.continuation.yield(
            .attributed(speakers: attribution.speakers.count, unknownUtterances: attribution.unknownUtterances.count)
        )
        self.continuation.yield(.finished)
        return AttributedSession(session: session, roster: roster, segmented: segmented, attribution: attribution)
    }
}
