import EnsembleCore

/// Recognises `Name: text` speaker prefixes without mistaking prose (`Note: …`, `at 10:30`) for one.
enum SpeakerLabel {
    /// Lower-case words that may stand alone as a label (`therapist:`, `spk_0:`).
    static let lowercaseLabelWords: Set<String> = [
        "therapist", "client", "doctor", "patient", "speaker", "interviewer", "interviewee", "counselor", "counsellor",
        "facilitator", "clinician", "provider", "mom", "dad", "mother", "father", "parent", "agent", "customer",
        "guest",
        "unknown", "user", "host", "moderator", "participant", "member", "partner", "spk", "caller", "child", "teen",
        "t", "c", "p", "a", "b", "q",
    ]

    /// Lower-case words allowed inside a name (`Maria de la Cruz`).
    static let particles: Set<String> = [
        "de", "da", "del", "della", "di", "du", "van", "von", "der", "den", "la", "le", "bin", "ibn", "al", "el", "y",
        "e", "of", "the", "and", "&", "st", "mc", "mac", "o'",
    ]

    /// Headings people write in notes that look like labels but are not speakers.
    static let headings: Set<String> = [
        "note", "notes", "summary", "homework", "agenda", "question", "answer", "example", "warning", "update",
        "re", "subject", "date", "time", "topic", "plan", "goal", "goals", "action items", "next steps", "ps",
        "p.s", "nb", "important", "reminder", "edit", "source", "transcript", "recording", "session",
    ]

    /// How much a line's prefix looks like a speaker label.
    enum Shape: Sendable, Equatable {
        /// A label on its own: a name, a role, an anonymous id, a device, a phone number.
        case label
        /// Could be a label (short, no sentence punctuation, no prose words) but has words a label rarely
        /// has (`dana's ipad`): a label when the file uses it again, else read as text and reported.
        case plausible
        /// Prose, a heading or a time: never a label.
        case prose
    }

    /// The text before a line's label separator: at most 72 characters, then a colon that is followed by a
    /// space, a tab or the end of the line; `[SPEAKER_00]:` and `(Maria):` without their brackets.
    static func candidate(_ line: Substring) -> (label: Substring, rest: Substring)? {
        guard let colon = line.prefix(72).firstIndex(of: ":") else { return nil }
        let after = line[line.index(after: colon)...]
        // The colon must end the label: followed by space, a tab, or the end of the line (`MAN:`).
        if let next = after.first, next != " ", next != "\t" { return nil }
        var candidate = line[..<colon].trimmed
        if let first = candidate.first, let last = candidate.last,
            (first == "[" && last == "]") || (first == "(" && last == ")")
        {
            candidate = candidate.dropFirst().dropLast().trimmed
        }
        guard !candidate.isEmpty else { return nil }
        return (candidate, after.trimmed)
    }

    /// Splits `Name: text` into the label and the text after the colon; nil when the prefix is not a label.
    /// `recurring` holds the file's plausible labels that it uses more than once (labels recur; prose
    /// does not), which count as labels too.
    static func split(_ line: Substring, recurring: Set<Substring> = []) -> (label: String, rest: Substring)? {
        guard let (candidate, rest) = self.candidate(line) else { return nil }
        switch self.shape(candidate) {
        case .label: return (String(candidate), rest)
        case .plausible where recurring.contains(candidate): return (String(candidate), rest)
        case .plausible, .prose: return nil
        }
    }

    static func looksLikeLabel(_ candidate: Substring) -> Bool { self.shape(candidate) == .label }

    /// Words that make a prefix prose rather than a name or a device (`Here's the thing:`, `What I mean is:`).
    static let proseWords: Set<String> = [
        "a", "an", "is", "are", "was", "were", "be", "been", "i", "i'm", "you", "we", "they", "he", "she",
        "it", "it's", "that", "this", "these", "those", "what", "so", "but", "or", "if", "then", "to",
        "in", "on", "at", "for", "with", "from", "my", "your", "our", "their", "his", "her", "me", "us", "them",
        "said", "says", "say", "think", "mean", "thing", "things", "here's", "there's", "that's", "what's", "like",
        "just", "not", "no", "yes", "do", "does", "did", "have", "has", "had", "can", "will", "would", "should",
        "about", "when", "where", "why", "how", "who", "because", "well", "okay", "ok", "um", "uh", "also",
    ]

    static func shape(_ candidate: Substring) -> Shape {
        guard !candidate.isEmpty, candidate.utf8.count <= 64 else { return .prose }
        if self.isPhoneNumber(candidate) { return .label }
        guard candidate.contains(where: { $0.isLetter || $0.isNumber || Self.isSymbolWord(Substring(String($0))) })
        else { return .prose }
        let words = candidate.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count <= 6 else { return .prose }
        let folded = candidate.lowercased()
        if self.headings.contains(folded) { return .prose }
        if candidate.contains(where: { "?!;\"“”{}=<>".contains($0) }) { return .prose }
        // A time (`10:30`) or a bare number is not a speaker.
        if !candidate.contains(where: \.isLetter) && !words.contains(where: Self.isSymbolWord) { return .prose }
        var unusual = 0
        for (offset, word) in words.enumerated() {
            let lower = word.lowercased()
            if self.proseWords.contains(lower) && !(offset == 0 && words.count == 1) { return .prose }
            // A period only in an abbreviation (`Dr.`) or inside a user name (`maria.lopez`).
            if let period = word.firstIndex(of: "."), period == word.index(before: word.endIndex), word.count > 4 {
                return .prose
            }
            if let first = word.first {
                // Capitals, caseless scripts (王, محمد, עמית), digits, brackets and handles.
                if (first.isLetter && !first.isLowercase) || first.isNumber || first == "(" || first == "["
                    || first == "#" || first == "@" || first == "+"
                {
                    continue
                }
                // Emoji and other symbols in display names (`João 🙂`).
                if Self.isSymbolWord(word) { continue }
                if word.contains(where: \.isUppercase) { continue }  // iPhone, iPad
                if self.particles.contains(lower) && offset > 0 { continue }
                if self.lowercaseLabelWords.contains(lower) { continue }
                // Anonymous ids: spk_0, speaker_00, s1.
                let base = lower.split(whereSeparator: { $0 == "_" || $0.isNumber }).first.map(String.init) ?? lower
                if lower.contains(where: \.isNumber) && (self.lowercaseLabelWords.contains(base) || base.count <= 3) {
                    continue
                }
                if offset > 0, lower.allSatisfy(\.isNumber) { continue }
                if offset == 0, words.count == 1, lower.hasPrefix("speaker") || lower.hasPrefix("spk") { continue }
                if offset > 0 && self.lowercaseLabelWords.contains(String(lower.prefix(while: \.isLetter))) { continue }
                if offset > 0 && (lower == "'s" || lower == "family" || lower == "phone" || lower == "ipad") {
                    continue
                }
                unusual += 1
            }
        }
        if unusual == 0 { return .label }
        return unusual <= 3 ? .plausible : .prose
    }

    /// A phone number as dial-in bridges show callers (`PhoneLabels`).
    static func isPhoneNumber(_ candidate: Substring) -> Bool { PhoneLabels.matches(candidate) }

    /// A word made of emoji or other symbols only (`🙂`, `⭐️`, `👩🏽‍⚕️`).
    static func isSymbolWord(_ word: Substring) -> Bool {
        !word.isEmpty
            && word.unicodeScalars.allSatisfy { scalar in
                switch scalar.properties.generalCategory {
                case .otherSymbol, .mathSymbol, .modifierSymbol, .currencySymbol: true
                case .nonspacingMark, .enclosingMark, .format: true  // variation selectors, ZWJ
                default: scalar.properties.isEmojiPresentation
                }
            }
            && word.unicodeScalars.contains { scalar in
                [.otherSymbol, .mathSymbol, .modifierSymbol, .currencySymbol].contains(
                    scalar.properties.generalCategory) || scalar.properties.isEmojiPresentation
            }
    }
}
