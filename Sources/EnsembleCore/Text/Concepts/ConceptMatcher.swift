/// Concept patterns compiled once (see `PatternLanguage` for the language) and matched against
/// tokenised text. Each pattern carries a value; a match reports the words it covers and the people
/// (`<who>`, `<self>`) it holds.
public final class ConceptMatcher<Value: Sendable>: Sendable {
    public enum SlotKind: Sendable, Hashable { case who, reflexive, possessive }

    public struct Capture: Sendable, Hashable {
        public var kind: SlotKind
        public var words: Range<Int>
    }

    public struct Match: Sendable {
        public var words: Range<Int>
        public var value: Value
        public var captures: [Capture]
    }

    /// One element of a compiled pattern.
    enum Element: Sendable {
        /// One of several word sequences, each word one of a set of forms; the one-word alternatives
        /// merged into `single` and tried with one lookup.
        case alternatives(single: HashedWordSet, sequences: [[HashedWordSet]], optional: Bool)
        case gap(Int)
        case slot(SlotKind, optional: Bool)
        /// `#`: a number, in digits or a word of the `numeral` class.
        case number(optional: Bool)
    }

    struct Pattern: Sendable {
        var elements: [Element]
        var value: Value
    }

    /// A pattern that does not compile, with why.
    public struct PatternError: Error, Sendable, Hashable {
        public var pattern: String
        public var reason: String
    }

    let spellings: HashedWordMap<UInt64>
    let people: PeopleWords
    /// Patterns that open with a person, tried at every word where a person starts, as bits.
    private let personOpening: [UInt64]
    /// Of those, the ones whose next element is a required word, by that word: tried only where the
    /// person is followed by it. The others (`afterAnyone`) are tried after every person.
    private let afterPerson: HashedWordIndex
    private let afterAnyone: [Int]
    /// Per word, with one probe: the patterns it opens, those it anchors (only patterns whose anchor
    /// a sentence holds are tried there) and those it second-anchors (a pattern with a second required
    /// element is tried only in a sentence holding a word of both).
    private let words: PatternWords
    /// Patterns with no second anchor (their second test always passes), as bits.
    private let oneAnchor: [UInt64]
    /// Every pattern has an anchor: a text without an anchor word cannot match.
    private let everyPatternAnchored: Bool
    /// Patterns with no anchor (every required element holds a common word), tried everywhere, as bits.
    private let alwaysTried: [UInt64]

    /// Each pattern's value, by its index in `table`.
    private let values: [Value]
    /// The same patterns flattened, for matching.
    private let table: PatternTable
    /// The words `#` reads as numbers besides digits (the language's `numeral` class).
    private let numberWords: HashedWordSet

    /// Compiles `patterns`; throws on the first that does not parse or names an unknown class.
    public convenience init(_ patterns: [(String, Value)], language: PatternLanguage) throws(PatternError) {
        try self.init(patterns, language: language, cache: PatternCache())
    }

    /// Compiles `patterns` with word forms, word classes and person words shared through `cache` with
    /// the other matchers compiled over the same language.
    init(_ patterns: [(String, Value)], language: PatternLanguage, cache: PatternCache) throws(PatternError) {
        let tokenizer = Tokenizer()
        func wordForms(_ word: String, exact: Bool) -> Set<UInt64> {
            let key = (exact ? "=" : "") + word
            if let known = cache.forms[key] { return known }
            let set = Set(
                (exact ? [word] : Inflection.forms(of: word, irregular: language.irregular)).map { wordHash($0) })
            cache.forms[key] = set
            return set
        }
        func phrase(_ text: Substring, in pattern: String) throws(PatternError) -> [[Set<UInt64>]] {
            if text.hasPrefix("@") {
                let name = String(text.dropFirst())
                if let known = cache.classes[name] { return known }
                guard let members = language.classes[name] else {
                    throw PatternError(pattern: pattern, reason: "names the unknown word class @\(name)")
                }
                var result: [[Set<UInt64>]] = []
                for member in members { result += try phrase(Substring(member), in: pattern) }
                cache.classes[name] = result
                return result
            }
            var sequence: [Set<UInt64>] = []
            for piece in text.split(separator: " ") {
                guard piece != "#" else {
                    throw PatternError(pattern: pattern, reason: "has `#` inside a group; a number stands on its own")
                }
                let exact = piece.hasPrefix("=")
                let words = tokenizer.tokenize(String(exact ? piece.dropFirst() : piece)).words
                for word in words { sequence.append(wordForms(word.folded, exact: exact)) }
            }
            guard !sequence.isEmpty else { throw PatternError(pattern: pattern, reason: "has an empty word") }
            return [sequence]
        }

        var compiled: [Pattern] = []
        var byFirstWord: [UInt64: [Int]] = [:]
        var openingWithPerson: [Int] = []
        var byAnchor: [UInt64: [Int]] = [:]
        var bySecondAnchor: [UInt64: [Int]] = [:]
        var oneAnchor: [Int] = []
        var alwaysTried: [Int] = []
        for (written, value) in patterns {
            for text in Self.expand(written) {
                var elements: [Element] = []
                var opening: [UInt64] = []
                var anchors: [Anchor] = []
                for token in Self.tokens(text) {
                    var token = Substring(token)
                    let optional = token.hasSuffix("?") && token.count > 1
                    if optional { token = token.dropLast() }
                    if token == "<who>" || token == "<self>" || token == "<whose>" {
                        let kind: SlotKind = token == "<who>" ? .who : token == "<self>" ? .reflexive : .possessive
                        elements.append(.slot(kind, optional: optional))
                    } else if token == "#" {
                        elements.append(.number(optional: optional))
                    } else if token.hasPrefix("..") {
                        let limit = token.count == 2 ? 3 : Int(token.dropFirst(2))
                        guard let limit, (1...12).contains(limit), !optional else {
                            throw PatternError(
                                pattern: text, reason: "has a skip that is not `..` or `..N` (N from 1 to 12)")
                        }
                        elements.append(.gap(limit))
                    } else if token.hasPrefix("(") {
                        guard token.hasSuffix(")"), token.count > 2 else {
                            throw PatternError(pattern: text, reason: "has an unclosed `(`")
                        }
                        var alternatives: [[Set<UInt64>]] = []
                        for alternative in token.dropFirst().dropLast().split(separator: "|") {
                            alternatives += try phrase(alternative, in: text)
                        }
                        if elements.isEmpty { opening = alternatives.flatMap { $0[0] } }
                        if !optional { anchors.append(Anchor(alternatives)) }
                        elements.append(Self.element(alternatives, optional: optional))
                    } else {
                        let alternatives = try phrase(token, in: text)
                        if elements.isEmpty { opening = alternatives.flatMap { $0[0] } }
                        if !optional { anchors.append(Anchor(alternatives)) }
                        elements.append(Self.element(alternatives, optional: optional))
                    }
                }
                guard let first = elements.first else { throw PatternError(pattern: text, reason: "is empty") }
                let index = compiled.count
                switch first {
                case .alternatives(_, _, optional: false):
                    for hash in Set(opening) { byFirstWord[hash, default: []].append(index) }
                case .slot(_, optional: false):
                    openingWithPerson.append(index)
                default:
                    throw PatternError(
                        pattern: text, reason: "must open with a word, a class or a person, not optional")
                }
                // The pattern's anchor: its required element with the fewest words that must occur for
                // it to match, preferring one that needs no common function word; an utterance without
                // one of them cannot hold the pattern. A second such element narrows it further: a
                // sentence must hold a word of each.
                func smallest(_ candidates: [Int]) -> Int? {
                    let plain = candidates.filter { !anchors[$0].common }
                    return (plain.isEmpty ? candidates : plain).min {
                        anchors[$0].words.count < anchors[$1].words.count
                    }
                }
                if let anchor = smallest(Array(anchors.indices)) {
                    for hash in anchors[anchor].words { byAnchor[hash, default: []].append(index) }
                    if let second = smallest(anchors.indices.filter { $0 != anchor }) {
                        for hash in anchors[second].words { bySecondAnchor[hash, default: []].append(index) }
                    } else {
                        oneAnchor.append(index)
                    }
                } else {
                    alwaysTried.append(index)
                }
                compiled.append(Pattern(elements: elements, value: value))
            }
        }
        self.values = compiled.map(\.value)
        self.table = Self.flatten(compiled)
        let width = (compiled.count + 63) / 64
        func bits(_ indexes: [Int]) -> [UInt64] {
            var row = [UInt64](repeating: 0, count: width)
            for index in indexes { row[index >> 6] |= 1 << UInt64(index & 63) }
            return row
        }
        self.personOpening = bits(openingWithPerson)
        var afterPerson: [UInt64: [Int]] = [:]
        var afterAnyone: [Int] = []
        for index in openingWithPerson {
            let elements = compiled[index].elements
            guard elements.count > 1, case .alternatives(let single, let sequences, optional: false) = elements[1]
            else {
                afterAnyone.append(index)
                continue
            }
            for hash in single.slots where hash != 0 { afterPerson[hash, default: []].append(index) }
            for sequence in sequences {
                for hash in sequence[0].slots where hash != 0 { afterPerson[hash, default: []].append(index) }
            }
        }
        self.afterPerson = HashedWordIndex(afterPerson)
        self.afterAnyone = afterAnyone
        self.words = PatternWords(opening: byFirstWord, anchors: byAnchor, seconds: bySecondAnchor, width: width)
        self.oneAnchor = bits(oneAnchor)
        self.everyPatternAnchored = alwaysTried.isEmpty
        self.alwaysTried = bits(alwaysTried)
        self.spellings = HashedWordMap(
            Dictionary(
                language.spellings.map { (wordHash($0.key), wordHash($0.value)) },
                uniquingKeysWith: { first, _ in first }))
        let people = cache.people ?? PeopleWords(language: language, forms: { wordForms($0, exact: false) })
        cache.people = people
        self.people = people
        self.numberWords = HashedWordSet((language.classes["numeral"] ?? []).map { wordHash($0) })
    }

    /// The words one required element needs: of each alternative, the forms of one word it cannot
    /// match without (its first word that is not a common function word, where it has one).
    private struct Anchor {
        var words: [UInt64]
        /// Some alternative is made of common function words only.
        var common: Bool

        init(_ alternatives: [[Set<UInt64>]]) {
            var words: Set<UInt64> = []
            var common = false
            for alternative in alternatives {
                if let plain = alternative.first(where: { !$0.contains(where: conceptFunctionWords.contains) }) {
                    words.formUnion(plain)
                } else {
                    common = true
                    words.formUnion(alternative[0])
                }
            }
            self.words = Array(words)
            self.common = common
        }
    }

    /// The compiled patterns as a `PatternTable`.
    private static func flatten(_ patterns: [Pattern]) -> PatternTable {
        var sets: [HashedWordSet] = []
        var sequences: [[Int32]] = []
        var steps: [[PatternTable.Step]] = []
        for pattern in patterns {
            var flat: [PatternTable.Step] = []
            for element in pattern.elements {
                switch element {
                case .alternatives(let single, let words, let optional):
                    var a: Int32 = -1
                    if single.count > 0 {
                        a = Int32(sets.count)
                        sets.append(single)
                    }
                    let b = Int32(sequences.count)
                    for sequence in words {
                        sequences.append(
                            sequence.map { set in
                                sets.append(set)
                                return Int32(sets.count - 1)
                            })
                    }
                    flat.append(
                        .init(kind: PatternTable.Step.words, optional: optional, a: a, b: b, c: Int32(words.count)))
                case .gap(let limit):
                    flat.append(.init(kind: PatternTable.Step.gap, optional: false, a: Int32(limit), b: 0, c: 0))
                case .slot(let kind, let optional):
                    let a: Int32 = kind == .who ? 0 : kind == .reflexive ? 1 : 2
                    flat.append(.init(kind: PatternTable.Step.slot, optional: optional, a: a, b: 0, c: 0))
                case .number(let optional):
                    flat.append(.init(kind: PatternTable.Step.number, optional: optional, a: 0, b: 0, c: 0))
                }
            }
            steps.append(flat)
        }
        return PatternTable(patterns: steps, sets: sets, sequences: sequences)
    }

    /// An alternatives element: one-word alternatives merged for one lookup, longer ones kept in order.
    static func element(_ alternatives: [[Set<UInt64>]], optional: Bool) -> Element {
        let single = alternatives.filter { $0.count == 1 }.flatMap { $0[0] }
        let sequences = alternatives.filter { $0.count > 1 }.map { $0.map { HashedWordSet($0) } }
        return .alternatives(single: HashedWordSet(single), sequences: sequences, optional: optional)
    }

    /// A pattern whose `( … )` holds a person or another group (`(<self>|it all)`, `(a (b|c)|d)`) as
    /// several patterns, one per such alternative and one with the rest, so every group left holds
    /// plain words and classes.
    static func expand(_ text: String) -> [String] {
        let tokens = Self.tokens(text)
        // An optional opening: the pattern with it and without it.
        if let first = tokens.first, first.hasSuffix("?"), first.count > 1, tokens.count > 1 {
            return Self.expand(([String(first.dropLast())] + tokens.dropFirst()).joined(separator: " "))
                + Self.expand(tokens.dropFirst().joined(separator: " "))
        }
        func isComplex(_ alternative: String) -> Bool { alternative.contains("<") || alternative.contains("(") }
        guard
            let index = tokens.firstIndex(where: {
                $0.hasPrefix("(") && isComplex(String($0.dropFirst().dropLast(2)))
            })
        else { return [text] }
        var token = Substring(tokens[index])
        let optional = token.hasSuffix("?")
        if optional { token = token.dropLast() }
        // Split on the top-level `|` only.
        var alternatives: [String] = []
        var current = ""
        var depth = 0
        for character in token.dropFirst().dropLast() {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "|" && depth == 0 {
                alternatives.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        alternatives.append(current)
        let complex = alternatives.filter(isComplex)
        let plain = alternatives.filter { !isComplex($0) }
        var variants = complex
        if !plain.isEmpty { variants.append("(" + plain.joined(separator: "|") + ")") }
        if optional { variants.append("") }
        var result: [String] = []
        for variant in variants {
            var copy = tokens
            copy[index] = variant
            result += Self.expand(copy.filter { !$0.isEmpty }.joined(separator: " "))
        }
        return result
    }

    /// Splits a pattern into elements, keeping `( … )` whole.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth = max(0, depth - 1) }
            if character == " " && depth == 0 {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// The text with its spellings normalised, ready to match.
    public func read(_ words: [Word]) -> ConceptText {
        var keys: [UInt64] = []
        var bases: [UInt64] = []
        var sentences: [Int] = []
        var numeric: [Bool] = []
        keys.reserveCapacity(words.count)
        bases.reserveCapacity(words.count)
        sentences.reserveCapacity(words.count)
        numeric.reserveCapacity(words.count)
        for word in words {
            let key = self.spellings[word.hash] ?? word.hash
            keys.append(key)
            sentences.append(word.sentence)
            // Read from the bytes: a possessive `'s` (the tokenizer folds apostrophes to `'`) and a
            // leading digit, with the Unicode test only for a word that opens with a non-ASCII letter.
            let utf8 = word.folded.utf8
            let count = utf8.count
            var base = key
            if count > 2 {
                let last = utf8.index(before: utf8.endIndex)
                let apostrophe = utf8.index(before: last)
                if utf8[last] == UInt8(ascii: "s"), utf8[apostrophe] == UInt8(ascii: "'") {
                    base = wordHash(String(word.folded.dropLast(2)))
                }
            }
            bases.append(base)
            let first = utf8.first ?? 0
            numeric.append(
                first < 0x80
                    ? (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
                    : word.folded.first?.isNumber == true)
        }
        return ConceptText(words: words, keys: keys, bases: bases, sentences: sentences, numeric: numeric)
    }

    /// Every match in `text`: for each pattern and start, the shortest. `names` are the hashes of the
    /// session's names (first names, aliases), which count as people.
    public func matches(in text: ConceptText, names: Set<UInt64> = []) -> [Match] {
        self.matches(in: text, names: HashedWordSet(names))
    }

    func matches(in text: ConceptText, names: HashedWordSet) -> [Match] {
        text.keys.withUnsafeBufferPointer { keys in
            text.sentences.withUnsafeBufferPointer { sentences in
                text.numeric.withUnsafeBufferPointer { numeric in
                    self.matches(
                        in: text, View(keys: keys, sentences: sentences, numeric: numeric), names: names)
                }
            }
        }
    }

    private func matches(in text: ConceptText, _ view: View, names: HashedWordSet) -> [Match] {
        var found: [Match] = []
        var captures: [Capture] = []
        func attempt(_ index: Int, at start: Int) {
            captures.removeAll(keepingCapacity: true)
            if let end = self.match(
                Int(self.table.patternStarts[index]), view, start, view.sentences[start], persons(), &captures)
            {
                found.append(Match(words: start..<end, value: self.values[index], captures: captures))
            }
        }
        // The patterns each sentence can hold: those with a word of their anchor and of their second
        // anchor in it (a match never crosses a sentence). Each word is looked up once.
        let width = self.words.width
        let sentenceCount = (text.sentences.last ?? 0) + 1
        let first = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: width * sentenceCount * 2)
        defer { first.deallocate() }
        first.initialize(repeating: 0)
        let second = first.baseAddress! + width * sentenceCount
        let entries = UnsafeMutableBufferPointer<PatternWords.Entry?>.allocate(capacity: max(text.count, 1))
        defer { entries.deallocate() }
        var any = false
        for position in 0..<text.count {
            let entry = self.words.entry(text.keys[position])
            entries.initializeElement(at: position, to: entry)
            guard let entry else { continue }
            let row = text.sentences[position] * width
            if self.words.mark(entry, anchors: first.baseAddress! + row, seconds: second + row) { any = true }
        }
        guard any || !self.everyPatternAnchored else { return found }
        // A sentence where no pattern is viable is skipped whole.
        var people = false
        var viableSentences: UInt64 = 0
        for sentence in 0..<sentenceCount {
            let row = sentence * width
            var viable: UInt64 = 0
            for word in 0..<width {
                let both = (first[row + word] & (second[row + word] | self.oneAnchor[word])) | self.alwaysTried[word]
                first[row + word] = both
                viable |= both
                if both & self.personOpening[word] != 0 { people = true }
            }
            if viable != 0 || sentence >= 64 { viableSentences |= 1 << UInt64(min(sentence, 63)) }
        }
        var row = 0
        @inline(__always) func isViable(_ index: Int) -> Bool {
            first[row + (index >> 6)] & (1 << UInt64(index & 63)) != 0
        }
        // Where people start is read only when a pattern holding a person is tried.
        var read: PeopleAt? = nil
        func persons() -> PeopleAt {
            if let read { return read }
            let made = PeopleAt(text: text, names: names, words: self.people)
            read = made
            return made
        }
        for start in 0..<text.count {
            let sentence = text.sentences[start]
            guard viableSentences & (1 << UInt64(min(sentence, 63))) != 0 else { continue }
            row = sentence * width
            if let entry = entries[start] {
                for position in entry.opening..<entry.openingEnd {
                    let index = self.words.opener(position)
                    if isViable(index) { attempt(index, at: start) }
                }
            }
            // Patterns that open with a person, only where a person can start, and of those, only the
            // ones whose next word follows the person.
            guard people, persons().startsPerson(start) else { continue }
            for index in self.afterAnyone where isViable(index) { attempt(index, at: start) }
            // A person of several kinds (`my` is both) may be followed by the same word: try each once.
            var tried: (UInt64?, UInt64?) = (nil, nil)
            for kind in [SlotKind.who, .possessive, .reflexive] {
                guard let length = persons().length(kind, start), start + length < text.count else { continue }
                let key = text.keys[start + length]
                guard key != tried.0, key != tried.1 else { continue }
                if tried.0 == nil { tried.0 = key } else { tried.1 = key }
                self.afterPerson.forEach(key) { index in
                    if isViable(index) { attempt(index, at: start) }
                }
            }
        }
        return found
    }

    /// Whether the text can hold a match at all: some pattern has a word of its anchor and of its
    /// second anchor in it.
    func mayMatch(_ text: ConceptText) -> Bool {
        self.mayMatch(keys: text.keys)
    }

    /// The same, over tokenised words not yet read (their spellings normalised on the way), so an
    /// utterance that cannot match costs no reading at all.
    func mayMatch(_ words: [Word]) -> Bool {
        self.mayMatch(keys: words.lazy.map { self.spellings[$0.hash] ?? $0.hash })
    }

    private func mayMatch(keys: some Sequence<UInt64>) -> Bool {
        guard self.everyPatternAnchored else { return true }
        return keys.contains { self.words.entry($0)?.anchors ?? -1 >= 0 }
    }

    /// The words of one text, without reference counting.
    private struct View {
        var keys: UnsafeBufferPointer<UInt64>
        var sentences: UnsafeBufferPointer<Int>
        var numeric: UnsafeBufferPointer<Bool>

        @inline(__always) func within(_ position: Int, _ sentence: Int) -> Bool {
            position < self.keys.count && self.sentences[position] == sentence
        }
    }

    /// The end of the shortest match of the steps from `step` at `position`, or nil.
    private func match(
        _ step: Int, _ text: View, _ position: Int, _ sentence: Int, _ persons: PeopleAt, _ captures: inout [Capture]
    ) -> Int? {
        let table = self.table
        let current = table.steps[step]
        switch current.kind {
        case PatternTable.Step.words:
            if current.a >= 0, text.within(position, sentence), table.contains(current.a, text.keys[position]),
                let end = self.match(step + 1, text, position + 1, sentence, persons, &captures)
            {
                return end
            }
            var sequence = Int(current.b)
            while sequence < Int(current.b) + Int(current.c) {
                let first = Int(table.sequenceStarts[sequence])
                let length = Int(table.sequenceLengths[sequence])
                var at = position
                var ok = true
                for offset in 0..<length {
                    guard text.within(at, sentence), table.contains(table.sequenceSets[first + offset], text.keys[at])
                    else {
                        ok = false
                        break
                    }
                    at += 1
                }
                if ok, let end = self.match(step + 1, text, at, sentence, persons, &captures) { return end }
                sequence += 1
            }
            return current.optional ? self.match(step + 1, text, position, sentence, persons, &captures) : nil
        case PatternTable.Step.number:
            if text.within(position, sentence),
                text.numeric[position] || self.numberWords.contains(text.keys[position]),
                let end = self.match(step + 1, text, position + 1, sentence, persons, &captures)
            {
                return end
            }
            return current.optional ? self.match(step + 1, text, position, sentence, persons, &captures) : nil
        case PatternTable.Step.gap:
            for skip in 0...Int(current.a) {
                let next = position + skip
                if skip > 0 && (next > text.keys.count || text.sentences[next - 1] != sentence) { break }
                if let end = self.match(step + 1, text, next, sentence, persons, &captures) { return end }
            }
            return nil
        case PatternTable.Step.slot:
            let kind: SlotKind = current.a == 0 ? .who : current.a == 1 ? .reflexive : .possessive
            if text.within(position, sentence), let length = persons.length(kind, position) {
                let saved = captures.count
                captures.append(Capture(kind: kind, words: position..<(position + length)))
                if let end = self.match(step + 1, text, position + length, sentence, persons, &captures) {
                    return end
                }
                captures.removeSubrange(saved...)
            }
            return current.optional ? self.match(step + 1, text, position, sentence, persons, &captures) : nil
        default:
            return position
        }
    }
}

/// Word forms, word classes and person words compiled once for several matchers over one language
/// (the RiskScreener compiles six). Used while compiling only, on one thread.
final class PatternCache {
    var forms: [String: Set<UInt64>] = [:]
    var classes: [String: [[Set<UInt64>]]] = [:]
    var people: PeopleWords?
}

/// Where people start in one text and how many words they take, each position read at most once per
/// match pass (on first use).
final class PeopleAt {
    private let text: ConceptText
    private let names: HashedWordSet
    private let words: PeopleWords
    /// Per position: -1 not read yet, else the length (0: no person). Memory of its own, so reading and
    /// writing it checks no exclusive access.
    private let who: UnsafeMutableBufferPointer<Int8>
    private let possessive: UnsafeMutableBufferPointer<Int8>

    init(text: ConceptText, names: HashedWordSet, words: PeopleWords) {
        self.text = text
        self.names = names
        self.words = words
        self.who = .allocate(capacity: max(text.count, 1))
        self.who.initialize(repeating: -1)
        self.possessive = .allocate(capacity: max(text.count, 1))
        self.possessive.initialize(repeating: -1)
    }

    deinit {
        self.who.deallocate()
        self.possessive.deallocate()
    }

    func startsPerson(_ position: Int) -> Bool {
        let key = self.text.keys[position]
        let base = self.text.bases[position]
        // Most words cannot start a person at all.
        guard
            self.words.starters.contains(key) || self.words.starters.contains(base) || self.names.contains(key)
                || self.names.contains(base) || (key != base && self.words.nouns.contains(base))
        else { return false }
        return self.length(ConceptMatcher<Int>.SlotKind.who, position) != nil
            || self.words.reflexives.contains(self.text.keys[position])
            || self.length(ConceptMatcher<Int>.SlotKind.possessive, position) != nil
    }

    func length(_ kind: ConceptMatcher<some Sendable>.SlotKind, _ position: Int) -> Int? {
        switch kind {
        case .reflexive:
            return self.words.reflexives.contains(self.text.keys[position]) ? 1 : nil
        case .who:
            if self.who[position] < 0 {
                self.who[position] = Int8(
                    self.words.person(at: position, in: self.text, names: self.names, kind: kind) ?? 0)
            }
            return self.who[position] > 0 ? Int(self.who[position]) : nil
        case .possessive:
            if self.possessive[position] < 0 {
                self.possessive[position] = Int8(
                    self.words.person(at: position, in: self.text, names: self.names, kind: kind) ?? 0)
            }
            return self.possessive[position] > 0 ? Int(self.possessive[position]) : nil
        }
    }
}

/// The words that refer to people: pronouns, reflexives, possessives before a relative or another
/// person (`my son`, `her boyfriend`, `a friend`), read from the language's classes `pronoun`,
/// `reflexive`, `determiner`, `relative`, `acquaintance` and `modifier`.
final class PeopleWords: Sendable {
    let pronouns: HashedWordSet
    let reflexives: HashedWordSet
    let possessives: HashedWordSet
    let determiners: HashedWordSet
    let nouns: HashedWordSet
    /// Relatives named without a determiner (`Mom told me`, `dad hit mom`).
    let kinNames: HashedWordSet
    let modifiers: HashedWordSet
    /// Nouns a person owns (`Sam's car`), so `Sam's` before them is a possessive, not `Sam is`.
    let possessed: HashedWordSet
    /// Every word a person can start with besides names and possessive nouns: a quick first test.
    let starters: HashedWordSet

    init(language: PatternLanguage, forms: (String) -> Set<UInt64>) {
        func words(_ name: String, inflect: Bool) -> Set<UInt64> {
            var result: Set<UInt64> = []
            for word in language.classes[name] ?? [] {
                result.formUnion(inflect ? forms(word) : [wordHash(word)])
            }
            return result
        }
        self.pronouns = HashedWordSet(words("pronoun", inflect: false))
        self.reflexives = HashedWordSet(words("reflexive", inflect: false))
        self.possessives = HashedWordSet(words("possessive", inflect: false))
        self.determiners = HashedWordSet(words("determiner", inflect: false))
        let nouns = words("relative", inflect: true).union(words("acquaintance", inflect: true))
        self.nouns = HashedWordSet(nouns)
        self.kinNames = HashedWordSet(words("kin-name", inflect: false))
        self.starters = HashedWordSet(
            ["pronoun", "reflexive", "possessive", "determiner", "kin-name"].flatMap { words($0, inflect: false) })
        self.modifiers = HashedWordSet(words("modifier", inflect: false))
        var possessed = words("possessed", inflect: true)
        for name in ["body", "firearm", "medication", "ligature", "blade", "vehicle"] {
            possessed.formUnion(words(name, inflect: true))
        }
        self.possessed = HashedWordSet(possessed.union(nouns))
    }

    /// Whether `X's` at `position` owns the next word (`Sam's car`) rather than being `Sam is`.
    func isPossessive(at position: Int, in text: ConceptText) -> Bool {
        guard text.keys[position] != text.bases[position] else { return false }
        let next = position + 1
        return next < text.count && text.sentences[next] == text.sentences[position]
            && (self.possessed.contains(text.keys[next]) || self.modifiers.contains(text.keys[next]))
    }

    /// The length of the person reference at `position`, or nil.
    func person(
        at position: Int, in text: ConceptText, names: HashedWordSet, kind: ConceptMatcher<some Sendable>.SlotKind
    )
        -> Int?
    {
        let key = text.keys[position]
        let base = text.bases[position]
        switch kind {
        case .reflexive:
            return self.reflexives.contains(key) ? 1 : nil
        case .possessive:
            if self.possessives.contains(key) { return 1 }
            if key != base, names.contains(base) || self.kinNames.contains(base) { return 1 }
            if self.determiners.contains(key), position + 1 < text.count,
                text.keys[position + 1] != text.bases[position + 1],
                self.nouns.contains(text.bases[position + 1])
            {
                return 2
            }
            return nil
        case .who:
            break
        }
        if names.contains(key) || names.contains(base) || self.kinNames.contains(key) || self.kinNames.contains(base) {
            return 1
        }
        // `my son`, `my little brother`, `my 15-year-old`, `her ex`, before a lone `her`.
        if self.determiners.contains(key) {
            var at = position + 1
            let sentence = text.sentences[position]
            for _ in 0..<3 {
                guard at < text.count, text.sentences[at] == sentence else { break }
                // `my best friend's husband`, `my mom's ex`: an owner on the way to the person.
                let owner = text.keys[at] != text.bases[at] && self.nouns.contains(text.bases[at])
                let ownsPerson =
                    owner && at + 1 < text.count && text.sentences[at + 1] == sentence
                    && self.nouns.contains(text.bases[at + 1])
                if !ownsPerson,
                    self.nouns.contains(text.keys[at]) || self.nouns.contains(text.bases[at])
                        || names.contains(text.bases[at])
                {
                    return at - position + 1
                }
                guard owner || self.modifiers.contains(text.keys[at]) || text.numeric[at]
                else { break }
                if owner, at + 1 < text.count, !self.nouns.contains(text.bases[at + 1]) {
                    return at - position + 1
                }
                at += 1
            }
        }
        if self.pronouns.contains(key) { return 1 }
        if self.nouns.contains(base) && base != key { return 1 }
        return nil
    }
}

/// Words too common to anchor a pattern.
let conceptFunctionWords: Set<UInt64> = Set(
    [
        "i", "me", "my", "you", "your", "he", "him", "his", "she", "her", "it", "we", "they", "them", "the", "a",
        "an", "and", "or", "to", "of", "in", "on", "at", "for", "with", "is", "was", "be", "been", "are", "were",
        "am", "have", "has", "had", "do", "did", "does", "that", "this", "so", "just", "like", "not", "no", "get",
        "got", "go", "going", "what", "i'm", "it's", "that's", "don't", "can", "will", "would", "about", "if",
        "but", "all", "up", "out", "there", "know", "think", "want", "say", "said", "one", "some", "really",
    ].map { wordHash($0) })
