/// The pure procedure behind `GroupSummarizer`: the group (or family) note, linked to every present
/// attendee. It describes the session, theme, interventions by modality, group process (members
/// responding to one another, support, disagreement), attendance by counts and the plan. It names no
/// attendee; assembly also runs the name filter over it.
public struct GroupSummary: Sendable {
    public let configuration: GroupSummarizerConfiguration
    private let support: PhraseIndex<Bool>
    private let conflict: PhraseIndex<Bool>
    private let plan: PlanSentences
    private let fillers: Set<String>
    private let maximumQuoteWords: Int

    /// - Parameter wording: the note drafter's configuration, for its plan phrases and quote rules.
    public init(configuration: GroupSummarizerConfiguration, wording: NoteDrafterConfiguration) {
        self.configuration = configuration
        self.support = PhraseIndex(configuration.supportPhrases.map { ($0, true) })
        self.conflict = PhraseIndex(configuration.conflictPhrases.map { ($0, true) })
        self.plan = PlanSentences(wording)
        self.fillers = Set(wording.fillers.map { TextFolding.fold($0) })
        self.maximumQuoteWords = wording.maximumQuoteWords
    }

    public func summarize(_ facts: SessionFacts) -> GroupNote {
        let session = facts.session
        let present = session.attendees.filter(\.present)
        var sections: [NoteSection] = []

        // Session
        let clinicians = session.clinicians.map { clinician in
            clinician.credentials.map { "\(clinician.name), \($0)" } ?? clinician.name
        }
        let modality =
            session.modality.map { self.configuration.phrase("modality.\($0.rawValue)") }
            ?? self.configuration.phrase("modality.unknown")
        sections.append(
            NoteSection(
                title: self.configuration.title("session"),
                sentences: [
                    .metadata(
                        self.configuration.phrase(
                            "session",
                            [
                                "kind": self.configuration.phrase("kind.\(session.kind.rawValue)"),
                                "duration": String(session.durationMinutes),
                                "modality": modality, "clinicians": NoteDrafting.list(clinicians),
                            ]
                        ),
                        source: "kind,start,end,modality,clinicians"
                    )
                ]
            )
        )

        // Theme
        var theme: [NoteSentence] = []
        if let title = session.title {
            theme.append(.metadata(self.configuration.phrase("theme.title", ["title": title]), source: "title"))
        }
        let parts = facts.segmented.segments.filter { $0.kind != "discussion" }
        if !parts.isEmpty {
            var names: [String] = []
            for part in parts {
                let name = self.configuration.phrase("segment.\(part.kind)")
                if names.last != name { names.append(name) }
            }
            theme.append(
                NoteSentence(
                    self.configuration.phrase("theme.flow", ["parts": NoteDrafting.list(names)]),
                    evidence: parts.flatMap { $0.evidence.prefix(1) }
                )
            )
        }
        // A summary's bullets about the group are the clinician's own account of it.
        if facts.isSummary {
            for u in 0..<facts.utteranceCount where facts.isClinician[u] && facts.speaker[u] == nil {
                let text = facts.segmented.texts[u]
                guard !text.sentences.indices.contains(where: { self.plan.isPlan(text, sentence: $0) }),
                    let quote = NoteDrafting.clean(
                        facts.segmented.utterances[u].text, fillers: self.fillers, maximumWords: self.maximumQuoteWords)
                else { continue }
                theme.append(.quoting(u, self.configuration.phrase("theme.summary", ["quote": quote])))
            }
        }
        sections.append(
            NoteSection(
                title: self.configuration.title("theme"),
                sentences: theme.isEmpty ? [.notAssessed(self.configuration.phrase("theme.none"))] : theme))

        // Interventions, by modality; safety work in sentences of its own (see `Technique.sensitive`).
        var byModality: [String: (names: [String], evidence: [Int])] = [:]
        var modalities: [String] = []
        for u in 0..<facts.utteranceCount where facts.isClinician[u] {
            for index in facts.interventions[u] {
                let technique = facts.technique(index)
                let key = technique.sensitive ? technique.modality + "\u{0}" + technique.id : technique.modality
                if byModality[key] == nil { modalities.append(key) }
                var entry = byModality[key] ?? ([], [])
                // A technique about a topic (psychoeducation) is named by its topic where it has one.
                let name = facts.topic(of: index, in: [u]) ?? technique.name
                if !entry.names.contains(name) { entry.names.append(name) }
                if entry.evidence.count < 4 && entry.evidence.last != u { entry.evidence.append(u) }
                byModality[key] = entry
            }
        }
        let interventions = modalities.map { key in
            NoteSentence(
                self.configuration.phrase(
                    "interventions.modality",
                    [
                        "modality": String(key.prefix { $0 != "\u{0}" }),
                        "techniques": NoteDrafting.list(byModality[key]!.names),
                    ]
                ),
                evidence: byModality[key]!.evidence
            )
        }
        sections.append(
            NoteSection(
                title: self.configuration.title("interventions"),
                sentences: interventions.isEmpty
                    ? [.notAssessed(self.configuration.phrase("interventions.none"))] : interventions
            )
        )

        // Group process: attendees answering one another, support and disagreement.
        var responses: [Int] = []
        var supportive: [Int] = []
        var disagreements: [Int] = []
        for u in 0..<facts.utteranceCount where facts.speaker[u] != nil && !facts.isClinician[u] {
            let words = facts.segmented.texts[u].words
            let previous = facts.previousSpeech(before: u)
            let answersPeer =
                previous.map {
                    facts.speaker[$0] != nil && !facts.isClinician[$0] && facts.speaker[$0] != facts.speaker[u]
                }
                ?? false
            let addressesPeer = facts.addressees[u].contains { $0 != facts.speaker[u] }
            guard answersPeer || addressesPeer else { continue }
            responses.append(u)
            if self.support.containsMatch(in: words) { supportive.append(u) }
            if self.conflict.containsMatch(in: words) { disagreements.append(u) }
        }
        let family = session.kind != .group
        let suffix = session.kind == .couples ? ".couples" : session.kind == .group ? "" : ".family"
        var process: [NoteSentence] = []
        if facts.isSummary {
            // Bullets are not turns: who followed whom says nothing about how members interacted.
            process.append(.notAssessed(self.configuration.phrase("process.summary")))
        } else if responses.isEmpty {
            process.append(.notAssessed(self.configuration.phrase("process.none" + suffix)))
        } else {
            process.append(
                NoteSentence(
                    self.configuration.phrase("process.responses" + suffix, ["count": String(responses.count)]),
                    evidence: Array(responses.prefix(5))
                )
            )
            if !supportive.isEmpty {
                process.append(
                    NoteSentence(
                        self.configuration.phrase("process.support", ["count": String(supportive.count)]),
                        evidence: Array(supportive.prefix(5)))
                )
            }
            if !disagreements.isEmpty {
                process.append(
                    NoteSentence(
                        self.configuration.phrase("process.conflict", ["count": String(disagreements.count)]),
                        evidence: Array(disagreements.prefix(5))
                    )
                )
            }
        }
        sections.append(NoteSection(title: self.configuration.title("process"), sentences: process))

        // Attendance, by counts (and relationships in a family).
        var attendance = [
            NoteSentence.metadata(
                self.configuration.phrase(
                    family ? "attendance.family" : "attendance",
                    [
                        "present": String(present.count), "total": String(session.attendees.count),
                        "absent": String(session.attendees.count - present.count),
                    ]
                ),
                source: "attendees.present"
            )
        ]
        if session.kind == .multiFamilyGroup {
            let families = Set(present.map { session.family(of: $0) }).count
            let patients = present.filter { $0.role == .identifiedPatient }.count
            attendance.append(
                .metadata(
                    self.configuration.phrase(
                        "attendance.families",
                        [
                            "families": String(families), "patients": String(patients),
                            "relatives": String(present.count - patients),
                        ]
                    ),
                    source: "attendees.relatedTo"
                )
            )
        } else if family {
            let roles = present.map { attendee -> String in
                if attendee.role == .identifiedPatient { return self.configuration.phrase("role.identifiedPatient") }
                guard let relationship = attendee.relationship else {
                    return self.configuration.phrase("role.\(attendee.role.rawValue)")
                }
                return self.configuration.phrase("role.relative", ["relationship": relationship])
            }
            attendance.append(
                .metadata(
                    self.configuration.phrase("attendance.roles", ["roles": NoteDrafting.list(roles)]),
                    source: "attendees.relationship"))
        }
        sections.append(NoteSection(title: self.configuration.title("attendance"), sentences: attendance))

        // Plan: what the clinicians set for everyone (plans for one member stay in that member's note).
        var plan: [NoteSentence] = []
        for u in 0..<facts.utteranceCount where facts.isClinician[u] && plan.count < 3 {
            for sentence in facts.clinicianSentences[u] where sentence.isGroupWide && plan.count < 3 {
                guard self.plan.isPlan(facts, u, sentence),
                    let quote = NoteDrafting.clean(
                        facts.sentence(u, sentence.index), fillers: self.fillers, maximumWords: self.maximumQuoteWords)
                else { continue }
                plan.append(.quoting(u, self.configuration.phrase("plan", ["quote": quote])))
            }
        }
        sections.append(
            NoteSection(
                title: self.configuration.title("plan"),
                sentences: plan.isEmpty ? [.notAssessed(self.configuration.phrase("plan.none"))] : plan))

        return GroupNote(attendees: present.map(\.id), sections: sections)
    }
}

/// Writes the group or family note. The work is the pure `GroupSummary`.
public actor GroupSummarizer: GroupSummarizingAgent {
    private let summary: GroupSummary
    public private(set) var job: AgentJob?

    public init(configuration: GroupSummarizerConfiguration, wording: NoteDrafterConfiguration) {
        self.init(compiled: GroupSummary(configuration: configuration, wording: wording))
    }

    /// An instance over configuration compiled once for many.
    public init(compiled summary: GroupSummary) { self.summary = summary }

    public func summarize(_ context: DraftingContext) async throws -> GroupNote {
        try AgentJob.perform(&self.job, .groupSummarizer, session: context.facts.session.id) {
            self.summary.summarize(context.facts)
        }
    }
}
