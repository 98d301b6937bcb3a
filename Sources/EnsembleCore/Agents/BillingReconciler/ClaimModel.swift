/// Where a claim stands for billing staff.
public enum ClaimStatus: String, Sendable, Hashable, CaseIterable {
    /// Complete, and the attendee's note is signed: it can be submitted.
    case ready
    /// Complete, but the attendee's note is not signed yet.
    case pendingSignature
    /// Billing staff can fix it: data is missing or invalid, and each blocking reason names the field.
    case blocked
    /// The service cannot be billed as drafted (below the code's minimum time, a code the payer does not
    /// cover, a duplicate): drop it, or bill the code a reason offers instead once the note supports it.
    case notBillable

    /// Whether the claim can go into an 837P: it is complete (a test file also takes claims waiting for
    /// their note's signature).
    public var isSubmittable: Bool { self == .ready || self == .pendingSignature }
}

/// One service line (X12 loop 2400; CMS-1500 box 24).
public struct ClaimLine: Sendable, Hashable {
    public var cpt: String
    public var modifiers: [String]
    public var units: Int
    public var chargeInCents: Int
    /// 1-based positions in the claim's diagnoses, principal first (at most 4).
    public var diagnosisPointers: [Int]

    public init(cpt: String, modifiers: [String], units: Int, chargeInCents: Int, diagnosisPointers: [Int]) {
        self.cpt = cpt
        self.modifiers = modifiers
        self.units = units
        self.chargeInCents = chargeInCents
        self.diagnosisPointers = diagnosisPointers
    }
}

/// A person as a claim names them (patient or policyholder).
public struct ClaimPerson: Sendable, Hashable {
    /// Their clientId when they are on the roster.
    public var id: PersonID?
    public var name: String
    public var dateOfBirth: CalendarDate?
    public var sex: AdministrativeSex
    public var address: Address?

    public init(
        id: PersonID?, name: String, dateOfBirth: CalendarDate?, sex: AdministrativeSex, address: Address?
    ) {
        self.id = id
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
    }
}

/// A provider as a claim names them: the practice (billing) or the clinician (rendering).
public struct ClaimProvider: Sendable, Hashable {
    /// The clinician's id; nil for the practice.
    public var id: PersonID?
    public var name: String
    public var npi: String
    public var taxonomy: String?
    public var taxId: String?
    public var address: Address?

    public init(
        id: PersonID?, name: String, npi: String, taxonomy: String? = nil, taxId: String? = nil,
        address: Address? = nil
    ) {
        self.id = id
        self.name = name
        self.npi = npi
        self.taxonomy = taxonomy
        self.taxId = taxId
        self.address = address
    }
}

/// The payer a claim goes to, and the profile whose rules applied.
public struct ClaimPayer: Sendable, Hashable {
    public var profile: String
    public var payerId: String
    public var name: String
    public var claimFilingIndicator: String
    public var memberId: String
    public var groupNumber: String?
    /// X12 SBR01: `P`, `S` or `T`.
    public var sequence: String

    public init(
        profile: String, payerId: String, name: String, claimFilingIndicator: String, memberId: String,
        groupNumber: String?, sequence: String
    ) {
        self.profile = profile
        self.payerId = payerId
        self.name = name
        self.claimFilingIndicator = claimFilingIndicator
        self.memberId = memberId
        self.groupNumber = groupNumber
        self.sequence = sequence
    }
}

/// One professional claim for one billed attendee and one session.
public struct Claim: Sendable, Hashable {
    /// The patient control number (X12 CLM01, CMS-1500 box 26): unique per session and attendee.
    public var id: String
    public var sessionID: SessionID
    public var attendee: PersonID
    public var dateOfService: CalendarDate
    /// The minutes the code was chosen on.
    public var minutes: Int
    public var placeOfService: String?
    public var lines: [ClaimLine]
    /// ICD-10-CM codes as the chart writes them (with the decimal point), principal first, at most 12.
    public var diagnoses: [String]
    public var status: ClaimStatus
    /// Why the claim is blocked or not billable (errors), what billing staff should know (warnings) and
    /// what was resolved for them (notes), in order found.
    public var reasons: [ClaimReason]
    /// The billed person. Optional parts below are nil exactly when a blocking reason says they are missing.
    public var patient: ClaimPerson
    public var subscriber: ClaimPerson?
    /// X12 PAT01 (`01` spouse, `19` child, `53` life partner, `G8` other) when the patient is not the subscriber.
    public var patientRelationshipCode: String?
    public var payer: ClaimPayer?
    public var billingProvider: ClaimProvider?
    public var renderingProvider: ClaimProvider?
    /// The session was marked separate and distinct from another the same day (its lines carry the
    /// distinct-service modifier).
    public var distinctService: Bool

    public init(
        id: String, sessionID: SessionID, attendee: PersonID, dateOfService: CalendarDate, minutes: Int,
        placeOfService: String?, lines: [ClaimLine], diagnoses: [String], status: ClaimStatus,
        reasons: [ClaimReason], patient: ClaimPerson, subscriber: ClaimPerson?, patientRelationshipCode: String?,
        payer: ClaimPayer?, billingProvider: ClaimProvider?, renderingProvider: ClaimProvider?,
        distinctService: Bool = false
    ) {
        self.id = id
        self.sessionID = sessionID
        self.attendee = attendee
        self.dateOfService = dateOfService
        self.minutes = minutes
        self.placeOfService = placeOfService
        self.lines = lines
        self.diagnoses = diagnoses
        self.status = status
        self.reasons = reasons
        self.patient = patient
        self.subscriber = subscriber
        self.patientRelationshipCode = patientRelationshipCode
        self.payer = payer
        self.billingProvider = billingProvider
        self.renderingProvider = renderingProvider
        self.distinctService = distinctService
    }

    /// The primary service line's code.
    public var cpt: String { self.lines.first?.cpt ?? "" }
    public var totalChargeInCents: Int { self.lines.reduce(0) { $0 + $1.chargeInCents } }
}

/// Why an attendee is not billed for a session.
public enum NotBilledReason: String, Sendable, Hashable, CaseIterable {
    /// A group member who did not attend.
    case absent
    /// A family member or partner: a participant in the identified patient's therapy.
    case participant
    /// A family member present in an individual session for the patient's sake.
    case collateral
    /// The session has no identified patient, or several, so nobody can be billed yet.
    case identifiedPatientUnclear
    /// The identified patient did not attend a session whose code needs them present.
    case patientAbsent
    /// Multiple-family groups billed per family: this family's claim is under another of its patients.
    case familyBilledOnce
}

/// What happened to one attendee: billed on a claim, or not billed and why.
public struct BillingDisposition: Sendable, Hashable {
    public var attendee: PersonID
    public var claimID: String?
    public var notBilled: NotBilledReason?
    public var explanation: String

    public init(attendee: PersonID, claimID: String?, notBilled: NotBilledReason?, explanation: String) {
        self.attendee = attendee
        self.claimID = claimID
        self.notBilled = notBilled
        self.explanation = explanation
    }
}

/// The BillingReconciler's result for one session.
public struct BillingResult: Sendable, Hashable {
    public var claims: [Claim]
    /// One per attendee, in roster order.
    public var dispositions: [BillingDisposition]
    public var findings: [Finding]
    /// Reasons about the whole session (the practice, the place of service, who the identified patient
    /// is), with the field that fixes each; claims they stop carry them too.
    public var sessionReasons: [ClaimReason]

    public init(
        claims: [Claim] = [], dispositions: [BillingDisposition] = [], findings: [Finding] = [],
        sessionReasons: [ClaimReason] = []
    ) {
        self.claims = claims
        self.dispositions = dispositions
        self.findings = findings
        self.sessionReasons = sessionReasons
    }

    public func claim(for attendee: PersonID) -> Claim? { self.claims.first { $0.attendee == attendee } }
}

/// Whether an attendee's note for the session is signed (issue 6 brings signing; until then none is).
public enum NoteReadiness: Sendable, Hashable {
    case signed
    /// A draft waits for the clinician's review and signature.
    case draft
    /// No draft could be made (no AI consent, or drafting failed): the clinician writes it by hand.
    case manualNoteRequired
}
