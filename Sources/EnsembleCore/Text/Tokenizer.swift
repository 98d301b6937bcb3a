/// A word of an utterance, folded for matching, with the punctuation around it.
public struct Word: Sendable, Hashable {
    /// Punctuation directly after a word (spaces between are ignored, so tokenised text such as
    /// `fine .` reads like `fine.`).
    public enum Mark: UInt8, Sendable, Hashable {
        case unmarked, comma, period, question, exclamation, colon, semicolon, dash, ellipsis

        public var endsSentence: Bool {
            self == .period || self == .question || self == .exclamation || self == .ellipsis
        }
    }

    /// Lower-cased, accent-folded, apostrophes normalised (`i'm`, `maria's`).
    public var folded: String
    /// `wordHash(folded)`, computed once so lexicon lookups need not hash the string again.
    public var hash: UInt64
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
        self.init(
            folded: folded, hash: wordHash(folded), isCapitalized: isCapitalized, opensClause: opensClause,
            after: after,
            sentence: sentence, utf8Start: utf8Start, utf8End: utf8End)
    }

    /// With `hash` already computed (it must be `wordHash(folded)`).
    init(
        folded: String, hash: UInt64, isCapitalized: Bool, opensClause: Bool, after: Mark, sentence: Int,
        utf8Start: Int, utf8End: Int
    ) {
        self.folded = folded
        self.hash = hash
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
        var text = text
        return text.withUTF8 { bytes in
            // A folded word is at most three times its source bytes (a scalar folds to at most three
            // ASCII letters), so one scratch buffer of that size serves every word of the text.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count * 3 + 8) { scratch in
                self.tokenize(utf8: bytes, scratch: scratch)
            }
        }
    }

    /// The `hash` of every word `tokenize` would find, without building the words: for ASCII text one
    /// pass over the bytes, otherwise through `tokenize`.
    public func wordHashes(_ text: String) -> [UInt64] {
        var text = text
        return text.withUTF8 { Self.asciiWordHashes($0) } ?? self.tokenize(text).words.map(\.hash)
    }

    /// The word hashes of ASCII text; nil at the first byte outside ASCII.
    private static func asciiWordHashes(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt64]? {
        var hashes: [UInt64] = []
        hashes.reserveCapacity(bytes.count / 5 + 1)
        var hash: UInt64 = 0
        var inWord = false
        var skipUntil: UInt8 = 0
        var index = 0
        let count = bytes.count
        @inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        while index < count {
            let byte = bytes[index]
            index += 1
            if byte >= 0x80 { return nil }
            if skipUntil != 0 {
                if byte == skipUntil { skipUntil = 0 }
                continue
            }
            let letter = byte.isASCIILetter
            if letter || isDigit(byte) || byte == UInt8(ascii: "_") {
                if !inWord {
                    inWord = true
                    hash = FNV1a.basis
                }
                hash = FNV1a.step(hash, letter ? byte | 0x20 : byte)
                continue
            }
            // Apostrophes, hyphens and inner periods stay inside a word when a letter (or, for a period,
            // a digit) follows, as in `tokenize`.
            if inWord, byte == UInt8(ascii: "'") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "."),
                index < count
            {
                let following = bytes[index]
                if following >= 0x80 { return nil }
                if following.isASCIILetter || (byte == UInt8(ascii: ".") && isDigit(following)) {
                    hash = FNV1a.step(hash, byte)
                    continue
                }
            }
            if inWord {
                hashes.append(hash)
                inWord = false
            }
            if byte == UInt8(ascii: "{") { skipUntil = UInt8(ascii: "}") }
            if byte == UInt8(ascii: "<") { skipUntil = UInt8(ascii: ">") }
        }
        if inWord { hashes.append(hash) }
        return hashes
    }

    /// One pass over the UTF-8 bytes; ASCII takes a fast path, other scalars are decoded as met. Each
    /// word is folded into `scratch` and hashed from there, so a word costs one string, no arrays.
    private func tokenize(utf8 bytes: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>)
        -> TokenizedText
    {
        var words: [Word] = []
        var sentences: [SentenceSpan] = []
        words.reserveCapacity(bytes.count / 5 + 1)

        var folded = ScratchWord(buffer: scratch)
        var wordStart = -1
        var wordCapitalized = false
        var pendingOpensClause = true
        var sentenceIndex = 0
        var sentenceStartOffset = -1
        var sentenceFirstWord = 0
        var skipUntil: UInt8 = 0
        var lastNonSpace: UInt32 = 0x20
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
            // A trailing apostrophe or hyphen is punctuation, not part of the word.
            while let last = folded.last, last == UInt8(ascii: "'") || last == UInt8(ascii: "-") { folded.removeLast() }
            if !folded.isEmpty {
                words.append(
                    Word(
                        folded: folded.string, hash: folded.hash, isCapitalized: wordCapitalized,
                        opensClause: pendingOpensClause, after: .unmarked, sentence: sentenceIndex,
                        utf8Start: wordStart,
                        utf8End: end
                    )
                )
                pendingOpensClause = false
            }
            folded.removeAll()
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

        var offset = 0
        let count = bytes.count
        while offset < count {
            let (scalar, width) = Self.scalar(in: bytes, at: offset)
            let value = scalar.value
            defer { offset += width }
            if skipUntil != 0 {
                if value == UInt32(skipUntil) { skipUntil = 0 }
                continue
            }
            let isLetter: Bool
            let isUpper: Bool
            if value < 0x80 {
                isLetter = (value >= 0x61 && value <= 0x7A) || (value >= 0x41 && value <= 0x5A)
                isUpper = value >= 0x41 && value <= 0x5A
            } else {
                isLetter = scalar.properties.isAlphabetic
                isUpper = isLetter && scalar.properties.isUppercase
            }
            let isDigit = value >= 0x30 && value <= 0x39
            if isLetter || isDigit || value == 0x5F {
                if wordStart < 0 {
                    wordStart = offset
                    wordCapitalized = isUpper
                    if sentenceStartOffset < 0 { sentenceStartOffset = offset }
                }
                if value < 0x80 {
                    folded.append(isUpper ? UInt8(value + 0x20) : UInt8(value))
                } else {
                    Self.appendFolded(scalar, to: &folded)
                }
                lastNonSpace = value
                lastNonSpaceEnd = offset + width
                continue
            }
            // Apostrophes, hyphens and inner periods stay inside a word when a letter (or, for a
            // period, a digit) follows.
            if wordStart >= 0, value == 0x27 || value == 0x2019 || value == 0x2D || value == 0x2E,
                offset + width < count
            {
                let (next, _) = Self.scalar(in: bytes, at: offset + width)
                let nextIsLetter =
                    next.value < 0x80
                    ? (next.value >= 0x61 && next.value <= 0x7A) || (next.value >= 0x41 && next.value <= 0x5A)
                    : next.properties.isAlphabetic
                let nextIsDigit = next.value >= 0x30 && next.value <= 0x39
                if nextIsLetter || (value == 0x2E && nextIsDigit) {
                    folded.append(value == 0x2019 ? UInt8(ascii: "'") : UInt8(value))
                    continue
                }
            }
            finishWord(at: offset)
            switch value {
            case 0x7B: skipUntil = 0x7D  // { … }
            case 0x3C: skipUntil = 0x3E  // < … >
            case 0x2C: mark(.comma, at: offset + width)
            case 0x3F: mark(.question, at: offset + width)
            case 0x21: mark(.exclamation, at: offset + width)
            case 0x3A: mark(.colon, at: offset + width)
            case 0x3B: mark(.semicolon, at: offset + width)
            case 0x2026: mark(.ellipsis, at: offset + width)
            case 0x2014, 0x2013: mark(.dash, at: offset + width)
            case 0x2E:
                // `..` and `...` are an ellipsis; one period is a full stop.
                if lastNonSpace == 0x2E && lastNonSpaceEnd == offset {
                    if let lastWord = words.last, lastWord.after == .period { words[words.count - 1].after = .ellipsis }
                } else {
                    mark(.period, at: offset + width)
                }
            case 0x2D:
                if lastNonSpace == 0x2D && lastNonSpaceEnd == offset {
                    mark(.dash, at: offset + width)
                } else if lastNonSpace == 0x0A || lastNonSpaceEnd == 0 {
                    pendingOpensClause = true
                }
            case 0x0A:
                // A line that opens with a dialogue dash starts a new speaker's sentence.
                if offset + 1 < count, bytes[offset + 1] == UInt8(ascii: "-") { closeSentence(at: lastNonSpaceEnd) }
            case 0x28, 0x5B, 0x22, 0x201C:
                if words.isEmpty || words.last?.after != .unmarked { pendingOpensClause = true }
            default: break
            }
            if value != 0x20 && value != 0x09 {
                lastNonSpace = value
                lastNonSpaceEnd = offset + width
                if sentenceStartOffset < 0 && Self.canStartSentence(value) { sentenceStartOffset = offset }
            }
        }
        finishWord(at: offset)
        closeSentence(at: lastNonSpaceEnd)
        return TokenizedText(words: words, sentences: sentences)
    }

    /// The scalar starting at `offset` of valid UTF-8, and its width in bytes.
    @inline(__always)
    private static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> (Unicode.Scalar, Int) {
        let lead = bytes[offset]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        var value: UInt32
        let width: Int
        if lead >= 0xF0 {
            value = UInt32(lead & 0x07)
            width = 4
        } else if lead >= 0xE0 {
            value = UInt32(lead & 0x0F)
            width = 3
        } else {
            value = UInt32(lead & 0x1F)
            width = 2
        }
        for index in 1..<width where offset + index < bytes.count {
            value = value << 6 | UInt32(bytes[offset + index] & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", width)
    }

    private static func appendFolded(_ scalar: Unicode.Scalar, to word: inout ScratchWord) {
        var view = String.UnicodeScalarView()
        TextFolding.appendFolded(scalar, to: &view)
        for byte in String(view).utf8 { word.append(byte) }
    }

    /// Punctuation and markup that never opens a sentence's text.
    private static func canStartSentence(_ value: UInt32) -> Bool {
        switch value {
        case 0x0A, 0x0D, 0x7D, 0x3E, 0x2C, 0x2E, 0x29, 0x5D, 0x2D, 0x3F, 0x21, 0x3A, 0x3B: false
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

/// The folded bytes of the word being read, in the tokenizer's scratch buffer.
private struct ScratchWord {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    var isEmpty: Bool { self.count == 0 }
    var last: UInt8? { self.count == 0 ? nil : self.buffer[self.count - 1] }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        // The buffer is sized for the whole text folded; a longer fold (never seen) is cut, not overrun.
        guard self.count < self.buffer.count else { return }
        self.buffer[self.count] = byte
        self.count += 1
    }

    mutating func removeLast() { self.count -= 1 }
    mutating func removeAll() { self.count = 0 }

    var string: String { String(decoding: UnsafeBufferPointer(rebasing: self.buffer[..<self.count]), as: UTF8.self) }

    /// `wordHash` of `string`, from the bytes.
    var hash: UInt64 {
        var hash = FNV1a.basis
        for index in 0..<self.count { hash = FNV1a.step(hash, self.buffer[index]) }
        return hash
    }
}
