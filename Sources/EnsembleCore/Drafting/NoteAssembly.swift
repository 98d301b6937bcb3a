/// Joins the agents' outputs into the notes the clinician reviews, and enforces the rules every note
/// must keep whatever the templates produced:
///
/// - a note names no other attendee, present or absent (a filter over every sentence, quotes included);
///   the group note names none;
/// - a risk disclosure about one attendee (violence by a partner, self-harm, suicidal thoughts) never
///   reaches another attendee's note or the shared note (couples and family sessions);
/// - an attendee without AI consent gets a blank manual template, never drafted text;
/// - notes that are near-copies of each other are reported (payers deny cloned group notes).
public struct NoteAssembly: Sendable {
    public let configuration: NoteDrafterConfiguration
    let lexicon: CompiledLexicon
    private let protected: PhraseIndex<Bool>
    private let fillers: Set<String>

    public init(drafter: NoteDrafterConfiguration, attributor: AttributorConfiguration) {
        self.init(drafter: drafter, lexicon: CompiledLexicon(attributor.lexicon))
    }

    init(drafter: NoteDrafterConfiguration, lexicon: CompiledLexicon) {
        self.configuration = drafter
        self.lexicon = lexicon
        self.protected = PhraseIndex(drafter.protectedTerms.map { ($0, true) })
        self.fillers = Set(drafter.fillers.map { TextFolding.fold($0) })
    }

    public struct Output: Sendable {
        public var notes: [ClientNote]
        public var groupNote: GroupNote
        public var skipped: [SkippedAttendee]
        public var findings: [Finding]
    }

    /// - Parameters:
    ///   - drafts: structured notes by attendee; missing for those whose drafting failed (the supervisor
    ///     reports the failure; here they get a manual template and are listed as skipped).
    ///   - progress: plan progress by attendee; missing for those whose alignment failed (their notes
    ///     then say so).
    ///   - risk: the risk screen; nil when screening failed (each note then says so).
    public func assemble(
        facts: SessionFacts, drafts: [PersonID: StructuredNote], progress: [PersonID: [GoalProgress]],
        risk screen: RiskScreen?, groupNote: GroupNote
    ) -> Output {
        let risk = screen ?? RiskScreen()
        let session = facts.session
        var notes: [ClientNote] = []
        var skipped: [SkippedAttendee] = []
        var findings: [Finding] = []
        let windows = self.protectedWindows(risk: risk, facts: facts)
        let names = NameTable(roster: facts.roster, lexicon: self.lexicon)
        // A risk statement is written in the member's exact words, not reported in other words.
        let riskEvidence = Set(risk.flags.flatMap(\.evidence))

        for attendee in session.attendees {
            guard attendee.present else {
                skipped.append(SkippedAttendee(attendee: attendee.id, reason: .absent))
                continue
            }
            if !self.configuration.collateralNotes, attendee.role == .familyMember, session.kind == .individual {
                skipped.append(SkippedAttendee(attendee: attendee.id, reason: .collateral))
                continue
            }
            let format = attendee.noteFormat ?? session.noteFormat
            guard let consent = attendee.consent else {
                skipped.append(SkippedAttendee(attendee: attendee.id, reason: .consentMissing))
                notes.append(self.manualNote(for: attendee.id, format: format))
                findings.append(
                    Finding(
                        code: .consentMissing, severity: .warning, person: attendee.id,
                        message:
                            "\(attendee.id) has no consent record; a manual note is required and nothing was drafted.")
                )
                continue
            }
            guard consent.aiDrafting else {
                skipped.append(SkippedAttendee(attendee: attendee.id, reason: .noAIConsent))
                notes.append(self.manualNote(for: attendee.id, format: format))
                continue
            }
            guard var structured = drafts[attendee.id] else {
                skipped.append(SkippedAttendee(attendee: attendee.id, reason: .draftFailed))
                notes.append(self.manualNote(for: attendee.id, format: format))
                continue
            }
            if let items = progress[attendee.id] {
                structured[.progress] = self.progressSentences(items, attendee: attendee)
                structured[.goals] = self.goalSentences(items, attendee: attendee)
            } else {
                // The PlanAligner failed for them: the note says so rather than "not addressed".
                let failed = [NoteSentence(self.configuration.phrase("progress.alignFailed"), basis: .manual)]
                structured[.progress] = failed
                structured[.goals] = failed
            }
            structured[.risk] =
                screen == nil
                ? [NoteSentence(self.configuration.phrase("risk.screenFailed"), basis: .manual)]
                : self.riskSentences(risk, attendee: attendee.id, facts: facts)
            structured[.plan] = self.withFollowUps(structured[.plan], risk: risk, attendee: attendee.id, facts: facts)
            for field in NoteField.allCases {
                for (offset, sentence) in structured[field].enumerated() {
                    guard let verbatim = sentence.verbatim, let u = sentence.quote, riskEvidence.contains(u) else {
                        continue
                    }
                    structured[field][offset].text = verbatim
                }
            }
            structured = self.keepingConfidences(
                structured, for: attendee.id, names: names, facts: facts, windows: windows)
            notes.append(
                ClientNote(
                    attendee: attendee.id, format: format, aiGenerated: true, manualNoteRequired: false,
                    structured: structured, sections: self.render(structured, format: format))
            )
        }
        findings += self.cloneCheck(notes.filter(\.aiGenerated))
        if !windows.isEmpty {
            findings.append(
                Finding(
                    code: .protectedDisclosure, severity: .info, person: nil,
                    message:
                        "A risk disclosure about one attendee, or what the clinician said would be done about it, was kept out of the other attendees' notes and the shared note.",
                    evidence: Array(windows.flatMap { $0.range }.prefix(3)))
            )
        }
        let filteredGroup = self.keepingConfidences(groupNote, names: names, facts: facts, windows: windows)
        return Output(notes: notes, groupNote: filteredGroup, skipped: skipped, findings: findings)
    }

    // MARK: - Rendering

    /// Renders the structured note in a format's sections; an empty section says it was not assessed.
    public func render(_ structured: StructuredNote, format: NoteFormat) -> [NoteSection] {
        (self.configuration.formats[format] ?? []).map { template in
            let sentences = template.fields.flatMap { structured[$0] }
            return NoteSection(
                title: template.title,
                sentences: sentences.isEmpty
                    ? [.notAssessed(self.configuration.phrase("section.notAssessed", ["title": template.title]))]
                    : sentences
            )
        }
    }

    /// The shared note's placeholder when the GroupSummarizer did not finish.
    public func manualGroupNote(attendees: [PersonID]) -> GroupNote {
        GroupNote(
            attendees: attendees,
            sections: [
                NoteSection(
                    title: self.configuration.phrase("groupNote.title"),
                    sentences: [NoteSentence(self.configuration.manualNote, basis: .manual)])
            ]
        )
    }

    public func manualNote(for attendee: PersonID, format: NoteFormat) -> ClientNote {
        let sections = (self.configuration.formats[format] ?? []).map { template in
            NoteSection(title: template.title, sentences: [NoteSentence(self.configuration.manualNote, basis: .manual)])
        }
        return ClientNote(
            attendee: attendee, format: format, aiGenerated: false, manualNoteRequired: true,
            structured: StructuredNote(), sections: sections)
    }

    // MARK: - Fields from other agents

    private func progressSentences(_ progress: [GoalProgress], attendee: Attendee) -> [NoteSentence] {
        guard attendee.treatmentPlan != nil else { return [.notAssessed(self.configuration.phrase("progress.noPlan"))] }
        return progress.map { item in
            let id = item.objectiveID ?? item.goalID
            let values = [
                "id": id, "text": item.text, "status": self.configuration.phrase("status.\(item.status.rawValue)"),
            ]
            if item.status == .notAddressed {
                return .notAssessed(self.configuration.phrase("progress.notAddressed", values))
            }
            return NoteSentence(self.configuration.phrase("progress", values), evidence: item.evidence)
        }
    }

    private func goalSentences(_ progress: [GoalProgress], attendee: Attendee) -> [NoteSentence] {
        guard attendee.treatmentPlan != nil else { return [.notAssessed(self.configuration.phrase("progress.noPlan"))] }
        let addressed = progress.filter { $0.objectiveID == nil && $0.status != .notAddressed }
        guard !addressed.isEmpty else { return [.notAssessed(self.configuration.phrase("goals.none"))] }
        return addressed.map {
            NoteSentence(self.configuration.phrase("goal", ["id": $0.goalID, "text": $0.text]), evidence: $0.evidence)
        }
    }

    private func riskSentences(_ risk: RiskScreen, attendee: PersonID, facts: SessionFacts) -> [NoteSentence] {
        var sentences: [NoteSentence] = []
        let own = Set(facts.utterancesOf[attendee] ?? [])
        for flag in risk.flags(for: attendee) {
            let values = [
                "category": self.configuration.phrase("risk.category.\(flag.category.rawValue)"),
                "level": self.configuration.phrase("risk.level.\(flag.level.rawValue)"),
                "indicators": NoteDrafting.list(flag.indicators),
                "route": self.configuration.phrase("risk.route.\(flag.route.rawValue)"),
            ]
            // A note cites only its attendee's own words and clinicians'; a relative's disclosure is
            // named as such and its utterances stay in the risk list.
            let cited = flag.evidence.filter { own.contains($0) || facts.isClinician[$0] }
            if !cited.isEmpty {
                sentences.append(NoteSentence(self.configuration.phrase("risk.flag", values), evidence: cited))
            } else if flag.sources.contains(.measure) && flag.sources.count == 1 {
                sentences.append(.metadata(self.configuration.phrase("risk.flag", values), source: "measures"))
            } else {
                sentences.append(.metadata(self.configuration.phrase("risk.thirdParty", values), source: "risk"))
            }
        }
        sentences += self.askedSentences(
            risk.assessments, attendee: attendee, facts: facts, flags: risk.flags(for: attendee))
        return sentences.isEmpty
            ? [.notAssessed(self.configuration.notAssessed[.risk] ?? "Risk: not assessed in this session.")] : sentences
    }

    /// What the clinician asked the attendee about risk and how they answered, a sentence per topic
    /// and answer (`Asked directly about thoughts of suicide (C-SSRS 2) and thoughts of a method (C-SSRS
    /// 3); denied.`), citing each question and its answer. A question the screener reads under two
    /// names (its concept's and the question's) is named once, by the first.
    private func askedSentences(
        _ assessments: [RiskAssessment], attendee: PersonID, facts: SessionFacts, flags: [RiskFlag] = []
    ) -> [NoteSentence] {
        let own = Set(facts.utterancesOf[attendee] ?? [])
        var groups: [(category: RiskCategory, response: RiskAnswer, topics: [String], evidence: [Int])] = []
        struct Pair: Hashable {
            var question: Int
            var answer: Int
            var category: RiskCategory
        }
        var named: Set<Pair> = []
        for assessment in assessments
        where assessment.attendee == attendee && own.contains(assessment.answer)
            && facts.isClinician[assessment.question]
        {
            guard
                named.insert(
                    Pair(question: assessment.question, answer: assessment.answer, category: assessment.category)
                )
                .inserted
            else { continue }
            let topic =
                assessment.topic.isEmpty
                ? self.configuration.phrase("risk.topic.\(assessment.category.rawValue)") : assessment.topic
            if let index = groups.firstIndex(where: {
                $0.category == assessment.category && $0.response == assessment.response
            }) {
                if !groups[index].topics.contains(topic) { groups[index].topics.append(topic) }
                groups[index].evidence += [assessment.question, assessment.answer]
            } else {
                groups.append(
                    (assessment.category, assessment.response, [topic], [assessment.question, assessment.answer]))
            }
        }
        return groups.map { group in
            // Each question and its answer, in the order asked.
            var pairs: [(Int, Int)] = []
            for index in stride(from: 0, to: group.evidence.count, by: 2)
            where !pairs.contains(where: { $0 == (group.evidence[index], group.evidence[index + 1]) }) {
                pairs.append((group.evidence[index], group.evidence[index + 1]))
            }
            // A denial after the member disclosed it (`Have you used anything since Sunday?` after a
            // relapse on Saturday) denies anything further, not the disclosure.
            let firstQuestion = pairs.map(\.0).min() ?? 0
            let disclosedBefore =
                group.response == .denied
                && flags.contains {
                    // Not a C-SSRS sequence: there a denial is of the next item, not of what was disclosed.
                    $0.category == group.category && $0.cssrsItem == nil && $0.evidence.contains { $0 < firstQuestion }
                }
            let key = "risk.asked.\(group.response.rawValue)" + (disclosedBefore ? ".afterDisclosure" : "")
            return NoteSentence(
                self.configuration.phrase(key, ["topics": NoteDrafting.list(group.topics)]),
                evidence: pairs.sorted { $0.0 < $1.0 }.flatMap { [$0.0, $0.1] })
        }
    }

    /// The attendee's plan with what the clinician said would be done about their own risk disclosure
    /// (a report, a safety plan, a medical check), each sentence quoted once.
    private func withFollowUps(
        _ plan: [NoteSentence], risk: RiskScreen, attendee: PersonID, facts: SessionFacts
    ) -> [NoteSentence] {
        var result = plan.filter { $0.basis != .notAssessed }
        // One sentence per utterance: what kinds of follow-up it holds, and its follow-up sentences.
        var utterances: [(utterance: Int, indicators: [String], quotes: [String])] = []
        for followUp in risk.followUps where followUp.attendee == attendee {
            guard
                let quote = NoteDrafting.clean(
                    facts.sentence(followUp.utterance, followUp.sentence), fillers: self.fillers,
                    maximumWords: self.configuration.maximumQuoteWords),
                !result.contains(where: { $0.quote == followUp.utterance && $0.text.contains(quote) })
            else { continue }
            if utterances.last?.utterance != followUp.utterance {
                utterances.append((followUp.utterance, [], []))
            }
            if !utterances[utterances.count - 1].indicators.contains(followUp.indicator) {
                utterances[utterances.count - 1].indicators.append(followUp.indicator)
            }
            if !utterances[utterances.count - 1].quotes.contains(quote) {
                utterances[utterances.count - 1].quotes.append(quote)
            }
        }
        for item in utterances {
            let text = self.configuration.phrase(
                "risk.followUp",
                ["indicator": item.indicators.joined(separator: "; "), "quote": item.quotes.joined(separator: " ")])
            result.append(.quoting(item.utterance, text))
        }
        return result.isEmpty ? plan : result
    }

    // MARK: - Confidentiality

    /// A stretch of the session around a risk disclosure, or one follow-up to it, and whose it is. A
    /// disclosure's stretch also withholds sentences that speak of violence or self-harm at all
    /// (`terms`); a follow-up's only what cites it.
    struct Window {
        var owner: PersonID
        var range: ClosedRange<Int>
        var terms = true
        /// The utterances of the disclosure itself (a flag's evidence), which no one else's stretch
        /// takes from its owner.
        var disclosure: Set<Int> = []
    }

    /// In family, couples, multiple-family and collateral sessions, the stretch around each risk disclosure
    /// (violence or abuse against someone, self-harm, suicidal thoughts, relapse): it belongs to the
    /// person the flag is about, and reaches no one else's note nor the shared note. In a group, other
    /// members' notes never cite a member's words in the first place.
    func protectedWindows(risk: RiskScreen, facts: SessionFacts) -> [Window] {
        let followUps = risk.followUps.map {
            Window(owner: $0.attendee, range: $0.utterance...$0.utterance, terms: false)
        }
        guard facts.session.kind != .group else { return followUps }
        return followUps
            + risk.flags.compactMap { flag in
                guard let owner = flag.attendee, let first = flag.evidence.first, let last = flag.evidence.last else {
                    return nil
                }
                // A fixed span, not the topical segment: the other partner's reply to a disclosure can come
                // after the clinician has moved on, and it must stay out too. Privacy wins over completeness;
                // the clinician can add what was withheld.
                let end = min(last + self.configuration.protectedSpan, facts.utteranceCount - 1)
                return Window(owner: owner, range: first...max(end, first), disclosure: Set(flag.evidence))
            }
    }

    private func keepingConfidences(
        _ note: StructuredNote, for attendee: PersonID, names: NameTable, facts: SessionFacts, windows: [Window]
    ) -> StructuredNote {
        let filter = self.nameFilter(owner: attendee, table: names, facts: facts)
        let guarded = windows.filter { $0.owner != attendee }
        let own = windows.filter { $0.owner == attendee }
        return StructuredNote(
            fields: note.fields.mapValues { self.keeping($0, filter: filter, windows: guarded, own: own) })
    }

    private func keepingConfidences(_ note: GroupNote, names: NameTable, facts: SessionFacts, windows: [Window])
        -> GroupNote
    {
        let filter = self.nameFilter(owner: nil, table: names, facts: facts)
        var result = note
        result.sections = note.sections.map { section in
            let kept = self.keeping(section.sentences, filter: filter, windows: windows)
            return NoteSection(
                title: section.title,
                sentences: kept.isEmpty
                    ? [.notAssessed(self.configuration.phrase("section.notAssessed", ["title": section.title]))] : kept
            )
        }
        return result
    }

    private func nameFilter(owner: PersonID?, table: NameTable, facts: SessionFacts) -> NameFilter {
        NameFilter(table: table, owner: owner, kind: facts.session.kind, wording: self.configuration)
    }

    /// The sentences others may see, with other people's names replaced.
    private func keeping(_ sentences: [NoteSentence], filter: NameFilter, windows: [Window], own: [Window] = [])
        -> [NoteSentence]
    {
        sentences.compactMap { sentence in
            guard var kept = self.withholding(sentence, windows: windows, own: own) else { return nil }
            kept.text = filter.apply(kept.text)
            kept.verbatim = kept.verbatim.map(filter.apply)
            return kept
        }
    }

    /// The sentence without what others may not see: nil when it speaks of violence or quotes an
    /// utterance near a protected disclosure; otherwise its evidence from there is dropped, and a
    /// sentence left resting on nothing is dropped too. A sentence resting only on the attendee's own
    /// disclosures (`own`) may speak of violence or self-harm: it is theirs.
    private func withholding(_ sentence: NoteSentence, windows: [Window], own: [Window]) -> NoteSentence? {
        guard !windows.isEmpty else { return sentence }
        let disclosed = own.reduce(into: Set<Int>()) { $0.formUnion($1.disclosure) }
        func guarded(_ u: Int) -> Bool { !disclosed.contains(u) && windows.contains { $0.range.contains(u) } }
        if let quote = sentence.quote, guarded(quote) { return nil }
        let theirs =
            !sentence.evidence.isEmpty && sentence.evidence.allSatisfy { u in own.contains { $0.range.contains(u) } }
        if !theirs, windows.contains(where: \.terms),
            self.protected.containsMatch(in: Tokenizer().tokenize(sentence.text).words)
        {
            return nil
        }
        var copy = sentence
        copy.evidence.removeAll(where: guarded)
        if copy.basis == .transcript && copy.evidence.isEmpty { return nil }
        return copy
    }

    // MARK: - Clone check

    /// Pairs of notes whose drafted sentences are near-copies (word-trigram Jaccard similarity). The
    /// one step that compares every pair of attendees: each note's trigrams are hashed once into a
    /// sorted list without repeats, so a pair costs one merge of two lists.
    public func cloneCheck(_ notes: [ClientNote]) -> [Finding] {
        let tokenizer = Tokenizer()
        let shingles = notes.map { note -> [Int] in
            let words = note.sentences.filter { $0.basis == .transcript }.flatMap { tokenizer.wordHashes($0.text) }
            guard words.count >= 3 else { return Self.sortedUnique(words.map { Int(truncatingIfNeeded: $0) }) }
            var trigrams: [Int] = []
            trigrams.reserveCapacity(words.count - 2)
            for index in 0..<(words.count - 2) {
                let trigram: UInt64 = words[index] &* 31 &+ words[index + 1] &* 17 &+ words[index + 2]
                trigrams.append(Int(truncatingIfNeeded: trigram))
            }
            return Self.sortedUnique(trigrams)
        }
        // And whole lines, beyond attendance and what the session did with everyone: each note's
        // lines hashed once, each pair one merge.
        let lines = notes.map(Self.memberLines)
        var findings: [Finding] = []
        for i in notes.indices {
            for j in notes.indices where j > i {
                let pair = "The drafts for \(notes[i].attendee) and \(notes[j].attendee)"
                let shared = Self.sharedCount(shingles[i], shingles[j])
                let union = shingles[i].count + shingles[j].count - shared
                let similarity = union > 0 ? Double(shared) / Double(union) : 0
                let sharedLines = Self.sharedCount(lines[i], lines[j])
                let allLines = lines[i].count + lines[j].count - sharedLines
                let message: String
                if similarity >= self.configuration.cloneSimilarity {
                    message = "\(pair) are \(Int((similarity * 100).rounded()))% alike"
                } else if allLines > 0, Double(sharedLines) / Double(allLines) > self.configuration.sharedLineLimit {
                    message = "\(pair) share \(sharedLines) of their \(allLines) member-specific lines"
                } else {
                    continue
                }
                findings.append(
                    Finding(
                        code: .notesNearlyIdentical, severity: .warning, person: notes[i].attendee,
                        message: message
                            + "; add member-specific detail before signing (payers deny cloned group notes)."
                    )
                )
            }
        }
        return findings
    }

    /// A note's member-specific lines (transcript-based, not group-level), hashed, sorted, each once.
    static func memberLines(_ note: ClientNote) -> [Int] {
        Self.sortedUnique(
            note.sentences.filter { $0.basis == .transcript && !$0.groupLevel }.map {
                Int(truncatingIfNeeded: wordHash($0.text))
            })
    }

    /// The member-specific lines two notes share, and how many distinct such lines the two hold together.
    public static func sharedLines(_ a: ClientNote, _ b: ClientNote) -> (shared: Int, union: Int) {
        let first = Self.memberLines(a)
        let second = Self.memberLines(b)
        let shared = Self.sharedCount(first, second)
        return (shared, first.count + second.count - shared)
    }

    /// The values sorted, each once (a sort and one pass, where a `Set` would hash every value).
    static func sortedUnique(_ values: [Int]) -> [Int] {
        var values = values
        values.sort()
        var kept = 0
        for value in values where kept == 0 || values[kept - 1] != value {
            values[kept] = value
            kept += 1
        }
        values.removeLast(values.count - kept)
        return values
    }

    /// How many values two sorted lists without repeats have in common.
    static func sharedCount(_ a: [Int], _ b: [Int]) -> Int {
        var i = 0
        var j = 0
        var shared = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                shared += 1
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return shared
    }
}

/// Every name word of a session's roster (names, aliases, hyphenated parts, nicknames) and whose it
/// is, read once per session and shared by every note's `NameFilter`.
struct NameTable {
    let roster: Roster
    /// Name word → the non-clinicians it names, in roster order.
    let people: [String: [Int]]
    /// The word hash of every name word, and of it with `'s`: a text none of whose words is here
    /// names no one, and is not read further.
    let hashes: Set<UInt64>
    let commonWordNames: Set<String>

    init(roster: Roster, lexicon: CompiledLexicon) {
        self.roster = roster
        self.commonWordNames = lexicon.commonWordNames
        let tokenizer = Tokenizer()
        var people: [String: [Int]] = [:]
        for (index, person) in roster.people.enumerated() where !person.isClinician {
            var words: [String] = []
            for text in [person.name] + person.aliases {
                for word in tokenizer.tokenize(text).words
                where !lexicon.titles.contains(word.folded) && !lexicon.credentials.contains(word.folded) {
                    words.append(word.folded)
                    if word.folded.contains("-") { words += word.folded.split(separator: "-").map(String.init) }
                    words += lexicon.nicknames[word.folded] ?? []
                }
            }
            for word in words where word.count > 1 && people[word]?.last != index {
                people[word, default: []].append(index)
            }
        }
        self.people = people
        self.hashes = Set(people.keys.flatMap { [wordHash($0), wordHash($0 + "'s")] })
    }
}

/// Replaces the names of roster people other than a note's owner (and clinicians) with a neutral
/// reference: `a peer` in a group, `the client's mother` in the identified patient's family note.
struct NameFilter {
    private let table: NameTable
    private let owner: PersonID?
    private let ownerIsPatient: Bool
    private let kind: SessionKind
    private let wording: NoteDrafterConfiguration
    private let tokenizer = Tokenizer()

    init(table: NameTable, owner: PersonID?, kind: SessionKind, wording: NoteDrafterConfiguration) {
        self.table = table
        self.owner = owner
        self.ownerIsPatient = owner.flatMap { table.roster.person($0)?.attendeeRole } == .identifiedPatient
        self.kind = kind
        self.wording = wording
    }

    /// What replaces a name word: the reference for the first person it names other than the owner (a
    /// family name the owner shares is still another person's name).
    private func reference(for word: some StringProtocol) -> String? {
        guard let candidates = self.table.people[String(word)],
            let index = candidates.first(where: { self.table.roster.people[$0].id != self.owner })
        else { return nil }
        let person = self.table.roster.people[index]
        switch self.kind {
        case _ where self.owner == nil: return self.wording.phrase("reference.groupNote")
        case .group: return self.wording.phrase("reference.peer")
        case .couples: return self.wording.phrase("reference.partner")
        case .family, .multiFamilyGroup, .individual:
            if self.ownerIsPatient, let relationship = person.relationship {
                return self.wording.phrase("reference.relationship", ["relationship": relationship])
            }
            return self.wording.phrase("reference.family")
        }
    }

    /// The text with other people's names replaced; runs of name words become one reference.
    func apply(_ text: String) -> String {
        guard !self.table.people.isEmpty,
            self.tokenizer.wordHashes(text).contains(where: { self.table.hashes.contains($0) })
        else { return text }
        let words = self.tokenizer.tokenize(text).words
        var replacements: [(range: Range<Int>, reference: String, possessive: Bool)] = []
        var index = 0
        let caseless = !words.contains { $0.isCapitalized }
        while index < words.count {
            var folded = words[index].folded
            var possessive = false
            if folded.hasSuffix("'s") {
                folded.removeLast(2)
                possessive = true
            }
            guard let reference = self.reference(for: folded),
                caseless || words[index].isCapitalized || !self.table.commonWordNames.contains(folded)
            else {
                index += 1
                continue
            }
            var end = index + 1
            // `Maria Lopez` is one person.
            while end < words.count, !possessive,
                let next = self.reference(for: Self.withoutPossessive(words[end].folded)),
                next == reference, words[end - 1].after == .unmarked
            {
                possessive = words[end].folded.hasSuffix("'s")
                end += 1
            }
            replacements.append((words[index].utf8Start..<words[end - 1].utf8End, reference, possessive))
            index = end
        }
        guard !replacements.isEmpty else { return text }
        var bytes = Array(text.utf8)
        // A possessive word's span includes its `'s`, so the reference takes it back on.
        for replacement in replacements.reversed() {
            var value = replacement.reference + (replacement.possessive ? "'s" : "")
            // At the start of a sentence or quote the reference is capitalised (`[The partner], tell …`).
            let before = bytes[..<replacement.range.lowerBound].last { $0 != UInt8(ascii: " ") }
            if before == nil
                || [UInt8(ascii: "\""), UInt8(ascii: "."), UInt8(ascii: "?"), UInt8(ascii: "!")].contains(before!)
            {
                value = Self.capitalized(value)
            }
            bytes.replaceSubrange(replacement.range, with: Array(value.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The word without its `'s` (`maria's` → `maria`).
    static func withoutPossessive(_ word: String) -> Substring {
        word.hasSuffix("'s") ? word.dropLast(2) : word[...]
    }

    /// `[the partner]` → `[The partner]`.
    static func capitalized(_ text: String) -> String {
        guard let index = text.firstIndex(where: \.isLetter) else { return text }
        return String(text[..<index]) + text[index].uppercased() + String(text[text.index(after: index)...])
    }
}
