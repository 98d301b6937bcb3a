public import EnsembleCore
import EnsembleFormats
import Synchronization

/// Drafts an attendee's narrative with a language model, and everything else as the deterministic
/// drafter does.
///
/// The model sees only that attendee's own utterances and the clinician's sentences to them (or to the
/// whole group), pseudonymised (`Pseudonymiser`), each with its utterance index. It answers JSON:
/// `{"sentences": [{"field": "reported" | "response" | "plan", "text": …, "evidence": [indexes]}]}`.
/// A sentence is kept only when it parses, reads as prose (not echoed JSON), names a narrative field,
/// cites at least one utterance and only utterances it was shown, and uses no token it was not given. Kept sentences are re-identified
/// and replace the deterministic draft's sentences for their field. Assembly then runs the same
/// confidentiality filter and clone check over them as over any draft. A reply with nothing usable is
/// asked for once more. After that, or when the model fails, or for a Part 2 record the configuration
/// keeps local, the attendee gets the deterministic draft; the record of what the model did (and why
/// it fell back) is returned with the note.
public actor ModelNoteDrafter: NoteDraftingAgent {
    public struct Configuration: Sendable {
        /// The system prompt (`Agents/note-drafter/prompt.md`).
        public var prompt: String
        /// Whether 42 CFR Part 2 records may be sent to the endpoint (a BAA and a Part 2 consent that
        /// covers it); when false they are drafted locally.
        public var sendPart2: Bool
        public var maxTokens: Int
        /// How long the model's part may take, all calls together; past it the deterministic draft stands.
        public var budget: Duration?

        public init(prompt: String, sendPart2: Bool = false, maxTokens: Int = 1_200, budget: Duration? = nil) {
            self.prompt = prompt
            self.sendPart2 = sendPart2
            self.maxTokens = maxTokens
            self.budget = budget
        }
    }

    static let narrativeFields: [String: NoteField] = ["reported": .reported, "response": .response, "plan": .plan]

    /// The reply's JSON Schema.
    public static let schema = """
        {"type":"object","additionalProperties":false,"required":["sentences"],"properties":{"sentences":\
        {"type":"array","items":{"type":"object","additionalProperties":false,"required":["field","text","evidence"],\
        "properties":{"field":{"type":"string","enum":["reported","response","plan"]},"text":{"type":"string"},\
        "evidence":{"type":"array","items":{"type":"integer"}}}}}}}
        """

    private let model: any LanguageModel
    /// Makes the deterministic drafter: the fields the model does not write, and the fallback.
    private let local: @Sendable () -> any NoteDraftingAgent
    private let configuration: Configuration
    /// This instance's job, and what the model did for it (calls, requests, tokens, latency, outcome).
    public private(set) var job: AgentJob?
    public private(set) var record: ModelDraftRecord?

    /// - Parameter local: makes the deterministic drafter: the fields the model does not write, and the fallback.
    public init(
        model: any LanguageModel, local: @escaping @Sendable () -> any NoteDraftingAgent, configuration: Configuration
    ) {
        self.model = model
        self.local = local
        self.configuration = configuration
    }

    public func draft(for attendee: PersonID, in context: DraftingContext) async throws -> NoteDraft {
        self.job = try AgentJob.begin(
            self.job, agent: .noteDrafter, session: context.facts.session.id, attendee: attendee)
        let draft = try await self.draftNote(for: attendee, in: context)
        self.record = draft.model
        self.job = self.job?.finished()
        return draft
    }

    private func draftNote(for attendee: PersonID, in context: DraftingContext) async throws -> NoteDraft {
        let base = try await self.local().draft(for: attendee, in: context).note
        let facts = context.facts
        var record = ModelDraftRecord(
            attendee: attendee, outcome: .fellBack("not sent"), calls: 0, requests: 0, usage: TokenUsage(),
            latency: .zero)
        record.session = facts.session.id
        if facts.session.attendees.first(where: { $0.id == attendee })?.consent?.part2 == true,
            !self.configuration.sendPart2
        {
            record.outcome = .fellBack("a Part 2 record, kept local by the configuration")
            return NoteDraft(note: base, model: record)
        }
        var pseudonymiser = Pseudonymiser(session: facts.session)
        let shown = Self.shownUtterances(for: attendee, facts: facts)
        guard !shown.isEmpty else {
            record.outcome = .fellBack("no utterances of theirs to draft from")
            return NoteDraft(note: base, model: record)
        }
        let request = ModelRequest(
            messages: [
                ModelMessage(.system, self.configuration.prompt),
                ModelMessage(
                    .user, Self.transcript(shown, attendee: attendee, facts: facts, pseudonymiser: &pseudonymiser)),
            ],
            schemaName: "note_sentences", schema: Self.schema, maxTokens: self.configuration.maxTokens, temperature: 0)
        let allowed = Set(shown)
        var reason = "the reply had no usable sentence"
        let clock = ContinuousClock()
        let deadline = self.configuration.budget.map { clock.now.advanced(by: $0) }
        for _ in 0..<2 {
            let reply: ModelReply
            do {
                let model = self.model
                guard let answer = try await Self.complete(request, model: model, until: deadline, clock: clock) else {
                    record.outcome = .fellBack("the model did not answer within its time budget")
                    return NoteDraft(note: base, model: record)
                }
                reply = answer
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as ModelError {
                record.outcome = .fellBack("the model call failed (\(error.code.rawValue))")
                return NoteDraft(note: base, model: record)
            }
            record.calls += 1
            record.requests += reply.attempts
            record.usage = record.usage + reply.usage
            record.latency += reply.latency
            switch Self.sentences(from: reply.content, allowed: allowed, pseudonymiser: pseudonymiser) {
            case .failure(let problem):
                reason = problem.message
            case .success(let (kept, dropped)) where !kept.isEmpty:
                var note = base
                for field in Set(kept.map(\.field)) { note[field] = kept.filter { $0.field == field }.map(\.sentence) }
                record.outcome = .accepted(kept: kept.count, dropped: dropped)
                return NoteDraft(note: note, model: record)
            case .success(let (_, dropped)):
                reason = "every sentence of the reply failed its checks (\(dropped))"
            }
        }
        record.outcome = .fellBack(reason)
        return NoteDraft(note: base, model: record)
    }

    /// One model call, given up (nil) when `deadline` passes first.
    static func complete(
        _ request: ModelRequest, model: any LanguageModel, until deadline: ContinuousClock.Instant?,
        clock: ContinuousClock
    ) async throws -> ModelReply? {
        guard let deadline else { return try await model.complete(request) }
        let left = clock.now.duration(to: deadline)
        guard left > .zero else { return nil }
        return try await Abandonable.run(within: left, clock: clock) { try await model.complete(request) }
    }

    /// The attendee's own utterances and the clinician utterances spoken to them, in order.
    static func shownUtterances(for attendee: PersonID, facts: SessionFacts) -> [Int] {
        (0..<facts.utteranceCount).filter { u in
            facts.speaker[u] == attendee || (facts.isClinician[u] && facts.clinician(u, speaksTo: attendee))
        }
    }

    /// `[index] SPEAKER: text` lines, pseudonymised.
    static func transcript(_ shown: [Int], attendee: PersonID, facts: SessionFacts, pseudonymiser: inout Pseudonymiser)
        -> String
    {
        var lines = [
            "Draft the note's narrative sentences for \(pseudonymiser.pseudonymise(facts.roster.person(attendee)?.name ?? "the client")).",
            "Cite only these utterances by their index.",
        ]
        for u in shown {
            let speaker =
                facts.speaker[u].flatMap { facts.roster.person($0)?.name }.map { pseudonymiser.pseudonymise($0) }
                ?? (facts.isClinician[u] ? "[CLINICIAN]" : "[SPEAKER]")
            lines.append("[\(u)] \(speaker): \(pseudonymiser.pseudonymise(facts.segmented.utterances[u].text))")
        }
        return lines.joined(separator: "\n")
    }

    /// The reply's sentences that pass every check, re-identified, and how many were dropped; a
    /// failure when the reply is not the schema's JSON at all.
    static func sentences(from reply: String, allowed: Set<Int>, pseudonymiser: Pseudonymiser)
        -> Result<(kept: [(field: NoteField, sentence: NoteSentence)], dropped: Int), ReplyProblem>
    {
        guard let root = try? JSONParser.parse(reply, file: "reply"), let items = root["sentences"]?.array else {
            return .failure(ReplyProblem("the reply was not the schema's JSON"))
        }
        var kept: [(NoteField, NoteSentence)] = []
        var dropped = 0
        let issued = pseudonymiser.issued
        for item in items {
            guard let fieldName = item["field"]?.string, let field = Self.narrativeFields[fieldName],
                let text = item["text"]?.string, let cited = item["evidence"]?.array
            else {
                dropped += 1
                continue
            }
            let evidence = cited.compactMap { $0.number.flatMap { $0 == $0.rounded() ? Int($0) : nil } }
            let trimmed = text.trimmingCharacters(" \n\t")
            let tokens = Self.tokens(in: trimmed)
            guard Self.isProse(trimmed), trimmed.count <= 600, !evidence.isEmpty, evidence.count == cited.count,
                evidence.allSatisfy(allowed.contains), tokens.allSatisfy({ issued[$0] != nil })
            else {
                dropped += 1
                continue
            }
            kept.append((field, NoteSentence(pseudonymiser.reidentify(trimmed), evidence: evidence)))
        }
        return .success((kept, dropped))
    }

    /// Reads as a sentence: three or more words with letters, mostly letters, and no JSON left in it
    /// (a small model can echo fragments of the schema as "text").
    static func isProse(_ text: String) -> Bool {
        let words = text.split(whereSeparator: \.isWhitespace).filter { $0.contains(where: \.isLetter) }
        let visible = text.filter { !$0.isWhitespace }
        let letters = visible.filter(\.isLetter).count
        return words.count >= 3 && letters * 2 >= visible.count && !text.contains("{") && !text.contains("}")
    }

    /// `[WORD_n]`-shaped tokens in a text.
    static func tokens(in text: String) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") {
            let inside = rest[rest.index(after: open)..<close]
            if !inside.isEmpty, inside.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
                found.append(String(rest[open...close]))
            }
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    public struct ReplyProblem: Error, Sendable, Hashable {
        public var message: String
        init(_ message: String) { self.message = message }
    }
}

extension String {
    fileprivate func trimmingCharacters(_ set: String) -> String {
        var text = self[...]
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
