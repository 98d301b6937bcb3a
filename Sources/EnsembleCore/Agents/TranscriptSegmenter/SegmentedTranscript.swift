/// A run of consecutive utterances carrying the same label. Turns group, they never renumber: each
/// utterance keeps its source index, and two lines with one label may still be two people.
public struct Turn: Sendable, Hashable {
    public var label: String?
    public var utterances: ClosedRange<Int>

    public init(label: String?, utterances: ClosedRange<Int>) {
        self.label = label
        self.utterances = utterances
    }
}

/// A topical part of the session (check-in, teaching, processing, wrap-up …) over a range of utterances.
public struct TopicalSegment: Sendable, Hashable {
    public var kind: String
    public var utterances: ClosedRange<Int>
    /// How strongly the text supports the kind, 0…1; the fallback kind carries the evidence it had.
    public var confidence: Double
    /// Utterances whose phrases signalled the kind.
    public var evidence: [Int]

    public init(kind: String, utterances: ClosedRange<Int>, confidence: Double, evidence: [Int]) {
        self.kind = kind
        self.utterances = utterances
        self.confidence = confidence
        self.evidence = evidence
    }
}

/// A sentence of the transcript: an utterance index and a UTF-8 range in that utterance's text.
public struct Sentence: Sendable, Hashable {
    public var utterance: Int
    public var utf8Range: Range<Int>

    public init(utterance: Int, utf8Range: Range<Int>) {
        self.utterance = utterance
        self.utf8Range = utf8Range
    }
}

/// The segmenter's output: the transcript with each utterance's words and sentences, turns and topical segments.
public struct SegmentedTranscript: Sendable, Hashable {
    public var transcript: Transcript
    /// Words and sentences of each utterance, by utterance index.
    public var texts: [TokenizedText]
    /// False for utterances that hold no speech (`(deep rumbling)`, `{vocalsound}`, `[laughs]`).
    public var isSpeech: [Bool]
    public var turns: [Turn]
    public var segments: [TopicalSegment]

    public init(
        transcript: Transcript, texts: [TokenizedText], isSpeech: [Bool], turns: [Turn],
        segments: [TopicalSegment]
    ) {
        self.transcript = transcript
        self.texts = texts
        self.isSpeech = isSpeech
        self.turns = turns
        self.segments = segments
    }

    public var utterances: [Utterance] { self.transcript.utterances }

    /// Every sentence in transcript order.
    public var sentences: [Sentence] {
        var result: [Sentence] = []
        for (index, text) in self.texts.enumerated() {
            for span in text.sentences { result.append(Sentence(utterance: index, utf8Range: span.utf8Range)) }
        }
        return result
    }

    public var sentenceCount: Int { self.texts.reduce(0) { $0 + $1.sentences.count } }

    /// The text of a sentence.
    public func text(of sentence: Sentence) -> String {
        let utf8 = Array(self.transcript.utterances[sentence.utterance].text.utf8)
        let range = sentence.utf8Range.clamped(to: 0..<utf8.count)
        return String(decoding: utf8[range], as: UTF8.self)
    }
}
