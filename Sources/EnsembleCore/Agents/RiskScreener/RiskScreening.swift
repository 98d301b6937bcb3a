/// The pure procedure behind `RiskScreener`: finds risk statements per attendee, C-SSRS-aware.
///
/// A phrase counts only when it is not negated in its clause (`I'm not suicidal`), not hypothetical
/// (`if I ever…`, `do I want to … in the long run?`) and not reported speech about someone outside the
/// session. Who it is about follows the rule: the speaker, the speaker as the one harmed, or another
/// attendee (a parent about a child). Timing lowers a level when the speaker places it more than three
/// months back. A clinician's risk question and the answer that follows are recorded, so a note may say
/// a risk was denied only when it was asked and answered. PHQ-9 item 9 above zero raises a flag.
public struct RiskScreening: Sendable {
    public let configuration: RiskScreenerConfiguration
    private let rules: PatternIndex<Int>
    private let questions: PatternIndex<RiskCategory>
    private let negations: PhraseIndex<Bool>
    private let hypotheticals: PhraseIndex<Bool>
    private let selfQuestions: PhraseIndex<Bool>
    private let past: PhraseIndex<Bool>
    private let recent: PhraseIndex<Bool>
    private let denials: PhraseIndex<Bool>
    private let reported: PhraseIndex<Bool>
    /// Words after a negation that cancel it (`wouldn't mind`).
    private let affirmations = PhraseIndex(
        ["wouldn't mind", "would not mind", "don't mind", "can't stop", "cannot stop", "couldn't stop", "can't help"]
            .map { ($0, true) }
    )

    public init(configuration: RiskScreenerConfiguration) {
        self.configuration = configuration
        self.rules = PatternIndex(
            configuration.rules.enumerated().flatMap { offset, rule in rule.patterns.map { ($0, offset) } }
        )
        self.questions = PatternIndex(
            configuration.questions.flatMap { question in question.patterns.map { ($0, question.category) } })
        self.negations = PhraseIndex(configuration.negations.map { ($0, true) })
        self.hypotheticals = PhraseIndex(configuration.hypotheticals.map { ($0, true) })
        self.selfQuestions = PhraseIndex(configuration.selfQuestions.map { ($0, true) })
        self.past = PhraseIndex(configuration.pastCues.map { ($0, true) })
        self.recent = PhraseIndex(configuration.recentCues.map { ($0, true) })
        self.denials = PhraseIndex(configuration.denials.map { ($0, true) })
        self.reported = PhraseIndex(configuration.reportedSpeech.map { ($0, true) })
    }

    private struct Accumulator {
        var level = RiskLevel.none
        var evidence: [Int] = []
        var sources: [RiskFlag.Source] = []
        var cssrs: Int? = nil
        var indicators: [String] = []

        mutating func add(level: RiskLevel, utterance: Int?, source: RiskFlag.Source, cssrs: Int?, indicator: String) {
            self.level = max(self.level, level)
            if let utterance { self.evidence.append(utterance) }
            if !self.sources.contains(source) { self.sources.append(source) }
            if let cssrs { self.cssrs = max(self.cssrs ?? 0, cssrs) }
            if !self.indicators.contains(indicator) { self.indicators.append(indicator) }
        }
    }

    private struct Key: Hashable {
        var attendee: PersonID?
        var category: RiskCategory
    }

    public func screen(_ facts: SessionFacts) -> RiskScreen {
        var found: [Key: Accumulator] = [:]
        var assessments: [RiskAssessment] = []
        // A clinician's open risk question: (category, utterance, who was asked).
        var pending: [(category: RiskCategory, utterance: Int, addressee: PersonID?)] = []
        let segmented = facts.segmented

        for u in 0..<facts.utteranceCount where segmented.isSpeech[u] {
            let words = segmented.texts[u].words
            if facts.isClinician[u] {
                let asked = Set(self.questions.matches(in: words).map(\.value))
                if !asked.isEmpty {
                    pending = asked.sorted { $0.rawValue < $1.rawValue }.map { ($0, u, facts.addressees[u].first) }
                }
                continue
            }
            let speaker = facts.speaker[u]
            var flaggedHere: Set<RiskCategory> = []
            var deniedHere: Set<RiskCategory> = []
            pending.removeAll { u - $0.utterance > 3 }
            let answering = Set(pending.filter { $0.addressee == nil || $0.addressee == speaker }.map(\.category))
            for match in self.rules.matches(in: words) {
                let rule = self.configuration.rules[match.value]
                guard self.fits(rule.speakerAge, speaker: speaker, facts: facts) else { continue }
                guard !rule.answerOnly || answering.contains(rule.category) else { continue }
                switch self.reading(of: match.words, in: words) {
                case .negated:
                    deniedHere.insert(rule.category)
                    continue
                case .hypothetical:
                    continue
                case .affirmed(let isPast):
                    guard
                        let subject = self.subject(
                            of: rule, match: match.words, words: words, speaker: speaker, facts: facts, utterance: u)
                    else { continue }
                    let level = isPast ? rule.pastLevel : rule.level
                    guard level > .none else { continue }
                    let source: RiskFlag.Source = subject == speaker ? .selfReport : .thirdParty
                    found[Key(attendee: subject, category: rule.category), default: Accumulator()].add(
                        level: level, utterance: u, source: source, cssrs: rule.cssrsItem,
                        indicator: rule.indicator + (isPast ? " (more than three months ago)" : "")
                    )
                    if subject == speaker { flaggedHere.insert(rule.category) }
                }
            }
            // The answer to a pending clinician question, when this is who was asked.
            if let speaker, !pending.isEmpty {
                let opensWithDenial = self.denials.containsMatch(in: words, startingWithin: 1)
                for question in pending where question.addressee == nil || question.addressee == speaker {
                    let denied =
                        !flaggedHere.contains(question.category)
                        && (opensWithDenial || deniedHere.contains(question.category))
                    assessments.append(
                        RiskAssessment(
                            attendee: speaker, category: question.category, question: question.utterance, answer: u,
                            denied: denied)
                    )
                }
                pending.removeAll { $0.addressee == nil || $0.addressee == speaker }
            }
        }

        // PHQ-9 item 9 above zero.
        for attendee in facts.session.attendees where attendee.present {
            for (offset, measure) in attendee.measures.enumerated() {
                guard TextFolding.fold(measure.instrument).hasPrefix("phq"), let item9 = measure.item9, item9 > 0 else {
                    continue
                }
                found[Key(attendee: attendee.id, category: .suicidalIdeation), default: Accumulator()].add(
                    level: self.configuration.item9Level, utterance: nil, source: .measure, cssrs: nil,
                    indicator: "PHQ-9 item 9 answered \(item9) (measures[\(offset)])"
                )
            }
        }

        let order = Dictionary(uniqueKeysWithValues: facts.roster.people.enumerated().map { ($1.id, $0) })
        let flags = found.map { key, value in
            RiskFlag(
                attendee: key.attendee, category: key.category, level: value.level, evidence: value.evidence,
                sources: value.sources, cssrsItem: value.cssrs, indicators: value.indicators
            )
        }.sorted {
            (order[$0.attendee ?? PersonID("")] ?? Int.max, $0.category.rawValue) < (
                order[$1.attendee ?? PersonID("")] ?? Int.max, $1.category.rawValue
            )
        }
        return RiskScreen(flags: flags, assessments: assessments)
    }

    private enum Reading {
        case negated, hypothetical
        case affirmed(isPast: Bool)
    }

    /// Whether a match is negated or hypothetical in its clause, and whether it lies in the past.
    private func reading(of range: Range<Int>, in words: [Word]) -> Reading {
        let sentence = words[range.lowerBound].sentence
        var sentenceStart = range.lowerBound
        while sentenceStart > 0, words[sentenceStart - 1].sentence == sentence { sentenceStart -= 1 }
        var sentenceEnd = range.upperBound
        while sentenceEnd < words.count, words[sentenceEnd].sentence == sentence { sentenceEnd += 1 }
        var clauseStart = range.lowerBound
        while clauseStart > sentenceStart, ![.comma, .semicolon, .colon, .dash].contains(words[clauseStart - 1].after) {
            clauseStart -= 1
        }
        let sentenceWords = Array(words[sentenceStart..<sentenceEnd])
        let matchStart = range.lowerBound - sentenceStart
        let clause = (clauseStart - sentenceStart)..<(range.upperBound - sentenceStart)

        // Negated: a negation in the clause before the phrase (a pattern may hold one itself, as in
        // `not wake up`), unless affirmed (`wouldn't mind`, `can't stop`).
        var negated = false
        var affirmed = false
        self.negations.forEachMatch(in: sentenceWords) { span, _ in
            if span.lowerBound >= clause.lowerBound && span.lowerBound < matchStart { negated = true }
        }
        self.affirmations.forEachMatch(in: sentenceWords) { span, _ in
            if span.lowerBound >= clause.lowerBound && span.lowerBound < matchStart { affirmed = true }
        }
        if negated && !affirmed { return .negated }

        // Hypothetical: the sentence opens with `if`, or is a self-question (`do I want to … ?`).
        var hypothetical = false
        self.hypotheticals.forEachMatch(in: sentenceWords) { span, _ in
            if span.lowerBound <= 1 || (span.lowerBound >= clause.lowerBound && span.lowerBound < matchStart) {
                hypothetical = true
            }
        }
        let isQuestion = sentenceWords.last?.after == .question
        if isQuestion {
            self.selfQuestions.forEachMatch(in: sentenceWords) { span, _ in
                if span.lowerBound < matchStart { hypothetical = true }
            }
        }
        if hypothetical { return .hypothetical }

        let isPast = self.past.containsMatch(in: sentenceWords)
        return .affirmed(isPast: isPast && !self.recent.containsMatch(in: sentenceWords))
    }

    /// Who a matched statement is about, or nil when it is nobody in the session.
    private func subject(
        of rule: RiskScreenerConfiguration.Rule, match: Range<Int>, words: [Word], speaker: PersonID?,
        facts: SessionFacts,
        utterance u: Int
    ) -> PersonID?? {
        // Reported speech before the phrase (`my friend said she…`) is about someone outside the session
        // unless an attendee is named.
        let sentence = words[match.lowerBound].sentence
        var reportedBefore = false
        self.reported.forEachMatch(in: words) { span, _ in
            if span.lowerBound < match.lowerBound && words[span.lowerBound].sentence == sentence {
                reportedBefore = true
            }
        }
        if rule.subject != .other && !reportedBefore { return .some(speaker) }
        // `she cut herself`, or `she said she wanted to die`: about an attendee named, or (when a relative
        // speaks) their family's patient; `my friend said …` in a group flags nobody.
        return self.someoneElse(in: u, speaker: speaker, facts: facts)
    }

    /// An attendee named in the utterance, else (when a relative speaks) their family's identified patient.
    private func someoneElse(in u: Int, speaker: PersonID?, facts: SessionFacts) -> PersonID?? {
        if let named = self.namedAttendee(in: u, except: speaker, facts: facts) { return .some(named) }
        return self.relativesPatient(speaker: speaker, facts: facts)
    }

    /// When a relative (not the patient, not a group member) speaks: their family's identified patient.
    private func relativesPatient(speaker: PersonID?, facts: SessionFacts) -> PersonID?? {
        guard let speaker, let person = facts.roster.person(speaker) else { return nil }
        guard case .attendee(let role) = person.kind, role != .identifiedPatient, role != .member else { return nil }
        let patients = facts.session.attendees.filter { $0.role == .identifiedPatient && $0.present }
        if let related = person.relatedTo, patients.contains(where: { $0.id == related }) { return .some(related) }
        return patients.count == 1 ? .some(patients[0].id) : nil
    }

    /// Whether the speaker's age suits a rule (unknown ages suit any).
    private func fits(_ age: RiskScreenerConfiguration.SpeakerAge, speaker: PersonID?, facts: SessionFacts) -> Bool {
        guard age != .any, let speaker, let person = facts.roster.person(speaker) else { return true }
        let years = person.age ?? (person.relationship != nil && person.attendeeRole != .identifiedPatient ? 40 : nil)
        guard let years else { return true }
        return age == .minor ? years < 18 : years >= 18
    }

    private func namedAttendee(in u: Int, except speaker: PersonID?, facts: SessionFacts) -> PersonID? {
        facts.mentioned[u].first { id in
            id != speaker && !(facts.roster.person(id)?.isClinician ?? true)
                && (facts.roster.person(id)?.present ?? false)
        }
    }
}

/// Screens an attributed session for suicide, self-harm, violence, abuse and relapse risk per attendee.
/// The work is the pure `RiskScreening`; the call never suspends midway.
public actor RiskScreener: RiskScreeningAgent {
    private let screening: RiskScreening
    public private(set) var job: AgentJob?

    public init(configuration: RiskScreenerConfiguration) {
        self.init(compiled: RiskScreening(configuration: configuration))
    }

    /// An instance over configuration compiled once for many.
    public init(compiled screening: RiskScreening) { self.screening = screening }

    public func screen(_ context: DraftingContext) async throws -> RiskScreen {
        try AgentJob.perform(&self.job, .riskScreener, session: context.facts.session.id) {
            self.screening.screen(context.facts)
        }
    }
}
