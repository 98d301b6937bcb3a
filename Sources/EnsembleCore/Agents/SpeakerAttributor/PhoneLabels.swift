/// Dial-in callers, whom bridges label by phone number (`+1 720-555-0143`, `(512) 555-0199`).
public enum PhoneLabels {
    /// A phone number as dial-in bridges show callers: 7 to 15 digits with `+` (first only), spaces,
    /// dashes, dots and parentheses, optionally followed by a `(Guest)`-style suffix in letters.
    public static func matches(_ label: Substring) -> Bool {
        var text = String(label).trimmingSpaces
        if text.hasSuffix(")"), let open = text.lastIndex(of: "("), open > text.startIndex,
            text[text.index(after: open)..<text.index(before: text.endIndex)].allSatisfy(\.isLetter)
        {
            text = String(text[..<open]).trimmingSpaces
        }
        guard let first = text.first, first == "+" || first == "(" || (first.isASCII && first.isNumber) else {
            return false
        }
        var digits = 0
        for (offset, character) in text.enumerated() {
            if character.isASCII && character.isNumber {
                digits += 1
            } else if character == "+" {
                if offset != 0 { return false }
            } else if !" -.()".contains(character) {
                return false
            }
        }
        return (7...15).contains(digits)
    }

    /// Phone labels that never speak at the same time, the second starting after the first's last words,
    /// as when a call drops and the caller dials in again under another number: a finding naming the
    /// utterances (never the numbers), unless the attributor bound the two to different people.
    static func possibleRejoins(_ transcript: Transcript, _ attribution: Attribution) -> [Finding] {
        var spans: [(label: String, first: Int, last: Int)] = []
        for utterance in transcript.utterances {
            guard let label = utterance.label, self.matches(Substring(label)) else { continue }
            if let known = spans.firstIndex(where: { $0.label == label }) {
                spans[known].last = utterance.index
            } else {
                spans.append((label, utterance.index, utterance.index))
            }
        }
        guard spans.count >= 2 else { return [] }
        let person = Dictionary(
            attribution.speakers.map { ($0.label, $0.person) }, uniquingKeysWith: { first, _ in first })
        var findings: [Finding] = []
        for (before, after) in zip(spans, spans.dropFirst()) where before.last < after.first {
            let first = person[before.label] ?? nil
            let second = person[after.label] ?? nil
            // Bound to people already: to two different ones (nothing to ask), or to the same one (merged).
            if first != nil, second != nil { continue }
            findings.append(
                Finding(
                    code: .possibleSameCaller, severity: .warning,
                    message: "A dial-in caller's label stops at utterance \(before.last) and another phone number "
                        + "starts at utterance \(after.first), never overlapping: possibly the same person after a "
                        + "dropped call; if so, relabel the second label to them in review",
                    evidence: [before.last, after.first]))
        }
        return findings
    }
}
