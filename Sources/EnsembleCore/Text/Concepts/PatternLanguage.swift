/// The shared vocabulary of concept patterns (`Agents/language/config.json`): irregular word forms,
/// spellings to normalise and word classes. Every agent that matches concepts reads text through it.
///
/// The pattern language (documented in `docs/patterns.md`):
/// - `kill` matches the word and its inflections (`kills`, `killed`, `killing`); irregular forms come
///   from `irregular` (`take` → `took`, `taken`). `=kill` matches that spelling only.
/// - `@firearm` matches any phrase of the word class `firearm`.
/// - `(going to|gonna|will)` matches one of its alternatives; an alternative may be several words or a
///   class.
/// - a trailing `?` makes an element optional: `(really|actually)?`, `@quantity?`.
/// - `..` skips up to three words, `..6` up to six; a skip never crosses a sentence.
/// - `<who>` is a person: a pronoun (`i`, `me`, `he`, `her` …), a relative (`my son`, `his wife`), a
///   roster name; `<self>` is a reflexive (`myself`, `himself` …). Both are reported to the matcher's
///   user, who works out who they are.
public struct PatternLanguage: Sendable, Hashable {
    public var version: String
    /// Base form → irregular forms (`buy` → `bought`).
    public var irregular: [String: [String]]
    /// A spelling → the one the patterns use (`dont` → `don't`, `wanna` → `want to` is not a spelling).
    public var spellings: [String: String]
    /// Class name → phrases (each may hold several words, inflected like literals).
    public var classes: [String: [String]]

    public init(
        version: String, irregular: [String: [String]] = [:], spellings: [String: String] = [:],
        classes: [String: [String]] = [:]
    ) {
        self.version = version
        self.irregular = irregular
        self.spellings = spellings
        self.classes = classes
    }
}

/// A word of normalised text: the folded word's hash after spelling normalisation.
public struct ConceptText: Sendable {
    public var words: [Word]
    /// Each word's hash with the language's spellings applied (`dont` reads as `don't`).
    public var keys: [UInt64]
    /// Each word's hash without a possessive `'s` (`mom's` reads as `mom` where a person is looked for).
    public var bases: [UInt64]
    /// Each word's sentence, and whether it starts with a digit, read once.
    public var sentences: [Int]
    public var numeric: [Bool]

    public var count: Int { self.words.count }
}

/// Inflections of English words, enough to make `kill` match `killed` and `cry` match `cried`; the
/// generated forms may include non-words, which simply never occur.
enum Inflection {
    static func forms(of word: String, irregular: [String: [String]]) -> [String] {
        var result: Set<String> = [word]
        for form in irregular[word] ?? [] { result.insert(form) }
        let letters = Array(word)
        guard letters.count >= 2, letters.allSatisfy({ $0.isLetter }) else { return Array(result) }
        let vowels: Set<Character> = ["a", "e", "i", "o", "u"]
        let last = letters[letters.count - 1]
        let stem = String(letters.dropLast())
        // Plural and third person.
        if "sxz".contains(last) || word.hasSuffix("ch") || word.hasSuffix("sh") {
            result.insert(word + "es")
        } else if last == "y", !vowels.contains(letters[letters.count - 2]) {
            result.insert(stem + "ies")
        } else {
            result.insert(word + "s")
        }
        // Past and participle.
        if last == "e" {
            result.insert(word + "d")
            result.insert(stem + "ing")
            if word.hasSuffix("ie") { result.insert(String(letters.dropLast(2)) + "ying") }
        } else if last == "y", !vowels.contains(letters[letters.count - 2]) {
            result.insert(stem + "ied")
            result.insert(word + "ing")
        } else {
            result.insert(word + "ed")
            result.insert(word + "ing")
            // A final consonant after a single vowel doubles (`cut` → `cutting`, `stab` → `stabbed`).
            if !vowels.contains(last), !"wxy".contains(last), vowels.contains(letters[letters.count - 2]) {
                result.insert(word + String(last) + "ed")
                result.insert(word + String(last) + "ing")
                result.insert(word + String(last) + "er")
            }
        }
        return Array(result)
    }
}
