public import EnsembleCore

/// How an attribution compares with a person-written expected.json.
///
/// Only speech utterances with an expectation count (an explicit `utterances` entry, else their
/// label's `speakers` entry); an expected `unknown` is matched only by `unknown`.
public struct AttributionScore: Sendable {
    public struct Mismatch: Sendable, Hashable {
        public var index: Int
        public var label: String?
        public var expected: PersonID?
        public var got: PersonID?
    }

    public struct LabelResult: Sendable, Hashable {
        public var label: String
        public var expected: PersonID??
        public var got: PersonID?
        public var sharedBy: [PersonID]
        public var confidence: Double
    }

    /// Utterances scored.
    public private(set) var total = 0
    public private(set) var correct = 0
    /// Attributed to the wrong person: the costly kind of error.
    public private(set) var wrong = 0
    /// Left unknown where a person was expected: surfaced to the clinician, not guessed.
    public private(set) var unknown = 0
    /// Utterances given to an attendee marked absent (must always be zero).
    public private(set) var givenToAbsent = 0
    public private(set) var mismatches: [Mismatch] = []
    public private(set) var labels: [LabelResult] = []

    public init(attributed: AttributedSession, expected: ExpectedOutcome) {
        let absent = Set(attributed.session.attendees.filter { !$0.present }.map(\.id))
        for item in attributed.attribution.utterances {
            if let person = item.person, absent.contains(person) { self.givenToAbsent += 1 }
            guard item.method != .nonSpeech else { continue }
            let utterance = attributed.segmented.utterances[item.index]
            guard case .some(let wanted) = expected.expectedPerson(for: utterance) else { continue }
            self.total += 1
            if item.person == wanted {
                self.correct += 1
            } else {
                if item.person == nil { self.unknown += 1 } else { self.wrong += 1 }
                self.mismatches.append(
                    Mismatch(index: item.index, label: utterance.label, expected: wanted, got: item.person))
            }
        }
        for speaker in attributed.attribution.speakers {
            self.labels.append(
                LabelResult(
                    label: speaker.label, expected: expected.speakers[speaker.label], got: speaker.person,
                    sharedBy: speaker.sharedBy, confidence: speaker.confidence
                )
            )
        }
    }

    /// Correct over scored.
    public var accuracy: Double { self.total == 0 ? 1 : Double(self.correct) / Double(self.total) }

    /// Correct over attributed (unknowns left out): how far a committed answer can be trusted.
    public var precision: Double {
        let committed = self.total - self.unknown
        return committed == 0 ? 1 : Double(committed - self.wrong) / Double(committed)
    }
}
