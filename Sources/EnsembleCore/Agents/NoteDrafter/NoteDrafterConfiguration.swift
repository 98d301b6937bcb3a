/// The NoteDrafter's configuration (`Agents/note-drafter/`): the practice's wording and note templates.
public struct NoteDrafterConfiguration: Sendable, Hashable {
    public struct SectionTemplate: Sendable, Hashable {
        public var title: String
        public var fields: [NoteField]

        public init(title: String, fields: [NoteField]) {
            self.title = title
            self.fields = fields
        }
    }

    public var version: String
    /// How a note names its own client, per session kind (`Member`, `Client`).
    public var subjects: [SessionKind: String]
    /// How a note names an attendee who is not the client, by role and, more precisely, by role and
    /// session kind (`familyMember`: `Family member`; `familyMember.individual`: `Collateral contact`).
    /// A role with no entry is named as the session kind's client.
    public var roleSubjects: [String: String]
    /// The most two members' notes may share of their member-specific lines (transcript-based, not
    /// group-level), as a share of the lines of both; above it, a clone finding names the two.
    public var sharedLineLimit: Double
    /// Whether a relative attending an individual session as a collateral contact gets a collateral
    /// contact note (true) or none (false; the run lists them as skipped, `collateral`).
    public var collateralNotes: Bool
    /// The sections of each note format and the fields each holds.
    public var formats: [NoteFormat: [SectionTemplate]]
    /// Sentence templates with `{placeholders}`; see the configuration file for each key.
    public var phrases: [String: String]
    /// What to write for a field the session did not cover.
    public var notAssessed: [NoteField: String]
    public var disclaimer: String
    public var manualNote: String
    public var maximumReported: Int
    public var minimumQuoteWords: Int
    public var maximumQuoteWords: Int
    /// Words that make a client's sentence worth reporting (symptoms, events, skills).
    public var salientWords: [String]
    /// Openers stripped from quotes (`um`, `so`, `yeah`).
    public var fillers: [String]
    /// Phrases of support between members (`glad you're back`).
    public var supportPhrases: [String]
    /// Phrases that mark a plan, homework or follow-up in what a clinician says.
    public var planPhrases: [String]
    /// Phrases that make a sentence a pleasantry rather than a plan (`see you next week`).
    public var planIgnorePhrases: [String]
    /// A question sets a plan only as an offer (`Would you be willing to …?`), not `How was your week?`.
    public var planOfferPhrases: [String]
    /// Openings of a client's sentence that commit to something (`I'll try`, `I'm going to`).
    public var commitmentPhrases: [String]
    /// Openings that look like a commitment and are not (`I'll be honest`).
    public var commitmentExceptions: [String] = []
    /// How a member took to an intervention (`helpful`, `doubtful`, `willing`), each recognised by
    /// patterns of the pattern language in the member's reply.
    public var responseKinds: [ResponseKind]
    /// The shared vocabulary the response patterns are written over.
    public var language: PatternLanguage
    /// Above this similarity two notes are reported as near-copies.
    public var cloneSimilarity: Double
    /// Words that mark talk of violence or abuse; in couples and family sessions a sentence holding
    /// them never reaches a note other than the one harmed's (nor the shared note).
    public var protectedTerms: [String]
    /// How many utterances after a risk disclosure belong to it (the clinician's response, the
    /// other partner's reply) and are withheld from other attendees' notes.
    public var protectedSpan: Int
    /// How a member's first-person statements become third-person reported speech.
    public var reportedSpeech: ReportedSpeechConfiguration

    public init(
        version: String, subjects: [SessionKind: String], formats: [NoteFormat: [SectionTemplate]],
        phrases: [String: String], notAssessed: [NoteField: String], disclaimer: String, manualNote: String,
        maximumReported: Int, minimumQuoteWords: Int, maximumQuoteWords: Int, salientWords: [String], fillers: [String],
        supportPhrases: [String], planPhrases: [String], planIgnorePhrases: [String], planOfferPhrases: [String],
        commitmentPhrases: [String], responseKinds: [ResponseKind] = [],
        language: PatternLanguage = PatternLanguage(version: "none"),
        cloneSimilarity: Double, protectedTerms: [String] = [], protectedSpan: Int = 8,
        roleSubjects: [String: String] = [:], sharedLineLimit: Double = 0.2, collateralNotes: Bool = true,
        reportedSpeech: ReportedSpeechConfiguration = ReportedSpeechConfiguration()
    ) {
        self.reportedSpeech = reportedSpeech
        self.collateralNotes = collateralNotes
        self.sharedLineLimit = sharedLineLimit
        self.version = version
        self.subjects = subjects
        self.roleSubjects = roleSubjects
        self.formats = formats
        self.phrases = phrases
        self.notAssessed = notAssessed
        self.disclaimer = disclaimer
        self.manualNote = manualNote
        self.maximumReported = maximumReported
        self.minimumQuoteWords = minimumQuoteWords
        self.maximumQuoteWords = maximumQuoteWords
        self.salientWords = salientWords
        self.fillers = fillers
        self.supportPhrases = supportPhrases
        self.planPhrases = planPhrases
        self.planIgnorePhrases = planIgnorePhrases
        self.planOfferPhrases = planOfferPhrases
        self.commitmentPhrases = commitmentPhrases
        self.responseKinds = responseKinds
        self.language = language
        self.cloneSimilarity = cloneSimilarity
        self.protectedTerms = protectedTerms
        self.protectedSpan = protectedSpan
    }

    /// A phrase with its placeholders filled; a missing key yields the key itself, so a gap shows.
    /// How the note of `attendee` in a session of `kind` names them.
    public func subject(for attendee: Attendee, in kind: SessionKind) -> String {
        self.roleSubjects["\(attendee.role.rawValue).\(kind.rawValue)"] ?? self.roleSubjects[attendee.role.rawValue]
            ?? self.subjects[kind] ?? "Client"
    }

    public func phrase(_ key: String, _ values: [String: String] = [:]) -> String {
        Self.fill(self.phrases, key, values)
    }

    /// `phrases[key]` with each `{name}` replaced by `values[name]`.
    /// One pass over the template: a value is never read again as a template, and a `{name}` with no
    /// value stays as written.
    static func fill(_ phrases: [String: String], _ key: String, _ values: [String: String]) -> String {
        var template = phrases[key] ?? key
        guard !values.isEmpty else { return template }
        return template.withUTF8 { bytes -> String in
            var output: [UInt8] = []
            var copied = 0
            var start = 0
            // Each `}` closes the nearest `{` before it; a name is matched against the few values by bytes.
            for close in 0..<bytes.count where bytes[close] == UInt8(ascii: "}") {
                defer { start = close + 1 }
                guard let open = (start..<close).last(where: { bytes[$0] == UInt8(ascii: "{") }) else { continue }
                let name = UnsafeBufferPointer(rebasing: bytes[(open + 1)..<close])
                guard let value = values.first(where: { $0.key.utf8.elementsEqual(name) })?.value else { continue }
                if output.isEmpty { output.reserveCapacity(bytes.count + 64) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<open]))
                output.append(contentsOf: value.utf8)
                copied = close + 1
            }
            guard copied > 0 else { return String(decoding: bytes, as: UTF8.self) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
            return String(decoding: output, as: UTF8.self)
        }
    }
}

/// One way a member may take to an intervention, as the note writes it.
public struct ResponseKind: Sendable, Hashable {
    public var id: String
    /// A clause after the subject, with `{what}` for the intervention (`reported that {what} helped`).
    public var description: String
    public var patterns: [String]
    public var source: String?

    public init(id: String, description: String, patterns: [String], source: String? = nil) {
        self.id = id
        self.description = description
        self.patterns = patterns
        self.source = source
    }
}
