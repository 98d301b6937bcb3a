/// The PlanAligner's configuration (`Agents/plan-aligner/`).
public struct PlanAlignerConfiguration: Sendable, Hashable {
    /// Two directions members' goals can pull in, and what to propose instead.
    public struct ConflictTheme: Sendable, Hashable {
        public var name: String
        public var sideA: [String]
        public var sideB: [String]
        public var suggestion: String

        public init(name: String, sideA: [String], sideB: [String], suggestion: String) {
            self.name = name
            self.sideA = sideA
            self.sideB = sideB
            self.suggestion = suggestion
        }
    }

    public var version: String
    public var stopwords: [String]
    /// Goal word → words that count as the same topic in speech (`panic` → `anxious`, `attack`).
    public var synonyms: [String: [String]]
    public var progressCues: [String]
    public var regressCues: [String]
    public var stableCues: [String]
    /// Words that turn a cue around when they come just before it (`didn't really help`).
    public var negations: [String]
    /// How many of a goal's topic words an utterance must touch to count as evidence.
    public var minimumOverlap: Int
    public var conflictThemes: [ConflictTheme]
    /// Words in a goal that make what follows them a behaviour to reduce (`reduce`, `instead of`,
    /// `abstain from`): saying it happened is regress, saying it did not, or less often, is progress.
    public var reductionWords: [String]
    /// Phrases that say a behaviour came less often or less strongly (`fewer`, `instead of`, `down
    /// from`).
    public var decreaseCues: [String]

    public init(
        version: String, stopwords: [String], synonyms: [String: [String]], progressCues: [String],
        regressCues: [String], stableCues: [String], negations: [String], minimumOverlap: Int,
        conflictThemes: [ConflictTheme], reductionWords: [String] = [], decreaseCues: [String] = []
    ) {
        self.reductionWords = reductionWords
        self.decreaseCues = decreaseCues
        self.version = version
        self.stopwords = stopwords
        self.synonyms = synonyms
        self.progressCues = progressCues
        self.regressCues = regressCues
        self.stableCues = stableCues
        self.negations = negations
        self.minimumOverlap = minimumOverlap
        self.conflictThemes = conflictThemes
    }
}
