/// Something billing staff must know about a claim. An error either blocks it (data billing staff can
/// supply: `fix` names the field) or makes it not billable (the service itself cannot support the code);
/// a warning or note does not stop it. Messages name ids, codes' positions and counts, never names or
/// transcript text.
public struct ClaimReason: Sendable, Hashable {
    public var code: Code
    public var severity: Finding.Severity
    /// A whole sentence or two: what is wrong and why it matters.
    public var message: String
    /// Where to fix it, when it is data someone can supply.
    public var fix: ClaimFix?
    /// A code the rules allow instead, for a service that cannot be billed as drafted (`90832` for a
    /// family session below 90847's minimum with the patient present). A suggestion: the note must
    /// support it.
    public var alternative: String?

    public init(
        _ code: Code, _ severity: Finding.Severity = .error, _ message: String, fix: ClaimFix? = nil,
        alternative: String? = nil
    ) {
        self.code = code
        self.severity = severity
        self.message = message
        self.fix = fix
        self.alternative = alternative
    }

    /// The status this reason puts a claim in: nil unless it is an error.
    public var stops: ClaimStatus? {
        guard self.severity == .error else { return nil }
        return self.code.isService ? .notBillable : .blocked
    }

    /// Whether the reason only restates a `pendingSignature` status (the note is not signed yet), so a
    /// listing that shows the status can leave it out.
    public var restatesStatus: Bool { self.code == .noteNotSigned || self.code == .noteNotWritten }

    /// The finding this reason is reported as (the run report's `findings`).
    public var finding: Finding.Code { self.code.finding }
}

/// A field to fill or correct: in `session.json` (what the EHR hands over: the practice, the session,
/// each attendee's chart and coverage) or in the billing rules.
public struct ClaimFix: Sendable, Hashable {
    public enum File: String, Sendable, Hashable, CaseIterable {
        case session = "session.json"
        case rules = "Agents/billing-reconciler/rules.json"
        case payers = "Agents/billing-reconciler/payers.json"
    }

    public var file: File
    /// A path in the file: `practice.address.postalCode`, `attendees[CL-101].coverage.memberId` (the
    /// attendee whose clientId is CL-101), `fees.90849`.
    public var path: String

    public init(_ file: File, _ path: String) {
        self.file = file
        self.path = path
    }

    /// A field of `session.json`.
    public init(_ path: String) { self.init(.session, path) }

    public static func attendee(_ id: PersonID, _ field: String) -> ClaimFix {
        ClaimFix(.session, "attendees[\(id.rawValue)].\(field)")
    }

    public static func clinician(_ id: PersonID, _ field: String) -> ClaimFix {
        ClaimFix(.session, "clinicians[\(id.rawValue)].\(field)")
    }

    /// The path with attendee and clinician ids left out (`attendees[*].coverage.memberId`): the same
    /// fix on different people's charts.
    public var pattern: String {
        var result = ""
        var inside = false
        for character in self.path {
            if character == "[" {
                inside = true
                result += "[*]"
            } else if character == "]" {
                inside = false
            } else if !inside {
                result.append(character)
            }
        }
        return result
    }

    public var description: String { "\(self.file.rawValue): \(self.path)" }
}

extension ClaimReason {
    /// A reason's stable identifier, for programs and for grouping the work queue: never renamed; new
    /// reasons add codes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        // The service cannot be billed as drafted.
        case belowFamilyMinimum
        case belowPsychotherapyMinimum
        case codeNotCovered
        case audioOnlyNotCovered
        case groupSizeExceeded
        case duplicateClaim
        case part2PaymentConsentRefused
        // The same client, date and code from another session.
        case sameDayService
        // The practice (the billing provider).
        case practiceMissing
        case practiceNameMissing
        case practiceNPIMissing
        case practiceNPIInvalid
        case practiceTaxIdInvalid
        case practiceTaxonomyInvalid
        case practiceAddressIncomplete
        case practiceZipPlus4Missing
        case practiceAddressPOBox
        // The rendering clinician.
        case renderingClinicianMissing
        case renderingNPIMissing
        case renderingNPIInvalid
        case renderingTaxonomyInvalid
        // The session.
        case modalityMissing
        case placeOfServiceMissing
        case placeOfServiceInvalid
        case placeOfServiceInPersonAtTelehealth
        case placeOfServiceNotTelehealth
        case identifiedPatientMissing
        case identifiedPatientsSeveral
        case patientAbsent
        case familyAttendedWithoutPatient
        case crisisIgnored
        case crisisBelowMinimum
        // Coverage and policyholder.
        case coverageMissing
        case payerIdMissing
        case payerNameMissing
        case memberIdMissing
        case claimFilingIndicatorInvalid
        case coverageSequenceInvalid
        case secondaryCoverage
        case subscriberRelationshipMissing
        case subscriberRelationshipInvalid
        case subscriberMissing
        case subscriberAmbiguous
        case subscriberNameMissing
        case subscriberFromRoster
        case patientHasOwnMemberId
        // The patient.
        case patientDateOfBirthMissing
        case patientAddressIncomplete
        // Diagnoses.
        case diagnosisMissing
        case diagnosisMalformed
        case diagnosisIncomplete
        case diagnosisRepeated
        case diagnosesTrimmed
        case principalDiagnosisSequela
        case principalDiagnosisRefused
        case qualifyingDiagnosisMissing
        // Consent, rules, signature.
        case part2PaymentConsentMissing
        case feeMissing
        case interactiveComplexityNotBillable
        case noteNotSigned
        case noteNotWritten

        /// Whether the reason is about the service itself (not billable) rather than data (blocked).
        public var isService: Bool {
            switch self {
            case .belowFamilyMinimum, .belowPsychotherapyMinimum, .codeNotCovered, .audioOnlyNotCovered,
                .groupSizeExceeded, .duplicateClaim, .part2PaymentConsentRefused, .patientAbsent:
                true
            default: false
            }
        }

        /// A short heading for the work queue: what to do, for every claim it stops.
        public var title: String {
            switch self {
            case .belowFamilyMinimum: "Family or couples session below the code's minimum time"
            case .belowPsychotherapyMinimum: "Session too short to report as psychotherapy"
            case .codeNotCovered: "Code the payer does not cover"
            case .audioOnlyNotCovered: "Audio-only session the payer does not cover"
            case .groupSizeExceeded: "Group larger than the payer pays for"
            case .duplicateClaim: "Same client, date and code already claimed"
            case .part2PaymentConsentRefused: "Part 2 consent refuses disclosure for payment"
            case .sameDayService: "Mark a second session the same day as distinct, or drop it"
            case .practiceMissing: "Add the practice (billing provider) to the session"
            case .practiceNameMissing: "Add the practice's name"
            case .practiceNPIMissing: "Add the practice's NPI"
            case .practiceNPIInvalid: "Correct the practice's NPI"
            case .practiceTaxIdInvalid: "Correct the practice's tax id (EIN, nine digits)"
            case .practiceTaxonomyInvalid: "Correct the practice's taxonomy code"
            case .practiceAddressIncomplete: "Complete the practice's address"
            case .practiceZipPlus4Missing: "Add the +4 to the practice's ZIP code"
            case .practiceAddressPOBox: "Replace the practice's PO box with its street address"
            case .renderingClinicianMissing: "Name the session's primary clinician"
            case .renderingNPIMissing: "Add the rendering clinician's NPI"
            case .renderingNPIInvalid: "Correct the rendering clinician's NPI"
            case .renderingTaxonomyInvalid: "Correct the rendering clinician's taxonomy code"
            case .modalityMissing: "Say whether the session was in person, video or audio-only"
            case .placeOfServiceMissing: "Add the session's place of service"
            case .placeOfServiceInvalid: "Correct the place of service (two-digit CMS code)"
            case .placeOfServiceInPersonAtTelehealth: "In-person session at a telehealth place of service"
            case .placeOfServiceNotTelehealth: "Telehealth session at a place of service the payer does not take"
            case .identifiedPatientMissing: "Mark the identified patient"
            case .identifiedPatientsSeveral: "Choose one identified patient"
            case .patientAbsent: "Patient absent from a session that needs them present"
            case .familyAttendedWithoutPatient: "A family attended without its patient"
            case .crisisIgnored: "Crisis set on a session that is not individual"
            case .crisisBelowMinimum: "Crisis session under the crisis code's minimum"
            case .coverageMissing: "Add the client's insurance coverage"
            case .payerIdMissing: "Add the payer id to the client's coverage"
            case .payerNameMissing: "Add the payer's name to the client's coverage"
            case .memberIdMissing: "Add the member id to the client's coverage"
            case .claimFilingIndicatorInvalid: "Correct the coverage's claim filing indicator"
            case .coverageSequenceInvalid: "Correct the coverage's sequence (primary, secondary, tertiary)"
            case .secondaryCoverage: "Add the client's primary coverage"
            case .subscriberRelationshipMissing: "Say whose policy the coverage is"
            case .subscriberRelationshipInvalid: "Correct the coverage's subscriber relationship"
            case .subscriberMissing: "Name the policyholder"
            case .subscriberAmbiguous: "Choose the policyholder"
            case .subscriberNameMissing: "Add the policyholder's name"
            case .subscriberFromRoster: "Policyholder taken from the roster"
            case .patientHasOwnMemberId: "Patient sent as the subscriber under their own member id"
            case .patientDateOfBirthMissing: "Add the client's date of birth"
            case .patientAddressIncomplete: "Complete the client's address"
            case .diagnosisMissing: "Add a diagnosis (ask the clinician)"
            case .diagnosisMalformed: "Correct a diagnosis that is not an ICD-10-CM code"
            case .diagnosisIncomplete: "Replace a category with the full diagnosis code (ask the clinician)"
            case .diagnosisRepeated: "Repeated diagnosis codes"
            case .diagnosesTrimmed: "More diagnoses than a claim carries"
            case .principalDiagnosisSequela: "Put another diagnosis first (sequela code)"
            case .principalDiagnosisRefused: "Put another diagnosis first (payer refuses it as principal)"
            case .qualifyingDiagnosisMissing: "Add a qualifying mental-health diagnosis (ask the clinician)"
            case .part2PaymentConsentMissing: "Record the Part 2 consent to disclose for payment"
            case .feeMissing: "Add the code's charge to the fee schedule"
            case .interactiveComplexityNotBillable: "Interactive complexity not billable with this code"
            case .noteNotSigned: "Waiting for the note's signature"
            case .noteNotWritten: "Waiting for a handwritten note"
            }
        }

        /// The finding the reason is reported as in the run report (a coarser, older set of codes).
        public var finding: Finding.Code {
            switch self {
            case .belowFamilyMinimum, .belowPsychotherapyMinimum, .crisisBelowMinimum: .belowTimeThreshold
            case .codeNotCovered, .audioOnlyNotCovered, .crisisIgnored: .codeNotCovered
            case .groupSizeExceeded: .groupSizeExceeded
            case .duplicateClaim, .sameDayService: .duplicateClaim
            case .part2PaymentConsentRefused, .part2PaymentConsentMissing: .part2PaymentConsent
            case .practiceNPIMissing, .practiceNPIInvalid, .renderingNPIMissing, .renderingNPIInvalid: .npiInvalid
            case .practiceMissing, .practiceNameMissing, .practiceTaxIdInvalid, .practiceTaxonomyInvalid,
                .practiceAddressIncomplete, .practiceZipPlus4Missing, .practiceAddressPOBox, .renderingClinicianMissing,
                .renderingTaxonomyInvalid:
                .providerIncomplete
            case .modalityMissing: .modalityMissing
            case .placeOfServiceMissing, .placeOfServiceInvalid, .placeOfServiceInPersonAtTelehealth,
                .placeOfServiceNotTelehealth:
                .placeOfServiceInvalid
            case .identifiedPatientMissing: .noIdentifiedPatient
            case .identifiedPatientsSeveral: .severalIdentifiedPatients
            case .patientAbsent, .familyAttendedWithoutPatient: .patientAbsent
            case .coverageMissing, .payerIdMissing, .payerNameMissing, .memberIdMissing, .claimFilingIndicatorInvalid,
                .coverageSequenceInvalid, .secondaryCoverage:
                .coverageMissing
            case .subscriberRelationshipMissing, .subscriberRelationshipInvalid, .subscriberMissing,
                .subscriberAmbiguous, .subscriberNameMissing:
                .subscriberMissing
            case .subscriberFromRoster, .patientHasOwnMemberId: .subscriberResolved
            case .patientDateOfBirthMissing, .patientAddressIncomplete: .patientDemographicsMissing
            case .diagnosisMissing: .diagnosisMissing
            case .diagnosisMalformed, .diagnosisIncomplete, .diagnosisRepeated, .principalDiagnosisSequela,
                .principalDiagnosisRefused:
                .diagnosisInvalid
            case .diagnosesTrimmed: .diagnosesTrimmed
            case .qualifyingDiagnosisMissing: .zCodeOnlyDiagnosis
            case .feeMissing: .feeMissing
            case .interactiveComplexityNotBillable: .addOnNotAllowed
            case .noteNotSigned, .noteNotWritten: .noteNotSigned
            }
        }
    }
}
