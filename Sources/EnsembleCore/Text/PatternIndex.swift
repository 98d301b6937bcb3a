/// Word patterns with wildcards, matched against tokenised text: `*` is exactly one word, `**` is
/// zero to three words (`cut ** arm` matches `cut my arm` and `cut my left arm`). A pattern starts with a
/// literal word and never spans a sentence.
public struct PatternIndex<Value: Sendable>: Sendable {
    public struct Match: Sendable {
        public var words: Range<Int>
        public var value: Value
    }

    enum Element: Sendable, Hashable {
        case word(String, UInt64)
        case one
        case gap
    }

    struct Pattern: Sendable {
        var elements: [Element]
        var value: Value
    }

    private let byFirstWord: WordTable<[Pattern]>

    public init(_ patterns: [(String, Value)], tokenizer: Tokenizer = Tokenizer()) {
        var grouped: [String: [Pattern]] = [:]
        for (text, value) in patterns {
            var elements: [Element] = []
            for piece in text.split(separator: " ") {
                switch piece {
                case "*": elements.append(.one)
                case "**": elements.append(.gap)
                default:
                    for word in tokenizer.tokenize(String(piece)).words {
                        elements.append(.word(word.folded, word.hash))
                    }
                }
            }
            guard case .word(let first, _) = elements.first else { continue }
            grouped[first, default: []].append(Pattern(elements: elements, value: value))
        }
        self.byFirstWord = WordTable(grouped.map { ($0.key, $0.value) })
    }

    /// Every match, with the words it covers (the shortest span for each pattern and start).
    public func matches(in words: [Word]) -> [Match] {
        var found: [Match] = []
        guard !self.byFirstWord.isEmpty else { return found }
        for start in words.indices {
            guard let patterns = self.byFirstWord[words[start]] else { continue }
            for pattern in patterns {
                if let end = Self.match(
                    pattern.elements, from: 0, words: words, at: start, sentence: words[start].sentence)
                {
                    found.append(Match(words: start..<end, value: pattern.value))
                }
            }
        }
        return found
    }

    /// The end of the shortest match of `elements` from `position`, or nil.
    /// The end of the shortest match of `elements[index...]` from `position`, or nil.
    private static func match(_ elements: [Element], from index: Int, words: [Word], at position: Int, sentence: Int)
        -> Int?
    {
        guard index < elements.count else { return position }
        switch elements[index] {
        case .word(let text, let hash):
            guard position < words.count, words[position].sentence == sentence, words[position].hash == hash,
                words[position].folded == text
            else { return nil }
            return self.match(elements, from: index + 1, words: words, at: position + 1, sentence: sentence)
        case .one:
            guard position < words.count, words[position].sentence == sentence else { return nil }
            return self.match(elements, from: index + 1, words: words, at: position + 1, sentence: sentence)
        case .gap:
            for skip in 0...3 {
                let next = position + skip
                if skip > 0 && (next > words.count || words[next - 1].sentence != sentence) { break }
                if let end = self.match(elements, from: index + 1, words: words, at: next, sentence: sentence) {
                    return end
                }
            }
            return nil
        }
    }
}
