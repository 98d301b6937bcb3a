public import EnsembleCore

/// The transcript formats Ensemble reads; the raw value is the name reports and `--format` use.
public enum TranscriptFormat: String, Sendable, CaseIterable {
    case plainText = "text"
    case webVTT = "webvtt"
    case srt
    case whisper = "whisper-json"
    case openAIDiarized = "openai-diarized-json"
    case deepgram
    case assemblyAI = "assemblyai"
    case awsTranscribe = "aws-transcribe"
    case awsCallAnalytics = "aws-call-analytics"
    case rttm
    case textGrid = "textgrid"
    case csv
    case qmsum = "qmsum-json"
    case jsonUtterances = "json-utterances"
    case summary = "summary-md"
}

/// Options for reading one transcript file.
public struct TranscriptOptions: Sendable, Hashable {
    /// Read as this format instead of detecting it.
    public var format: TranscriptFormat?
    /// For files holding several conversations (AnnoMI, ACI-Bench CSVs): the one to read.
    public var conversation: String?
    /// For single-speaker channel files whose tier has no speaker name (`Speaker`): the label to use.
    public var channelLabel: String?

    public init(format: TranscriptFormat? = nil, conversation: String? = nil, channelLabel: String? = nil) {
        self.format = format
        self.conversation = conversation
        self.channelLabel = channelLabel
    }
}

/// Reads a transcript in any supported format, detected from its content (the file name's extension
/// only decides which error to give when the content matches nothing).
public enum TranscriptReading {
    /// - Parameters:
    ///   - bytes: the file's bytes, already checked against the size limit.
    ///   - file: the name errors use.
    public static func read(_ bytes: [UInt8], file: String, options: TranscriptOptions = TranscriptOptions())
        throws(FormatError) -> Transcript
    {
        let decoded = try TextDecoding.decode(bytes, file: file)
        return try self.read(decoded, file: file, options: options)
    }

    public static func read(_ decoded: DecodedText, file: String, options: TranscriptOptions = TranscriptOptions())
        throws(FormatError) -> Transcript
    {
        let format: TranscriptFormat
        if let forced = options.format {
            format = forced
        } else {
            format = try self.detect(decoded, file: file)
        }
        switch format {
        case .plainText: return try PlainTextReader.read(decoded, file: file)
        case .webVTT: return try WebVTTReader.read(decoded, file: file)
        case .srt: return try SRTReader.read(decoded, file: file)
        case .rttm: return try RTTMReader.read(decoded, file: file)
        case .textGrid:
            // One file per microphone names its speaker in the file name (`…_patient.TextGrid`).
            return try TextGridReader.read(
                decoded, file: file, fallbackLabel: options.channelLabel ?? Self.channelLabel(file))
        case .csv: return try CSVTranscriptReader.read(decoded, file: file, conversation: options.conversation)
        case .summary: return try SummaryReader.read(decoded, file: file)
        case .whisper, .openAIDiarized, .deepgram, .assemblyAI, .awsTranscribe, .awsCallAnalytics, .qmsum,
            .jsonUtterances:
            let root = try JSONParser.parse(decoded.text, file: file)
            return try JSONTranscriptReaders.read(root, format: format, file: file)
        }
    }

    /// For a table holding several conversations: the id column and each id with its row count.
    public static func conversations(_ decoded: DecodedText, file: String) throws(FormatError) -> (
        column: String, ids: [(String, Int)]
    )? {
        guard try self.detect(decoded, file: file) == .csv else { return nil }
        return try CSVTranscriptReader.conversations(decoded, file: file)
    }

    /// The format of a decoded file, from its content first and its extension second.
    public static func detect(_ decoded: DecodedText, file: String) throws(FormatError) -> TranscriptFormat {
        let text = decoded.text
        let head = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        let fileExtension = Self.fileExtension(file)
        if head.hasPrefix("WEBVTT") { return .webVTT }
        if head.hasPrefix("File type = \"ooTextFile\"") || head.hasPrefix("File type = \"ooTextFile short\"") {
            return .textGrid
        }
        if let first = head.first, first == "{" || first == "[" {
            // `[00:01:02] Name: text` also starts with a bracket; JSON needs a quote, brace or bracket next.
            let afterBracket = head.dropFirst().drop { $0.isWhitespace }.first
            if first == "{" || afterBracket == "{" || afterBracket == "\"" || afterBracket == "]" {
                let root = try JSONParser.parse(text, file: file)
                guard let format = JSONTranscriptReaders.detect(root) else {
                    throw FormatError(
                        .unsupportedFormat, file: file, line: root.line,
                        "JSON that is not a known transcript (expected Whisper/whisperX segments, OpenAI diarized_json, "
                            + "Deepgram, AssemblyAI, AWS Transcribe or a list of {speaker, text} objects)"
                    )
                }
                return format
            }
        }
        let firstLines = head.split(separator: "\n", maxSplits: 20, omittingEmptySubsequences: true).prefix(20)
        if let first = firstLines.first, first.hasPrefix("SPEAKER "), first.split(separator: " ").count >= 8 {
            return .rttm
        }
        if fileExtension == "md" && file.hasSuffix("summary.md") { return .summary }
        if CSVTranscriptReader.looksLikeCSV(String(head)) { return .csv }
        if firstLines.contains(where: { $0.contains("-->") }) {
            return fileExtension == "vtt" ? .webVTT : .srt
        }
        if PlainTextReader.looksLabelled(Array(firstLines)) { return .plainText }
        switch fileExtension {
        case "vtt": return .webVTT
        case "srt": return .srt
        case "json": return .jsonUtterances
        case "rttm": return .rttm
        case "textgrid": return .textGrid
        default: return .plainText
        }
    }

    /// `recordings/day1_consultation01_patient.TextGrid` → `patient`.
    public static func channelLabel(_ file: String) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        return stem.split(whereSeparator: { $0 == "_" || $0 == "-" }).last.map(String.init) ?? stem
    }

    static func fileExtension(_ file: String) -> String {
        guard let dot = file.lastIndex(of: "."), !file[dot...].contains("/") else { return "" }
        return String(file[file.index(after: dot)...]).lowercased()
    }
}
