public import EnsembleCore

/// The JSON of `ensemble attribute --json`. Its `speakers`, `utterances` and `findings` keys have the
/// run report's shape (SCENARIO-FORMAT.md), so a later `draft` report carries them unchanged.
public enum AttributionReport {
    public struct Context: Sendable {
        public var transcriptFiles: [String]
        public var segmenterVersion: String
        public var includeText: Bool

        public init(transcriptFiles: [String], segmenterVersion: String, includeText: Bool = true) {
            self.transcriptFiles = transcriptFiles
            self.segmenterVersion = segmenterVersion
            self.includeText = includeText
        }
    }

    public static func json(_ attributed: AttributedSession, context: Context) -> JSONNode {
        let attribution = attributed.attribution
        return .object([
            ("sessionId", .string(attributed.session.id.rawValue)),
            ("kind", .string(attributed.session.kind.rawValue)),
            ("transcript", self.transcript(attributed, files: context.transcriptFiles)),
            ("speakers", .array(attribution.speakers.map(self.speaker))),
            ("utterances", .array(self.utterances(attributed, includeText: context.includeText))),
            ("people", .array(attribution.talk.map { self.talk($0, roster: attributed.roster) })),
            ("unknownUtterances", .array(attribution.unknownUtterances.map { .number($0) })),
            ("segments", .array(attributed.segmented.segments.map(self.segment))),
            ("findings", .array(attribution.findings.map(self.finding))),
            (
                "agents",
                .object([
                    ("transcriptSegmenter", .string(context.segmenterVersion)),
                    ("speakerAttributor", .string(attribution.configurationVersion)),
                ])
            ),
        ])
    }

    static func transcript(_ attributed: AttributedSession, files: [String]) -> JSONNode {
        let transcript = attributed.segmented.transcript
        return .object([
            ("files", .array(files.map { .string($0) })),
            ("format", .string(transcript.format)),
            ("origin", .string(transcript.origin.rawValue)),
            ("utterances", .number(transcript.utterances.count)),
            ("sentences", .number(attributed.segmented.sentenceCount)),
            ("timed", .bool(transcript.hasTimes)),
        ])
    }

    static func speaker(_ speaker: SpeakerAssignment) -> JSONNode {
        .object([
            ("label", .string(speaker.label)),
            ("attendeeId", .string(speaker.person?.rawValue ?? "unknown")),
            ("confidence", .rounded(speaker.confidence)),
            ("sharedBy", speaker.isShared ? .array(speaker.sharedBy.map { .string($0.rawValue) }) : nil),
            ("bestGuess", speaker.person == nil ? .string(speaker.bestGuess?.rawValue) : nil),
            ("utteranceCount", .number(speaker.utteranceCount)),
            ("fromUtterance", speaker.fromUtterance.map { .number($0) }),
            ("signals", .array(speaker.signals.map(self.signal))),
        ])
    }

    static func signal(_ signal: AttributionSignal) -> JSONNode {
        .object([
            ("kind", .string(signal.kind.rawValue)),
            ("score", .rounded(signal.score)),
            ("count", .number(signal.count)),
            ("evidence", .array(signal.evidence.map { .number($0) })),
        ])
    }

    public static func utterances(_ attributed: AttributedSession, includeText: Bool) -> [JSONNode] {
        let utterances = attributed.segmented.utterances
        return attributed.attribution.utterances.map { item in
            let utterance = utterances[item.index]
            return .object([
                ("index", .number(item.index)),
                ("label", utterance.label.map { .string($0) } ?? .null),
                ("attendeeId", .string(item.person?.rawValue ?? "unknown")),
                ("confidence", .rounded(item.confidence)),
                ("method", .string(item.method.rawValue)),
                ("start", utterance.start.map { .rounded($0, places: 3) }),
                ("end", utterance.end.map { .rounded($0, places: 3) }),
                ("text", includeText ? .string(utterance.text) : nil),
            ])
        }
    }

    static func talk(_ talk: PersonTalk, roster: Roster) -> JSONNode {
        let person = roster.person(talk.person)
        let role: String
        switch person?.kind {
        case .clinician(let clinicianRole): role = "clinician:" + clinicianRole.rawValue
        case .attendee(let attendeeRole): role = attendeeRole.rawValue
        case nil: role = "unknown"
        }
        return .object([
            ("id", .string(talk.person.rawValue)),
            ("role", .string(role)),
            ("utterances", .number(talk.utterances)),
            ("words", .number(talk.words)),
            ("talkSeconds", .rounded(talk.seconds, places: 1)),
            ("talkSecondsEstimated", .bool(talk.secondsAreEstimated)),
            ("labels", .array(talk.labels.map { .string($0) })),
        ])
    }

    public static func segment(_ segment: TopicalSegment) -> JSONNode {
        .object([
            ("kind", .string(segment.kind)),
            ("utterances", .array([.number(segment.utterances.lowerBound), .number(segment.utterances.upperBound)])),
            ("confidence", .rounded(segment.confidence)),
            ("evidence", .array(segment.evidence.prefix(10).map { .number($0) })),
        ])
    }

    public static func finding(_ finding: Finding) -> JSONNode {
        .object([
            ("code", .string(finding.code.rawValue)),
            ("severity", .string(finding.severity.rawValue)),
            ("attendeeId", finding.person.map { .string($0.rawValue) }),
            ("label", .string(finding.label)),
            ("message", .string(finding.message)),
            ("evidence", finding.evidence.isEmpty ? nil : .array(finding.evidence.map { .number($0) })),
        ])
    }
}
