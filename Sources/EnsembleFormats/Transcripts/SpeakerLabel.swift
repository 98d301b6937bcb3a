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

    /// Splits `Name: text` into the label and the text after the colon; nil when the prefix is not a label.
    static func split(_ line: Substring) -> (label: String, rest: Substring)? {
        guard let colon = line.prefix(72).firstIndex(of: ":") else { return nil }
        let after = line[line.index(after: colon)...]
        // The colon must end the label: followed by space, a tab, or the end of the line (`MAN:`).
        if let next = after.first, next != " ", next != "\t" { return nil }
        var candidate = line[..<colon].trimmed
        // `[SPEAKER_00]: text` and `(Maria): text`.
        if let first = candidate.first, let last = candidate.last,
            (first == "[" && last == "]") || (first == "(" && last == ")")
        {
            candidate = candidate.dropFirst().dropLast().trimmed
        }
        guard self.looksLikeLabel(candidate) else { return nil }
        return (String(candidate), after.trimmed)
    }

    static func looksLikeLabel(_ candidate: Substring) -> Bool {
        guard !candidate.isEmpty, candidate.utf8.count <= 64, candidate.contains(where: \.isLetter) else {
            return false
        }
        let words = candidate.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count <= 6 else { return false }
        let folded = candidate.lowercased()
        if self.headings.contains(folded) { return false }
        if candidate.contains(where: { "?!;\"“”{}=<>".contains($0) }) { return false }
        for (offset, word) in words.enumerated() {
            let lower = word.lowercased()
            // A period only in an abbreviation (`Dr.`) or inside a user name (`maria.lopez`).
            if let period = word.firstIndex(of: "."), period == word.index(before: word.endIndex), word.count > 4 {
                return false
            }
            if let first = word.first {
                if first.isUppercase || first.isNumber || first == "(" || first == "[" || first == "#" || first == "@" {
                    continue
                }
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
                return false
            }
        }
        return true
    }
}
