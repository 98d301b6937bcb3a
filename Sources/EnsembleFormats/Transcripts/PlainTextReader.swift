import EnsembleCore

/// Plain-text transcripts, one utterance per labelled line:
///
/// - `Name: text`, `SPEAKER_00: text`, `[00:01:02] Name: text`, `00:01:02 Name: text`, `Name (00:01:02): text`
/// - Zoom chat exports: `00:05:16<TAB>Name:<TAB>text`
/// - role tags: `[doctor] text` (when most lines carry one)
/// - a label on its own line (`Name:` or `Name  0:02` as Otter writes it), its text on the lines below
///
/// A line without a label continues the utterance above it; after a blank line it starts an
/// unlabelled utterance. A file with no labels at all is one utterance per paragraph.
///
/// What a label is comes from `SpeakerLabel.shape` and from the file as a whole: a plausible label
/// that the file uses more than once is a label (labels recur; prose does not), and in a file whose
/// turns all start with a time, a plausible label after a time is one. A line that looked like a
/// labelled turn but was read as text is reported by its line number (`Transcript.foldedLabelLines`).
enum PlainTextReader {
    private enum Form {
        /// A labelled line; `text` may be empty when the text follows on the next lines.
        case labelled(label: String, text: Substring, time: Double?)
        /// Text; `labelLike` when it opens with a plausible label the file does not use again.
        case text(Substring, time: Double?, labelLike: Bool)
        case blank
    }

    /// What the file as a whole says about its labels.
    struct Style {
        var bracketTags = false
        /// Plausible labels the file uses more than once.
        var recurring: Set<Substring> = []
        /// Every turn starts with a time: a plausible label after a time is a label.
        var timed = false
    }

    static func style(_ lines: [Substring]) -> Style {
        var style = Style()
        var counts: [Substring: Int] = [:]
        var nonBlank = 0
        var timedLabelled = 0
        var tagged = 0
        for line in lines {
            var rest = line.trimmed
            guard !rest.isEmpty else { continue }
            nonBlank += 1
            // Role tags (`[doctor] …`) count as labels when most non-blank lines open with one.
            if rest.first == "[", let close = rest.firstIndex(of: "]"),
                TimeCode.seconds(rest[rest.index(after: rest.startIndex)..<close]) == nil
            {
                tagged += 1
            }
            var timed = false
            if let (_, after) = self.leadingTime(rest) {
                rest = after.hasPrefix("-") ? after.dropFirst().trimmed : after
                timed = true
            }
            guard let (candidate, _) = SpeakerLabel.candidate(rest) else { continue }
            if timed { timedLabelled += 1 }
            if SpeakerLabel.shape(candidate) == .plausible { counts[candidate, default: 0] += 1 }
        }
        style.bracketTags = nonBlank > 0 && tagged * 2 > nonBlank
        style.recurring = Set(counts.filter { $0.value >= 2 }.keys)
        style.timed = nonBlank >= 3 && timedLabelled * 10 >= nonBlank * 9
        return style
    }

    static func read(_ decoded: DecodedText, file: String) throws(FormatError) -> Transcript {
        let lines = decoded.lines
        let style = self.style(lines)
        var forms: [Form] = []
        forms.reserveCapacity(lines.count)
        for line in lines { forms.append(self.classify(line, style: style)) }
        var folded: [Int] = []

        var raw: [RawUtterance] = []
        var previousBlank = true
        // A label line with no text waits for its text on the following lines.
        var pending: (label: String, time: Double?, line: Int)? = nil
        for (offset, form) in forms.enumerated() {
            let lineNumber = offset + 1
            switch form {
            case .blank:
                if let waiting = pending {
                    raw.append(RawUtterance(label: waiting.label, text: "", start: waiting.time, line: waiting.line))
                    pending = nil
                }
                previousBlank = true
            case .labelled(let label, let text, let time):
                if let waiting = pending {
                    raw.append(RawUtterance(label: waiting.label, text: "", start: waiting.time, line: waiting.line))
                }
                if text.isEmpty {
                    pending = (label, time, lineNumber)
                } else {
                    pending = nil
                    raw.append(RawUtterance(label: label, text: String(text), start: time, line: lineNumber))
                }
                previousBlank = false
            case .text(let text, let time, let labelLike):
                if let waiting = pending {
                    raw.append(
                        RawUtterance(
                            label: waiting.label, text: String(text), start: waiting.time ?? time, line: waiting.line))
                    pending = nil
                } else if !previousBlank, !raw.isEmpty {
                    // Nothing merged silently: a line that looked like a turn of its own is reported.
                    if labelLike { folded.append(lineNumber) }
                    raw[raw.count - 1].text += raw[raw.count - 1].text.isEmpty ? String(text) : " " + text
                } else {
                    raw.append(RawUtterance(label: nil, text: String(text), start: time, line: lineNumber))
                }
                previousBlank = false
            }
        }
        if let waiting = pending {
            raw.append(RawUtterance(label: waiting.label, text: "", start: waiting.time, line: waiting.line))
        }
        guard !raw.isEmpty else { throw FormatError(.emptyFile, file: file, "the transcript holds no utterances") }
        // Times are start times only; each utterance ends where the next one starts.
        for index in raw.indices where raw[index].start != nil {
            if index + 1 < raw.count, let next = raw[index + 1].start, next >= raw[index].start! {
                raw[index].end = next
            }
        }
        var transcript = Transcript(format: TranscriptFormat.plainText.rawValue, raw: raw)
        transcript.foldedLabelLines = folded
        return transcript
    }

    /// Whether most of the first non-blank lines are labelled (`Name: text`, `[00:01] Name: text` …).
    static func looksLabelled(_ lines: [Substring]) -> Bool {
        let sample = lines.filter { !$0.trimmed.isEmpty }.prefix(20)
        guard !sample.isEmpty else { return false }
        let style = self.style(Array(sample))
        let labelled = sample.filter { line in
            if case .labelled = self.classify(line, style: style) { return true }
            return false
        }
        return labelled.count * 2 > sample.count
    }

    private static func classify(_ line: Substring, style: Style) -> Form {
        var rest = line.trimmed
        guard !rest.isEmpty else { return .blank }
        var time: Double? = nil
        var labelLike = false
        // A leading time: `[00:01:02]`, `(00:01:02)`, `00:01:02` then a space or a tab.
        if let (seconds, after) = self.leadingTime(rest) {
            time = seconds
            rest = after
            if rest.hasPrefix("-") { rest = rest.dropFirst().trimmed }
        }
        // Zoom chat: `Name:<TAB>text`.
        if let tab = rest.firstIndex(of: "\t"), tab > rest.startIndex, rest[rest.index(before: tab)] == ":" {
            let label = rest[..<rest.index(before: tab)].trimmed
            if SpeakerLabel.looksLikeLabel(label) || style.recurring.contains(label) {
                return .labelled(label: String(label), text: rest[tab...].trimmed, time: time)
            }
        }
        if let (candidate, text) = SpeakerLabel.candidate(rest) {
            // A plausible label is one when the file uses it again, or, in a file whose turns all open with
            // a time, after a time.
            let shape = SpeakerLabel.shape(candidate)
            if shape == .label
                || shape == .plausible && (style.recurring.contains(candidate) || style.timed && time != nil)
            {
                // `Name (00:01:02): text`
                var name = candidate
                if time == nil, let open = name.lastIndex(of: "("), name.hasSuffix(")"),
                    let seconds = TimeCode.seconds(name[name.index(after: open)..<name.index(before: name.endIndex)])
                {
                    time = seconds
                    name = name[..<open].trimmed
                }
                return .labelled(label: String(name), text: text, time: time)
            }
            labelLike = shape == .plausible
        }
        if style.bracketTags, rest.first == "[", let close = rest.firstIndex(of: "]") {
            let tag = rest[rest.index(after: rest.startIndex)..<close].trimmed
            if TimeCode.seconds(tag) == nil, !tag.isEmpty, tag.utf8.count <= 40 {
                return .labelled(label: String(tag), text: rest[rest.index(after: close)...].trimmed, time: time)
            }
        }
        // Otter: `Maria Lopez  0:02` alone on a line.
        if let (label, seconds) = self.headerLine(rest) { return .labelled(label: label, text: "", time: seconds) }
        return .text(rest, time: time, labelLike: labelLike)
    }

    private static func leadingTime(_ line: Substring) -> (Double, Substring)? {
        if let open = line.first, open == "[" || open == "(" {
            let close: Character = open == "[" ? "]" : ")"
            guard let end = line.firstIndex(of: close) else { return nil }
            guard let seconds = TimeCode.seconds(line[line.index(after: line.startIndex)..<end].trimmed) else {
                return nil
            }
            return (seconds, line[line.index(after: end)...].trimmed)
        }
        guard let first = line.first, first.isNumber else { return nil }
        let token = line.prefix { !$0.isWhitespace }
        guard token.count < line.count, let seconds = TimeCode.seconds(token) else { return nil }
        return (seconds, line[token.endIndex...].trimmed)
    }

    private static func headerLine(_ line: Substring) -> (String, Double)? {
        guard let space = line.lastIndex(of: " ") else { return nil }
        let tail = line[line.index(after: space)...]
        guard let seconds = TimeCode.seconds(tail) else { return nil }
        let label = line[..<space].trimmed
        guard SpeakerLabel.looksLikeLabel(label) else { return nil }
        return (String(label), seconds)
    }
}
