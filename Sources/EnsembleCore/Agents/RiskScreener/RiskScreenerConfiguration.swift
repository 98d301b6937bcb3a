/// The RiskScreener's configuration (`Agents/risk-screener/config.json`), C-SSRS-aware (see
/// `docs/risk.md`): clinical concepts as patterns in the shared pattern language, the context that
/// changes what they mean (ConText: negation, hypotheticals, history, who it is about, figurative
/// speech), the clinician's screening questions and how answers read.
public struct RiskScreenerConfiguration: Sendable, Hashable {
    /// Whose risk a concept is.
    public enum Reading: String, Sendable, Hashable, CaseIterable {
        /// The one who has the thoughts or did it to themselves (`I want to die`, `she cut herself`).
        case experiencer
        /// The one harmed (`he hit me`, `my stepdad hits him`).
        case target
        /// Always the one speaking (`… will find out what happens when you mess with my family`).
        case speaker
    }

    /// A clinical concept: what it means, how serious, and the patterns that say it.
    public struct Concept: Sendable, Hashable {
        public var id: String
        /// nil for violence, whose category follows who harms whom (child, elder, partner).
        public var category: RiskCategory?
        public var reading: Reading
        /// The level for a current or recent occurrence (within three months).
        public var level: RiskLevel
        /// The level when it lies more than three months back.
        public var pastLevel: RiskLevel
        public var cssrsItem: Int?
        /// Words for the finding (`passive wish to be dead`); never quotes.
        public var indicator: String
        /// The clinical source it paraphrases (`C-SSRS screener item 1`).
        public var source: String
        public var patterns: [String]
        /// Counts only as the answer to a clinician's question on its category (`I have a plan`).
        public var answerOnly: Bool
        /// A behaviour whose timing is unknown unless stated reads at `pastLevel` (C-SSRS item 6 asks
        /// `ever`, then `in the past three months?`).
        public var timingMatters: Bool
        /// The patterns name the one who harms after `by` (`I got hit by my dad`): the person harmed is
        /// the subject.
        public var passive: Bool
        /// A recent occurrence's level by the category violence resolves to, where it differs from `level`.
        public var categoryLevels: [RiskCategory: RiskLevel]
        /// Counts only where its category is already in the conversation (another concept of it in the
        /// same utterance or the few before, or a clinician's question on it): `I've got it all worked
        /// out` after talk of suicide.
        public var needsContext: Bool
        /// Groups of patterns that must all match in one sentence (a money word and a taking word:
        /// `my checkbook's gone missing … checks written to cash`), for language too varied for one
        /// sequence; the concept matches over the span they cover.
        public var cues: [[String]]
        /// The clinical source of a single pattern, where the concept's is not enough (a pattern that
        /// also matches a bundled transcript names the instrument item it paraphrases).
        public var patternSources: [String: String]

        public init(
            id: String, category: RiskCategory?, reading: Reading, level: RiskLevel, pastLevel: RiskLevel,
            cssrsItem: Int? = nil, indicator: String, source: String, patterns: [String], answerOnly: Bool = false,
            timingMatters: Bool = false, passive: Bool = false, categoryLevels: [RiskCategory: RiskLevel] = [:],
            needsContext: Bool = false, cues: [[String]] = [], patternSources: [String: String] = [:]
        ) {
            self.patternSources = patternSources
            self.needsContext = needsContext
            self.cues = cues
            self.passive = passive
            self.categoryLevels = categoryLevels
            self.id = id
            self.category = category
            self.reading = reading
            self.level = level
            self.pastLevel = pastLevel
            self.cssrsItem = cssrsItem
            self.indicator = indicator
            self.source = source
            self.patterns = patterns
            self.answerOnly = answerOnly
            self.timingMatters = timingMatters
        }
    }

    /// A screening question phrased as clinicians ask it (`Are you safe at home?`), beside the concepts
    /// a question may also hold (`Have you had thoughts of killing yourself?`).
    public struct Question: Sendable, Hashable {
        public var id: String
        /// nil for safety at home, whose category follows who answers (a child, an older adult, a partner).
        public var category: RiskCategory?
        /// The level an affirmed answer raises.
        public var level: RiskLevel
        public var cssrsItem: Int?
        public var indicator: String
        public var source: String
        /// A `yes` means safe (`Do you feel safe at home?`), so a `no` is the risk.
        public var yesIsSafe: Bool
        /// Asks when a behaviour happened (`Was that in the past three months?`): a `yes` makes the
        /// answerer's last affirmed behaviour recent.
        public var asksRecency: Bool
        public var patterns: [String]
        /// An affirmed answer's level by the category a safety question resolves to, where it differs.
        public var categoryLevels: [RiskCategory: RiskLevel]

        public init(
            id: String, category: RiskCategory?, level: RiskLevel, cssrsItem: Int? = nil, indicator: String,
            source: String, yesIsSafe: Bool = false, asksRecency: Bool = false, patterns: [String],
            categoryLevels: [RiskCategory: RiskLevel] = [:]
        ) {
            self.categoryLevels = categoryLevels
            self.id = id
            self.category = category
            self.level = level
            self.cssrsItem = cssrsItem
            self.indicator = indicator
            self.source = source
            self.yesIsSafe = yesIsSafe
            self.asksRecency = asksRecency
            self.patterns = patterns
        }
    }

    /// The context rules (patterns in the pattern language).
    public struct Context: Sendable, Hashable {
        /// Before a concept in its clause: negate it (`not`, `never`, `I don't`).
        public var negations: [String]
        /// Look like negations and are not (`not only`, `can't stop`, `wouldn't mind`).
        public var pseudoNegations: [String]
        /// End a context's scope (`but`, `though`, `except`).
        public var terminators: [String]
        /// Open a hypothetical clause (`if`, `what if`, `suppose`); the clause ends at a comma, `then`
        /// or a new subject.
        public var hypotheticals: [String]
        /// Self-questions that make a statement hypothetical (`do I want to … ?`).
        public var selfQuestions: [String]
        /// Place a statement more than three months back (`years ago`, `when I was a kid`).
        public var historical: [String]
        /// Place it within three months (`last night`, `since we last met`); wins over historical.
        public var recent: [String]
        /// Verbs of reported speech (`said`, `texted`, `was screaming`): first person after them is the
        /// one reported.
        public var reportVerbs: [String]
        /// Talk about no one in particular (`on the news`, `people who`, `in the movie`).
        public var generic: [String]
        /// Figurative and idiomatic uses (`this commute is killing me`); they cancel only the concepts
        /// they cover.
        public var figurative: [String]
        /// Before harm in its clause: the harm is only pictured (`I think about …`, `I want to …`).
        public var imagined: [String]

        public init(
            negations: [String], pseudoNegations: [String], terminators: [String], hypotheticals: [String],
            selfQuestions: [String], historical: [String], recent: [String], reportVerbs: [String],
            generic: [String], figurative: [String], imagined: [String] = []
        ) {
            self.imagined = imagined
            self.negations = negations
            self.pseudoNegations = pseudoNegations
            self.terminators = terminators
            self.hypotheticals = hypotheticals
            self.selfQuestions = selfQuestions
            self.historical = historical
            self.recent = recent
            self.reportVerbs = reportVerbs
            self.generic = generic
            self.figurative = figurative
        }
    }

    /// How the opening of an answer reads.
    public struct Answers: Sendable, Hashable {
        public var affirmed: [String]
        public var denied: [String]
        public var hedged: [String]
        public var unclear: [String]

        public init(affirmed: [String], denied: [String], hedged: [String], unclear: [String]) {
            self.affirmed = affirmed
            self.denied = denied
            self.hedged = hedged
            self.unclear = unclear
        }
    }

    /// Words that say who a person is to the speaker, for working out who harms whom.
    public struct Relations: Sendable, Hashable {
        public var partner: [String]
        public var parent: [String]
        public var child: [String]
        public var grandparent: [String]
        public var sibling: [String]
        /// Paid or other carers (`aide`, `caregiver`, `babysitter`).
        public var carer: [String]
        public var female: [String]
        public var male: [String]

        public init(
            partner: [String], parent: [String], child: [String], grandparent: [String], sibling: [String],
            carer: [String], female: [String], male: [String]
        ) {
            self.partner = partner
            self.parent = parent
            self.child = child
            self.grandparent = grandparent
            self.sibling = sibling
            self.carer = carer
            self.female = female
            self.male = male
        }
    }

    /// What a clinician does about a disclosure once it is made: a report to a protective agency, a
    /// safety plan and crisis resources, a medical check, a referral. Found in the clinician's sentences
    /// after a flag, it belongs in the chart of the person at risk and in no one else's.
    public struct FollowUp: Sendable, Hashable {
        public var id: String
        /// What it is, in words that quote nothing (`report to a protective agency`).
        public var indicator: String
        public var source: String
        public var patterns: [String]

        public init(id: String, indicator: String, source: String, patterns: [String]) {
            self.id = id
            self.indicator = indicator
            self.source = source
            self.patterns = patterns
        }
    }

    public var version: String
    public var language: PatternLanguage
    public var followUps: [FollowUp]
    /// How many utterances after a flag's last evidence a follow-up may come.
    public var followUpSpan: Int
    public var concepts: [Concept]
    public var questions: [Question]
    public var context: Context
    public var answers: Answers
    public var relations: Relations
    /// The age from which a person counts as an older adult for elder abuse.
    public var elderAge: Int
    /// The level a PHQ-9 item 9 answer above zero raises.
    public var item9Level: RiskLevel

    public init(
        version: String, language: PatternLanguage, concepts: [Concept], questions: [Question], context: Context,
        answers: Answers, relations: Relations, elderAge: Int, item9Level: RiskLevel, followUps: [FollowUp] = [],
        followUpSpan: Int = 60
    ) {
        self.followUps = followUps
        self.followUpSpan = followUpSpan
        self.version = version
        self.language = language
        self.concepts = concepts
        self.questions = questions
        self.context = context
        self.answers = answers
        self.relations = relations
        self.elderAge = elderAge
        self.item9Level = item9Level
    }
}
