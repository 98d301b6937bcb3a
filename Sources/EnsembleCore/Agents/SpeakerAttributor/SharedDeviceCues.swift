/// What tells apart the people on one shared label, line by line: whom a line answers or is answered
/// by, whether the transcript's lines break off mid-sentence, and the words only one of them says.
extension AttributionRun {
    /// Words each candidate said in lines resolved to them, that nobody else says anywhere in the session.
    func ownWords(utterances: [Int], posteriors: [[Double]], k: Int) -> [Set<String>] {
        var counts: [String: Int] = [:]
        var elsewhere = Set<String>()
        let onDevice = Set(utterances)
        for (index, text) in self.segmented.texts.enumerated() where self.segmented.isSpeech[index] {
            for word in Set(text.words.map(\.folded)) {
                counts[word, default: 0] += 1
                if !onDevice.contains(index) { elsewhere.insert(word) }
            }
        }
        var own = [Set<String>](repeating: [], count: k)
        var usedBy: [String: Set<Int>] = [:]
        for (step, index) in utterances.enumerated() {
            guard let best = posteriors[step].indices.max(by: { posteriors[step][$0] < posteriors[step][$1] }),
                posteriors[step][best] >= 0.8
            else { continue }
            for word in Set(self.segmented.texts[index].words.map(\.folded)) { usedBy[word, default: []].insert(best) }
        }
        for (word, people) in usedBy where people.count == 1 && word.count >= 3 {
            // Said only in this person's resolved lines and in the unsure line itself: nowhere else.
            guard let uses = counts[word], uses <= 3, !elsewhere.contains(word),
                !self.lexicon.echoIgnore.contains(word),
                !self.lexicon.firstPerson.contains(word)
            else { continue }
            own[people.first!].insert(word)
        }
        return own
    }

    /// Whether most utterances end with a sentence mark, so one that does not has broken off.
    var isPunctuated: Bool {
        var ended = 0
        var total = 0
        for (index, text) in self.segmented.texts.enumerated() where self.segmented.isSpeech[index] {
            guard let last = text.words.last else { continue }
            total += 1
            if last.after.endsSentence { ended += 1 }
        }
        return total > 0 && ended * 4 >= total * 3
    }

    /// The one candidate an utterance speaks of in the third person (by name, as `Mom`, or as
    /// `his mother`), if exactly one.
    func spokenOf(in index: Int, candidates: [Int]) -> Int? {
        let found = self.spokenOf(in: index, among: candidates)
        return found.count == 1 ? found.first : nil
    }

    /// Everyone among `candidates` the line speaks of.
    func spokenOf(in index: Int, among candidates: [Int]) -> Set<Int> {
        var found = Set<Int>()
        for event in self.events[index] {
            switch event {
            case .mentions(let people): found.formUnion(people.filter(candidates.contains))
            case .mentionsRelationship(let relationship):
                found.formUnion(candidates.filter { self.relationship(of: $0) == relationship })
            case .relationshipPhrase(let phraseIndex):
                let phrase = self.lexicon.relationshipPhraseList[phraseIndex]
                let about = Set((phrase.speakerIsNot + phrase.about).map(TextFolding.fold))
                guard !about.isEmpty else { continue }
                found.formUnion(candidates.filter { !about.isDisjoint(with: self.roles(of: $0)) })
            default: continue
            }
        }
        return found
    }

    /// Whether an utterance answers the one before in the first person: its first sentence opens with
    /// `I` and denies (`I did not yell`) or takes up a word of it (`I knew` after `his mother knew`).
    func answers(_ index: Int, _ previous: Int) -> Bool {
        let words = self.segmented.texts[index].words
        guard let first = words.first else { return false }
        let sentence = words.prefix { $0.sentence == first.sentence }
        let opensInFirstPerson = sentence.prefix(3).contains { self.lexicon.firstPerson.contains($0.folded) }
        guard opensInFirstPerson || self.lexicon.answerOpeners.contains(first.folded) else { return false }
        // `Because …` answers the line before by itself; `I …` only with a denial or a word of it, unless
        // the line before came from the same device (the other person on it speaking of this one).
        if self.lexicon.answerOpeners.contains(first.folded) { return true }
        if previous + 1 == index, self.labelOf[previous] != nil, self.labelOf[previous] == self.labelOf[index] {
            return true
        }
        if sentence.contains(where: { self.lexicon.denials.contains($0.folded) }) { return true }
        return self.sharesWord(sentence, with: previous)
    }

    /// Whether a first-person utterance says it did what the next line says of someone (`I only knock`
    /// before `if Mom knocks`).
    func echoes(_ index: Int, _ next: Int) -> Bool {
        let words = self.segmented.texts[index].words
        guard words.contains(where: { self.lexicon.firstPerson.contains($0.folded) }) else { return false }
        return self.sharesWord(words[...], with: next)
    }

    /// Whether `words` share a content word (four letters or more, not too common, by stem) with an utterance.
    func sharesWord(_ words: ArraySlice<Word>, with other: Int) -> Bool {
        func stem(_ word: String) -> String {
            for suffix in ["ing", "ed", "s"] where word.count > suffix.count + 3 && word.hasSuffix(suffix) {
                return String(word.dropLast(suffix.count))
            }
            return word
        }
        let theirs = Set(
            self.segmented.texts[other].words.map(\.folded).filter {
                $0.count >= 4 && !self.lexicon.echoIgnore.contains($0)
            }.map(stem))
        return words.contains {
            $0.folded.count >= 4 && !self.lexicon.echoIgnore.contains($0.folded) && theirs.contains(stem($0.folded))
        }
    }
}
