/// How a note turns what a member said in the first person into third-person reported speech
/// (`I had two panic attacks` → `she had two panic attacks`), from `reportedSpeech` in
/// `Agents/note-drafter/config.json`. The word tables are data; irregular verb forms come from the
/// shared language configuration.
public struct ReportedSpeechConfiguration: Sendable, Hashable {
    /// One set of third-person pronouns.
    public struct Pronouns: Sendable, Hashable {
        public var subject: String
        public var object: String
        public var possessive: String
        public var independent: String
        public var reflexive: String
        /// The verb agrees as with `they` (`they were`, `they have`), not as with `she`.
        public var plural: Bool

        public init(
            subject: String, object: String, possessive: String, independent: String, reflexive: String, plural: Bool
        ) {
            self.subject = subject
            self.object = object
            self.possessive = possessive
            self.independent = independent
            self.reflexive = reflexive
            self.plural = plural
        }
    }

    /// Pronoun sets by key (`she`, `he`, `they`); an attendee's `pronouns` names one.
    public var pronouns: [String: Pronouns]
    /// The set used when the chart gives none and the relationship implies none.
    public var defaultPronouns: String
    /// A relationship word (`mother`, `son`) → the pronoun set it implies.
    public var relationshipPronouns: [String: String]
    /// First-person contractions written out (`i'm` → `i am`).
    public var expansions: [String: String]
    /// A first-person verb form → its form after a singular and after a plural third person
    /// (`am` → `is`, `are`; `don't` → `doesn't`, `don't`).
    public var agreement: [String: [String]]
    /// Words between the subject and its verb that leave the verb to agree (`just`, `really`).
    public var adverbs: [String]
    /// Verb forms that never change with the subject: modals, past forms the same as the base (`hit`).
    public var unchanged: [String]
    /// Words that keep a sentence as a quote: they speak to someone or for several people, and
    /// reported speech would have to guess who (`you`, `we`).
    public var direct: [String]
    /// Words written with a capital letter wherever they stand (days, months).
    public var capitalised: [String]
    /// Asides dropped where a comma follows them (`i mean`, `i guess`).
    public var asides: [String]
    /// First words of a fragment that cannot stand as a clause (`or`, `because`): such a sentence is
    /// not reported.
    public var fragmentOpeners: [String]
    /// Words that may open a clause before a comma (`Sometimes, I …`, `Yesterday, I …`).
    public var openingAdverbs: [String] = []
    /// Present-tense verbs that end in `-ed` (`need`, `proceed`): not past forms.
    public var presentInEd: [String]
    /// Irregular verb forms (base → forms), from the language configuration: a form is not a base.
    public var irregular: [String: [String]]

    public init(
        pronouns: [String: Pronouns] = [:], defaultPronouns: String = "they",
        relationshipPronouns: [String: String] = [:],
        expansions: [String: String] = [:], agreement: [String: [String]] = [:], adverbs: [String] = [],
        unchanged: [String] = [], direct: [String] = [], capitalised: [String] = [], asides: [String] = [],
        fragmentOpeners: [String] = [], presentInEd: [String] = [], irregular: [String: [String]] = [:]
    ) {
        self.presentInEd = presentInEd
        self.asides = asides
        self.fragmentOpeners = fragmentOpeners
        self.pronouns = pronouns
        self.defaultPronouns = defaultPronouns
        self.relationshipPronouns = relationshipPronouns
        self.expansions = expansions
        self.agreement = agreement
        self.adverbs = adverbs
        self.unchanged = unchanged
        self.direct = direct
        self.capitalised = capitalised
        self.irregular = irregular
    }

    /// With no pronoun sets nothing is converted: every statement stays a quote.
    public var isEnabled: Bool { !self.pronouns.isEmpty }
}

/// Third-person reported speech from a member's sentence, compiled from its configuration.
struct ReportedSpeech: Sendable {
    typealias Pronouns = ReportedSpeechConfiguration.Pronouns

    let configuration: ReportedSpeechConfiguration
    private let expansions: [String: [String]]
    private let adverbs: Set<String>
    private let unchanged: Set<String>
    private let bases: Set<String>
    private let direct: Set<String>
    private let capitalised: Set<String>
    private let asides: Set<String>
    private let fragments: Set<String>
    private let presentInEd: Set<String>
    private let openingAdverbs: Set<String>
    /// Hashes of words that are surely verbs or carry one (`i`, `am`, `can't`, irregular forms).
    private let verbs: HashedWordSet

    init(_ configuration: ReportedSpeechConfiguration) {
        self.configuration = configuration
        self.expansions = configuration.expansions.mapValues { $0.split(separator: " ").map(String.init) }
        self.adverbs = Set(configuration.adverbs)
        self.bases = Set(configuration.irregular.keys)
        self.unchanged = Set(configuration.unchanged).union(configuration.irregular.values.joined())
            .subtracting(configuration.agreement.keys)
        self.direct = Set(configuration.direct)
        self.capitalised = Set(configuration.capitalised)
        self.asides = Set(configuration.asides)
        self.fragments = Set(configuration.fragmentOpeners)
        self.presentInEd = Set(configuration.presentInEd)
        self.openingAdverbs = Set(configuration.openingAdverbs)
        let verbWords =
            ["i"] + Array(configuration.expansions.keys) + Array(configuration.irregular.keys)
            + Array(configuration.irregular.values.joined()) + configuration.unchanged
            + Array(configuration.agreement.keys)
        self.verbs = HashedWordSet(verbWords.map(wordHash))
    }

    /// The pronouns a note uses for an attendee: the chart's, else their relationship's, else the default.
    func pronouns(for attendee: Attendee) -> Pronouns? {
        let table = self.configuration.pronouns
        // `she/her` names the set by its first form.
        if let given = attendee.pronouns, let key = TextFolding.fold(given).split(separator: "/").first,
            let set = table[String(key).trimmingCharacters(while: { $0 == " " })]
        {
            return set
        }
        if let relationship = attendee.relationship.map(TextFolding.fold) {
            let words = relationship.split { !$0.isLetter }.map(String.init)
            if let key = words.lazy.compactMap({ self.configuration.relationshipPronouns[$0] }).first,
                let set = table[key]
            {
                return set
            }
        }
        return table[self.configuration.defaultPronouns]
    }

    /// The sentence as a clause after `reported that`: first person turned to `pronouns`, the first
    /// word lower-cased unless it is a name (`keepsCapital`). Nil when it must stay a quote: it speaks
    /// to someone (`you`) or for several people (`we`), or holds quoted speech.
    func clause(_ sentence: String, pronouns: Pronouns, keepsCapital: (String) -> Bool) -> String? {
        var tokens: [(lead: Substring, core: String, trail: Substring)] = []
        let targets: Set<String> = [
            pronouns.subject, pronouns.object, pronouns.possessive, pronouns.independent, pronouns.reflexive,
        ]
        // Split on the space byte: a Character comparison per character costs far more.
        var raws = sentence.utf8.split(separator: UInt8(ascii: " ")).map { Substring($0) }
        // An aside (`I mean,`) says nothing; dropped wherever it stands.
        var position = 0
        while position + 1 < raws.count {
            if raws[position + 1].last == ",",
                self.asides.contains((raws[position] + " " + raws[position + 1].dropLast()).lowercased())
            {
                raws.removeSubrange(position...(position + 1))
            } else {
                position += 1
            }
        }
        guard !self.isFragment(raws), !sentence.utf8.contains(UInt8(ascii: ":")) else { return nil }
        // An opening phrase set off by a comma with no verb (`Tired, I had worked …`, `Meetings every
        // morning, like …`) cannot open a clause after `that`; unless it is an adverb of time or manner.
        if let comma = raws.firstIndex(where: { $0.last == "," }), comma < 3 {
            let opening = raws[...comma].map { String($0.lowercased().filter { $0.isLetter || $0 == "'" }) }
            let verbless = !opening.contains { self.verbs.contains(wordHash($0)) || $0.hasSuffix("ed") }
            if verbless, !(opening.count == 1 && self.openingAdverbs.contains(opening[0])) { return nil }
        }
        // Opening by calling someone (`Mom, I said …`) speaks to them.
        if let first = raws.first, first.hasSuffix(","), raws.count > 1 {
            let called = String(first.dropLast()).lowercased()
            if self.configuration.relationshipPronouns[called] != nil || keepsCapital(called) { return nil }
        }
        for raw in raws {
            let scalars = raw.unicodeScalars
            if scalars.contains(where: { $0 == "\"" || $0 == "“" || $0 == "”" }) { return nil }
            let leadEnd = scalars.firstIndex(where: Self.isWordScalar) ?? scalars.endIndex
            let coreEnd =
                scalars[leadEnd...].firstIndex(where: { !Self.isWordScalar($0) && $0 != "'" && $0 != "’" && $0 != "-" })
                ?? scalars.endIndex
            let lead = raw[..<leadEnd]
            let core = raw[leadEnd..<coreEnd]
            let trail = raw[coreEnd...]
            let word = core.unicodeScalars.contains("’") ? String(core.map { $0 == "’" ? "'" : $0 }) : String(core)
            let folded = word.lowercased()
            // Speaking to or for others, or already speaking of someone in the words the note would use.
            if self.direct.contains(folded) || targets.contains(folded) { return nil }
            if let base = folded.split(separator: "'").first, targets.contains(String(base)) { return nil }
            if let expanded = self.expansions[folded] {
                for (offset, part) in expanded.enumerated() {
                    tokens.append(
                        (offset == 0 ? lead : "", part, offset == expanded.count - 1 ? trail : ""))
                }
            } else {
                tokens.append((lead, word, trail))
            }
        }
        guard !tokens.isEmpty else { return nil }
        var output: [String] = []
        var agreeNext = false
        for (offset, token) in tokens.enumerated() {
            var word = token.core
            let folded = word.lowercased()
            // `I'd gone` is `had gone`; `I'd go` is `would go`.
            if folded == "would", offset > 0, tokens[offset - 1].core.lowercased() == "i", token.lead.isEmpty,
                offset + 1 < tokens.count, self.isPastForm(tokens[offset + 1].core.lowercased())
            {
                output.append(String(token.lead) + "had" + String(token.trail))
                agreeNext = false
                continue
            }
            switch folded {
            case "i":
                word = pronouns.subject
                agreeNext = token.trail.isEmpty
            case "me": word = pronouns.object
            case "my": word = pronouns.possessive
            case "mine": word = pronouns.independent
            case "myself": word = pronouns.reflexive
            default:
                if agreeNext {
                    if self.adverbs.contains(folded) || (folded.hasSuffix("ly") && folded.count > 3) {
                        agreeNext = token.trail.isEmpty
                    } else {
                        word = self.agreeing(folded, plural: pronouns.plural)
                        agreeNext = false
                    }
                }
            }
            if offset == 0, word.first?.isUppercase == true, word != pronouns.subject {
                let keep =
                    self.capitalised.contains(folded) || keepsCapital(folded)
                    || (word.count > 1 && word.allSatisfy { !$0.isLowercase })
                if !keep { word = word.prefix(1).lowercased() + word.dropFirst() }
            }
            output.append(String(token.lead) + word + String(token.trail))
        }
        return output.joined(separator: " ")
    }

    /// The sentence opens like a fragment that cannot stand as a clause (`Or my phone …`, `That I'm …`):
    /// its first word, or its first two, is a fragment opener.
    func isFragment(_ sentence: String) -> Bool {
        self.isFragment(Array(sentence.split(separator: " ", maxSplits: 2).prefix(2)))
    }

    private func isFragment(_ words: [Substring]) -> Bool {
        func bare(_ word: Substring) -> String {
            String(word.lowercased().map { $0 == "’" ? "'" : $0 }.filter { $0.isLetter || $0 == "'" })
        }
        guard let first = words.first.map(bare) else { return true }
        if self.fragments.contains(first) { return true }
        return words.count > 1 && self.fragments.contains(first + " " + bare(words[1]))
    }

    /// The sentence holds a word that is surely a verb (a first-person subject, a form the language
    /// lists, a modal, an `-ed` form, a contraction); a list of words without one is not worth reporting.
    func hasVerb(_ words: ArraySlice<Word>) -> Bool {
        words.contains { word in
            if self.verbs.contains(word.hash) { return true }
            let folded = word.folded.utf8
            func ends(_ suffix: String) -> Bool {
                folded.count > suffix.utf8.count && folded.reversed().starts(with: suffix.utf8.reversed())
            }
            return (ends("ed") && folded.count > 3) || ends("n't") || ends("'s") || ends("'re")
        }
    }

    /// A letter or digit; ASCII without a property lookup.
    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return (value >= 0x61 && value <= 0x7A) || (value >= 0x41 && value <= 0x5A)
                || (value >= 0x30 && value <= 0x39)
        }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// A past form or participle (`gone`, `tried`), which never agrees with its subject.
    private func isPastForm(_ word: String) -> Bool {
        (self.unchanged.contains(word) && !self.bases.contains(word))
            || (word.hasSuffix("ed") && !self.presentInEd.contains(word))
    }

    /// A verb after a third-person subject: from the agreement table, unchanged when it cannot be a
    /// present-tense base (a modal, a past form, `-ed`), else with `-s` after a singular subject.
    private func agreeing(_ verb: String, plural: Bool) -> String {
        if let forms = self.configuration.agreement[verb], forms.count == 2 { return forms[plural ? 1 : 0] }
        if plural || self.unchanged.contains(verb) { return verb }
        if !self.bases.contains(verb) && !self.presentInEd.contains(verb)
            && (verb.hasSuffix("ed") || verb.hasSuffix("ing"))
        {
            return verb
        }
        guard verb.allSatisfy({ $0.isLetter }), verb.count > 1 else { return verb }
        let last = verb.last!
        let beforeLast = verb.dropLast().last!
        if verb.hasSuffix("s") || verb.hasSuffix("sh") || verb.hasSuffix("ch") || verb.hasSuffix("x")
            || verb.hasSuffix("z") || verb.hasSuffix("o")
        {
            return verb + "es"
        }
        if last == "y", !"aeiou".contains(beforeLast) { return verb.dropLast() + "ies" }
        return verb + "s"
    }
}
