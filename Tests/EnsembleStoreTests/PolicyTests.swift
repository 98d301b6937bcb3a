import EnsembleCore
import Testing

/// Every role × action, against a table written here by hand from the roles (not read from
/// `Policy.table`), and the session-bound rule.
@Suite("Access policy")
struct PolicyTests {
    /// One row per action; columns: clinician, trainee, supervisor, assistant, biller, admin.
    static let expected: [(ReviewAction, String)] = [
        (.draftSession, "YYYYNN"),
        (.viewNote, "YYYYNN"),
        (.editNote, "YYYNNN"),
        (.reviewSection, "YYYNNN"),
        (.relabelSpeaker, "YYYYNN"),
        (.signNote, "YYYNNN"),
        (.cosignNote, "NNYNNN"),
        (.addAddendum, "YYYNNN"),
        (.viewRiskQueue, "NNYNNN"),
        (.acknowledgeRisk, "NNYNNN"),
        (.viewClaims, "YNYNYN"),
        (.exportClaims, "NNNNYN"),
        (.exportRecord, "YNYNNN"),
        (.manageUsers, "NNNNNY"),
        (.verifyAudit, "NNYNNY"),
        (.exportAudit, "NNYNNY"),
        (.viewMetrics, "NNYNNY"),
        (.purgeJobs, "NNNNNY"),
    ]
    static let columns: [UserRole] = [.clinician, .trainee, .supervisor, .assistant, .biller, .admin]

    @Test func everyRoleAndAction_matchesTheTable() {
        #expect(Set(Self.expected.map(\.0)) == Set(ReviewAction.allCases), "every action has a row")
        #expect(Set(Self.columns) == Set(UserRole.allCases), "every role has a column")
        for (action, row) in Self.expected {
            for (role, mark) in zip(Self.columns, row) {
                #expect(Policy.permits(role, action) == (mark == "Y"), "\(role) \(action)")
                let refusal = Policy.refusal(
                    role: role, clinician: "PROV-1", action: action, sessionClinicians: ["PROV-1"])
                #expect((refusal == nil) == (mark == "Y"), "\(role) \(action)")
            }
        }
    }

    @Test func billers_neverSeeNoteBodies_andAdminsNoClinicalContent() {
        for action in [ReviewAction.viewNote, .editNote, .signNote, .relabelSpeaker] {
            #expect(!Policy.permits(.biller, action))
            #expect(!Policy.permits(.admin, action))
        }
        #expect(!Policy.permits(.assistant, .signNote), "assistants may draft but not sign")
    }

    @Test func clinicians_actOnlyOnTheirOwnSessions_supervisorsOnAny() {
        let other = Policy.refusal(
            role: .clinician, clinician: "PROV-2", action: .signNote, sessionClinicians: ["PROV-1"])
        #expect(other?.contains("only for sessions they are a clinician of") == true)
        #expect(Policy.refusal(role: .trainee, clinician: nil, action: .viewNote, sessionClinicians: ["PROV-1"]) != nil)
        #expect(
            Policy.refusal(role: .supervisor, clinician: nil, action: .signNote, sessionClinicians: ["PROV-1"]) == nil)
        #expect(
            Policy.refusal(role: .assistant, clinician: nil, action: .draftSession, sessionClinicians: ["PROV-1"])
                == nil)
        // Claims follow the roster rule as notes do; a list of them (no one session) is filtered instead.
        #expect(
            Policy.refusal(role: .clinician, clinician: "PROV-2", action: .viewClaims, sessionClinicians: ["PROV-1"])?
                .contains("only for sessions they are a clinician of") == true)
        #expect(
            Policy.refusal(role: .clinician, clinician: "PROV-2", action: .viewClaims, sessionClinicians: nil) == nil)
        #expect(
            Policy.refusal(role: .biller, clinician: nil, action: .viewClaims, sessionClinicians: ["PROV-1"]) == nil)
    }

    @Test func signing_decisions() {
        func facts(
            state: NoteState = .draft, current: Int = 2, version: Int = 2, role: UserRole = .clinician, flags: Int = 0,
            placeholders: [String] = [], rejected: [String] = []
        ) -> SigningFacts {
            SigningFacts(
                state: state, currentVersion: current, version: version, signerRole: role, unacknowledgedFlags: flags,
                placeholderSections: placeholders, rejectedSections: rejected)
        }
        #expect(ReviewRules.signing(facts()) == .success(.signed))
        #expect(ReviewRules.signing(facts(role: .trainee)) == .success(.awaitingCosignature))
        guard case .failure(.locked) = ReviewRules.signing(facts(state: .signed)) else { return #expect(Bool(false)) }
        guard case .failure(.locked) = ReviewRules.signing(facts(state: .awaitingCosignature)) else {
            return #expect(Bool(false))
        }
        guard case .failure(.stale) = ReviewRules.signing(facts(version: 1)) else { return #expect(Bool(false)) }
        guard case .failure(.blocked(let risk)) = ReviewRules.signing(facts(flags: 1)) else {
            return #expect(Bool(false))
        }
        #expect(risk.contains("supervisor"))
        guard case .failure(.blocked(let manual)) = ReviewRules.signing(facts(placeholders: ["Data"])) else {
            return #expect(Bool(false))
        }
        #expect(manual.contains("Data"))
        guard case .failure(.blocked) = ReviewRules.signing(facts(rejected: ["Plan"])) else {
            return #expect(Bool(false))
        }
        #expect(ReviewRules.editRefusal(state: .draft, currentVersion: 3, baseVersion: 3) == nil)
        #expect(ReviewRules.editRefusal(state: .draft, currentVersion: 3, baseVersion: 2) != nil)
        #expect(ReviewRules.editRefusal(state: .signed, currentVersion: 3, baseVersion: 3) != nil)
        #expect(ReviewRules.cosignRefusal(state: .awaitingCosignature) == nil)
        #expect(ReviewRules.cosignRefusal(state: .draft) != nil && ReviewRules.cosignRefusal(state: .signed) != nil)
    }
}
