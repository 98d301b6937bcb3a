/// Reconciles one session into claims (DOMAIN.md 1.1–1.7): who is billed, under which code, with which
/// add-ons, modifiers, place of service and diagnoses, and what blocks each claim. Pure and deterministic;
/// every payer difference comes from `BillingRules`.
///
/// - Group (90853): one claim per attending member, under that member's coverage and diagnoses; no time
///   threshold, so members who left early are billed; absent members never.
/// - Family and couples (90847 with the identified patient present, 90846 without): one claim, under
///   the identified patient only, from 26 minutes; everyone else is a participant.
/// - Multiple-family group (90849): per family or per patient, as the payer is configured.
/// - Individual (90832/90834/90837 by minutes; 90839/+90840 for crisis): the patient only.
/// - +90785 where the clinician documented a factor and the primary code allows it.
public struct BillingReconciliation: Sendable {
    public let rules: BillingRules

    public init(rules: BillingRules) {
        self.rules = rules
    }

    /// The claims, one disposition per attendee, and the findings, for one session. `notes` says whose
    /// notes are signed; a claim is `ready` only when its attendee's is.
    public func reconcile(_ session: Session, notes: [PersonID: NoteReadiness]) -> BillingResult {
        var findings: [Finding] = []
        var shared: [ClaimReason] = []
        let billing = self.billingProvider(session, reasons: &shared)
        let rendering = self.renderingProvider(session, reasons: &shared)
        self.checkSetting(session, reasons: &shared)
        for reason in shared {
            findings.append(Finding(code: reason.code, severity: reason.severity, message: reason.message))
        }

        var plan = Plan()
        switch session.kind {
        case .group: self.planGroup(session, into: &plan)
        case .family, .couples: self.planFamily(session, into: &plan)
        case .multiFamilyGroup: self.planMultipleFamily(session, into: &plan)
        case .individual: self.planIndividual(session, into: &plan)
        }
        if session.crisis && session.kind != .individual {
            plan.sessionNotes.append(
                ClaimReason(
                    .codeNotCovered, .warning,
                    "crisis is set on a \(session.kind.rawValue) session; crisis codes are for individual sessions, so it was ignored"
                ))
        }
        findings += plan.sessionNotes.map { Finding(code: $0.code, severity: $0.severity, message: $0.message) }

        var claims: [Claim] = []
        for target in plan.targets {
            let claim = self.claim(
                for: target, session: session, shared: shared, billing: billing, rendering: rendering,
                groupSize: plan.groupSize, readiness: notes[target.attendee.id] ?? .draft
            )
            for reason in claim.reasons where !shared.contains(reason) {
                findings.append(
                    Finding(
                        code: reason.code, severity: reason.severity, person: claim.attendee, message: reason.message))
            }
            plan.dispositions[target.attendee.id] = BillingDisposition(
                attendee: target.attendee.id, claimID: claim.id, notBilled: nil,
                explanation: "billed: \(claim.lines.map(\.cpt).joined(separator: " + ")) (\(claim.status.rawValue))"
            )
            claims.append(claim)
        }
        let dispositions = session.attendees.map { attendee in
            plan.dispositions[attendee.id]
                ?? BillingDisposition(
                    attendee: attendee.id, claimID: nil, notBilled: .participant, explanation: "not billed")
        }
        return BillingResult(claims: claims, dispositions: dispositions, findings: findings)
    }

    /// Marks later claims for the same client, date of service and code as duplicates (blocked), across
    /// the sessions of one batch, in the order given.
    public static func flagDuplicates(_ results: [BillingResult]) -> [BillingResult] {
        struct Key: Hashable {
            var attendee: PersonID
            var date: CalendarDate
            var cpt: String
        }
        var seen: [Key: Claim] = [:]
        var flagged = results
        for resultIndex in flagged.indices {
            for claimIndex in flagged[resultIndex].claims.indices {
                let claim = flagged[resultIndex].claims[claimIndex]
                let key = Key(attendee: claim.attendee, date: claim.dateOfService, cpt: claim.cpt)
                guard let first = seen[key] else {
                    seen[key] = claim
                    continue
                }
                let reason = ClaimReason(
                    .duplicateClaim, .error,
                    "\(claim.attendee) already has a \(claim.cpt) claim for \(claim.dateOfService) "
                        + "(\(first.id), session \(first.sessionID)); payers deny the second as a duplicate"
                )
                flagged[resultIndex].claims[claimIndex].reasons.append(reason)
                flagged[resultIndex].claims[claimIndex].status = .blocked
                flagged[resultIndex].findings.append(
                    Finding(code: reason.code, severity: .error, person: claim.attendee, message: reason.message))
            }
        }
        return flagged
    }

    // MARK: - Who is billed

    private struct Target {
        var attendee: Attendee
        /// Primary code first, then add-ons with their units.
        var codes: [(cpt: String, units: Int)]
        var minutes: Int
        var reasons: [ClaimReason] = []
    }

    private struct Plan {
        var targets: [Target] = []
        var dispositions: [PersonID: BillingDisposition] = [:]
        var sessionNotes: [ClaimReason] = []
        /// Attending patients, for payers' group-size limits.
        var groupSize = 0

        mutating func skip(_ attendee: Attendee, _ reason: NotBilledReason, _ explanation: String) {
            self.dispositions[attendee.id] = BillingDisposition(
                attendee: attendee.id, claimID: nil, notBilled: reason, explanation: explanation)
        }
    }

    private func planGroup(_ session: Session, into plan: inout Plan) {
        let patients = session.attendees.filter { $0.role == .member || $0.role == .identifiedPatient }
        plan.groupSize = patients.filter(\.present).count
        for attendee in session.attendees {
            guard attendee.role == .member || attendee.role == .identifiedPatient else {
                plan.skip(attendee, .participant, "not billed: a \(attendee.role.rawValue), not a group member")
                continue
            }
            guard attendee.present else {
                plan.skip(attendee, .absent, "not billed: absent (group psychotherapy is billed per attending member)")
                continue
            }
            // 90853 has no time threshold: a member who left early is billed like the rest.
            plan.targets.append(
                Target(
                    attendee: attendee, codes: [(self.rules.group, 1)],
                    minutes: attendee.minutesAttended ?? session.durationMinutes
                ))
        }
    }

    /// The one identified patient, or nil with a finding and every attendee marked unbilled.
    private func identifiedPatient(_ session: Session, into plan: inout Plan) -> Attendee? {
        var patients = session.attendees.filter { $0.role == .identifiedPatient }
        if patients.isEmpty, session.kind == .individual {
            patients = session.attendees.filter { $0.role == .member }
        }
        if patients.count == 1 { return patients[0] }
        let message: String
        if patients.isEmpty {
            message =
                "no attendee is the identified patient; a \(session.kind.rawValue) session is billed under one "
                + "(set role identifiedPatient on the billed client)"
            plan.sessionNotes.append(ClaimReason(.noIdentifiedPatient, .error, message))
        } else {
            message =
                "\(patients.count) attendees are identified patients (\(patients.map(\.id.rawValue).joined(separator: ", "))); "
                + "a \(session.kind.rawValue) session is billed under exactly one"
            plan.sessionNotes.append(ClaimReason(.severalIdentifiedPatients, .error, message))
        }
        for attendee in session.attendees {
            plan.skip(attendee, .identifiedPatientUnclear, "not billed: \(message)")
        }
        return nil
    }

    private func planFamily(_ session: Session, into plan: inout Plan) {
        guard let patient = self.identifiedPatient(session, into: &plan) else { return }
        let minutes = session.durationMinutes
        let cpt = patient.present ? self.rules.familyWithPatient : self.rules.familyWithoutPatient
        var target = Target(attendee: patient, codes: [(cpt, 1)], minutes: minutes)
        if minutes < self.rules.familyMinimumMinutes {
            target.reasons.append(
                ClaimReason(
                    .belowTimeThreshold, .error,
                    "\(cpt) needs at least \(self.rules.familyMinimumMinutes) minutes; the session lasted \(minutes)"))
        }
        plan.targets.append(target)
        for attendee in session.attendees where attendee.id != patient.id {
            let what = session.kind == .couples ? "the partner" : "a family member"
            plan.skip(
                attendee, .participant,
                "not billed: \(what)\(attendee.present ? "" : " (absent)"), a participant in \(patient.id)'s therapy "
                    + "(one claim, under the identified patient)"
            )
        }
    }

    private func planMultipleFamily(_ session: Session, into plan: inout Plan) {
        let patients = session.attendees.filter { $0.role == .identifiedPatient }
        guard !patients.isEmpty else {
            _ = self.identifiedPatient(session, into: &plan)
            return
        }
        func family(_ attendee: Attendee) -> PersonID {
            if let related = attendee.relatedTo { return related }
            if attendee.role == .identifiedPatient { return attendee.id }
            return patients.count == 1 ? patients[0].id : attendee.id
        }
        var billedFamilies: [PersonID: PersonID] = [:]
        for patient in patients {
            let key = family(patient)
            guard patient.present else {
                let familyAttended = session.attendees.contains {
                    $0.present && family($0) == key && $0.id != patient.id
                }
                plan.skip(
                    patient, .patientAbsent,
                    "not billed: absent" + (familyAttended ? " (their family attended without them)" : ""))
                if familyAttended {
                    plan.sessionNotes.append(
                        ClaimReason(
                            .patientAbsent, .warning,
                            "\(patient.id)'s family attended without them; \(self.rules.multipleFamilyGroup) is billed "
                                + "under the identified patient, so no claim was made (check the payer's policy)"))
                }
                continue
            }
            let unit = self.rules.payers.profile(for: patient.coverage).multipleFamilyUnit
            if unit == .family, let billed = billedFamilies[key] {
                plan.skip(
                    patient, .familyBilledOnce, "not billed: this payer bills once per family, under \(billed)")
                continue
            }
            billedFamilies[key] = patient.id
            plan.targets.append(
                Target(
                    attendee: patient, codes: [(self.rules.multipleFamilyGroup, 1)], minutes: session.durationMinutes))
        }
        for attendee in session.attendees where attendee.role != .identifiedPatient {
            plan.skip(
                attendee, .participant,
                "not billed: a family member\(attendee.present ? "" : " (absent)"), a participant in "
                    + "\(family(attendee))'s therapy")
        }
    }

    private func planIndividual(_ session: Session, into plan: inout Plan) {
        guard let patient = self.identifiedPatient(session, into: &plan) else { return }
        for attendee in session.attendees where attendee.id != patient.id {
            plan.skip(attendee, .collateral, "not billed: present for \(patient.id)'s treatment (collateral)")
        }
        guard patient.present else {
            let message =
                "\(patient.id) did not attend; individual psychotherapy needs the patient present "
                + "(a session with family only is family psychotherapy without the patient: set kind family)"
            plan.sessionNotes.append(ClaimReason(.patientAbsent, .error, message))
            plan.skip(patient, .patientAbsent, "not billed: \(message)")
            return
        }
        let minutes = min(session.durationMinutes, patient.minutesAttended ?? session.durationMinutes)
        var target = Target(attendee: patient, codes: [], minutes: minutes)
        let crisis = self.rules.crisis
        if session.crisis && minutes >= crisis.minimumMinutes {
            target.codes = [(crisis.cpt, 1)]
            if minutes >= crisis.firstAddOnMinutes {
                target.codes.append(
                    (crisis.addOn, (minutes - crisis.firstAddOnMinutes) / crisis.addOnBlockMinutes + 1))
            }
            plan.targets.append(target)
            return
        }
        if session.crisis {
            target.reasons.append(
                ClaimReason(
                    .belowTimeThreshold, .warning,
                    "crisis psychotherapy under \(crisis.minimumMinutes) minutes (\(minutes)) is reported as individual psychotherapy"
                ))
        }
        if let code = self.rules.individual.last(where: { $0.minimumMinutes <= minutes }) {
            target.codes = [(code.cpt, 1)]
        } else if let shortest = self.rules.individual.first {
            target.codes = [(shortest.cpt, 1)]
            target.reasons.append(
                ClaimReason(
                    .belowTimeThreshold, .error,
                    "\(minutes) minutes is not reportable as psychotherapy; \(shortest.cpt) needs at least \(shortest.minimumMinutes)"
                ))
        }
        plan.targets.append(target)
    }

    // MARK: - Session-wide checks

    private func billingProvider(_ session: Session, reasons: inout [ClaimReason]) -> ClaimProvider? {
        guard let practice = session.practice else {
            reasons.append(
                ClaimReason(
                    .providerIncomplete, .error,
                    "the session has no practice (the billing provider's name, NPI, tax id and address)"
                ))
            return nil
        }
        var complete = true
        if let npi = practice.npi {
            if !ClaimChecks.isValidNPI(npi) {
                reasons.append(
                    ClaimReason(
                        .npiInvalid, .error, "the practice's NPI is not a valid NPI (10 digits with a Luhn check digit)"
                    ))
                complete = false
            }
        } else {
            reasons.append(ClaimReason(.npiInvalid, .error, "the practice has no NPI"))
            complete = false
        }
        if practice.name?.isEmpty ?? true {
            reasons.append(ClaimReason(.providerIncomplete, .error, "the practice has no name"))
            complete = false
        }
        if practice.taxId.flatMap(ClaimChecks.taxIdDigits) == nil {
            reasons.append(
                ClaimReason(.providerIncomplete, .error, "the practice's tax id is missing or not nine digits (EIN)"))
            complete = false
        }
        if let taxonomy = practice.taxonomy, !ClaimChecks.isValidTaxonomy(taxonomy) {
            reasons.append(
                ClaimReason(
                    .providerIncomplete, .error, "the practice's taxonomy code is not 10 characters ending in X"))
            complete = false
        }
        let address = practice.address
        if !self.isComplete(address) {
            reasons.append(
                ClaimReason(
                    .providerIncomplete, .error,
                    "the practice's address needs a street, city, two-letter state and ZIP code"))
            complete = false
        } else if address?.postalCode.flatMap(ClaimChecks.postalDigits)?.count != 9 {
            reasons.append(
                ClaimReason(
                    .providerIncomplete, .error,
                    "the practice's ZIP code needs all nine digits (ZIP+4) for the billing provider on a claim"))
            complete = false
        } else if Self.isPostOfficeBox(address?.line1 ?? "") {
            reasons.append(
                ClaimReason(
                    .providerIncomplete, .error,
                    "the practice's address is a PO box; the billing provider needs a street address"))
            complete = false
        }
        guard complete, let practiceName = practice.name, let npi = practice.npi else { return nil }
        return ClaimProvider(
            id: nil, name: practiceName, npi: npi, taxonomy: practice.taxonomy,
            taxId: practice.taxId.flatMap(ClaimChecks.taxIdDigits), address: address
        )
    }

    /// The treating clinician who renders the service: the primary clinician unless a trainee, then the
    /// supervisor. Co-therapists are not billed separately for the same patient.
    private func renderingProvider(_ session: Session, reasons: inout [ClaimReason]) -> ClaimProvider? {
        let primary = session.clinicians.first { $0.role == .primary }
        let supervisor = session.clinicians.first { $0.role == .supervisor }
        guard let clinician = primary?.npi == nil ? supervisor ?? primary : primary else {
            reasons.append(
                ClaimReason(.providerIncomplete, .error, "no primary clinician to be the rendering provider"))
            return nil
        }
        guard let npi = clinician.npi else {
            reasons.append(ClaimReason(.npiInvalid, .error, "the rendering clinician \(clinician.id) has no NPI"))
            return nil
        }
        guard ClaimChecks.isValidNPI(npi) else {
            reasons.append(
                ClaimReason(
                    .npiInvalid, .error,
                    "the rendering clinician \(clinician.id)'s NPI is not a valid NPI (10 digits with a Luhn check digit)"
                ))
            return nil
        }
        if let taxonomy = clinician.taxonomy, !ClaimChecks.isValidTaxonomy(taxonomy) {
            reasons.append(
                ClaimReason(
                    .providerIncomplete, .error,
                    "the rendering clinician \(clinician.id)'s taxonomy code is not 10 characters ending in X"))
            return nil
        }
        return ClaimProvider(id: clinician.id, name: clinician.name, npi: npi, taxonomy: clinician.taxonomy)
    }

    private func checkSetting(_ session: Session, reasons: inout [ClaimReason]) {
        if session.modality == nil {
            reasons.append(
                ClaimReason(
                    .modalityMissing, .error,
                    "the session does not say whether it was in person, video or audio-only; modifiers and place of service depend on it"
                ))
        }
        guard let placeOfService = session.placeOfService else {
            reasons.append(ClaimReason(.placeOfServiceInvalid, .error, "the session has no place of service"))
            return
        }
        guard ClaimChecks.isWellFormedPlaceOfService(placeOfService) else {
            reasons.append(
                ClaimReason(.placeOfServiceInvalid, .error, "the place of service is not a two-digit CMS code"))
            return
        }
        if session.modality == .inPerson, self.rules.telehealthPlacesOfService.contains(placeOfService) {
            reasons.append(
                ClaimReason(
                    .placeOfServiceInvalid, .error,
                    "place of service \(placeOfService) means telehealth, but the session was in person"))
        }
    }

    // MARK: - One claim

    private func claim(
        for target: Target, session: Session, shared: [ClaimReason], billing: ClaimProvider?,
        rendering: ClaimProvider?, groupSize: Int, readiness: NoteReadiness
    ) -> Claim {
        let attendee = target.attendee
        var reasons = shared + target.reasons
        let profile = self.rules.payers.profile(for: attendee.coverage)
        let payer = self.payer(attendee, profile: profile, reasons: &reasons)
        let (subscriber, relationshipCode) = self.subscriber(attendee, session: session, reasons: &reasons)
        let patient = self.person(attendee, role: "patient", reasons: &reasons)
        let diagnoses = self.diagnoses(
            attendee, cpt: target.codes.first?.cpt ?? "", profile: profile, reasons: &reasons)
        let primary = target.codes.first?.cpt ?? ""

        if let limit = profile.maximumGroupSize, primary == self.rules.group, groupSize > limit {
            reasons.append(
                ClaimReason(
                    .groupSizeExceeded, .error,
                    "\(groupSize) members attended; payer profile \(profile.id) pays group psychotherapy for at most \(limit)"
                ))
        }

        var modifiers: [String] = []
        if let modality = session.modality, modality != .inPerson {
            if modality == .audioOnly && !profile.audioOnlyCovered {
                reasons.append(
                    ClaimReason(
                        .codeNotCovered, .error, "payer profile \(profile.id) does not cover audio-only sessions"))
            }
            modifiers = modality == .video ? profile.videoModifiers : profile.audioOnlyModifiers
            if let placeOfService = session.placeOfService,
                !profile.telehealthPlacesOfService.contains(placeOfService)
            {
                reasons.append(
                    ClaimReason(
                        .placeOfServiceInvalid, .error,
                        "a \(modality.rawValue) session with place of service \(placeOfService); payer profile "
                            + "\(profile.id) takes telehealth as \(profile.telehealthPlacesOfService.sorted().joined(separator: " or "))"
                    ))
            }
        }

        if let consent = attendee.consent, consent.part2 {
            switch consent.paymentDisclosure {
            case false?:
                reasons.append(
                    ClaimReason(
                        .part2PaymentConsent, .error,
                        "\(attendee.id)'s record is under 42 CFR Part 2 and their consent does not cover disclosure for "
                            + "payment; the claim cannot be sent to the payer"))
            case nil:
                reasons.append(
                    ClaimReason(
                        .part2PaymentConsent, .warning,
                        "\(attendee.id)'s record is under 42 CFR Part 2: the claim discloses a substance-use diagnosis to "
                            + "the payer; confirm a payment (TPO) consent is on file and send the redisclosure notice"))
            case true?: break
            }
        }

        var codes = target.codes
        if let factor = attendee.interactiveComplexity {
            if self.rules.interactiveComplexityAllowedWith.contains(primary) {
                codes.append((self.rules.interactiveComplexity, 1))
            } else {
                reasons.append(
                    ClaimReason(
                        .addOnNotAllowed, .warning,
                        "interactive complexity (\(factor.rawValue)) is documented, but \(self.rules.interactiveComplexity) "
                            + "is not billable with \(primary); it stays in the note only"))
            }
        }
        for (cpt, _) in codes where profile.notCovered.contains(cpt) {
            reasons.append(ClaimReason(.codeNotCovered, .error, "payer profile \(profile.id) does not cover \(cpt)"))
        }

        let pointers = Array(1...max(1, min(diagnoses.count, self.rules.maximumPointersPerLine)))
        var lines: [ClaimLine] = []
        for (cpt, units) in codes {
            let fee = self.rules.feesInCents[cpt]
            if fee == nil || fee == 0 {
                reasons.append(ClaimReason(.feeMissing, .error, "the fee schedule has no charge for \(cpt)"))
            }
            lines.append(
                ClaimLine(
                    cpt: cpt, modifiers: Array(modifiers.prefix(4)), units: units, chargeInCents: (fee ?? 0) * units,
                    diagnosisPointers: diagnoses.isEmpty ? [] : pointers))
        }

        let status: ClaimStatus
        if reasons.contains(where: { $0.severity == .error }) {
            status = .blocked
        } else if readiness == .signed {
            status = .ready
        } else {
            status = .pendingSignature
            reasons.append(
                ClaimReason(
                    .noteNotSigned, .info,
                    readiness == .manualNoteRequired
                        ? "no note yet: the clinician writes \(attendee.id)'s note by hand and signs it"
                        : "\(attendee.id)'s note is a draft; the claim is ready once the clinician signs it"))
        }
        return Claim(
            id: Self.claimID(session: session.id, attendee: attendee.id), sessionID: session.id,
            attendee: attendee.id, dateOfService: session.start.localDate, minutes: target.minutes,
            placeOfService: session.placeOfService, lines: lines, diagnoses: diagnoses, status: status,
            reasons: reasons, patient: patient, subscriber: subscriber, patientRelationshipCode: relationshipCode,
            payer: payer, billingProvider: billing, renderingProvider: rendering
        )
    }

    private func payer(_ attendee: Attendee, profile: PayerProfile, reasons: inout [ClaimReason]) -> ClaimPayer? {
        guard let coverage = attendee.coverage else {
            reasons.append(ClaimReason(.coverageMissing, .error, "\(attendee.id) has no insurance coverage on file"))
            return nil
        }
        var missing: [String] = []
        if coverage.payerId?.isEmpty ?? true { missing.append("payerId") }
        if coverage.payerName?.isEmpty ?? true { missing.append("payerName") }
        if coverage.memberId?.isEmpty ?? true { missing.append("memberId") }
        if !missing.isEmpty {
            reasons.append(
                ClaimReason(
                    .coverageMissing, .error,
                    "\(attendee.id)'s coverage has no \(missing.joined(separator: ", "))"))
        }
        let indicator = coverage.claimFilingIndicator ?? profile.claimFilingIndicator
        if !ClaimChecks.claimFilingIndicators.contains(indicator) {
            reasons.append(
                ClaimReason(
                    .coverageMissing, .error,
                    "\(attendee.id)'s claim filing indicator is not an X12 code (CI, MB, MC, BL, HM …)"))
        }
        let sequence: String
        switch coverage.sequence?.lowercased() ?? "primary" {
        case "primary", "p": sequence = "P"
        case "secondary", "s": sequence = "S"
        case "tertiary", "t": sequence = "T"
        default:
            reasons.append(
                ClaimReason(
                    .coverageMissing, .error, "\(attendee.id)'s coverage sequence is not primary, secondary or tertiary"
                ))
            sequence = "P"
        }
        if sequence != "P" {
            reasons.append(
                ClaimReason(
                    .coverageMissing, .error,
                    "\(attendee.id)'s coverage is \(coverage.sequence ?? ""); secondary claims need the primary payer's adjudication, which Ensemble does not send"
                ))
        }
        guard missing.isEmpty, let payerId = coverage.payerId, let name = coverage.payerName,
            let memberId = coverage.memberId
        else { return nil }
        return ClaimPayer(
            profile: profile.id, payerId: payerId, name: name, claimFilingIndicator: indicator, memberId: memberId,
            groupNumber: coverage.groupNumber, sequence: sequence
        )
    }

    /// The policyholder when it is not the patient, and the patient's relationship code (PAT01).
    private func subscriber(_ attendee: Attendee, session: Session, reasons: inout [ClaimReason]) -> (
        ClaimPerson?, String?
    ) {
        guard let coverage = attendee.coverage else { return (nil, nil) }
        guard let relationship = coverage.subscriberRelationship else {
            reasons.append(
                ClaimReason(
                    .subscriberMissing, .error,
                    "\(attendee.id)'s coverage does not say whose policy it is (subscriberRelationship: self, spouse, child …)"
                ))
            return (nil, nil)
        }
        let code: String?
        switch relationship.lowercased().filter({ $0 != " " && $0 != "-" && $0 != "_" }) {
        case "self": return (nil, nil)
        case "spouse", "husband", "wife": code = "01"
        case "child", "son", "daughter", "dependent": code = "19"
        case "lifepartner", "partner", "domesticpartner": code = "53"
        case "other": code = "G8"
        default:
            reasons.append(
                ClaimReason(
                    .subscriberMissing, .error,
                    "\(attendee.id)'s subscriberRelationship is not one of self, spouse, child, lifePartner, other"))
            return (nil, nil)
        }
        guard let given = coverage.subscriber else {
            reasons.append(
                ClaimReason(
                    .subscriberMissing, .error,
                    "\(attendee.id) is on someone else's policy; coverage.subscriber must name the policyholder"))
            return (nil, code)
        }
        let onRoster = given.clientId.flatMap(session.attendee)
        guard let name = given.name ?? onRoster?.name else {
            reasons.append(ClaimReason(.subscriberMissing, .error, "\(attendee.id)'s policyholder has no name"))
            return (nil, code)
        }
        let person = ClaimPerson(
            id: given.clientId, name: name, dateOfBirth: given.dateOfBirth ?? onRoster?.dateOfBirth,
            sex: given.sex ?? onRoster?.sex ?? .unknown, address: given.address ?? onRoster?.address
        )
        return (person, code)
    }

    private func person(_ attendee: Attendee, role: String, reasons: inout [ClaimReason]) -> ClaimPerson {
        var missing: [String] = []
        if attendee.dateOfBirth == nil { missing.append("date of birth") }
        if !self.isComplete(attendee.address) { missing.append("street address, city, state and ZIP") }
        if !missing.isEmpty {
            reasons.append(
                ClaimReason(
                    .patientDemographicsMissing, .error,
                    "\(attendee.id) has no \(missing.joined(separator: " or ")) on file; claims carry the \(role)'s"))
        }
        return ClaimPerson(
            id: attendee.id, name: attendee.name, dateOfBirth: attendee.dateOfBirth, sex: attendee.sex ?? .unknown,
            address: attendee.address
        )
    }

    private func diagnoses(_ attendee: Attendee, cpt: String, profile: PayerProfile, reasons: inout [ClaimReason])
        -> [String]
    {
        var codes: [String] = []
        var duplicates = 0
        for (offset, raw) in attendee.diagnoses.enumerated() {
            let position = offset + 1
            guard ClaimChecks.isWellFormedDiagnosis(raw) else {
                reasons.append(
                    ClaimReason(
                        .diagnosisInvalid, .error,
                        "\(attendee.id)'s diagnosis \(position) is not an ICD-10-CM code (letter, two characters, optional decimal part)"
                    ))
                continue
            }
            let code = ClaimChecks.displayDiagnosis(raw)
            if code.count == 3, self.rules.categoriesNeedingMoreCharacters.contains(code) {
                reasons.append(
                    ClaimReason(
                        .diagnosisInvalid, .error,
                        "\(attendee.id)'s diagnosis \(position) (\(code)) is a category; claims need the full, billable code"
                    ))
                continue
            }
            if codes.contains(code) {
                duplicates += 1
                continue
            }
            codes.append(code)
        }
        if duplicates > 0 {
            reasons.append(
                ClaimReason(
                    .diagnosisInvalid, .warning,
                    "\(attendee.id) has \(duplicates) repeated diagnosis code(s); each is sent once"))
        }
        guard let principal = codes.first else {
            if attendee.diagnoses.isEmpty {
                reasons.append(
                    ClaimReason(
                        .diagnosisMissing, .error, "\(attendee.id) has no diagnosis; a claim needs at least one"))
            }
            return []
        }
        if codes.count > self.rules.maximumDiagnosesPerClaim {
            reasons.append(
                ClaimReason(
                    .diagnosesTrimmed, .warning,
                    "\(attendee.id) has \(codes.count) diagnoses; a claim carries \(self.rules.maximumDiagnosesPerClaim), so the first \(self.rules.maximumDiagnosesPerClaim) are sent"
                ))
            codes = Array(codes.prefix(self.rules.maximumDiagnosesPerClaim))
        }
        if ClaimChecks.isSequela(principal) {
            reasons.append(
                ClaimReason(
                    .diagnosisInvalid, .error,
                    "\(attendee.id)'s principal diagnosis is a sequela code, which cannot be principal; list another first"
                ))
        }
        if profile.refusesAsPrimary(ClaimChecks.compactDiagnosis(principal))
            || profile.refusesAsPrimary(principal)
        {
            reasons.append(
                ClaimReason(
                    .diagnosisInvalid, .error,
                    "payer profile \(profile.id) does not accept \(attendee.id)'s principal diagnosis (\(principal)) as principal"
                ))
        }
        if profile.qualifyingDiagnosisRequired.contains(cpt),
            codes.allSatisfy({ code in self.rules.nonQualifyingDiagnosisPrefixes.contains { code.hasPrefix($0) } })
        {
            reasons.append(
                ClaimReason(
                    .zCodeOnlyDiagnosis, .error,
                    "\(attendee.id)'s diagnoses are all Z-codes; \(cpt) needs a qualifying mental-health diagnosis for the billed patient"
                ))
        }
        return codes
    }

    private func isComplete(_ address: Address?) -> Bool {
        guard let address, let line1 = address.line1, !line1.isEmpty, let city = address.city, !city.isEmpty,
            let state = address.state, state.count == 2, state.allSatisfy({ $0.isASCII && $0.isLetter }),
            let postal = address.postalCode, ClaimChecks.postalDigits(postal) != nil
        else { return false }
        return true
    }

    private static func isPostOfficeBox(_ line: String) -> Bool {
        let folded = TextFolding.fold(line).filter { $0 != "." && $0 != " " }
        return folded.hasPrefix("pobox") || folded.hasPrefix("postofficebox") || folded.hasPrefix("lockbox")
    }

    /// The patient control number: session and client ids, letters, digits and dashes only, at most 38
    /// characters (a hash keeps long ones unique).
    static func claimID(session: SessionID, attendee: PersonID) -> String {
        let raw = "\(session.rawValue)-\(attendee.rawValue)"
        let kept = String(
            raw.unicodeScalars.filter {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
            })
        // Unchanged and short enough: the ids themselves. Otherwise a hash of the original keeps it unique.
        if kept == raw && kept.count <= 38 { return kept }
        var hash: UInt32 = 2_166_136_261
        for byte in raw.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let hex = String(hash, radix: 16, uppercase: true)
        return String(kept.prefix(29)) + "-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
