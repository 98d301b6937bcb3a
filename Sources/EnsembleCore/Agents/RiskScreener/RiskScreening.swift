/// The pure procedure behind `RiskScreener`: finds risk per attendee, C-SSRS-aware (`docs/risk.md`).
///
/// 1. **Concepts**: clinical concepts matched as patterns over normalised words.
/// 2. **Context** (after ConText, Harkema et al. 2009, and NegEx, Chapman et al. 2001): a concept in
///    the scope of a negation, inside a hypothetical clause, about no one in particular, or covered by
///    a figurative use does not count; one placed more than three months back counts at its past level.
/// 3. **Questions and answers**: a clinician's screening question and the answer of the one asked.
///    An affirmed item raises its category at that item's level; a denial is recorded as denied when
///    asked.
/// 4. **Who is at risk**: the one with the thoughts, or the one harmed, whoever says it; quoted
///    speech belongs to the one quoted; someone outside the roster is a finding, never a flag.
/// 5. **Levels**: the highest signal wins; PHQ-9 item 9 above zero counts.
public struct RiskScreening: Sendable {
    public let configuration: RiskScreenerConfiguration
    let concepts: ConceptMatcher<Int>
    /// The cue groups of cue concepts, each pattern's value its (concept, group).
    let cues: ConceptMatcher<CueKey>
    let questions: ConceptMatcher<Int>
    let negations: ConceptMatcher<Bool>
    let pseudoNegations: ConceptMatcher<Bool>
    let terminators: ConceptMatcher<Bool>
    let hypotheticals: ConceptMatcher<Bool>
    let selfQuestions: ConceptMatcher<Bool>
    let historical: ConceptMatcher<Bool>
    let recent: ConceptMatcher<Bool>
    let reportVerbs: ConceptMatcher<Bool>
    let generic: ConceptMatcher<Bool>
    let figurative: ConceptMatcher<Bool>
    let imagined: ConceptMatcher<Bool>
    let answers: ConceptMatcher<RiskAnswer>
    let people: PersonWords

    /// Compiles every pattern; throws on the first that does not compile, naming where it is.
    public static func compile(_ configuration: RiskScreenerConfiguration) throws(RiskPatternError) -> RiskScreening {
        try RiskScreening(checking: configuration)
    }

    /// Over a configuration whose patterns are known to compile (the loader compiles them first).
    public init(configuration: RiskScreenerConfiguration) {
        do {
            self = try RiskScreening(checking: configuration)
        } catch {
            preconditionFailure("risk-screener patterns must be checked when loaded: \(error)")
        }
    }

    private init(checking configuration: RiskScreenerConfiguration) throws(RiskPatternError) {
        self.configuration = configuration
        let language = configuration.language
        func matcher<V: Sendable>(_ key: String, _ pairs: [(String, V)]) throws(RiskPatternError) -> ConceptMatcher<V> {
            do {
                return try ConceptMatcher(pairs, language: language)
            } catch {
                throw RiskPatternError(key: key, pattern: error.pattern, reason: error.reason)
            }
        }
        func flags(_ key: String, _ list: [String]) throws(RiskPatternError) -> ConceptMatcher<Bool> {
            try matcher(key, list.map { ($0, true) })
        }
        self.concepts = try matcher(
            "concepts",
            configuration.concepts.enumerated().flatMap { offset, concept in concept.patterns.map { ($0, offset) } })
        self.cues = try matcher(
            "concepts.cues",
            configuration.concepts.enumerated().flatMap { offset, concept in
                concept.cues.enumerated().flatMap { group, patterns in
                    patterns.map { ($0, CueKey(concept: offset, group: group)) }
                }
            })
        self.questions = try matcher(
            "questions",
            configuration.questions.enumerated().flatMap { offset, question in question.patterns.map { ($0, offset) } })
        let context = configuration.context
        self.negations = try flags("context.negations", context.negations)
        self.pseudoNegations = try flags("context.pseudoNegations", context.pseudoNegations)
        self.terminators = try flags("context.terminators", context.terminators)
        self.hypotheticals = try flags("context.hypotheticals", context.hypotheticals)
        self.selfQuestions = try flags("context.selfQuestions", context.selfQuestions)
        self.historical = try flags("context.historical", context.historical)
        self.recent = try flags("context.recent", context.recent)
        self.reportVerbs = try flags("context.reportVerbs", context.reportVerbs)
        self.generic = try flags("context.generic", context.generic)
        self.figurative = try flags("context.figurative", context.figurative)
        self.imagined = try flags("context.imagined", context.imagined)
        let answers = configuration.answers
        self.answers = try matcher(
            "answers",
            answers.affirmed.map { ($0, RiskAnswer.affirmed) } + answers.denied.map { ($0, .denied) }
                + answers.hedged.map { ($0, .hedged) } + answers.unclear.map { ($0, .unclear) })
        self.people = PersonWords(configuration: configuration)
    }

    public func screen(_ facts: SessionFacts) -> RiskScreen {
        var run = RiskScreeningRun(screening: self, facts: facts)
        run.screen()
        return run.result()
    }

    /// The screen with a line per concept read: what it was taken as, or why it was set aside
    /// (negated, hypothetical). Utterance numbers only; no text.
    public func explain(_ facts: SessionFacts) -> (RiskScreen, [String]) {
        var run = RiskScreeningRun(screening: self, facts: facts)
        run.trace = []
        run.screen()
        return (run.result(), run.trace ?? [])
    }

    /// Every concept pattern that matches `text` read as one utterance, with the concept's id (for the
    /// suite's check that each pattern is used).
    public func conceptIDs(matching text: String) -> [String] {
        let read = self.concepts.read(Tokenizer().tokenize(text).words)
        return self.concepts.matches(in: read).map { self.configuration.concepts[$0.value].id }
    }
}

/// A cue pattern's place: its concept and its group.
struct CueKey: Sendable, Hashable {
    var concept: Int
    var group: Int
}

extension RiskScreening {
    /// Concept matches in `text`: each pattern's matches, and each cue concept wherever all its groups
    /// match in one sentence (over the span from the first cue to the last, with every cue's people).
    func conceptMatches(in text: ConceptText, names: Set<UInt64>) -> [ConceptMatcher<Int>.Match] {
        var found = self.concepts.matches(in: text, names: names)
        let cueMatches = self.cues.matches(in: text, names: names)
        guard !cueMatches.isEmpty else { return found }
        var bySentence: [Int: [Int: [ConceptMatcher<CueKey>.Match]]] = [:]
        for match in cueMatches {
            let sentence = text.words[match.words.lowerBound].sentence
            bySentence[sentence * 4096 + match.value.concept, default: [:]][match.value.group, default: []].append(
                match)
        }
        for (key, groups) in bySentence.sorted(by: { $0.key < $1.key }) {
            let concept = key % 4096
            guard groups.count == self.configuration.concepts[concept].cues.count else { continue }
            let firsts = groups.values.compactMap { $0.min { $0.words.lowerBound < $1.words.lowerBound } }
            let lower = firsts.map(\.words.lowerBound).min() ?? 0
            let upper = firsts.map(\.words.upperBound).max() ?? 0
            let captures = firsts.flatMap(\.captures).sorted { $0.words.lowerBound < $1.words.lowerBound }.map {
                capture -> ConceptMatcher<Int>.Capture in
                let kind: ConceptMatcher<Int>.SlotKind =
                    switch capture.kind {
                    case .who: .who
                    case .reflexive: .reflexive
                    case .possessive: .possessive
                    }
                return ConceptMatcher<Int>.Capture(kind: kind, words: capture.words)
            }
            found.append(.init(words: lower..<upper, value: concept, captures: captures))
        }
        return found
    }
}

/// A risk pattern that does not compile, with the configuration key that holds it.
public struct RiskPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var pattern: String
    public var reason: String

    public var description: String { "\(self.key): pattern `\(self.pattern)` \(self.reason)" }
}

/// The words that say who a person is, compiled from the configuration's relations and the
/// language's person classes.
struct PersonWords: Sendable {
    enum Relation: Sendable, Hashable { case partner, parent, child, grandparent, sibling, carer }
    enum Gender: Sendable, Hashable { case female, male }

    let firstPerson: Set<UInt64>
    /// `I` as a subject (`I`, `I'm`, `I'll`): after a verb of speech, the words are quoted directly.
    let firstPersonSubject: Set<UInt64>
    let secondPerson: Set<UInt64>
    let femalePronouns: Set<UInt64>
    let malePronouns: Set<UInt64>
    let pluralPronouns: Set<UInt64>
    let reflexives: Set<UInt64>
    let relation: [UInt64: Relation]
    let gender: [UInt64: Gender]
    let relationOfRole: [String: Relation]
    let genderOfRole: [String: Gender]

    init(configuration: RiskScreenerConfiguration) {
        func hashes(_ words: [String]) -> Set<UInt64> { Set(words.map { wordHash($0) }) }
        self.firstPerson = hashes(["i", "me", "my", "myself", "mine", "i'm", "i've", "i'd", "i'll", "im", "ive"])
        self.firstPersonSubject = hashes(["i", "i'm", "i've", "i'd", "i'll", "im", "ive"])
        self.secondPerson = hashes(["you", "your", "yourself", "you're", "you've", "you'd", "you'll", "yours"])
        self.femalePronouns = hashes(["she", "her", "herself", "she's", "she'd", "she'll", "hers"])
        self.malePronouns = hashes(["he", "him", "himself", "his", "he's", "he'd", "he'll"])
        self.pluralPronouns = hashes(["they", "them", "themselves", "their", "they're", "they've", "they'd"])
        self.reflexives = hashes(["myself", "yourself", "himself", "herself", "themselves", "themself", "ourselves"])
        let relations = configuration.relations
        var relation: [UInt64: Relation] = [:]
        var relationOfRole: [String: Relation] = [:]
        for (words, kind) in [
            (relations.partner, Relation.partner), (relations.parent, .parent), (relations.child, .child),
            (relations.grandparent, .grandparent), (relations.sibling, .sibling), (relations.carer, .carer),
        ] {
            for word in words {
                for form in Inflection.forms(of: word, irregular: configuration.language.irregular) {
                    relation[wordHash(form)] = kind
                }
                relationOfRole[word] = kind
            }
        }
        var gender: [UInt64: Gender] = [:]
        var genderOfRole: [String: Gender] = [:]
        for word in relations.female {
            gender[wordHash(word)] = .female
            genderOfRole[word] = .female
        }
        for word in relations.male {
            gender[wordHash(word)] = .male
            genderOfRole[word] = .male
        }
        self.relation = relation
        self.gender = gender
        self.relationOfRole = relationOfRole
        self.genderOfRole = genderOfRole
    }
}
