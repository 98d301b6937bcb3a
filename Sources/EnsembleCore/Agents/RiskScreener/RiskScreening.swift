import Synchronization

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
    /// Each cue concept's groups, one matcher per group: (concept index, groups).
    let cues: [(concept: Int, groups: [ConceptMatcher<Int>])]
    let questions: ConceptMatcher<Int>
    /// Every context rule in one matcher, so an utterance is read for context in one pass.
    let context: ConceptMatcher<ContextKind>
    let answers: ConceptMatcher<RiskAnswer>
    /// The configuration's follow-ups, by index.
    let followUps: ConceptMatcher<Int>
    let people: PersonWords

    /// Compiles every pattern; throws on the first that does not compile, naming where it is.
    /// The last configurations compiled in this process: the loader compiles a configuration to check
    /// it, and the supervisor, the CLI and the evaluations then get the same compilation back.
    private static let recent = Mutex<[(RiskScreenerConfiguration, RiskScreening)]>([])

    public static func compile(_ configuration: RiskScreenerConfiguration) throws(RiskPatternError) -> RiskScreening {
        if let known = Self.recent.withLock({ $0.first { $0.0 == configuration }?.1 }) { return known }
        let compiled = try RiskScreening(checking: configuration)
        Self.recent.withLock { recent in
            recent.insert((configuration, compiled), at: 0)
            if recent.count > 4 { recent.removeLast() }
        }
        return compiled
    }

    /// Over a configuration whose patterns are known to compile (the loader compiles them first).
    public init(configuration: RiskScreenerConfiguration) {
        do {
            self = try Self.compile(configuration)
        } catch {
            preconditionFailure("risk-screener patterns must be checked when loaded: \(error)")
        }
    }

    private init(checking configuration: RiskScreenerConfiguration) throws(RiskPatternError) {
        self.configuration = configuration
        let language = configuration.language
        let cache = PatternCache()
        func matcher<V: Sendable>(_ key: String, _ pairs: [(String, V)]) throws(RiskPatternError) -> ConceptMatcher<V> {
            do {
                return try ConceptMatcher(pairs, language: language, cache: cache)
            } catch {
                throw RiskPatternError(key: key, pattern: error.pattern, reason: error.reason)
            }
        }
        self.concepts = try matcher(
            "concepts",
            configuration.concepts.enumerated().flatMap { offset, concept in concept.patterns.map { ($0, offset) } })
        var cues: [(concept: Int, groups: [ConceptMatcher<Int>])] = []
        for (offset, concept) in configuration.concepts.enumerated() where !concept.cues.isEmpty {
            var groups: [ConceptMatcher<Int>] = []
            for patterns in concept.cues {
                groups.append(try matcher("concepts.cues", patterns.map { ($0, offset) }))
            }
            cues.append((offset, groups))
        }
        self.cues = cues
        self.questions = try matcher(
            "questions",
            configuration.questions.enumerated().flatMap { offset, question in question.patterns.map { ($0, offset) } })
        let context = configuration.context
        let lists: [(ContextKind, [String])] = [
            (.negation, context.negations), (.pseudoNegation, context.pseudoNegations),
            (.terminator, context.terminators), (.hypothetical, context.hypotheticals),
            (.selfQuestion, context.selfQuestions), (.historical, context.historical), (.recent, context.recent),
            (.report, context.reportVerbs), (.generic, context.generic), (.figurative, context.figurative),
            (.imagined, context.imagined),
        ]
        self.context = try matcher("context", lists.flatMap { kind, patterns in patterns.map { ($0, kind) } })
        let answers = configuration.answers
        self.answers = try matcher(
            "answers",
            answers.affirmed.map { ($0, RiskAnswer.affirmed) } + answers.denied.map { ($0, .denied) }
                + answers.hedged.map { ($0, .hedged) } + answers.unclear.map { ($0, .unclear) })
        self.followUps = try matcher(
            "followUps",
            configuration.followUps.enumerated().flatMap { offset, followUp in followUp.patterns.map { ($0, offset) } })
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
}

/// Which context rule a context pattern belongs to.
enum ContextKind: Sendable, Hashable {
    case negation, pseudoNegation, terminator, hypothetical, selfQuestion, historical, recent, report, generic,
        figurative, imagined
}

extension RiskScreening {
    /// Concept matches in `text`: each pattern's matches, and each cue concept wherever all its groups
    /// match in one sentence (over the span from the first cue to the last, with every cue's people).
    func conceptMatches(in text: ConceptText, names: HashedWordSet) -> [ConceptMatcher<Int>.Match] {
        var found = self.concepts.matches(in: text, names: names)
        for (concept, groups) in self.cues where groups.allSatisfy({ $0.mayMatch(text) }) {
            // Every group in one sentence, over the span from the first cue to the last.
            let matches = groups.map { $0.matches(in: text, names: names) }
            guard matches.allSatisfy({ !$0.isEmpty }) else { continue }
            let sentences = matches.map { Set($0.map { text.sentences[$0.words.lowerBound] }) }
            for sentence in sentences.dropFirst().reduce(sentences[0], { $0.intersection($1) }).sorted() {
                // Each group's tightest match (`my grandpa's debit card`, not `my uncle's got my grandpa's
                // debit card`), the earliest of equals.
                let firsts = matches.compactMap { group in
                    group.filter { text.sentences[$0.words.lowerBound] == sentence }
                        .min { ($0.words.count, $0.words.lowerBound) < ($1.words.count, $1.words.lowerBound) }
                }
                let lower = firsts.map(\.words.lowerBound).min() ?? 0
                let upper = firsts.map(\.words.upperBound).max() ?? 0
                let captures = firsts.flatMap(\.captures).sorted { $0.words.lowerBound < $1.words.lowerBound }
                found.append(.init(words: lower..<upper, value: concept, captures: captures))
            }
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
