/// The clinical interventions Ensemble recognises in what clinicians say, shared by the NoteDrafter
/// and the GroupSummarizer (`Agents/interventions/lexicon.json`).
public struct InterventionLexicon: Sendable, Hashable {
    public struct Technique: Sendable, Hashable {
        public var id: String
        /// `DBT`, `CBT`, `MI`, `Family systems` …
        public var modality: String
        /// A short name for the group note (`TIPP skills`).
        public var name: String
        /// What the clinician did, as a clause after a subject (`taught the TIPP distress-tolerance skills`).
        public var description: String
        public var phrases: [String]
        /// Safety work (risk inquiry, safety planning, time-out agreements): written as its own sentence,
        /// so the confidentiality filter can withhold it from a note without taking other work with it.
        public var sensitive: Bool

        public init(
            id: String, modality: String, name: String, description: String, phrases: [String], sensitive: Bool = false
        ) {
            self.id = id
            self.modality = modality
            self.name = name
            self.description = description
            self.phrases = phrases
            self.sensitive = sensitive
        }
    }

    public var version: String
    public var techniques: [Technique]
    /// Words that show a clinician is speaking to the whole group (`everyone`, `let's`), so a sentence
    /// holding them is not read as a reply to the member who spoke last.
    public var groupAddress: [String]

    public init(version: String, techniques: [Technique], groupAddress: [String] = []) {
        self.version = version
        self.techniques = techniques
        self.groupAddress = groupAddress
    }
}

/// The NoteDrafter's configuration (`Agents/note-drafter/`): the practice's wording and note templates.
public struct NoteDrafterConfiguration: Sendable, Hashable {
    public struct SectionTemplate: Sendable, Hashable {
        public var title: String
        public var fields: [NoteField]

        public init(title: String, fields: [NoteField]) {
            self.title = title
            self.fields = fields
        }
    }

    public var version: String
    /// How a note names its own client, per session kind (`Member`, `Client`).
    public var subjects: [SessionKind: String]
    /// The sections of each note format and the fields each holds.
    public var formats: [NoteFormat: [SectionTemplate]]
    /// Sentence templates with `{placeholders}`; see the configuration file for each key.
    public var phrases: [String: String]
    /// What to write for a field the session did not cover.
    public var notAssessed: [NoteField: String]
    public var disclaimer: String
    public var manualNote: String
    public var maximumReported: Int
    public var minimumQuoteWords: Int
    public var maximumQuoteWords: Int
    /// Words that make a client's sentence worth reporting (symptoms, events, skills).
    public var salientWords: [String]
    /// Openers stripped from quotes (`um`, `so`, `yeah`).
    public var fillers: [String]
    /// Phrases of support between members (`glad you're back`).
    public var supportPhrases: [String]
    /// Phrases that mark a plan, homework or follow-up in what a clinician says.
    public var planPhrases: [String]
    /// Phrases that make a sentence a pleasantry rather than a plan (`see you next week`).
    public var planIgnorePhrases: [String]
    /// A question sets a plan only as an offer (`Would you be willing to …?`), not `How was your week?`.
    public var planOfferPhrases: [String]
    /// Openings of a client's sentence that commit to something (`I'll try`, `I'm going to`).
    public var commitmentPhrases: [String]
    /// Words in a client's reply that show how an intervention landed (`helped`, `calmer`, `makes sense`).
    public var responsePhrases: [String]
    /// Above this similarity two notes are reported as near-copies.
    public var cloneSimilarity: Double
    /// Words that mark talk of violence or abuse; in couples and family sessions a sentence holding
    /// them never reaches a note other than the one harmed's (nor the shared note).
    public var protectedTerms: [String]
    /// How many utterances after a risk disclosure belong to it (the clinician's response, the
    /// other partner's reply) and are withheld from other attendees' notes.
    public var protectedSpan: Int

    public init(
        version: String, subjects: [SessionKind: String], formats: [NoteFormat: [SectionTemplate]],
        phrases: [String: String], notAssessed: [NoteField: String], disclaimer: String, manualNote: String,
        maximumReported: Int, minimumQuoteWords: Int, maximumQuoteWords: Int, salientWords: [String], fillers: [String],
        supportPhrases: [String], planPhrases: [String], planIgnorePhrases: [String], planOfferPhrases: [String],
        commitmentPhrases: [String], responsePhrases: [String],
        cloneSimilarity: Double, protectedTerms: [String] = [], protectedSpan: Int = 8
    ) {
        self.version = version
        self.subjects = subjects
        self.formats = formats
        self.phrases = phrases
        self.notAssessed = notAssessed
        self.disclaimer = disclaimer
        self.manualNote = manualNote
        self.maximumReported = maximumReported
        self.minimumQuoteWords = minimumQuoteWords
        self.maximumQuoteWords = maximumQuoteWords
        self.salientWords = salientWords
        self.fillers = fillers
        self.supportPhrases = supportPhrases
        self.planPhrases = planPhrases
        self.planIgnorePhrases = planIgnorePhrases
        self.planOfferPhrases = planOfferPhrases
        self.commitmentPhrases = commitmentPhrases
        self.responsePhrases = responsePhrases
        self.cloneSimilarity = cloneSimilarity
        self.protectedTerms = protectedTerms
        self.protectedSpan = protectedSpan
    }

    /// A phrase with its placeholders filled; a missing key yields the key itself, so a gap shows.
    public func phrase(_ key: String, _ values: [String: String] = [:]) -> String {
        Self.fill(self.phrases, key, values)
    }

    /// `phrases[key]` with each `{name}` replaced by `values[name]`.
    /// One pass over the template: a value is never read again as a template, and a `{name}` with no
    /// value stays as written.
    static func fill(_ phrases: [String: String], _ key: String, _ values: [String: String]) -> String {
        var template = phrases[key] ?? key
        guard !values.isEmpty else { return template }
        return template.withUTF8 { bytes -> String in
            var output: [UInt8] = []
            var copied = 0
            var start = 0
            // Each `}` closes the nearest `{` before it; a name is matched against the few values by bytes.
            for close in 0..<bytes.count where bytes[close] == UInt8(ascii: "}") {
                defer { start = close + 1 }
                guard let open = (start..<close).last(where: { bytes[$0] == UInt8(ascii: "{") }) else { continue }
                let name = UnsafeBufferPointer(rebasing: bytes[(open + 1)..<close])
                guard let value = values.first(where: { $0.key.utf8.elementsEqual(name) })?.value else { continue }
                if output.isEmpty { output.reserveCapacity(bytes.count + 64) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<open]))
                output.append(contentsOf: value.utf8)
                copied = close + 1
            }
            guard copied > 0 else { return String(decoding: bytes, as: UTF8.self) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
            return String(decoding: output, as: UTF8.self)
        }
    }
}

/// The GroupSummarizer's configuration (`Agents/group-summarizer/`).
public struct GroupSummarizerConfiguration: Sendable, Hashable {
    public var version: String
    public var sectionTitles: [String: String]
    public var phrases: [String: String]
    public var supportPhrases: [String]
    public var conflictPhrases: [String]

    public init(
        version: String, sectionTitles: [String: String], phrases: [String: String], supportPhrases: [String],
        conflictPhrases: [String]
    ) {
        self.version = version
        self.sectionTitles = sectionTitles
        self.phrases = phrases
        self.supportPhrases = supportPhrases
        self.conflictPhrases = conflictPhrases
    }

    public func phrase(_ key: String, _ values: [String: String] = [:]) -> String {
        NoteDrafterConfiguration.fill(self.phrases, key, values)
    }

    public func title(_ key: String) -> String { self.sectionTitles[key] ?? key }
}

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

    public init(
        version: String, stopwords: [String], synonyms: [String: [String]], progressCues: [String],
        regressCues: [String], stableCues: [String], negations: [String], minimumOverlap: Int,
        conflictThemes: [ConflictTheme]
    ) {
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
