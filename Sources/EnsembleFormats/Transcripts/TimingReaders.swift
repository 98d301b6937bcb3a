public import EnsembleCore

/// NIST RTTM: `SPEAKER <file> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>`.
/// Timing only; lines may come in any order (VoxConverse groups them by speaker), so turns are sorted
/// by onset. Other record types (`SPKR-INFO`, `LEXEME` …) are skipped.
enum RTTMReader {
    struct Turn: Sendable, Hashable {
        var speaker: String
        var start: Double
        var end: Double
        var line: Int
    }

    static func turns(_ decoded: DecodedText, file: String) throws(FormatError) -> [Turn] {
        var turns: [Turn] = []
        for (offset, line) in decoded.lines.enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let type = fields.first, !type.hasPrefix(";") else { continue }
            guard type == "SPEAKER" else { continue }
            let lineNumber = offset + 1
            guard fields.count >= 8 else {
                throw FormatError(
                    .syntax, file: file, line: lineNumber,
                    "an RTTM SPEAKER line needs at least 8 fields, found \(fields.count)")
            }
            guard let onset = Double(fields[3]), onset.isFinite, onset >= 0 else {
                throw FormatError(.syntax, file: file, line: lineNumber, "field 4 (onset) is not a time in seconds")
            }
            guard let duration = Double(fields[4]), duration.isFinite else {
                throw FormatError(
                    .syntax, file: file, line: lineNumber, "field 5 (duration) is not a number of seconds")
            }
            guard duration >= 0 else {
                throw FormatError(
                    .inconsistent, file: file, line: lineNumber,
                    "the turn has a negative duration (it ends before it starts)")
            }
            turns.append(Turn(speaker: String(fields[7]), start: onset, end: onset + duration, line: lineNumber))
        }
        guard !turns.isEmpty else { throw FormatError(.emptyFile, file: file, "the RTTM file holds no SPEAKER lines") }
        return turns.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(
            \.element)
    }

    static func read(_ decoded: DecodedText, file: String) throws(FormatError) -> Transcript {
        let raw = try self.turns(decoded, file: file).map {
            RawUtterance(label: $0.speaker, text: "", start: $0.start, end: $0.end, line: $0.line)
        }
        return Transcript(format: TranscriptFormat.rttm.rawValue, raw: raw)
    }

    /// Gives each timed utterance the speaker of the turn that overlaps it most; utterances without
    /// times, or overlapping no turn, keep their label.
    static func apply(_ turns: [Turn], to transcript: Transcript) -> Transcript {
        var result = transcript
        var first = 0
        for index in result.utterances.indices {
            guard let start = result.utterances[index].start else { continue }
            let end = max(result.utterances[index].end ?? start, start)
            // Turns are sorted by start; skip those that end well before this utterance.
            while first < turns.count, turns[first].end < start - 30 { first += 1 }
            var overlaps: [String: Double] = [:]
            var cursor = first
            while cursor < turns.count, turns[cursor].start <= end {
                let overlap = min(end, turns[cursor].end) - max(start, turns[cursor].start)
                if overlap > 0 || (end == start && turns[cursor].start <= start && turns[cursor].end >= start) {
                    overlaps[turns[cursor].speaker, default: 0] += max(overlap, 0.001)
                }
                cursor += 1
            }
            if let best = overlaps.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
                result.utterances[index].label = best.key
            }
        }
        result.format += "+rttm"
        return result
    }
}

/// Praat TextGrid in the long ("text file") format: every non-empty interval of every interval tier
/// is an utterance labelled with its tier's name, merged across tiers by start time.
enum TextGridReader {
    /// Tier names that say nothing about the speaker; such tiers take their label from elsewhere.
    static let genericTierNames: Set<String> = [
        "speaker", "tier", "words", "transcript", "transcription", "text", "utterances", "",
    ]

    static func read(_ decoded: DecodedText, file: String, fallbackLabel: String? = nil) throws(FormatError)
        -> Transcript
    {
        let lines = decoded.lines
        guard lines.contains(where: { $0.contains("ooTextFile") }) else {
            throw FormatError(.syntax, file: file, line: 1, "a TextGrid must start with 'File type = \"ooTextFile\"'")
        }
        if lines.prefix(3).contains(where: { $0.contains("ooTextFile short") }) {
            throw FormatError(
                .unsupportedFormat, file: file, line: 1,
                "the short TextGrid format is not supported; save it from Praat as a text file (the long format)"
            )
        }
        var raw: [RawUtterance] = []
        var tierName: String? = nil
        var isIntervalTier = false
        var xmin: Double? = nil
        var xmax: Double? = nil
        var inInterval = false
        var intervalLine = 0
        for (offset, rawLine) in lines.enumerated() {
            let line = rawLine.trimmed
            let lineNumber = offset + 1
            if line.hasPrefix("class =") {
                isIntervalTier = self.stringValue(line) == "IntervalTier"
                tierName = nil
                inInterval = false
            } else if line.hasPrefix("name =") {
                tierName = self.stringValue(line)
            } else if line.hasPrefix("intervals ["), line.hasSuffix(":") {
                inInterval = isIntervalTier
                intervalLine = lineNumber
                xmin = nil
                xmax = nil
            } else if inInterval, line.hasPrefix("xmin =") {
                xmin = try self.number(line, lineNumber: lineNumber, file: file)
            } else if inInterval, line.hasPrefix("xmax =") {
                xmax = try self.number(line, lineNumber: lineNumber, file: file)
            } else if inInterval, line.hasPrefix("text =") {
                guard let text = self.stringValue(line) else {
                    throw FormatError(
                        .syntax, file: file, line: lineNumber, "an interval's text must be a quoted string on one line")
                }
                guard let start = xmin, let end = xmax else {
                    throw FormatError(
                        .syntax, file: file, line: intervalLine, "an interval needs xmin and xmax before its text")
                }
                guard end >= start else {
                    throw FormatError(
                        .inconsistent, file: file, line: intervalLine, "the interval ends before it starts")
                }
                inInterval = false
                let trimmed = text.trimmed
                guard !trimmed.isEmpty else { continue }
                let name = tierName.map { $0.trimmed } ?? ""
                let label =
                    self.genericTierNames.contains(name.lowercased())
                    ? (fallbackLabel ?? (name.isEmpty ? nil : name)) : name
                raw.append(RawUtterance(label: label, text: trimmed, start: start, end: end, line: lineNumber))
            }
        }
        guard !raw.isEmpty else { throw FormatError(.emptyFile, file: file, "the TextGrid has no interval with text") }
        let ordered = raw.enumerated().sorted {
            ($0.element.start ?? 0, $0.offset) < ($1.element.start ?? 0, $1.offset)
        }.map(\.element)
        return Transcript(format: TranscriptFormat.textGrid.rawValue, raw: ordered)
    }

    private static func stringValue(_ line: Substring) -> String? {
        guard let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close else {
            return nil
        }
        // Praat doubles a quote inside a string.
        return String(line[line.index(after: open)..<close]).replacingDoubledQuotes()
    }

    private static func number(_ line: Substring, lineNumber: Int, file: String) throws(FormatError) -> Double {
        guard let equals = line.firstIndex(of: "="), let value = Double(line[line.index(after: equals)...].trimmed)
        else {
            throw FormatError(.syntax, file: file, line: lineNumber, "expected a number of seconds")
        }
        return value
    }
}

extension String {
    fileprivate func replacingDoubledQuotes() -> String {
        guard self.contains("\"\"") else { return self }
        var result = ""
        var previousQuote = false
        for character in self {
            if character == "\"" && previousQuote {
                previousQuote = false
                continue
            }
            previousQuote = character == "\""
            result.append(character)
        }
        return result
    }
}

/// Several single-speaker channels (one file per microphone) merged into one transcript by start time.
public enum TranscriptMerger {
    /// Merges channel transcripts; utterances keep their order within a channel, and ties in time go
    /// to the channel listed first.
    public static func merge(_ channels: [Transcript]) -> Transcript {
        var items: [(start: Double, channel: Int, order: Int, utterance: Utterance)] = []
        for (channel, transcript) in channels.enumerated() {
            var lastStart = 0.0
            for (order, utterance) in transcript.utterances.enumerated() {
                lastStart = utterance.start ?? lastStart
                items.append((lastStart, channel, order, utterance))
            }
        }
        items.sort { ($0.start, $0.channel, $0.order) < ($1.start, $1.channel, $1.order) }
        let formats = Array(Set(channels.map(\.format))).sorted().joined(separator: "+")
        return Transcript(
            format: formats + " (\(channels.count) channels)",
            utterances: items.enumerated().map { index, item in
                var utterance = item.utterance
                utterance = Utterance(
                    index: index, label: utterance.label, text: utterance.text, start: utterance.start,
                    end: utterance.end,
                    line: utterance.line
                )
                return utterance
            }
        )
    }
}

/// Labels a timed transcript that has no speaker labels with an RTTM file's speaker turns.
public enum Diarization {
    /// Each timed utterance takes the speaker whose turns overlap it most.
    public static func apply(rttm: DecodedText, file: String, to transcript: Transcript) throws(FormatError)
        -> Transcript
    {
        guard transcript.hasTimes else {
            throw FormatError(
                .inconsistent, file: file, "the transcript has no times, so RTTM speaker turns cannot be matched to it")
        }
        return RTTMReader.apply(try RTTMReader.turns(rttm, file: file), to: transcript)
    }
}
