/// The pure segmentation procedure behind `TranscriptSegmenter`, tested on its own.
///
/// Topical segments come from a Viterbi pass over utterances: each kind scores the phrases of its
/// openers and cues, switching kind costs `switchPenalty` except where an opener starts the new kind,
/// and position priors favour check-ins early and wrap-ups late. Cost is linear in utterances.
public struct Segmentation: Sendable {
    public let configuration: SegmenterConfiguration
    private let tokenizer: Tokenizer
    private let openers: PhraseIndex<Int>
    private let cues: PhraseIndex<Int>

    public init(configuration: SegmenterConfiguration) {
        self.configuration = configuration
        let tokenizer = Tokenizer(
            abbreviations: Tokenizer.defaultAbbreviations.union(
                configuration.abbreviations.map { TextFolding.fold($0) })
        )
        self.tokenizer = tokenizer
        var openerPhrases: [(String, Int)] = []
        var cuePhrases: [(String, Int)] = []
        for (index, kind) in configuration.kinds.enumerated() {
            openerPhrases += kind.openers.map { ($0, index) }
            cuePhrases += kind.cues.map { ($0, index) }
        }
        self.openers = PhraseIndex(openerPhrases, tokenizer: tokenizer)
        self.cues = PhraseIndex(cuePhrases, tokenizer: tokenizer)
    }

    public func segment(_ transcript: Transcript) -> SegmentedTranscript {
        let texts = transcript.utterances.map { self.tokenizer.tokenize($0.text) }
        let isSpeech = zip(transcript.utterances, texts).map { Self.holdsSpeech($0.text, words: $1.words) }
        return SegmentedTranscript(
            transcript: transcript, texts: texts, isSpeech: isSpeech, turns: Self.turns(of: transcript),
            segments: self.topicalSegments(texts: texts, isSpeech: isSpeech)
        )
    }

    /// An utterance holds speech when words remain after bracketed stage directions are removed.
    static func holdsSpeech(_ text: String, words: [Word]) -> Bool {
        guard !words.isEmpty else { return false }
        var depth = 0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "(", "[": depth += 1
            case ")", "]": depth = max(0, depth - 1)
            default:
                guard depth == 0 else { continue }
                let value = scalar.value
                if value < 0x80 {
                    if UInt8(value).isASCIILetter { return true }
                } else if scalar.properties.isAlphabetic {
                    return true
                }
            }
        }
        return false
    }

    static func turns(of transcript: Transcript) -> [Turn] {
        var turns: [Turn] = []
        for utterance in transcript.utterances {
            if let last = turns.last, last.label == utterance.label, last.label != nil {
                turns[turns.count - 1].utterances = last.utterances.lowerBound...utterance.index
            } else {
                turns.append(Turn(label: utterance.label, utterances: utterance.index...utterance.index))
            }
        }
        return turns
    }

    private func topicalSegments(texts: [TokenizedText], isSpeech: [Bool]) -> [TopicalSegment] {
        let count = texts.count
        guard count > 0 else { return [] }
        let kinds = self.configuration.kinds
        let fallback = kinds.count  // the extra state
        let states = kinds.count + 1
        var emission = [Double](repeating: 0, count: count * states)
        var opensKind = [Bool](repeating: false, count: count * states)
        var evidenceAt = [Bool](repeating: false, count: count * states)
        // Locals, so the closures below capture two numbers rather than a copy of the whole segmenter.
        let cues = self.cues
        let openers = self.openers
        let cueWeight = self.configuration.cueWeight
        let openerWeight = self.configuration.openerWeight

        var cueAt = [Bool](repeating: false, count: count * states)
        for (u, text) in texts.enumerated() where isSpeech[u] {
            cues.forEachMatch(in: text.words) { _, kind in
                emission[u * states + kind] += cueWeight
                evidenceAt[u * states + kind] = true
                cueAt[u * states + kind] = true
            }
            let position = Double(u) / Double(max(count - 1, 1))
            openers.forEachMatch(in: text.words) { _, kind in
                // An opening kind's phrase near the end is a check-out, a closing kind's near the start is
                // an agenda preview: neither opens its kind there.
                switch kinds[kind].position {
                case .opening where position > 0.7: return
                case .closing where position < 0.3: return
                default: break
                }
                emission[u * states + kind] += openerWeight
                opensKind[u * states + kind] = true
                evidenceAt[u * states + kind] = true
            }
            for (k, kind) in kinds.enumerated() {
                switch kind.position {
                case .opening: emission[u * states + k] += position < 0.3 ? 0.05 : (position > 0.7 ? -0.3 : 0)
                case .closing: emission[u * states + k] += position > 0.7 ? 0.05 : (position < 0.3 ? -0.3 : 0)
                case .any: break
                }
            }
            emission[u * states + fallback] += 0.02
        }

        // A phase often starts in words of its own rather than a set phrase: its cues in two utterances
        // close together (`cueRun`) open it at the first, as an opener would.
        let run = self.configuration.cueRun
        if run > 1 {
            for k in 0..<kinds.count {
                var last: Int? = nil
                for u in 0..<count where cueAt[u * states + k] {
                    if let last, u - last < run { opensKind[last * states + k] = true }
                    last = u
                }
            }
        }

        // Viterbi with back-pointers.
        var score = [Double](repeating: -.infinity, count: states)
        var back = [Int32](repeating: 0, count: count * states)
        for s in 0..<states {
            score[s] = emission[s] - (s == fallback || opensKind[s] ? 0 : self.configuration.switchPenalty)
        }
        var next = [Double](repeating: 0, count: states)
        for u in 1..<max(count, 1) {
            // The best predecessor for a switch is the same for every target state.
            var bestScore = -Double.infinity
            var bestState = 0
            for s in 0..<states where score[s] > bestScore {
                bestScore = score[s]
                bestState = s
            }
            for s in 0..<states {
                let switchCost = opensKind[u * states + s] ? 0 : self.configuration.switchPenalty
                var value = score[s]
                var from = s
                if bestState != s && bestScore - switchCost > value {
                    value = bestScore - switchCost
                    from = bestState
                }
                next[s] = value + emission[u * states + s]
                back[u * states + s] = Int32(from)
            }
            swap(&score, &next)
        }
        var state = score.indices.max { score[$0] < score[$1] } ?? fallback
        var path = [Int](repeating: fallback, count: count)
        for u in stride(from: count - 1, through: 0, by: -1) {
            path[u] = state
            state = Int(back[u * states + state])
        }

        var runs: [(state: Int, range: ClosedRange<Int>)] = []
        for u in 0..<count {
            if let last = runs.last, last.state == path[u] {
                runs[runs.count - 1].range = last.range.lowerBound...u
            } else {
                runs.append((path[u], u...u))
            }
        }
        // Short runs join the run before them (or after, for the first), unless a phrase opened them.
        var merged: [(state: Int, range: ClosedRange<Int>)] = []
        for run in runs {
            let opened = opensKind[run.range.lowerBound * states + run.state]
            if run.range.count < self.configuration.minimumUtterances, !opened, let last = merged.last {
                merged[merged.count - 1].range = last.range.lowerBound...run.range.upperBound
            } else if let last = merged.last, last.state == run.state {
                merged[merged.count - 1].range = last.range.lowerBound...run.range.upperBound
            } else {
                merged.append(run)
            }
        }
        if merged.count > 1, merged[0].range.count < self.configuration.minimumUtterances,
            !opensKind[merged[0].range.lowerBound * states + merged[0].state]
        {
            merged[1].range = merged[0].range.lowerBound...merged[1].range.upperBound
            merged.removeFirst()
        }

        return merged.map { run in
            let evidence = run.range.filter { evidenceAt[$0 * states + run.state] }
            let name = run.state == fallback ? self.configuration.fallbackKind : kinds[run.state].name
            let strength = run.range.reduce(0.0) { $0 + max(0, emission[$1 * states + run.state]) }
            let confidence = run.state == fallback ? 0.5 : min(0.99, 1 - 1 / (1 + strength))
            return TopicalSegment(kind: name, utterances: run.range, confidence: confidence, evidence: evidence)
        }
    }
}

/// Segments a transcript into utterances, sentences, turns and topical segments.
///
/// One instance per session: it owns that job's state; the work is the pure `Segmentation`, compiled once
/// and shared by every instance, so sessions are segmented in parallel.
public actor TranscriptSegmenter {
    private let segmentation: Segmentation
    public private(set) var job: AgentJob?

    public init(configuration: SegmenterConfiguration) {
        self.init(compiled: Segmentation(configuration: configuration))
    }

    /// An instance over configuration compiled once for many.
    public init(compiled segmentation: Segmentation) { self.segmentation = segmentation }

    public nonisolated var configurationVersion: String { self.segmentation.configuration.version }

    /// Segments one session's transcript: this instance's one job.
    public func segment(_ transcript: Transcript, session: SessionID) throws -> SegmentedTranscript {
        try AgentJob.perform(&self.job, .transcriptSegmenter, session: session) {
            self.segmentation.segment(transcript)
        }
    }
}
