/// Something a person must look at: an attribution the pipeline would not guess, a consent gap,
/// a billing block. Messages name ids and counts, never transcript text or names.
public struct Finding: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case info, warning, error

        private var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .error: 2
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    public enum Code: String, Sendable, Hashable, CaseIterable {
        // Attribution
        /// A clinician bound a speaker label to a person (or to no one) in review.
        case speakerCorrected
        /// A language model's draft for an attendee was not used; the deterministic draft stands.
        case modelFallback
        case speakerUnknown
        case utterancesUnknown
        case sharedDevice
        case labelMatchesAbsentAttendee
        case hintNamesAbsentAttendee
        case presentAttendeeSilent
        case unlabeledTranscript
        /// A source line opened like a labelled turn but was read as the utterance above it.
        case labelLikeLineMerged
        /// Two phone-number labels that never overlap: possibly one caller who dialled in again.
        case possibleSameCaller
        case speakerSplitAcrossLabels
        case labelsBoundTogether
        case labelChangesPerson
        case labelMixesSpeakers
        case groupLevelContent
        // Drafting
        case draftFailed
        case agentTimedOut
        case notesNearlyIdentical
        case protectedDisclosure
        case riskUnattributed
        case goalConflict
        // Consent
        case consentMissing
        // Billing
        case billingFailed
        case belowTimeThreshold
        case noIdentifiedPatient
        case severalIdentifiedPatients
        case patientAbsent
        case zCodeOnlyDiagnosis
        case diagnosisMissing
        case diagnosisInvalid
        case diagnosesTrimmed
        case coverageMissing
        case subscriberMissing
        /// Who the subscriber is was settled for billing staff: the policyholder taken from the roster, or
        /// the patient sent as the subscriber under their own member id.
        case subscriberResolved
        case patientDemographicsMissing
        case npiInvalid
        case providerIncomplete
        case placeOfServiceInvalid
        case modalityMissing
        case groupSizeExceeded
        case codeNotCovered
        case addOnNotAllowed
        case feeMissing
        case duplicateClaim
        case part2PaymentConsent
        case noteNotSigned
    }

    public var code: Code
    public var severity: Severity
    /// The attendee (or clinician) the finding is about, when it is about one person.
    public var person: PersonID?
    /// The speaker label concerned, when there is one. Labels are the transcript's device or
    /// display names; they appear in attribution output, never in logs.
    public var label: String?
    public var message: String
    /// Utterance indexes the finding rests on.
    public var evidence: [Int]

    public init(
        code: Code, severity: Severity, person: PersonID? = nil, label: String? = nil, message: String,
        evidence: [Int] = []
    ) {
        self.code = code
        self.severity = severity
        self.person = person
        self.label = label
        self.message = message
        self.evidence = evidence
    }
}
