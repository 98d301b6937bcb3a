public import EnsembleCore
import EnsembleFormats

/// The RiskScreener with a language model as a second reader.
///
/// The deterministic screen runs first and stands. Then, per attendee who consented to AI drafting (a
/// 42 CFR Part 2 record only when the configuration sends them), the model sees that attendee's own
/// utterances and the clinician's sentences to them, pseudonymised, each with its index, and answers
/// JSON: `{"risks": [{"category": …, "level": "monitor" | "elevated" | "urgent", "evidence": [indexes]}]}`.
/// A risk is kept only when its category and level are known and every index it cites is one of the
/// attendee's own utterances it was shown. A kept risk adds a flag, or raises one and adds its
/// evidence; the model never lowers or removes a deterministic flag. Each flag says which reader raised
/// it. When the model fails or runs out of time the deterministic screen stands alone.
public actor ModelRiskScreener: RiskScreeningAgent {
    public struct Configuration: Sendable {
        /// The system prompt (`Agents/risk-screener/prompt.md`).
        public var prompt: String
        public var sendPart2: Bool
        public var maxTokens: Int
        /// How long the model's part may take, all attendees together.
        public var budget: Duration?

        public init(prompt: String, sendPart2: Bool = false, maxTokens: Int = 600, budget: Duration? = nil) {
            self.prompt = prompt
            self.sendPart2 = sendPart2
            self.maxTokens = maxTokens
            self.budget = budget
        }
    }

    public static let schema = """
        {"type":"object","additionalProperties":false,"required":["risks"],"properties":{"risks":\
        {"type":"array","items":{"type":"object","additionalProperties":false,"required":["category","level","evidence"],\
        "properties":{"category":{"type":"string","enum":["suicidalIdeation","selfHarm","homicidalIdeation",\
        "childAbuse","elderAbuse","intimatePartnerViolence","substanceRelapse"]},\
        "level":{"type":"string","enum":["monitor","elevated","urgent"]},\
        "evidence":{"type":"array","items":{"type":"integer"}}}}}}}
        """

    /// One risk the model named, after its checks.
    struct Reading: Sendable, Hashable {
        var category: RiskCategory
        var level: RiskLevel
        var evidence: [Int]
    }

    private let model: any LanguageModel
    private let local: @Sendable () -> any RiskScreeningAgent
    private let configuration: Configuration
    public private(set) var job: AgentJob?
    /// Model calls made for this job.
    public private(set) var calls = 0

    public init(
        model: any LanguageModel, local: @escaping @Sendable () -> any RiskScreeningAgent, configuration: Configuration
    ) {
        self.model = model
        self.local = local
        self.configuration = configuration
    }

    public func screen(_ context: DraftingContext) async throws -> RiskScreen {
        self.job = try AgentJob.begin(self.job, agent: .riskScreener, session: context.facts.session.id)
        var screen = try await self.local().screen(context)
        let facts = context.facts
        let clock = ContinuousClock()
        let deadline = self.configuration.budget.map { clock.now.advanced(by: $0) }
        for attendee in facts.session.attendees where attendee.present {
            guard attendee.consent?.aiDrafting == true,
                attendee.consent?.part2 != true || self.configuration.sendPart2
            else { continue }
            let own = facts.utterancesOf[attendee.id] ?? []
            guard !own.isEmpty else { continue }
            var pseudonymiser = Pseudonymiser(session: facts.session)
            let shown = ModelNoteDrafter.shownUtterances(for: attendee.id, facts: facts)
            let request = ModelRequest(
                messages: [
                    ModelMessage(.system, self.configuration.prompt),
                    ModelMessage(
                        .user,
                        ModelNoteDrafter.transcript(
                            shown, attendee: attendee.id, facts: facts, pseudonymiser: &pseudonymiser
                        )
                        .replacingFirstLine(
                            "Name the risk statements of \(pseudonymiser.pseudonymise(attendee.name)), if any.")),
                ],
                schemaName: "risk_statements", schema: Self.schema, maxTokens: self.configuration.maxTokens,
                temperature: 0)
            let reply: ModelReply
            do {
                guard
                    let answer = try await ModelNoteDrafter.complete(
                        request, model: self.model, until: deadline, clock: clock)
                else { break }
                reply = answer
            } catch is CancellationError {
                throw CancellationError()
            } catch is ModelError {
                continue
            }
            self.calls += 1
            let readings = Self.readings(from: reply.content, allowed: Set(own))
            screen = Self.merge(readings, for: attendee.id, into: screen)
        }
        self.job = self.job?.finished()
        return screen
    }

    /// The risks of a reply that pass every check: a known category and level, and evidence that is
    /// non-empty and only the attendee's own utterances it was shown.
    static func readings(from reply: String, allowed: Set<Int>) -> [Reading] {
        guard let node = try? JSONParser.parse(reply, file: "model reply"),
            let risks = node.members?.first(where: { $0.key == "risks" })?.node.array
        else { return [] }
        var kept: [Reading] = []
        for risk in risks {
            guard let members = risk.members else { continue }
            func string(_ key: String) -> String? { members.first { $0.key == key }?.node.string }
            guard let category = string("category").flatMap(RiskCategory.init(rawValue:)),
                let level = string("level").flatMap(RiskLevel.init(rawValue:)), level > .none,
                let evidence = members.first(where: { $0.key == "evidence" })?.node.array?.compactMap({ node in
                    node.number.flatMap { $0 == $0.rounded() && $0 >= 0 && $0 < 1e9 ? Int($0) : nil }
                }),
                !evidence.isEmpty, evidence.allSatisfy(allowed.contains)
            else { continue }
            kept.append(Reading(category: category, level: level, evidence: evidence))
        }
        return kept
    }

    /// The screen with the model's readings added: a new flag, or a raised one with the model's
    /// evidence; never lower, never removed.
    static func merge(_ readings: [Reading], for attendee: PersonID, into screen: RiskScreen) -> RiskScreen {
        var screen = screen
        for reading in readings {
            if let index = screen.flags.firstIndex(where: { $0.attendee == attendee && $0.category == reading.category }
            ) {
                let flag = screen.flags[index]
                var raised = RiskFlag(
                    attendee: attendee, category: flag.category, level: max(flag.level, reading.level),
                    evidence: flag.evidence + reading.evidence, sources: flag.sources, cssrsItem: flag.cssrsItem,
                    indicators: flag.indicators,
                    readers: flag.readers.contains(.model) ? flag.readers : flag.readers + [.model])
                if reading.level > flag.level { raised.indicators.append("raised by the model second reader") }
                screen.flags[index] = raised
            } else {
                screen.flags.append(
                    RiskFlag(
                        attendee: attendee, category: reading.category, level: reading.level,
                        evidence: reading.evidence, sources: [.selfReport],
                        indicators: ["found by the model second reader"], readers: [.model]))
            }
        }
        return screen
    }
}

extension String {
    fileprivate func replacingFirstLine(_ line: String) -> String {
        guard let newline = self.firstIndex(of: "\n") else { return line }
        return line + self[newline...]
    }
}
