/// A word of an utterance, folded for matching, with the punctuation around it.
public struct Word: Sendable, Hashable {
    /// Punctuation directly after a word (spaces between are ignored, so tokenised text such as
    /// `fine .` reads like `fine.`).
    public enum Mark: UInt8, Sendable, Hashable {
        case unmarked, comma, period, question, exclamation, colon, semicolon, dash, ellipsis

        public var endsSentence: Bool { self == .period || self == .question || self == .exclamation || self == .ellipsis }
    }

    /// Lower-cased, accent-folded, apostrophes normalised (`i'm`, `maria's`).
    public var folded: String
    /// The source spelled the word with an upper-case first letter.
    public var isCapitalized: Bool
    /// The word opens a clause: first in the text or after sentence punctuation, a comma, a colon or a dash.
    public var opensClause: Bool
    public var after: Mark
    /// Index of the sentence (within the utterance) holding the word.
    public var sentence: Int
    /// UTF-8 offsets of the word in the source text.
    public var utf8Start: Int
    public var utf8End: Int

    public init(
        folded: String, isCapitalized: Bool, opensClause: Bool, after: Mark, sentence: Int, utf8Start: Int,
        utf8End: Int
    ) {
        self.folded = folded
        self.isCapitalized = isCapitalized
        self.opensClause = opensClause
        self.after = after
        self.sentence = sentence
        self.utf8Start = utf8Start
        self.utf8End = utf8End
    }
}

/// A sentence of an utterance, as UTF-8 offsets into the utterance text and a range of its words.
public struct SentenceSpan: Sendable, Hashable {
    public var utf8Range: Range<Int>
    public var words: Range<Int>

    public init(utf8Range: Range<Int>, words: Range<Int>) {
        self.utf8Range = utf8Range
        self.words = words
    }
}

/// The words and sentences of one text.
public struct TokenizedText: Sendable, Hashable {
    public var words: [Word]
    public var sentences: [SentenceSpan]

    public init(words: [Word], sentences: [SentenceSpan]) {
        self.words = words
        self.sentences = sentences
    }

    /// True when the text has no upper-case letters at all (lower-cased ASR output), so capitalisation
    /// says nothing about names.
    public var isCaseless: Bool { !self.words.contains { $0.isCapitalized } }
}

/// Splits text into words and sentences in one pass over its scalars.
///
/// Markup that is not speech (`{vocalsound}`, `<c.color>`, `<UNIN/>`) is skipped. A period ends a
/// sentence unless it follows a known abbreviation (`Dr.`) or a single-letter initial.
public struct Tokenizer: Sendable {
    public var abbreviations: Set<String>

    public static let defaultAbbreviations: Set<String> = [
        "dr", "mr", "mrs", "ms", "mx", "st", "jr", "sr", "prof", "vs", "etc", "e.g", "i.e", "a.m", "p.m", "approx",
        "no", "dept", "rev", "fr", "mt", "ft", "lt", "sgt", "capt", "gen", "col",
    ]

    public init(abbreviations: Set<String> = Tokenizer.defaultAbbreviations) {
        self.abbreviations = abbreviations
    }

    public func tokenize(_ text: String) -> TokenizedText {
        var words: [Word] = []
        var sentences: [SentenceSpan] = []
        words.reserveCapacity(text.utf8.count / 5)

        var folded = String.UnicodeScalarView()
        var wordStart = -1
        var wordCapitalized = false
        var offset = 0
        var pendingOpensClause = true
        var sentenceIndex = 0
        var sentenceStartOffset = -1
        var sentenceFirstWord = 0
        var skipUntil: Unicode.Scalar? = nil
        var lastNonSpace: Unicode.Scalar = " "
        var lastNonSpaceEnd = 0

        func closeSentence(at end: Int) {
            guard sentenceStartOffset >= 0, words.count > sentenceFirstWord else { return }
            sentences.append(SentenceSpan(utf8Range: sentenceStartOffset..<end, words: sentenceFirstWord..<words.count))
            sentenceIndex += 1
            sentenceStartOffset = -1
            sentenceFirstWord = words.count
        }

        func finishWord(at end: Int) {
            guard wordStart >= 0 else { return }
            // A trailing apostrophe or period belongs to the word only when it is an abbreviation.
            var text = String(folded)
            while let last = text.unicodeScalars.last, last == "'" || last == "-" { text.unicodeScalars.removeLast() }
            if !text.isEmpty {
                words.append(
                    Word(
                        folded: text, isCapitalized: wordCapitalized, opensClause: pendingOpensClause, after: .unmarked,
                        sentence: sentenceIndex, utf8Start: wordStart, utf8End: end
                    )
                )
                pendingOpensClause = false
            }
            folded = String.UnicodeScalarView()
            wordStart = -1
        }

        func mark(_ mark: Word.Mark, at end: Int) {
            pendingOpensClause = true
            // Punctuation with no word yet in the current sentence (`?!`, a leading comma) marks nothing.
            guard words.count > sentenceFirstWord else { return }
            let lastIndex = words.count - 1
            if words[lastIndex].after == .unmarked { words[lastIndex].after = mark }
            guard mark.endsSentence else { return }
            if mark == .period && self.isAbbreviation(words[lastIndex]) {
                words[lastIndex].after = .unmarked
                pendingOpensClause = false
                return
            }
            closeSentence(at: end)
        }

        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let width = UTF8.width(scalar)
            defer {
                offset += width
                index = scalars.index(after: index)
            }
            if let closing = skipUntil {
                if scalar == closing { skipUntil = nil }
                continue
            }
            let isLetter = scalar.properties.isAlphabetic
            let isDigit = scalar.value >= 0x30 && scalar.value <= 0x39
            if isLetter || isDigit || scalar == "_" {
                if wordStart < 0 {
                    wordStart = offset
                    wordCapitalized = scalar.properties.isUppercase
                    if sentenceStartOffset < 0 { sentenceStartOffset = offset }
                }
                TextFolding.appendFolded(scalar, to: &folded)
                lastNonSpace = scalar
                lastNonSpaceEnd = offset + width
                continue
            }
            // Apostrophes, hyphens and inner periods stay inside a word when a letter follows.
            if wordStart >= 0, scalar == "'" || scalar == "\u{2019}" || scalar == "-" || scalar == "." {
                let next = scalars.index(after: index)
                if next != scalars.endIndex, scalars[next].properties.isAlphabetic || (scalar == "." && isDigitScalar(scalars[next])) {
                    TextFolding.appendFolded(scalar, to: &folded)
                    continue
                }
            }
            finishWord(at: offset)
            switch scalar {
            case "{": skipUntil = "}"
            case "<": skipUntil = ">"
            case ",": mark(.comma, at: offset + width)
            case "?": mark(.question, at: offset + width)
            case "!": mark(.exclamation, at: offset + width)
            case ":": mark(.colon, at: offset + width)
            case ";": mark(.semicolon, at: offset + width)
            case "\u{2026}": mark(.ellipsis, at: offset + width)
            case "\u{2014}", "\u{2013}": mark(.dash, at: offset + width)
            case ".":
                // `..` and `...` are an ellipsis; one period is a full stop.
                if lastNonSpace == "." && lastNonSpaceEnd == offset {
                    if let lastWord = words.last, lastWord.after == .period { words[words.count - 1].after = .ellipsis }
                } else {
                    mark(.period, at: offset + width)
                }
            case "-":
                if lastNonSpace == "-" && lastNonSpaceEnd == offset { mark(.dash, at: offset + width) }
                else if lastNonSpace == "\n" || lastNonSpaceEnd == 0 { pendingOpensClause = true }
            case "\n":
                // A line that opens with a dialogue dash starts a new speaker's sentence.
                let next = scalars.index(after: index)
                if next != scalars.endIndex, scalars[next] == "-" { closeSentence(at: lastNonSpaceEnd) }
            case "(", "[", "\"", "\u{201C}":
                if words.isEmpty || words.last?.after != .unmarked { pendingOpensClause = true }
            default: break
            }
            if scalar != " " && scalar != "\t" {
                lastNonSpace = scalar
                lastNonSpaceEnd = offset + width
                if sentenceStartOffset < 0 && self.canStartSentence(scalar) {
                    sentenceStartOffset = offset
                }
            }
        }
        finishWord(at: offset)
        closeSentence(at: lastNonSpaceEnd)
        return TokenizedText(words: words, sentences: sentences)
    }

    private func isDigitScalar(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 0x30 && scalar.value <= 0x39 }

    /// Punctuation and markup that never opens a sentence's text.
    private func canStartSentence(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\r", "}", ">", ",", ".", ")", "]", "-", "?", "!", ":", ";": false
        default: true
        }
    }

    /// `Dr.`, `e.g.` or a one-letter initial such as `M.` (but not the pronoun `I.`).
    private func isAbbreviation(_ word: Word) -> Bool {
        if self.abbreviations.contains(word.folded) { return true }
        let scalars = word.folded.unicodeScalars
        guard scalars.count == 1, word.isCapitalized, let only = scalars.first else { return false }
        return only != "i" && only.properties.isAlphabetic
    }
}
