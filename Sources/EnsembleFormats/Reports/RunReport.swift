public import EnsembleCore

/// The run report of `ensemble draft DIR --json` (SCENARIO-FORMAT.md, "Run report"). The required keys
/// come first in the contract's order; the rest (`kind`, `disclaimer`, `planAlignment`,
/// `goalConflicts`, `riskAssessments`, `billing`, `people`, `segments`, `agents`) are additions.
public enum RunReport {
    public struct Context: Sendable {
        public var transcriptFiles: [String]
        public var includeText: Bool
        public var disclaimer: String
        public var agents: [AgentVersion]

        public init(transcriptFiles: [String], includeText: Bool = true, disclaimer: String, agents: [AgentVersion]) {
            self.transcriptFiles = transcriptFiles
            self.includeText = includeText
            self.disclaimer = disclaimer
            self.agents = agents
        }
    }

    public static func json(_ run: SessionRun, context: Context) -> JSONNode {
        let attributed = run.attributed
        return .object([
            ("sessionId", .string(attributed.session.id.rawValue)),
            ("speakers", .array(attributed.attribution.speakers.map(AttributionReport.speaker))),
            ("utterances", .array(AttributionReport.utterances(attributed, includeText: context.includeText))),
            ("notes", .array(run.notes.map { self.note($0, disclaimer: context.disclaimer) })),
            ("groupNote", self.groupNote(run.groupNote)),
            ("skipped", .array(run.skipped.map(self.skipped))),
            ("risk", .array(run.risk.flags.map(self.flag))),
            ("claims", .array(run.billing.claims.map(ClaimsReport.claim))),
            ("findings", .array(run.findings.map(AttributionReport.finding))),
            ("kind", .string(attributed.session.kind.rawValue)),
            ("disclaimer", .string(context.disclaimer)),
            ("transcript", AttributionReport.transcript(attributed, files: context.transcriptFiles)),
            ("planAlignment", .array(run.alignment.progress.map(self.progress))),
            ("goalConflicts", .array(run.alignment.conflicts.map(self.conflict))),
            ("riskAssessments", .array(run.risk.assessments.map(self.assessment))),
            ("billing", .array(run.billing.dispositions.map(ClaimsReport.disposition))),
            (
                "people",
                .array(attributed.attribution.talk.map { AttributionReport.talk($0, roster: attributed.roster) })
            ),
            ("segments", .array(attributed.segmented.segments.map(AttributionReport.segment))),
            ("agents", .array(context.agents.map(self.agent))),
        ])
    }

    static func note(_ note: ClientNote, disclaimer: String) -> JSONNode {
        .object([
            ("attendeeId", .string(note.attendee.rawValue)),
            ("format", .string(note.format.rawValue)),
            ("status", .string(note.status.rawValue)),
            ("aiGenerated", .bool(note.aiGenerated)),
            ("manualNoteRequired", .bool(note.manualNoteRequired)),
            ("requiresSignature", .bool(true)),
            ("disclaimer", note.aiGenerated ? .string(disclaimer) : nil),
            ("sections", .array(note.sections.map(self.section))),
        ])
    }

    static func groupNote(_ note: GroupNote) -> JSONNode {
        .object([
            ("attendeeIds", .array(note.attendees.map { .string($0.rawValue) })),
            ("status", .string(NoteStatus.draft.rawValue)),
            ("aiGenerated", .bool(note.sentences.contains { $0.basis != .manual })),
            ("sections", .array(note.sections.map(self.section))),
        ])
    }

    public static func section(_ section: NoteSection) -> JSONNode {
        .object([
            ("title", .string(section.title)),
            ("sentences", .array(section.sentences.map(self.sentence))),
        ])
    }

    static func sentence(_ sentence: NoteSentence) -> JSONNode {
        .object([
            ("text", .string(sentence.text)),
            ("evidence", .array(sentence.evidence.map { .number($0) })),
            ("basis", .string(sentence.basis.rawValue)),
            ("source", sentence.source.map { .string($0) }),
            ("quotes", sentence.quote.map { .number($0) }),
        ])
    }

    static func skipped(_ skipped: SkippedAttendee) -> JSONNode {
        .object([
            ("attendeeId", .string(skipped.attendee.rawValue)),
            ("reason", .string(skipped.reason.rawValue)),
        ])
    }

    static func flag(_ flag: RiskFlag) -> JSONNode {
        .object([
            ("attendeeId", .string(flag.attendee?.rawValue ?? "unknown")),
            ("category", .string(flag.category.rawValue)),
            ("level", .string(flag.level.rawValue)),
            ("evidence", .array(flag.evidence.map { .number($0) })),
            ("route", .string(flag.route.rawValue)),
            ("sources", .array(flag.sources.map { .string($0.rawValue) })),
            ("cssrsItem", flag.cssrsItem.map { .number($0) }),
            ("indicators", .array(flag.indicators.map { .string($0) })),
        ])
    }

    static func assessment(_ assessment: RiskAssessment) -> JSONNode {
        .object([
            ("attendeeId", .string(assessment.attendee.rawValue)),
            ("category", .string(assessment.category.rawValue)),
            ("question", .number(assessment.question)),
            ("answer", .number(assessment.answer)),
            ("denied", .bool(assessment.denied)),
        ])
    }

    static func progress(_ progress: GoalProgress) -> JSONNode {
        .object([
            ("attendeeId", .string(progress.attendee.rawValue)),
            ("goalId", .string(progress.goalID)),
            ("objectiveId", progress.objectiveID.map { .string($0) }),
            ("status", .string(progress.status.rawValue)),
            ("evidence", .array(progress.evidence.map { .number($0) })),
        ])
    }

    static func conflict(_ conflict: GoalConflict) -> JSONNode {
        .object([
            ("attendeeIds", .array(conflict.members.map { .string($0.rawValue) })),
            ("goals", .array(conflict.goals.map { .string($0) })),
            ("theme", .string(conflict.theme)),
            ("suggestedObjective", .string(conflict.suggestedObjective)),
        ])
    }

    public static func agent(_ agent: AgentVersion) -> JSONNode {
        .object([
            ("agent", .string(agent.agent)),
            ("version", .string(agent.version)),
            ("sha256", .string(agent.sha256)),
            (
                "files",
                .array(
                    agent.files.map { file in
                        .object([("path", .string(file.path)), ("sha256", .string(file.sha256))])
                    }
                )
            ),
        ])
    }
}
