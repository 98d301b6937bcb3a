import EnsembleCore

/// RFC 4180 CSV (quoted fields, embedded line breaks, `""` escapes), with the line each record starts on.
enum CSV {
    struct Record {
        var fields: [String]
        var line: Int
    }

    static func parse(_ text: String, file: String, separator: UInt8 = UInt8(ascii: ",")) throws(FormatError)
        -> [Record]
    {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var quoteLine = 0
        let bytes = Array(text.utf8)
        var index = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                if field.isEmpty {
                    inQuotes = true
                    quoteLine = line
                } else {
                    field.append(byte)
                }
            case separator: endField()
            case 0x0A:
                endField()
                if !(fields.count == 1 && fields[0].isEmpty) {
                    records.append(Record(fields: fields, line: recordLine))
                }
                fields.removeAll(keepingCapacity: true)
                line += 1
                recordLine = line
            default: field.append(byte)
            }
            index += 1
        }
        if inQuotes {
            throw FormatError(.syntax, file: file, line: quoteLine, "a quoted CSV field is never closed")
        }
        if !field.isEmpty || !fields.isEmpty {
            endField()
            records.append(Record(fields: fields, line: recordLine))
        }
        return records
    }
}

/// Transcripts kept as tables: one row per utterance (`speaker`/`interlocutor`, `text`, times), or one
/// row per conversation with the whole dialogue in a cell (`dialogue`, as ACI-Bench does). A file of
/// several conversations needs the one to read named (`conversation`).
enum CSVTranscriptReader {
    static let speakerColumns = [
        "speaker", "speaker_label", "speaker_name", "interlocutor", "participant", "name", "role", "party", "who",
    ]
    static let textColumns = ["text", "utterance_text", "utterance", "content", "transcript", "message"]
    static let dialogueColumns = ["dialogue", "dialog", "conversation_text"]
    static let startColumns = ["start", "start_time", "begin", "timestamp", "time", "offset"]
    static let endColumns = ["end", "end_time", "stop"]
    static let conversationColumns = [
        "transcript_id", "conversation_id", "session_id", "encounter_id", "call_id", "meeting_id", "dialogue_id",
    ]

    /// True when the first line is a header naming a text or dialogue column.
    static func looksLikeCSV(_ text: String) -> Bool {
        guard let firstLine = text.split(separator: "\n", maxSplits: 1).first else { return false }
        let names = firstLine.split(separator: ",").map { $0.trimmed.lowercased() }
        guard names.count >= 2 else { return false }
        return names.contains { (self.textColumns + self.dialogueColumns).contains($0) }
    }

    /// The conversation id column and each id's row count, in file order; nil when the file has no such column.
    static func conversations(_ decoded: DecodedText, file: String) throws(FormatError) -> (
        column: String, ids: [(String, Int)]
    )? {
        let records = try CSV.parse(decoded.text, file: file)
        guard let header = records.first else { return nil }
        let names = header.fields.map { $0.trimmed.lowercased() }
        guard let column = self.conversationColumns.lazy.compactMap({ names.firstIndex(of: $0) }).first else {
            return nil
        }
        var order: [String] = []
        var counts: [String: Int] = [:]
        for record in records.dropFirst() where record.fields.indices.contains(column) {
            let id = record.fields[column]
            if counts[id] == nil { order.append(id) }
            counts[id, default: 0] += 1
        }
        return (names[column], order.map { ($0, counts[$0]!) })
    }

    static func read(_ decoded: DecodedText, file: String, conversation: String?) throws(FormatError) -> Transcript {
        let records = try CSV.parse(decoded.text, file: file)
        guard let header = records.first else {
            throw FormatError(.emptyFile, file: file, "the CSV file has no header row")
        }
        let names = header.fields.map { $0.trimmed.lowercased() }
        func column(_ candidates: [String]) -> Int? {
            for candidate in candidates { if let index = names.firstIndex(of: candidate) { return index } }
            return nil
        }
        let conversationColumn = column(self.conversationColumns)
        var rows = Array(records.dropFirst())
        if let conversationColumn {
            let distinct = Set(
                rows.map { $0.fields.indices.contains(conversationColumn) ? $0.fields[conversationColumn] : "" })
            // Conversation ids can be record numbers, so messages give counts, not ids.
            if let conversation {
                rows = rows.filter {
                    $0.fields.indices.contains(conversationColumn) && $0.fields[conversationColumn] == conversation
                }
                guard !rows.isEmpty else {
                    throw FormatError(
                        .notFound, file: file, field: names[conversationColumn],
                        "no conversation has the requested id; the file holds \(distinct.count) "
                            + "(`ensemble parse FILE --conversations` lists them)"
                    )
                }
            } else if distinct.count > 1 {
                throw FormatError(
                    .ambiguous, file: file, field: names[conversationColumn],
                    "the file holds \(distinct.count) conversations; name one by its \(names[conversationColumn]) with "
                        + "--conversation or \"conversation\" in session.json (`ensemble parse FILE --conversations` lists them)"
                )
            }
        }
        // One conversation per row: the dialogue cell is a plain-text transcript of its own.
        if let dialogue = column(self.dialogueColumns), column(self.speakerColumns) == nil {
            guard rows.count == 1, let row = rows.first, row.fields.indices.contains(dialogue) else {
                throw FormatError(.ambiguous, file: file, "expected one conversation row, found \(rows.count)")
            }
            let cell = DecodedText(
                text: TextDecoding.normalisingLineEnds(row.fields[dialogue]), encoding: decoded.encoding)
            var transcript: Transcript
            do {
                transcript = try PlainTextReader.read(cell, file: file)
            } catch {
                throw error.relocated(file: file, lineOffset: row.line - 1)
            }
            transcript.format = TranscriptFormat.csv.rawValue
            transcript.utterances = transcript.utterances.map {
                Utterance(
                    index: $0.index, label: $0.label, text: $0.text, start: $0.start, end: $0.end,
                    line: $0.line + row.line - 1)
            }
            return transcript
        }
        guard let textColumn = column(self.textColumns) else {
            throw FormatError(
                .missingField, file: file, line: 1,
                "no text column; expected one of \(self.textColumns.joined(separator: ", "))")
        }
        let speakerColumn = column(self.speakerColumns)
        let startColumn = column(self.startColumns)
        let endColumn = column(self.endColumns)
        var raw: [RawUtterance] = []
        for row in rows {
            guard row.fields.count == header.fields.count else {
                throw FormatError(
                    .syntax, file: file, line: row.line,
                    "the row has \(row.fields.count) fields; the header has \(header.fields.count)")
            }
            let start = try startColumn.flatMap { index throws(FormatError) in
                try self.time(row.fields[index], file: file, line: row.line, column: names[index])
            }
            let end = try endColumn.flatMap { index throws(FormatError) in
                try self.time(row.fields[index], file: file, line: row.line, column: names[index])
            }
            if let start, let end, end < start {
                throw FormatError(.inconsistent, file: file, line: row.line, "the utterance ends before it starts")
            }
            let label = speakerColumn.map { row.fields[$0].trimmed }.flatMap { $0.isEmpty ? nil : $0 }
            raw.append(
                RawUtterance(label: label, text: row.fields[textColumn].trimmed, start: start, end: end, line: row.line)
            )
        }
        guard !raw.isEmpty else { throw FormatError(.emptyFile, file: file, "the CSV file has no utterance rows") }
        return Transcript(format: TranscriptFormat.csv.rawValue, raw: raw)
    }

    private static func time(_ text: String, file: String, line: Int, column: String) throws(FormatError) -> Double? {
        let trimmed = Substring(text).trimmed
        if trimmed.isEmpty { return nil }
        if let seconds = Double(trimmed), seconds.isFinite { return seconds }
        if let seconds = TimeCode.seconds(trimmed) { return seconds }
        throw FormatError(.syntax, file: file, line: line, field: column, "expected a time (seconds or hh:mm:ss)")
    }
}

/// `summary.md`: the clinician's bullet points when no recording was made. Each bullet (or paragraph
/// line) is an utterance; `Name: …` prefixes and `## Name` headings give the person it is about.
enum SummaryReader {
    static func read(_ decoded: DecodedText, file: String) throws(FormatError) -> Transcript {
        var raw: [RawUtterance] = []
        var heading: String? = nil
        for (offset, line) in decoded.lines.enumerated() {
            var text = line.trimmed
            guard !text.isEmpty else { continue }
            if text.hasPrefix("#") {
                let title = text.drop { $0 == "#" }.trimmed
                heading = SpeakerLabel.looksLikeLabel(title) && !self.isGroupHeading(title) ? String(title) : nil
                continue
            }
            var isBullet = false
            for marker in ["- ", "* ", "+ ", "• "] where text.hasPrefix(marker) {
                text = text.dropFirst(marker.count).trimmed
                isBullet = true
            }
            if !isBullet, let dot = text.firstIndex(of: "."), text[..<dot].allSatisfy(\.isNumber), !text[..<dot].isEmpty
            {
                text = text[text.index(after: dot)...].trimmed
                isBullet = true
            }
            if !isBullet, let last = raw.last, last.line == offset {
                // A wrapped line continues the bullet above it.
                raw[raw.count - 1].text += " " + text
                raw[raw.count - 1].line = offset + 1
                continue
            }
            var label = heading
            let unbolded = Substring(String(text).replacingBold())
            if let (prefix, rest) = SpeakerLabel.split(unbolded), !rest.isEmpty, !self.isGroupHeading(Substring(prefix))
            {
                label = prefix
                text = rest
            } else {
                text = unbolded
            }
            raw.append(RawUtterance(label: label, text: String(text), line: offset + 1))
        }
        guard !raw.isEmpty else { throw FormatError(.emptyFile, file: file, "summary.md holds no bullet points") }
        return Transcript(format: TranscriptFormat.summary.rawValue, origin: .clinicianSummary, raw: raw)
    }

    private static func isGroupHeading(_ title: Substring) -> Bool {
        ["group", "session", "all", "everyone", "summary", "plan", "themes", "theme", "group process", "interventions"]
            .contains(title.lowercased())
    }
}

extension String {
    /// Removes Markdown bold and italic markers (`**Maria**:` → `Maria:`).
    fileprivate func replacingBold() -> String {
        guard self.contains("*") || self.contains("__") else { return self }
        var result = ""
        var index = self.startIndex
        while index < self.endIndex {
            let character = self[index]
            let next = self.index(after: index)
            if (character == "*" || character == "_") && next < self.endIndex && self[next] == character {
                index = self.index(after: next)
                continue
            }
            result.append(character)
            index = next
        }
        return result
    }
}
