public import EnsembleCore

/// Everything a FHIR export says about one session, whether it comes from a fresh draft (a scenario
/// folder) or from the store (with its review state). The writer turns it into one R4 Bundle.
public struct FHIRSessionRecord: Sendable {
    public var session: Session
    public var notes: [FHIRNoteRecord]
    /// The group or family note's sections; nil when there is none to send.
    public var groupNote: [NoteSection]?
    public var groupNoteAIGenerated: Bool
    public var flags: [FHIRRiskRecord]
    public var claims: [FHIRClaimRecord]
    /// The agents' configuration versions and hashes the drafting run used.
    public var agents: [AgentVersion]
    /// The language model that drafted, when one did (`gpt-4o-mini`); nil for the deterministic engine.
    public var model: String?
    /// When the drafting run happened.
    public var drafted: Timestamp
    /// The transcript file(s) as the EHR sent them (one file, or channel files and an RTTM), for the
    /// round trip; empty to leave the transcript out.
    public var transcript: [FHIRTranscript]

    public init(
        session: Session, notes: [FHIRNoteRecord], groupNote: [NoteSection]?, groupNoteAIGenerated: Bool,
        flags: [FHIRRiskRecord], claims: [FHIRClaimRecord], agents: [AgentVersion], model: String?,
        drafted: Timestamp, transcript: [FHIRTranscript]
    ) {
        self.session = session
        self.notes = notes
        self.groupNote = groupNote
        self.groupNoteAIGenerated = groupNoteAIGenerated
        self.flags = flags
        self.claims = claims
        self.agents = agents
        self.model = model
        self.drafted = drafted
        self.transcript = transcript
    }
}

/// The transcript file: its name, its media type and its bytes.
public struct FHIRTranscript: Sendable {
    public var fileName: String
    public var contentType: String
    public var bytes: [UInt8]

    public init(fileName: String, contentType: String, bytes: [UInt8]) {
        self.fileName = fileName
        self.contentType = contentType
        self.bytes = bytes
    }

    /// The media type for a transcript file, from its extension.
    public static func contentType(forFile name: String) -> String {
        let lower = name.lowercased()
        if lower.hasSuffix(".vtt") { return "text/vtt" }
        if lower.hasSuffix(".srt") { return "application/x-subrip" }
        if lower.hasSuffix(".json") { return "application/json" }
        if lower.hasSuffix(".rttm") { return "text/x-rttm" }
        if lower.hasSuffix(".md") { return "text/markdown" }
        if lower.hasSuffix(".csv") { return "text/csv" }
        return "text/plain"
    }

    /// A file name for a transcript of this media type (import writes the scenario's transcript under it).
    public static func fileName(forContentType type: String) -> String {
        switch String(type.prefix { $0 != ";" }.filter { $0 != " " }).lowercased() {
        case "text/vtt": "transcript.vtt"
        case "application/x-subrip": "transcript.srt"
        case "application/json": "transcript.json"
        case "text/markdown": "summary.md"
        case "text/csv": "transcript.csv"
        default: "transcript.txt"
        }
    }
}

/// Where a note is in its life: a draft, signed, or signed and then amended by an addendum.
public enum FHIRNoteStatus: String, Sendable, Hashable {
    case preliminary, final, amended
}

/// Someone who signed, co-signed or added to a note.
public struct FHIRSigner: Sendable, Hashable {
    /// The clinician on the session's roster this user is, when known.
    public var clinician: PersonID?
    public var userID: String
    public var name: String
    /// ISO 8601 date-time with offset.
    public var at: String

    public init(clinician: PersonID?, userID: String, name: String, at: String) {
        self.clinician = clinician
        self.userID = userID
        self.name = name
        self.at = at
    }
}

public struct FHIRNoteRecord: Sendable {
    public var attendee: PersonID
    public var format: NoteFormat
    public var sections: [NoteSection]
    /// Whether Ensemble drafted any of it (the AIAST label and the AI Provenance agent).
    public var aiGenerated: Bool
    public var status: FHIRNoteStatus
    /// The note's version in the store (1 for a fresh draft).
    public var version: Int
    public var signer: FHIRSigner?
    public var cosigner: FHIRSigner?
    public var addenda: [(author: FHIRSigner, text: String)]

    public init(
        attendee: PersonID, format: NoteFormat, sections: [NoteSection], aiGenerated: Bool,
        status: FHIRNoteStatus = .preliminary, version: Int = 1, signer: FHIRSigner? = nil,
        cosigner: FHIRSigner? = nil, addenda: [(author: FHIRSigner, text: String)] = []
    ) {
        self.attendee = attendee
        self.format = format
        self.sections = sections
        self.aiGenerated = aiGenerated
        self.status = status
        self.version = version
        self.signer = signer
        self.cosigner = cosigner
        self.addenda = addenda
    }
}

public struct FHIRRiskRecord: Sendable, Hashable {
    public var attendee: PersonID
    public var category: String
    public var level: String
    public var route: String
    /// Utterance indexes of the session transcript.
    public var evidence: [Int]
    /// The supervisor who acknowledged it, and when; nil while it waits in the queue.
    public var acknowledged: FHIRSigner?

    public init(
        attendee: PersonID, category: String, level: String, route: String, evidence: [Int],
        acknowledged: FHIRSigner? = nil
    ) {
        self.attendee = attendee
        self.category = category
        self.level = level
        self.route = route
        self.evidence = evidence
        self.acknowledged = acknowledged
    }
}

/// A per-attendee claim as the 837P carries it, with its status.
public struct FHIRClaimRecord: Sendable, Hashable {
    public var id: String
    public var attendee: PersonID
    /// `ready`, `pendingSignature`, `blocked` or `notBillable` (and any status billing adds later).
    public var status: String
    public var dateOfService: CalendarDate
    public var placeOfService: String?
    public var lines: [ClaimLine]
    public var diagnoses: [String]
    public var renderingProvider: PersonID?
    public var payerID: String?
    public var payerName: String?

    public init(
        id: String, attendee: PersonID, status: String, dateOfService: CalendarDate, placeOfService: String?,
        lines: [ClaimLine], diagnoses: [String], renderingProvider: PersonID?, payerID: String?, payerName: String?
    ) {
        self.id = id
        self.attendee = attendee
        self.status = status
        self.dateOfService = dateOfService
        self.placeOfService = placeOfService
        self.lines = lines
        self.diagnoses = diagnoses
        self.renderingProvider = renderingProvider
        self.payerID = payerID
        self.payerName = payerName
    }

    public init(_ claim: Claim) {
        self.init(
            id: claim.id, attendee: claim.attendee, status: claim.status.rawValue, dateOfService: claim.dateOfService,
            placeOfService: claim.placeOfService, lines: claim.lines, diagnoses: claim.diagnoses,
            renderingProvider: claim.renderingProvider?.id, payerID: claim.payer?.payerId,
            payerName: claim.payer?.name)
    }

    /// A claim as the store keeps it (`ClaimsReport.claim`'s JSON), with the status the store gives it now.
    public init(storedJSON: JSONNode, status: String) throws(FormatError) {
        let root = JSONField(node: storedJSON, file: "stored claim")
        var lines: [ClaimLine] = []
        for line in try root.required("lines", expected: "the claim's service lines").array() {
            let charge = try line.required("charge", expected: "a dollar amount")
            guard let cents = BillingConfigurationDecoder.cents(charge) else {
                throw charge.error(.invalidValue, "expected a dollar amount such as 150.00")
            }
            lines.append(
                ClaimLine(
                    cpt: try line.required("cpt", expected: "a CPT code").text(),
                    modifiers: try line.optional("modifiers")?.strings() ?? [],
                    units: try line.required("units", expected: "a whole number").int(),
                    chargeInCents: cents,
                    diagnosisPointers: try line.optional("diagnosisPointers")?.array().map {
                        (field) throws(FormatError) in try field.int()
                    } ?? []))
        }
        let date = try root.required("dateOfService", expected: "a date")
        guard let dateOfService = CalendarDate(iso8601: try date.text()) else {
            throw date.error(.invalidValue, "expected a date such as 2026-05-12")
        }
        let payer = try root.optional("payer")
        self.init(
            id: try root.required("claimId", expected: "the claim id").text(),
            attendee: PersonID(try root.required("attendeeId", expected: "the attendee id").text()),
            status: status, dateOfService: dateOfService,
            placeOfService: try root.optional("placeOfService")?.text(), lines: lines,
            diagnoses: try root.optional("diagnoses")?.strings() ?? [],
            renderingProvider: try root.optional("renderingProviderId").map { (field) throws(FormatError) in
                PersonID(try field.text())
            },
            payerID: try payer?.optional("payerId")?.text(), payerName: try payer?.optional("name")?.text())
    }

    public var totalChargeInCents: Int { self.lines.reduce(0) { $0 + $1.chargeInCents } }
}

extension FHIRSessionRecord {
    /// A fresh draft: every note preliminary, every flag unacknowledged, claims as reconciled.
    public init(
        draft run: SessionRun, agents: [AgentVersion], model: String?, drafted: Timestamp, transcript: [FHIRTranscript]
    ) {
        let notes = run.notes.filter { !$0.manualNoteRequired }.map { note in
            FHIRNoteRecord(
                attendee: note.attendee, format: note.format, sections: note.sections, aiGenerated: note.aiGenerated)
        }
        let flags = run.risk.flags.compactMap { flag -> FHIRRiskRecord? in
            guard let attendee = flag.attendee else { return nil }
            return FHIRRiskRecord(
                attendee: attendee, category: flag.category.rawValue, level: flag.level.rawValue,
                route: flag.route.rawValue, evidence: flag.evidence)
        }
        let group = run.groupNote.sections.isEmpty ? nil : run.groupNote.sections
        self.init(
            session: run.attributed.session, notes: notes, groupNote: group,
            groupNoteAIGenerated: run.groupNote.sentences.contains { $0.basis != .manual }, flags: flags,
            claims: run.billing.claims.map(FHIRClaimRecord.init), agents: agents, model: model, drafted: drafted,
            transcript: transcript)
    }
}
