/// The pure procedure behind `PlanAligner`.
///
/// Each goal and objective becomes a set of topic words (stemmed, with configured synonyms). An
/// attendee's utterance that touches enough of them is evidence; so is a clinician's utterance to them.
/// The attendee's own words decide the direction: progress cues (`helped`, `used the`, `didn't hit`)
/// against regress cues (`worse`, `drank`, `stayed in bed`). No evidence means `notAddressed`.
/// In family, couples and multiple-family sessions, members' goals that fall on opposite sides of a
/// configured theme (more structure against more independence) are reported as a conflict.
public struct PlanAlignmentEngine: Sendable {
    public let configuration: PlanAlignerConfiguration
    private let stopwords: Set<String>
    /// Stem → the stems of words that count as the same topic.
    private let synonyms: [String: Set<String>]
    private let cues: PhraseIndex<Int>
    private let negations: Set<String>
    private let reduction: PhraseIndex<Bool>
    /// Phrases that say a behaviour came less often or less strongly.
    private let decrease: PhraseIndex<Bool>
    /// Each conflict theme's two sides, as phrase indexes.
    private let themeSides: [(a: PhraseIndex<Bool>, b: PhraseIndex<Bool>)]
    private let tokenizer = Tokenizer()

    public init(configuration: PlanAlignerConfiguration) {
        self.configuration = configuration
        self.stopwords = Set(configuration.stopwords.map { TextFolding.fold($0) })
        var synonyms: [String: Set<String>] = [:]
        for (word, list) in configuration.synonyms {
            let key = Self.stem(TextFolding.fold(word))
            for other in list {
                for token in Tokenizer().tokenize(other).words {
                    synonyms[key, default: []].insert(Self.stem(token.folded))
                }
            }
        }
        self.synonyms = synonyms
        self.negations = Set(configuration.negations.map { TextFolding.fold($0) })
        self.reduction = PhraseIndex(configuration.reductionWords.map { ($0, true) })
        self.decrease = PhraseIndex(configuration.decreaseCues.map { ($0, true) })
        self.themeSides = configuration.conflictThemes.map { theme in
            (PhraseIndex(theme.sideA.map { ($0, true) }), PhraseIndex(theme.sideB.map { ($0, true) }))
        }
        // 1 = progress, -1 = regress, 0 = stable.
        self.cues = PhraseIndex(
            configuration.progressCues.map { ($0, 1) } + configuration.regressCues.map { ($0, -1) }
                + configuration.stableCues.map { ($0, 0) }
        )
    }

    /// One utterance read once for every goal: its topic stems, and each sentence with its own.
    private struct Reading {
        var utterance: Int
        var stems: Set<String>
        var sentences: [(words: [Word], stems: Set<String>)]
    }

    private typealias Assessment = (status: GoalStatus, evidence: [Int], direction: Int, hasOwnEvidence: Bool)

    /// Progress on each goal and objective of one attendee's treatment plan.
    public func align(_ attendee: PersonID, facts: SessionFacts) -> [GoalProgress] {
        guard let plan = facts.session.attendee(attendee)?.treatmentPlan else { return [] }
        let own = (facts.utterancesOf[attendee] ?? []).map { u in
            let text = facts.segmented.texts[u]
            let sentences = text.sentences.map { span in
                let words = Array(text.words[span.words])
                return (words: words, stems: self.stems(words))
            }
            return Reading(
                utterance: u, stems: sentences.reduce(into: Set()) { $0.formUnion($1.stems) }, sentences: sentences)
        }
        let spokenTo = (0..<facts.utteranceCount).filter { u in
            facts.clinicianSentences[u].contains { $0.audience.contains(attendee) }
        }.map { (utterance: $0, stems: self.stems(facts.segmented.texts[$0].words)) }
        var progress: [GoalProgress] = []
        for goal in plan.goals {
            var goalEvidence: Set<Int> = []
            var goalDirection = 0
            var goalHasOwnEvidence = false
            func assess(_ text: String) -> Assessment {
                let result = self.assess(
                    topic: self.topic(text), targets: self.targets(text), own: own, clinician: spokenTo)
                goalEvidence.formUnion(result.evidence)
                goalDirection += result.direction
                goalHasOwnEvidence = goalHasOwnEvidence || result.hasOwnEvidence
                return result
            }
            for objective in goal.objectives {
                let result = assess(objective.text)
                progress.append(
                    GoalProgress(
                        attendee: attendee, goalID: goal.id, objectiveID: objective.id, text: objective.text,
                        status: result.status, evidence: result.evidence)
                )
            }
            _ = assess(goal.text)
            progress.insert(
                GoalProgress(
                    attendee: attendee, goalID: goal.id, objectiveID: nil, text: goal.text,
                    status: Self.status(
                        evidence: !goalEvidence.isEmpty, own: goalHasOwnEvidence, direction: goalDirection),
                    evidence: Array(goalEvidence)),
                at: progress.count - goal.objectives.count
            )
        }
        return progress
    }

    /// No evidence: not addressed; only the clinician's words: stable; else the direction decides.
    private static func status(evidence: Bool, own: Bool, direction: Int) -> GoalStatus {
        guard evidence else { return .notAddressed }
        guard own else { return .stable }
        return direction > 0 ? .progressing : direction < 0 ? .regressing : .stable
    }

    private func assess(
        topic: Set<String>, targets: Set<String>, own: [Reading], clinician: [(utterance: Int, stems: Set<String>)]
    ) -> Assessment {
        guard !topic.isEmpty else { return (.notAddressed, [], 0, false) }
        let needed = min(self.configuration.minimumOverlap, topic.count)
        var evidence: [Int] = []
        var direction = 0
        for reading in own where reading.stems.intersection(topic).count >= needed {
            evidence.append(reading.utterance)
            for sentence in reading.sentences where sentence.stems.intersection(topic).count >= needed {
                direction += self.direction(of: sentence.words, topic: topic, targets: targets)
            }
        }
        let hasOwnEvidence = !evidence.isEmpty
        evidence += clinician.filter { $0.stems.intersection(topic).count >= needed }.map(\.utterance)
        return (
            Self.status(evidence: !evidence.isEmpty, own: hasOwnEvidence, direction: direction), evidence.sorted(),
            direction, hasOwnEvidence
        )
    }

    /// Which way one sentence about a goal leans: its cues summed, a cue just after a negation counting
    /// the other way (`didn't really help`); without cues, a negated goal word leans back
    /// (`I didn't really fill out my card`).
    func direction(of words: [Word], topic: Set<String>, targets: Set<String> = []) -> Int {
        // A negation up to five words back, within the clause (`I didn't, I did the pros and cons`
        // keeps its second half).
        func negation(before position: Int) -> String? {
            var cursor = position
            while cursor > 0, position - cursor < 5, words[cursor - 1].after == .unmarked {
                cursor -= 1
                if self.negations.contains(words[cursor].folded) { return words[cursor].folded }
            }
            return nil
        }
        func negated(before position: Int) -> Bool { negation(before: position) != nil }
        // A behaviour the goal is to reduce: not happening (`didn't hit anything`, `no panic attacks`)
        // or happening less (`twice instead of every day`) is progress; happening is regress. The
        // sentence's other cues still count (a mixed sentence comes out even).
        var direction = 0
        var cued = false
        if let position = words.indices.first(where: { targets.contains(Self.stem(words[$0].folded)) }) {
            let negation = negation(before: position)
            // `I'm not arguing` denies the moment; it reports nothing about the week.
            if negation.map({ !Self.presentNegations.contains($0) }) ?? true {
                var less = negation != nil
                self.decrease.forEachMatch(in: words) { range, _ in
                    if !negated(before: range.lowerBound) { less = true }
                }
                direction += less ? 1 : -1
                cued = true
            }
        }
        self.cues.forEachMatch(in: words) { range, value in
            cued = true
            direction += negated(before: range.lowerBound) ? -value : value
        }
        if !cued {
            for (position, word) in words.enumerated()
            where topic.contains(Self.stem(word.folded)) && negated(before: position) {
                return -1
            }
        }
        return direction
    }

    /// Members' goals that pull in opposite directions, within each family (or the couple).
    public func conflicts(facts: SessionFacts) -> [GoalConflict] {
        guard [.family, .couples, .multiFamilyGroup].contains(facts.session.kind) else { return [] }
        let members = facts.session.attendees.filter { $0.present && $0.treatmentPlan != nil }
        var conflicts: [GoalConflict] = []
        for (i, first) in members.enumerated() {
            for second in members[(i + 1)...] where facts.session.family(of: first) == facts.session.family(of: second)
            {
                for (theme, sides) in zip(self.configuration.conflictThemes, self.themeSides) {
                    let firstA = self.goals(of: first, matching: sides.a)
                    let firstB = self.goals(of: first, matching: sides.b)
                    let secondA = self.goals(of: second, matching: sides.a)
                    let secondB = self.goals(of: second, matching: sides.b)
                    let pair: ([String], [String])? =
                        !firstA.isEmpty && !secondB.isEmpty && firstB.isEmpty
                        ? (firstA, secondB)
                        : !firstB.isEmpty && !secondA.isEmpty && firstA.isEmpty ? (firstB, secondA) : nil
                    guard let (firstGoals, secondGoals) = pair else { continue }
                    conflicts.append(
                        GoalConflict(
                            members: [first.id, second.id],
                            goals: firstGoals.map { "\(first.id)/\($0)" } + secondGoals.map { "\(second.id)/\($0)" },
                            theme: theme.name, suggestedObjective: theme.suggestion
                        )
                    )
                }
            }
        }
        return conflicts
    }

    /// Ids of an attendee's goals (or goal/objective) whose text holds any of the phrases.
    private func goals(of attendee: Attendee, matching phrases: PhraseIndex<Bool>) -> [String] {
        var matched: [String] = []
        for goal in attendee.treatmentPlan?.goals ?? [] {
            let texts = [(goal.id, goal.text)] + goal.objectives.map { ($0.id, $0.text) }
            for (id, text) in texts where phrases.containsMatch(in: self.tokenizer.tokenize(text).words) {
                if !matched.contains(id) { matched.append(id) }
            }
        }
        return matched
    }

    /// The stems of what a goal sets out to reduce: the words after each reduction word, up to a
    /// clause word or four words (`Reduce aggressive outbursts`, `… instead of hitting objects when …`),
    /// with their synonyms.
    func targets(_ text: String) -> Set<String> {
        let words = self.tokenizer.tokenize(text).words
        var stems = Set<String>()
        self.reduction.forEachMatch(in: words) { range, _ in
            var position = range.upperBound
            var taken = 0
            while position < words.count, taken < 4, !Self.clauseWords.contains(words[position].folded) {
                let word = words[position].folded
                if !self.stopwords.contains(word), word.count > 2, !word.allSatisfy(\.isNumber) {
                    let stem = Self.stem(word)
                    stems.insert(stem)
                    stems.formUnion(self.synonyms[stem] ?? [])
                }
                taken += 1
                if words[position].after != .unmarked { break }
                position += 1
            }
        }
        return stems
    }

    /// Negations of the present moment (`I'm not arguing`, `I don't drink`), which say nothing of
    /// whether the behaviour happened.
    private static let presentNegations: Set<String> = ["not", "isn't", "aren't", "am not", "don't", "doesn't"]

    /// Words that end what a reduction word governs.
    private static let clauseWords: Set<String> = [
        "when", "if", "while", "by", "and", "so", "to", "at", "with", "until",
    ]

    /// The topic stems of a goal or objective, with synonyms.
    func topic(_ text: String) -> Set<String> {
        var stems = Set<String>()
        for word in self.tokenizer.tokenize(text).words
        where !self.stopwords.contains(word.folded) && word.folded.count > 2 {
            if word.folded.allSatisfy(\.isNumber) { continue }
            let stem = Self.stem(word.folded)
            stems.insert(stem)
            stems.formUnion(self.synonyms[stem] ?? [])
        }
        return stems
    }

    private func stems(_ words: [Word]) -> Set<String> {
        Set(words.filter { !self.stopwords.contains($0.folded) }.map { Self.stem($0.folded) })
    }

    /// A light English stemmer: enough to match `attacks` with `attack`, `breathing` with `breathe`.
    static func stem(_ word: String) -> String {
        var text = word
        if text.hasSuffix("'s") { text.removeLast(2) }
        for suffix in ["ing", "ed", "es", "s", "e", "y"] where text.count > suffix.count + 3 && text.hasSuffix(suffix) {
            text.removeLast(suffix.count)
            break
        }
        return text
    }
}

/// Aligns each attendee's session with their treatment-plan goals, and finds conflicting goals.
public actor PlanAligner: PlanAligningAgent {
    private let engine: PlanAlignmentEngine
    public private(set) var job: AgentJob?

    public init(configuration: PlanAlignerConfiguration) {
        self.init(compiled: PlanAlignmentEngine(configuration: configuration))
    }

    /// An instance over configuration compiled once for many.
    public init(compiled engine: PlanAlignmentEngine) { self.engine = engine }

    public func align(_ attendee: PersonID, in context: DraftingContext) async throws -> [GoalProgress] {
        try AgentJob.perform(&self.job, .planAligner, session: context.facts.session.id, attendee: attendee) {
            self.engine.align(attendee, facts: context.facts)
        }
    }

    public func conflicts(in context: DraftingContext) async throws -> [GoalConflict] {
        try AgentJob.perform(&self.job, .planAligner, session: context.facts.session.id) {
            self.engine.conflicts(facts: context.facts)
        }
    }
}
