/// One utterance of a source transcript: a cue, line, segment or utterance object, in file order.
///
/// `index` is the contract: expected.json, the run report and every evidence list use it, and no
/// grouping into turns changes it.
public struct Utterance: Sendable, Hashable {
    public let index: Int
    /// The speaker label exactly as the source wrote it; nil when the source has none.
    public var label: String?
    public var text: String
    /// Seconds from the start of the recording.
    public var start: Double?
    public var end: Double?
    /// The 1-based line of the source file where the utterance begins (0 when the source has no lines).
    public var line: Int

    public init(index: Int, label: String?, text: String, start: Double? = nil, end: Double? = nil, line: Int = 0) {
        self.index = index
        self.label = label
        self.text = text
        self.start = start
        self.end = end
        self.line = line
    }

    /// Seconds of speech when both times are known.
    public var duration: Double? {
        guard let start, let end, end >= start else { return nil }
        return end - start
    }
}

/// Where a transcript came from: a recording's transcript, or the clinician's own bullet points.
public enum TranscriptOrigin: String, Sendable, Hashable {
    case recording
    /// `summary.md`: no recording was made; each bullet is an utterance written by the clinician.
    case clinicianSummary
}

/// A whole session transcript, read from any supported format.
public struct Transcript: Sendable, Hashable {
    /// The name of the format it was read from (`webvtt`, `deepgram` …), for reports.
    public var format: String
    public var origin: TranscriptOrigin
    public var utterances: [Utterance]
    /// Lines of the source that opened like a labelled turn (`Name: …`) but were read as the previous
    /// utterance's text (a label-like prefix the file never uses again), for a finding. Line numbers only.
    public var foldedLabelLines: [Int]

    public init(
        format: String, origin: TranscriptOrigin = .recording, utterances: [Utterance], foldedLabelLines: [Int] = []
    ) {
        self.format = format
        self.origin = origin
        self.utterances = utterances
        self.foldedLabelLines = foldedLabelLines
    }

    /// The distinct speaker labels in order of first appearance.
    public var labels: [String] { self.utterances.compactMap(\.label).uniqued() }

    public var hasTimes: Bool { self.utterances.contains { $0.start != nil } }
}
