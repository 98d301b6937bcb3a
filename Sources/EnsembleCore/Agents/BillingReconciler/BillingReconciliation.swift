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
            findings.append(Finding(code: reason.finding, severity: reason.severity, message: reason.message))
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
                    .crisisIgnored, .warning,
                    "Crisis is set on a \(session.kind.rawValue) session. Crisis codes are for individual sessions, "
                        + "so it was ignored.", fix: ClaimFix("crisis")
                ))
        }
        findings += plan.sessionNotes.map { Finding(code: $0.finding, severity: $0.severity, message: $0.message) }

        var claims: [Claim] = []
        for target in plan.targets {
            let claim = self.claim(
                for: target, session: session, shared: shared, billing: billing, rendering: rendering,
                groupSize: plan.groupSize, readiness: notes[target.attendee.id] ?? .draft
            )
            for reason in claim.reasons where !shared.contains(reason) {
                findings.append(
                    Finding(
                        code: reason.finding, severity: reason.severity, person: claim.attendee,
                        message: reason.message))
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
        return BillingResult(
            claims: claims, dispositions: dispositions, findings: findings, sessionReasons: shared + plan.sessionNotes)
    }

    /// Later claims for the same client, date of service and code, across the sessions of one batch in the
    /// order given: the same session given twice is a duplicate (not billable); another session the same
    /// day is blocked until it is marked separate and distinct (`distinctService`, which adds the payer's
    /// 59 or XU) or dropped.
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
                let reason: ClaimReason
                if first.sessionID == claim.sessionID {
                    reason = ClaimReason(
                        .duplicateClaim, .error,
                        "Session \(claim.sessionID) was given twice, so \(claim.attendee)'s \(claim.cpt) claim is here "
                            + "twice: drop this copy.")
                } else if claim.distinctService {
                    continue
                } else {
                    reason = ClaimReason(
                        .sameDayService, .error,
                        "\(claim.attendee) already has a \(claim.cpt) claim for \(claim.dateOfService), from session "
                            + "\(first.sessionID). If this session was separate and distinct from that one, set "
                            + "distinctService to true in this session: its claim then carries the payer's modifier "
                            + "for it (59 or XU). If it is the same session under another id, drop this claim.",
                        fix: ClaimFix("distinctService"))
                }
                flagged[resultIndex].claims[claimIndex].reasons.append(reason)
                flagged[resultIndex].claims[claimIndex].status =
                    BillingReconciliation.status(flagged[resultIndex].claims[claimIndex].reasons) ?? .blocked
                flagged[resultIndex].findings.append(
                    Finding(code: reason.finding, severity: .error, person: claim.attendee, message: reason.message))
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
                "No attendee is the identified patient, and a \(session.kind.rawValue) session is billed under one. "
                + "Set role identifiedPatient on the client the session treats."
            plan.sessionNotes.append(
                ClaimReason(.identifiedPatientMissing, .error, message, fix: ClaimFix("attendees[*].role")))
        } else {
            let ids = patients.map(\.id.rawValue).joined(separator: ", ")
            message =
                "\(patients.count) attendees are identified patients (\(ids)), and a \(session.kind.rawValue) "
                + "session is billed under exactly one. Keep identifiedPatient on one of them; the others are "
                + "\(session.kind == .couples ? "partner" : "familyMember")."
            plan.sessionNotes.append(
                ClaimReason(.identifiedPatientsSeveral, .error, message, fix: ClaimFix("attendees[*].role")))
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
            // Individual psychotherapy counts time with the patient and/or family, the patient present for
            // all or part: a short conjoint session may be reportable that way (DOMAIN.md 1.1, 1.2).
            let withPatient = min(minutes, patient.minutesAttended ?? minutes)
            let instead =
                patient.present && self.rules.familyShortSessionSuggestsIndividual
                ? self.rules.individual.last(where: { $0.minimumMinutes <= withPatient }) : nil
            var message =
                "\(cpt) needs at least \(self.rules.familyMinimumMinutes) minutes of family psychotherapy; the "
                + "session lasted \(minutes)."
            if let instead {
                message +=
                    " With \(patient.id) present for \(withPatient) minutes, \(instead.cpt) (individual psychotherapy, "
                    + "\(instead.minimumMinutes)+ minutes, family members may attend) applies instead if the note shows "
                    + "treatment of \(patient.id)'s condition; otherwise drop the claim."
            } else {
                message += " The session is not billable as family psychotherapy: drop the claim."
            }
            target.reasons.append(ClaimReason(.belowFamilyMinimum, .error, message, alternative: instead?.cpt))
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
                            .familyAttendedWithoutPatient, .warning,
                            "\(patient.id)'s family attended without them. \(self.rules.multipleFamilyGroup) is billed "
                                + "under the identified patient, so no claim was made; check the payer's policy."))
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
                "\(patient.id) did not attend, and individual psychotherapy needs the patient present. A session "
                + "with family only is family psychotherapy without the patient: if so, set kind family."
            plan.sessionNotes.append(ClaimReason(.patientAbsent, .error, message, fix: ClaimFix("kind")))
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
                    .crisisBelowMinimum, .warning,
                    "Crisis psychotherapy needs at least \(crisis.minimumMinutes) minutes; at \(minutes) it is reported "
                        + "as individual psychotherapy."
                ))
        }
        if let code = self.rules.individual.last(where: { $0.minimumMinutes <= minutes }) {
            target.codes = [(code.cpt, 1)]
        } else if let shortest = self.rules.individual.first {
            target.codes = [(shortest.cpt, 1)]
            target.reasons.append(
                ClaimReason(
                    .belowPsychotherapyMinimum, .error,
                    "\(minutes) minutes is not reportable as psychotherapy: \(shortest.cpt), the shortest code, needs "
                        + "at least \(shortest.minimumMinutes). Drop the claim."
                ))
        }
        plan.targets.append(target)
    }

    // MARK: - Session-wide checks

    private func billingProvider(_ session: Session, reasons: inout [ClaimReason]) -> ClaimProvider? {
        guard let practice = session.practice else {
            reasons.append(
                ClaimReason(
                    .practiceMissing, .error,
                    "The session has no practice, the billing provider: its name, NPI, tax id and address.",
                    fix: ClaimFix("practice")))
            return nil
        }
        let count = reasons.count
        if let npi = practice.npi {
            if !ClaimChecks.isValidNPI(npi) {
                reasons.append(
                    ClaimReason(
                        .practiceNPIInvalid, .error,
                        "The practice's NPI is not a valid NPI: ten digits whose last is a Luhn check digit. Check "
                            + "it against the NPI registry.", fix: ClaimFix("practice.npi")))
            }
        } else {
            reasons.append(
                ClaimReason(.practiceNPIMissing, .error, "The practice has no NPI.", fix: ClaimFix("practice.npi")))
        }
        if practice.name?.isEmpty ?? true {
            reasons.append(
                ClaimReason(.practiceNameMissing, .error, "The practice has no name.", fix: ClaimFix("practice.name")))
        }
        if practice.taxId.flatMap(ClaimChecks.taxIdDigits) == nil {
            reasons.append(
                ClaimReason(
                    .practiceTaxIdInvalid, .error,
                    practice.taxId == nil
                        ? "The practice has no tax id (EIN)." : "The practice's tax id is not nine digits (EIN).",
                    fix: ClaimFix("practice.taxId")))
        }
        if let taxonomy = practice.taxonomy, !ClaimChecks.isValidTaxonomy(taxonomy) {
            reasons.append(
                ClaimReason(
                    .practiceTaxonomyInvalid, .error,
                    "The practice's taxonomy code is not ten letters and digits ending in X.",
                    fix: ClaimFix("practice.taxonomy")))
        }
        let address = practice.address
        let missing = Self.missingAddressParts(address)
        if !missing.isEmpty {
            reasons.append(
                ClaimReason(
                    .practiceAddressIncomplete, .error,
                    "The practice's address has no \(Self.list(missing.map(\.name))); a billing provider needs a "
                        + "street, city, two-letter state and ZIP code.",
                    fix: ClaimFix("practice.address.\(missing[0].field)")))
        } else if let digits = address?.postalCode.flatMap(ClaimChecks.postalDigits),
            digits.count != 9 || digits.hasSuffix("0000")
        {
            reasons.append(
                ClaimReason(
                    .practiceZipPlus4Missing, .error,
                    digits.count != 9
                        ? "The practice's ZIP code has five digits; a billing provider's needs all nine (ZIP+4)."
                        : "The practice's ZIP+4 ends in 0000, which is no real +4; a billing provider's needs the "
                            + "address's own (USPS ZIP code lookup).",
                    fix: ClaimFix("practice.address.postalCode")))
        } else if Self.isPostOfficeBox(address?.line1 ?? "") {
            reasons.append(
                ClaimReason(
                    .practiceAddressPOBox, .error,
                    "The practice's address is a PO box; a billing provider needs a street address (a pay-to "
                        + "address can be a box).", fix: ClaimFix("practice.address.line1")))
        }
        guard reasons.count == count, let practiceName = practice.name, let npi = practice.npi else { return nil }
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
                ClaimReason(
                    .renderingClinicianMissing, .error,
                    "No clinician has role primary, so the claim has no rendering provider.",
                    fix: ClaimFix("clinicians[*].role")))
            return nil
        }
        guard let npi = clinician.npi else {
            reasons.append(
                ClaimReason(
                    .renderingNPIMissing, .error, "The rendering clinician \(clinician.id) has no NPI.",
                    fix: .clinician(clinician.id, "npi")))
            return nil
        }
        guard ClaimChecks.isValidNPI(npi) else {
            reasons.append(
                ClaimReason(
                    .renderingNPIInvalid, .error,
                    "The rendering clinician \(clinician.id)'s NPI is not a valid NPI: ten digits whose last is a "
                        + "Luhn check digit.", fix: .clinician(clinician.id, "npi")))
            return nil
        }
        if let taxonomy = clinician.taxonomy, !ClaimChecks.isValidTaxonomy(taxonomy) {
            reasons.append(
                ClaimReason(
                    .renderingTaxonomyInvalid, .error,
                    "The rendering clinician \(clinician.id)'s taxonomy code is not ten letters and digits ending in X.",
                    fix: .clinician(clinician.id, "taxonomy")))
            return nil
        }
        return ClaimProvider(id: clinician.id, name: clinician.name, npi: npi, taxonomy: clinician.taxonomy)
    }

    private func checkSetting(_ session: Session, reasons: inout [ClaimReason]) {
        if session.modality == nil {
            reasons.append(
                ClaimReason(
                    .modalityMissing, .error,
                    "The session does not say whether it was in person, video or audio-only; the modifiers and the "
                        + "place of service depend on it.", fix: ClaimFix("modality")))
        }
        guard let placeOfService = session.placeOfService else {
            reasons.append(
                ClaimReason(
                    .placeOfServiceMissing, .error, "The session has no place of service.",
                    fix: ClaimFix("placeOfService")))
            return
        }
        guard ClaimChecks.isWellFormedPlaceOfService(placeOfService) else {
            reasons.append(
                ClaimReason(
                    .placeOfServiceInvalid, .error, "The place of service is not a two-digit CMS code.",
                    fix: ClaimFix("placeOfService")))
            return
        }
        if session.modality == .inPerson, self.rules.telehealthPlacesOfService.contains(placeOfService) {
            reasons.append(
                ClaimReason(
                    .placeOfServiceInPersonAtTelehealth, .error,
                    "Place of service \(placeOfService) means telehealth, but the session was in person: correct "
                        + "one of them.", fix: ClaimFix("placeOfService")))
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
        let patient = self.person(attendee, reasons: &reasons)
        let diagnoses = self.diagnoses(
            attendee, cpt: target.codes.first?.cpt ?? "", profile: profile, reasons: &reasons)
        let primary = target.codes.first?.cpt ?? ""

        if let limit = profile.maximumGroupSize, primary == self.rules.group, groupSize > limit {
            reasons.append(
                ClaimReason(
                    .groupSizeExceeded, .error,
                    "\(groupSize) members attended; payer profile \(profile.id) pays group psychotherapy for at most "
                        + "\(limit), so this member's claim would be denied: drop it (the other payers' members are "
                        + "billed as usual)."))
        }

        var modifiers: [String] = []
        if let modality = session.modality, modality != .inPerson {
            if modality == .audioOnly && !profile.audioOnlyCovered {
                reasons.append(
                    ClaimReason(
                        .audioOnlyNotCovered, .error,
                        "Payer profile \(profile.id) does not cover audio-only sessions."))
            }
            modifiers = modality == .video ? profile.videoModifiers : profile.audioOnlyModifiers
            if let placeOfService = session.placeOfService,
                !profile.telehealthPlacesOfService.contains(placeOfService)
            {
                let accepted = profile.telehealthPlacesOfService.sorted().joined(separator: " or ")
                reasons.append(
                    ClaimReason(
                        .placeOfServiceNotTelehealth, .error,
                        "A \(modality.rawValue) session at place of service \(placeOfService): payer profile "
                            + "\(profile.id) takes telehealth as \(accepted) (10 when the client was at home).",
                        fix: ClaimFix("placeOfService")))
            }
        }

        if session.distinctService, modifiers.count < 4 {
            modifiers.append(profile.distinctServiceModifier)
        }

        if let consent = attendee.consent, consent.part2 {
            switch consent.paymentDisclosure {
            case false?:
                reasons.append(
                    ClaimReason(
                        .part2PaymentConsentRefused, .error,
                        "\(attendee.id)'s record is under 42 CFR Part 2 and their consent refuses disclosure for "
                            + "payment, so no claim can go to the payer unless they consent in writing."))
            case nil:
                reasons.append(
                    ClaimReason(
                        .part2PaymentConsentMissing, .error,
                        "\(attendee.id)'s record is under 42 CFR Part 2, so the claim needs their written "
                            + "consent to disclose for payment. Set paymentDisclosure to true once the signed consent "
                            + "is on file, or to false if they refused.",
                        fix: .attendee(attendee.id, "consent.paymentDisclosure")))
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
                        .interactiveComplexityNotBillable, .warning,
                        "Interactive complexity (\(factor.rawValue)) is documented, but "
                            + "\(self.rules.interactiveComplexity) is not billable with \(primary); it stays in "
                            + "the note only."))
            }
        }
        for (cpt, _) in codes where profile.notCovered.contains(cpt) {
            reasons.append(
                ClaimReason(
                    .codeNotCovered, .error,
                    "Payer profile \(profile.id) does not cover \(cpt)."))
        }

        let pointers = Array(1...max(1, min(diagnoses.count, self.rules.maximumPointersPerLine)))
        var lines: [ClaimLine] = []
        for (cpt, units) in codes {
            let fee = self.rules.feesInCents[cpt]
            if fee == nil || fee == 0 {
                reasons.append(
                    ClaimReason(
                        .feeMissing, .error, "The fee schedule has no charge for \(cpt).",
                        fix: ClaimFix(.rules, "fees.\(cpt)")))
            }
            lines.append(
                ClaimLine(
                    cpt: cpt, modifiers: Array(modifiers.prefix(4)), units: units, chargeInCents: (fee ?? 0) * units,
                    diagnosisPointers: diagnoses.isEmpty ? [] : pointers))
        }

        let status: ClaimStatus
        if let stop = Self.status(reasons) {
            status = stop
        } else if readiness == .signed {
            status = .ready
        } else {
            status = .pendingSignature
            reasons.append(
                readiness == .manualNoteRequired
                    ? ClaimReason(
                        .noteNotWritten, .info,
                        "No note yet: the clinician writes \(attendee.id)'s note by hand and signs it.")
                    : ClaimReason(
                        .noteNotSigned, .info,
                        "\(attendee.id)'s note is a draft; the claim is ready once the clinician signs it."))
        }
        return Claim(
            id: Self.claimID(session: session.id, attendee: attendee.id), sessionID: session.id,
            attendee: attendee.id, dateOfService: session.start.localDate, minutes: target.minutes,
            placeOfService: session.placeOfService, lines: lines, diagnoses: diagnoses, status: status,
            reasons: reasons, patient: patient, subscriber: subscriber, patientRelationshipCode: relationshipCode,
            payer: payer, billingProvider: billing, renderingProvider: rendering,
            distinctService: session.distinctService
        )
    }

    /// `notBillable` when any error is about the service, else `blocked` when any error is about data,
    /// else nil: there is no point fixing the data of a claim that must be dropped.
    public static func status(_ reasons: [ClaimReason]) -> ClaimStatus? {
        let stops = reasons.compactMap(\.stops)
        if stops.contains(.notBillable) { return .notBillable }
        return stops.isEmpty ? nil : .blocked
    }

    private func payer(_ attendee: Attendee, profile: PayerProfile, reasons: inout [ClaimReason]) -> ClaimPayer? {
        guard let coverage = attendee.coverage else {
            reasons.append(
                ClaimReason(
                    .coverageMissing, .error,
                    "\(attendee.id) has no insurance coverage on file: add it from their insurance card, or bill "
                        + "them directly.", fix: .attendee(attendee.id, "coverage")))
            return nil
        }
        let fields: [(ClaimReason.Code, String, String?)] = [
            (.payerIdMissing, "payerId", coverage.payerId),
            (.payerNameMissing, "payerName", coverage.payerName),
            (.memberIdMissing, "memberId", coverage.memberId),
        ]
        for (code, field, value) in fields where value?.isEmpty ?? true {
            let what =
                switch code {
                case .payerIdMissing: "payer id (the clearinghouse's id for the payer)"
                case .payerNameMissing: "payer name"
                default: "member id (from their insurance card)"
                }
            reasons.append(
                ClaimReason(
                    code, .error, "\(attendee.id)'s coverage has no \(what).",
                    fix: .attendee(attendee.id, "coverage.\(field)")))
        }
        let indicator = coverage.claimFilingIndicator ?? profile.claimFilingIndicator
        if !ClaimChecks.claimFilingIndicators.contains(indicator) {
            reasons.append(
                ClaimReason(
                    .claimFilingIndicatorInvalid, .error,
                    "\(attendee.id)'s claim filing indicator is not an X12 code (CI commercial, MB Medicare, MC "
                        + "Medicaid, BL Blue Cross, HM HMO …).",
                    fix: .attendee(attendee.id, "coverage.claimFilingIndicator")))
        }
        let sequence: String
        switch coverage.sequence?.lowercased() ?? "primary" {
        case "primary", "p": sequence = "P"
        case "secondary", "s": sequence = "S"
        case "tertiary", "t": sequence = "T"
        default:
            reasons.append(
                ClaimReason(
                    .coverageSequenceInvalid, .error,
                    "\(attendee.id)'s coverage sequence is not primary, secondary or tertiary.",
                    fix: .attendee(attendee.id, "coverage.sequence")))
            sequence = "P"
        }
        if sequence != "P" {
            reasons.append(
                ClaimReason(
                    .secondaryCoverage, .error,
                    "\(attendee.id)'s coverage on file is \(coverage.sequence ?? ""). A secondary claim needs the "
                        + "primary payer's adjudication, which Ensemble does not send: put the primary coverage "
                        + "here, and bill the secondary from the practice's billing system.",
                    fix: .attendee(attendee.id, "coverage")))
        }
        // Without a member id the claim is blocked (above) but still names its payer, so billing staff see
        // whose coverage it is.
        guard let payerId = coverage.payerId, !payerId.isEmpty, let name = coverage.payerName, !name.isEmpty
        else { return nil }
        return ClaimPayer(
            profile: profile.id, payerId: payerId, name: name, claimFilingIndicator: indicator,
            memberId: coverage.memberId ?? "",
            groupNumber: coverage.groupNumber, sequence: sequence
        )
    }

    /// The policyholder when it is not the patient, and the patient's relationship code (PAT01). When the
    /// coverage names none, an attendee who holds the same policy (same payer and member id, as self) is
    /// taken from the roster if exactly one does; otherwise billing staff are asked.
    private func subscriber(_ attendee: Attendee, session: Session, reasons: inout [ClaimReason]) -> (
        ClaimPerson?, String?
    ) {
        guard let coverage = attendee.coverage else { return (nil, nil) }
        guard let relationship = coverage.subscriberRelationship else {
            reasons.append(
                ClaimReason(
                    .subscriberRelationshipMissing, .error,
                    "\(attendee.id)'s coverage does not say whose policy it is: self, spouse, child, lifePartner "
                        + "or other.", fix: .attendee(attendee.id, "coverage.subscriberRelationship")))
            return (nil, nil)
        }
        let code: String?
        switch Self.relationshipCode(relationship) {
        case "18"?: return (nil, nil)
        case let known?: code = known
        case nil:
            reasons.append(
                ClaimReason(
                    .subscriberRelationshipInvalid, .error,
                    "\(attendee.id)'s subscriberRelationship is not one of self, spouse, child, lifePartner or other.",
                    fix: .attendee(attendee.id, "coverage.subscriberRelationship")))
            return (nil, nil)
        }
        let given: Subscriber
        if let named = coverage.subscriber {
            given = named
        } else if let holder = self.policyholderOnRoster(
            attendee, coverage: coverage, session: session, reasons: &reasons)
        {
            given = Subscriber(clientId: holder.id)
        } else {
            return (nil, code)
        }
        let onRoster = given.clientId.flatMap(session.attendee)
        // 837P (005010X222A1, 2000B/2000C): a patient their own member id identifies to the payer is sent
        // as the subscriber; the patient loop is only for a dependent known by the policyholder's id.
        if let holder = onRoster, let theirs = holder.coverage,
            Self.fold(theirs.payerId) == Self.fold(coverage.payerId),
            !Self.fold(theirs.memberId).isEmpty, !Self.fold(coverage.memberId).isEmpty,
            Self.fold(theirs.memberId) != Self.fold(coverage.memberId)
        {
            reasons.append(
                ClaimReason(
                    .patientHasOwnMemberId, .info,
                    "\(attendee.id)'s member id is their own (\(holder.id), the policyholder, has another with the same "
                        + "payer), so the 837P sends \(attendee.id) as the subscriber under it, as the 837P guide asks "
                        + "for a patient their own id identifies."))
            return (nil, nil)
        }
        guard let name = given.name ?? onRoster?.name else {
            reasons.append(
                ClaimReason(
                    .subscriberNameMissing, .error,
                    "\(attendee.id)'s policyholder has no name: give coverage.subscriber.name, or clientId when "
                        + "they are on the roster.", fix: .attendee(attendee.id, "coverage.subscriber.name")))
            return (nil, code)
        }
        let person = ClaimPerson(
            id: given.clientId, name: name, dateOfBirth: given.dateOfBirth ?? onRoster?.dateOfBirth,
            sex: given.sex ?? onRoster?.sex ?? .unknown, address: given.address ?? onRoster?.address
        )
        return (person, code)
    }

    /// X12 PAT01 / SBR02 individual relationship code: `18` self, `01` spouse, `19` child, `53` life
    /// partner, `G8` other; nil when the value is none of these.
    static func relationshipCode(_ relationship: String) -> String? {
        switch relationship.lowercased().filter({ $0 != " " && $0 != "-" && $0 != "_" }) {
        case "self": "18"
        case "spouse", "husband", "wife": "01"
        case "child", "son", "daughter", "dependent": "19"
        case "lifepartner", "partner", "domesticpartner": "53"
        case "other": "G8"
        default: nil
        }
    }

    /// The one other attendee whose own coverage is the same policy (payer id and member id) as self.
    /// None or several: a reason asks billing staff to name the policyholder, naming who could be.
    private func policyholderOnRoster(
        _ attendee: Attendee, coverage: Coverage, session: Session, reasons: inout [ClaimReason]
    ) -> Attendee? {
        let fold = Self.fold
        let holders = session.attendees.filter { other in
            other.id != attendee.id && other.coverage?.subscriberRelationship.flatMap(Self.relationshipCode) == "18"
        }
        let samePayer = holders.filter { other in
            !fold(coverage.payerId).isEmpty && fold(other.coverage?.payerId) == fold(coverage.payerId)
        }
        let samePolicy = samePayer.filter { other in
            !fold(coverage.memberId).isEmpty && fold(other.coverage?.memberId) == fold(coverage.memberId)
        }
        let fix = ClaimFix.attendee(attendee.id, "coverage.subscriber.clientId")
        let relationship = Self.relationshipCode(coverage.subscriberRelationship ?? "") ?? ""
        if samePolicy.count == 1, let doubt = self.doubt(samePolicy[0], holding: attendee, as: relationship) {
            let holder = samePolicy[0].id
            reasons.append(
                ClaimReason(
                    .subscriberAmbiguous, .error,
                    "\(attendee.id) is on someone else's policy, and \(holder) holds one with the same payer and "
                        + "member id, but \(doubt). Set coverage.subscriber.clientId to the policyholder (\(holder) if "
                        + "it is them).", fix: fix))
            return nil
        }
        if samePolicy.count == 1 {
            let holder = samePolicy[0]
            reasons.append(
                ClaimReason(
                    .subscriberFromRoster, .info,
                    "\(attendee.id)'s coverage names no policyholder; \(holder.id) is on the roster with the same "
                        + "payer and member id as policyholder, so the claim names \(holder.id) as the subscriber. "
                        + "If that is wrong, name the policyholder in coverage.subscriber.", fix: fix))
            return holder
        }
        let candidates = samePolicy.isEmpty ? samePayer : samePolicy
        let ids = Self.list(candidates.map(\.id.rawValue))
        let message: String
        switch candidates.count {
        case 0:
            message =
                "\(attendee.id) is on someone else's policy, and nobody on the roster holds a policy with the same "
                + "payer. Name the policyholder in coverage.subscriber: clientId when they are on the roster, "
                + "otherwise name, dateOfBirth and address."
            reasons.append(
                ClaimReason(.subscriberMissing, .error, message, fix: .attendee(attendee.id, "coverage.subscriber")))
        case 1:
            message =
                "\(attendee.id) is on someone else's policy. \(ids) holds a policy with the same payer but a "
                + "different member id: if \(ids) is the policyholder, set coverage.subscriber.clientId to \(ids); "
                + "otherwise name the policyholder."
            reasons.append(ClaimReason(.subscriberAmbiguous, .error, message, fix: fix))
        default:
            message =
                "\(attendee.id) is on someone else's policy, and \(ids) each hold a policy with "
                + "the same payer\(samePolicy.isEmpty ? "" : " and member id"). Set coverage.subscriber.clientId "
                + "to the policyholder."
            reasons.append(ClaimReason(.subscriberAmbiguous, .error, message, fix: fix))
        }
        return nil
    }

    /// Why `holder` is unlikely to be the policyholder of `patient`'s coverage held as `relationship`
    /// (an X12 code), or nil. Roster relationships are to the identified patient, so they count only
    /// when the patient is the identified patient.
    private func doubt(_ holder: Attendee, holding patient: Attendee, as relationship: String) -> String? {
        let theirs = (holder.relationship ?? "").lowercased().filter { $0.isLetter }
        let isPatient = patient.role == .identifiedPatient
        switch relationship {
        case "19":
            if let born = holder.dateOfBirth, let patientBorn = patient.dateOfBirth, !(born < patientBorn) {
                return "\(holder.id) is not older than \(patient.id), whose coverage says it is a parent's"
            }
            if isPatient, Self.siblingsAndChildren.contains(theirs) {
                return "\(holder.id) is recorded as \(patient.id)'s \(theirs), not a parent"
            }
        case "01", "53":
            if isPatient, !theirs.isEmpty, holder.role != .partner, !Self.partners.contains(theirs) {
                return "\(holder.id) is recorded as \(patient.id)'s \(theirs), not a spouse or partner"
            }
        default: break
        }
        return nil
    }

    /// Relationships to the identified patient that are never a parent's.
    private static let siblingsAndChildren: Set<String> = [
        "brother", "sister", "sibling", "stepbrother", "stepsister", "halfbrother", "halfsister", "twin", "son",
        "daughter", "child", "stepson", "stepdaughter", "grandson", "granddaughter", "grandchild",
    ]

    /// Relationships to the identified patient that are a spouse's or partner's.
    private static let partners: Set<String> = [
        "wife", "husband", "spouse", "partner", "domesticpartner", "lifepartner", "fiance", "fiancee", "boyfriend",
        "girlfriend",
    ]

    /// A payer or member id compared without case, spaces or dashes.
    private static func fold(_ text: String?) -> String {
        String((text ?? "").uppercased().unicodeScalars.filter { $0 != " " && $0 != "-" }.map(Character.init))
    }

    private func person(_ attendee: Attendee, reasons: inout [ClaimReason]) -> ClaimPerson {
        if attendee.dateOfBirth == nil {
            reasons.append(
                ClaimReason(
                    .patientDateOfBirthMissing, .error,
                    "\(attendee.id) has no date of birth on file; every claim carries the patient's.",
                    fix: .attendee(attendee.id, "dateOfBirth")))
        }
        let missing = Self.missingAddressParts(attendee.address)
        if !missing.isEmpty {
            reasons.append(
                ClaimReason(
                    .patientAddressIncomplete, .error,
                    "\(attendee.id)'s address has no \(Self.list(missing.map(\.name))); every claim carries the "
                        + "patient's street, city, two-letter state and ZIP code.",
                    fix: .attendee(attendee.id, attendee.address == nil ? "address" : "address.\(missing[0].field)")))
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
        let field = ClaimFix.attendee(attendee.id, "diagnoses")
        for (offset, raw) in attendee.diagnoses.enumerated() {
            let position = offset + 1
            guard ClaimChecks.isWellFormedDiagnosis(raw) else {
                reasons.append(
                    ClaimReason(
                        .diagnosisMalformed, .error,
                        "\(attendee.id)'s diagnosis \(position) is not an ICD-10-CM code (a letter, two characters, "
                            + "then an optional decimal part).", fix: .attendee(attendee.id, "diagnoses[\(offset)]")))
                continue
            }
            let code = ClaimChecks.displayDiagnosis(raw)
            if code.count == 3, self.rules.categoriesNeedingMoreCharacters.contains(code) {
                reasons.append(
                    ClaimReason(
                        .diagnosisIncomplete, .error,
                        "\(attendee.id)'s diagnosis \(position) (\(code)) is a category; claims need the full, "
                            + "billable code, which the clinician chooses.",
                        fix: .attendee(attendee.id, "diagnoses[\(offset)]")))
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
                    .diagnosisRepeated, .warning,
                    "\(attendee.id) has \(duplicates) repeated diagnosis code(s); each is sent once."))
        }
        guard let principal = codes.first else {
            if attendee.diagnoses.isEmpty {
                reasons.append(
                    ClaimReason(
                        .diagnosisMissing, .error,
                        "\(attendee.id) has no diagnosis, and a claim needs at least one: ask the clinician.",
                        fix: field))
            }
            return []
        }
        if codes.count > self.rules.maximumDiagnosesPerClaim {
            let maximum = self.rules.maximumDiagnosesPerClaim
            reasons.append(
                ClaimReason(
                    .diagnosesTrimmed, .warning,
                    "\(attendee.id) has \(codes.count) diagnoses; a claim carries \(maximum), so the first "
                        + "\(maximum) are sent."))
            codes = Array(codes.prefix(maximum))
        }
        if ClaimChecks.isSequela(principal) {
            reasons.append(
                ClaimReason(
                    .principalDiagnosisSequela, .error,
                    "\(attendee.id)'s principal diagnosis is a sequela code, which cannot be principal: list "
                        + "another first.", fix: .attendee(attendee.id, "diagnoses[0]")))
        }
        if profile.refusesAsPrimary(ClaimChecks.compactDiagnosis(principal))
            || profile.refusesAsPrimary(principal)
        {
            reasons.append(
                ClaimReason(
                    .principalDiagnosisRefused, .error,
                    "Payer profile \(profile.id) does not accept \(attendee.id)'s principal diagnosis (\(principal)) "
                        + "as principal: list another first.", fix: .attendee(attendee.id, "diagnoses[0]")))
        }
        if profile.qualifyingDiagnosisRequired.contains(cpt),
            codes.allSatisfy({ code in self.rules.nonQualifyingDiagnosisPrefixes.contains { code.hasPrefix($0) } })
        {
            reasons.append(
                ClaimReason(
                    .qualifyingDiagnosisMissing, .error,
                    "\(attendee.id)'s diagnoses are all Z-codes; \(cpt) needs a qualifying mental-health "
                        + "diagnosis for the billed patient. Ask the clinician: without one the session is not "
                        + "billable.", fix: field))
        }
        return codes
    }

    /// The parts of a postal address a claim needs that are missing or malformed, with their fields.
    private static func missingAddressParts(_ address: Address?) -> [(name: String, field: String)] {
        var missing: [(String, String)] = []
        if address?.line1?.isEmpty ?? true { missing.append(("street", "line1")) }
        if address?.city?.isEmpty ?? true { missing.append(("city", "city")) }
        if let state = address?.state, state.count == 2, state.allSatisfy({ $0.isASCII && $0.isLetter }) {
        } else {
            missing.append(("two-letter state", "state"))
        }
        if address?.postalCode.flatMap(ClaimChecks.postalDigits) == nil {
            let given = !(address?.postalCode?.isEmpty ?? true)
            missing.append((given ? "valid ZIP code (five or nine digits)" : "ZIP code", "postalCode"))
        }
        return missing
    }

    /// `a`, `a and b`, `a, b and c`.
    private static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
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
