public import EnsembleCore
import EnsembleSystem

/// A user of the store: who acts, in which role, and (for clinicians) which clinician id of the
/// sessions' rosters they are.
public struct User: Sendable, Hashable {
    public var id: String
    public var name: String
    public var role: UserRole
    /// The id sessions use for this clinician (`clinicians[].id` in session.json).
    public var clinicianID: String?

    public init(id: String, name: String, role: UserRole, clinicianID: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.clinicianID = clinicianID
    }
}

/// What a drafting run is made from, as the store keeps it: enough to draft the session again.
public struct DraftInputs: Sendable {
    /// session.json exactly as given.
    public var sessionJSON: String
    public var transcript: Transcript
    /// SHA-256 over session.json and the transcript's utterances.
    public var digest: String
    public var agents: [AgentVersion]
    /// `deterministic`, or `llm:BACKEND:MODEL`.
    public var engine: String
    /// What the language model did per attendee (calls, requests, tokens, latency, outcome), for the
    /// audit trail; empty for the deterministic engine.
    public var modelRecords: [ModelDraftRecord]
    /// The run's model cost in US dollars, when prices are configured.
    public var modelCostUSD: Double?

    public init(
        sessionJSON: String, transcript: Transcript, digest: String, agents: [AgentVersion], engine: String,
        modelRecords: [ModelDraftRecord] = [], modelCostUSD: Double? = nil
    ) {
        self.sessionJSON = sessionJSON
        self.transcript = transcript
        self.digest = digest
        self.agents = agents
        self.engine = engine
        self.modelRecords = modelRecords
        self.modelCostUSD = modelCostUSD
    }
}

/// What recording a run did to each attendee's note.
public enum NoteChange: String, Sendable, Hashable {
    /// The first draft: version 1.
    case created
    /// The output changed: a new draft version, now the current one.
    case redrafted
    /// The output changed but the clinician has edited the note: the new draft sits beside their
    /// version, which stays current.
    case besideEdit
    /// The output is the same as the last draft: nothing added.
    case unchanged
    /// The note is signed: it never changes (corrections are addenda).
    case locked
}

public struct RecordedRun: Sendable {
    public var runID: Int
    public var notes: [PersonID: (change: NoteChange, version: Int)]
    public var newFlags: Int
}

/// One version of a note, as the history lists it.
public struct NoteVersionSummary: Sendable, Hashable {
    public var version: Int
    /// `draft`, `redraft` or `edit`.
    public var origin: String
    /// The user who wrote an edit; nil for the agents' drafts.
    public var author: String?
    public var aiGenerated: Bool
    public var created: String
}

/// A signature on a note.
public struct NoteSignature: Sendable, Hashable {
    /// `author` or `cosignature`.
    public var kind: String
    public var user: String
    public var version: Int
    public var at: String
}

/// One attendee's note in review.
public struct NoteReview: Sendable {
    public var attendee: PersonID
    public var format: String
    public var state: NoteState
    public var currentVersion: Int
    public var sections: [NoteSection]
    /// True until the note is signed: the current version came from the agents, or was edited from
    /// their draft.
    public var aiGenerated: Bool
    public var decisions: [String: SectionDecision]
    public var history: [NoteVersionSummary]
    /// A newer draft kept beside the clinician's edited version, when there is one.
    public var draftBesideEdit: Int?
    public var signatures: [NoteSignature]
    public var addenda: [(user: String, at: String, text: String)]
}

/// A risk flag as the store keeps it, with its acknowledgement.
public struct StoredFlag: Sendable, Hashable {
    public var id: Int
    public var session: String
    public var attendee: PersonID?
    public var category: String
    public var level: String
    public var route: String
    public var evidence: [Int]
    public var created: String
    public var acknowledgedBy: String?
    public var acknowledgedComment: String?
    public var acknowledgedAt: String?

    /// Elevated and urgent flags wait for a supervisor before the note can be signed.
    public var needsSupervisor: Bool { self.level == "elevated" || self.level == "urgent" }
}

/// A claim as billing staff see it: its status follows the attendee's note.
public struct StoredClaim: Sendable, Hashable {
    public var session: String
    public var claimID: String
    public var attendee: PersonID
    public var codes: [String]
    public var chargeCents: Int
    /// `ready`, `pendingSignature`, `blocked` or `notBillable`.
    public var status: String
    public var reasons: [StoredClaimReason]
}

/// One reason on a stored claim, as billing reconciled it.
public struct StoredClaimReason: Sendable, Hashable {
    /// A `ClaimReason.Code` (claims stored before reasons had their own codes carry the finding code).
    public var code: String
    /// Nil for claims stored before severities were kept.
    public var severity: Finding.Severity?
    public var message: String
    public var fix: ClaimFix?

    public init(code: String, severity: Finding.Severity?, message: String, fix: ClaimFix?) {
        self.code = code
        self.severity = severity
        self.message = message
        self.fix = fix
    }

    /// What the reason does to the claim: blocks it, makes it not billable, or nothing.
    public var stops: ClaimStatus? {
        guard let code = ClaimReason.Code(rawValue: self.code), let severity = self.severity else {
            return self.severity == .error ? .blocked : nil
        }
        return ClaimReason(code, severity, self.message).stops
    }

    /// The stored line: `code<TAB>severity<TAB>fix file<TAB>fix path<TAB>message`.
    static func line(_ reason: ClaimReason) -> String {
        [
            reason.code.rawValue, reason.severity.rawValue, reason.fix?.file.rawValue ?? "", reason.fix?.path ?? "",
            reason.message,
        ].joined(separator: "\t")
    }

    /// Reads a stored line, in this form or the earlier `code<TAB>message`.
    init(line: Substring) {
        let parts = line.split(separator: "\t", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 5:
            let fix = ClaimFix.File(rawValue: parts[2]).map { ClaimFix($0, parts[3]) }
            self.init(
                code: parts[0], severity: Finding.Severity(rawValue: parts[1]), message: parts[4], fix: fix)
        case 2: self.init(code: parts[0], severity: nil, message: parts[1], fix: nil)
        default: self.init(code: "", severity: nil, message: String(line), fix: nil)
        }
    }
}

/// A session in review: every attendee's note, the group note, risk, findings and the transcript's
/// utterances the evidence points at.
public struct SessionReview: Sendable {
    public var session: Session
    public var notes: [NoteReview]
    public var groupNote: [NoteSection]
    public var flags: [StoredFlag]
    public var findings: [Finding]
    public var utterances: [(index: Int, label: String?, person: PersonID?, text: String)]
    /// One entry per label, or per span of a label bound in spans (`fromUtterance` on).
    public var speakers: [(label: String, person: PersonID?, confidence: Double, fromUtterance: Int?)]
}

/// Governance figures over signed notes and section reviews.
public struct GovernanceMetrics: Sendable {
    public struct Figures: Sendable, Hashable {
        public var signedNotes = 0
        /// Signed notes whose signed version is a draft the agents wrote, unedited.
        public var signedWithoutEdits = 0
        /// Mean word-level edit distance between the first draft and the signed version, per note.
        public var meanEditDistance = 0.0
        /// Mean seconds from the first draft to the signature.
        public var meanSecondsToSignature = 0.0
    }

    /// Accepted / (accepted + rejected), per section title.
    public var acceptance: [String: (accepted: Int, rejected: Int)]
    public var overall: Figures
    public var byClinician: [String: Figures]
}

extension DraftInputs {
    /// SHA-256 over session.json and every utterance (label, times, text), so a changed input is a new digest.
    public static func digest(sessionJSON: String, transcript: Transcript) -> String {
        var text = sessionJSON + "\n" + transcript.format + "\n"
        for utterance in transcript.utterances {
            text += "\(utterance.index)\u{1F}\(utterance.label ?? "")\u{1F}\(utterance.start.map { "\($0)" } ?? "")"
            text += "\u{1F}\(utterance.end.map { "\($0)" } ?? "")\u{1F}\(utterance.text)\n"
        }
        return Hashing.sha256Hex(Array(text.utf8))
    }
}

/// A speaker correction checked against the session, ready to be drafted with and recorded
/// (`Store.planRelabel`, then `Store.relabel(_:run:inputs:as:)`).
public struct RelabelPlan: Sendable {
    public var session: String
    public var label: String
    /// The label's position among the session's labels (the audit trail names labels by position).
    public var labelPosition: Int
    public var person: PersonID?
    /// The people the label's utterances went to in the latest run.
    public var previously: [PersonID]
    /// The session's corrections when the plan was made.
    public var existing: [SpeakerCorrection]
    /// Every correction the session has once this one is recorded: what drafting applies.
    public var corrections: [SpeakerCorrection]
    /// The attendees whose notes the correction touches: only theirs are drafted again.
    public var affected: Set<PersonID>
    public var sessionJSON: String
    public var transcript: Transcript
    public var inputsDigest: String
}

extension ClaimWorkQueue {
    /// The queue of stored claims in `status` (`blocked` or `notBillable`), each with the reasons that put
    /// it there (for claims stored before reasons said what they stop: every error).
    public init(stored claims: [StoredClaim], status: ClaimStatus) {
        self.init(
            claims.filter { $0.status == status.rawValue }.map { claim in
                Entry(
                    claimID: claim.claimID, sessionID: claim.session, attendee: claim.attendee,
                    reasons: claim.reasons.filter { $0.stops == status || ($0.severity == nil && status == .blocked) }
                        .map { Reason(code: $0.code, message: $0.message, fix: $0.fix) })
            })
    }
}
