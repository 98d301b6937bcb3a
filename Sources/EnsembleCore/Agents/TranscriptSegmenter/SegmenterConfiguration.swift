/// The TranscriptSegmenter's versioned configuration, loaded from `Agents/transcript-segmenter/`.
public struct SegmenterConfiguration: Sendable, Hashable {
    /// A kind of topical segment (`checkIn`, `teaching`, `wrapUp` …) and the phrases that signal it.
    public struct SegmentKind: Sendable, Hashable {
        public enum Position: String, Sendable, Hashable, CaseIterable {
            /// Usually at the start of a session (check-in).
            case opening
            /// Anywhere.
            case any
            /// Usually at the end (wrap-up).
            case closing
        }

        public var name: String
        public var position: Position
        /// Phrases that open this kind of segment when a speaker says them.
        public var openers: [String]
        /// Phrases typical inside this kind of segment.
        public var cues: [String]

        public init(name: String, position: Position, openers: [String], cues: [String]) {
            self.name = name
            self.position = position
            self.openers = openers
            self.cues = cues
        }
    }

    public var version: String
    public var abbreviations: [String]
    public var kinds: [SegmentKind]
    /// The segment name used where no kind's phrases speak.
    public var fallbackKind: String
    /// Log-score an opener phrase adds for its kind.
    public var openerWeight: Double
    /// Log-score a cue phrase adds for its kind.
    public var cueWeight: Double
    /// Log-score charged for switching segment between two utterances; higher gives fewer, longer segments.
    public var switchPenalty: Double
    /// Segments shorter than this many utterances merge into a neighbour.
    public var minimumUtterances: Int
    /// Two utterances with cues of one kind less than this many utterances apart open that kind at the
    /// first, as an opener phrase would; 0 or 1 turns it off.
    public var cueRun: Int

    public init(
        version: String, abbreviations: [String], kinds: [SegmentKind], fallbackKind: String, openerWeight: Double,
        cueWeight: Double, switchPenalty: Double, minimumUtterances: Int, cueRun: Int = 0
    ) {
        self.cueRun = cueRun
        self.version = version
        self.abbreviations = abbreviations
        self.kinds = kinds
        self.fallbackKind = fallbackKind
        self.openerWeight = openerWeight
        self.cueWeight = cueWeight
        self.switchPenalty = switchPenalty
        self.minimumUtterances = minimumUtterances
    }
}
