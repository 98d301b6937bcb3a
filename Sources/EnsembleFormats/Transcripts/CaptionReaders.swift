import EnsembleCore

/// A block of non-blank lines, with the 1-based line number of its first line.
struct LineBlock {
    var firstLine: Int
    var lines: [Substring]
}

extension DecodedText {
    /// The caption blocks: runs of non-blank lines, also split where a line holds `-->` after the
    /// start of a block, because the WebVTT parsing algorithm starts a new cue there (YouTube writes
    /// cues with no blank line between them). A number just before such a line is its cue number.
    func cueBlocks() -> [LineBlock] {
        var result: [LineBlock] = []
        for block in self.blocks() {
            var current = LineBlock(firstLine: block.firstLine, lines: [])
            for (offset, line) in block.lines.enumerated() {
                // Offsets 0 and 1 are a cue's own timing line (after an optional identifier).
                if line.contains("-->") && current.lines.count >= 2 {
                    var carried: [Substring] = []
                    if let last = current.lines.last, last.trimmed.allSatisfy(\.isNumber), !last.trimmed.isEmpty,
                        current.lines.count > 2
                    {
                        carried = [current.lines.removeLast()]
                    }
                    result.append(current)
                    current = LineBlock(firstLine: block.firstLine + offset - carried.count, lines: carried)
                }
                current.lines.append(line)
            }
            result.append(current)
        }
        return result
    }

    /// The text's blocks of consecutive non-blank lines.
    func blocks() -> [LineBlock] {
        var blocks: [LineBlock] = []
        var current: LineBlock? = nil
        for (offset, line) in self.lines.enumerated() {
            if line.trimmed.isEmpty {
                if let block = current { blocks.append(block) }
                current = nil
            } else if current == nil {
                current = LineBlock(firstLine: offset + 1, lines: [line])
            } else {
                current!.lines.append(line)
            }
        }
        if let block = current { blocks.append(block) }
        return blocks
    }
}

/// Parses `start --> end [settings]` into seconds; errors name the line.
enum CueTiming {
    /// The utterance of a caption block whose timing line is at `timingOffset` (after an optional
    /// identifier or cue number); the payload's speaker and text follow it.
    static func cue(_ block: LineBlock, timingOffset: Int, file: String) throws(FormatError) -> RawUtterance {
        let timingLine = block.firstLine + timingOffset
        let timing = try self.parse(block.lines[timingOffset], lineNumber: timingLine, file: file)
        let (label, text) = CueText.speakerAndText(Array(block.lines[(timingOffset + 1)...]))
        return RawUtterance(label: label, text: text, start: timing.start, end: timing.end, line: timingLine)
    }

    static func parse(_ line: Substring, lineNumber: Int, file: String) throws(FormatError) -> (
        start: Double, end: Double
    ) {
        let parts = line.split(separator: "-->", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw FormatError(
                .syntax, file: file, line: lineNumber, "expected a timing line such as '00:01:02.000 --> 00:01:05.500'")
        }
        let startText = parts[0].trimmed
        let endText = parts[1].trimmed.prefix { $0 != " " && $0 != "\t" }
        guard let start = TimeCode.seconds(startText) else {
            throw FormatError(
                .syntax, file: file, line: lineNumber, "the cue start is not a time code (expected hh:mm:ss.mmm)")
        }
        guard let end = TimeCode.seconds(endText) else {
            throw FormatError(
                .syntax, file: file, line: lineNumber, "the cue end is not a time code (expected hh:mm:ss.mmm)")
        }
        guard end >= start else {
            throw FormatError(
                .inconsistent, file: file, line: lineNumber,
                "the cue ends (\(TimeCode.format(end))) before it starts (\(TimeCode.format(start)))"
            )
        }
        return (start, end)
    }
}

/// WebVTT, as Zoom, Teams, YouTube and caption tools write it.
enum WebVTTReader {
    static func read(_ decoded: DecodedText, file: String) throws(FormatError) -> Transcript {
        let lines = decoded.lines
        guard let first = lines.first.map({ $0.drop { $0 == "\u{FEFF}" } }), first.hasPrefix("WEBVTT"),
            first.count == 6 || first.dropFirst(6).first == " " || first.dropFirst(6).first == "\t"
        else {
            throw FormatError(.syntax, file: file, line: 1, "a WebVTT file must start with the line 'WEBVTT'")
        }
        var raw: [RawUtterance] = []
        var seenCue = false
        for (blockIndex, block) in decoded.cueBlocks().enumerated() {
            // The first block is the header (WEBVTT plus metadata lines).
            if blockIndex == 0 && block.firstLine == 1 { continue }
            let head = block.lines[0].trimmed
            if self.isKeywordBlock(head) { continue }
            let timingOffset: Int
            if head.contains("-->") {
                timingOffset = 0
            } else if block.lines.count > 1, block.lines[1].contains("-->") {
                timingOffset = 1  // a cue identifier first
            } else if !seenCue {
                continue  // metadata before the first cue (old `Region:` lines, `##`)
            } else {
                throw FormatError(
                    .syntax, file: file, line: block.firstLine,
                    "a cue has no timing line ('start --> end'); every caption needs one"
                )
            }
            raw.append(try CueTiming.cue(block, timingOffset: timingOffset, file: file))
            seenCue = true
        }
        guard !raw.isEmpty else { throw FormatError(.emptyFile, file: file, "the WebVTT file holds no cues") }
        CueText.recoverRecurringLabels(&raw)
        return Transcript(format: TranscriptFormat.webVTT.rawValue, raw: raw)
    }

    private static func isKeywordBlock(_ head: Substring) -> Bool {
        for keyword in ["NOTE", "STYLE", "REGION"] where head.hasPrefix(keyword) {
            let rest = head.dropFirst(keyword.count)
            if rest.isEmpty || rest.first == " " || rest.first == "\t" { return true }
        }
        return false
    }
}

/// SubRip (`.srt`), with or without cue numbers.
enum SRTReader {
    static func read(_ decoded: DecodedText, file: String) throws(FormatError) -> Transcript {
        var raw: [RawUtterance] = []
        for block in decoded.cueBlocks() {
            let head = block.lines[0].trimmed.drop { $0 == "\u{FEFF}" }
            let timingOffset: Int
            if head.contains("-->") {
                timingOffset = 0
            } else if head.allSatisfy(\.isNumber), block.lines.count > 1, block.lines[1].contains("-->") {
                timingOffset = 1
            } else if head.allSatisfy(\.isNumber) {
                throw FormatError(
                    .syntax, file: file, line: block.firstLine + 1, "expected a timing line after the cue number")
            } else {
                throw FormatError(
                    .syntax, file: file, line: block.firstLine,
                    "expected a cue number or a timing line ('start --> end'); caption text without timing cannot be placed"
                )
            }
            raw.append(try CueTiming.cue(block, timingOffset: timingOffset, file: file))
        }
        guard !raw.isEmpty else { throw FormatError(.emptyFile, file: file, "the SRT file holds no cues") }
        CueText.recoverRecurringLabels(&raw)
        return Transcript(format: TranscriptFormat.srt.rawValue, raw: raw)
    }
}
