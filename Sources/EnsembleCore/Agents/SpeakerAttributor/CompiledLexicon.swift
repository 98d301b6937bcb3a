/// The attributor's lexicon turned into sets and phrase indexes once, when the agent is created.
struct CompiledLexicon: Sendable {
    enum LabelRole: Sendable, Hashable {
        case clinician, coTherapist, client, guest, child
        case relationship(String)
    }

    enum Cue: Sendable, Hashable {
        case selfIntroduction, handOff, thanks
    }

    let tokenizer: Tokenizer
    let titles: Set<String>
    /// The same sets as word tables, for the lookups made on every word.
    let titleWords: WordTable<Bool>
    let firstPersonWords: WordTable<Bool>
    let secondPersonWords: WordTable<Bool>
    let relationshipWords: WordTable<String>
    let femaleTitles: Set<String>
    let maleTitles: Set<String>
    let credentials: Set<String>
    let labelNoise: Set<String>
    let anonymousPatterns: [[UInt8]]
    /// Whole folded label text → role.
    let labelRoles: [String: LabelRole]
    /// A word for a relationship (`mom`) → the canonical relationship (`mother`).
    let relationshipByWord: [String: String]
    let femaleRelationships: Set<String>
    let maleRelationships: Set<String>
    let adultRelationships: Set<String>
    /// Parent relationship → [the other parent's relationship, the spouse role it implies].
    let parentSpouses: [String: [String]]
    let relationshipPhrases: PhraseIndex<Int>
    let relationshipPhraseList: [AttributorConfiguration.RelationshipPhrase]
    let cues: PhraseIndex<Cue>
    let clinicianPhrases: PhraseIndex<Double>
    /// true = a child's topic, false = an adult's.
    let ageTopics: PhraseIndex<Bool>
    let commonWordNames: Set<String>
    let groupWords: PhraseIndex<Bool>
    let denials: Set<String>
    let echoIgnore: Set<String>
    let answerOpeners: Set<String>
    let continuationOpeners: PhraseIndex<Bool>
    let nicknames: [String: [String]]
    /// Words that make a following relationship word a reference rather than an address (`my mom`).
    let determiners: Set<String> = [
        "my", "your", "his", "her", "their", "our", "the", "a", "an", "this", "that", "whose", "its", "y'all's",
    ]
    let firstPerson: Set<String> = ["i", "i'm", "me", "my", "mine", "myself", "i've", "i'd", "i'll"]
    /// Third-person pronouns by the pronoun set they belong to (`she` → `she`), for telling apart two
    /// people on one device by whom a line speaks of.
    let thirdPerson: [String: String] = [
        "she": "she", "her": "she", "hers": "she", "herself": "she", "she's": "she", "she'd": "she", "she'll": "she",
        "he": "he", "him": "he", "his": "he", "himself": "he", "he's": "he", "he'd": "he", "he'll": "he",
    ]
    let secondPerson: Set<String> = [
        "you", "your", "you're", "yours", "yourself", "you've", "you'd", "you'll", "y'all",
    ]

    init(_ lexicon: AttributorConfiguration.Lexicon) {
        let tokenizer = Tokenizer()
        self.tokenizer = tokenizer
        let fold = { (words: [String]) in Set(words.map { TextFolding.fold($0) }) }
        self.titles = fold(lexicon.titles)
        self.femaleTitles = fold(lexicon.femaleTitles)
        self.maleTitles = fold(lexicon.maleTitles)
        self.credentials = fold(lexicon.credentials)
        self.labelNoise = fold(lexicon.labelNoise)
        self.anonymousPatterns = lexicon.anonymousLabelPatterns.map { Array(TextFolding.fold($0).utf8) }
        var roles: [String: LabelRole] = [:]
        for word in lexicon.clinicianLabels { roles[Self.key(word, tokenizer)] = .clinician }
        for word in lexicon.coTherapistLabels { roles[Self.key(word, tokenizer)] = .coTherapist }
        for word in lexicon.clientLabels { roles[Self.key(word, tokenizer)] = .client }
        for word in lexicon.guestLabels { roles[Self.key(word, tokenizer)] = .guest }
        for word in lexicon.childLabels { roles[Self.key(word, tokenizer)] = .child }
        var byWord: [String: String] = [:]
        for (relationship, words) in lexicon.relationshipWords {
            let canonical = TextFolding.fold(relationship)
            byWord[canonical] = canonical
            for word in words { byWord[Self.key(word, tokenizer)] = canonical }
        }
        for (word, relationship) in byWord where roles[word] == nil { roles[word] = .relationship(relationship) }
        self.labelRoles = roles
        self.relationshipByWord = byWord
        self.femaleRelationships = fold(lexicon.femaleRelationships)
        self.maleRelationships = fold(lexicon.maleRelationships)
        self.adultRelationships = fold(lexicon.adultRelationships)
        self.parentSpouses = Dictionary(
            lexicon.parentSpouses.map { (TextFolding.fold($0.key), $0.value.map(TextFolding.fold)) },
            uniquingKeysWith: { first, _ in first })
        self.relationshipPhraseList = lexicon.relationshipPhrases
        self.relationshipPhrases = PhraseIndex(
            lexicon.relationshipPhrases.enumerated().map { ($1.phrase, $0) }, tokenizer: tokenizer
        )
        self.cues = PhraseIndex(
            lexicon.selfIntroductions.map { ($0, Cue.selfIntroduction) } + lexicon.handOffs.map { ($0, Cue.handOff) }
                + lexicon.thanks.map { ($0, Cue.thanks) },
            tokenizer: tokenizer
        )
        self.clinicianPhrases = PhraseIndex(
            lexicon.clinicianPhrases.map { ($0.phrase, $0.weight) }, tokenizer: tokenizer)
        self.ageTopics = PhraseIndex(
            lexicon.childTopics.map { ($0, true) } + lexicon.adultTopics.map { ($0, false) }, tokenizer: tokenizer
        )
        self.commonWordNames = fold(lexicon.commonWordNames)
        self.groupWords = PhraseIndex(lexicon.groupWords.map { ($0, true) }, tokenizer: tokenizer)
        self.denials = Set(lexicon.denials.map(TextFolding.fold))
        self.echoIgnore = Set(lexicon.echoIgnore.map(TextFolding.fold))
        self.answerOpeners = Set(lexicon.answerOpeners.map(TextFolding.fold))
        self.continuationOpeners = PhraseIndex(lexicon.continuationOpeners.map { ($0, true) }, tokenizer: tokenizer)
        var nicknames: [String: [String]] = [:]
        for (name, short) in lexicon.nicknames {
            nicknames[TextFolding.fold(name)] = short.map { TextFolding.fold($0) }
        }
        self.nicknames = nicknames
        self.titleWords = WordTable(self.titles.map { ($0, true) })
        self.firstPersonWords = WordTable(self.firstPerson.map { ($0, true) })
        self.secondPersonWords = WordTable(self.secondPerson.map { ($0, true) })
        self.relationshipWords = WordTable(byWord.map { ($0.key, $0.value) })
    }

    /// The folded words of a phrase joined by single spaces.
    static func key(_ phrase: String, _ tokenizer: Tokenizer) -> String {
        tokenizer.tokenize(phrase).words.map(\.folded).joined(separator: " ")
    }

    /// Whether a folded label is an anonymous diarization id (`speaker_03`, `spk_1`, `a`).
    func isAnonymous(_ folded: String) -> Bool {
        let text = Array(folded.utf8)
        return self.anonymousPatterns.contains { Self.match(pattern: $0, text: text) }
    }

    /// `#` matches one or more digits, `@` exactly one ASCII letter; everything else matches itself.
    static func match(pattern: [UInt8], text: [UInt8]) -> Bool {
        var p = 0
        var t = 0
        while p < pattern.count {
            switch pattern[p] {
            case UInt8(ascii: "#"):
                let start = t
                while t < text.count, text[t] >= UInt8(ascii: "0"), text[t] <= UInt8(ascii: "9") { t += 1 }
                if t == start { return false }
            case UInt8(ascii: "@"):
                guard t < text.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(text[t]) else { return false }
                t += 1
            default:
                guard t < text.count, text[t] == pattern[p] else { return false }
                t += 1
            }
            p += 1
        }
        return t == text.count
    }

    /// Whether the person's relationship suits a title's gender (`mrs` → not a father).
    func suits(title: String, relationship: String?) -> Bool {
        guard let relationship else { return true }
        if self.femaleTitles.contains(title) { return !self.maleRelationships.contains(relationship) }
        if self.maleTitles.contains(title) { return !self.femaleRelationships.contains(relationship) }
        return true
    }
}
