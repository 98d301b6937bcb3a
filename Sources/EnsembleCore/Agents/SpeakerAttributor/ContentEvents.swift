/// What one utterance says about who is speaking and who is spoken to, read once and used both for
/// label-level evidence and for resolving utterances one by one.
enum ContentEvent: Sendable, Hashable {
    enum Direction: Sendable, Hashable {
        /// The floor is handed to the person (`Go ahead, Marcus`, or a question ending on a name):
        /// they are likely to speak next.
        case handOff
        /// The previous speaker is thanked (`Thanks, Maria`).
        case thanks
        /// Addressed in passing; a weaker hint at the next speaker.
        case generic
    }

    /// `I'm Maria`, `my name is Maria`, `Maria here`.
    case selfIntroduction(person: Int)
    /// `I'm Jake's mom`: the speaker has `relationship` to `person`.
    case relationshipTo(person: Int, relationship: String)
    /// A phrase such as `my son` or `as his mother` (index into the lexicon's list).
    case relationshipPhrase(Int)
    /// A name said as an address.
    case addresses(people: [Int], direction: Direction)
    /// A relationship word said as an address (`Mom, you never …`).
    case addressesRelationship(String, direction: Direction)
    /// A name said in the third person.
    case mentions(people: [Int])
    /// A relationship word said as a name, in the third person (`Mom yelled at me`).
    case mentionsRelationship(String)
    /// A topic typical of a child (`my homework`) or of an adult (`my boss`).
    case ageTopic(child: Bool)
}

/// Per-utterance style figures, summed per label to tell clinicians from clients.
struct StyleFigures: Sendable {
    var utterances = 0
    var words = 0
    var questions = 0
    var clinicianPhraseWeight = 0.0
    var firstPerson = 0
    var secondPerson = 0

    mutating func add(_ other: StyleFigures) {
        self.utterances += other.utterances
        self.words += other.words
        self.questions += other.questions
        self.clinicianPhraseWeight += other.clinicianPhraseWeight
        self.firstPerson += other.firstPerson
        self.secondPerson += other.secondPerson
    }

    /// Second-person minus first-person pronouns over both, in -1…1: clinicians say `you`, clients say `I`.
    var pronounBalance: Double {
        let total = self.firstPerson + self.secondPerson
        return total == 0 ? 0 : Double(self.secondPerson - self.firstPerson) / Double(total)
    }
}

extension CompiledLexicon {
    /// Reads the events and style figures of one utterance's words.
    func events(in words: [Word], caseless: Bool, directory: NameDirectory) -> ([ContentEvent], StyleFigures) {
        var style = StyleFigures(utterances: 1, words: words.count)
        guard !words.isEmpty else { return ([], style) }
        var inMention = [Bool](repeating: false, count: words.count)
        var events = self.nameEvents(in: words, caseless: caseless, directory: directory) { mention in
            for index in mention { inMention[index] = true }
        }.map(\.event)

        // Relationship words said as an address: `Mom, …`, `…, Dad?`
        for index in words.indices where !inMention[index] {
            guard let relationship = self.relationshipWords[words[index]] else { continue }
            if index > 0, words[index - 1].sentence == words[index].sentence, words[index - 1].after == .unmarked,
                self.determiners.contains(words[index - 1].folded)
            {
                continue
            }
            let cuesBefore = self.cues.phrasesEnding(at: index, in: words)
            if let direction = self.vocativeDirection(words: words, range: index..<(index + 1), cuesBefore: cuesBefore)
            {
                events.append(.addressesRelationship(relationship, direction: direction))
            } else if words[index].isCapitalized {
                events.append(.mentionsRelationship(relationship))
            }
        }

        // A phrase inside a longer one (`his mom` in `I'm his mom`) does not count on its own.
        var phrases: [(range: Range<Int>, phrase: Int)] = []
        self.relationshipPhrases.forEachMatch(in: words) { range, phrase in phrases.append((range, phrase)) }
        for (range, phrase) in phrases
        where !phrases.contains(where: {
            $0.range != range && $0.range.lowerBound <= range.lowerBound && $0.range.upperBound >= range.upperBound
        }) {
            events.append(.relationshipPhrase(phrase))
        }
        self.ageTopics.forEachMatch(in: words) { _, child in events.append(.ageTopic(child: child)) }
        self.clinicianPhrases.forEachMatch(in: words) { _, weight in style.clinicianPhraseWeight += weight }
        var askedQuestion = false
        for word in words {
            if word.after == .question { askedQuestion = true }
            if self.firstPersonWords.contains(word) { style.firstPerson += 1 }
            if self.secondPersonWords.contains(word) { style.secondPerson += 1 }
        }
        style.questions = askedQuestion ? 1 : 0
        return (events, style)
    }

    /// The events about roster names in `words` (introductions, addresses, mentions), in order, each
    /// with the words of its name; `mentioned` is told the words of every name found, event or not.
    func nameEvents(
        in words: [Word], caseless: Bool, directory: NameDirectory, mentioned: (Range<Int>) -> Void = { _ in }
    ) -> [(event: ContentEvent, words: Range<Int>)] {
        var events: [(event: ContentEvent, words: Range<Int>)] = []
        func add(_ event: ContentEvent, _ range: Range<Int>) { events.append((event, range)) }
        for mention in directory.mentions(in: words, caseless: caseless, lexicon: self) {
            mentioned(mention.words)
            let a = mention.words.lowerBound
            let b = mention.words.upperBound
            let cuesBefore = self.cues.phrasesEnding(at: a, in: words)
            let introduced = cuesBefore.contains {
                $0.value == .selfIntroduction && words[a].sentence == words[max(0, a - 1)].sentence
            }
            if mention.possessive {
                if introduced, b < words.count, words[b].sentence == words[b - 1].sentence,
                    let relationship = self.relationshipWords[words[b]], mention.people.count == 1
                {
                    add(.relationshipTo(person: mention.people[0], relationship: relationship), mention.words)
                } else {
                    add(.mentions(people: mention.people), mention.words)
                }
                continue
            }
            if introduced {
                if mention.people.count == 1 { add(.selfIntroduction(person: mention.people[0]), mention.words) }
                continue
            }
            if b < words.count, words[b].folded == "here", words[a].opensClause, words[b].sentence == words[a].sentence,
                b + 1 == words.count || words[b].after != .unmarked, mention.people.count == 1
            {
                add(.selfIntroduction(person: mention.people[0]), mention.words)
                continue
            }
            if let direction = self.vocativeDirection(words: words, range: a..<b, cuesBefore: cuesBefore) {
                add(.addresses(people: mention.people, direction: direction), mention.words)
            } else {
                add(.mentions(people: mention.people), mention.words)
            }
        }

        return events
    }

    /// How a name at `range` is said when it is an address; nil when it is a mention in the third person.
    private func vocativeDirection(
        words: [Word], range: Range<Int>, cuesBefore: [PhraseIndex<Cue>.Entry]
    ) -> ContentEvent.Direction? {
        let a = range.lowerBound
        let b = range.upperBound
        let last = words[b - 1]
        let sameSentenceBefore = a > 0 && words[a - 1].sentence == words[a].sentence
        if cuesBefore.contains(where: { $0.value == .thanks }) && sameSentenceBefore { return .thanks }
        let closesClause = last.after != .unmarked || b == words.count
        // `Go ahead, Marcus` or `Okay Marcus.`, but not `Maria and Marcus went …`.
        let handedOff =
            cuesBefore.contains { $0.value == .handOff } && sameSentenceBefore
            && (closesClause || words[a - 1].after == .comma)
        let clauseInitial = words[a].opensClause && closesClause
        let clauseFinal =
            (last.after.endsSentence || b == words.count || last.after == .comma)
            && (a == 0 || words[a - 1].after == .comma || words[a - 1].after.endsSentence)
        guard handedOff || clauseInitial || clauseFinal else { return nil }
        if handedOff { return .handOff }
        // A question to the person, or an address in the utterance's last sentence, passes the floor.
        let sentence = words[a].sentence
        var sentenceEnd = b - 1
        while sentenceEnd + 1 < words.count, words[sentenceEnd + 1].sentence == sentence { sentenceEnd += 1 }
        let isQuestion = words[sentenceEnd].after == .question
        let isLastSentence = sentenceEnd == words.count - 1
        return isQuestion || isLastSentence ? .handOff : .generic
    }
}
