/// Who a user is to Ensemble. Each role's permissions are one row of `Policy`'s table.
public enum UserRole: String, Sendable, Hashable, CaseIterable {
    /// A licensed clinician: drafts, reviews, edits and signs their sessions' notes.
    case clinician
    /// A clinician in training: as a clinician, but a signature needs a supervisor's co-signature.
    case trainee
    /// Clears the risk queue, co-signs trainees' notes, and may act on any session.
    case supervisor
    /// Runs drafting and reads drafts for the clinicians; never edits or signs.
    case assistant
    /// Claims and their billing fields only, never note bodies.
    case biller
    /// Users and roles, and the audit trail; no clinical content.
    case admin
}

extension UserRole {
    /// "a" or "an", as a refusal names the role.
    var article: String { self == .assistant || self == .admin ? "an" : "a" }
}

/// Everything a user can ask the store to do.
public enum ReviewAction: String, Sendable, Hashable, CaseIterable {
    case draftSession, viewNote, editNote, reviewSection, relabelSpeaker, signNote, cosignNote, addAddendum
    case viewRiskQueue, acknowledgeRisk
    case viewClaims, exportClaims
    /// A whole session's record (notes, risk, claims, the transcript) as one FHIR Bundle for the EHR.
    case exportRecord
    case manageUsers, verifyAudit, exportAudit, viewMetrics, purgeJobs

    /// Actions on one session's record (its notes, its drafting jobs, its claims), where a clinician or
    /// trainee must be one of the session's clinicians (supervisors, assistants and billers are not tied
    /// to sessions). Lists of such records show a clinician only their sessions' rows.
    public var isSessionBound: Bool {
        switch self {
        case .draftSession, .viewNote, .editNote, .reviewSection, .relabelSpeaker, .signNote, .addAddendum,
            .viewClaims, .exportRecord:
            true
        case .cosignNote, .viewRiskQueue, .acknowledgeRisk, .exportClaims, .manageUsers, .verifyAudit,
            .exportAudit, .viewMetrics, .purgeJobs:
            false
        }
    }

    /// How a refusal names the action.
    public var phrase: String {
        switch self {
        case .draftSession: "run drafting"
        case .viewNote: "view notes"
        case .editNote: "edit notes"
        case .reviewSection: "accept or reject note sections"
        case .relabelSpeaker: "relabel speakers"
        case .signNote: "sign notes"
        case .cosignNote: "co-sign notes"
        case .addAddendum: "add addenda"
        case .viewRiskQueue: "view the risk queue"
        case .acknowledgeRisk: "acknowledge risk flags"
        case .viewClaims: "view claims"
        case .exportClaims: "export claims"
        case .exportRecord: "export session records as FHIR"
        case .manageUsers: "manage users and roles"
        case .verifyAudit: "verify the audit trail"
        case .exportAudit: "export the audit trail"
        case .viewMetrics: "view governance metrics"
        case .purgeJobs: "purge finished drafting jobs"
        }
    }
}

/// The one place that decides whether a user may take an action. The store asks it before every
/// operation and the server will ask the same table.
public enum Policy {
    /// Each role's permitted actions.
    public static let table: [UserRole: Set<ReviewAction>] = [
        .clinician: [
            .draftSession, .viewNote, .editNote, .reviewSection, .relabelSpeaker, .signNote, .addAddendum, .viewClaims,
            .exportRecord,
        ],
        .trainee: [.draftSession, .viewNote, .editNote, .reviewSection, .relabelSpeaker, .signNote, .addAddendum],
        .supervisor: [
            .draftSession, .viewNote, .editNote, .reviewSection, .relabelSpeaker, .signNote, .cosignNote, .addAddendum,
            .viewRiskQueue, .acknowledgeRisk, .viewClaims, .verifyAudit, .exportAudit, .viewMetrics, .exportRecord,
        ],
        .assistant: [.draftSession, .viewNote, .relabelSpeaker],
        .biller: [.viewClaims, .exportClaims],
        .admin: [.manageUsers, .verifyAudit, .exportAudit, .viewMetrics, .purgeJobs],
    ]

    /// Clinicians and trainees act on a session only when its roster names them; the others are not tied
    /// to sessions.
    public static func isRosterBound(_ role: UserRole) -> Bool { role == .clinician || role == .trainee }

    public static func permits(_ role: UserRole, _ action: ReviewAction) -> Bool {
        self.table[role]?.contains(action) ?? false
    }

    /// Why `user` may not take `action` on a session whose clinicians are `sessionClinicians` (nil
    /// when the action is not about one session); nil when it may.
    public static func refusal(
        role: UserRole, clinician: String?, action: ReviewAction, sessionClinicians: [String]?
    ) -> String? {
        guard self.permits(role, action) else { return "\(role.article) \(role.rawValue) may not \(action.phrase)" }
        if action.isSessionBound, self.isRosterBound(role), let sessionClinicians,
            !sessionClinicians.contains(where: { $0 == clinician })
        {
            return "\(role.article) \(role.rawValue) may \(action.phrase) only for sessions they are a clinician of"
        }
        return nil
    }
}
