import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Testing

/// The billing rules of DOMAIN.md sections 0–1 as a table: each row is a session, the claim set it must
/// produce (`attendee codes status`, codes as `cpt:modifier×units`), the findings it must raise and who
/// must not be billed and why. The rules are the repository's own `Agents/billing-reconciler/`.
@Suite("BillingReconciler: per-attendee claims")
struct BillingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var session: Session
        var signed: Set<String> = []
        var adjust: (@Sendable (inout BillingRules) -> Void)? = nil
        var claims: Set<String>
        var findings: Set<Finding.Code> = []
        /// Reason codes the claims must carry, with the field each names (`""` for none).
        var reasons: [ClaimReason.Code: String] = [:]
        var notBilled: [String: NotBilledReason] = [:]

        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        // Group psychotherapy: one claim per attending member.
        Case(
            name: "group: every attending member, the early leaver too; the absent member never",
            session: group([
                member("CL-1"), member("CL-2", minutesAttended: 20), member("CL-3", present: false),
            ]),
            claims: ["CL-1 90853 pendingSignature", "CL-2 90853 pendingSignature"],
            findings: [.noteNotSigned], notBilled: ["CL-3": .absent]
        ),
        Case(
            name: "group: a claim is ready once that attendee's note is signed",
            session: group([member("CL-1"), member("CL-2")]), signed: ["CL-1"],
            claims: ["CL-1 90853 ready", "CL-2 90853 pendingSignature"]
        ),
        Case(
            name: "group: interactive complexity adds 90785 for that member only",
            session: group([member("CL-1", complexity: .maladaptiveCommunication), member("CL-2")]),
            claims: ["CL-1 90853 + 90785 pendingSignature", "CL-2 90853 pendingSignature"]
        ),
        Case(
            name: "group: Medicare's 12-member limit blocks the Medicare member, not the others",
            session: group(
                [member("CL-1", coverage: medicare("MBI0001"))] + (2...13).map { member("CL-\($0)") }),
            claims: Set(["CL-1 90853 notBillable"] + (2...13).map { "CL-\($0) 90853 pendingSignature" }),
            findings: [.groupSizeExceeded], reasons: [.groupSizeExceeded: ""]
        ),
        Case(
            name: "group: video at POS 10 takes modifier 95 for commercial payers, none for Medicare",
            session: group(
                [member("CL-1"), member("CL-2", coverage: medicare("MBI0002"))], modality: .video, pos: "10"),
            claims: ["CL-1 90853:95 pendingSignature", "CL-2 90853 pendingSignature"]
        ),
        Case(
            name: "group: audio-only takes modifier 93, on the add-on line too",
            session: group(
                [member("CL-1", complexity: .sentinelEvent)], modality: .audioOnly, pos: "10"),
            claims: ["CL-1 90853:93 + 90785:93 pendingSignature"]
        ),
        Case(
            name: "group: FQ instead of 93 is a payer setting",
            session: group([member("CL-1", coverage: medicare("MBI0003"))], modality: .audioOnly, pos: "02"),
            adjust: { rules in
                rules.payers.profiles[0].audioOnlyModifiers = ["FQ"]
            },
            claims: ["CL-1 90853:FQ pendingSignature"]
        ),
        Case(
            name: "group: a video session billed at POS 11 is blocked",
            session: group([member("CL-1")], modality: .video, pos: "11"),
            claims: ["CL-1 90853:95 blocked"], findings: [.placeOfServiceInvalid],
            reasons: [.placeOfServiceNotTelehealth: "placeOfService"]
        ),
        Case(
            name: "group: an in-person session at a telehealth POS is blocked",
            session: group([member("CL-1")], modality: .inPerson, pos: "10"),
            claims: ["CL-1 90853 blocked"], findings: [.placeOfServiceInvalid],
            reasons: [.placeOfServiceInPersonAtTelehealth: "placeOfService"]
        ),
        Case(
            name: "group: no modality is blocked rather than assumed in person",
            session: group([member("CL-1")], modality: nil),
            claims: ["CL-1 90853 blocked"], findings: [.modalityMissing], reasons: [.modalityMissing: "modality"]
        ),
        Case(
            name: "group: a member with no coverage is blocked; the others are not",
            session: group([member("CL-1", coverage: .some(nil)), member("CL-2")]),
            claims: ["CL-1 90853 blocked", "CL-2 90853 pendingSignature"], findings: [.coverageMissing],
            reasons: [.coverageMissing: "attendees[CL-1].coverage"]
        ),
        Case(
            name: "group: a member with only Z-codes is blocked",
            session: group([member("CL-1", diagnoses: ["Z63.0"])]),
            claims: ["CL-1 90853 blocked"], findings: [.zCodeOnlyDiagnosis],
            reasons: [.qualifyingDiagnosisMissing: "attendees[CL-1].diagnoses"]
        ),
        Case(
            name: "group: an unbillable category code (F41) is blocked",
            session: group([member("CL-1", diagnoses: ["F41"])]),
            claims: ["CL-1 90853 blocked"], findings: [.diagnosisInvalid],
            reasons: [.diagnosisIncomplete: "attendees[CL-1].diagnoses[0]"]
        ),
        Case(
            name: "group: no diagnosis is blocked",
            session: group([member("CL-1", diagnoses: [])]),
            claims: ["CL-1 90853 blocked"], findings: [.diagnosisMissing],
            reasons: [.diagnosisMissing: "attendees[CL-1].diagnoses"]
        ),
        Case(
            name: "group: a sequela code cannot be principal",
            session: group([member("CL-1", diagnoses: ["F43.10", "S06.0X0S"].reversed())]),
            claims: ["CL-1 90853 blocked"], findings: [.diagnosisInvalid]
        ),
        Case(
            name: "group: an invalid practice NPI (Luhn) blocks every claim",
            session: group([member("CL-1"), member("CL-2")], practiceNPI: "1234567890"),
            claims: ["CL-1 90853 blocked", "CL-2 90853 blocked"], findings: [.npiInvalid],
            reasons: [.practiceNPIInvalid: "practice.npi"]
        ),
        Case(
            name: "group: an invalid rendering NPI blocks every claim",
            session: group([member("CL-1")], clinicianNPI: "1993999999"),
            claims: ["CL-1 90853 blocked"], findings: [.npiInvalid],
            reasons: [.renderingNPIInvalid: "clinicians[PROV-1].npi"]
        ),
        Case(
            name: "group: a practice ZIP+4 of 0000 is blocked: it is no real +4",
            session: group([member("CL-1")], practiceZIP: "60614-0000"),
            claims: ["CL-1 90853 blocked"], reasons: [.practiceZipPlus4Missing: "practice.address.postalCode"]
        ),
        Case(
            name: "group: a practice ZIP without the +4 is blocked (billing provider needs nine digits)",
            session: group([member("CL-1")], practiceZIP: "60614"),
            claims: ["CL-1 90853 blocked"], findings: [.providerIncomplete],
            reasons: [.practiceZipPlus4Missing: "practice.address.postalCode"]
        ),
        Case(
            name: "group: a code missing from the fee schedule is blocked",
            session: group([member("CL-1")]),
            adjust: { rules in rules.feesInCents["90853"] = nil },
            claims: ["CL-1 90853 blocked"], findings: [.feeMissing], reasons: [.feeMissing: "fees.90853"]
        ),

        Case(
            name: "group: Part 2 consent refusing payment disclosure is not billable; none recorded is blocked",
            session: group([
                member("CL-1", part2: false), member("CL-2", part2: .some(nil)), member("CL-3", part2: true),
            ]),
            claims: ["CL-1 90853 notBillable", "CL-2 90853 blocked", "CL-3 90853 pendingSignature"],
            findings: [.part2PaymentConsent],
            reasons: [
                .part2PaymentConsentRefused: "",
                .part2PaymentConsentMissing: "attendees[CL-2].consent.paymentDisclosure",
            ]
        ),

        // Family and couples: one claim, under the identified patient.
        Case(
            name: "family: the identified patient present is 90847, under the IP only",
            session: family([patient("CL-1"), relative("CL-2"), relative("CL-3")], minutes: 53),
            claims: ["CL-1 90847 pendingSignature"], notBilled: ["CL-2": .participant, "CL-3": .participant]
        ),
        Case(
            name: "family: the identified patient absent is 90846, still under the IP",
            session: family([patient("CL-1", present: false), relative("CL-2")], minutes: 50),
            claims: ["CL-1 90846 pendingSignature"], notBilled: ["CL-2": .participant]
        ),
        Case(
            name: "family: 25 minutes is below the 26-minute minimum: not billable, 90832 offered instead",
            session: family([patient("CL-1"), relative("CL-2")], minutes: 25),
            claims: ["CL-1 90847 notBillable"], findings: [.belowTimeThreshold], reasons: [.belowFamilyMinimum: ""]
        ),
        Case(
            name: "family: 15 minutes without the patient is not billable, and nothing is offered instead",
            session: family([patient("CL-1", present: false), relative("CL-2")], minutes: 15),
            claims: ["CL-1 90846 notBillable"], reasons: [.belowFamilyMinimum: ""]
        ),
        Case(
            name: "family: a short session with missing data is not billable, not blocked: nothing to fix",
            session: family([patient("CL-1", coverage: .some(nil)), relative("CL-2")], minutes: 20),
            claims: ["CL-1 90847 notBillable"],
            reasons: [.belowFamilyMinimum: "", .coverageMissing: "attendees[CL-1].coverage"]
        ),
        Case(
            name: "family: 26 minutes is enough",
            session: family([patient("CL-1"), relative("CL-2")], minutes: 26),
            claims: ["CL-1 90847 pendingSignature"]
        ),
        Case(
            name: "family: 90785 is never billed with a family code, even when documented",
            session: family([patient("CL-1", complexity: .maladaptiveCommunication), relative("CL-2")], minutes: 50),
            claims: ["CL-1 90847 pendingSignature"], findings: [.addOnNotAllowed]
        ),
        Case(
            name: "family: a Z-code-only identified patient is blocked",
            session: family([patient("CL-1", diagnoses: ["Z62.820", "Z63.8"]), relative("CL-2")], minutes: 50),
            claims: ["CL-1 90847 blocked"], findings: [.zCodeOnlyDiagnosis],
            reasons: [.qualifyingDiagnosisMissing: "attendees[CL-1].diagnoses"]
        ),
        Case(
            name: "family: no identified patient bills nobody",
            session: family([relative("CL-1"), relative("CL-2")], minutes: 50),
            claims: [], findings: [.noIdentifiedPatient],
            notBilled: ["CL-1": .identifiedPatientUnclear, "CL-2": .identifiedPatientUnclear]
        ),
        Case(
            name: "family: two identified patients bill nobody until one is chosen",
            session: family([patient("CL-1"), patient("CL-2")], minutes: 50),
            claims: [], findings: [.severalIdentifiedPatients]
        ),
        Case(
            name: "family: a child on a parent's policy needs the policyholder named",
            session: family(
                [patient("CL-1", coverage: dependent(subscriber: nil)), relative("CL-2")], minutes: 50),
            claims: ["CL-1 90847 blocked"], findings: [.subscriberMissing],
            reasons: [.subscriberMissing: "attendees[CL-1].coverage.subscriber"]
        ),
        Case(
            name: "family: the one parent holding the same policy as self is the policyholder, said in a note",
            session: family(
                [
                    patient("CL-1", coverage: dependent(subscriber: nil)),
                    holder("CL-2", member: "DEP001"), holder("CL-3", member: "OTHER7", payer: "ZZ999"),
                ], minutes: 50),
            claims: ["CL-1 90847 pendingSignature"], findings: [.subscriberResolved],
            reasons: [.subscriberFromRoster: "attendees[CL-1].coverage.subscriber.clientId"]
        ),
        Case(
            name: "family: member ids compare without case, spaces or dashes",
            session: family(
                [patient("CL-1", coverage: dependent(subscriber: nil)), holder("CL-2", member: "dep-001")],
                minutes: 50),
            claims: ["CL-1 90847 pendingSignature"],
            reasons: [.subscriberFromRoster: "attendees[CL-1].coverage.subscriber.clientId"]
        ),
        Case(
            name: "family: two attendees holding the policy as self is ambiguous: billing is asked",
            session: family(
                [
                    patient("CL-1", coverage: dependent(subscriber: nil)), holder("CL-2", member: "DEP001"),
                    holder("CL-3", member: "DEP001"),
                ], minutes: 50),
            claims: ["CL-1 90847 blocked"],
            reasons: [.subscriberAmbiguous: "attendees[CL-1].coverage.subscriber.clientId"]
        ),
        Case(
            name: "family: a parent with the same payer but another member id is offered, not assumed",
            session: family(
                [patient("CL-1", coverage: dependent(subscriber: nil)), holder("CL-2", member: "FAM-77")], minutes: 50),
            claims: ["CL-1 90847 blocked"],
            reasons: [.subscriberAmbiguous: "attendees[CL-1].coverage.subscriber.clientId"]
        ),
        Case(
            name: "family: a sibling holding the same policy is never taken for the policyholder of a child's",
            session: family(
                [
                    patient("CL-1", coverage: dependent(subscriber: nil)),
                    holder("CL-2", member: "DEP001", relationship: "sister"),
                ], minutes: 50),
            claims: ["CL-1 90847 blocked"],
            reasons: [.subscriberAmbiguous: "attendees[CL-1].coverage.subscriber.clientId"]
        ),
        Case(
            name: "family: a holder younger than the child is never the parent whose policy it is",
            session: family(
                [
                    patient("CL-1", coverage: dependent(subscriber: nil)),
                    holder("CL-2", member: "DEP001", born: CalendarDate(year: 2001, month: 1, day: 1)),
                ], minutes: 50),
            claims: ["CL-1 90847 blocked"],
            reasons: [.subscriberAmbiguous: "attendees[CL-1].coverage.subscriber.clientId"]
        ),
        Case(
            name: "family: a mother is never taken for the spouse whose policy a coverage names",
            session: family(
                [
                    patient("CL-1", coverage: dependent(subscriber: nil, relationship: "spouse")),
                    holder("CL-2", member: "DEP001", relationship: "mother"),
                ], minutes: 50),
            claims: ["CL-1 90847 blocked"],
            reasons: [.subscriberAmbiguous: "attendees[CL-1].coverage.subscriber.clientId"]
        ),
        Case(
            name: "family: a child with their own member id on the policyholder's payer is sent as the subscriber",
            session: family(
                [patient("CL-1", coverage: dependent(subscriber: "CL-2")), holder("CL-2", member: "FAM-01")],
                minutes: 50),
            claims: ["CL-1 90847 pendingSignature"], reasons: [.patientHasOwnMemberId: ""]
        ),
        Case(
            name: "family: a short session the patient attended 10 minutes of offers nothing instead",
            session: family([patient("CL-1", minutesAttended: 10), relative("CL-2")], minutes: 22),
            claims: ["CL-1 90847 notBillable"], reasons: [.belowFamilyMinimum: ""]
        ),
        Case(
            name: "family: a named policyholder wins over the roster",
            session: family(
                [
                    patient("CL-1", coverage: dependent(subscriber: "CL-3")), holder("CL-2", member: "DEP001"),
                    relative("CL-3"),
                ],
                minutes: 50),
            claims: ["CL-1 90847 pendingSignature"]
        ),
        Case(
            name: "couples: one claim under the identified partner; you cannot bill both",
            session: couples([
                patient("CL-1", coverage: dependent(subscriber: "CL-2", relationship: "spouse")), partner("CL-2"),
            ]),
            claims: ["CL-1 90847 pendingSignature"], notBilled: ["CL-2": .participant]
        ),
        Case(
            name: "couples: no identified patient bills nobody",
            session: couples([partner("CL-1"), partner("CL-2")]),
            claims: [], findings: [.noIdentifiedPatient]
        ),

        // Multiple-family groups: per family (default) or per patient, as the payer says.
        Case(
            name: "multiple-family group: one claim per family's identified patient",
            session: multiFamily([
                patient("CL-1"), relative("CL-2", of: "CL-1"), patient("CL-3"), relative("CL-4", of: "CL-3"),
            ]),
            claims: ["CL-1 90849 pendingSignature", "CL-3 90849 pendingSignature"],
            notBilled: ["CL-2": .participant, "CL-4": .participant]
        ),
        Case(
            name: "multiple-family group: siblings who are both patients bill once per family by default",
            session: multiFamily([patient("CL-1"), patient("CL-2", of: "CL-1"), relative("CL-3", of: "CL-1")]),
            claims: ["CL-1 90849 pendingSignature"], notBilled: ["CL-2": .familyBilledOnce]
        ),
        Case(
            name: "multiple-family group: a payer that bills per patient gets both siblings",
            session: multiFamily([patient("CL-1"), patient("CL-2", of: "CL-1"), relative("CL-3", of: "CL-1")]),
            adjust: { rules in rules.payers.fallback.multipleFamilyUnit = .patient },
            claims: ["CL-1 90849 pendingSignature", "CL-2 90849 pendingSignature"]
        ),
        Case(
            name: "multiple-family group: Medicare does not cover 90849",
            session: multiFamily([patient("CL-1", coverage: medicare("MBI0004")), relative("CL-2", of: "CL-1")]),
            claims: ["CL-1 90849 notBillable"], findings: [.codeNotCovered], reasons: [.codeNotCovered: ""]
        ),
        Case(
            name: "multiple-family group: an absent patient's family attending bills nothing for them",
            session: multiFamily([
                patient("CL-1"), patient("CL-2", present: false), relative("CL-3", of: "CL-2"),
            ]),
            claims: ["CL-1 90849 pendingSignature"], findings: [.patientAbsent],
            notBilled: ["CL-2": .patientAbsent, "CL-3": .participant]
        ),

        // Individual psychotherapy by minutes (DOMAIN.md 1.2), crisis codes, collateral.
        Case(
            name: "individual: 15 minutes is not reportable",
            session: individual([patient("CL-1")], minutes: 15), claims: ["CL-1 90832 notBillable"],
            findings: [.belowTimeThreshold], reasons: [.belowPsychotherapyMinimum: ""]
        ),
        Case(
            name: "individual: 16 minutes is 90832", session: individual([patient("CL-1")], minutes: 16),
            claims: ["CL-1 90832 pendingSignature"]),
        Case(
            name: "individual: 37 minutes is 90832", session: individual([patient("CL-1")], minutes: 37),
            claims: ["CL-1 90832 pendingSignature"]),
        Case(
            name: "individual: 38 minutes is 90834", session: individual([patient("CL-1")], minutes: 38),
            claims: ["CL-1 90834 pendingSignature"]),
        Case(
            name: "individual: 52 minutes is 90834", session: individual([patient("CL-1")], minutes: 52),
            claims: ["CL-1 90834 pendingSignature"]),
        Case(
            name: "individual: 53 minutes is 90837", session: individual([patient("CL-1")], minutes: 53),
            claims: ["CL-1 90837 pendingSignature"]),
        Case(
            name: "individual: 75 minutes is one 90837, codes are not stacked",
            session: individual([patient("CL-1")], minutes: 75), claims: ["CL-1 90837 pendingSignature"]
        ),
        Case(
            name: "individual: the patient's own minutes count when they left early",
            session: individual([patient("CL-1", minutesAttended: 40)], minutes: 60),
            claims: ["CL-1 90834 pendingSignature"]
        ),
        Case(
            name: "individual: a family member present is collateral, not billed",
            session: individual([patient("CL-1"), relative("CL-2")], minutes: 50),
            claims: ["CL-1 90834 pendingSignature"], notBilled: ["CL-2": .collateral]
        ),
        Case(
            name: "individual: 90785 is allowed with individual psychotherapy",
            session: individual([patient("CL-1", complexity: .languageBarrier)], minutes: 45),
            claims: ["CL-1 90834 + 90785 pendingSignature"]
        ),
        Case(
            name: "individual: the patient absent bills nothing",
            session: individual([patient("CL-1", present: false), relative("CL-2")], minutes: 50),
            claims: [], findings: [.patientAbsent], notBilled: ["CL-1": .patientAbsent, "CL-2": .collateral]
        ),
        Case(
            name: "crisis: under 30 minutes is reported as individual psychotherapy",
            session: individual([patient("CL-1")], minutes: 29, crisis: true), claims: ["CL-1 90832 pendingSignature"],
            findings: [.belowTimeThreshold]
        ),
        Case(
            name: "crisis: 30 minutes is 90839", session: individual([patient("CL-1")], minutes: 30, crisis: true),
            claims: ["CL-1 90839 pendingSignature"]),
        Case(
            name: "crisis: 74 minutes is 90839 alone",
            session: individual([patient("CL-1")], minutes: 74, crisis: true), claims: ["CL-1 90839 pendingSignature"]),
        Case(
            name: "crisis: 75 minutes adds one 90840",
            session: individual([patient("CL-1")], minutes: 75, crisis: true),
            claims: ["CL-1 90839 + 90840 pendingSignature"]
        ),
        Case(
            name: "crisis: 105 minutes adds two 90840 units",
            session: individual([patient("CL-1")], minutes: 105, crisis: true),
            claims: ["CL-1 90839 + 90840×2 pendingSignature"]
        ),
        Case(
            name: "crisis: 90785 is never billed with crisis codes",
            session: individual([patient("CL-1", complexity: .sentinelEvent)], minutes: 60, crisis: true),
            claims: ["CL-1 90839 pendingSignature"], findings: [.addOnNotAllowed]
        ),
    ]

    @Test(arguments: Self.cases)
    func reconciles(_ row: Case) throws {
        var rules = try Fixtures.agents().drafting.billing
        row.adjust?(&rules)
        let readiness = Dictionary(
            uniqueKeysWithValues: row.session.attendees.map {
                ($0.id, row.signed.contains($0.id.rawValue) ? NoteReadiness.signed : .draft)
            })
        let result = BillingReconciliation(rules: rules).reconcile(row.session, notes: readiness)

        #expect(Set(result.claims.map(Self.summary)) == row.claims)
        let codes = Set(result.findings.map(\.code))
        #expect(row.findings.isSubset(of: codes), "findings: \(codes.map(\.rawValue).sorted())")
        for (id, reason) in row.notBilled {
            let disposition = result.dispositions.first { $0.attendee.rawValue == id }
            #expect(disposition?.notBilled == reason && disposition?.claimID == nil, "\(id)")
        }
        // Every attendee has exactly one disposition, in roster order, billed ones naming their claim.
        #expect(result.dispositions.map(\.attendee) == row.session.attendees.map(\.id))
        for claim in result.claims {
            #expect(result.dispositions.first { $0.attendee == claim.attendee }?.claimID == claim.id)
            // A stopped claim says why; a claim that is not stopped has no error among its reasons.
            #expect(claim.status.isSubmittable == !claim.reasons.contains { $0.severity == .error })
            // Every reason that blocks names the field to fix.
            for reason in claim.reasons where reason.stops == .blocked { #expect(reason.fix != nil, "\(reason.code)") }
        }
        let reasons = result.claims.flatMap(\.reasons)
        for (code, path) in row.reasons {
            let found = reasons.first { $0.code == code }
            #expect(found != nil, "\(code) in \(reasons.map(\.code.rawValue))")
            #expect((found?.fix?.path ?? "") == path, "\(code) names \(found?.fix?.path ?? "no field")")
        }
    }

    @Test func part2Record_withoutARecordedPaymentConsent_isBlockedUntilOneIs() throws {
        let rules = try Fixtures.agents().drafting.billing
        let result = BillingReconciliation(rules: rules).reconcile(
            Self.group([Self.member("CL-1", part2: .some(nil)), Self.member("CL-2", part2: true)]), notes: [:])
        let found = result.findings.filter { $0.code == .part2PaymentConsent }
        #expect(found.map(\.person) == [PersonID("CL-1")] && found.allSatisfy { $0.severity == .error })
        #expect(result.claims.map(\.status) == [.blocked, .pendingSignature])
    }

    @Test func shortFamilySession_offersTheIndividualCodeItsMinutesReach_onlyWhenConfigured() throws {
        var rules = try Fixtures.agents().drafting.billing
        let session = Self.family([Self.patient("CL-1"), Self.relative("CL-2")], minutes: 22)
        let offered = BillingReconciliation(rules: rules).reconcile(session, notes: [:]).claims.first?.reasons
        #expect(offered?.first { $0.code == .belowFamilyMinimum }?.alternative == "90832")
        rules.familyShortSessionSuggestsIndividual = false
        let plain = BillingReconciliation(rules: rules).reconcile(session, notes: [:]).claims.first?.reasons
        #expect(plain?.first { $0.code == .belowFamilyMinimum }?.alternative == nil)
        // Under the shortest individual code's minimum, nothing applies instead.
        rules.familyShortSessionSuggestsIndividual = true
        let tooShort = BillingReconciliation(rules: rules).reconcile(
            Self.family([Self.patient("CL-1"), Self.relative("CL-2")], minutes: 12), notes: [:])
        #expect(tooShort.claims.first?.reasons.first { $0.code == .belowFamilyMinimum }?.alternative == nil)
    }

    @Test func rosterPolicyholder_fillsTheSubscriberLoopFromTheirChart() throws {
        let rules = try Fixtures.agents().drafting.billing
        var mother = Self.holder("CL-2", member: "DEP001")
        mother.dateOfBirth = CalendarDate(year: 1979, month: 6, day: 30)
        let result = BillingReconciliation(rules: rules).reconcile(
            Self.family([Self.patient("CL-1", coverage: Self.dependent(subscriber: nil)), mother], minutes: 50),
            notes: [:])
        let claim = try #require(result.claims.first)
        #expect(claim.subscriber?.id == PersonID("CL-2") && claim.subscriber?.name == "Person CL-2")
        #expect(claim.subscriber?.dateOfBirth == CalendarDate(year: 1979, month: 6, day: 30))
        #expect(claim.patientRelationshipCode == "19")
        let note = try #require(result.findings.first { $0.code == .subscriberResolved })
        #expect(note.severity == .info && note.person == PersonID("CL-1") && note.message.contains("CL-2"))
    }

    @Test func workQueue_groupsByFix_countsAClaimOncePerFix_andWhatItClearsAlone() throws {
        let rules = try Fixtures.agents().drafting.billing
        var noMember = Self.commercial("M-CL-3")
        noMember.memberId = nil
        let result = BillingReconciliation(rules: rules).reconcile(
            Self.group(
                [
                    Self.member("CL-1", diagnoses: ["F4", "41.1"]), Self.member("CL-2"),
                    Self.member("CL-3", coverage: .some(noMember)), Self.member("CL-4", diagnoses: ["Z63.0"]),
                ], practiceZIP: "60614"), notes: [:])
        let queue = ClaimWorkQueue(claims: result.claims, status: .blocked)
        #expect(queue.claims == 4)
        #expect(queue.groups.first?.code == "practiceZipPlus4Missing" && queue.groups.first?.items.count == 4)
        #expect(queue.groups.first?.clearedAlone == 1, "only CL-2 has nothing else")
        // Two malformed diagnoses are one fix for CL-1.
        let malformed = try #require(queue.groups.first { $0.code == "diagnosisMalformed" })
        #expect(malformed.items.map(\.entry.attendee) == [PersonID("CL-1")])
        #expect(malformed.pattern == "attendees[*].diagnoses[*]")
        #expect(ClaimWorkQueue(claims: result.claims, status: .notBillable).groups.isEmpty)
    }

    @Test func everyReasonCode_hasATitleAndAFinding_andServiceReasonsAreTheNotBillableOnes() {
        for code in ClaimReason.Code.allCases {
            #expect(!code.title.isEmpty)
            let reason = ClaimReason(code, .error, "m")
            #expect(reason.stops == (code.isService ? .notBillable : .blocked))
            #expect(ClaimReason(code, .warning, "m").stops == nil)
        }
        #expect(ClaimFix.attendee(PersonID("CL-7"), "coverage.memberId").pattern == "attendees[*].coverage.memberId")
        #expect(BillingReconciliation.status([]) == nil)
        #expect(
            BillingReconciliation.status([
                ClaimReason(.memberIdMissing, .error, "m"), ClaimReason(.belowFamilyMinimum, .error, "m"),
            ]) == .notBillable)
    }

    @Test func sameSessionTwice_isADuplicate_aDistinctSecondSessionCarries59() throws {
        let rules = try Fixtures.agents().drafting.billing
        let engine = BillingReconciliation(rules: rules)
        let morning = Self.group([Self.member("CL-1")], id: "S-AM")
        var evening = Self.group([Self.member("CL-1")], id: "S-PM")
        evening.distinctService = true
        let results = BillingReconciliation.flagDuplicates(
            [morning, morning, evening].map { engine.reconcile($0, notes: [:]) })
        #expect(results.map { $0.claims.map(\.status) } == [[.pendingSignature], [.notBillable], [.pendingSignature]])
        #expect(results[1].claims[0].reasons.last?.code == .duplicateClaim)
        #expect(results[1].claims[0].reasons.last?.message.contains("given twice") == true)
        #expect(results[2].claims[0].lines[0].modifiers == ["59"])
        #expect(results[0].claims[0].lines[0].modifiers.isEmpty)
    }

    @Test func duplicateClaims_acrossSessions_blockTheSecondUntilMarkedDistinct() throws {
        let rules = try Fixtures.agents().drafting.billing
        let engine = BillingReconciliation(rules: rules)
        let morning = Self.group([Self.member("CL-1"), Self.member("CL-2")], id: "S-AM")
        let evening = Self.group([Self.member("CL-1")], id: "S-PM")
        var nextDay = Self.group([Self.member("CL-1")], id: "S-NEXT")
        nextDay.start = Timestamp(
            secondsSinceEpoch: morning.start.secondsSinceEpoch + 86_400, utcOffsetSeconds: -18_000)
        nextDay.end = Timestamp(secondsSinceEpoch: nextDay.start.secondsSinceEpoch + 5400, utcOffsetSeconds: -18_000)
        let results = BillingReconciliation.flagDuplicates(
            [morning, evening, nextDay].map { engine.reconcile($0, notes: [:]) })
        #expect(results[0].claims.allSatisfy { $0.status == .pendingSignature })
        #expect(results[1].claims.map(\.status) == [.blocked])
        #expect(results[1].claims[0].reasons.last?.code == .sameDayService)
        #expect(results[1].claims[0].reasons.last?.fix == ClaimFix("distinctService"))
        #expect(results[1].findings.contains { $0.code == .duplicateClaim && $0.person == PersonID("CL-1") })
        #expect(results[2].claims.map(\.status) == [.pendingSignature])
    }

    @Test func diagnoses_atMostTwelvePerClaim_fourPointersPerLine_principalFirst_noRepeats() throws {
        let rules = try Fixtures.agents().drafting.billing
        let codes =
            ["F33.1", "F41.1", "F33.1"]
            + ["F43.10", "F43.11", "F43.12", "F43.20", "F43.21", "F43.22", "F43.23", "F43.24", "F43.25", "F43.8"]
            + ["F43.9", "F41.0"]
        let result = BillingReconciliation(rules: rules).reconcile(
            Self.group([Self.member("CL-1", diagnoses: codes)]), notes: [:])
        let claim = try #require(result.claims.first)
        #expect(claim.diagnoses.count == 12)
        #expect(claim.diagnoses.prefix(2) == ["F33.1", "F41.1"])
        #expect(Set(claim.diagnoses).count == 12)
        #expect(claim.lines.first?.diagnosisPointers == [1, 2, 3, 4])
        #expect(result.findings.contains { $0.code == .diagnosesTrimmed })
        #expect(result.findings.contains { $0.code == .diagnosisInvalid && $0.severity == .warning })  // the repeat
        #expect(claim.status == .pendingSignature)
    }

    @Test func npiCheckDigit_followsTheLuhnRuleWithThe80840Prefix() {
        // DOMAIN.md 2.7: 123456789 → check digit 3.
        #expect(ClaimChecks.isValidNPI("1234567893"))
        #expect(ClaimChecks.isValidNPI("1993999998"))
        for digit in 0...9 where digit != 3 { #expect(!ClaimChecks.isValidNPI("123456789\(digit)")) }
        #expect(!ClaimChecks.isValidNPI("3234567893"))  // must start with 1 or 2
        #expect(!ClaimChecks.isValidNPI("123456789"))
        #expect(!ClaimChecks.isValidNPI("12345678a3"))
    }

    @Test func findings_nameIdsNeverNames() throws {
        let rules = try Fixtures.agents().drafting.billing
        var session = Self.family([Self.patient("CL-1", diagnoses: ["Z63.0"]), Self.relative("CL-2")], minutes: 20)
        session.practice?.npi = "1111111111"
        let result = BillingReconciliation(rules: rules).reconcile(session, notes: [:])
        #expect(!result.findings.isEmpty)
        for finding in result.findings {
            for attendee in session.attendees { #expect(!finding.message.contains(attendee.name)) }
        }
    }

    // MARK: - Building sessions

    static func summary(_ claim: Claim) -> String {
        let codes = claim.lines.map { line in
            ([line.cpt] + line.modifiers).joined(separator: ":") + (line.units > 1 ? "×\(line.units)" : "")
        }
        return "\(claim.attendee) \(codes.joined(separator: " + ")) \(claim.status.rawValue)"
    }

    static let address = Address(line1: "1 Main Street", city: "Chicago", state: "IL", postalCode: "60614")

    static func commercial(_ member: String) -> Coverage {
        Coverage(
            payerName: "Example Health", payerId: "EX001", memberId: member, subscriberRelationship: "self")
    }

    static func medicare(_ member: String) -> Coverage {
        Coverage(
            payerName: "Medicare Part B", payerId: "00952", memberId: member, subscriberRelationship: "self",
            claimFilingIndicator: "MB")
    }

    static func dependent(subscriber: String?, relationship: String = "child") -> Coverage {
        Coverage(
            payerName: "Example Health", payerId: "EX001", memberId: "DEP001", subscriberRelationship: relationship,
            subscriber: subscriber.map { Subscriber(clientId: PersonID($0)) })
    }

    static func person(
        _ id: String, role: AttendeeRole, present: Bool = true, minutesAttended: Int? = nil,
        diagnoses: [String] = ["F41.1"], coverage: Coverage?? = nil, relatedTo: String? = nil,
        complexity: InteractiveComplexityFactor? = nil
    ) -> Attendee {
        Attendee(
            id: PersonID(id), name: "Person \(id)", role: role, relatedTo: relatedTo.map(PersonID.init),
            present: present, minutesAttended: minutesAttended, dateOfBirth: CalendarDate(year: 1990, month: 1, day: 2),
            diagnoses: diagnoses, consent: Consent(aiDrafting: true, part2: false),
            coverage: coverage ?? Self.commercial("M-\(id)"), sex: .unknown, address: Self.address,
            interactiveComplexity: complexity
        )
    }

    /// - Parameter part2: for a Part 2 record, whether the consent covers payment disclosure (nil: not
    ///   recorded); `.none` leaves the record outside Part 2.
    static func member(
        _ id: String, present: Bool = true, minutesAttended: Int? = nil, diagnoses: [String] = ["F41.1"],
        coverage: Coverage?? = nil, complexity: InteractiveComplexityFactor? = nil, part2: Bool?? = .none
    ) -> Attendee {
        var attendee = Self.person(
            id, role: .member, present: present, minutesAttended: minutesAttended, diagnoses: diagnoses,
            coverage: coverage, complexity: complexity)
        if case .some(let payment) = part2 {
            attendee.consent = Consent(aiDrafting: true, part2: true, paymentDisclosure: payment)
            attendee.diagnoses = ["F10.20"]
        }
        return attendee
    }

    static func patient(
        _ id: String, present: Bool = true, minutesAttended: Int? = nil, diagnoses: [String] = ["F43.23"],
        coverage: Coverage?? = nil, of family: String? = nil, complexity: InteractiveComplexityFactor? = nil
    ) -> Attendee {
        Self.person(
            id, role: .identifiedPatient, present: present, minutesAttended: minutesAttended, diagnoses: diagnoses,
            coverage: coverage, relatedTo: family, complexity: complexity)
    }

    static func relative(_ id: String, of family: String? = nil) -> Attendee {
        Self.person(id, role: .familyMember, diagnoses: [], coverage: .some(nil), relatedTo: family)
    }

    /// A family member holding their own policy (as self) with the patient's payer, `EX001`, by default.
    static func holder(
        _ id: String, member: String, payer: String = "EX001", relationship: String? = nil,
        born: CalendarDate? = CalendarDate(year: 1975, month: 3, day: 4)
    ) -> Attendee {
        var attendee = Self.person(
            id, role: .familyMember, diagnoses: [],
            coverage: .some(
                Coverage(
                    payerName: "Example Health", payerId: payer, memberId: member, subscriberRelationship: "self")))
        attendee.relationship = relationship
        attendee.dateOfBirth = born
        return attendee
    }

    static func partner(_ id: String) -> Attendee {
        Self.person(id, role: .partner, diagnoses: [], coverage: .some(Self.commercial("M-\(id)")))
    }

    static func session(
        _ kind: SessionKind, _ attendees: [Attendee], minutes: Int, id: String = "S-TEST",
        modality: Modality? = .inPerson, pos: String = "11", crisis: Bool = false, practiceNPI: String = "1234567893",
        practiceZIP: String = "60614-3821", clinicianNPI: String = "1993999998"
    ) -> Session {
        let start = Timestamp(secondsSinceEpoch: 1_778_600_000, utcOffsetSeconds: -18_000)
        return Session(
            id: SessionID(id), kind: kind, start: start,
            end: Timestamp(
                secondsSinceEpoch: start.secondsSinceEpoch + Double(minutes * 60), utcOffsetSeconds: -18_000),
            modality: modality, placeOfService: pos,
            practice: Practice(
                name: "Example Practice", npi: practiceNPI, taxId: "36-1234567",
                address: Address(line1: "400 Lakeview Avenue", city: "Chicago", state: "IL", postalCode: practiceZIP)),
            clinicians: [Clinician(id: PersonID("PROV-1"), name: "Dana Whitfield", npi: clinicianNPI, role: .primary)],
            attendees: attendees, crisis: crisis
        )
    }

    static func group(
        _ attendees: [Attendee], id: String = "S-TEST", modality: Modality? = .inPerson, pos: String = "11",
        practiceNPI: String = "1234567893", practiceZIP: String = "60614-3821", clinicianNPI: String = "1993999998"
    ) -> Session {
        Self.session(
            .group, attendees, minutes: 90, id: id, modality: modality, pos: pos, practiceNPI: practiceNPI,
            practiceZIP: practiceZIP, clinicianNPI: clinicianNPI)
    }

    static func family(_ attendees: [Attendee], minutes: Int) -> Session {
        Self.session(.family, attendees, minutes: minutes)
    }

    static func couples(_ attendees: [Attendee]) -> Session { Self.session(.couples, attendees, minutes: 50) }

    static func multiFamily(_ attendees: [Attendee]) -> Session {
        Self.session(.multiFamilyGroup, attendees, minutes: 90)
    }

    static func individual(_ attendees: [Attendee], minutes: Int, crisis: Bool = false) -> Session {
        Self.session(.individual, attendees, minutes: minutes, crisis: crisis)
    }
}
