/// Multi-word phrases looked up by their first word, matched against tokenised text.
///
/// Phrases are tokenised with the same `Tokenizer` as the text, so `I'm`, `I’m` and `i'm` all match.
public struct PhraseIndex<Value: Sendable & Hashable>: Sendable {
    public struct Entry: Sendable, Hashable {
        public var words: [String]
        public var hashes: [UInt64]
        public var value: Value
    }

    private let byFirstWord: WordTable<[Entry]>
    public private(set) var longestPhrase = 0

    public init(_ phrases: [(String, Value)], tokenizer: Tokenizer = Tokenizer()) {
        var grouped: [String: [Entry]] = [:]
        for (phrase, value) in phrases {
            let words = tokenizer.tokenize(phrase).words
            guard let first = words.first else { continue }
            grouped[first.folded, default: []].append(
                Entry(words: words.map(\.folded), hashes: words.map(\.hash), value: value))
            self.longestPhrase = max(self.longestPhrase, words.count)
        }
        // Longest first, so the most specific phrase wins where several start at one word.
        for key in grouped.keys { grouped[key]!.sort { $0.words.count > $1.words.count } }
        self.byFirstWord = WordTable(grouped.map { ($0.key, $0.value) })
    }

    public var isEmpty: Bool { self.byFirstWord.isEmpty }

    /// Calls `body` for every phrase that occurs in `words`, with the range of words it covers.
    /// Matches may overlap; a phrase never spans a sentence boundary.
    public func forEachMatch(in words: [Word], _ body: (Range<Int>, Value) -> Void) {
        self.forEachMatch(in: words, range: words.indices, body)
    }

    /// Calls `body` for every phrase that starts in `words[range]` and ends within it.
    public func forEachMatch(in words: [Word], range: Range<Int>, _ body: (Range<Int>, Value) -> Void) {
        guard !self.byFirstWord.isEmpty else { return }
        for start in range {
            guard let entries = self.byFirstWord[words[start]] else { continue }
            for entry in entries where start + entry.words.count <= range.upperBound {
                if self.matches(entry, in: words, at: start) { body(start..<(start + entry.words.count), entry.value) }
            }
        }
    }

    /// Whether any phrase occurs in `words[range]` (all of `words` by default), starting no later than
    /// `startingWithin` words into the range when that is given (`I'll try` as an opening).
    public func containsMatch(in words: [Word], range: Range<Int>? = nil, startingWithin: Int? = nil) -> Bool {
        let range = range ?? words.indices
        let lastStart = min(range.upperBound, range.lowerBound + (startingWithin ?? range.count))
        guard !self.byFirstWord.isEmpty, range.lowerBound < lastStart else { return false }
        for start in range.lowerBound..<lastStart {
            guard let entries = self.byFirstWord[words[start]] else { continue }
            for entry in entries where start + entry.words.count <= range.upperBound {
                if self.matches(entry, in: words, at: start) { return true }
            }
        }
        return false
    }

    /// The phrases that end exactly at `end` (exclusive), longest first.
    public func phrasesEnding(at end: Int, in words: [Word]) -> [Entry] {
        var found: [Entry] = []
        let earliest = max(0, end - self.longestPhrase)
        guard end > earliest else { return found }
        for start in earliest..<end {
            guard let entries = self.byFirstWord[words[start]] else { continue }
            for entry in entries where start + entry.words.count == end && self.matches(entry, in: words, at: start) {
                found.append(entry)
            }
        }
        return found
    }

    /// True when the entry's phrase occurs in `words` starting at `start` within one sentence.
    public func matches(_ entry: Entry, in words: [Word], at start: Int) -> Bool {
        guard start + entry.words.count <= words.count else { return false }
        let sentence = words[start].sentence
        for offset in 0..<entry.words.count {
            let word = words[start + offset]
            if word.hash != entry.hashes[offset] || word.sentence != sentence || word.folded != entry.words[offset] {
                return false
            }
        }
        return true
    }
}
