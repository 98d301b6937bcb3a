import Synchronization

/// The clinical interventions Ensemble recognises in what clinicians say, shared by the NoteDrafter
/// and the GroupSummarizer (`Agents/interventions/lexicon.json`).
public struct InterventionLexicon: Sendable, Hashable {
    public struct Technique: Sendable, Hashable {
        public static func == (a: Self, b: Self) -> Bool {
            a.id == b.id && a.modality == b.modality && a.name == b.name && a.description == b.description
                && a.phrases == b.phrases && a.patterns == b.patterns && a.source == b.source
                && a.questionOnly == b.questionOnly && a.sensitive == b.sensitive && a.generic == b.generic
                && a.practice == b.practice && a.inSession == b.inSession
                && a.topicDescription == b.topicDescription
                && a.topics.map(\.label) == b.topics.map(\.label) && a.topics.map(\.words) == b.topics.map(\.words)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.id)
            hasher.combine(self.patterns)
            hasher.combine(self.phrases)
        }

        public var id: String
        /// `DBT`, `CBT`, `MI`, `Family systems` …
        public var modality: String
        /// A short name for the group note (`TIPP skills`).
        public var name: String
        /// What the clinician did, as a clause after a subject (`taught the TIPP distress-tolerance skills`).
        public var description: String
        /// Names of the technique as its manual gives them (`TIPP`, `urge surfing`), matched as phrases.
        public var phrases: [String]
        /// What a clinician says when using it, as patterns of the pattern language (`docs/patterns.md`).
        public var patterns: [String]
        /// Where the technique's description and wording come from (a manual, a model).
        public var source: String?
        /// Only a question shows it (Socratic questioning).
        public var questionOnly: Bool
        /// A fallback (coping-skills coaching, psychoeducation): not named where a specific technique
        /// is found in the same utterance.
        public var generic: Bool = false
        /// Something a member does or tries (a skill, an exercise, a rehearsal), so a note may say how
        /// they took to it; not a stance of the clinician's (validation, reflection).
        public var practice: Bool = false
        /// Done in the session itself (a role-play, an enactment): setting it up is not a plan.
        public var inSession: Bool = false
        /// Topics the technique may be about (`anxiety` → `anxiety`, `panic`): the first one named in
        /// the clinician's sentence fills `{topic}` in `topicDescription`.
        public var topics: [(label: String, words: [String])]
        /// The description when a topic is named (`provided psychoeducation on {topic}`).
        public var topicDescription: String?
        /// Safety work (risk inquiry, safety planning, time-out agreements): written as its own sentence,
        /// so the confidentiality filter can withhold it from a note without taking other work with it.
        public var sensitive: Bool

        public init(
            id: String, modality: String, name: String, description: String, phrases: [String], sensitive: Bool = false,
            patterns: [String] = [], source: String? = nil, questionOnly: Bool = false,
            topics: [(label: String, words: [String])] = [], topicDescription: String? = nil
        ) {
            self.patterns = patterns
            self.source = source
            self.questionOnly = questionOnly
            self.topics = topics
            self.topicDescription = topicDescription
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
    /// The shared vocabulary the patterns are written over.
    public var language: PatternLanguage

    public init(
        version: String, techniques: [Technique], groupAddress: [String] = [],
        language: PatternLanguage = PatternLanguage(version: "none")
    ) {
        self.language = language
        self.version = version
        self.techniques = techniques
        self.groupAddress = groupAddress
    }
}

extension InterventionLexicon {
    /// Every technique's patterns in one matcher, valued by technique index; throws naming the
    /// technique and the pattern that does not compile.
    public func compiledPatterns() throws(InterventionPatternError) -> ConceptMatcher<Int> {
        if let known = Self.recent.withLock({ $0.first { $0.0 == self }?.1 }) { return known }
        let compiled: ConceptMatcher<Int>
        do {
            compiled = try ConceptMatcher(
                self.techniques.enumerated().flatMap { offset, technique in technique.patterns.map { ($0, offset) } },
                language: self.language)
        } catch {
            // Name the technique whose pattern it is.
            let technique = self.techniques.first { $0.patterns.contains(error.pattern) }?.id ?? ""
            throw InterventionPatternError(technique: technique, pattern: error.pattern, reason: error.reason)
        }
        Self.recent.withLock { recent in
            recent.insert((self, compiled), at: 0)
            if recent.count > 4 { recent.removeLast() }
        }
        return compiled
    }

    /// The last lexicons compiled in this process: the loader compiles one to check it, and every
    /// supervisor and test then gets the same compilation back.
    private static let recent = Mutex<[(InterventionLexicon, ConceptMatcher<Int>)]>([])

}

/// An intervention pattern that does not compile.
public struct InterventionPatternError: Error, Sendable, Hashable {
    public var technique: String
    public var pattern: String
    public var reason: String
}

/// Finds the lexicon's techniques in a clinician's words, sentence by sentence: the techniques' names
/// as phrases and their patterns; a `questionOnly` technique only in a question. Compiled once.
public struct InterventionReader: Sendable {
    public let lexicon: InterventionLexicon
    private let phrases: PhraseIndex<Int>
    private let patterns: ConceptMatcher<Int>?
    /// Each technique's topics, compiled: (label, its words).
    private let topics: [[(label: String, words: PhraseIndex<Bool>)]]

    public init(_ lexicon: InterventionLexicon) {
        self.lexicon = lexicon
        self.phrases = PhraseIndex(
            lexicon.techniques.enumerated().flatMap { offset, technique in technique.phrases.map { ($0, offset) } })
        // The loader compiled the patterns once already; a lexicon built in code may have none.
        self.patterns = lexicon.techniques.allSatisfy(\.patterns.isEmpty) ? nil : try? lexicon.compiledPatterns()
        self.topics = lexicon.techniques.map { technique in
            technique.topics.map { ($0.label, PhraseIndex($0.words.map { ($0, true) })) }
        }
    }

    /// The first of a technique's topics the words name.
    public func topic(_ index: Int, words: [[Word]]) -> String? {
        self.topics[index].first { topic in words.contains { topic.words.containsMatch(in: $0) } }?.label
    }

    /// What the clinician did with technique `index` in `words`: its topic description when the words
    /// name one of its topics, else its description.
    public func describe(_ index: Int, words: [[Word]]) -> String {
        let technique = self.lexicon.techniques[index]
        guard let template = technique.topicDescription, let topic = self.topic(index, words: words) else {
            return technique.description
        }
        return template.replacing("{topic}", with: topic)
    }

    /// The techniques a text names by their own names (`paced breathing`, `TIPP`): phrases only, as a
    /// member may say them; the patterns describe what a clinician does and are not read here.
    public func named(in text: TokenizedText) -> [Int] {
        var found: [Int] = []
        self.phrases.forEachMatch(in: text.words) { _, technique in found.append(technique) }
        return found.uniqued()
    }

    /// Each sentence's techniques (indexes into the lexicon), without repeats, in the order found.
    public func techniques(in text: TokenizedText) -> [[Int]] {
        var found = [[Int]](repeating: [], count: text.sentences.count)
        guard !text.sentences.isEmpty else { return found }
        // Phrases never span sentences, so one pass over the utterance finds every sentence's.
        self.phrases.forEachMatch(in: text.words) { range, technique in
            found[text.words[range.lowerBound].sentence].append(technique)
        }
        if let patterns = self.patterns {
            for match in patterns.matches(in: patterns.read(text.words)) {
                let sentence = text.words[match.words.lowerBound].sentence
                if self.lexicon.techniques[match.value].questionOnly,
                    text.words[text.sentences[sentence].words.upperBound - 1].after != .question
                {
                    continue
                }
                found[sentence].append(match.value)
            }
        }
        // A fallback is not named beside a specific technique in the same utterance.
        let specific = found.joined().contains { !self.lexicon.techniques[$0].generic }
        return found.map { techniques in
            (specific ? techniques.filter { !self.lexicon.techniques[$0].generic } : techniques).uniqued()
        }
    }
}
