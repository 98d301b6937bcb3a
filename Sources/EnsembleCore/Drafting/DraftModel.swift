/// A sentence of a draft, with what it rests on. Nothing is written that rests on nothing: a sentence
/// cites utterances, or a field of the session metadata, or states that something was not assessed.
public struct NoteSentence: Sendable, Hashable {
    public enum Basis: String, Sendable, Hashable {
        /// Rests on the cited utterances.
        case transcript
        /// Rests on the session metadata (`source` names the field: `measures[0]`, `minutesAttended`).
        case metadata
        /// Says that the session did not cover something.
        case notAssessed
        /// A placeholder for the clinician to write (no AI consent, or drafting failed).
        case manual
        /// Written or edited by the clinician in review; it rests on their judgement.
        case clinician
    }

    public var text: String
    /// Utterance indexes, ascending.
    public var evidence: [Int]
    public var basis: Basis
    public var source: String?
    /// The utterance whose words the sentence quotes, if it quotes one (one of `evidence`).
    public var quote: Int?
    /// It says what the session did with everyone (the interventions with the group, the group's
    /// homework), the same in every member's note by design; the clone check leaves it out.
    public var groupLevel = false
    /// The sentence as an exact quote, where its text reports the quoted utterance in other words:
    /// assembly puts the exact words back where they matter (a risk statement).
    public var verbatim: String? = nil

    public init(
        _ text: String, evidence: [Int] = [], basis: Basis = .transcript, source: String? = nil, quote: Int? = nil
    ) {
        self.text = text
        self.evidence = Array(Set(evidence + (quote.map { [$0] } ?? []))).sorted()
        self.basis = basis
        self.source = source
        self.quote = quote
    }

    /// A sentence quoting utterance `u` (`Member reported: "…"`).
    public static func quoting(_ u: Int, _ text: String, evidence: [Int] = []) -> NoteSentence {
        NoteSentence(text, evidence: evidence, quote: u)
    }

    public static func metadata(_ text: String, source: String) -> NoteSentence {
        NoteSentence(text, basis: .metadata, source: source)
    }

    public static func notAssessed(_ text: String) -> NoteSentence { NoteSentence(text, basis: .notAssessed) }
}

/// The parts of a progress note, whatever format it is rendered in.
public enum NoteField: String, Sendable, Hashable, CaseIterable {
    case attendance, participation, reported, observed, measures, interventions, response, progress, risk, plan
    case goals, problem
}

public struct NoteSection: Sendable, Hashable {
    public var title: String
    public var sentences: [NoteSentence]

    public init(title: String, sentences: [NoteSentence]) {
        self.title = title
        self.sentences = sentences
    }
}

/// One attendee's note before rendering: sentences per field.
public struct StructuredNote: Sendable, Hashable {
    public var fields: [NoteField: [NoteSentence]]

    public init(fields: [NoteField: [NoteSentence]] = [:]) { self.fields = fields }

    public subscript(field: NoteField) -> [NoteSentence] {
        get { self.fields[field] ?? [] }
        set { self.fields[field] = newValue }
    }

    public var allSentences: [NoteSentence] { NoteField.allCases.flatMap { self[$0] } }
}

public enum NoteStatus: String, Sendable, Hashable {
    case draft
}

/// One attendee's draft progress note.
public struct ClientNote: Sendable, Hashable {
    public var attendee: PersonID
    public var format: NoteFormat
    public var status: NoteStatus
    /// True for text drafted by Ensemble; false for the blank manual template.
    public var aiGenerated: Bool
    /// The clinician must write this note by hand (no AI consent, or drafting failed).
    public var manualNoteRequired: Bool
    public var structured: StructuredNote
    public var sections: [NoteSection]

    public init(
        attendee: PersonID, format: NoteFormat, status: NoteStatus = .draft, aiGenerated: Bool,
        manualNoteRequired: Bool,
        structured: StructuredNote, sections: [NoteSection]
    ) {
        self.attendee = attendee
        self.format = format
        self.status = status
        self.aiGenerated = aiGenerated
        self.manualNoteRequired = manualNoteRequired
        self.structured = structured
        self.sections = sections
    }

    public var sentences: [NoteSentence] { self.sections.flatMap(\.sentences) }

    /// The note as plain text, one sentence per line under its section title.
    public var text: String {
        self.sections.map { section in
            ([section.title + ":"] + section.sentences.map(\.text)).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

/// The group (or family) note, linked to every attendee; it names no attendee.
public struct GroupNote: Sendable, Hashable {
    public var attendees: [PersonID]
    public var sections: [NoteSection]

    public init(attendees: [PersonID], sections: [NoteSection]) {
        self.attendees = attendees
        self.sections = sections
    }

    public var sentences: [NoteSentence] { self.sections.flatMap(\.sentences) }
}

public enum RiskCategory: String, Sendable, Hashable, CaseIterable {
    case suicidalIdeation, selfHarm, homicidalIdeation, childAbuse, elderAbuse, intimatePartnerViolence,
        substanceRelapse
}

public enum RiskLevel: String, Sendable, Hashable, CaseIterable, Comparable {
    case none, monitor, elevated, urgent

    private var rank: Int {
        switch self {
        case .none: 0
        case .monitor: 1
        case .elevated: 2
        case .urgent: 3
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// Where a flag goes: `elevated` and `urgent` to a supervisor, the rest to the treating clinician.
public enum RiskRoute: String, Sendable, Hashable {
    case supervisorReview, clinicianReview
}

/// Who read a risk flag in the session.
public enum RiskReader: String, Sendable, Hashable, CaseIterable {
    /// The embedded screener: concepts, context, questions and answers.
    case deterministic
    /// A language model's second reading, kept only where its evidence checked out.
    case model
}

/// A risk indicator for one attendee, with the utterances it rests on.
public struct RiskFlag: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable {
        /// The attendee said it about themselves.
        case selfReport
        /// Someone else in the session disclosed it (a parent about a child).
        case thirdParty
        /// A standardised measure (PHQ-9 item 9).
        case measure
    }

    public var attendee: PersonID?
    public var category: RiskCategory
    public var level: RiskLevel
    public var evidence: [Int]
    public var route: RiskRoute
    public var sources: [Source]
    /// The C-SSRS screener item the evidence corresponds to, for suicidal ideation and behaviour.
    public var cssrsItem: Int?
    /// What was found, in words that quote nothing (`passive wish to be dead`, `recent self-injury`).
    public var indicators: [String]
    /// Which reader raised it: the deterministic screener, the model second reader, or both.
    public var readers: [RiskReader]

    public init(
        attendee: PersonID?, category: RiskCategory, level: RiskLevel, evidence: [Int], sources: [Source],
        cssrsItem: Int? = nil, indicators: [String] = [], readers: [RiskReader] = [.deterministic]
    ) {
        self.readers = readers
        self.attendee = attendee
        self.category = category
        self.level = level
        self.evidence = Array(Set(evidence)).sorted()
        self.route = level >= .elevated ? .supervisorReview : .clinicianReview
        self.sources = sources
        self.cssrsItem = cssrsItem
        self.indicators = indicators
    }
}

/// How an answer to a screening question reads.
public enum RiskAnswer: String, Sendable, Hashable, CaseIterable {
    /// `Yeah`, `a couple of times`, `most nights`.
    case affirmed
    /// `No`, `never`, `not really`, `nothing like that`.
    case denied
    /// `Sort of`, `maybe`, `no, but sometimes`: counted as affirmed, marked for follow-up.
    case hedged
    /// `I don't know`, or an answer that does not say.
    case unclear
}

/// A risk topic a clinician asked about and the attendee answered.
public struct RiskAssessment: Sendable, Hashable {
    public var attendee: PersonID
    public var category: RiskCategory
    public var question: Int
    public var answer: Int
    public var response: RiskAnswer
    /// The C-SSRS screener item the question asks, when it is one.
    public var cssrsItem: Int?
    /// What was asked, in words that quote nothing (`wish to be dead`, `safety at home`).
    public var topic: String

    /// The answer denied it (`No, not like that`).
    public var denied: Bool { self.response == .denied }

    public init(
        attendee: PersonID, category: RiskCategory, question: Int, answer: Int, response: RiskAnswer,
        cssrsItem: Int? = nil, topic: String = ""
    ) {
        self.attendee = attendee
        self.category = category
        self.question = question
        self.answer = answer
        self.response = response
        self.cssrsItem = cssrsItem
        self.topic = topic
    }
}

/// What the clinician said they or the family will do about a flagged disclosure (a report to a
/// protective agency, a safety plan, a medical check): one sentence of a clinician's utterance after
/// the flag. It belongs in the chart of the person at risk only.
public struct RiskFollowUp: Sendable, Hashable {
    public var attendee: PersonID
    public var category: RiskCategory
    public var utterance: Int
    /// The sentence's index within the utterance.
    public var sentence: Int
    /// What it is, in words that quote nothing (`report to a protective agency`).
    public var indicator: String

    public init(attendee: PersonID, category: RiskCategory, utterance: Int, sentence: Int, indicator: String) {
        self.attendee = attendee
        self.category = category
        self.utterance = utterance
        self.sentence = sentence
        self.indicator = indicator
    }
}

/// A risk statement about someone who is not on the roster (a friend, a neighbour, someone online):
/// no flag on anyone present, and a finding for the clinician to weigh.
public struct OutsideRosterRisk: Sendable, Hashable {
    public var category: RiskCategory
    public var level: RiskLevel
    public var evidence: [Int]
    /// Who said it.
    public var reportedBy: PersonID?
    public var indicators: [String]

    public init(category: RiskCategory, level: RiskLevel, evidence: [Int], reportedBy: PersonID?, indicators: [String])
    {
        self.category = category
        self.level = level
        self.evidence = Array(Set(evidence)).sorted()
        self.reportedBy = reportedBy
        self.indicators = indicators
    }
}

public struct RiskScreen: Sendable, Hashable {
    public var flags: [RiskFlag]
    public var assessments: [RiskAssessment]
    public var outsideRoster: [OutsideRosterRisk]
    public var followUps: [RiskFollowUp]

    public init(
        flags: [RiskFlag] = [], assessments: [RiskAssessment] = [], outsideRoster: [OutsideRosterRisk] = [],
        followUps: [RiskFollowUp] = []
    ) {
        self.flags = flags
        self.assessments = assessments
        self.outsideRoster = outsideRoster
        self.followUps = followUps
    }

    public func flags(for attendee: PersonID) -> [RiskFlag] { self.flags.filter { $0.attendee == attendee } }

    public func highestLevel(for attendee: PersonID) -> RiskLevel {
        self.flags(for: attendee).map(\.level).max() ?? .none
    }
}

public enum GoalStatus: String, Sendable, Hashable, CaseIterable {
    case progressing, stable, regressing, notAddressed
}

/// Progress on one goal or objective of one attendee's treatment plan.
public struct GoalProgress: Sendable, Hashable {
    public var attendee: PersonID
    public var goalID: String
    public var objectiveID: String?
    public var text: String
    public var status: GoalStatus
    public var evidence: [Int]

    public init(
        attendee: PersonID, goalID: String, objectiveID: String?, text: String, status: GoalStatus, evidence: [Int]
    ) {
        self.attendee = attendee
        self.goalID = goalID
        self.objectiveID = objectiveID
        self.text = text
        self.status = status
        self.evidence = Array(Set(evidence)).sorted()
    }
}

/// Two members' goals that pull against each other, with a shared objective to propose.
public struct GoalConflict: Sendable, Hashable {
    public var members: [PersonID]
    /// `CL-301/G2` style references.
    public var goals: [String]
    public var theme: String
    public var suggestedObjective: String

    public init(members: [PersonID], goals: [String], theme: String, suggestedObjective: String) {
        self.members = members
        self.goals = goals
        self.theme = theme
        self.suggestedObjective = suggestedObjective
    }
}

public struct PlanAlignment: Sendable, Hashable {
    public var progress: [GoalProgress]
    public var conflicts: [GoalConflict]

    public init(progress: [GoalProgress] = [], conflicts: [GoalConflict] = []) {
        self.progress = progress
        self.conflicts = conflicts
    }
}

/// An attendee who gets no AI-drafted note, and why.
public struct SkippedAttendee: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable {
        case noAIConsent, consentMissing, absent, draftFailed
        /// A relative who attended an individual session as a collateral contact, where the practice
        /// writes no note for collaterals (`collateralNotes: none`).
        case collateral
    }

    public var attendee: PersonID
    public var reason: Reason

    public init(attendee: PersonID, reason: Reason) {
        self.attendee = attendee
        self.reason = reason
    }
}

/// The configuration an agent ran with, for the run report and the audit trail.
public struct AgentVersion: Sendable, Hashable {
    public struct File: Sendable, Hashable {
        /// Relative to the Agents folder (`risk-screener/config.json`).
        public var path: String
        /// SHA-256 of the file's bytes, as `sha256sum` prints it.
        public var sha256: String

        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    public var agent: String
    public var version: String
    public var files: [File]
    /// SHA-256 of the `sha256sum` listing of `files` (`<hash>  <path>` lines, in order), so one value
    /// identifies the agent's whole configuration: `sha256sum a.json b.json | sha256sum` in `Agents/`.
    public var sha256: String

    public init(agent: String, version: String, files: [File], sha256: String) {
        self.agent = agent
        self.version = version
        self.files = files
        self.sha256 = sha256
    }
}

/// Everything one drafting run produced.
public struct SessionRun: Sendable, Hashable {
    public var attributed: AttributedSession
    public var notes: [ClientNote]
    public var groupNote: GroupNote
    public var skipped: [SkippedAttendee]
    public var risk: RiskScreen
    public var alignment: PlanAlignment
    public var billing: BillingResult
    public var findings: [Finding]
    /// What a language model did per attendee, in attendee order (empty for the deterministic engine).
    public var modelRecords: [ModelDraftRecord] = []

    public init(
        attributed: AttributedSession, notes: [ClientNote], groupNote: GroupNote, skipped: [SkippedAttendee],
        risk: RiskScreen, alignment: PlanAlignment, billing: BillingResult = BillingResult(), findings: [Finding]
    ) {
        self.attributed = attributed
        self.notes = notes
        self.groupNote = groupNote
        self.skipped = skipped
        self.risk = risk
        self.alignment = alignment
        self.billing = billing
        self.findings = findings
    }

    public func note(for attendee: PersonID) -> ClientNote? { self.notes.first { $0.attendee == attendee } }
}
