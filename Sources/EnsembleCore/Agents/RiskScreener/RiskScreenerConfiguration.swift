/// The RiskScreener's configuration (`Agents/risk-screener/`), C-SSRS-aware (DOMAIN.md section 5).
public struct RiskScreenerConfiguration: Sendable, Hashable {
    /// Who a matched phrase is about.
    public enum Subject: String, Sendable, Hashable, CaseIterable {
        /// The speaker (`I want to kill myself`).
        case speaker
        /// Someone the speaker talks about (`she cut herself`).
        case other
        /// The speaker, as the one harmed by someone else (`he grabbed my wrist`).
        case victim
    }

    /// Whose words a rule applies to, by age (`he hits me` is child abuse from a child, partner
    /// violence from an adult).
    public enum SpeakerAge: String, Sendable, Hashable, CaseIterable {
        case any, minor, adult
    }

    public struct Rule: Sendable, Hashable {
        public var category: RiskCategory
        /// The level for a current or recent occurrence.
        public var level: RiskLevel
        /// The level when the speaker places it more than three months back.
        public var pastLevel: RiskLevel
        public var cssrsItem: Int?
        public var subject: Subject
        /// Words for the finding (`passive wish to be dead`); never quotes.
        public var indicator: String
        public var patterns: [String]
        public var speakerAge: SpeakerAge
        /// The phrase counts only as the answer to a clinician's question on the category (`I have a
        /// plan` after `Do you have a plan?`, not about the weekend).
        public var answerOnly: Bool

        public init(
            category: RiskCategory, level: RiskLevel, pastLevel: RiskLevel, cssrsItem: Int?, subject: Subject,
            indicator: String, patterns: [String], speakerAge: SpeakerAge = .any, answerOnly: Bool = false
        ) {
            self.category = category
            self.level = level
            self.pastLevel = pastLevel
            self.cssrsItem = cssrsItem
            self.subject = subject
            self.indicator = indicator
            self.patterns = patterns
            self.speakerAge = speakerAge
            self.answerOnly = answerOnly
        }
    }

    /// A clinician's question about a risk topic; the answer that follows is recorded.
    public struct Question: Sendable, Hashable {
        public var category: RiskCategory
        public var patterns: [String]

        public init(category: RiskCategory, patterns: [String]) {
            self.category = category
            self.patterns = patterns
        }
    }

    public var version: String
    public var rules: [Rule]
    public var questions: [Question]
    /// Words before a phrase, in its clause, that negate it (`not`, `never`, `don't`).
    public var negations: [String]
    /// Openers that make a sentence hypothetical (`if`, `what if`, `suppose`).
    public var hypotheticals: [String]
    /// Self-questions that make it hypothetical (`do I want to`, `would I`).
    public var selfQuestions: [String]
    /// Phrases that place it more than three months back (`years ago`, `when I was a kid`).
    public var pastCues: [String]
    /// Phrases that place it within three months (`last week`, `a few weeks ago`).
    public var recentCues: [String]
    /// Answers that deny (`no`, `not like that`, `I haven't`).
    public var denials: [String]
    /// Reported speech about people outside the session (`my friend said`), which flags nobody present.
    public var reportedSpeech: [String]
    /// The level a PHQ-9 item 9 answer above zero raises.
    public var item9Level: RiskLevel

    public init(
        version: String, rules: [Rule], questions: [Question], negations: [String], hypotheticals: [String],
        selfQuestions: [String], pastCues: [String], recentCues: [String], denials: [String],
        reportedSpeech: [String], item9Level: RiskLevel
    ) {
        self.version = version
        self.rules = rules
        self.questions = questions
        self.negations = negations
        self.hypotheticals = hypotheticals
        self.selfQuestions = selfQuestions
        self.pastCues = pastCues
        self.recentCues = recentCues
        self.denials = denials
        self.reportedSpeech = reportedSpeech
        self.item9Level = item9Level
    }
}
