/// One reason the attributor has for (or against) binding a label to a person.
public struct AttributionSignal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case speakerHint, exactName, firstNameOrAlias, nickname, lastNameOnly, initialAndLastName, fuzzyName
        case roleLabel, relationshipLabel
        case selfIntroduction, addressedBefore, thankedAfter, relationshipPhrase, ageTopic, clinicianStyle
        case addressesOther, mentionsOther, relationshipContradiction
        case elimination

        /// Signals read from what was said, as opposed to the label itself; these saturate.
        public var isContent: Bool {
            switch self {
            case .selfIntroduction, .addressedBefore, .thankedAfter, .relationshipPhrase, .ageTopic,
                .addressesOther, .mentionsOther, .relationshipContradiction:
                true
            default: false
            }
        }
    }

    public var kind: Kind
    /// The score this signal contributed (after saturation).
    public var score: Double
    /// How many times it was seen.
    public var count: Int
    /// Utterance indexes it rests on (the first few).
    public var evidence: [Int]

    public init(kind: Kind, score: Double, count: Int, evidence: [Int]) {
        self.kind = kind
        self.score = score
        self.count = count
        self.evidence = evidence
    }
}

/// What a speaker label was bound to.
public struct SpeakerAssignment: Sendable, Hashable {
    public var label: String
    /// The one person behind the label; nil when unknown or when the label covers several people.
    public var person: PersonID?
    /// When one label covers several people (a shared device), who they are; each utterance is then resolved.
    public var sharedBy: [PersonID]
    public var confidence: Double
    /// The signals for the chosen person (or, for a shared label, for the people sharing it), strongest first.
    public var signals: [AttributionSignal]
    /// The best person the attributor would not commit to, when the label is unknown.
    public var bestGuess: PersonID?
    public var utteranceCount: Int
    /// When a label changes persons partway (a diarizer swapping voices, a device handed over), it is
    /// bound in spans: this entry covers the label's utterances from this index on, up to the next span.
    /// Nil for the label's first span, or for the whole label.
    public var fromUtterance: Int?

    public init(
        label: String, person: PersonID?, sharedBy: [PersonID] = [], confidence: Double,
        signals: [AttributionSignal] = [], bestGuess: PersonID? = nil, utteranceCount: Int, fromUtterance: Int? = nil
    ) {
        self.fromUtterance = fromUtterance
        self.label = label
        self.person = person
        self.sharedBy = sharedBy
        self.confidence = confidence
        self.signals = signals
        self.bestGuess = bestGuess
        self.utteranceCount = utteranceCount
    }

    public var isShared: Bool { !self.sharedBy.isEmpty }
}

/// Who said one utterance.
public struct UtteranceAttribution: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        /// Taken from the label's person.
        case label
        /// Resolved on its own (a shared label, or a transcript without labels).
        case perUtterance
        /// No speech to attribute (`(deep rumbling)`).
        case nonSpeech
        /// Bound by a clinician's correction of the label in review.
        case corrected
    }

    public var index: Int
    /// Nil means unknown.
    public var person: PersonID?
    public var confidence: Double
    public var method: Method

    public init(index: Int, person: PersonID?, confidence: Double, method: Method) {
        self.index = index
        self.person = person
        self.confidence = confidence
        self.method = method
    }
}

/// How much one roster person spoke.
public struct PersonTalk: Sendable, Hashable {
    public var person: PersonID
    public var utterances: Int
    public var words: Int
    /// Seconds of speech: measured from utterance times, or estimated from words at 150 a minute.
    public var seconds: Double
    public var secondsAreEstimated: Bool
    public var labels: [String]

    public init(
        person: PersonID, utterances: Int, words: Int, seconds: Double, secondsAreEstimated: Bool, labels: [String]
    ) {
        self.person = person
        self.utterances = utterances
        self.words = words
        self.seconds = seconds
        self.secondsAreEstimated = secondsAreEstimated
        self.labels = labels
    }
}

/// The attributor's answer: every label and every utterance bound to a roster person or `unknown`.
public struct Attribution: Sendable, Hashable {
    public var speakers: [SpeakerAssignment]
    /// One per source utterance, in order.
    public var utterances: [UtteranceAttribution]
    /// Every present roster person, in roster order, including those who never spoke.
    public var talk: [PersonTalk]
    public var findings: [Finding]
    public var configurationVersion: String
    /// What each utterance says about names and relationships, as the attributor read it; the drafting
    /// facts reuse it rather than read every utterance again (nil when the attribution was built some
    /// other way).
    var contentEvents: [[ContentEvent]]? = nil
    /// The roster's name directory the attributor built; the drafting facts reuse it rather than build
    /// it again. Derived from the roster, so it takes no part in equality.
    var directory = Derived<NameDirectory?>(nil)

    public init(
        speakers: [SpeakerAssignment], utterances: [UtteranceAttribution], talk: [PersonTalk], findings: [Finding],
        configurationVersion: String
    ) {
        self.speakers = speakers
        self.utterances = utterances
        self.talk = talk
        self.findings = findings
        self.configurationVersion = configurationVersion
    }

    /// Indexes of speech utterances nobody could be bound to.
    public var unknownUtterances: [Int] {
        self.utterances.filter { $0.person == nil && $0.method != .nonSpeech }.map(\.index)
    }

    public func speaker(_ label: String) -> SpeakerAssignment? { self.speakers.first { $0.label == label } }
}

/// A value carried beside others it is derived from: it takes no part in equality or hashing.
struct Derived<Value: Sendable>: Sendable, Hashable {
    var value: Value

    init(_ value: Value) { self.value = value }

    static func == (lhs: Self, rhs: Self) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
