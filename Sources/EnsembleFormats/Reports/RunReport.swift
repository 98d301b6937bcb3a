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
        /// The agents' configuration folder the run used (a practice's own, or the one installed with
        /// the binary).
        public var agentsFolder: String?

        /// What model drafting did, when a language model drafted (nil for the deterministic engine).
        public var model: ModelUsage?

        public init(
            transcriptFiles: [String], includeText: Bool = true, disclaimer: String, agents: [AgentVersion],
            agentsFolder: String? = nil, model: ModelUsage? = nil
        ) {
            self.transcriptFiles = transcriptFiles
            self.includeText = includeText
            self.disclaimer = disclaimer
            self.agents = agents
            self.agentsFolder = agentsFolder
            self.model = model
        }
    }

    /// A run's model calls: per attendee, whether the model's sentences were used, the calls, requests,
    /// tokens and latency, and the cost at the configured rates.
    public struct ModelUsage: Sendable {
        public var backend: String
        public var model: String
        public var records: [ModelDraftRecord]
        /// US dollars per million prompt and completion tokens, when configured.
        public var pricePerMillionPrompt: Double?
        public var pricePerMillionCompletion: Double?

        public init(
            backend: String, model: String, records: [ModelDraftRecord], pricePerMillionPrompt: Double? = nil,
            pricePerMillionCompletion: Double? = nil
        ) {
            self.backend = backend
            self.model = model
            self.records = records
            self.pricePerMillionPrompt = pricePerMillionPrompt
            self.pricePerMillionCompletion = pricePerMillionCompletion
        }

        public var usage: TokenUsage { self.records.reduce(TokenUsage()) { $0 + $1.usage } }

        /// Dollars, when both prices are set.
        public var cost: Double? {
            guard let prompt = self.pricePerMillionPrompt, let completion = self.pricePerMillionCompletion else {
                return nil
            }
            return (Double(self.usage.prompt) * prompt + Double(self.usage.completion) * completion) / 1_000_000
        }

        var json: JSONNode {
            let usage = self.usage
            let calls = self.records.reduce(0) { $0 + $1.calls }
            let requests = self.records.reduce(0) { $0 + $1.requests }
            let cost: JSONNode? = self.cost.map { JSONNode.rounded($0, places: 6) }
            let attendees: [JSONNode] = self.records.map(Self.attendee)
            return .object([
                ("backend", .string(self.backend)), ("model", .string(self.model)), ("calls", .number(calls)),
                ("requests", .number(requests)), ("promptTokens", .number(usage.prompt)),
                ("completionTokens", .number(usage.completion)), ("costUSD", cost), ("attendees", .array(attendees)),
            ])
        }

        static func attendee(_ record: ModelDraftRecord) -> JSONNode {
            var members: [(String, JSONNode?)] = [("attendeeId", .string(record.attendee.rawValue))]
            switch record.outcome {
            case .accepted(let kept, let dropped):
                members.append(("outcome", .string("accepted")))
                members.append(("sentencesKept", .number(kept)))
                members.append(("sentencesDropped", .number(dropped)))
            case .fellBack(let reason):
                members.append(("outcome", .string("fellBack")))
                members.append(("reason", .string(reason)))
            }
            members.append(("calls", .number(record.calls)))
            members.append(("requests", .number(record.requests)))
            members.append(("promptTokens", .number(record.usage.prompt)))
            members.append(("completionTokens", .number(record.usage.completion)))
            members.append(("latencyMilliseconds", .number(record.latency.wholeMilliseconds)))
            return .object(members)
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
            ("riskOutsideRoster", .array(run.risk.outsideRoster.map(self.outside))),
            ("riskFollowUps", .array(run.risk.followUps.map(self.followUp))),
            ("billing", .array(run.billing.dispositions.map(ClaimsReport.disposition))),
            (
                "people",
                .array(attributed.attribution.talk.map { AttributionReport.talk($0, roster: attributed.roster) })
            ),
            ("segments", .array(attributed.segmented.segments.map(AttributionReport.segment))),
            ("agents", .array(context.agents.map(self.agent))),
            ("agentsFolder", context.agentsFolder.map { .string($0) }),
            ("engine", .string(context.model == nil ? "deterministic" : "llm")),
            ("model", context.model?.json),
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
            ("readers", .array(flag.readers.map { .string($0.rawValue) })),
        ])
    }

    static func assessment(_ assessment: RiskAssessment) -> JSONNode {
        .object([
            ("attendeeId", .string(assessment.attendee.rawValue)),
            ("category", .string(assessment.category.rawValue)),
            ("question", .number(assessment.question)),
            ("answer", .number(assessment.answer)),
            ("denied", .bool(assessment.denied)),
            ("response", .string(assessment.response.rawValue)),
            ("cssrsItem", assessment.cssrsItem.map { .number($0) }),
            ("topic", .string(assessment.topic)),
        ])
    }

    static func outside(_ risk: OutsideRosterRisk) -> JSONNode {
        .object([
            ("category", .string(risk.category.rawValue)),
            ("level", .string(risk.level.rawValue)),
            ("evidence", .array(risk.evidence.map { .number($0) })),
            ("reportedBy", risk.reportedBy.map { .string($0.rawValue) }),
            ("indicators", .array(risk.indicators.map { .string($0) })),
        ])
    }

    static func followUp(_ followUp: RiskFollowUp) -> JSONNode {
        .object([
            ("attendeeId", .string(followUp.attendee.rawValue)),
            ("category", .string(followUp.category.rawValue)),
            ("utterance", .number(followUp.utterance)),
            ("sentence", .number(followUp.sentence)),
            ("indicator", .string(followUp.indicator)),
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
