/// The roster's names indexed by word, for finding people in labels and in speech.
struct NameDirectory: Sendable {
    enum Part: Int, Sendable, Comparable {
        case nickname, last, alias, first, full

        static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    struct Entry: Sendable {
        var person: Int
        var part: Part
        /// Words that must follow for the entry to match (the rest of a full name or alias).
        var rest: [String]
    }

    /// A person found in a run of words.
    struct Mention: Sendable {
        var people: [Int]
        var words: Range<Int>
        var part: Part
        /// A title came first (`Mrs. Lopez`).
        var titled: Bool
        /// The name carried a possessive (`Jake's`).
        var possessive: Bool
    }

    let roster: Roster
    private var building: [String: [Entry]] = [:]
    private var table = WordTable<[Entry]>([])
    /// Folded name words of each person: given names, family names and aliases.
    private(set) var firstNames: [Set<String>]
    private(set) var lastNames: [Set<String>]
    private(set) var fullNames: [[String]]
    private(set) var aliasNames: [[[String]]]
    private(set) var nicknameNames: [Set<String>]
    /// Given names, nicknames and one-word aliases of four letters or more, for misheard names.
    private var spokenNames: [(person: Int, name: [Unicode.Scalar])] = []
    private var spokenInitials: Set<Unicode.Scalar> = []
    /// The session's texts, to tell an ordinary word asked alone from a name: one the session writes in
    /// lower case somewhere. Empty when no transcript was read (a name asked alone is then not read as
    /// misheard).
    var sessionTexts: [TokenizedText] = []

    init(roster: Roster, lexicon: CompiledLexicon) {
        self.roster = roster
        let count = roster.people.count
        self.firstNames = Array(repeating: [], count: count)
        self.lastNames = Array(repeating: [], count: count)
        self.fullNames = Array(repeating: [], count: count)
        self.aliasNames = Array(repeating: [], count: count)
        self.nicknameNames = Array(repeating: [], count: count)
        for (index, person) in roster.people.enumerated() {
            var words = lexicon.tokenizer.tokenize(person.name).words.map(\.folded)
            // Titles and credentials written into a roster name are not part of it.
            while let first = words.first, lexicon.titles.contains(first), words.count > 1 { words.removeFirst() }
            while let last = words.last, lexicon.credentials.contains(last), words.count > 1 { words.removeLast() }
            guard let first = words.first else { continue }
            self.fullNames[index] = words
            self.firstNames[index].insert(first)
            self.add(first, Entry(person: index, part: .first, rest: []))
            if words.count > 1 {
                self.add(first, Entry(person: index, part: .full, rest: Array(words.dropFirst())))
                let last = words[words.count - 1]
                self.lastNames[index].insert(last)
                self.add(last, Entry(person: index, part: .last, rest: []))
                if last.contains("-") {
                    for part in last.split(separator: "-") where part.count > 1 {
                        self.lastNames[index].insert(String(part))
                        self.add(String(part), Entry(person: index, part: .last, rest: []))
                    }
                }
            }
            for nickname in lexicon.nicknames[first] ?? [] where nickname != first {
                self.nicknameNames[index].insert(nickname)
                self.add(nickname, Entry(person: index, part: .nickname, rest: []))
            }
            for alias in person.aliases {
                let aliasWords = lexicon.tokenizer.tokenize(alias).words.map(\.folded)
                guard let head = aliasWords.first else { continue }
                self.aliasNames[index].append(aliasWords)
                self.add(head, Entry(person: index, part: .alias, rest: Array(aliasWords.dropFirst())))
            }
        }
        self.table = WordTable(self.building.map { ($0.key, $0.value) })
        self.building = [:]
        // One-word names a misheard word may stand for, as scalars, longest first per person.
        var spoken: [(person: Int, name: [Unicode.Scalar])] = []
        for person in roster.people.indices {
            let names = self.firstNames[person].union(self.nicknameNames[person])
                .union(self.aliasNames[person].filter { $0.count == 1 }.map { $0[0] })
            for name in names.sorted() where name.unicodeScalars.count >= 4 {
                spoken.append((person, Array(name.unicodeScalars)))
            }
        }
        self.spokenNames = spoken
        self.spokenInitials = Set(spoken.map { $0.name[0] })
    }

    private mutating func add(_ word: String, _ entry: Entry) {
        var list = self.building[word, default: []]
        if !list.contains(where: { $0.person == entry.person && $0.part == entry.part && $0.rest == entry.rest }) {
            list.append(entry)
        }
        self.building[word] = list
    }

    func entries(for word: String) -> [Entry] { self.table[word] ?? [] }

    /// People found in `words`, longest match first at each position, without overlaps.
    ///
    /// `caseless` says the text has no capitals at all; otherwise a first name that is also a common
    /// word (`Will`, `Hope`) counts only when capitalised and not merely sentence-initial.
    func mentions(in words: [Word], caseless: Bool, lexicon: CompiledLexicon) -> [Mention] {
        var found: [Mention] = []
        var position = 0
        while position < words.count {
            let word = words[position]
            var titled = false
            var start = position
            var nameIndex = position
            if lexicon.titleWords.contains(word), position + 1 < words.count,
                words[position + 1].sentence == word.sentence
            {
                titled = true
                nameIndex = position + 1
                start = position
            }
            if let mention = self.match(
                at: nameIndex, in: words, titled: titled, titleWord: titled ? word.folded : nil,
                caseless: caseless, lexicon: lexicon)
            {
                found.append(
                    Mention(
                        people: mention.people, words: start..<mention.end, part: mention.part,
                        titled: titled, possessive: mention.possessive))
                position = mention.end
                continue
            }
            position += 1
        }
        return found
    }

    /// `maria's`: longer than the `'s` alone, read from the bytes.
    static func isPossessive(_ folded: String) -> Bool {
        let utf8 = folded.utf8
        guard utf8.count > 2 else { return false }
        let last = utf8.index(before: utf8.endIndex)
        return utf8[last] == UInt8(ascii: "s") && utf8[utf8.index(before: last)] == UInt8(ascii: "'")
    }

    private func match(
        at index: Int, in words: [Word], titled: Bool, titleWord: String?, caseless: Bool, lexicon: CompiledLexicon
    ) -> (people: [Int], end: Int, part: Part, possessive: Bool)? {
        var folded = words[index].folded
        var possessive = false
        var candidates: [Entry]
        if let direct = self.table[words[index]] {
            candidates = direct
        } else if Self.isPossessive(folded) {
            folded.removeLast(2)
            possessive = true
            candidates = self.entries(for: folded)
        } else if let person = self.misheard(words[index], caseless: caseless, lexicon: lexicon) {
            // A name speech recognition misheard by a letter or two (`Mariah` for `Maria`).
            return ([person], index + 1, .first, false)
        } else {
            return nil
        }
        guard !candidates.isEmpty else { return nil }
        var best: (people: [Int], end: Int, part: Part)? = nil
        for entry in candidates {
            // Multi-word entries must be followed by the rest of the name in the same sentence.
            var end = index + 1
            if !entry.rest.isEmpty {
                guard !possessive, index + entry.rest.count < words.count else { continue }
                var matched = true
                for (offset, part) in entry.rest.enumerated() {
                    var next = words[index + 1 + offset].folded
                    if offset == entry.rest.count - 1, next.hasSuffix("'s") { next.removeLast(2) }
                    if next != part || words[index + 1 + offset].sentence != words[index].sentence {
                        matched = false
                        break
                    }
                }
                guard matched else { continue }
                end = index + 1 + entry.rest.count
                if words[end - 1].folded.hasSuffix("'s") { possessive = true }
            }
            // A bare family name is a mention only after a title.
            if entry.part == .last && !titled { continue }
            if titled, let titleWord, entry.part == .last,
                !lexicon.suits(title: titleWord, relationship: self.roster.people[entry.person].relationship)
            {
                continue
            }
            // A full or titled name is unambiguous; a bare first name that is also a common word is not.
            if entry.rest.isEmpty && !titled && lexicon.commonWordNames.contains(folded) {
                let word = words[index]
                let vocativeComma = word.after == .comma || (index > 0 && words[index - 1].after == .comma)
                let plausible =
                    caseless ? vocativeComma : word.isCapitalized && (vocativeComma || !word.opensClause)
                if !plausible { continue }
            }
            if let current = best {
                if end > current.end || (end == current.end && entry.part > current.part) {
                    best = ([entry.person], end, entry.part)
                } else if end == current.end && entry.part == current.part && !current.people.contains(entry.person) {
                    best = (current.people + [entry.person], end, entry.part)
                }
            } else {
                best = ([entry.person], end, entry.part)
            }
        }
        guard let best else { return nil }
        return (best.people, best.end, best.part, possessive)
    }

    /// The one person whose given name or one-word alias a capitalised word inside a clause is a
    /// near-miss of: within one edit (two for names of seven letters or more), starting with the same
    /// letter, and nearer to that person's name than to anyone else's, so two roster members with
    /// similar names are never merged. Caseless text, clause openers and common words are not read.
    /// First letters that can sound alike (`Caitlin`, `Katelyn`; `Philip`, `Filip`).
    static let soundAlikeInitials: [Unicode.Scalar: Set<Unicode.Scalar>] = [
        "c": ["k", "s", "q"], "k": ["c", "q"], "q": ["c", "k"], "s": ["c", "z"], "z": ["s"], "p": ["f"], "f": ["p"],
        "g": ["j"], "j": ["g"],
    ]

    private func misheard(_ word: Word, caseless: Bool, lexicon: CompiledLexicon) -> Int? {
        // Inside a clause, or opening one as an address (`Caitlin, how was it?`). Reading a name set off
        // at the end of a clause too (`How was it, Caitlin?`) was measured: on the simulator's realistic
        // mix it gained 1.7 points of correct lines and cost 0.5 points of wrong ones, so it is not done.
        // A name asked as a whole sentence (`Lunda?`) is a call, the way a group's round is taken; an
        // ordinary word asked alone (`Really?` beside a `Reilly`) is not: one the session writes in lower
        // case somewhere, or one of the lexicon's common words.
        guard !caseless, word.isCapitalized,
            !word.opensClause || word.after == .comma
                || (word.after == .question && !self.sessionTexts.isEmpty
                    && !lexicon.echoIgnore.contains(word.folded))
        else { return nil }
        // Cheap tests first: most capitalised words start with no roster name's letter.
        let folded = word.folded
        guard let initial = folded.unicodeScalars.first,
            self.spokenInitials.contains(initial)
                || Self.soundAlikeInitials[initial].map({
                    !self.spokenInitials.isDisjoint(with: $0)
                }) == true,
            folded.utf8.count >= 4, !folded.utf8.contains(UInt8(ascii: "'")),
            !lexicon.commonWordNames.contains(folded), folded.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic })
        else { return nil }
        let scalars = Array(folded.unicodeScalars)
        var nearest = [Int: Int]()
        var sound: String? = nil
        for (person, name) in self.spokenNames where abs(name.count - scalars.count) <= 3 {
            let limit = name.count >= 7 ? 2 : 1
            if name[0] == scalars[0], let distance = EditDistance.distance(scalars, name, limit: limit) {
                nearest[person] = min(nearest[person] ?? Int.max, distance)
            } else if name.count >= 5, abs(name.count - scalars.count) <= 2, name != scalars {
                // Spelled further off, but sounding the same (`Caitlin` for `Katelyn`): as near as the limit.
                sound = sound ?? PhoneticKey.key(scalars)
                if let sound, sound.count >= 3, PhoneticKey.key(name) == sound {
                    nearest[person] = min(nearest[person] ?? Int.max, limit)
                }
            }
        }
        let ranked = nearest.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        guard let first = ranked.first else { return nil }
        let best = (person: first.key, distance: first.value)
        let runnerUp = ranked.count > 1 ? ranked[1].value : Int.max
        guard best.distance > 0, runnerUp > best.distance else { return nil }
        if word.opensClause && word.after == .question {
            // Asked alone: no word the session writes in lower case anywhere.
            let hash = word.hash
            let ordinary = self.sessionTexts.contains { text in
                text.words.contains { !$0.isCapitalized && $0.hash == hash && $0.folded == word.folded }
            }
            if ordinary { return nil }
        }
        return best.person
    }
}
