/// One session's screening: the state `RiskScreening.screen` builds up, utterance by utterance.
struct RiskScreeningRun {
    typealias Relation = PersonWords.Relation
    typealias Gender = PersonWords.Gender

    /// Who a person reference points to.
    enum Referent: Hashable, CustomStringConvertible {
        case person(PersonID)
        /// Someone not on the roster, with what they are to the speaker when said (`my dad`).
        case outside(Relation?)
        /// The one a question is put to (`you`).
        case addressee
        /// Nobody in particular (`they`, `people`).
        case unknown

        /// For `--explain`: a roster id or a kind of person, never a name.
        var description: String {
            switch self {
            case .person(let id): id.rawValue
            case .outside(let relation?): "someone outside the roster (\(relation))"
            case .outside(nil): "someone outside the roster"
            case .addressee: "the one asked"
            case .unknown: "nobody in particular"
            }
        }
    }

    enum Timing { case recent, past, unknown }

    private struct Key: Hashable {
        var attendee: PersonID
        var category: RiskCategory
    }

    private struct Accumulator {
        var level = RiskLevel.none
        var evidence: [Int] = []
        var sources: [RiskFlag.Source] = []
        var cssrs: Int? = nil
        var indicators: [String] = []

        mutating func add(level: RiskLevel, evidence: [Int], source: RiskFlag.Source, cssrs: Int?, indicator: String) {
            self.level = max(self.level, level)
            self.evidence += evidence
            if !self.sources.contains(source) { self.sources.append(source) }
            if let cssrs { self.cssrs = max(self.cssrs ?? 0, cssrs) }
            if !self.indicators.contains(indicator) { self.indicators.append(indicator) }
        }
    }

    /// A clinician's open screening question.
    private struct Pending {
        enum Asks {
            case concept(Int)
            case question(Int)
        }
        var asks: Asks
        var utterance: Int
        /// Who was asked; nil when nobody was named (whoever answers first).
        var addressee: PersonID?
        /// Who it asks about, when not the one asked (`Has Jordan hurt himself?`).
        var about: PersonID?
        var timing: Timing
    }

    /// The context matches of one utterance.
    private struct Context {
        var figurative: [Range<Int>] = []
        var negations: [Range<Int>] = []
        var pseudo: [Range<Int>] = []
        var terminators: [Int] = []
        var hypotheticals: [Range<Int>] = []
        var selfQuestions: [Range<Int>] = []
        var historical: [Range<Int>] = []
        var recent: [Range<Int>] = []
        var reports: [Range<Int>] = []
        var generic: [Range<Int>] = []
        var imagined: [Range<Int>] = []
    }

    let screening: RiskScreening
    let facts: SessionFacts
    private var config: RiskScreenerConfiguration { self.screening.configuration }
    private var words: PersonWords { self.screening.people }

    private let names: HashedWordSet
    private let owner: [UInt64: PersonID]
    private let gender: [PersonID: Gender]
    private let relationToPatient: [PersonID: Relation]
    private let patients: [PersonID]
    private var found: [Key: Accumulator] = [:]
    private var outside: [RiskCategory: (level: RiskLevel, evidence: [Int], by: PersonID?, indicators: [String])] = [:]
    private var assessments: [RiskAssessment] = []
    private var pending: [Pending] = []
    /// The topics (a category, or `violence`) raised in each recent utterance, for concepts that need
    /// their topic already in the conversation.
    private var topics: [(utterance: Int, topics: Set<String>)] = []
    /// Who is speaking the utterance being read.
    private var currentSpeaker: PersonID? = nil
    /// What each concept was read as, when tracing (`ensemble evaluate-risk --explain`).
    var trace: [String]? = nil
    /// Clinicians' reflections of disclosures; they count only where the attendee's own words did not
    /// already raise the category as high.
    private var reflections: [(PersonID, RiskCategory, RiskLevel, Int, Int?, String)] = []
    /// Questions already recorded, by question, answer and category, with whether a concept (true) or a
    /// screening question (false) read them and where the assessment is: a question both read is one
    /// question, recorded once (with the C-SSRS item either of them knows).
    private var recorded: [RecordedQuestion: (byConcept: Bool, index: Int)] = [:]
    private struct RecordedQuestion: Hashable {
        var question: Int
        var answer: Int
        var category: RiskCategory
    }
    /// Each attendee's last affirmed behaviour whose timing a follow-up may settle.
    private var lastBehaviour: [PersonID: (concept: Int, evidence: [Int])] = [:]

    init(screening: RiskScreening, facts: SessionFacts) {
        self.screening = screening
        self.facts = facts
        var owner: [UInt64: PersonID] = [:]
        var ambiguous: Set<UInt64> = []
        var gender: [PersonID: Gender] = [:]
        var relationToPatient: [PersonID: Relation] = [:]
        let sexes = Dictionary(
            facts.session.attendees.map { ($0.id, $0.sex) }, uniquingKeysWith: { first, _ in first })
        for person in facts.roster.people where !person.isClinician {
            let tokens = Tokenizer().tokenize(([person.name] + person.aliases).joined(separator: " , ")).words
            for word in tokens where word.folded.count > 1 {
                if let existing = owner[word.hash], existing != person.id { ambiguous.insert(word.hash) }
                owner[word.hash] = person.id
            }
            switch sexes[person.id] ?? nil {
            case .female: gender[person.id] = .female
            case .male: gender[person.id] = .male
            default:
                if let role = person.relationship, let known = screening.people.genderOfRole[role] {
                    gender[person.id] = known
                }
            }
            if let role = person.relationship, let relation = screening.people.relationOfRole[role] {
                relationToPatient[person.id] = relation
            }
        }
        for hash in ambiguous { owner[hash] = nil }
        // Pronouns and relatives are people words, never names.
        for hash in screening.people.firstPerson.union(screening.people.secondPerson) { owner[hash] = nil }
        self.owner = owner
        self.names = HashedWordSet(owner.keys)
        self.gender = gender
        self.relationToPatient = relationToPatient
        self.patients = facts.session.attendees.filter { $0.role == .identifiedPatient && $0.present }.map(\.id)
    }

    // MARK: - The pass over the session

    mutating func screen() {
        let segmented = self.facts.segmented
        for u in 0..<self.facts.utteranceCount where segmented.isSpeech[u] {
            let words = segmented.texts[u].words
            guard !words.isEmpty else { continue }
            // Most utterances hold no word any concept, cue or question is anchored on, and no answer
            // is awaited from their speaker: nothing to read.
            let clinician = self.facts.isClinician[u] && !self.facts.isSummary
            let awaited =
                !clinician
                && self.pending.contains { pending in
                    u - pending.utterance <= 3
                        && (pending.addressee == nil || pending.addressee == self.facts.speaker[u])
                }
            if !awaited, !self.screening.concepts.mayMatch(words),
                !self.screening.cues.contains(where: { $0.groups.allSatisfy { $0.mayMatch(words) } }),
                !clinician || !self.screening.questions.mayMatch(words)
            {
                continue
            }
            let text = self.screening.concepts.read(words)
            let matches = self.screening.conceptMatches(in: text, names: self.names)
            if self.facts.isClinician[u] && !self.facts.isSummary {
                let questions = self.screening.questions.matches(in: text, names: self.names)
                // Most of what a clinician says asks nothing about risk: no context to read.
                guard !matches.isEmpty || !questions.isEmpty else { continue }
                self.readQuestions(
                    u, text: text, context: self.context(of: text), matches: matches, questions: questions)
                continue
            }
            guard let speaker = self.facts.speaker[u] else { continue }
            self.currentSpeaker = speaker
            self.pending.removeAll { u - $0.utterance > 3 }
            let answering = self.pending.contains { $0.addressee == nil || $0.addressee == speaker }
            guard !matches.isEmpty || answering else {
                self.note([], at: u)
                continue
            }
            self.readStatements(u, speaker: speaker, text: text, context: self.context(of: text), found: matches)
        }
        self.readMeasures()
        for (person, category, level, u, cssrs, indicator) in self.reflections
        where (self.found[Key(attendee: person, category: category)]?.level ?? .none) < level {
            self.add(
                person, category, level: level, evidence: [u], source: .thirdParty, cssrs: cssrs,
                indicator: indicator + ", as the clinician reflected it")
        }
    }

    func result() -> RiskScreen {
        let order = Dictionary(uniqueKeysWithValues: self.facts.roster.people.enumerated().map { ($1.id, $0) })
        let flags = self.found.map { key, value in
            RiskFlag(
                attendee: key.attendee, category: key.category, level: value.level, evidence: value.evidence,
                sources: value.sources, cssrsItem: value.cssrs, indicators: value.indicators)
        }.sorted {
            (order[$0.attendee ?? PersonID("")] ?? Int.max, $0.category.rawValue)
                < (order[$1.attendee ?? PersonID("")] ?? Int.max, $1.category.rawValue)
        }
        let outside = self.outside.map { category, value in
            OutsideRosterRisk(
                category: category, level: value.level, evidence: value.evidence, reportedBy: value.by,
                indicators: value.indicators)
        }.sorted { $0.category.rawValue < $1.category.rawValue }
        return RiskScreen(
            flags: flags, assessments: self.assessments, outsideRoster: outside, followUps: self.followUps())
    }

    /// What the clinician said would be done about each disclosure: the follow-up sentences of the
    /// clinician's utterances after a flag, within the configured span, each given to the latest
    /// disclosure before it (the one of the person addressed, when one of them is).
    private func followUps() -> [RiskFollowUp] {
        guard !self.config.followUps.isEmpty else { return [] }
        struct Disclosure {
            var key: Key
            var first: Int
            var last: Int
        }
        let disclosures = self.found.compactMap { key, value -> Disclosure? in
            guard let first = value.evidence.min(), let last = value.evidence.max() else { return nil }
            return Disclosure(key: key, first: first, last: last)
        }.sorted {
            ($0.first, $0.key.attendee.rawValue, $0.key.category.rawValue)
                < ($1.first, $1.key.attendee.rawValue, $1.key.category.rawValue)
        }
        guard let earliest = disclosures.first?.first else { return [] }
        let segmented = self.facts.segmented
        var result: [RiskFollowUp] = []
        for u in earliest..<self.facts.utteranceCount
        where self.facts.isClinician[u] && !self.facts.isSummary && segmented.isSpeech[u] {
            let words = segmented.texts[u].words
            guard !words.isEmpty, self.screening.followUps.mayMatch(words) else { continue }
            let candidates = disclosures.filter { $0.first <= u && u - $0.last <= self.config.followUpSpan }
            guard let latest = candidates.last else { continue }
            let addressed = self.facts.addressees[u]
            let owner = candidates.last { addressed.contains($0.key.attendee) } ?? latest
            let text = self.screening.followUps.read(words)
            var sentences: Set<Int> = []
            for match in self.screening.followUps.matches(in: text, names: self.names)
            where sentences.insert(text.sentences[match.words.lowerBound]).inserted {
                result.append(
                    RiskFollowUp(
                        attendee: owner.key.attendee, category: owner.key.category, utterance: u,
                        sentence: text.sentences[match.words.lowerBound],
                        indicator: self.config.followUps[match.value].indicator))
            }
        }
        return result.sorted { ($0.utterance, $0.sentence) < ($1.utterance, $1.sentence) }
    }

    private func context(of text: ConceptText) -> Context {
        var context = Context()
        for match in self.screening.context.matches(in: text, names: self.names) {
            switch match.value {
            case .figurative: context.figurative.append(match.words)
            case .negation: context.negations.append(match.words)
            case .pseudoNegation: context.pseudo.append(match.words)
            case .terminator: context.terminators.append(match.words.lowerBound)
            case .hypothetical: context.hypotheticals.append(match.words)
            case .selfQuestion: context.selfQuestions.append(match.words)
            case .historical: context.historical.append(match.words)
            case .recent: context.recent.append(match.words)
            case .report: context.reports.append(match.words)
            case .generic: context.generic.append(match.words)
            case .imagined: context.imagined.append(match.words)
            }
        }
        return context
    }

    // MARK: - Statements

    private mutating func readStatements(
        _ u: Int, speaker: PersonID, text: ConceptText, context: Context, found: [ConceptMatcher<Int>.Match]
    ) {
        let answering = self.pending.filter { $0.addressee == nil || $0.addressee == speaker }
        var flaggedHere: Set<RiskCategory> = []
        var negatedHere: Set<RiskCategory> = []
        var matches: [ConceptMatcher<Int>.Match] = []
        for match in found {
            if context.figurative.contains(where: { $0.overlaps(match.words) }) {
                let id = self.config.concepts[match.value].id
                self.trace?.append("[\(u)] \(id) figurative")
            } else {
                matches.append(match)
            }
        }
        let here = Set(
            matches.map { self.config.concepts[$0.value] }.filter { !$0.needsContext && !$0.answerOnly }.map {
                Self.topic($0.category)
            })
        defer { self.note(here, at: u) }
        for match in matches {
            let concept = self.config.concepts[match.value]
            if concept.needsContext
                && !(self.inConversation(Self.topic(concept.category), at: u, here: here)
                    || answering.contains { Self.topic(self.category(of: $0.asks)) == Self.topic(concept.category) })
            {
                self.trace?.append("[\(u)] \(concept.id) not in the conversation's topic")
                continue
            }
            if concept.answerOnly {
                let asked = answering.contains { pending in
                    self.category(of: pending.asks).map { $0 == concept.category } ?? (concept.category == nil)
                }
                guard asked else { continue }
            }
            // `gonna kill myself` is not a threat to anyone else.
            if concept.category == .homicidalIdeation, match.words.upperBound < text.count,
                self.screening.concepts.people.reflexives.contains(text.keys[match.words.upperBound])
            {
                continue
            }
            let scope = self.scope(of: match.words, in: text, context: context)
            // Harm only pictured (`I think about putting my hands around her throat`) is the thinker's
            // homicidal ideation, read by its own concepts, not violence done.
            if concept.reading == .target, context.imagined.contains(where: { scope.contains($0.lowerBound) }) {
                self.trace?.append("[\(u)] \(concept.id) imagined")
                continue
            }
            if self.isNegated(match.words, scope: scope, context: context) {
                if let category = concept.category { negatedHere.insert(category) }
                self.trace?.append("[\(u)] \(concept.id) negated")
                continue
            }
            if self.isHypothetical(match.words, in: text, context: context) {
                self.trace?.append("[\(u)] \(concept.id) hypothetical")
                continue
            }
            if context.generic.contains(where: {
                $0.lowerBound < match.words.lowerBound
                    && text.sentences[$0.lowerBound] == text.sentences[match.words.lowerBound]
            }) {
                self.trace?.append("[\(u)] \(concept.id) about no one in particular")
                continue
            }
            let timing = self.timing(of: match.words, in: text, context: context)
            let quote = self.quote(before: match.words, in: text, context: context, speaker: speaker, u: u)
            guard let (atRisk, category) = self.atRisk(concept, match, text: text, speaker: speaker, u: u, quote: quote)
            else {
                self.trace?.append("[\(u)] \(concept.id) about nobody it can name")
                continue
            }
            var level: RiskLevel =
                switch timing {
                case .past: concept.pastLevel
                case .recent: concept.level
                case .unknown: concept.timingMatters ? concept.pastLevel : concept.level
                }
            if level == concept.level, let override = concept.categoryLevels[category] { level = override }
            guard level > .none else { continue }
            let indicator =
                concept.indicator
                + (timing == .past ? " (more than three months ago)" : "")
                + (timing == .unknown && concept.timingMatters ? " (when: not stated)" : "")
            self.trace?.append("[\(u)] \(concept.id) → \(atRisk) \(category.rawValue) \(level.rawValue) (\(timing))")
            switch atRisk {
            case .person(let person):
                self.add(
                    person, category, level: level, evidence: [u],
                    source: person == speaker ? .selfReport : .thirdParty,
                    cssrs: concept.cssrsItem, indicator: indicator)
                if person == speaker { flaggedHere.insert(category) }
                if concept.timingMatters && timing != .past { self.lastBehaviour[person] = (match.value, [u]) }
            case .outside:
                self.addOutside(category, level: level, evidence: [u], by: speaker, indicator: indicator)
            case .addressee, .unknown:
                continue
            }
        }
        // The answer to a pending question, when this is who was asked.
        guard let first = answering.first else { return }
        let answered = answering.filter { $0.utterance == first.utterance || $0.addressee == speaker }
        let reading = self.answer(text, context: context)
        for question in answered {
            self.record(
                question, answer: u, by: speaker, reading: reading, text: text, context: context,
                flaggedHere: flaggedHere,
                negatedHere: negatedHere)
        }
        let answeredAt = Set(answered.map(\.utterance))
        self.pending.removeAll { answeredAt.contains($0.utterance) && ($0.addressee == nil || $0.addressee == speaker) }
    }

    /// Words by which a question points back at what was just said (`anything like that`).
    private static let anaphors: Set<UInt64> = Set(["that", "this", "those", "these", "it"].map { wordHash($0) })

    private static func topic(_ category: RiskCategory?) -> String { category?.rawValue ?? "violence" }

    private func inConversation(_ topic: String, at u: Int, here: Set<String>) -> Bool {
        here.contains(topic) || self.topics.contains { u - $0.utterance <= 4 && $0.topics.contains(topic) }
    }

    private mutating func note(_ topics: Set<String>, at u: Int) {
        guard !topics.isEmpty else { return }
        self.topics.append((u, topics))
        self.topics.removeAll { u - $0.utterance > 4 }
    }

    private func category(of asks: Pending.Asks) -> RiskCategory? {
        switch asks {
        case .concept(let index): self.config.concepts[index].category
        case .question(let index): self.config.questions[index].category
        }
    }

    /// Records the answer to one question, and the flag an affirmed answer raises.
    private mutating func record(
        _ question: Pending, answer u: Int, by speaker: PersonID, reading raw: RiskAnswer?, text: ConceptText,
        context: Context, flaggedHere: Set<RiskCategory>, negatedHere: Set<RiskCategory>
    ) {
        let atRisk = question.about ?? speaker
        var level: RiskLevel
        var category: RiskCategory?
        var cssrs: Int?
        var topic: String
        var yesIsSafe = false
        var timingMatters = false
        var conceptIndex: Int?
        switch question.asks {
        case .concept(let index):
            let concept = self.config.concepts[index]
            category = concept.category
            level = concept.level
            cssrs = concept.cssrsItem
            topic = concept.indicator
            timingMatters = concept.timingMatters
            conceptIndex = index
            if question.timing == .past || (question.timing == .unknown && concept.timingMatters) {
                level = concept.pastLevel
            }
        case .question(let index):
            let asked = self.config.questions[index]
            if asked.asksRecency {
                // `Was that in the past three months?`: a yes makes the last behaviour recent.
                let timing = self.timing(of: 0..<text.count, in: text, context: context)
                let recent =
                    (raw == .affirmed || raw == .hedged || timing == .recent) && raw != .denied && timing != .past
                if recent, let last = self.lastBehaviour[atRisk] {
                    let concept = self.config.concepts[last.concept]
                    if let category = concept.category {
                        self.add(
                            atRisk, category, level: concept.level, evidence: last.evidence + [u],
                            source: atRisk == speaker ? .selfReport : .thirdParty, cssrs: concept.cssrsItem,
                            indicator: concept.indicator + " (within the past three months)")
                    }
                }
                return
            }
            category = asked.category
            level = asked.level
            cssrs = asked.cssrsItem
            topic = asked.indicator
            yesIsSafe = asked.yesIsSafe
        }
        let resolved = category ?? self.victimCategory(of: atRisk, agent: nil)
        guard let resolved else { return }
        if case .question(let index) = question.asks,
            let override = self.config.questions[index].categoryLevels[resolved]
        {
            level = override
        }
        // Without a cue, the answer's own statements decide.
        var response = raw
        if response == nil {
            if flaggedHere.contains(resolved) {
                response = .affirmed
            } else if negatedHere.contains(resolved) {
                response = .denied
            } else {
                response = .unclear
            }
        }
        guard var response else { return }
        if yesIsSafe {
            switch response {
            case .affirmed: response = .denied
            case .denied: response = .affirmed
            case .hedged, .unclear: break
            }
        }
        // The answer's own timing (`yes, years ago`).
        let answerTiming = self.timing(of: 0..<text.count, in: text, context: context)
        if let index = conceptIndex {
            let concept = self.config.concepts[index]
            if answerTiming == .past {
                level = concept.pastLevel
                topic += " (more than three months ago)"
            } else if answerTiming == .recent {
                level = concept.level
            } else if timingMatters && question.timing != .recent {
                topic += " (when: not stated)"
            }
        }
        self.trace?.append("[\(u)] answer to [\(question.utterance)] \(topic): \(response.rawValue)")
        let key = RecordedQuestion(question: question.utterance, answer: u, category: resolved)
        let byConcept = conceptIndex != nil
        if let known = self.recorded[key], known.byConcept != byConcept {
            if self.assessments[known.index].cssrsItem == nil { self.assessments[known.index].cssrsItem = cssrs }
            // The flag it raises is indicated under the name it was first recorded by.
            topic = self.assessments[known.index].topic
        } else {
            self.recorded[key] = (byConcept, self.assessments.count)
            self.assessments.append(
                RiskAssessment(
                    attendee: atRisk, category: resolved, question: question.utterance, answer: u,
                    response: response, cssrsItem: cssrs, topic: topic))
        }
        guard response == .affirmed || response == .hedged, level > .none else { return }
        let indicator = topic + (response == .hedged ? ", answered with hesitation" : ", affirmed when asked")
        self.add(
            atRisk, resolved, level: level, evidence: [u],
            source: atRisk == speaker ? .selfReport : .thirdParty, cssrs: cssrs, indicator: indicator)
        if timingMatters, let conceptIndex, answerTiming != .past {
            self.lastBehaviour[atRisk] = (conceptIndex, [u])
        }
    }

    /// How the opening of an answer reads, or nil when it holds no answer word.
    private func answer(_ text: ConceptText, context: Context) -> RiskAnswer? {
        let cues = self.screening.answers.matches(in: text, names: self.names)
            .filter { $0.words.lowerBound < 14 && text.sentences[$0.words.lowerBound] <= 1 }
            .sorted { ($0.words.lowerBound, -$0.words.count) < ($1.words.lowerBound, -$1.words.count) }
        guard let first = cues.first else { return nil }
        if first.value == .unclear, cues.contains(where: { $0.value == .affirmed || $0.value == .hedged }) {
            return .hedged
        }
        if first.value == .denied {
            // `No, but sometimes`: a denial taken back.
            let turn = context.terminators.first { $0 > first.words.lowerBound }
            if let turn,
                cues.contains(where: { $0.words.lowerBound > turn && $0.value != .denied && $0.value != .unclear })
            {
                return .hedged
            }
        }
        return first.value
    }

    // MARK: - Questions

    private mutating func readQuestions(
        _ u: Int, text: ConceptText, context: Context, matches: [ConceptMatcher<Int>.Match],
        questions: [ConceptMatcher<Int>.Match]
    ) {
        let addressee = self.facts.addressees[u].first
        let sentences = Set(text.words.map(\.sentence))
        var asked: [Pending] = []
        var leadIn: [ConceptMatcher<Int>.Match] = []
        for sentence in sentences.sorted() {
            let indexes = text.words.indices.filter { text.sentences[$0] == sentence }
            guard let first = indexes.first, let last = indexes.last else { continue }
            let isQuestion =
                text.words[last].after == .question
                || [
                    "have", "has", "do", "does", "did", "are", "is", "were", "was", "any", "anything", "would", "could",
                    "can", "how", "when",
                ]
                .contains(text.words[first].folded)
            // A statement counts as asking when it reflects what the attendee said or marked (`you said …`,
            // `on your form you circled …`): the answer then confirms or corrects it.
            let reflects = context.reports.contains { verb in
                text.sentences[verb.lowerBound] == sentence && verb.lowerBound > 0
                    && self.words.secondPerson.contains(text.keys[verb.lowerBound - 1])
            }
            // A screening topic put as a statement and asked about in the next sentence (`Sometimes kids
            // have thoughts of hurting themselves. Has anything like that been going on for you?`).
            if !isQuestion {
                leadIn = questions.filter { text.sentences[$0.words.lowerBound] == sentence }
            }
            guard isQuestion || reflects else { continue }
            if !isQuestion {
                self.readReflection(
                    u, sentence: sentence, text: text, context: context, addressee: addressee, matches: matches)
            }
            let timing = self.timing(of: first..<(last + 1), in: text, context: context)
            for match in matches
            where text.sentences[match.words.lowerBound] == sentence {
                let concept = self.config.concepts[match.value]
                if context.figurative.contains(where: { $0.overlaps(match.words) }) { continue }
                if !isQuestion && self.isHypothetical(match.words, in: text, context: context) { continue }
                guard let (who, _) = self.atRisk(concept, match, text: text, speaker: nil, u: u, quote: nil) else {
                    continue
                }
                switch who {
                case .addressee:
                    asked.append(
                        Pending(asks: .concept(match.value), utterance: u, addressee: addressee, timing: timing))
                case .person(let person) where person != addressee:
                    asked.append(
                        Pending(
                            asks: .concept(match.value), utterance: u, addressee: addressee, about: person,
                            timing: timing))
                default: continue
                }
            }
            let own = questions.filter { isQuestion && text.sentences[$0.words.lowerBound] == sentence }
            for match in own {
                asked.append(Pending(asks: .question(match.value), utterance: u, addressee: addressee, timing: timing))
            }
            let refersBack = indexes.contains { Self.anaphors.contains(text.keys[$0]) }
            if isQuestion, own.isEmpty, refersBack {
                for match in leadIn {
                    asked.append(
                        Pending(asks: .question(match.value), utterance: u, addressee: addressee, timing: timing))
                }
            }
            if isQuestion { leadIn = [] }
        }
        guard !asked.isEmpty else { return }
        self.note(Set(asked.map { Self.topic(self.category(of: $0.asks)) }), at: u)
        // One entry per thing asked (a concept met twice in one question is one question).
        var seen: Set<String> = []
        self.pending = asked.filter { pending in
            let key: String
            switch pending.asks {
            case .concept(let index): key = "c\(index)"
            case .question(let index): key = "q\(index)"
            }
            return seen.insert(key).inserted
        }
    }

    /// A clinician's reflection of what an attendee disclosed (`you said you've thought about how …`):
    /// flags the one it is said to, as reported by the clinician.
    private mutating func readReflection(
        _ u: Int, sentence: Int, text: ConceptText, context: Context, addressee: PersonID?,
        matches: [ConceptMatcher<Int>.Match]
    ) {
        var v = u - 1
        var previous: PersonID? = nil
        while v >= 0, u - v <= 3, previous == nil {
            if !self.facts.isClinician[v] { previous = self.facts.speaker[v] }
            v -= 1
        }
        guard let person = addressee ?? previous else { return }
        for match in matches where text.sentences[match.words.lowerBound] == sentence {
            let concept = self.config.concepts[match.value]
            guard !concept.needsContext, !concept.answerOnly,
                !context.figurative.contains(where: { $0.overlaps(match.words) }),
                let (who, category) = self.atRisk(concept, match, text: text, speaker: nil, u: u, quote: nil),
                who == .addressee
            else { continue }
            let scope = self.scope(of: match.words, in: text, context: context)
            if self.isNegated(match.words, scope: scope, context: context) { continue }
            let timing = self.timing(of: match.words, in: text, context: context)
            let level =
                timing == .past || (timing == .unknown && concept.timingMatters) ? concept.pastLevel : concept.level
            guard level > .none else { continue }
            self.trace?.append("[\(u)] reflection \(concept.id) → \(person) \(category.rawValue) \(level.rawValue)")
            self.reflections.append((person, category, level, u, concept.cssrsItem, concept.indicator))
            self.note([Self.topic(concept.category)], at: u)
        }
    }

    // MARK: - Context

    /// The words before `range` in its clause that a negation may cover: back to the clause's start,
    /// a terminator, or six words, whichever is nearest.
    private func scope(of range: Range<Int>, in text: ConceptText, context: Context) -> Range<Int> {
        var start = range.lowerBound
        let sentence = text.sentences[range.lowerBound]
        while start > 0, range.lowerBound - start < 6, text.sentences[start - 1] == sentence {
            let mark = text.words[start - 1].after
            if mark == .comma || mark == .semicolon || mark == .colon || mark == .dash { break }
            if context.terminators.contains(start - 1) { break }
            start -= 1
        }
        return start..<range.lowerBound
    }

    private func isNegated(_ range: Range<Int>, scope: Range<Int>, context: Context) -> Bool {
        context.negations.contains { negation in
            scope.contains(negation.lowerBound) && negation.upperBound <= range.lowerBound
                && !context.pseudo.contains { $0.overlaps(negation) }
        }
    }

    /// Inside an `if …` clause (which ends at a comma, `then` or a new subject), or a self-question.
    private func isHypothetical(_ range: Range<Int>, in text: ConceptText, context: Context) -> Bool {
        let sentence = text.sentences[range.lowerBound]
        for trigger in context.hypotheticals
        where trigger.lowerBound <= range.lowerBound && text.sentences[trigger.lowerBound] == sentence {
            var end = trigger.upperBound + 1
            while end < text.count, text.sentences[end] == sentence {
                let mark = text.words[end - 1].after
                if mark == .comma || mark == .semicolon || mark == .dash { break }
                if Self.consequentOpeners.contains(text.words[end].folded) { break }
                end += 1
            }
            if range.lowerBound < end { return true }
        }
        let last = text.words.lastIndex { $0.sentence == sentence } ?? range.lowerBound
        if text.words[last].after == .question,
            context.selfQuestions.contains(where: {
                $0.lowerBound < range.lowerBound && text.sentences[$0.lowerBound] == sentence
            })
        {
            return true
        }
        return false
    }

    /// Words that open the consequent of a conditional (`if he comes back, I'll …`, `… then`).
    private static let consequentOpeners: Set<String> = [
        "then", "i'll", "i'm", "i'd", "i", "ill", "im", "we'll", "he'll", "she'll", "they'll", "you'll",
    ]

    /// When a statement is placed: its own sentence first, then the rest of the utterance.
    private func timing(of range: Range<Int>, in text: ConceptText, context: Context) -> Timing {
        let sentences = Set(text.words[range].map(\.sentence))
        func inSentence(_ ranges: [Range<Int>]) -> Bool {
            ranges.contains { sentences.contains(text.sentences[$0.lowerBound]) }
        }
        if inSentence(context.recent) { return .recent }
        if inSentence(context.historical) { return .past }
        if !context.recent.isEmpty { return .recent }
        if !context.historical.isEmpty { return .past }
        return .unknown
    }

    /// Reported speech before a match in its sentence (`she was screaming …`, `my friend texted me …`):
    /// the one reported, when what follows speaks in their first person.
    private static let subordinators: Set<String> = [
        "when", "whenever", "because", "after", "while", "since", "until", "before", "if", "cause", "once",
    ]

    private func quote(before range: Range<Int>, in text: ConceptText, context: Context, speaker: PersonID, u: Int)
        -> Referent?
    {
        let sentence = text.sentences[range.lowerBound]
        guard
            let verb = context.reports.last(where: {
                $0.upperBound <= range.lowerBound && text.sentences[$0.lowerBound] == sentence
            })
        else { return nil }
        // Direct speech uses the first person after the verb.
        let between = verb.upperBound..<range.upperBound
        guard between.contains(where: { self.words.firstPersonSubject.contains(text.keys[$0]) }) else { return nil }
        // The one speaking: the person just before the verb.
        var at = verb.lowerBound - 1
        while at >= 0, verb.lowerBound - at <= 3, text.sentences[at] == sentence {
            if let length = self.screening.concepts.people.person(
                at: at, in: text, names: self.names, kind: ConceptMatcher<Int>.SlotKind.who),
                at + length <= verb.lowerBound
            {
                // `when grandma yells at me, I think …`: a clause of time or cause, not speech quoted.
                if at > 0, Self.subordinators.contains(text.words[at - 1].folded) { return nil }
                let reporter = self.resolve(at..<(at + length), in: text, speaker: speaker, u: u, quote: nil)
                if reporter == .person(speaker) { return nil }
                return reporter
            }
            at -= 1
        }
        return nil
    }

    // MARK: - Who is at risk

    /// The person at risk and the category, or nil when the concept is about nobody it can name.
    private func atRisk(
        _ concept: RiskScreenerConfiguration.Concept, _ match: ConceptMatcher<Int>.Match, text: ConceptText,
        speaker: PersonID?, u: Int, quote: Referent?
    ) -> (Referent, RiskCategory)? {
        func resolve(_ range: Range<Int>) -> Referent {
            self.resolve(range, in: text, speaker: speaker, u: u, quote: quote)
        }
        let who = match.captures.filter { $0.kind == .who }
        switch concept.reading {
        case .speaker:
            guard let category = concept.category, let speaker else { return nil }
            return (quote ?? .person(speaker), category)
        case .experiencer:
            let referent: Referent
            let people = self.screening.concepts.people
            if let reflexive = match.captures.first(where: { $0.kind == .reflexive }) {
                referent = resolve(reflexive.words)
            } else if let first = who.first {
                referent = resolve(first.words)
            } else if let owner = match.captures.first(where: { $0.kind == .possessive }) {
                referent = resolve(owner.words)
            } else if let length = people.person(
                at: match.words.lowerBound, in: text, names: self.names, kind: ConceptMatcher<Int>.SlotKind.who),
                !people.isPossessive(at: match.words.lowerBound, in: text)
            {
                referent = resolve(match.words.lowerBound..<(match.words.lowerBound + length))
            } else if let subject = self.subject(before: match.words, in: text) {
                referent = resolve(subject)
            } else if let owner = self.owner(after: match.words, in: text) {
                referent = resolve(owner)
            } else {
                referent = quote ?? speaker.map(Referent.person) ?? .unknown
            }
            guard let category = concept.category else { return nil }
            return (referent, category)
        case .target:
            var agent: Referent
            var target: Referent
            // Where the one who acts was named, and the person harmed, when both are known.
            var agentAt: Int? = nil
            var targetCapture: Range<Int>? = nil
            if concept.passive {
                agent = who.first.map { resolve($0.words) } ?? .unknown
                if let owner = match.captures.first(where: { $0.kind == .possessive }) {
                    target = resolve(owner.words)
                } else {
                    target =
                        self.subject(before: match.words, in: text).map(resolve) ?? quote
                        ?? speaker.map(Referent.person) ?? .unknown
                }
            } else if who.count >= 2 {
                agent = resolve(who[0].words)
                target = resolve(who[1].words)
                agentAt = who[0].words.lowerBound
                targetCapture = who[1].words
            } else if let only = who.first, only.words.lowerBound > match.words.lowerBound {
                target = resolve(only.words)
                targetCapture = only.words
                // `he'll kill me`: the one who acts opens the match.
                let people = self.screening.concepts.people
                if let length = people.person(
                    at: match.words.lowerBound, in: text, names: self.names, kind: ConceptMatcher<Int>.SlotKind.who),
                    match.words.lowerBound + length <= only.words.lowerBound
                {
                    agent = resolve(match.words.lowerBound..<(match.words.lowerBound + length))
                    agentAt = match.words.lowerBound
                } else if let subject = self.subject(before: match.words, in: text) {
                    agent = resolve(subject)
                    agentAt = subject.lowerBound
                } else {
                    agent = .unknown
                }
            } else if let only = who.first {
                agent = resolve(only.words)
                target = quote ?? speaker.map(Referent.person) ?? .unknown
            } else if let owner = match.captures.first(where: { $0.kind == .possessive }) {
                target = resolve(owner.words)
                agent = self.subject(before: match.words, in: text).map(resolve) ?? .unknown
            } else {
                target =
                    self.subject(before: match.words, in: text).map(resolve) ?? quote ?? speaker.map(Referent.person)
                    ?? .unknown
                agent = .unknown
            }
            // Harm needs someone who does it (`the urge hit me` is no one), unless the pattern says who
            // was harmed without naming the one who did it.
            // Harm with no one named as doing it counts for a child or an older adult (neglect, abuse by a
            // carer); between adults it needs the one who did it.
            // `Sam makes him stand outside`: `him` is not Sam.
            if case .person(let doer) = agent, target == agent, let capture = who.last, who.count == 1 || who.count >= 2
            {
                let again = self.resolve(capture.words, in: text, speaker: speaker, u: u, quote: quote, excluding: doer)
                if again != agent { target = again }
            }
            // `my brother abused him`: `him` is someone named before the one who acts.
            if target == agent, agent != .unknown, let agentAt, let targetCapture, targetCapture.count == 1 {
                let key = text.keys[targetCapture.lowerBound]
                let w = self.words
                if w.femalePronouns.contains(key) || w.malePronouns.contains(key) {
                    target = self.pronoun(
                        w.femalePronouns.contains(key) ? .female : .male, at: agentAt, in: text, speaker: speaker,
                        u: u)
                }
            }
            // Harm one does to oneself is self-injury, read by its own concepts.
            if agent == target, agent != .unknown { return nil }
            if case .addressee = target { return (.addressee, concept.category ?? .intimatePartnerViolence) }
            switch target {
            case .person(let person):
                // A passive statement need not name who did it (`I'm scared`, `I got hit`).
                let by: Referent? = concept.passive && agent == .unknown && concept.cues.isEmpty ? nil : agent
                guard let category = self.victimCategory(of: person, agent: by) else { return nil }
                return (target, category)
            case .outside(let relation):
                guard let category = self.outsideCategory(relation, agent: agent, speaker: speaker) else { return nil }
                return (target, category)
            case .addressee, .unknown:
                return nil
            }
        }
    }

    /// The nearest person before a match in its clause (`my son` in `my son said he wants to die`).
    private func subject(before range: Range<Int>, in text: ConceptText) -> Range<Int>? {
        let sentence = text.sentences[range.lowerBound]
        var at = range.lowerBound - 1
        var nearest: Range<Int>? = nil
        while at >= 0, range.lowerBound - at <= 7, text.sentences[at] == sentence {
            let mark = text.words[at].after
            if at < range.lowerBound - 1, mark == .semicolon || mark == .dash { break }
            let people = self.screening.concepts.people
            if let length = people.person(
                at: at, in: text, names: self.names, kind: ConceptMatcher<Int>.SlotKind.who),
                at + length <= range.lowerBound, !people.isPossessive(at: at + length - 1, in: text)
            {
                nearest = at..<(at + length)
                break
            }
            at -= 1
        }
        return nearest
    }

    /// The owner named after a match in its sentence (`a noose in Jordan's closet`, `… in his room`).
    private func owner(after range: Range<Int>, in text: ConceptText) -> Range<Int>? {
        let sentence = text.sentences[range.lowerBound]
        let people = self.screening.concepts.people
        var at = range.upperBound
        while at < text.count, at - range.upperBound < 6, text.sentences[at] == sentence {
            if let length = people.person(
                at: at, in: text, names: self.names, kind: ConceptMatcher<Int>.SlotKind.possessive),
                text.words[at].folded != "my", text.words[at].folded != "your"
            {
                return at..<(at + length)
            }
            at += 1
        }
        return nil
    }

    /// Who a person reference points to.
    private func resolve(
        _ range: Range<Int>, in text: ConceptText, speaker: PersonID?, u: Int, quote: Referent?,
        excluding: PersonID? = nil
    ) -> Referent {
        let key = text.keys[range.lowerBound]
        let w = self.words
        if range.count > 1 { return self.resolveNounPhrase(range, in: text, speaker: speaker) }
        if w.firstPerson.contains(key) { return quote ?? speaker.map(Referent.person) ?? .unknown }
        if w.secondPerson.contains(key) {
            if quote != nil, let speaker { return .person(speaker) }
            return .addressee
        }
        if w.femalePronouns.contains(key) || w.malePronouns.contains(key) {
            return self.pronoun(
                w.femalePronouns.contains(key) ? .female : .male, at: range.lowerBound, in: text,
                speaker: speaker, u: u)
        }
        // `they`: someone, not a roster person the screener can name.
        if w.pluralPronouns.contains(key) { return .outside(nil) }
        if let person = self.owner[text.bases[range.lowerBound]], range.count == 1 { return .person(person) }
        // `Mom`, `dad`, `grandma` without a determiner: the speaker's own.
        if range.count == 1, self.screening.concepts.people.kinNames.contains(text.bases[range.lowerBound]),
            let relation = w.relation[text.bases[range.lowerBound]], let speaker
        {
            let nounGender = w.gender[text.bases[range.lowerBound]]
            return self.relative(of: speaker, relation, nounGender).map(Referent.person) ?? .outside(relation)
        }
        return self.resolveNounPhrase(range, in: text, speaker: speaker)
    }

    /// A determiner and a noun: `my son`, `her boyfriend`, `a friend`, `the boy`.
    private func resolveNounPhrase(_ range: Range<Int>, in text: ConceptText, speaker: PersonID?) -> Referent {
        let w = self.words
        let noun = text.bases[range.upperBound - 1]
        if let person = self.owner[noun] { return .person(person) }
        let relation = w.relation[noun]
        let nounGender = w.gender[noun]
        let determiner = text.words[range.lowerBound].folded
        guard let relation else { return .outside(nil) }
        if determiner == "my", let speaker {
            // `my first husband`, `my ex-wife`: a former partner is not the partner on the roster.
            let former = (range.lowerBound + 1..<(range.upperBound - 1)).contains {
                Self.formerPartner.contains(text.words[$0].folded)
            }
            if relation == .partner, former { return .outside(.partner) }
            return self.relative(of: speaker, relation, nounGender).map(Referent.person)
                ?? .outside(self.outsideRelation(relation, at: range.upperBound - 1, in: text))
        }
        if determiner == "your" { return .outside(relation) }
        // `the boy`, `the kid`: the family's identified patient.
        let folded = text.words[range.upperBound - 1].folded
        if relation == .child, determiner == "the" || determiner == "this", self.patients.count == 1,
            !["baby", "kids", "children", "babies"].contains(folded),
            self.facts.session.kind != .group, self.compatible(self.patients[0], nounGender)
        {
            return .person(self.patients[0])
        }
        // `a friend's husband`, `some guy`: someone unspecified.
        if ["a", "an", "some", "one"].contains(determiner) { return .outside(relation) }
        // `his dad`, `her grandma`: the roster relative of the patient the conversation is about.
        let candidates = self.facts.roster.people.filter {
            !$0.isClinician && self.relationToPatient[$0.id] == relation && self.compatible($0.id, nounGender)
        }
        return candidates.count == 1 ? .person(candidates[0].id) : .outside(relation)
    }

    private static let formerPartner: Set<String> = ["first", "former", "ex", "previous", "old", "late", "last"]
    private static let young: Set<String> = ["little", "baby", "younger", "youngest", "kid", "small"]

    /// The determiner of the noun at `position`, over its modifiers (`my` in `my little brother`).
    private func determiner(before position: Int, in text: ConceptText) -> String? {
        var at = position - 1
        while at >= 0, position - at <= 3 {
            let folded = text.words[at].folded
            if self.screening.concepts.people.determiners.contains(text.keys[at]) || folded == "my" { return folded }
            // `my mom's neighbor`: the neighbour is not the speaker's own.
            guard self.screening.concepts.people.modifiers.contains(text.keys[at]), !folded.hasSuffix("'s") else {
                return nil
            }
            at -= 1
        }
        return nil
    }

    /// The relation of someone outside the roster: `my little brother` is a child.
    private func outsideRelation(_ relation: Relation, at noun: Int, in text: ConceptText) -> Relation {
        guard relation == .sibling else { return relation }
        var at = noun - 1
        while at >= 0, noun - at <= 2, self.screening.concepts.people.modifiers.contains(text.keys[at]) {
            if Self.young.contains(text.words[at].folded) { return .child }
            at -= 1
        }
        return relation
    }

    private func compatible(_ person: PersonID, _ gender: Gender?) -> Bool {
        guard let gender, let known = self.gender[person] else { return true }
        return known == gender
    }

    /// `he`, `she`: the nearest compatible person named before, else who the conversation is about.
    private func pronoun(
        _ gender: Gender, at position: Int, in text: ConceptText, speaker: PersonID?, u: Int, excluding: PersonID? = nil
    ) -> Referent {
        // Named earlier in the utterance (a name, or a relative such as `my son`).
        var at = position - 1
        while at >= 0 {
            let key = text.bases[at]
            if let person = self.owner[key], person != speaker, self.compatible(person, gender) {
                return .person(person)
            }
            // `my friend … she`: someone outside the roster.
            let mine = self.determiner(before: at, in: text) == "my"
            if self.screening.concepts.people.nouns.contains(text.bases[at]),
                self.words.relation[text.bases[at]] == nil, mine
            {
                return .outside(nil)
            }
            if let relation = self.words.relation[key],
                mine || self.screening.concepts.people.kinNames.contains(key),
                let speaker
            {
                let nounGender = self.words.gender[key]
                if nounGender == nil || nounGender == gender {
                    return self.relative(of: speaker, relation, nounGender).map(Referent.person)
                        ?? .outside(self.outsideRelation(relation, at: at, in: text))
                }
            }
            at -= 1
        }
        if self.facts.isSummary, let speaker { return .person(speaker) }
        // Named or speaking in the last few utterances.
        var v = u - 1
        while v >= 0, u - v <= 3 {
            for person in self.facts.mentioned[v].reversed()
            where person != speaker && self.compatible(person, gender) && self.isAttendee(person) {
                return .person(person)
            }
            if let other = self.facts.speaker[v], other != speaker, !self.facts.isClinician[v],
                self.compatible(other, gender)
            {
                return .person(other)
            }
            v -= 1
        }
        // Who the conversation is about.
        guard let speaker else { return .unknown }
        let attendees = self.facts.roster.people.filter { !$0.isClinician && $0.present && $0.id != speaker }
        switch self.facts.session.kind {
        case .couples:
            let others = attendees.filter { self.compatible($0.id, gender) }
            return others.count == 1 ? .person(others[0].id) : .outside(nil)
        case .family, .multiFamilyGroup, .individual:
            if !self.patients.contains(speaker) {
                let own = self.facts.roster.person(speaker)?.relatedTo
                let patients = self.patients.filter {
                    ($0 == own || own == nil) && $0 != excluding && self.compatible($0, gender)
                }
                if patients.count == 1 { return .person(patients[0]) }
            }
            // The one other family member it can be.
            let others = attendees.filter {
                $0.id != excluding && self.gender[$0.id] != nil && self.compatible($0.id, gender)
            }
            return others.count == 1 ? .person(others[0].id) : .outside(nil)
        case .group:
            return .outside(nil)
        }
    }

    private func isAttendee(_ person: PersonID) -> Bool {
        guard let entry = self.facts.roster.person(person) else { return false }
        return !entry.isClinician
    }

    /// The roster person who is `relation` to `person` (`my son` said by a mother is the patient).
    private func relative(of person: PersonID, _ relation: Relation, _ gender: Gender?) -> PersonID? {
        let candidates = self.facts.roster.people.filter {
            !$0.isClinician && $0.id != person && self.compatible($0.id, gender)
                && self.relation(of: $0.id, to: person) == relation
        }
        return candidates.first { self.facts.roster.person($0.id)?.present ?? false }?.id ?? candidates.first?.id
    }

    /// What `other` is to `person`, from the roster's relationships (each to the identified patient).
    private func relation(of other: PersonID, to person: PersonID) -> Relation? {
        if self.facts.session.kind == .couples { return .partner }
        let personIsPatient = self.patients.contains(person)
        let otherIsPatient = self.patients.contains(other)
        let mine = self.relationToPatient[person]
        let theirs = self.relationToPatient[other]
        if personIsPatient { return theirs }
        if otherIsPatient {
            switch mine {
            case .parent: return .child
            case .child: return .parent
            case .partner: return .partner
            case .grandparent: return .child
            case .sibling: return .sibling
            case .carer, nil: return nil
            }
        }
        switch (mine, theirs) {
        case (.parent, .parent), (.partner, .partner): return .partner
        case (.parent, .grandparent), (.sibling, .parent): return .parent
        case (.grandparent, .parent), (.parent, .sibling): return .child
        case (.sibling, .sibling): return .sibling
        default: return nil
        }
    }

    /// The category of harm done to a roster person, by their age and who harms them.
    private func victimCategory(of person: PersonID, agent: Referent?) -> RiskCategory? {
        let age = self.facts.roster.person(person)?.age
        let relation = self.relationToPatient[person]
        let agentRelation: Relation? =
            switch agent {
            case .person(let other)?: self.relation(of: other, to: person)
            case .outside(let relation)?: relation
            default: nil
            }
        if let age, age >= self.config.elderAge { return .elderAbuse }
        if age == nil, relation == .grandparent { return .elderAbuse }
        if let age, age < 18 {
            // A sibling's or a child's harm is not child abuse; `my brother` said by a parent is the child's uncle.
            let peer: Bool
            if case .outside? = agent {
                peer = person == self.currentSpeaker && (agentRelation == .sibling || agentRelation == .child)
            } else {
                peer = agentRelation == .sibling || agentRelation == .child
            }
            return peer ? nil : .childAbuse
        }
        switch agent {
        case .outside(nil)?: return nil
        case .outside(let relation)?: return relation == .partner ? .intimatePartnerViolence : nil
        case .person?: return agentRelation == .partner || agentRelation == nil ? .intimatePartnerViolence : nil
        case .unknown?: return nil
        case .addressee?, nil: return .intimatePartnerViolence
        }
    }

    /// The category of harm done to someone outside the roster (`my son`, `my neighbour`).
    private func outsideCategory(_ relation: Relation?, agent: Referent, speaker: PersonID?) -> RiskCategory? {
        var agentRelation: Relation? = nil
        if case .outside(let known) = agent { agentRelation = known }
        if case .person(let person) = agent { agentRelation = self.relationToPatient[person] }
        if relation == nil {
            switch agentRelation {
            case .partner?: return .intimatePartnerViolence
            case .parent?, .carer?: return .childAbuse
            default: return nil
            }
        }
        // The speaker's own parent, harmed by a carer or someone else, when the speaker is of an age to
        // have an older parent.
        if relation == .parent, let speaker, let age = self.facts.roster.person(speaker)?.age, age >= 35 {
            return .elderAbuse
        }
        switch relation {
        case .child?: return .childAbuse
        case .grandparent?: return .elderAbuse
        case .partner?: return .intimatePartnerViolence
        default: return nil
        }
    }

    // MARK: - Recording

    private mutating func add(
        _ person: PersonID, _ category: RiskCategory, level: RiskLevel, evidence: [Int], source: RiskFlag.Source,
        cssrs: Int?, indicator: String
    ) {
        guard let entry = self.facts.roster.person(person), !entry.isClinician, entry.present else { return }
        self.found[Key(attendee: person, category: category), default: Accumulator()].add(
            level: level, evidence: evidence, source: source, cssrs: cssrs, indicator: indicator)
    }

    private mutating func addOutside(
        _ category: RiskCategory, level: RiskLevel, evidence: [Int], by speaker: PersonID?, indicator: String
    ) {
        var entry = self.outside[category] ?? (.none, [], speaker, [])
        entry.level = max(entry.level, level)
        entry.evidence += evidence
        if !entry.indicators.contains(indicator) { entry.indicators.append(indicator) }
        self.outside[category] = entry
    }

    /// PHQ-9 item 9 above zero.
    private mutating func readMeasures() {
        for attendee in self.facts.session.attendees where attendee.present {
            for (offset, measure) in attendee.measures.enumerated() {
                guard TextFolding.fold(measure.instrument).hasPrefix("phq"), let item9 = measure.item9, item9 > 0 else {
                    continue
                }
                self.found[Key(attendee: attendee.id, category: .suicidalIdeation), default: Accumulator()].add(
                    level: self.config.item9Level, evidence: [], source: .measure, cssrs: nil,
                    indicator: "PHQ-9 item 9 answered \(item9) (measures[\(offset)])")
            }
        }
    }
}
