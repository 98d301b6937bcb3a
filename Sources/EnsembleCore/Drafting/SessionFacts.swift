/// What every drafting agent needs to know about an attributed session, worked out once before the
/// fan-out so the agents share it instead of each re-reading the transcript.
public struct SessionFacts: Sendable {
    /// One sentence of a clinician's utterance: who it speaks to and the interventions it shows.
    public struct ClinicianSentence: Sendable, Hashable {
        public var index: Int
        /// The attendees it speaks to; empty when it speaks to the whole group.
        public var audience: [PersonID]
        /// Indexes into the intervention lexicon's techniques.
        public var techniques: [Int]
        /// It holds a word that addresses the whole group (`everyone`, `let's`).
        public var addressesGroup: Bool
        public var isQuestion: Bool
        public var wordCount: Int
        /// Present attendees it names in any way (addressed or talked about).
        public var mentions: [PersonID]
        /// It speaks to a `you`.
        public var saysYou: Bool = false
        /// It opens by calling someone (`Kyle, I hear …`): its first word is followed by a comma.
        public var opensWithCall: Bool = false

        public var isGroupWide: Bool { self.audience.isEmpty }
    }

    public let attributed: AttributedSession
    /// Who said each utterance; nil when unknown or not speech.
    public let speaker: [PersonID?]
    /// Said by a clinician; in a summary, also each bullet about the group rather than one attendee.
    public let isClinician: [Bool]
    /// Present attendees named as an address in each utterance (`Maria, how was your week?`).
    public let addressees: [[PersonID]]
    /// Roster people (present or absent) named in each utterance in any way.
    public let mentioned: [[PersonID]]
    /// Indexes into the intervention lexicon's techniques found in each clinician utterance.
    public let interventions: [[Int]]
    /// Each clinician utterance's sentences with their audience; empty for everyone else's.
    public let clinicianSentences: [[ClinicianSentence]]
    /// Each present attendee's speech utterances, in order.
    public let utterancesOf: [PersonID: [Int]]
    public let lexicon: InterventionLexicon
    /// Words someone wrote with a capital inside a clause (names, places): a note keeps their capital.
    let capitalised: HashedWordSet
    private let reader: InterventionReader

    public var session: Session { self.attributed.session }
    public var roster: Roster { self.attributed.roster }
    public var segmented: SegmentedTranscript { self.attributed.segmented }
    public var utteranceCount: Int { self.speaker.count }
    /// The session was documented as the clinician's bullet points (`summary.md`), not recorded.
    public var isSummary: Bool { self.segmented.transcript.origin == .clinicianSummary }

    /// The lexicons the facts are read with, compiled once and shared by every session.
    struct Readers: Sendable {
        let names: CompiledLexicon
        let interventions: InterventionLexicon
        let techniques: InterventionReader
        let groupAddress: PhraseIndex<Bool>

        init(names: CompiledLexicon, interventions: InterventionLexicon) {
            self.names = names
            self.interventions = interventions
            self.techniques = InterventionReader(interventions)
            self.groupAddress = PhraseIndex(interventions.groupAddress.map { ($0, true) })
        }
    }

    public init(
        attributed: AttributedSession, attributor: AttributorConfiguration, interventions lexicon: InterventionLexicon
    ) {
        self.init(
            attributed: attributed,
            readers: Readers(names: CompiledLexicon(attributor.lexicon), interventions: lexicon))
    }

    /// With the lexicons already compiled (the supervisor compiles them once, not per run).
    init(attributed: AttributedSession, readers: Readers) {
        let compiled = readers.names
        let lexicon = readers.interventions
        self.attributed = attributed
        self.lexicon = lexicon
        // The attributor's directory of this roster, when it came with the attribution.
        let directory =
            attributed.attribution.directory.value.flatMap { $0.roster == attributed.roster ? $0 : nil }
            ?? NameDirectory(roster: attributed.roster, lexicon: compiled)
        let people = attributed.roster.people
        let index = Dictionary(uniqueKeysWithValues: people.enumerated().map { ($1.id, $0) })
        let segmented = attributed.segmented
        let count = segmented.utterances.count
        let caseless = !segmented.texts.contains { !$0.isCaseless }
        let techniques = readers.techniques
        let groupAddress = readers.groupAddress

        var speaker = [PersonID?](repeating: nil, count: count)
        var isClinician = [Bool](repeating: false, count: count)
        var addressees = [[PersonID]](repeating: [], count: count)
        var mentioned = [[PersonID]](repeating: [], count: count)
        var interventions = [[Int]](repeating: [], count: count)
        var clinicianSentences = [[ClinicianSentence]](repeating: [], count: count)
        var utterancesOf: [PersonID: [Int]] = [:]
        let isSummary = segmented.transcript.origin == .clinicianSummary
        for attribution in attributed.attribution.utterances {
            let u = attribution.index
            guard segmented.isSpeech[u] else { continue }
            guard let person = attribution.person, let position = index[person] else {
                // A summary's bullet about no one attendee is the clinician writing about the group.
                isClinician[u] = isSummary
                continue
            }
            speaker[u] = person
            isClinician[u] = people[position].isClinician
            if !isClinician[u] { utterancesOf[person, default: []].append(u) }
        }
        /// By roster position, and by id.
        let presentAttendee = people.map { $0.present && !$0.isClinician }
        func isPresentAttendee(_ id: PersonID) -> Bool { index[id].map { presentAttendee[$0] } ?? false }
        /// Named addressees and everyone named, in some name events (read by roster position, so no
        /// id is hashed).
        func names(_ events: some Sequence<ContentEvent>) -> (addressed: [PersonID], all: [PersonID]) {
            var named: [Int] = []
            var all: [Int] = []
            for event in events {
                switch event {
                case .addresses(let list, _):
                    named += list
                    all += list
                case .mentions(let list): all += list
                case .selfIntroduction(let person): all.append(person)
                case .relationshipTo(let person, _): all.append(person)
                default: break
                }
            }
            return (
                named.filter { presentAttendee[$0] }.uniqued().map { people[$0].id },
                all.uniqued().map { people[$0].id }
            )
        }
        func names(in words: [Word]) -> (addressed: [PersonID], all: [PersonID]) {
            names(compiled.nameEvents(in: words, caseless: caseless, directory: directory).lazy.map(\.event))
        }
        /// Each sentence's name events. Read once over the utterance when every sentence but the last
        /// ends on a mark, where a name's reading cannot depend on the words of another sentence; a
        /// sentence closed without one (a new line of dialogue) is read alone.
        func namesBySentence(_ text: TokenizedText) -> [(addressed: [PersonID], all: [PersonID])] {
            let marked = text.sentences.dropLast().allSatisfy { text.words[$0.words.upperBound - 1].after.endsSentence }
            guard marked else { return text.sentences.map { names(in: Array(text.words[$0.words])) } }
            var bySentence = [[ContentEvent]](repeating: [], count: text.sentences.count)
            for (event, range) in compiled.nameEvents(in: text.words, caseless: caseless, directory: directory) {
                bySentence[text.words[range.lowerBound].sentence].append(event)
            }
            return bySentence.map { names($0) }
        }
        let segmentStarts = Set(segmented.segments.map(\.utterances.lowerBound))
        func neighbour(_ u: Int, step: Int) -> PersonID? {
            var cursor = u + step
            while cursor >= 0 && cursor < count {
                if segmented.isSpeech[cursor] { return speaker[cursor].flatMap { isPresentAttendee($0) ? $0 : nil } }
                cursor += step
            }
            return nil
        }

        for u in 0..<count where segmented.isSpeech[u] {
            let text = segmented.texts[u]
            guard isClinician[u] else {
                // The attributor read this utterance whole already, with the same roster and lexicon.
                if let read = attributed.attribution.contentEvents, read.count == count {
                    (addressees[u], mentioned[u]) = names(read[u])
                } else {
                    (addressees[u], mentioned[u]) = names(in: text.words)
                }
                continue
            }
            // A clinician's utterance is read sentence by sentence; the utterance's names are theirs together.
            var named: [PersonID] = []
            var all: [PersonID] = []
            var sentences: [ClinicianSentence] = []
            let found = techniques.techniques(in: text)
            let sentenceNames = namesBySentence(text)
            for (offset, span) in text.sentences.enumerated() {
                let toGroup = groupAddress.containsMatch(in: text.words, range: span.words)
                let inSentence = sentenceNames[offset]
                named += inSentence.addressed
                all += inSentence.all
                sentences.append(
                    ClinicianSentence(
                        index: offset, audience: toGroup ? [] : inSentence.addressed,
                        techniques: found[offset].uniqued(),
                        addressesGroup: toGroup, isQuestion: text.words[span.words.upperBound - 1].after == .question,
                        wordCount: span.words.count, mentions: inSentence.all.filter(isPresentAttendee),
                        saysYou: text.words[span.words].contains { Self.you.contains($0.hash) },
                        opensWithCall: text.words[span.words.lowerBound].after == .comma
                    )
                )
            }
            addressees[u] = named.uniqued()
            mentioned[u] = all.uniqued()
            // A summary's bullets are not turns of talk: who spoke before or after says nothing.
            Self.resolveAudience(
                &sentences, opensSegment: isSummary || segmentStarts.contains(u),
                previous: isSummary ? nil : neighbour(u, step: -1), next: isSummary ? nil : neighbour(u, step: 1)
            )
            clinicianSentences[u] = sentences
            interventions[u] = sentences.flatMap(\.techniques).uniqued()
        }
        var capitalised: [UInt64] = []
        for text in segmented.texts where !text.isCaseless {
            for word in text.words where word.isCapitalized && !word.opensClause { capitalised.append(word.hash) }
        }
        self.capitalised = HashedWordSet(capitalised)
        self.reader = readers.techniques
        self.speaker = speaker
        self.isClinician = isClinician
        self.addressees = addressees
        self.mentioned = mentioned
        self.interventions = interventions
        self.clinicianSentences = clinicianSentences
        self.utterancesOf = utterancesOf
    }

    /// Gives each unnamed sentence of a clinician's utterance its audience. A sentence that names an
    /// attendee speaks to them. An unnamed one is a reply to the member who just spoke when it comes
    /// before a sentence naming them (`That's a real difference. Nice work, Maria.`) or when that member
    /// speaks again right after (a back-and-forth, even across a change of topic); a question after a
    /// named sentence goes on to that person when they answer it; otherwise, and whenever the utterance
    /// opens a new part of the session, it speaks to the whole group.
    static func resolveAudience(
        _ sentences: inout [ClinicianSentence], opensSegment: Bool, previous: PersonID?, next: PersonID?
    ) {
        let named = sentences.map(\.audience)
        // An utterance that opens by calling one attendee by name and names no one else goes on
        // speaking to them wherever it says `you` (`Kyle, I hear you were frustrated. … I'm going to
        // give you the information for a parenting group.`).
        if let first = named.first, first.count == 1, sentences[0].opensWithCall, !sentences[0].addressesGroup,
            named.allSatisfy({ $0.isEmpty || $0 == first })
        {
            for offset in sentences.indices.dropFirst()
            where named[offset].isEmpty && !sentences[offset].addressesGroup && sentences[offset].saysYou
                && sentences[offset].mentions.allSatisfy({ $0 == first[0] })
            {
                sentences[offset].audience = first
            }
        }
        // A short sentence to the previous speaker alone closes the reply to them (`Thanks, Marcus.`).
        let firstNamingPrevious = previous.flatMap { p in
            sentences.indices.first { named[$0] == [p] && sentences[$0].wordCount <= 5 }
        }
        let lastNamed = named.lastIndex { !$0.isEmpty }
        let namesSomeoneElse = named.contains { !$0.isEmpty && $0 != previous.map { [$0] } }
        let backAndForth = previous != nil && next == previous && !namesSomeoneElse && firstNamingPrevious == nil
        for offset in sentences.indices where sentences[offset].audience.isEmpty && !sentences[offset].addressesGroup {
            // A sentence that talks about other members is not a private reply.
            if sentences[offset].mentions.contains(where: { $0 != previous }) { continue }
            if let previous, backAndForth {
                sentences[offset].audience = [previous]
            } else if opensSegment {
                continue
            } else if let previous, let first = firstNamingPrevious, offset < first {
                sentences[offset].audience = [previous]
            } else if let last = lastNamed, offset > last, let next, named[last] == [next], sentences[offset].isQuestion
            {
                sentences[offset].audience = [next]
            }
        }
    }

    /// `you` and its forms.
    static let you = HashedWordSet(
        ["you", "your", "yours", "yourself", "you're", "you've", "you'll", "you'd"].map { wordHash($0) })

    /// The clinician's utterance names a roster member who is not present (it speaks about them).
    public func speaksOfAbsent(_ u: Int) -> Bool {
        self.mentioned[u].contains { id in self.session.attendees.contains { $0.id == id && !$0.present } }
    }

    /// The techniques a text names (the member's own words naming a skill: `the paced breathing`).
    public func techniques(named text: TokenizedText) -> [Int] { self.reader.named(in: text) }

    /// The topic a technique was about in these utterances (`anxiety`), where it has topics.
    public func topic(of technique: Int, in utterances: [Int]) -> String? {
        guard !self.lexicon.techniques[technique].topics.isEmpty else { return nil }
        return self.reader.topic(technique, words: utterances.map { self.segmented.texts[$0].words })
    }

    /// Someone in the session wrote the word with a capital inside a clause: it is a name.
    public func writesCapitalised(_ folded: String) -> Bool { self.capitalised.contains(wordHash(folded)) }

    /// The text of sentence `index` of utterance `u`.
    public func sentence(_ u: Int, _ index: Int) -> String {
        let span = self.segmented.texts[u].sentences[index]
        return self.segmented.text(of: Sentence(utterance: u, utf8Range: span.utf8Range))
    }

    /// The speech utterance just before `u`, skipping non-speech.
    public func previousSpeech(before u: Int) -> Int? {
        (0..<u).reversed().first { self.segmented.isSpeech[$0] }
    }

    /// The topical segment an utterance falls in.
    public func segment(of u: Int) -> TopicalSegment? {
        self.segmented.segments.first { $0.utterances.contains(u) }
    }

    /// Whether a clinician utterance speaks to this attendee: one of its sentences is addressed to
    /// them or to the whole group.
    public func clinician(_ u: Int, speaksTo attendee: PersonID) -> Bool {
        self.clinicianSentences[u].contains { $0.isGroupWide || $0.audience.contains(attendee) }
    }

    public func technique(_ index: Int) -> InterventionLexicon.Technique { self.lexicon.techniques[index] }

    /// What the clinician did with a technique in these utterances (naming the topic, where it has one).
    public func describe(_ technique: Int, in utterances: [Int]) -> String {
        guard self.lexicon.techniques[technique].topicDescription != nil else {
            return self.lexicon.techniques[technique].description
        }
        return self.reader.describe(technique, words: utterances.map { self.segmented.texts[$0].words })
    }
}
