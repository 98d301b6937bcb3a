import EnsembleCore

/// Readers for the JSON transcripts of speech-to-text services. Each keeps the service's own
/// utterance objects as utterances, so indexes match what the service returned.
enum JSONTranscriptReaders {
    /// Which JSON transcript a document is, from its keys; nil when none matches.
    static func detect(_ root: JSONNode) -> TranscriptFormat? {
        if let results = root["results"] {
            if let channels = results["channels"]?.array, channels.first?["alternatives"] != nil { return .deepgram }
            if results["speaker_labels"] != nil || results["channel_labels"] != nil || results["items"] != nil
                || results["audio_segments"] != nil || results["transcripts"] != nil
            {
                return .awsTranscribe
            }
        }
        if let turns = root["Transcript"]?.array,
            turns.first?["ParticipantRole"] != nil || turns.first?["Content"] != nil
        {
            return .awsCallAnalytics
        }
        if root["meeting_transcripts"] != nil { return .qmsum }
        if root["audio_url"] != nil || (root["utterances"] != nil && root["words"] != nil && root["status"] != nil) {
            return .assemblyAI
        }
        if let segments = root["segments"]?.array {
            let diarized = segments.contains { $0["type"]?.string == "transcript.text.segment" }
            return diarized ? .openAIDiarized : .whisper
        }
        if root.array != nil || root["utterances"]?.array != nil { return .jsonUtterances }
        return nil
    }

    static func read(_ root: JSONNode, format: TranscriptFormat, file: String) throws(FormatError) -> Transcript {
        let document = JSONField(node: root, file: file)
        let raw: [RawUtterance]
        switch format {
        case .whisper: raw = try self.segments(document, speakerKey: "speaker")
        case .openAIDiarized: raw = try self.segments(document, speakerKey: "speaker")
        case .deepgram: raw = try self.deepgram(document)
        case .assemblyAI: raw = try self.assemblyAI(document)
        case .awsTranscribe: raw = try self.awsTranscribe(document)
        case .awsCallAnalytics: raw = try self.awsCallAnalytics(document)
        case .qmsum: raw = try self.qmsum(document)
        case .jsonUtterances: raw = try self.genericUtterances(document)
        default:
            throw FormatError(.unsupportedFormat, file: file, "not a JSON transcript format")
        }
        guard !raw.isEmpty else { throw FormatError(.emptyFile, file: file, "the transcript holds no utterances") }
        return Transcript(format: format.rawValue, raw: raw)
    }

    // MARK: - Shared

    /// Start and end of an utterance object, checked for order; `scale` converts milliseconds.
    private static func times(
        _ field: JSONField, startKey: String, endKey: String, scale: Double = 1
    ) throws(FormatError) -> (Double?, Double?) {
        let start = try field.optional(startKey).map { f throws(FormatError) in
            try f.number(expected: "a time in seconds") / scale
        }
        let end = try field.optional(endKey).map { f throws(FormatError) in
            try f.number(expected: "a time in seconds") / scale
        }
        if let start, let end, end < start {
            throw field.error(
                .inconsistent, "ends (\(TimeCode.format(end))) before it starts (\(TimeCode.format(start)))")
        }
        if let start, start < 0 { throw field.error(.invalidValue, "starts before zero") }
        return (start, end)
    }

    private static func label(_ field: JSONField?) throws(FormatError) -> String? {
        guard let field else { return nil }
        if let text = field.node.string { return text.isEmpty ? nil : text }
        if let number = field.node.number { return JSONWriter.format(number) }
        throw field.error(
            .wrongType, "expected a speaker label (a string or a number), found \(field.node.kindDescription)")
    }

    /// One utterance per object of `list`: the first text key present, optional times (× 1/`scale`)
    /// and the first speaker key present.
    private static func objects(
        _ list: JSONField, text: String, alternatives: [String] = [], start: String = "start", end: String = "end",
        speakers: [String], scale: Double = 1, trimming: Bool = false
    ) throws(FormatError) -> [RawUtterance] {
        var raw: [RawUtterance] = []
        for item in try list.array() {
            let key = ([text] + alternatives).first { item.has($0) } ?? text
            let content = try item.required(key, expected: "the utterance's text").string()
            let (startTime, endTime) = try self.times(item, startKey: start, endKey: end, scale: scale)
            var speaker: String? = nil
            for key in speakers where speaker == nil { speaker = try self.label(item.optional(key)) }
            raw.append(
                RawUtterance(
                    label: speaker, text: trimming ? content.trimmed : content, start: startTime, end: endTime,
                    line: item.node.line
                )
            )
        }
        return raw
    }

    // MARK: - Whisper, whisperX and OpenAI

    /// `{"segments": [{"start", "end", "text", "speaker"?}]}`: Whisper `verbose_json`, whisperX, OpenAI `diarized_json`.
    private static func segments(_ document: JSONField, speakerKey: String) throws(FormatError) -> [RawUtterance] {
        try self.objects(
            document.required("segments", expected: "an array of segments"), text: "text", speakers: [speakerKey],
            trimming: true
        )
    }

    // MARK: - Deepgram

    /// Deepgram's `utterances` when requested; else its paragraphs; else runs of words by speaker.
    private static func deepgram(_ document: JSONField) throws(FormatError) -> [RawUtterance] {
        let results = try document.required("results", expected: "Deepgram's results object")
        if let utterances = try results.optional("utterances"), !(try utterances.array()).isEmpty {
            return try self.objects(utterances, text: "transcript", speakers: ["speaker"])
        }
        let channels = try results.required("channels", expected: "an array of channels").array()
        var raw: [RawUtterance] = []
        for (channelIndex, channel) in channels.enumerated() {
            let alternatives = try channel.required("alternatives", expected: "an array of alternatives").array()
            guard let best = alternatives.first else { continue }
            let channelLabel = channels.count > 1 ? "channel \(channelIndex)" : nil
            if let paragraphs = try best.optional("paragraphs")?.optional("paragraphs"),
                !(try paragraphs.array()).isEmpty
            {
                for paragraph in try paragraphs.array() {
                    var sentences: [String] = []
                    for sentence in try paragraph.required("sentences", expected: "an array of sentences").array() {
                        sentences.append(try sentence.required("text", expected: "the sentence's text").string())
                    }
                    let (start, end) = try self.times(paragraph, startKey: "start", endKey: "end")
                    let speaker = try self.label(paragraph.optional("speaker")) ?? channelLabel
                    raw.append(
                        RawUtterance(
                            label: speaker, text: sentences.joined(separator: " "), start: start, end: end,
                            line: paragraph.node.line))
                }
                continue
            }
            // No paragraphs: a new utterance at every change of speaker.
            var current: RawUtterance? = nil
            var currentSpeaker: String?? = .none
            for word in try best.required("words", expected: "an array of words").array() {
                let tokenField: JSONField
                if let punctuated = try word.optional("punctuated_word") {
                    tokenField = punctuated
                } else {
                    tokenField = try word.required("word", expected: "the word")
                }
                let token = try tokenField.string()
                let speaker = try self.label(word.optional("speaker")) ?? channelLabel
                let (start, end) = try self.times(word, startKey: "start", endKey: "end")
                if currentSpeaker == .some(speaker), var open = current {
                    open.text += " " + token
                    open.end = end ?? open.end
                    current = open
                } else {
                    if let open = current { raw.append(open) }
                    current = RawUtterance(label: speaker, text: token, start: start, end: end, line: word.node.line)
                    currentSpeaker = .some(speaker)
                }
            }
            if let open = current { raw.append(open) }
        }
        return channels.count > 1 ? raw.sorted { ($0.start ?? 0) < ($1.start ?? 0) } : raw
    }

    // MARK: - AssemblyAI

    /// AssemblyAI's `utterances` (times in milliseconds); without speaker labels, its words by sentence.
    private static func assemblyAI(_ document: JSONField) throws(FormatError) -> [RawUtterance] {
        if let utterances = try document.optional("utterances"), !(try utterances.array()).isEmpty {
            return try self.objects(utterances, text: "text", speakers: ["speaker"], scale: 1000)
        }
        guard let words = try document.optional("words") else {
            throw document.error(
                .missingField, "has neither 'utterances' nor 'words'; request the transcript with speaker_labels")
        }
        var raw: [RawUtterance] = []
        var current: RawUtterance? = nil
        for word in try words.array() {
            let text = try word.required("text", expected: "the word").string()
            let speaker = try self.label(word.optional("speaker"))
            let (start, end) = try self.times(word, startKey: "start", endKey: "end", scale: 1000)
            if var open = current, open.label == speaker {
                open.text += " " + text
                open.end = end ?? open.end
                current = open
            } else {
                if let open = current { raw.append(open) }
                current = RawUtterance(label: speaker, text: text, start: start, end: end, line: word.node.line)
            }
            if let last = text.last, ".?!".contains(last), speaker == nil, let open = current {
                raw.append(open)
                current = nil
            }
        }
        if let open = current { raw.append(open) }
        return raw
    }

    // MARK: - AWS Transcribe

    /// AWS Transcribe batch output: `audio_segments` when present; else `speaker_labels.segments` filled
    /// with the words of `items`; else channel runs from `channel_labels`; else the plain transcript.
    private static func awsTranscribe(_ document: JSONField) throws(FormatError) -> [RawUtterance] {
        let results = try document.required("results", expected: "the results object")
        if let segments = try results.optional("audio_segments"), !(try segments.array()).isEmpty {
            return try self.objects(
                segments, text: "transcript", start: "start_time", end: "end_time",
                speakers: ["speaker_label", "channel_label"]
            )
        }
        let words = try self.awsWords(results.optional("items"))
        if let speakerLabels = try results.optional("speaker_labels") {
            var raw: [RawUtterance] = []
            var wordIndex = 0
            for segment in try speakerLabels.required("segments", expected: "an array of speaker segments").array() {
                let (start, end) = try self.times(segment, startKey: "start_time", endKey: "end_time")
                let speaker = try self.label(segment.required("speaker_label", expected: "the segment's speaker label"))
                var tokens: [String] = []
                // Words belong to the segment that spans their start; punctuation follows its word.
                while wordIndex < words.count {
                    let word = words[wordIndex]
                    if let wordStart = word.start {
                        guard let end, wordStart <= end + 0.001 else { break }
                        tokens.append(word.text)
                    } else if !tokens.isEmpty {
                        tokens[tokens.count - 1] += word.text
                    } else {
                        break
                    }
                    wordIndex += 1
                }
                raw.append(
                    RawUtterance(
                        label: speaker, text: tokens.joined(separator: " "), start: start, end: end,
                        line: segment.node.line))
            }
            return raw
        }
        if let channelLabels = try results.optional("channel_labels") {
            var timed: [(start: Double, channel: String, word: AWSWord)] = []
            for channel in try channelLabels.required("channels", expected: "an array of channels").array() {
                let name = try channel.required("channel_label", expected: "the channel's label").string()
                var lastStart = 0.0
                for word in try self.awsWords(channel.optional("items")) {
                    lastStart = word.start ?? lastStart
                    timed.append((lastStart, name, word))
                }
            }
            // Stable merge by time keeps punctuation after its word.
            let ordered = timed.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }
                .map(\.element)
            var raw: [RawUtterance] = []
            for item in ordered {
                if var open = raw.last, open.label == item.channel {
                    open.text += item.word.start == nil ? item.word.text : " " + item.word.text
                    open.end = item.word.end ?? open.end
                    raw[raw.count - 1] = open
                } else {
                    raw.append(
                        RawUtterance(
                            label: item.channel, text: item.word.text, start: item.word.start, end: item.word.end,
                            line: item.word.line))
                }
            }
            return raw
        }
        var raw: [RawUtterance] = []
        for transcript in try results.required("transcripts", expected: "an array of transcripts").array() {
            raw.append(
                RawUtterance(
                    label: nil, text: try transcript.required("transcript", expected: "the transcript text").string(),
                    line: transcript.node.line))
        }
        return raw
    }

    private struct AWSWord {
        var text: String
        var start: Double?
        var end: Double?
        var line: Int
    }

    private static func awsWords(_ items: JSONField?) throws(FormatError) -> [AWSWord] {
        guard let items else { return [] }
        var words: [AWSWord] = []
        for item in try items.array() {
            let alternatives = try item.required("alternatives", expected: "an array of alternatives").array()
            guard let best = alternatives.first else { continue }
            let content = try best.required("content", expected: "the word").string()
            let (start, end) = try self.times(item, startKey: "start_time", endKey: "end_time")
            let isPunctuation = try item.optional("type")?.string() == "punctuation"
            words.append(AWSWord(text: content, start: isPunctuation ? nil : start, end: end, line: item.node.line))
        }
        return words
    }

    /// AWS Transcribe Call Analytics: `Transcript` turns with a participant role, times in milliseconds.
    private static func awsCallAnalytics(_ document: JSONField) throws(FormatError) -> [RawUtterance] {
        try self.objects(
            document.required("Transcript", expected: "an array of turns"), text: "Content", start: "BeginOffsetMillis",
            end: "EndOffsetMillis", speakers: ["ParticipantRole"], scale: 1000
        )
    }

    // MARK: - Meetings and generic lists

    /// QMSum meeting transcripts: `meeting_transcripts` of `{speaker, content}`.
    private static func qmsum(_ document: JSONField) throws(FormatError) -> [RawUtterance] {
        try self.objects(
            document.required("meeting_transcripts", expected: "an array of turns"), text: "content",
            speakers: ["speaker"]
        )
    }

    static let speakerKeys = ["speaker", "speaker_label", "speakerLabel", "label", "name", "role", "participant"]
    static let textKeys = ["text", "content", "transcript", "utterance", "message"]

    /// An array (or `{"utterances": […]}`) of objects with a speaker and a text, and optional start/end.
    private static func genericUtterances(_ document: JSONField) throws(FormatError) -> [RawUtterance] {
        let list =
            document.node.array != nil
            ? document : try document.required("utterances", expected: "an array of utterances")
        for item in try list.array() where !self.textKeys.contains(where: { item.has($0) }) {
            throw item.error(.missingField, "expected a text field (one of \(self.textKeys.joined(separator: ", ")))")
        }
        return try self.objects(
            list, text: self.textKeys[0], alternatives: Array(self.textKeys.dropFirst()), speakers: self.speakerKeys)
    }
}
