import Synchronization

/// The pure procedure behind `NoteDrafter`: one attendee's structured note from the session facts.
///
/// Every sentence cites what it rests on: the attendee's own utterances, a clinician's utterance to
/// them or to the whole group, or a metadata field. Another attendee's utterances are never cited. A
/// field with nothing to cite says so ("not assessed"); nothing is filled with a default finding.
/// Risk and treatment-plan progress come from their own agents and are joined in at assembly.
public struct NoteDrafting: Sendable {
    public let configuration: NoteDrafterConfiguration
    private let salient: PhraseIndex<Bool>
    /// The one-word salient words, to read a possessive (`sister's`) as its word.
    private let salientWords: HashedWordSet
    private let fillers: Set<String>
    private let support: PhraseIndex<Bool>
    private let plan: PlanSentences
    private let commitments: PhraseIndex<Bool>
    private let notCommitments: PhraseIndex<Bool>
    /// The response kinds' patterns, valued by kind; nil when none is configured.
    private let responses: ConceptMatcher<Int>?
    private let speech: ReportedSpeech
    private let firstPerson = WordTable(["i", "i'm", "i've", "i'd", "i'll", "me", "my", "myself"].map { ($0, true) })
    private let numbers = WordTable(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "zero", "twice", "once"].map {
            ($0, true)
        })

    public init(configuration: NoteDrafterConfiguration) {
        self.configuration = configuration
        self.salient = PhraseIndex(configuration.salientWords.map { ($0, true) })
        self.salientWords = HashedWordSet(
            configuration.salientWords.filter { !$0.contains(" ") }.map { wordHash(TextFolding.fold($0)) })
        self.fillers = Set(configuration.fillers.map { TextFolding.fold($0) })
        self.support = PhraseIndex(configuration.supportPhrases.map { ($0, true) })
        self.plan = PlanSentences(configuration)
        self.commitments = PhraseIndex(configuration.commitmentPhrases.map { ($0, true) })
        self.notCommitments = PhraseIndex(configuration.commitmentExceptions.map { ($0, true) })
        self.responses = Self.responseMatcher(configuration.responseKinds, language: configuration.language)
        self.speech = ReportedSpeech(configuration.reportedSpeech)
    }

    /// The response kinds' patterns compiled once per process for each configuration (the loader
    /// compiled each kind's patterns to check them).
    private static func responseMatcher(_ kinds: [ResponseKind], language: PatternLanguage) -> ConceptMatcher<Int>? {
        guard !kinds.isEmpty else { return nil }
        if let known = Self.recent.withLock({ $0.first { $0.0 == kinds && $0.1 == language }?.2 }) { return known }
        guard
            let compiled = try? ConceptMatcher(
                kinds.enumerated().flatMap { offset, kind in kind.patterns.map { ($0, offset) } }, language: language)
        else { return nil }
        Self.recent.withLock { recent in
            recent.insert((kinds, language, compiled), at: 0)
            if recent.count > 4 { recent.removeLast() }
        }
        return compiled
    }

    private static let recent = Mutex<[([ResponseKind], PatternLanguage, ConceptMatcher<Int>)]>([])

    public func draft(for attendeeID: PersonID, facts: SessionFacts) -> StructuredNote {
        guard let attendee = facts.session.attendee(attendeeID) else { return StructuredNote() }
        let subject = self.configuration.subject(for: attendee, in: facts.session.kind)
        var note = StructuredNote()
        var quoted = Set<String>()
        note[.attendance] = self.attendance(attendee, subject: subject, facts: facts)
        note[.participation] = [self.participation(attendee, subject: subject, facts: facts)]
        // Replies to interventions are claimed as responses first, so the report quotes other things.
        let interventions = self.interventions(attendee, subject: subject, facts: facts)
        note[.interventions] = interventions
        note[.response] = self.response(
            attendee, subject: subject, facts: facts, quoted: &quoted)
        // The plan takes its commitments before the report picks what else to say.
        note[.plan] = self.plan(attendee, subject: subject, facts: facts, quoted: &quoted)
        note[.reported] = self.reported(attendee, subject: subject, facts: facts, quoted: &quoted)
        note[.observed] = self.observed(attendee, subject: subject, facts: facts, quoted: &quoted)
        note[.measures] = self.measures(attendee)
        note[.problem] = self.problem(attendee, subject: subject, reported: note[.reported])
        for field in NoteField.allCases
        where note[field].isEmpty && field != .risk && field != .progress && field != .goals {
            if let text = self.configuration.notAssessed[field] { note[field] = [.notAssessed(text)] }
        }
        return note
    }

    // MARK: - Fields

    private func attendance(_ attendee: Attendee, subject: String, facts: SessionFacts) -> [NoteSentence] {
        let session = facts.session
        let minutes = attendee.minutesAttended ?? session.durationMinutes
        let modality =
            session.modality.map { self.configuration.phrase("modality.\($0.rawValue)") }
            ?? self.configuration.phrase("modality.unknown")
        var sentences = [
            NoteSentence.metadata(
                self.configuration.phrase(
                    "attendance",
                    [
                        "Subject": subject, "minutes": String(minutes), "duration": String(session.durationMinutes),
                        "kind": self.configuration.phrase("kind.\(session.kind.rawValue)"), "modality": modality,
                    ]
                ),
                source: attendee.minutesAttended == nil ? "start,end" : "attendees.minutesAttended"
            )
        ]
        switch session.kind {
        case .group:
            let present = session.attendees.filter(\.present).count
            sentences.append(
                .metadata(
                    self.configuration.phrase(
                        "attendance.group", ["present": String(present), "total": String(session.attendees.count)]),
                    source: "attendees.present"
                )
            )
        case .family, .couples, .multiFamilyGroup, .individual:
            // Who else was there, by relationship only: a chart never names another attendee. In a
            // multiple-family group, the client's own family by relationship and the rest by count.
            let family = session.family(of: attendee)
            let present = session.attendees.filter { $0.present && $0.id != attendee.id }
            let relatives = present.filter { session.family(of: $0) == family }
            let roles = relatives.map { other -> String in
                if other.role == .identifiedPatient { return self.configuration.phrase("role.identifiedPatient") }
                guard let relationship = other.relationship else {
                    return self.configuration.phrase("role.\(other.role.rawValue)")
                }
                return self.configuration.phrase(
                    attendee.role == .identifiedPatient ? "attendance.relative" : "attendance.relativeOfPatient",
                    ["relationship": relationship]
                )
            }
            if !roles.isEmpty {
                sentences.append(
                    .metadata(
                        self.configuration.phrase("attendance.others", ["others": Self.list(roles)]),
                        source: "attendees.relationship")
                )
            }
            let otherFamilies = present.count - relatives.count
            if otherFamilies > 0 {
                sentences.append(
                    .metadata(
                        self.configuration.phrase("attendance.otherFamilies", ["count": String(otherFamilies)]),
                        source: "attendees.present")
                )
            }
        }
        return sentences
    }

    private func participation(_ attendee: Attendee, subject: String, facts: SessionFacts) -> NoteSentence {
        let own = facts.utterancesOf[attendee.id] ?? []
        guard !own.isEmpty else {
            return .metadata(
                self.configuration.phrase("participation.none", ["Subject": subject]), source: "attribution")
        }
        let words = own.reduce(0) { $0 + facts.segmented.texts[$1].words.count }
        let counts = facts.session.attendees.filter(\.present).map { facts.utterancesOf[$0.id]?.count ?? 0 }
        let mean = Double(counts.reduce(0, +)) / Double(max(counts.count, 1))
        let ratio = Double(own.count) / max(mean, 1)
        let level = facts.isSummary ? "summary" : ratio >= 1.25 ? "high" : ratio >= 0.5 ? "moderate" : "low"
        return NoteSentence(
            self.configuration.phrase(
                "participation.\(level)",
                [
                    "Subject": subject, "subject": subject.lowercased(), "count": String(own.count),
                    "words": String(words),
                ]
            ),
            evidence: Array(own.prefix(3))
        )
    }

    /// The attendee's most salient statements, as quotes, in the order they were made.
    private func reported(_ attendee: Attendee, subject: String, facts: SessionFacts, quoted: inout Set<String>)
        -> [NoteSentence]
    {
        var candidates: [(score: Double, u: Int, sentence: Int)] = []
        for u in facts.utterancesOf[attendee.id] ?? [] {
            let text = facts.segmented.texts[u]
            for (index, span) in text.sentences.enumerated() {
                let words = text.words[span.words]
                guard words.count >= self.configuration.minimumQuoteWords, words.last?.after != .question else {
                    continue
                }
                var score = 0.0
                self.salient.forEachMatch(in: text.words, range: span.words) { _, _ in score += 1 }
                // A possessive counts as its word (`my sister's birthday`).
                for word in words where word.folded.hasSuffix("'s") {
                    if self.salientWords.contains(wordHash(String(word.folded.dropLast(2)))) { score += 1 }
                }
                if words.contains(where: { self.firstPerson.contains($0) }) { score += 1 }
                // A word the tokenizer kept that starts with a digit is a number (`8`, `2nd`).
                if words.contains(where: {
                    self.numbers.contains($0) || ($0.folded.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false)
                }) {
                    score += 0.5
                }
                score += min(Double(words.count) / 10, 2) * 0.5
                // Every bullet of a clinician's summary was worth writing down.
                guard score >= 1.5 || facts.isSummary else { continue }
                candidates.append((score, u, index))
            }
        }
        // The best first, each cleaned for quoting only when it is considered.
        let limit = facts.isSummary ? Int.max : self.configuration.maximumReported
        var chosen: [(u: Int, sentence: Int, text: String)] = []
        for candidate in candidates.sorted(by: { $0.score > $1.score || ($0.score == $1.score && $0.u < $1.u) }) {
            guard chosen.count < limit else { break }
            guard let quote = self.quote(facts.sentence(candidate.u, candidate.sentence)), !quoted.contains(quote),
                facts.isSummary || !self.speech.configuration.isEnabled
                    || (!self.speech.isFragment(quote)
                        && self.speech.hasVerb(
                            facts.segmented.texts[candidate.u].words[
                                facts.segmented.texts[candidate.u].sentences[candidate.sentence].words]))
            else { continue }
            chosen.append((candidate.u, candidate.sentence, quote))
        }
        chosen.sort { ($0.u, $0.sentence) < ($1.u, $1.sentence) }
        var sentences: [NoteSentence] = []
        let speaking = self.speaking(attendee, facts: facts)
        for candidate in chosen {
            guard quoted.insert(candidate.text).inserted else { continue }
            let first = sentences.isEmpty
            let quoteKey = facts.isSummary ? "reported.summary" : first ? "reported" : "reported.next.quote"
            let verbatim = self.configuration.phrase(
                quoteKey, ["Subject": subject, "Pronoun": speaking?.pronoun ?? subject, "quote": candidate.text])
            var sentence = NoteSentence.quoting(candidate.u, verbatim)
            // The member's words in the third person, the exact quote kept for where it matters.
            if !facts.isSummary, let speaking, let clause = speaking.clause(candidate.text) {
                let key = first ? "reported.speech" : sentences.count % 2 == 1 ? "reported.next" : "reported.next.2"
                sentence.text = self.configuration.phrase(
                    key, ["Subject": subject, "Pronoun": speaking.pronoun, "clause": clause])
                sentence.verbatim = verbatim
            }
            sentences.append(sentence)
        }
        return sentences
    }

    /// How the note turns this attendee's words into reported speech: their pronoun (capitalised, to
    /// open a sentence) and a clause maker; nil when reported speech is not configured.
    private func speaking(_ attendee: Attendee, facts: SessionFacts) -> (
        pronoun: String, clause: (String) -> String?
    )? {
        guard self.speech.configuration.isEnabled, let pronouns = self.speech.pronouns(for: attendee) else {
            return nil
        }
        let speech = self.speech
        // A word someone in the session wrote with a capital inside a clause is a name; it keeps it.
        let keepsCapital = facts.writesCapitalised
        return (
            pronouns.subject.prefix(1).uppercased() + pronouns.subject.dropFirst(),
            { speech.clause($0, pronouns: pronouns, keepsCapital: keepsCapital) }
        )
    }

    private func observed(_ attendee: Attendee, subject: String, facts: SessionFacts, quoted: inout Set<String>)
        -> [NoteSentence]
    {
        var sentences: [NoteSentence] = []
        let own = facts.utterancesOf[attendee.id] ?? []
        // A question the attendee asked.
        search: for u in own {
            let text = facts.segmented.texts[u]
            for (index, span) in text.sentences.enumerated()
            where span.words.count >= 4 && text.words[span.words.upperBound - 1].after == .question {
                // Only a question about something clinical (`Is the heat on?` is not worth a line).
                guard self.salient.containsMatch(in: text.words, range: span.words) else { continue }
                guard let quote = self.quote(facts.sentence(u, index)), quoted.insert(quote).inserted else { continue }
                sentences.append(.quoting(u, self.configuration.phrase("asked", ["Subject": subject, "quote": quote])))
                break search
            }
        }
        // Support offered to a peer: a supportive reply right after another attendee spoke.
        for u in own {
            guard let previous = facts.previousSpeech(before: u), let other = facts.speaker[previous],
                other != attendee.id, !facts.isClinician[previous]
            else { continue }
            if self.support.containsMatch(in: facts.segmented.texts[u].words) {
                sentences.append(
                    NoteSentence(self.configuration.phrase("peerSupport", ["Subject": subject]), evidence: [u]))
                break
            }
        }
        if let text = self.configuration.notAssessed[.observed] { sentences.append(.notAssessed(text)) }
        return sentences
    }

    private func measures(_ attendee: Attendee) -> [NoteSentence] {
        attendee.measures.enumerated().map { offset, measure in
            var text = self.configuration.phrase(
                "measure",
                [
                    "instrument": measure.instrument, "score": measure.score.map(Self.format) ?? "not scored",
                    "date": measure.date?.description ?? "an unrecorded date",
                ]
            )
            if let item9 = measure.item9 {
                text += " " + self.configuration.phrase("measure.item9", ["value": String(item9)])
            }
            return .metadata(text, source: "measures[\(offset)]")
        }
    }

    /// Interventions the clinicians used with this attendee (one sentence each) and with the whole group
    /// (one sentence for all of them).
    private func interventions(_ attendee: Attendee, subject: String, facts: SessionFacts) -> [NoteSentence] {
        var directed: [Int: [Int]] = [:]  // technique → utterances that used it with the attendee
        var group: [Int: [Int]] = [:]
        var directedOrder: [Int] = []
        var groupOrder: [Int] = []
        // Nothing done after the attendee left was done with them.
        let end = self.departure(of: attendee, facts: facts) ?? facts.utteranceCount
        for u in 0..<end where facts.isClinician[u] && !facts.interventions[u].isEmpty {
            for sentence in facts.clinicianSentences[u] where !sentence.techniques.isEmpty {
                if sentence.audience.contains(attendee.id) {
                    for technique in sentence.techniques {
                        if directed[technique] == nil { directedOrder.append(technique) }
                        directed[technique, default: []].append(u)
                    }
                } else if sentence.isGroupWide {
                    for technique in sentence.techniques {
                        if group[technique] == nil { groupOrder.append(technique) }
                        group[technique, default: []].append(u)
                    }
                }
            }
        }
        // Work with the attendee in one sentence; safety work each in its own, so the confidentiality
        // filter can withhold it alone.
        let directedBatches =
            [directedOrder.filter { !facts.technique($0).sensitive }]
            + directedOrder.filter { facts.technique($0).sensitive }.map { [$0] }
        var sentences: [NoteSentence] = []
        for batch in directedBatches where !batch.isEmpty {
            sentences.append(
                NoteSentence(
                    self.configuration.phrase(
                        "intervention.directed",
                        [
                            "description": Self.clauses(batch.map { facts.describe($0, in: directed[$0] ?? []) }),
                            "subject": subject.lowercased(),
                        ]
                    ),
                    evidence: Array(batch.flatMap { (directed[$0] ?? []).prefix(2) }.uniqued().sorted().prefix(4))
                ))
        }
        // Group-wide work in one sentence; safety work each in its own, so the confidentiality filter
        // can withhold it alone.
        let shared = groupOrder.filter { directed[$0] == nil }
        let object = self.configuration.phrase(
            "object.\(facts.session.kind.rawValue)", ["subject": subject.lowercased()])
        let batches =
            [shared.filter { !facts.technique($0).sensitive }]
            + shared.filter { facts.technique($0).sensitive }.map { [$0] }
        for batch in batches where !batch.isEmpty {
            var sentence = NoteSentence(
                self.configuration.phrase(
                    "interventions.group",
                    [
                        "descriptions": Self.clauses(batch.map { facts.describe($0, in: group[$0] ?? []) }),
                        "object": object,
                    ]
                ),
                evidence: batch.compactMap { group[$0]?.first }
            )
            sentence.groupLevel = true
            sentences.append(sentence)
        }
        return sentences
    }

    /// How the attendee took to what the clinicians did: their reply, soon after an intervention or a
    /// prompt to them or the group, read for a kind of response (`reported that paced breathing
    /// helped`, `expressed doubt about it`), citing the reply and the clinician's utterance it answers.
    private func response(
        _ attendee: Attendee, subject: String, facts: SessionFacts, quoted: inout Set<String>
    ) -> [NoteSentence] {
        // A summary's bullets are the clinician's account, all reported as such; none is a reply.
        guard !facts.isSummary, let matcher = self.responses else { return [] }
        let kinds = self.configuration.responseKinds
        var chosen: [(kind: Int, prompt: Int, reply: Int, what: String)] = []
        var lastIntervention: Int? = nil
        var cursor = 0
        for reply in facts.utterancesOf[attendee.id] ?? [] {
            // The latest clinician utterance before the reply that had them or the group practise something.
            while cursor < reply {
                if facts.isClinician[cursor],
                    facts.clinicianSentences[cursor].contains(where: { sentence in
                        (sentence.isGroupWide || sentence.audience.contains(attendee.id))
                            && sentence.techniques.contains { facts.technique($0).practice }
                    })
                {
                    lastIntervention = cursor
                }
                cursor += 1
            }
            // The clinician utterance this reply answers: the nearest one before it, within three.
            guard
                let prompt = (max(0, reply - 3)..<reply).reversed().first(where: {
                    facts.isClinician[$0] && facts.clinician($0, speaksTo: attendee.id)
                }),
                let intervention = lastIntervention, reply - intervention <= 8
            else { continue }
            let text = facts.segmented.texts[reply]
            let read = matcher.read(text.words)
            // The first kind in the configuration's order wins (`didn't help` before `help`).
            guard
                let match = matcher.matches(in: read).filter({ match in
                    let sentence = text.sentences[text.words[match.words.lowerBound].sentence].words
                    return text.words[sentence.upperBound - 1].after != .question
                        && !self.commits(text, sentence: text.words[match.words.lowerBound].sentence)
                }).min(by: { $0.value < $1.value }),
                !chosen.contains(where: { $0.kind == match.value })
            else { continue }
            // What they took to: the skill their reply names, else the one just practised.
            let named = facts.techniques(named: text).filter { facts.technique($0).practice }
            let technique = (named.first ?? facts.interventions[intervention].first { facts.technique($0).practice })
                .map { facts.technique($0).name }
            chosen.append(
                (match.value, prompt, reply, technique ?? self.configuration.phrase("response.what.default")))
            // The reply's words are the response now; the report says other things.
            let sentence = text.words[match.words.lowerBound].sentence
            if let quote = self.quote(facts.sentence(reply, sentence)) { quoted.insert(quote) }
            if chosen.count == 2 { break }
        }
        return chosen.map { item in
            NoteSentence(
                self.configuration.phrase(
                    "response.kind",
                    [
                        "Subject": subject,
                        "description": NoteDrafterConfiguration.fill(
                            ["d": kinds[item.kind].description], "d", ["what": item.what]),
                    ]),
                evidence: [item.prompt, item.reply])
        }
    }

    /// Homework and follow-up the clinicians set for this attendee or for the group, and the
    /// attendee's own commitments.
    private func plan(_ attendee: Attendee, subject: String, facts: SessionFacts, quoted: inout Set<String>)
        -> [NoteSentence]
    {
        var individual: [NoteSentence] = []
        var group: [NoteSentence] = []
        let object = self.configuration.phrase(
            "object.\(facts.session.kind.rawValue)", ["subject": subject.lowercased()])
        var commitments: [NoteSentence] = []
        let speaking = facts.isSummary ? nil : self.speaking(attendee, facts: facts)
        var lastPlanPrompt: Int? = nil
        let departure = self.departure(of: attendee, facts: facts)
        for u in 0..<(departure ?? facts.utteranceCount) {
            if facts.isClinician[u] {
                for sentence in facts.clinicianSentences[u] where self.plan.isPlan(facts, u, sentence) {
                    // A member may take up a plan proposed to someone else; its wording is not theirs.
                    lastPlanPrompt = u
                    let toAttendee = sentence.audience.contains(attendee.id)
                    guard toAttendee || sentence.isGroupWide, var quote = self.quote(facts.sentence(u, sentence.index))
                    else { continue }
                    // A plan goes on into a next sentence that opens with `and` or `also`.
                    if let next = self.continuation(of: sentence.index, in: facts.segmented.texts[u]),
                        let more = self.quote(facts.sentence(u, next))
                    {
                        quote += " " + more
                    }
                    guard quoted.insert(quote).inserted else { continue }
                    if toAttendee {
                        individual.append(.quoting(u, self.configuration.phrase("plan", ["quote": quote])))
                    } else {
                        var sentence = NoteSentence.quoting(
                            u, self.configuration.phrase("plan.group", ["quote": quote, "object": object]))
                        sentence.groupLevel = true
                        group.append(sentence)
                    }
                }
            } else if facts.speaker[u] == attendee.id {
                // A commitment answers a plan just proposed, or is made in the wrap-up.
                // Or, late in the session, stands on its own (`Next time I'll give you a heads-up`).
                let answersPlan = lastPlanPrompt.map { u - $0 <= 3 } ?? false
                let late = u * 3 >= facts.utteranceCount * 2
                guard answersPlan || late || facts.segment(of: u)?.kind == "wrapUp" else { continue }
                let text = facts.segmented.texts[u]
                for index in text.sentences.indices {
                    guard self.commits(text, sentence: index), var quote = self.quote(facts.sentence(u, index)),
                        quoted.insert(quote).inserted
                    else { continue }
                    // An answer's `that` (`And that I need to tell my sponsor`) is not the commitment's.
                    if quote.hasPrefix("That I ") || quote.hasPrefix("That I'") {
                        quote = String(quote.dropFirst(5))
                    }
                    let verbatim = self.configuration.phrase("commitment", ["Subject": subject, "quote": quote])
                    var sentence = NoteSentence.quoting(u, verbatim)
                    if let clause = speaking?.clause(quote) {
                        sentence.text = self.configuration.phrase(
                            "commitment.speech", ["Subject": subject, "clause": clause])
                        sentence.verbatim = verbatim
                    }
                    commitments.append(sentence)
                    break
                }
            }
        }
        return Array(individual.prefix(3)) + Array(group.prefix(2)) + Array(commitments.prefix(2))
    }

    /// Where an attendee who left early stopped hearing the session: the first utterance after they
    /// left, from the transcript's times and their minutes attended, else two utterances after their
    /// last word. Nil when they stayed to the end.
    func departure(of attendee: Attendee, facts: SessionFacts) -> Int? {
        guard let minutes = attendee.minutesAttended, minutes < facts.session.durationMinutes else { return nil }
        let utterances = facts.segmented.utterances
        if let first = utterances.lazy.compactMap(\.start).first {
            let leaving = first + Double(minutes) * 60
            return utterances.firstIndex { ($0.start ?? -.infinity) > leaving }
        }
        guard let last = facts.utterancesOf[attendee.id]?.last else { return nil }
        return min(facts.utteranceCount, last + 3)
    }

    /// For PIRP notes: the diagnoses on file and the concern the attendee raised first.
    private func problem(_ attendee: Attendee, subject: String, reported: [NoteSentence]) -> [NoteSentence] {
        var sentences: [NoteSentence] = []
        if !attendee.diagnoses.isEmpty {
            sentences.append(
                .metadata(
                    self.configuration.phrase(
                        "problem.diagnoses", ["codes": attendee.diagnoses.joined(separator: ", ")]),
                    source: "attendees.diagnoses")
            )
        }
        if let first = reported.first { sentences.append(first) }
        return sentences
    }

    // MARK: - Text

    /// The sentence after `sentence` when it carries the same thought on (`… and your plan. And practise
    /// urge surfing at least once.`).
    private func continuation(of sentence: Int, in text: TokenizedText) -> Int? {
        let next = sentence + 1
        guard next < text.sentences.count, let first = text.words[text.sentences[next].words].first else { return nil }
        return ["and", "also", "plus"].contains(first.folded) ? next : nil
    }

    /// The sentence opens with a commitment (`I'll try it`, `Yes, I'll …`).
    private func commits(_ text: TokenizedText, sentence: Int) -> Bool {
        let span = text.sentences[sentence].words
        return self.commitments.containsMatch(in: text.words, range: span, startingWithin: 3)
            && !self.notCommitments.containsMatch(in: text.words, range: span, startingWithin: 3)
    }

    /// A sentence cleaned for quoting (see `NoteDrafting.clean`).
    func quote(_ sentence: String) -> String? {
        Self.clean(sentence, fillers: self.fillers, maximumWords: self.configuration.maximumQuoteWords)
    }

    /// A sentence cleaned for quoting: stage directions and corpus markup removed, leading fillers
    /// dropped, tokenised punctuation rejoined, at most `maximumWords` words; nil when nothing is left.
    ///
    /// One pass over the UTF-8 bytes (brackets, spaces and punctuation are single ASCII bytes that
    /// never occur inside a multi-byte character), then one join.
    static func clean(_ sentence: String, fillers: Set<String>, maximumWords: Int) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sentence.utf8.count)
        var words: [Range<Int>] = []
        var depth = 0
        var wordStart = -1
        for byte in sentence.utf8 {
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "("), UInt8(ascii: "<"):
                depth += 1
                continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ")"), UInt8(ascii: ">"):
                depth = max(0, depth - 1)
                continue
            default:
                if depth > 0 { continue }
            }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if wordStart >= 0 { words.append(wordStart..<bytes.count) }
                wordStart = -1
                continue
            }
            if wordStart < 0 { wordStart = bytes.count }
            bytes.append(byte)
        }
        if wordStart >= 0 { words.append(wordStart..<bytes.count) }
        var first = 0
        while first < words.count {
            let bare = Self.bare(bytes[words[first]])
            guard fillers.contains(bare) || bare.isEmpty else { break }
            first += 1
        }
        guard words.count - first >= 2 else { return nil }
        let last = min(words.count, first + maximumWords)
        let truncated = words.count > last
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 4)
        for (position, range) in words[first..<last].enumerated() {
            // Tokenised punctuation and clitics join the word before them (`do n't` → `don't`).
            if position > 0 && !Self.attachesToPrevious(bytes[range]) { result.append(UInt8(ascii: " ")) }
            result.append(contentsOf: bytes[range])
        }
        if let initial = result.first, initial >= UInt8(ascii: "a") && initial <= UInt8(ascii: "z") {
            result[0] = initial - 32
        }
        while let end = result.last,
            end == UInt8(ascii: ",") || end == UInt8(ascii: ";") || end == UInt8(ascii: ":") || end == UInt8(ascii: "-")
        {
            result.removeLast()
        }
        var text = String(decoding: result, as: UTF8.self)
        if let initial = text.first, initial.isLowercase, !initial.isASCII {
            text = initial.uppercased() + text.dropFirst()
        }
        if truncated { text += "…" } else if let end = text.last, !".?!…\"'".contains(end) { text += "." }
        return text
    }

    /// A word folded without the punctuation around it (apostrophes kept), to compare with fillers:
    /// bytes for ASCII, the Unicode path otherwise.
    private static func bare(_ word: ArraySlice<UInt8>) -> String {
        guard word.allSatisfy({ $0 < 0x80 }) else {
            let text = String(decoding: word, as: UTF8.self)
            return TextFolding.fold(text.trimmingCharacters(while: { !$0.isLetter && $0 != "'" }))
        }
        func kept(_ byte: UInt8) -> Bool { byte.isASCIILetter || byte == UInt8(ascii: "'") }
        guard let start = word.firstIndex(where: kept), let end = word.lastIndex(where: kept) else { return "" }
        return String(decoding: word[start...end].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func attachesToPrevious(_ word: ArraySlice<UInt8>) -> Bool {
        guard let first = word.first else { return false }
        switch first {
        case UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "?"), UInt8(ascii: "!"): return true
        case UInt8(ascii: "n"): return word.starts(with: "n't".utf8)
        case UInt8(ascii: "'"): return word.starts(with: "'s".utf8)
        default: return false
        }
    }

    /// `a, b and c`; with `separator: "; "` for items that hold commas themselves.
    static func list(_ items: [String], separator: String = ", ") -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        case 2: return items[0] + " and " + items[1]
        default:
            return items.dropLast().joined(separator: separator) + (separator == ", " ? " and " : "; and ")
                + items[items.count - 1]
        }
    }

    /// Clauses joined as a list: with semicolons when one of them holds a comma itself.
    static func clauses(_ items: [String]) -> String {
        Self.list(items, separator: items.contains { $0.contains(",") } ? "; " : ", ")
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}

/// Recognises a sentence that sets a plan (homework, follow-up, a referral), not a pleasantry.
struct PlanSentences: Sendable {
    private let plan: PhraseIndex<Bool>
    private let ignore: PhraseIndex<Bool>
    private let offers: PhraseIndex<Bool>

    init(_ configuration: NoteDrafterConfiguration) {
        self.plan = PhraseIndex(configuration.planPhrases.map { ($0, true) })
        self.ignore = PhraseIndex(configuration.planIgnorePhrases.map { ($0, true) })
        self.offers = PhraseIndex(configuration.planOfferPhrases.map { ($0, true) })
    }

    /// A plan in a clinician's sentence of utterance `u`: not one that speaks of an absent roster member
    /// (it is about them), nor the set-up of something done in the session itself (a role-play).
    func isPlan(_ facts: SessionFacts, _ u: Int, _ sentence: SessionFacts.ClinicianSentence) -> Bool {
        guard !facts.speaksOfAbsent(u), !sentence.techniques.contains(where: { facts.technique($0).inSession })
        else { return false }
        return self.isPlan(facts.segmented.texts[u], sentence: sentence.index)
    }

    func isPlan(_ text: TokenizedText, sentence: Int) -> Bool {
        let span = text.sentences[sentence].words
        guard span.count >= 4 else { return false }
        func matches(_ index: PhraseIndex<Bool>) -> Bool { index.containsMatch(in: text.words, range: span) }
        guard matches(self.plan), !matches(self.ignore) else { return false }
        return text.words[span.upperBound - 1].after != .question || matches(self.offers)
    }
}

extension String {
    func trimmingCharacters(while predicate: (Character) -> Bool) -> String {
        var text = Substring(self)
        while let first = text.first, predicate(first) { text = text.dropFirst() }
        while let last = text.last, predicate(last) { text = text.dropLast() }
        return String(text)
    }
}

/// The NoteDrafter agent: one instance per attendee's drafting job. It owns that job's state (the job,
/// its timing); the work is the pure `NoteDrafting`, compiled once and shared by every instance.
public actor NoteDrafter: NoteDraftingAgent {
    private let drafting: NoteDrafting
    public private(set) var job: AgentJob?

    public init(configuration: NoteDrafterConfiguration) {
        self.init(compiled: NoteDrafting(configuration: configuration))
    }

    /// An instance over configuration compiled once for many.
    public init(compiled drafting: NoteDrafting) { self.drafting = drafting }

    public func draft(for attendee: PersonID, in context: DraftingContext) async throws -> NoteDraft {
        try AgentJob.perform(&self.job, .noteDrafter, session: context.facts.session.id, attendee: attendee) {
            NoteDraft(note: self.drafting.draft(for: attendee, facts: context.facts))
        }
    }
}
