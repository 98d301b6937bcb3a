/// What kind of multi-client session this is; it decides roles, billing and note shape.
public enum SessionKind: String, Sendable, CaseIterable {
    case group, family, couples, multiFamilyGroup, individual
}

/// How the session was held.
public enum Modality: String, Sendable, CaseIterable {
    case inPerson, video, audioOnly
}

/// The progress-note structure a clinician wants the draft in.
public enum NoteFormat: String, Sendable, CaseIterable {
    case soap = "SOAP", dap = "DAP", birp = "BIRP", girp = "GIRP", pirp = "PIRP"
}

public enum ClinicianRole: String, Sendable, CaseIterable {
    case primary, coTherapist, supervisor, trainee
}

public enum AttendeeRole: String, Sendable, CaseIterable {
    case member, identifiedPatient, familyMember, partner
}

public struct Clinician: Sendable, Hashable {
    public var id: PersonID
    public var name: String
    public var credentials: String?
    public var npi: String?
    public var role: ClinicianRole
    /// Health-care provider taxonomy code (`101YM0800X`), for the claim's rendering provider.
    public var taxonomy: String?

    public init(
        id: PersonID, name: String, credentials: String? = nil, npi: String? = nil, role: ClinicianRole,
        taxonomy: String? = nil
    ) {
        self.id = id
        self.name = name
        self.credentials = credentials
        self.npi = npi
        self.role = role
        self.taxonomy = taxonomy
    }
}

/// Administrative sex as claims carry it (X12 DMG03).
public enum AdministrativeSex: String, Sendable, Hashable, CaseIterable {
    case female = "F", male = "M", unknown = "U"
}

/// What made a session interactively complex (CPT +90785), as the clinician documented it.
public enum InteractiveComplexityFactor: String, Sendable, Hashable, CaseIterable {
    /// Maladaptive communication among participants that complicated care.
    case maladaptiveCommunication
    /// A caregiver's emotions or behaviour interfered with carrying out the treatment plan.
    case caregiverInterference
    /// A sentinel event and a mandated report to a third party, discussed with the participants.
    case sentinelEvent
    /// Play equipment, devices, an interpreter or translator, for a patient without ordinary adult language.
    case languageBarrier
}

/// Per-attendee consent. An attendee without a consent record has not consented to anything.
public struct Consent: Sendable, Hashable {
    public var aiDrafting: Bool
    /// The attendee's records are subject to 42 CFR Part 2.
    public var part2: Bool
    /// Part 2 records: whether the patient's written consent covers disclosure for payment (a TPO
    /// consent); nil when the EHR did not say.
    public var paymentDisclosure: Bool?

    public init(aiDrafting: Bool, part2: Bool, paymentDisclosure: Bool? = nil) {
        self.aiDrafting = aiDrafting
        self.part2 = part2
        self.paymentDisclosure = paymentDisclosure
    }
}

/// The policyholder when it is not the patient: another attendee on the roster, or a person given here.
public struct Subscriber: Sendable, Hashable {
    /// The policyholder's clientId when they are on this session's roster (their name, date of birth,
    /// sex and address then come from there unless given here).
    public var clientId: PersonID?
    public var name: String?
    public var dateOfBirth: CalendarDate?
    public var sex: AdministrativeSex?
    public var address: Address?

    public init(
        clientId: PersonID? = nil, name: String? = nil, dateOfBirth: CalendarDate? = nil, sex: AdministrativeSex? = nil,
        address: Address? = nil
    ) {
        self.clientId = clientId
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
    }
}

public struct Coverage: Sendable, Hashable {
    public var payerName: String?
    public var payerId: String?
    public var memberId: String?
    /// The patient's relationship to the policyholder: `self`, `spouse`, `child`, `lifePartner`, `other`.
    public var subscriberRelationship: String?
    public var groupNumber: String?
    /// X12 SBR09 (`CI` commercial, `MB` Medicare Part B, `MC` Medicaid …); else the payer profile's.
    public var claimFilingIndicator: String?
    /// The policyholder, when the patient is not.
    public var subscriber: Subscriber?
    /// `primary`, `secondary` or `tertiary` (X12 SBR01 P/S/T); primary when not given.
    public var sequence: String?

    public init(
        payerName: String? = nil, payerId: String? = nil, memberId: String? = nil,
        subscriberRelationship: String? = nil, groupNumber: String? = nil, claimFilingIndicator: String? = nil,
        subscriber: Subscriber? = nil, sequence: String? = nil
    ) {
        self.payerName = payerName
        self.payerId = payerId
        self.memberId = memberId
        self.subscriberRelationship = subscriberRelationship
        self.groupNumber = groupNumber
        self.claimFilingIndicator = claimFilingIndicator
        self.subscriber = subscriber
        self.sequence = sequence
    }
}

public struct Objective: Sendable, Hashable {
    public var id: String
    public var text: String

    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

public struct Goal: Sendable, Hashable {
    public var id: String
    public var text: String
    public var objectives: [Objective]

    public init(id: String, text: String, objectives: [Objective] = []) {
        self.id = id
        self.text = text
        self.objectives = objectives
    }
}

public struct TreatmentPlan: Sendable, Hashable {
    public var id: String
    public var goals: [Goal]

    public init(id: String, goals: [Goal]) {
        self.id = id
        self.goals = goals
    }
}

/// A standardised measure the attendee completed (PHQ-9, GAD-7, ORS …).
public struct Measure: Sendable, Hashable {
    public var instrument: String
    public var score: Double?
    /// PHQ-9 item 9 (thoughts of being better off dead or of self-harm), 0–3.
    public var item9: Int?
    public var date: CalendarDate?

    public init(instrument: String, score: Double? = nil, item9: Int? = nil, date: CalendarDate? = nil) {
        self.instrument = instrument
        self.score = score
        self.item9 = item9
        self.date = date
    }
}

public struct Address: Sendable, Hashable {
    public var line1: String?
    public var line2: String?
    public var city: String?
    public var state: String?
    public var postalCode: String?

    public init(
        line1: String? = nil, line2: String? = nil, city: String? = nil, state: String? = nil,
        postalCode: String? = nil
    ) {
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.state = state
        self.postalCode = postalCode
    }
}

public struct Practice: Sendable, Hashable {
    public var name: String?
    public var npi: String?
    public var taxId: String?
    public var address: Address?
    /// The billing provider's taxonomy code (`261QM0801X`).
    public var taxonomy: String?

    public init(
        name: String? = nil, npi: String? = nil, taxId: String? = nil, address: Address? = nil, taxonomy: String? = nil
    ) {
        self.name = name
        self.npi = npi
        self.taxId = taxId
        self.address = address
        self.taxonomy = taxonomy
    }
}

/// One client on the session's roster, with the chart context the EHR sent.
public struct Attendee: Sendable, Hashable {
    public var id: PersonID
    public var name: String
    /// Names others may call this person during the session.
    public var aliases: [String]
    public var role: AttendeeRole
    /// Family and couples sessions: relationship to the identified patient (`mother`, `partner` …).
    public var relationship: String?
    /// Multiple-family groups: the identified patient this person's family belongs to.
    public var relatedTo: PersonID?
    public var present: Bool
    /// Minutes attended when the attendee was not there for the whole session.
    public var minutesAttended: Int?
    public var dateOfBirth: CalendarDate?
    /// ICD-10-CM codes, principal first.
    public var diagnoses: [String]
    /// Nil when the EHR sent no consent record: then nothing is consented.
    public var consent: Consent?
    public var coverage: Coverage?
    public var treatmentPlan: TreatmentPlan?
    public var measures: [Measure]
    public var previousNoteSummary: String?
    /// Overrides the session's note format for this attendee.
    public var noteFormat: NoteFormat?
    public var sex: AdministrativeSex?
    public var address: Address?
    /// The interactive-complexity factor the clinician documented for this attendee (+90785).
    public var interactiveComplexity: InteractiveComplexityFactor?
    /// The pronouns the attendee uses (`she`, `he`, `they`), for the third person in their note.
    public var pronouns: String?

    public init(
        id: PersonID, name: String, aliases: [String] = [], role: AttendeeRole, relationship: String? = nil,
        relatedTo: PersonID? = nil, present: Bool, minutesAttended: Int? = nil, dateOfBirth: CalendarDate? = nil,
        diagnoses: [String] = [], consent: Consent? = nil, coverage: Coverage? = nil,
        treatmentPlan: TreatmentPlan? = nil, measures: [Measure] = [], previousNoteSummary: String? = nil,
        noteFormat: NoteFormat? = nil, sex: AdministrativeSex? = nil, address: Address? = nil,
        interactiveComplexity: InteractiveComplexityFactor? = nil, pronouns: String? = nil
    ) {
        self.pronouns = pronouns
        self.id = id
        self.name = name
        self.aliases = aliases
        self.role = role
        self.relationship = relationship
        self.relatedTo = relatedTo
        self.present = present
        self.minutesAttended = minutesAttended
        self.dateOfBirth = dateOfBirth
        self.diagnoses = diagnoses
        self.consent = consent
        self.coverage = coverage
        self.treatmentPlan = treatmentPlan
        self.measures = measures
        self.previousNoteSummary = previousNoteSummary
        self.noteFormat = noteFormat
        self.sex = sex
        self.address = address
        self.interactiveComplexity = interactiveComplexity
    }
}

/// A label-to-person hint from the EHR or video tool. More than one person means one label covers
/// several people (a family on one device).
public struct SpeakerHint: Sendable, Hashable {
    public var label: String
    public var people: [PersonID]

    public init(label: String, people: [PersonID]) {
        self.label = label
        self.people = people
    }
}

/// One multi-client session as the EHR hands it over: who, when, what kind, and each attendee's chart context.
public struct Session: Sendable, Hashable {
    public var id: SessionID
    public var kind: SessionKind
    public var title: String?
    public var start: Timestamp
    public var end: Timestamp
    /// Nil when the EHR did not say; billing reports it rather than assuming in-person.
    public var modality: Modality?
    public var placeOfService: String?
    public var noteFormat: NoteFormat
    public var practice: Practice?
    public var clinicians: [Clinician]
    public var attendees: [Attendee]
    public var speakerHints: [SpeakerHint]
    /// Individual sessions: psychotherapy for crisis (90839/+90840) rather than by the time table.
    public var crisis: Bool
    /// A second session the same day that was separate and distinct from the first: its claims carry the
    /// payer's distinct-service modifier (59, or XU) instead of being taken for a duplicate.
    public var distinctService: Bool

    public init(
        id: SessionID, kind: SessionKind, title: String? = nil, start: Timestamp, end: Timestamp,
        modality: Modality? = nil, placeOfService: String? = nil, noteFormat: NoteFormat = .soap,
        practice: Practice? = nil, clinicians: [Clinician], attendees: [Attendee], speakerHints: [SpeakerHint] = [],
        crisis: Bool = false, distinctService: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.start = start
        self.end = end
        self.modality = modality
        self.placeOfService = placeOfService
        self.noteFormat = noteFormat
        self.practice = practice
        self.clinicians = clinicians
        self.attendees = attendees
        self.speakerHints = speakerHints
        self.crisis = crisis
        self.distinctService = distinctService
    }

    /// The scheduled length of the session in whole minutes.
    public var durationMinutes: Int { Int(((self.end - self.start) / 60).rounded()) }

    /// The family an attendee belongs to: their identified patient's id (in a family or couples session
    /// everyone shares one; in a multiple-family group, `relatedTo` says whose family).
    public func family(of attendee: Attendee) -> PersonID {
        if attendee.role == .identifiedPatient { return attendee.id }
        if let related = attendee.relatedTo { return related }
        let patients = self.attendees.filter { $0.role == .identifiedPatient }
        return self.kind != .multiFamilyGroup && patients.count == 1 ? patients[0].id : attendee.id
    }

    public func attendee(_ id: PersonID) -> Attendee? { self.attendees.first { $0.id == id } }

    public func clinician(_ id: PersonID) -> Clinician? { self.clinicians.first { $0.id == id } }

    public var presentAttendees: [Attendee] { self.attendees.filter(\.present) }
}
