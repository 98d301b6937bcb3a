/// The pure attribution procedure behind `SpeakerAttributor`.
///
/// 1. Read every label (names, roles, relationships, families, hints) and every utterance (self-
///    introductions, names said as addresses, relationship phrases, topics, clinician style) once.
/// 2. Sum the evidence per label and person; content evidence saturates so no single habit dominates.
/// 3. Solve one global one-label-one-person assignment; confidence is the logistic of the margin by
///    which each choice beats the best assignment without it. Below the threshold: `unknown`.
/// 4. Labels that cover several people (hinted, a family name, a guest tag, or content naming someone
///    who has no label) are resolved utterance by utterance with forward–backward over the people.
public struct AttributionEngine: Sendable {
    public let configuration: AttributorConfiguration
    let lexicon: CompiledLexicon

    public init(configuration: AttributorConfiguration) {
        self.configuration = configuration
        self.lexicon = CompiledLexicon(configuration.lexicon)
    }

    public func attribute(_ segmented: SegmentedTranscript, roster: Roster, hints: [SpeakerHint] = []) -> Attribution {
        var run = AttributionRun(engine: self, segmented: segmented, roster: roster, hints: hints)
        var attribution = run.execute()
        attribution.findings += PhoneLabels.possibleRejoins(segmented.transcript, attribution)
        return attribution
    }

    /// Whether a label is an anonymous diarization id (`SPEAKER_03`, `spk_1`, `A`) rather than a name,
    /// role or device.
    public func isAnonymous(label: String) -> Bool {
        let tokens = LabelReading.cleanTokens(label, lexicon: self.lexicon)
        return tokens.isEmpty || self.lexicon.isAnonymous(TextFolding.fold(label.trimmingSpaces))
            || self.lexicon.isAnonymous(tokens.joined(separator: " "))
    }
}

/// One attribution, with its working state.
struct AttributionRun {
    typealias Kind = AttributionSignal.Kind

    struct Accumulator {
        var raw = 0.0
        var count = 0
        var evidence: [Int] = []

        mutating func add(_ value: Double, at utterance: Int?) {
            self.raw += value
            self.count += 1
            if let utterance, self.evidence.count < 8, self.evidence.last != utterance {
                self.evidence.append(utterance)
            }
        }
    }

    let configuration: AttributorConfiguration
    let weights: AttributorConfiguration.Weights
    let lexicon: CompiledLexicon
    let segmented: SegmentedTranscript
    let roster: Roster
    let hints: [SpeakerHint]
    var directory: NameDirectory
    let people: [Roster.Person]

    /// Distinct labels of speech utterances, in order of first appearance.
    var labels: [String] = []
    var labelIndex: [String: Int] = [:]
    /// The label index of each utterance that holds speech and has a label.
    var labelOf: [Int?] = []
    var events: [[ContentEvent]] = []
    var style: [StyleFigures] = []
    /// Per utterance, the one attendee its third-person pronouns can stand for.
    var pronounReferent: [Int?] = []
    var labelStyle: [StyleFigures] = []
    /// The speech utterances of each label, in order.
    var utterancesOfLabel: [[Int]] = []
    var readings: [LabelReading] = []
    /// Evidence per (label, roster person) and kind.
    var evidence: [Assignment.Pair: [Kind: Accumulator]] = [:]
    /// Clinician style of each label, in -1…1.5 (z-score against the other labels).
    var clinicianStyle: [Double] = []
    var findings: [Finding] = []
    /// Label row → the utterance from which it is someone else, found by `labelChanges`.
    var changes: [Int: LabelChange] = [:]
    /// Each label's lines read once over everyone who can speak (`pairSlots` gives their slots), for the
    /// leans between any two of them.
    var pairLeans: [Int: [PairLeans]] = [:]
    var pairSlots: [Int: Int] = [:]
    /// Per label row, each of its lines read over everyone present (with style), kept from `labelChanges`.
    var lineEmissions: [Int: [[Double]]] = [:]

    init(engine: AttributionEngine, segmented: SegmentedTranscript, roster: Roster, hints: [SpeakerHint]) {
        self.configuration = engine.configuration
        self.weights = engine.configuration.weights
        self.lexicon = engine.lexicon
        self.segmented = segmented
        self.roster = roster
        self.hints = hints
        self.people = roster.people
        self.directory = NameDirectory(roster: roster, lexicon: engine.lexicon)
    }

    // MARK: - Run

    mutating func execute() -> Attribution {
        self.readUtterances()
        self.readLabels()
        self.accumulateContentEvidence()
        self.scoreClinicianStyle()

        // Two people: the whole conversation is read at once, each label as fallible evidence.
        if self.segmented.transcript.origin != .clinicianSummary, let candidates = self.conversationCandidates(),
            let reading = self.readConversation(candidates: candidates)
        {
            let (choices, shared, perUtterance) = self.bind(reading)
            self.addFoldedLinesFinding()
            return self.output(assignment: choices, shared: shared, perUtterance: perUtterance)
        }

        var shared = self.sharedLabelsBeforeAssignment()
        let splits = self.splitLabels(shared: shared)
        var assignment = self.assign(
            excludingLabels: Set(shared.keys).union(splits.keys), excludingPeople: Set(shared.values.flatMap { $0 }))
        self.bindSplitLabels(splits, to: &assignment)
        self.addSplitLabels(to: &assignment, shared: shared)
        self.addElimination(to: &assignment, shared: shared)
        self.addContentSharedLabels(assignment: &assignment, shared: &shared)
        if self.segmented.transcript.origin != .clinicianSummary {
            self.changes = self.labelChanges(choices: assignment, shared: shared)
            self.bindFirstSpans(of: &assignment)
        }

        var perUtterance: [Int: (person: Int?, confidence: Double)] = [:]
        for (label, candidates) in shared.sorted(by: { $0.key < $1.key }) {
            let members = self.utterancesOfLabel[label]
            let resolved = self.resolve(
                utterances: members, candidates: candidates, styleAware: false,
                continuation: self.weights.sharedLabelContinuation
            )
            for (index, result) in zip(members, resolved) { perUtterance[index] = result }
        }
        if self.segmented.transcript.origin != .clinicianSummary {
            self.bindSpans(into: &perUtterance)
            self.selfAnsweredQuestions(choices: assignment, into: &perUtterance)
            self.mixedStretches(choices: assignment, shared: shared, into: &perUtterance)
            // A label bound to nobody: its lines are read one by one among everyone, as lines without a
            // label are, when the session shows diarization trouble (a split, a change, a mixed stretch).
            let trouble = self.findings.contains {
                [.speakerSplitAcrossLabels, .labelChangesPerson, .labelMixesSpeakers].contains($0.code)
            }
            if trouble {
                let everyone = self.people.indices.filter { self.canSpeak($0) }
                for row in self.labels.indices
                where assignment[row].person == nil && shared[row] == nil && self.changes[row] == nil {
                    let lines = self.utterancesOfLabel[row].filter { perUtterance[$0] == nil }
                    let resolved = self.resolve(
                        utterances: lines, candidates: everyone, styleAware: true,
                        continuation: self.weights.sameSpeakerContinuation)
                    for (index, result) in zip(lines, resolved) where result.person != nil {
                        perUtterance[index] = result
                    }
                }
            }
        }
        if self.segmented.transcript.origin == .clinicianSummary {
            self.summarySubjects(assignment: assignment, into: &perUtterance)
            let groupLevel = perUtterance.filter { $0.value.person == nil }.keys.sorted()
            if !groupLevel.isEmpty {
                self.findings.append(
                    Finding(
                        code: .groupLevelContent, severity: .info,
                        message: "\(groupLevel.count) bullet(s) of the summary are about the group rather than one "
                            + "attendee; they belong in the group note.",
                        evidence: groupLevel
                    )
                )
            }
            return self.output(assignment: assignment, shared: shared, perUtterance: perUtterance)
        }
        self.addFoldedLinesFinding()
        // Speech without any label (an unlabelled transcript, or stray cues) is resolved one by one
        // among everyone present.
        let unlabelled = self.segmented.utterances.indices.filter {
            self.segmented.isSpeech[$0] && self.labelOf[$0] == nil
        }
        if !unlabelled.isEmpty {
            let everyone = self.people.indices.filter { self.canSpeak($0) }
            let resolved = self.resolve(
                utterances: unlabelled, candidates: everyone, styleAware: true,
                continuation: self.weights.sameSpeakerContinuation
            )
            for (index, result) in zip(unlabelled, resolved) { perUtterance[index] = result }
            if self.labels.isEmpty {
                self.findings.append(
                    Finding(
                        code: .unlabeledTranscript, severity: .warning,
                        message: "The transcript has no speaker labels; each utterance was attributed on its own "
                            + "from what was said, and \(resolved.filter { $0.person == nil }.count) of "
                            + "\(unlabelled.count) stay unknown. A diarized transcript or an RTTM file gives far better results.",
                        evidence: []
                    )
                )
            }
        }
        return self.output(assignment: assignment, shared: shared, perUtterance: perUtterance)
    }

    /// Lines that opened like a speaker's turn but were folded into the utterance above.
    mutating func addFoldedLinesFinding() {
        let folded = self.segmented.transcript.foldedLabelLines
        if !folded.isEmpty {
            // The utterance each folded line went into: the last one starting at or before it.
            let utterances = self.segmented.transcript.utterances
            let holders = folded.compactMap { line in utterances.last { $0.line > 0 && $0.line <= line }?.index }
            self.findings.append(
                Finding(
                    code: .labelLikeLineMerged, severity: .warning,
                    message:
                        "\(folded.count == 1 ? "Line" : "Lines") \(folded.map(String.init).joined(separator: ", ")) "
                        + "of the transcript \(folded.count == 1 ? "opens" : "open") like a speaker's turn but "
                        + "\(folded.count == 1 ? "was" : "were") read as part of the utterance above (that label "
                        + "appears only once); check the line and the speaker of the utterance it joined",
                    evidence: Array(Set(holders)).sorted()))
        }
    }

    /// A clinician's summary has no speakers: each bullet is bound to the attendee it is about. A
    /// bullet that opens with a name is about that person; one about everyone (`the group`) is group-level;
    /// else its `Name:` prefix or heading decides; else the one attendee it names; else nobody.
    func summarySubjects(
        assignment choices: [Choice], into perUtterance: inout [Int: (person: Int?, confidence: Double)]
    ) {
        let caseless = !self.segmented.texts.contains { !$0.isCaseless }
        for index in self.segmented.utterances.indices where self.segmented.isSpeech[index] {
            let words = self.segmented.texts[index].words
            let attendees = self.directory.mentions(in: words, caseless: caseless, lexicon: self.lexicon).filter {
                $0.people.count == 1 && self.canSpeak($0.people[0]) && !self.people[$0.people[0]].isClinician
            }
            let aboutTheGroup = self.lexicon.groupWords.containsMatch(in: words)
            if let first = attendees.first, first.words.lowerBound == 0 {
                perUtterance[index] = (first.people[0], 0.95)
            } else if aboutTheGroup {
                perUtterance[index] = (nil, 0)
            } else if let row = self.labelOf[index], let person = choices[row].person {
                perUtterance[index] = (person, choices[row].confidence)
            } else if Set(attendees.map { $0.people[0] }).count == 1, let only = attendees.first {
                perUtterance[index] = (only.people[0], 0.85)
            } else {
                perUtterance[index] = (nil, 0)
            }
        }
    }

    // MARK: - Reading

    mutating func readUtterances() {
        let caseless = !self.segmented.texts.contains { !$0.isCaseless }
        let utterances = self.segmented.utterances
        self.labelOf = Array(repeating: nil, count: utterances.count)
        self.events = Array(repeating: [], count: utterances.count)
        self.style = Array(repeating: StyleFigures(), count: utterances.count)
        self.directory.sessionTexts = self.segmented.texts
        for (index, utterance) in utterances.enumerated() where self.segmented.isSpeech[index] {
            if let label = utterance.label {
                let key = label
                if let existing = self.labelIndex[key] {
                    self.labelOf[index] = existing
                } else {
                    self.labelIndex[key] = self.labels.count
                    self.labelOf[index] = self.labels.count
                    self.labels.append(key)
                }
            }
            let (events, style) = self.lexicon.events(
                in: self.segmented.texts[index].words, caseless: caseless, directory: self.directory
            )
            self.events[index] = events
            self.style[index] = style
        }
        self.readRollCallAnswers(caseless: caseless)
        self.readPronounReferents()
        self.labelStyle = Array(repeating: StyleFigures(), count: self.labels.count)
        self.utterancesOfLabel = Array(repeating: [], count: self.labels.count)
        for (index, label) in self.labelOf.enumerated() {
            guard let label else { continue }
            self.labelStyle[label].add(self.style[index])
            self.utterancesOfLabel[label].append(index)
        }
    }

    /// A reply that opens with the very name the line before handed the floor to (`Linda?` →
    /// `Linda, two hundred and eleven days.`) is the person answering to their name, as members do in a
    /// group's check-in, not someone addressing them. It must come from another label than the call, and
    /// the name must be set off by a comma or a full stop, not asked (`Jake? You need to answer her.` calls
    /// Jake). When nothing in the reply speaks to a `you`, the speaker names themself; when something does
    /// (`Linda, you go first`), the name counts neither way.
    mutating func readRollCallAnswers(caseless: Bool) {
        for index in self.events.indices where self.segmented.isSpeech[index] {
            guard let previous = self.nearestSpeech(from: index, step: -1),
                self.labelOf[index] == nil || self.labelOf[index] != self.labelOf[previous]
            else { continue }
            let handedTo = Self.handedTo(self.events[previous])
            guard handedTo.count == 1, let person = handedTo.first,
                let opening = self.events[index].firstIndex(where: {
                    if case .addresses(let people, _) = $0 { return people == [person] }
                    return false
                })
            else { continue }
            let words = self.segmented.texts[index].words
            let named = self.lexicon.nameEvents(in: words, caseless: caseless, directory: self.directory)
            guard named.first?.words.lowerBound == 0, case .addresses(let people, _) = named[0].event,
                people == [person], [.comma, .period].contains(words[named[0].words.upperBound - 1].after)
            else { continue }
            if words.contains(where: { self.lexicon.secondPersonWords.contains($0) }) {
                self.events[index].remove(at: opening)
            } else {
                self.events[index][opening] = .selfIntroduction(person: person)
            }
        }
    }

    /// The one client a line's third-person pronouns can stand for (`he` when only one attendee on the
    /// roster goes by `he`), per utterance. People seldom speak of themselves as `she` or `he`, so such a
    /// line is a little evidence that its speaker is someone else; it matters between two people of
    /// different pronouns weighed against each other (a shared device). A line with both sets, a set two
    /// attendees share (absent ones and infants included: parents talk about them), or someone else the
    /// pronoun could stand for said before it in the line (`my sister … she`, `Jess … her`, `my kid …
    /// she`), says nothing. (Looking for such a person in the line before too was measured: it cost more
    /// right lines than wrong ones it saved.) Pronouns are the chart's; without them, a relationship
    /// (`wife`) or the recorded sex.
    mutating func readPronounReferents() {
        self.pronounReferent = Array(repeating: nil, count: self.events.count)
        guard self.weights.pronounReferent != 0 else { return }
        var holders: [String: [Int]] = [:]
        for person in self.people.indices where !self.people[person].isClinician {
            if let set = self.pronounSet(of: person) { holders[set, default: []].append(person) }
        }
        guard holders.count >= 2 else { return }
        let rosterNames = Set(
            self.people.flatMap { person in
                person.name.split(separator: " ").map { TextFolding.fold(String($0)) }
                    + person.aliases.map { TextFolding.fold($0) }
            })
        /// A capitalised word inside a sentence that is no roster name, no `I`: someone else's name.
        func namesSomeoneElse(_ word: Word, at position: Int, in words: [Word]) -> Bool {
            word.isCapitalized && position > 0 && !words[position - 1].after.endsSentence
                && !self.lexicon.firstPerson.contains(word.folded) && !rosterNames.contains(word.folded)
                && self.lexicon.thirdPerson[word.folded] == nil
        }
        for index in self.events.indices where self.segmented.isSpeech[index] {
            let words = self.segmented.texts[index].words
            var sets = Set<String>()
            var before = Set<String>()
            var spokenOfFirst = false
            for (position, word) in words.enumerated() {
                if let set = self.lexicon.thirdPerson[word.folded] {
                    sets.insert(set)
                    if before.contains(set) { spokenOfFirst = true }
                } else if let relationship = self.lexicon.relationshipByWord[word.folded] {
                    before.formUnion(self.pronounSets(ofRelationship: relationship, word: word.folded))
                } else if namesSomeoneElse(word, at: position, in: words) {
                    before.formUnion(["she", "he"])
                }
            }
            guard !spokenOfFirst, sets.count == 1, let set = sets.first, let people = holders[set], people.count == 1
            else { continue }
            self.pronounReferent[index] = people[0]
        }
    }

    /// The pronoun sets a relationship word can stand for: `she` for `sister`, `he` for `son`, both for
    /// one without a gender (`kid`, `partner`). The word itself is tried before its canonical relationship
    /// (`girlfriend` is a `partner`).
    func pronounSets(ofRelationship relationship: String, word: String) -> Set<String> {
        for key in [word, relationship] {
            if self.lexicon.femaleRelationships.contains(key) { return ["she"] }
            if self.lexicon.maleRelationships.contains(key) { return ["he"] }
        }
        return ["she", "he"]
    }

    /// `she` or `he` for a person, from their chart's pronouns, else their relationship, else their sex.
    func pronounSet(of person: Int) -> String? {
        let entry = self.people[person]
        if let pronouns = entry.pronouns {
            let first = TextFolding.fold(pronouns).split(whereSeparator: { !$0.isLetter }).first.map(String.init)
            return first == "she" || first == "he" ? first : nil
        }
        if let word = entry.relationship, let relationship = self.relationship(of: person), relationship != "self" {
            let sets = self.pronounSets(ofRelationship: relationship, word: word)
            if sets.count == 1 { return sets.first }
        }
        switch entry.sex {
        case .female?: return "she"
        case .male?: return "he"
        default: return nil
        }
    }

    mutating func readLabels() {
        self.readings = self.labels.map {
            LabelReading(label: $0, directory: self.directory, lexicon: self.lexicon, weights: self.weights)
        }
        for (row, reading) in self.readings.enumerated() {
            for match in reading.names where self.canSpeak(match.person) {
                self.add(match.kind, match.score, row: row, person: match.person, utterance: nil)
            }
            // A label that names someone absent better than anyone present.
            let bestAbsent = reading.names.filter { !self.people[$0.person].present }.max { $0.score < $1.score }
            let bestPresent = reading.names.filter { self.people[$0.person].present }.map(\.score).max() ?? 0
            if let bestAbsent, bestAbsent.score >= self.weights.firstNameOrAlias * 0.85, bestAbsent.score > bestPresent
            {
                self.findings.append(
                    Finding(
                        code: .labelMatchesAbsentAttendee, severity: .warning,
                        person: self.people[bestAbsent.person].id,
                        label: reading.label,
                        message: "A speaker label matches \(self.people[bestAbsent.person].id), who is marked absent; "
                            + "no utterance was given to them. Check the attendance on the roster."
                    )
                )
            }
            if let role = reading.role { self.addRoleEvidence(role, label: reading.label, row: row) }
        }
        for hint in self.hints {
            guard let row = self.row(forHintLabel: hint.label) else { continue }
            let present = hint.people.compactMap { id in self.people.firstIndex { $0.id == id } }
            for index in present where !self.people[index].present {
                self.findings.append(
                    Finding(
                        code: .hintNamesAbsentAttendee, severity: .warning, person: self.people[index].id,
                        label: hint.label,
                        message:
                            "A speaker hint points to \(self.people[index].id), who is marked absent; the hint was not used."
                    )
                )
            }
            let usable = present.filter { self.people[$0].present }
            if usable.count == 1 {
                self.add(.speakerHint, self.weights.speakerHint, row: row, person: usable[0], utterance: nil)
            }
        }
    }

    private func row(forHintLabel label: String) -> Int? {
        if let row = self.labelIndex[label] { return row }
        let folded = TextFolding.fold(label.trimmingSpaces)
        return self.labels.firstIndex { TextFolding.fold($0.trimmingSpaces) == folded }
    }

    private mutating func addRoleEvidence(_ role: CompiledLexicon.LabelRole, label: String, row: Int) {
        let present = self.people.indices.filter { self.canSpeak($0) }
        let weight = self.weights.roleLabel
        switch role {
        case .clinician:
            let clinicians = present.filter { self.people[$0].isClinician }
            for index in clinicians {
                let isPrimary = self.people[index].clinicianRole == .primary
                self.add(
                    .roleLabel, clinicians.count == 1 || isPrimary ? weight : weight * 0.5, row: row, person: index,
                    utterance: nil)
            }
        case .coTherapist:
            for index in present where [.coTherapist, .trainee].contains(self.people[index].clinicianRole) {
                self.add(.roleLabel, weight, row: row, person: index, utterance: nil)
            }
        case .client:
            guard self.roster.sessionKind != .group else { return }
            let patients = present.filter { self.people[$0].attendeeRole == .identifiedPatient }
            let clients = patients.isEmpty ? present.filter { !self.people[$0].isClinician } : patients
            if clients.count == 1 { self.add(.roleLabel, weight, row: row, person: clients[0], utterance: nil) }
        case .child:
            let patients = present.filter { self.people[$0].attendeeRole == .identifiedPatient }
            if patients.count == 1 { self.add(.roleLabel, weight * 0.8, row: row, person: patients[0], utterance: nil) }
        case .guest:
            // Handled as a shared label when several guests are present.
            let guests = self.guests()
            if guests.count == 1 { self.add(.roleLabel, weight, row: row, person: guests[0], utterance: nil) }
        case .relationship(let relationship):
            for index in present where self.relationship(of: index) == relationship {
                self.add(.relationshipLabel, self.weights.relationshipLabel, row: row, person: index, utterance: nil)
            }
        }
    }

    /// Present attendees other than the identified patient(s).
    private func guests() -> [Int] {
        self.people.indices.filter {
            self.canSpeak($0) && !self.people[$0].isClinician && self.people[$0].attendeeRole != .identifiedPatient
        }
    }

    /// Present, and old enough to speak (a nine-month-old in a paediatric visit is on the roster but never talks).
    func canSpeak(_ person: Int) -> Bool {
        guard self.people[person].present else { return false }
        guard let age = self.people[person].age else { return true }
        return age >= self.configuration.minimumSpeakingAge
    }

    /// The person's age: from the date of birth, else adult (taken as 40) when the relationship makes them one.
    func age(of person: Int) -> Int? {
        if let age = self.people[person].age { return age }
        if let relationship = self.relationship(of: person), self.lexicon.adultRelationships.contains(relationship) {
            return 40
        }
        return nil
    }

    /// The people an utterance hands the floor to by name.
    static func handedTo(_ events: [ContentEvent]) -> Set<Int> {
        var people = Set<Int>()
        for case .addresses(let named, .handOff) in events { people.formUnion(named) }
        return people
    }

    /// Whether an utterance hands the floor to someone; passing addresses in it then say nothing about
    /// who speaks next.
    static func handsOff(_ events: [ContentEvent]) -> Bool {
        events.contains { event in
            switch event {
            case .addresses(_, .handOff), .addressesRelationship(_, .handOff): true
            default: false
            }
        }
    }

    /// A person's relationship to the identified patient, with `self` for the identified patient.
    func relationship(of person: Int) -> String? {
        if self.people[person].attendeeRole == .identifiedPatient { return "self" }
        return self.people[person].relationship.map { self.lexicon.relationshipByWord[$0] ?? $0 }
    }

    // MARK: - Content evidence

    mutating func accumulateContentEvidence() {
        let rosterHasRelationships = self.people.contains { $0.relationship != nil }
        let rosterHasAges = self.people.indices.contains { self.age(of: $0) != nil }
        for (index, events) in self.events.enumerated() {
            guard let row = self.labelOf[index] else { continue }
            let handsOff = Self.handsOff(events)
            for event in events {
                switch event {
                case .selfIntroduction(let person):
                    guard self.canSpeak(person) else { continue }
                    self.add(
                        .selfIntroduction, self.weights.selfIntroduction, row: row, person: person, utterance: index)
                case .relationshipTo(_, let relationship):
                    guard rosterHasRelationships else { continue }
                    for person in self.people.indices where self.canSpeak(person) {
                        guard let known = self.relationship(of: person) else { continue }
                        if known == relationship {
                            self.add(
                                .relationshipPhrase, self.weights.relationshipPhrase * 2, row: row, person: person,
                                utterance: index)
                        } else if !self.people[person].isClinician {
                            self.add(
                                .relationshipContradiction, self.weights.relationshipContradiction, row: row,
                                person: person, utterance: index)
                        }
                    }
                case .relationshipPhrase(let phraseIndex):
                    guard rosterHasRelationships else { continue }
                    self.applyRelationshipPhrase(phraseIndex, row: row, utterance: index)
                case .addresses(let addressed, let direction):
                    self.applyAddress(
                        addressed.filter { self.people[$0].present }, direction: direction, handsOff: handsOff,
                        row: row, utterance: index, weight: 1
                    )
                case .addressesRelationship(let relationship, let direction):
                    guard rosterHasRelationships else { continue }
                    let addressed = self.people.indices.filter {
                        self.people[$0].present && self.relationship(of: $0) == relationship
                    }
                    // A relationship word is a vaguer address than a name.
                    self.applyAddress(
                        addressed, direction: direction, handsOff: handsOff, row: row, utterance: index, weight: 0.8)
                case .mentionsRelationship(let relationship):
                    guard rosterHasRelationships else { continue }
                    for person in self.people.indices where self.canSpeak(person) {
                        if self.relationship(of: person) == relationship {
                            self.add(
                                .mentionsOther, self.weights.mentionsOther, row: row, person: person, utterance: index)
                        }
                    }
                case .mentions(let mentioned):
                    let present = mentioned.filter { self.people[$0].present }
                    for person in present {
                        self.add(
                            .mentionsOther, self.weights.mentionsOther / Double(present.count), row: row,
                            person: person, utterance: index)
                    }
                case .ageTopic(let child):
                    guard rosterHasAges else { continue }
                    for person in self.people.indices where self.canSpeak(person) && !self.people[person].isClinician {
                        guard let age = self.age(of: person) else { continue }
                        if (age < 18) == child {
                            self.add(.ageTopic, self.weights.ageTopic, row: row, person: person, utterance: index)
                        }
                    }
                }
            }
        }
    }

    /// Naming people counts against the speaker being them, and (as a hand-off or thanks) for the
    /// label that speaks next or spoke last.
    private mutating func applyAddress(
        _ addressed: [Int], direction: ContentEvent.Direction, handsOff: Bool, row: Int, utterance: Int, weight: Double
    ) {
        guard !addressed.isEmpty else { return }
        let share = 1 / Double(addressed.count)
        for person in addressed {
            self.add(
                .addressesOther, self.weights.addressesOther * share, row: row, person: person, utterance: utterance)
        }
        if direction != .generic || !handsOff {
            self.creditAddressee(addressed, direction: direction, from: utterance, row: row, share: share * weight)
        }
    }

    private mutating func applyRelationshipPhrase(_ phraseIndex: Int, row: Int, utterance: Int) {
        let phrase = self.lexicon.relationshipPhraseList[phraseIndex]
        let factor = (phrase.isStatement ? 2.0 : 1.0) * phrase.weight
        for person in self.people.indices where self.canSpeak(person) && !self.people[person].isClinician {
            switch self.fits(person, phrase: phrase) {
            case true?:
                self.add(
                    .relationshipPhrase, self.weights.relationshipPhrase * factor, row: row, person: person,
                    utterance: utterance)
            case false?:
                self.add(
                    .relationshipContradiction, self.weights.relationshipContradiction * factor, row: row,
                    person: person, utterance: utterance)
            case nil: break
            }
        }
    }

    /// Whether a relationship phrase fits the person as speaker: true, false, or nil when it says nothing
    /// (no relationship known, or a `speakerIsNot` phrase about someone else).
    func fits(_ person: Int, phrase: AttributorConfiguration.RelationshipPhrase) -> Bool? {
        let roles = self.roles(of: person)
        guard !roles.isEmpty else { return nil }
        let folded = { (word: String) in
            self.lexicon.relationshipByWord[TextFolding.fold(word)] ?? TextFolding.fold(word)
        }
        if !phrase.speakerIsNot.isEmpty {
            return phrase.speakerIsNot.map(folded).contains(where: roles.contains) ? false : nil
        }
        let tooYoung = phrase.speakerIsAdult && (self.age(of: person) ?? 18) < 18
        return phrase.speakerIs.map(folded).contains(where: roles.contains) && !tooYoung
    }

    /// The person's relationship, and a spouse's role when the child's other parent is present too
    /// (a mother is also a wife when the father is on the roster).
    func roles(of person: Int) -> [String] {
        guard let relationship = self.relationship(of: person) else { return [] }
        guard let spouse = self.lexicon.parentSpouses[relationship], spouse.count == 2 else { return [relationship] }
        let related = self.people[person].relatedTo
        let otherParent = self.people.indices.contains {
            $0 != person && self.people[$0].present && self.relationship(of: $0) == spouse[0]
                && (related == nil || self.people[$0].relatedTo == nil || self.people[$0].relatedTo == related)
        }
        return otherParent ? [relationship, spouse[1]] : [relationship]
    }

    /// Credits the label that speaks next (a hand-off) or spoke last (thanks) with the addressee.
    private mutating func creditAddressee(
        _ addressed: [Int], direction: ContentEvent.Direction, from index: Int, row: Int, share: Double
    ) {
        let target: (row: Int, utterance: Int, distance: Int)?
        let weight: Double
        switch direction {
        case .thanks:
            target = self.neighbour(of: index, row: row, step: -1)
            weight = self.weights.thankedAfter
        case .handOff:
            target = self.neighbour(of: index, row: row, step: 1)
            weight = self.weights.addressedBefore
        case .generic:
            target = self.neighbour(of: index, row: row, step: 1)
            weight = self.weights.addressedBefore * 0.5
        }
        guard let target else { return }
        let kind: Kind = direction == .thanks ? .thankedAfter : .addressedBefore
        let decay = target.distance == 1 ? 1.0 : 0.6
        for person in addressed {
            self.add(kind, weight * share * decay, row: target.row, person: person, utterance: target.utterance)
        }
    }

    /// The nearest speech utterance in `step` direction (within three) whose label differs from `row`.
    private func neighbour(of index: Int, row: Int, step: Int) -> (row: Int, utterance: Int, distance: Int)? {
        var cursor = index + step
        var distance = 1
        while cursor >= 0, cursor < self.labelOf.count, distance <= 3 {
            if let other = self.labelOf[cursor] {
                if other != row { return (other, cursor, distance) }
                // The same label speaking on: the address is still pending.
            }
            cursor += step
            distance += 1
        }
        return nil
    }

    mutating func add(_ kind: Kind, _ value: Double, row: Int, person: Int, utterance: Int?) {
        self.evidence[Assignment.Pair(row: row, column: person), default: [:]][kind, default: Accumulator()]
            .add(value, at: utterance)
    }

    // MARK: - Clinician style

    mutating func scoreClinicianStyle() {
        let totalWords = max(1, self.labelStyle.reduce(0) { $0 + $1.words })
        let firstSpeaker = self.labelOf.first { $0 != nil } ?? nil
        var addressed = Array(repeating: Set<Int>(), count: self.labels.count)
        for (index, events) in self.events.enumerated() {
            guard let row = self.labelOf[index] else { continue }
            for case .addresses(let people, _) in events { addressed[row].formUnion(people) }
        }
        let raw: [Double] = self.labelStyle.indices.map { row in
            let figures = self.labelStyle[row]
            let n = Double(max(figures.utterances, 1))
            return 1.0 * Double(figures.questions) / n
                + 0.8 * min(figures.clinicianPhraseWeight / n, 2)
                + 0.8 * figures.pronounBalance
                + 0.8 * Double(min(addressed[row].count, 4)) / 4
                + 1.5 * Double(figures.words) / Double(totalWords)
                + (row == firstSpeaker ? 0.2 : 0)
        }
        let reliable = self.labelStyle.indices.filter { self.labelStyle[$0].utterances >= 3 }
        let basis = (reliable.count >= 2 ? reliable : Array(self.labelStyle.indices)).map { raw[$0] }.sorted()
        guard basis.count >= 2 else {
            self.clinicianStyle = Array(repeating: 0, count: self.labels.count)
            return
        }
        // Distance from the median label in fixed units: with two or three speakers a spread-based
        // scale is degenerate, and the raw figures mean the same in every session.
        let median = Self.median(basis)
        let scale = 0.6
        self.clinicianStyle = raw.indices.map { row in
            let reliability = min(1, Double(self.labelStyle[row].utterances) / 4)
            return max(-1, min(1.5, (raw[row] - median) / scale)) * reliability
        }
    }

    /// The median of sorted values (the mean of the middle two for an even count).
    static func median(_ sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    // MARK: - Scores and assignment

    /// The score of binding label `row` to person `column`, with each signal's share.
    func score(row: Int, person: Int) -> (total: Double, signals: [AttributionSignal]) {
        var signals: [AttributionSignal] = []
        var total = 0.0
        if let kinds = self.evidence[Assignment.Pair(row: row, column: person)] {
            for (kind, accumulator) in kinds {
                let value: Double
                if kind.isContent {
                    let cap = self.weights.contentSaturation
                    value = cap * Math.tanh(accumulator.raw / cap)
                } else {
                    value = accumulator.raw
                }
                total += value
                signals.append(
                    AttributionSignal(
                        kind: kind, score: value, count: accumulator.count, evidence: accumulator.evidence))
            }
        }
        let style = row < self.clinicianStyle.count ? self.clinicianStyle[row] : 0
        if style != 0 {
            let value =
                self.people[person].isClinician
                ? self.weights.clinicianStyle * style : -0.5 * self.weights.clinicianStyle * max(0, style)
            if value != 0 {
                total += value
                signals.append(
                    AttributionSignal(
                        kind: .clinicianStyle, score: value, count: self.labelStyle[row].utterances,
                        evidence: Array(self.utterancesOfLabel[row].prefix(3))
                    )
                )
            }
        }
        signals.sort {
            abs($0.score) > abs($1.score) || (abs($0.score) == abs($1.score) && $0.kind.rawValue < $1.kind.rawValue)
        }
        return (total, signals)
    }

    /// The positive-score pairs: every pair with evidence, and clinician columns for clinician-like labels.
    func positiveScores(excludingLabels: Set<Int>, excludingPeople: Set<Int>) -> [Assignment.Pair: Double] {
        var pairs = Set(self.evidence.keys)
        let clinicians = self.people.indices.filter { self.people[$0].isClinician && self.canSpeak($0) }
        for row in self.labels.indices where self.clinicianStyle.indices.contains(row) && self.clinicianStyle[row] > 0 {
            for column in clinicians { pairs.insert(Assignment.Pair(row: row, column: column)) }
        }
        var scores: [Assignment.Pair: Double] = [:]
        for pair in pairs where !excludingLabels.contains(pair.row) && !excludingPeople.contains(pair.column) {
            guard self.canSpeak(pair.column) else { continue }
            // Binding must clear the unknown prior; the assignment sees only what is left above it.
            let total = self.score(row: pair.row, person: pair.column).total - self.weights.unknownPrior
            if total > 0 { scores[pair] = total }
        }
        return scores
    }

    struct Choice {
        var person: Int?
        var confidence: Double
        var bestGuess: Int?
        var viaElimination = false
    }

    func assign(excludingLabels: Set<Int>, excludingPeople: Set<Int>) -> [Choice] {
        let scores = self.positiveScores(excludingLabels: excludingLabels, excludingPeople: excludingPeople)
        let solution = Assignment.solve(rows: self.labels.count, columns: self.people.count, scores: scores)
        let components = Assignment.components(rows: self.labels.count, columns: self.people.count, scores: scores)
        var componentOfRow: [Int: Assignment.Component] = [:]
        for component in components { for row in component.rows { componentOfRow[row] = component } }
        var choices: [Choice] = []
        for row in self.labels.indices {
            guard let column = solution.columnOfRow[row], let component = componentOfRow[row] else {
                let guess = scores.filter { $0.key.row == row }.max { $0.value < $1.value }?.key.column
                choices.append(Choice(person: nil, confidence: 0, bestGuess: guess))
                continue
            }
            let margin = Assignment.margin(row: row, column: column, scores: scores, component: component)
            let confidence = Math.logistic(self.weights.confidenceSlope * margin)
            if confidence >= self.configuration.confidenceThreshold {
                choices.append(Choice(person: column, confidence: confidence, bestGuess: column))
            } else {
                choices.append(Choice(person: nil, confidence: confidence, bestGuess: column))
            }
        }
        return choices
    }

    /// Labels known to cover several people before any assignment: hinted, a family name, or a guest tag.
    func sharedLabelsBeforeAssignment() -> [Int: [Int]] {
        var shared: [Int: [Int]] = [:]
        for hint in self.hints where hint.people.count > 1 {
            guard let row = self.row(forHintLabel: hint.label) else { continue }
            let present = hint.people.compactMap { id in self.people.firstIndex { $0.id == id } }.filter {
                self.canSpeak($0)
            }
            if present.count > 1 { shared[row] = present }
        }
        // People a label names individually are not part of a family or guest label.
        var namedIndividually = Set<Int>()
        for reading in self.readings {
            for match in reading.names where match.score >= self.weights.firstNameOrAlias * 0.85 {
                namedIndividually.insert(match.person)
            }
        }
        for hint in self.hints where hint.people.count == 1 {
            if let index = self.people.firstIndex(where: { $0.id == hint.people[0] }) {
                namedIndividually.insert(index)
            }
        }
        for (row, reading) in self.readings.enumerated() where shared[row] == nil {
            let family = reading.family.filter { !namedIndividually.contains($0) && self.canSpeak($0) }
            if family.count > 1 { shared[row] = family }
            if case .guest = reading.role {
                let guests = self.guests().filter { !namedIndividually.contains($0) }
                if guests.count > 1 { shared[row] = guests }
            }
        }
        return shared
    }

    /// A second label with a decisive name or hint for someone already bound (the same person joining
    /// twice, or a diarizer splitting one voice) is bound too, with a finding.
    mutating func addSplitLabels(to choices: inout [Choice], shared: [Int: [Int]]) {
        for row in self.labels.indices where choices[row].person == nil && shared[row] == nil {
            guard let kinds = self.bestLabelEvidence(row: row), kinds.score >= self.weights.exactName * 0.99 else {
                continue
            }
            let competitors = self.people.indices.filter {
                $0 != kinds.person && self.canSpeak($0)
                    && (self.evidence[Assignment.Pair(row: row, column: $0)]?[.exactName] != nil
                        || self.evidence[Assignment.Pair(row: row, column: $0)]?[.speakerHint] != nil)
            }
            guard competitors.isEmpty else { continue }
            choices[row] = Choice(
                person: kinds.person, confidence: Math.logistic(self.weights.confidenceSlope * kinds.score),
                bestGuess: kinds.person)
            self.findings.append(
                Finding(
                    code: .speakerSplitAcrossLabels, severity: .info, person: self.people[kinds.person].id,
                    label: self.labels[row],
                    message:
                        "\(self.people[kinds.person].id) speaks under more than one label; both were bound to them."
                )
            )
        }
    }

    private func bestLabelEvidence(row: Int) -> (person: Int, score: Double)? {
        var best: (Int, Double)? = nil
        for person in self.people.indices where self.canSpeak(person) {
            guard let kinds = self.evidence[Assignment.Pair(row: row, column: person)] else { continue }
            let labelScore = (kinds[.exactName]?.raw ?? 0) + (kinds[.speakerHint]?.raw ?? 0)
            if labelScore > 0, best == nil || labelScore > best!.1 { best = (person, labelScore) }
        }
        return best
    }

    /// When every label but one is bound and one present person is left, the last label is that person;
    /// so are the last few labels, when they never speak at once or to each other (one voice the diarizer
    /// split), with a finding.
    mutating func addElimination(to choices: inout [Choice], shared: [Int: [Int]]) {
        let unassignedRows = self.labels.indices.filter { choices[$0].person == nil && shared[$0] == nil }
        if unassignedRows.count > 1 {
            if self.addJointElimination(unassignedRows, to: &choices, shared: shared) { return }
            let stillUnassigned = unassignedRows.filter { choices[$0].person == nil }
            if stillUnassigned.count > 1 {
                self.addSplitElimination(stillUnassigned, to: &choices, shared: shared)
                return
            }
        }
        let leftRows = self.labels.indices.filter { choices[$0].person == nil && shared[$0] == nil }
        guard leftRows.count == 1, let row = leftRows.first, self.labelStyle[row].utterances >= 2 else {
            return
        }
        let bound = Set(choices.compactMap(\.person)).union(shared.values.flatMap { $0 })
        let left = self.people.indices.filter { self.canSpeak($0) && !bound.contains($0) }
        guard left.count == 1, let person = left.first else { return }
        let assignedConfidences = choices.compactMap { $0.person == nil ? nil : $0.confidence }
        guard !assignedConfidences.isEmpty,
            assignedConfidences.allSatisfy({ $0 >= self.configuration.confidenceThreshold })
        else { return }
        guard self.score(row: row, person: person).total > -0.5 else { return }
        guard !self.speaksElsewhere(person, than: [row]) else { return }
        // A label whose own evidence clearly points to someone already bound is more likely their voice
        // split off than the last person's.
        if let own = self.bestPerson(row: row), own.person != person, own.margin >= self.weights.splitLabelMargin {
            return
        }
        choices[row] = Choice(
            person: person, confidence: self.weights.eliminationConfidence, bestGuess: person, viaElimination: true)
    }

    /// As many labels left as people, each with too little evidence to be bound alone (a group whose
    /// clinician names each member once, handing them the floor or thanking them): when the one-to-one
    /// reading of what evidence there is picks each label's person by at least `jointEliminationMargin`
    /// over every other way of pairing them, and all but one label have evidence of their own, they are
    /// bound together, as the last label is by elimination, with a `labelsBoundTogether` finding. Never
    /// when the counts differ (a split voice or a shared device leaves one side longer), nor against a
    /// person's strong evidence elsewhere; the label without evidence must also pass the single label's
    /// check before any is bound.
    mutating func addJointElimination(_ rows: [Int], to choices: inout [Choice], shared: [Int: [Int]]) -> Bool {
        let required = self.weights.jointEliminationMargin
        guard required > 0, rows.count <= 8, rows.allSatisfy({ self.labelStyle[$0].utterances >= 2 }) else {
            return false
        }
        let bound = Set(choices.compactMap(\.person)).union(shared.values.flatMap { $0 })
        let left = self.people.indices.filter { self.canSpeak($0) && !bound.contains($0) }
        guard left.count == rows.count else { return false }
        let assigned = choices.compactMap { $0.person == nil ? nil : $0.confidence }
        guard !assigned.isEmpty, assigned.allSatisfy({ $0 >= self.configuration.confidenceThreshold }) else {
            return false
        }
        // Every pairing is open, shifted so that any assignment taking every label beats any that leaves
        // one out (each pair gains more than the spread of all the others together).
        var raw: [Assignment.Pair: Double] = [:]
        for row in rows {
            for person in left {
                raw[Assignment.Pair(row: row, column: person)] = self.score(row: row, person: person).total
            }
        }
        let low = raw.values.min() ?? 0
        let shift = 1 + Double(rows.count) * ((raw.values.max() ?? 0) - low) - low
        let shifted = raw.mapValues { $0 + shift }
        let best = Assignment.solveDense(rows: rows, columns: left, scores: shifted, forbidden: nil)
        guard best.pairs.count == rows.count else { return false }
        var unsupported = 0
        for (row, person) in best.pairs {
            let own = raw[Assignment.Pair(row: row, column: person)] ?? 0
            if own <= 0 { unsupported += 1 }
            guard own > -0.5, !self.speaksElsewhere(person, than: [row]) else { return false }
            // No line of the label clearly someone else's: a label holding two voices (a split and a shared
            // device can leave the counts equal) would have some.
            let others = self.people.indices.filter { $0 != person && self.canSpeak($0) }
            guard self.secondSpeaker(row: row, holder: person, among: others, minimum: 1, throughout: false) == nil
            else { return false }
            let alternative = Assignment.solveDense(
                rows: rows, columns: left, scores: shifted, forbidden: Assignment.Pair(row: row, column: person))
            guard alternative.pairs.count == rows.count, best.total - alternative.total >= required else {
                return false
            }
        }
        // Two labels at least with evidence of their own: one cue and one leftover is no more than the
        // elimination of a single label, twice.
        guard unsupported <= 1, rows.count - unsupported >= 2 else { return false }
        // The one without must pass the single label's own check too, before anything is bound: its cues
        // must not point clearly to someone already bound (a split voice, or a voice not on the roster
        // beside a member who never speaks).
        for (row, person) in best.pairs where (raw[Assignment.Pair(row: row, column: person)] ?? 0) <= 0 {
            if let own = self.bestPerson(row: row), own.person != person, own.margin >= self.weights.splitLabelMargin {
                return false
            }
        }
        // Only labels with evidence of their own are bound here; a last one without is left to the
        // elimination of a single label, with its own checks.
        let together = best.pairs.filter { (raw[Assignment.Pair(row: $0.0, column: $0.1)] ?? 0) > 0 }
        for (row, person) in together {
            choices[row] = Choice(
                person: person, confidence: self.weights.eliminationConfidence, bestGuess: person, viaElimination: true)
        }
        let heard = together.compactMap { self.utterancesOfLabel[$0.0].first }.sorted()
        self.findings.append(
            Finding(
                code: .labelsBoundTogether, severity: .info,
                message: "\(together.count) labels (first heard at utterances "
                    + "\(heard.map(String.init).joined(separator: ", "))) had too little evidence to be bound one "
                    + "by one; as many labels as present people were left, and their evidence paired them one way "
                    + "only, so they were bound together. Check them first.",
                evidence: heard))
        return unsupported == 0
    }

    /// Whether the strong evidence for `person` (being introduced, handed the floor, thanked, named by
    /// relationship) lies on another label more than on `rows`. A relationship phrase (`my son`) fits both
    /// parents, so it can keep a quiet parent's leftover label `unknown`; that errs on the side of
    /// `unknown` and was kept (without it, 0.2 points more lines were wrong all at once).
    func speaksElsewhere(_ person: Int, than rows: [Int]) -> Bool {
        let here = rows.map { self.strongEvidence(row: $0, person: person) }.max() ?? 0
        return self.labels.indices.contains { row in
            guard !rows.contains(row) else { return false }
            let strength = self.strongEvidence(row: row, person: person)
            return strength >= self.weights.sharedDeviceEvidence && strength > here
        }
    }

    /// The evidence in a label that the person speaks there, not merely spoken of: being introduced,
    /// handed the floor, thanked, named by relationship.
    func strongEvidence(row: Int, person: Int) -> Double {
        guard let kinds = self.evidence[Assignment.Pair(row: row, column: person)] else { return 0 }
        let strong: [Kind] = [.selfIntroduction, .addressedBefore, .thankedAfter, .relationshipPhrase]
        return strong.reduce(0.0) { $0 + (kinds[$1]?.raw ?? 0) }
    }

    /// The label bound to someone else that holds `person`'s lines too, `person` being present with no
    /// label of their own: two of its lines, at least, point clearly to `person` over the one it is bound
    /// to (answering a question handed to them, speaking of the bound person, naming `person`'s
    /// relationship); the label with the most such lines.
    mutating func labelCarrying(_ person: Int, choices: [Choice], shared: [Int: [Int]]) -> Int? {
        var best: (row: Int, clear: Int, lean: Double)? = nil
        let hinted = Set(self.hints.compactMap { self.row(forHint: $0.label) })
        for row in self.labels.indices where shared[row] == nil && !hinted.contains(row) {
            guard let holder = choices[row].person, holder != person,
                let second = self.secondSpeaker(
                    row: row, holder: holder, among: [person], minimum: 2, throughout: false)
            else { continue }
            if best == nil || (second.clear, second.lean) > (best!.clear, best!.lean) {
                best = (row, second.clear, second.lean)
            }
        }
        return best?.row
    }

    /// The person among `among` with the most lines of `row` pointing clearly to them over `holder` (by
    /// 90% of `answersAddressInUtterance`, weighed between the two alone), at least `minimum` of them;
    /// `throughout`, the first in the label's first third and the last in its last third. With the sum of
    /// the label's leans to them, for ties.
    mutating func secondSpeaker(
        row: Int, holder: Int, among: [Int], minimum: Int, throughout: Bool
    ) -> (person: Int, clear: Int, lean: Double)? {
        let clearLean = self.weights.answersAddressInUtterance * 0.9
        let members = self.utterancesOfLabel[row]
        // Each line's emission over everyone who can speak is read once per label; the cues that depend
        // on the pair are added for each pair, so a lean is the one `emission` gives between the two alone.
        let everyone = self.people.indices.filter { self.canSpeak($0) }
        if self.pairSlots.isEmpty {
            self.pairSlots = Dictionary(uniqueKeysWithValues: everyone.enumerated().map { ($1, $0) })
        }
        let lines: [PairLeans]
        if let known = self.pairLeans[row] {
            lines = known
        } else {
            lines = members.map { PairLeans(run: self, index: $0, everyone: everyone, position: self.pairSlots) }
            self.pairLeans[row] = lines
        }
        guard let from = self.pairSlots[holder] else { return nil }
        var best: (person: Int, clear: Int, lean: Double)? = nil
        for other in among {
            guard let to = self.pairSlots[other] else { continue }
            var clear: [Int] = []
            var lean = 0.0
            for (step, line) in lines.enumerated() {
                let toward = line.lean(to: to, from: from, weights: self.weights)
                if toward >= clearLean { clear.append(step) }
                lean += max(0, toward)
            }
            guard clear.count >= minimum, let first = clear.first, let last = clear.last else { continue }
            if throughout, !(first * 3 < members.count && (members.count - 1 - last) * 3 < members.count) { continue }
            if best == nil || (clear.count, lean) > (best!.clear, best!.lean) { best = (other, clear.count, lean) }
        }
        return best
    }

    /// Present people with no label whose name keeps being handed to one label share that label (with
    /// the person it is bound to, or with each other when it is bound to nobody).
    mutating func addContentSharedLabels(assignment choices: inout [Choice], shared: inout [Int: [Int]]) {
        let bound = Set(choices.compactMap(\.person)).union(shared.values.flatMap { $0 })
        let unbound = self.people.indices.filter { self.canSpeak($0) && !bound.contains($0) }
        let hinted = Set(self.hints.compactMap { self.row(forHint: $0.label) })
        var additions: [Int: [Int]] = [:]
        for person in unbound {
            var best: (row: Int, strength: Double)? = nil
            for row in self.labels.indices {
                let strength = self.strongEvidence(row: row, person: person)
                if strength >= self.weights.sharedDeviceEvidence, best == nil || strength > best!.strength {
                    best = (row, strength)
                }
            }
            if let best {
                additions[best.row, default: []].append(person)
            } else if let row = self.labelCarrying(person, choices: choices, shared: shared) {
                additions[row, default: []].append(person)
            }
        }
        // A label bound to one person with clear lines for another from its start to its end: two people
        // on one device throughout, where a diarizer's merge or swap holds the second for a stretch only.
        let everyone = self.people.indices.filter { self.canSpeak($0) }
        for row in self.labels.indices where shared[row] == nil && additions[row] == nil && !hinted.contains(row) {
            guard let holder = choices[row].person,
                let second = self.secondSpeaker(
                    row: row, holder: holder, among: everyone.filter { $0 != holder },
                    minimum: self.configuration.sharedLabelClearLines, throughout: true)
            else { continue }
            additions[row] = [second.person]
        }
        for (row, people) in additions {
            var members = shared[row] ?? []
            if let person = choices[row].person { members.append(person) }
            members += people
            // An unbound label is shared only when at least two people have strong evidence in it.
            guard Set(members).count >= 2 else { continue }
            shared[row] = Array(Set(members)).sorted()
            choices[row] = Choice(person: nil, confidence: 0, bestGuess: nil)
        }
    }

    // MARK: - Per-utterance resolution

    /// Resolves each utterance among `candidates` by forward–backward over who is speaking.
    func resolve(
        utterances: [Int], candidates: [Int], styleAware: Bool, continuation: Double
    ) -> [(person: Int?, confidence: Double)] {
        let k = candidates.count
        guard k > 0 else { return utterances.map { _ in (nil, 0) } }
        if k == 1 { return utterances.map { _ in (candidates[0], 1) } }
        let position = Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($1, $0) })
        var emission = [[Double]](repeating: [Double](repeating: 0, count: k), count: utterances.count)
        for (step, index) in utterances.enumerated() {
            emission[step] = self.emission(
                of: index, candidates: candidates, position: position, styleAware: styleAware)
        }
        // Forward–backward in log space; staying with the same speaker is favoured between adjacent
        // utterances (by `continuation`), and strongly when the first breaks off mid-sentence.
        let punctuated = self.isPunctuated
        func stayBonus(_ step: Int) -> Double {
            guard step > 0, utterances[step] == utterances[step - 1] + 1 else { return 0 }
            if punctuated, let last = self.segmented.texts[utterances[step - 1]].words.last, !last.after.endsSentence {
                return self.weights.brokenOffContinuation
            }
            // `And then …` carries on the same account.
            if self.lexicon.continuationOpeners.containsMatch(
                in: self.segmented.texts[utterances[step]].words, startingWithin: 1)
            {
                return self.weights.brokenOffContinuation * 0.6
            }
            return continuation
        }
        func logTransition(_ step: Int) -> [[Double]] {
            let bonus = stayBonus(step)
            var matrix = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for from in 0..<k {
                let normaliser = Math.log(Math.exp(bonus) + Double(k - 1))
                for to in 0..<k { matrix[from][to] = (from == to ? bonus : 0) - normaliser }
            }
            return matrix
        }
        let steps = utterances.count
        func posteriors(_ emission: [[Double]]) -> [[Double]] {
            var alpha = [[Double]](repeating: [Double](repeating: 0, count: k), count: steps)
            var beta = [[Double]](repeating: [Double](repeating: 0, count: k), count: steps)
            for c in 0..<k { alpha[0][c] = emission[0][c] - Math.log(Double(k)) }
            for step in 1..<max(steps, 1) {
                let transition = logTransition(step)
                for to in 0..<k {
                    alpha[step][to] =
                        emission[step][to] + logSumExp((0..<k).map { alpha[step - 1][$0] + transition[$0][to] })
                }
            }
            if steps > 1 {
                for step in stride(from: steps - 2, through: 0, by: -1) {
                    let transition = logTransition(step + 1)
                    for from in 0..<k {
                        beta[step][from] = logSumExp(
                            (0..<k).map { transition[from][$0] + emission[step + 1][$0] + beta[step + 1][$0] })
                    }
                }
            }
            return (0..<steps).map { step in
                let joint = (0..<k).map { alpha[step][$0] + beta[step][$0] }
                let normaliser = logSumExp(joint)
                return joint.map { Math.exp($0 - normaliser) }
            }
        }
        var result = posteriors(emission)
        // A shared device: a second pass lets each person's own words (`bud`), said by no one else in
        // the session, tie their unsure lines to them.
        if !styleAware, self.weights.ownWords != 0 {
            let own = self.ownWords(utterances: utterances, posteriors: result, k: k)
            var changed = false
            for step in 0..<steps where (result[step].max() ?? 0) < self.configuration.confidenceThreshold {
                let words = Set(self.segmented.texts[utterances[step]].words.map(\.folded))
                let owners = (0..<k).filter { !own[$0].isDisjoint(with: words) }
                if owners.count == 1 {
                    emission[step][owners[0]] += self.weights.ownWords
                    changed = true
                }
            }
            if changed { result = posteriors(emission) }
        }
        return result.map { posterior in
            let best = posterior.indices.max { posterior[$0] < posterior[$1] }!
            return posterior[best] >= self.configuration.confidenceThreshold
                ? (candidates[best], posterior[best]) : (nil, posterior[best])
        }
    }

    /// Log-score of each candidate having said utterance `index`, from that utterance and its neighbours.
    /// `pairTerms` false leaves out the cues that depend on who else is a candidate (the pronoun cue
    /// between two people, a line answering or echoing one spoken of): `PairLeans` adds them per pair.
    func emission(
        of index: Int, candidates: [Int], position: [Int: Int], styleAware: Bool, pairTerms: Bool = true
    ) -> [Double] {
        var scores = [Double](repeating: 0, count: candidates.count)
        func bump(_ person: Int, _ value: Double) { if let slot = position[person] { scores[slot] += value } }
        for event in self.events[index] {
            switch event {
            case .selfIntroduction(let person): bump(person, self.weights.selfIntroduction)
            case .relationshipTo(_, let relationship):
                for person in candidates where self.relationship(of: person) == relationship {
                    bump(person, self.weights.relationshipPhrase * 2)
                }
            case .relationshipPhrase(let phraseIndex):
                let phrase = self.lexicon.relationshipPhraseList[phraseIndex]
                let factor = (phrase.isStatement ? 2.0 : 1.0) * phrase.weight
                for person in candidates {
                    guard let fits = self.fits(person, phrase: phrase) else { continue }
                    bump(
                        person,
                        (fits ? self.weights.relationshipPhrase : self.weights.relationshipContradiction) * factor)
                }
            case .addresses(let people, _):
                for person in people { bump(person, self.weights.addressesOtherInUtterance / Double(people.count)) }
            case .addressesRelationship(let relationship, _):
                for person in candidates where self.relationship(of: person) == relationship {
                    bump(person, self.weights.addressesOtherInUtterance)
                }
            case .mentions(let people):
                for person in people { bump(person, self.weights.mentionsOtherInUtterance / Double(people.count)) }
            case .mentionsRelationship(let relationship):
                for person in candidates where self.relationship(of: person) == relationship {
                    bump(person, self.weights.mentionsOtherInUtterance)
                }
            case .ageTopic(let child):
                for person in candidates {
                    if let age = self.age(of: person), (age < 18) == child { bump(person, self.weights.ageTopic) }
                }
            }
        }
        // Between two people on one device, speaking of one of them as `she` or `he` points to the other.
        if pairTerms, candidates.count == 2, let referent = self.pronounReferent[index], candidates.contains(referent) {
            bump(referent, self.weights.pronounReferent)
        }
        // The previous speech utterance handing the floor to someone, and the next one thanking someone.
        if let previous = self.nearestSpeech(from: index, step: -1) {
            let handsOff = Self.handsOff(self.events[previous])
            for event in self.events[previous] {
                switch event {
                case .addresses(_, .generic) where handsOff, .addressesRelationship(_, .generic) where handsOff:
                    break
                case .addresses(let people, let direction) where direction != .thanks:
                    for person in people {
                        bump(
                            person,
                            (direction == .handOff
                                ? self.weights.answersAddressInUtterance : self.weights.addressedBefore * 0.6)
                                / Double(people.count))
                    }
                case .addressesRelationship(let relationship, let direction) where direction != .thanks:
                    for person in candidates where self.relationship(of: person) == relationship {
                        bump(person, self.weights.addressedBefore * (direction == .handOff ? 0.8 : 0.5))
                    }
                default: break
                }
            }
        }
        if pairTerms, let previous = self.nearestSpeech(from: index, step: -1),
            let spokenOf = self.spokenOf(in: previous, candidates: candidates), self.answers(index, previous)
        {
            bump(spokenOf, self.weights.answersMention)
        }
        // The line after speaking of one candidate as doing what this line says `I` did (`I only knock`
        // → `if Mom knocks`).
        if pairTerms, let next = self.nearestSpeech(from: index, step: 1), self.labelOf[next] != self.labelOf[index],
            let spokenOf = self.spokenOf(in: next, candidates: candidates), self.echoes(index, next)
        {
            bump(spokenOf, self.weights.answersMention)
        }
        if let next = self.nearestSpeech(from: index, step: 1) {
            for case .addresses(let people, .thanks) in self.events[next] {
                for person in people { bump(person, self.weights.thankedAfter / Double(people.count)) }
            }
        }
        if styleAware {
            let figures = self.style[index]
            let value =
                0.8 * Double(figures.questions) + 0.5 * min(figures.clinicianPhraseWeight, 2) + 0.5
                * figures.pronounBalance
            for person in candidates {
                bump(person, self.people[person].isClinician ? value : -0.5 * value)
            }
        }
        return scores
    }

    func nearestSpeech(from index: Int, step: Int) -> Int? {
        var cursor = index + step
        while cursor >= 0, cursor < self.segmented.isSpeech.count {
            if self.segmented.isSpeech[cursor] { return cursor }
            cursor += step
        }
        return nil
    }

    // MARK: - Output

    func output(
        assignment choices: [Choice], shared: [Int: [Int]], perUtterance: [Int: (person: Int?, confidence: Double)]
    ) -> Attribution {
        var findings = self.findings
        var speakers: [SpeakerAssignment] = []
        for (row, label) in self.labels.enumerated() {
            // A label bound in spans: its first entry counts the lines before the later span.
            let count =
                self.changes[row].map { change in self.utterancesOfLabel[row].count { $0 < change.cut } }
                ?? self.utterancesOfLabel[row].count
            if let members = shared[row] {
                let indexes = self.utterancesOfLabel[row]
                let resolved = indexes.filter { perUtterance[$0]?.person != nil }
                let confidence =
                    indexes.isEmpty
                    ? 0 : indexes.reduce(0.0) { $0 + (perUtterance[$1]?.confidence ?? 0) } / Double(indexes.count)
                var signals: [AttributionSignal] = []
                for person in members {
                    signals += self.score(row: row, person: person).signals.filter { $0.score > 0 }
                }
                if self.hints.contains(where: { $0.people.count > 1 && self.row(forHintLabel: $0.label) == row }) {
                    signals.insert(
                        AttributionSignal(kind: .speakerHint, score: self.weights.speakerHint, count: 1, evidence: []),
                        at: 0)
                }
                speakers.append(
                    SpeakerAssignment(
                        label: label, person: nil, sharedBy: members.map { self.people[$0].id }, confidence: confidence,
                        signals: Array(signals.prefix(8)), utteranceCount: count
                    )
                )
                findings.append(
                    Finding(
                        code: .sharedDevice, severity: .info, label: label,
                        message:
                            "One label covers \(members.map { self.people[$0].id.rawValue }.joined(separator: ", ")); "
                            + "each of its \(indexes.count) utterances was attributed on its own and \(resolved.count) were resolved.",
                        evidence: []
                    )
                )
                let unresolved = indexes.filter { perUtterance[$0]?.person == nil }
                if !unresolved.isEmpty {
                    findings.append(
                        Finding(
                            code: .utterancesUnknown, severity: .warning, label: label,
                            message:
                                "\(unresolved.count) utterance(s) under a shared label could not be tied to one person "
                                + "with confidence ≥ \(Self.format(self.configuration.confidenceThreshold)); they are marked unknown.",
                            evidence: Array(unresolved.prefix(20))
                        )
                    )
                }
                continue
            }
            let choice = choices[row]
            if let person = choice.person {
                var signals = self.score(row: row, person: person).signals.filter { $0.score > 0 }
                if choice.viaElimination {
                    signals.insert(AttributionSignal(kind: .elimination, score: 0, count: 1, evidence: []), at: 0)
                }
                speakers.append(
                    SpeakerAssignment(
                        label: label, person: self.people[person].id, confidence: choice.confidence,
                        signals: Array(signals.prefix(8)), bestGuess: self.people[person].id, utteranceCount: count
                    )
                )
            } else {
                let guess = choice.bestGuess.map { self.people[$0].id }
                speakers.append(
                    SpeakerAssignment(
                        label: label, person: nil, confidence: choice.confidence,
                        signals: choice.bestGuess.map {
                            self.score(row: row, person: $0).signals.filter { $0.score > 0 }
                        } ?? [],
                        bestGuess: guess, utteranceCount: count
                    )
                )
                let indexes = self.utterancesOfLabel[row]
                let detail =
                    guess.map { "the best candidate, \($0), reached \(Self.format(choice.confidence))" }
                    ?? "no roster person had supporting evidence"
                findings.append(
                    Finding(
                        code: .speakerUnknown, severity: .warning, label: label,
                        message: "A speaker label could not be bound to one roster person: \(detail), below "
                            + "\(Self.format(self.configuration.confidenceThreshold)). Its \(count) utterance(s) are marked "
                            + "unknown; relabel them in review.",
                        evidence: Array(indexes.prefix(20))
                    )
                )
            }
            if let change = self.changes[row] {
                // The label's later span, bound on its own.
                let span = self.utterancesOfLabel[row].filter { $0 >= change.cut }
                var resolved = span.first.flatMap { perUtterance[$0] }
                if let confidence = change.confidence {
                    resolved = (confidence >= self.configuration.confidenceThreshold ? change.person : nil, confidence)
                }
                // A span read line by line lists who its lines went to, as a shared label does, with their
                // mean confidence.
                var sharedBy: [PersonID] = []
                if change.departs {
                    resolved = nil
                    let people = Set(span.compactMap { perUtterance[$0]?.person })
                    sharedBy = people.sorted().map { self.people[$0].id }
                    let mean =
                        span.reduce(0.0) { $0 + (perUtterance[$1]?.confidence ?? 0) } / Double(max(span.count, 1))
                    resolved = (nil, mean)
                }
                speakers.append(
                    SpeakerAssignment(
                        label: label, person: resolved?.person.map { self.people[$0].id }, sharedBy: sharedBy,
                        confidence: resolved?.confidence ?? 0,
                        bestGuess: change.departs ? nil : self.people[change.person].id,
                        utteranceCount: span.count, fromUtterance: change.cut))
            }
        }

        var utterances: [UtteranceAttribution] = []
        utterances.reserveCapacity(self.segmented.utterances.count)
        for index in self.segmented.utterances.indices {
            guard self.segmented.isSpeech[index] else {
                utterances.append(UtteranceAttribution(index: index, person: nil, confidence: 0, method: .nonSpeech))
                continue
            }
            if let resolved = perUtterance[index] {
                utterances.append(
                    UtteranceAttribution(
                        index: index, person: resolved.person.map { self.people[$0].id },
                        confidence: resolved.confidence,
                        method: .perUtterance
                    )
                )
            } else if let row = self.labelOf[index] {
                let choice = choices[row]
                utterances.append(
                    UtteranceAttribution(
                        index: index, person: choice.person.map { self.people[$0].id }, confidence: choice.confidence,
                        method: .label
                    )
                )
            } else {
                utterances.append(UtteranceAttribution(index: index, person: nil, confidence: 0, method: .perUtterance))
            }
        }

        let talk = self.talk(utterances: utterances)
        let isSummary = self.segmented.transcript.origin == .clinicianSummary
        for entry in talk where entry.utterances == 0 {
            guard let index = self.people.firstIndex(where: { $0.id == entry.person }), self.canSpeak(index),
                !self.people[index].isClinician
            else { continue }
            findings.append(
                Finding(
                    code: .presentAttendeeSilent, severity: .info, person: entry.person,
                    message: isSummary
                        ? "\(entry.person) is marked present but no bullet of the summary is about them."
                        : "\(entry.person) is marked present but no utterance was attributed to them; "
                            + "check attendance or look for them among the unknown utterances."
                )
            )
        }
        var attribution = Attribution(
            speakers: speakers, utterances: utterances, talk: talk, findings: findings,
            configurationVersion: self.configuration.version
        )
        attribution.contentEvents = self.events
        attribution.directory = Derived(self.directory)
        return attribution
    }

    private func talk(utterances: [UtteranceAttribution]) -> [PersonTalk] {
        Self.talk(utterances: utterances, segmented: self.segmented, people: self.people)
    }

    /// Utterances, words, seconds and labels per present person, in roster order.
    static func talk(utterances: [UtteranceAttribution], segmented: SegmentedTranscript, people: [Roster.Person])
        -> [PersonTalk]
    {
        let timed = segmented.transcript.hasTimes
        var byPerson: [PersonID: PersonTalk] = [:]
        for person in people where person.present {
            byPerson[person.id] = PersonTalk(
                person: person.id, utterances: 0, words: 0, seconds: 0, secondsAreEstimated: !timed, labels: [])
        }
        for attribution in utterances {
            guard let person = attribution.person, var entry = byPerson[person] else { continue }
            let utterance = segmented.utterances[attribution.index]
            let words = segmented.texts[attribution.index].words.count
            entry.utterances += 1
            entry.words += words
            entry.seconds += timed ? (utterance.duration ?? 0) : Double(words) / 150 * 60
            if let label = utterance.label, !entry.labels.contains(label) { entry.labels.append(label) }
            byPerson[person] = entry
        }
        return people.filter(\.present).compactMap { byPerson[$0.id] }
    }

    static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(Digits.padded(hundredths % 100, 2))"
    }
}

/// log(Σ exp(values)) without overflow.
func logSumExp(_ values: [Double]) -> Double {
    guard let maximum = values.max(), maximum > -.infinity else { return -.infinity }
    return maximum + Math.log(values.reduce(0) { $0 + Math.exp($1 - maximum) })
}

/// One line's emission between any two people, from one reading over everyone: the cues that depend on
/// who else is a candidate (the pronoun cue, a line answering or echoing the one person spoken of) are
/// kept apart and added for the pair, as `emission` would with the two alone as candidates. People are
/// slots of the `everyone` the line was read over.
struct PairLeans {
    var base: [Double]
    /// The slot of the person a `she` or `he` in the line stands for.
    var pronoun: Int?
    /// The slots of those spoken of in the line before, when this line answers it, and in the line after,
    /// when this line says in the first person what it says of them.
    var answered: [Int] = []
    var echoed: [Int] = []

    init(run: AttributionRun, index: Int, everyone: [Int], position: [Int: Int]) {
        self.base = run.emission(
            of: index, candidates: everyone, position: position, styleAware: false, pairTerms: false)
        self.pronoun = run.pronounReferent[index].flatMap { position[$0] }
        if let previous = run.nearestSpeech(from: index, step: -1) {
            let spoken = run.spokenOf(in: previous, among: everyone)
            if !spoken.isEmpty, run.answers(index, previous) { self.answered = spoken.compactMap { position[$0] } }
        }
        if let next = run.nearestSpeech(from: index, step: 1), run.labelOf[next] != run.labelOf[index] {
            let spoken = run.spokenOf(in: next, among: everyone)
            if !spoken.isEmpty, run.echoes(index, next) { self.echoed = spoken.compactMap { position[$0] } }
        }
    }

    /// `emission`'s score for slot `to` minus its score for slot `from`, with the two alone as candidates.
    func lean(to: Int, from: Int, weights: AttributorConfiguration.Weights) -> Double {
        var lean = self.base[to] - self.base[from]
        if let pronoun = self.pronoun {
            if pronoun == to { lean += weights.pronounReferent }
            if pronoun == from { lean -= weights.pronounReferent }
        }
        if !self.answered.isEmpty { lean += Self.oneOf(self.answered, to, from) * weights.answersMention }
        if !self.echoed.isEmpty { lean += Self.oneOf(self.echoed, to, from) * weights.answersMention }
        return lean
    }

    /// 1 when `spoken` holds `to` and not `from`, -1 the other way round, else 0.
    static func oneOf(_ spoken: [Int], _ to: Int, _ from: Int) -> Double {
        let hasTo = spoken.contains(to)
        let hasFrom = spoken.contains(from)
        return hasTo == hasFrom ? 0 : hasTo ? 1 : -1
    }
}
