public import EnsembleCore

/// Decodes the drafting agents' configuration files; errors name the file and the field.
public enum DraftingConfigurationDecoder {
    public static func interventions(_ bytes: [UInt8], file: String) throws(FormatError) -> InterventionLexicon {
        let root = try self.root(bytes, file: file)
        var techniques: [InterventionLexicon.Technique] = []
        for item in try root.required("techniques", expected: "an array of techniques").array() {
            techniques.append(
                InterventionLexicon.Technique(
                    id: try item.required("id", expected: "the technique's id").text(),
                    modality: try item.required("modality", expected: "the modality (DBT, CBT …)").text(),
                    name: try item.required("name", expected: "a short name").text(),
                    description: try item.required("description", expected: "what the clinician did").text(),
                    phrases: try item.required("phrases", expected: "phrases that show it").strings(),
                    sensitive: try item.optional("sensitive")?.bool() ?? false
                )
            )
        }
        return InterventionLexicon(
            version: try self.version(root), techniques: techniques,
            groupAddress: try root.required("groupAddress", expected: "words that address the whole group").strings()
        )
    }

    public static func drafter(_ bytes: [UInt8], file: String) throws(FormatError) -> NoteDrafterConfiguration {
        let root = try self.root(bytes, file: file)
        var subjects: [SessionKind: String] = [:]
        for (kind, field) in try self.keyed(root, "subjects", SessionKind.self, what: "a session kind") {
            subjects[kind] = try field.text()
        }
        var formats: [NoteFormat: [NoteDrafterConfiguration.SectionTemplate]] = [:]
        for (format, field) in try self.keyed(root, "formats", NoteFormat.self, what: "a note format") {
            var sections: [NoteDrafterConfiguration.SectionTemplate] = []
            for section in try field.array(expected: "an array of sections") {
                var fields: [NoteField] = []
                for name in try section.required("fields", expected: "the note fields in this section").array() {
                    fields.append(try name.oneOf(NoteField.self))
                }
                sections.append(
                    NoteDrafterConfiguration.SectionTemplate(
                        title: try section.required("title", expected: "the section title").text(), fields: fields
                    )
                )
            }
            formats[format] = sections
        }
        for format in NoteFormat.allCases where formats[format] == nil {
            throw try root.required("formats", expected: "").error(
                .missingField, "has no \(format.rawValue) template; every note format needs one")
        }
        var notAssessed: [NoteField: String] = [:]
        for (noteField, field) in try self.keyed(root, "notAssessed", NoteField.self, what: "a note field") {
            notAssessed[noteField] = try field.text()
        }
        let similarity = try root.required("cloneSimilarity", expected: "a number between 0 and 1")
        let similarityValue = try similarity.number()
        guard (0...1).contains(similarityValue) else {
            throw similarity.error(.invalidValue, "expected a number between 0 and 1")
        }
        return NoteDrafterConfiguration(
            version: try self.version(root), subjects: subjects, formats: formats,
            phrases: try self.strings(root, "phrases"),
            notAssessed: notAssessed,
            disclaimer: try root.required("disclaimer", expected: "the draft disclaimer").text(),
            manualNote: try root.required("manualNote", expected: "the manual-note placeholder").text(),
            maximumReported: try root.required("maximumReported", expected: "a whole number").int(),
            minimumQuoteWords: try root.required("minimumQuoteWords", expected: "a whole number").int(),
            maximumQuoteWords: try root.required("maximumQuoteWords", expected: "a whole number").int(),
            salientWords: try root.required("salientWords", expected: "an array of words").strings(),
            fillers: try root.required("fillers", expected: "an array of words").strings(),
            supportPhrases: try root.required("supportPhrases", expected: "an array of phrases").strings(),
            planPhrases: try root.required("planPhrases", expected: "an array of phrases").strings(),
            planIgnorePhrases: try root.required("planIgnorePhrases", expected: "an array of phrases").strings(),
            planOfferPhrases: try root.required("planOfferPhrases", expected: "an array of phrases").strings(),
            commitmentPhrases: try root.required("commitmentPhrases", expected: "an array of phrases").strings(),
            responsePhrases: try root.required("responsePhrases", expected: "an array of phrases").strings(),
            cloneSimilarity: similarityValue,
            protectedTerms: try root.required("protectedTerms", expected: "an array of phrases").strings(),
            protectedSpan: max(0, try root.required("protectedSpan", expected: "a whole number of utterances").int())
        )
    }

    public static func summarizer(_ bytes: [UInt8], file: String) throws(FormatError) -> GroupSummarizerConfiguration {
        let root = try self.root(bytes, file: file)
        return GroupSummarizerConfiguration(
            version: try self.version(root), sectionTitles: try self.strings(root, "sectionTitles"),
            phrases: try self.strings(root, "phrases"),
            supportPhrases: try root.required("supportPhrases", expected: "an array of phrases").strings(),
            conflictPhrases: try root.required("conflictPhrases", expected: "an array of phrases").strings()
        )
    }

    public static func aligner(_ bytes: [UInt8], file: String) throws(FormatError) -> PlanAlignerConfiguration {
        let root = try self.root(bytes, file: file)
        var synonyms: [String: [String]] = [:]
        for (key, field) in try root.required("synonyms", expected: "an object of word lists").members() {
            synonyms[key] = try field.strings()
        }
        var themes: [PlanAlignerConfiguration.ConflictTheme] = []
        for item in try root.required("conflictThemes", expected: "an array of themes").array() {
            themes.append(
                PlanAlignerConfiguration.ConflictTheme(
                    name: try item.required("name", expected: "the theme's name").text(),
                    sideA: try item.required("sideA", expected: "phrases for one direction").strings(),
                    sideB: try item.required("sideB", expected: "phrases for the other direction").strings(),
                    suggestion: try item.required("suggestion", expected: "a suggested shared objective").text()
                )
            )
        }
        return PlanAlignerConfiguration(
            version: try self.version(root),
            stopwords: try root.required("stopwords", expected: "an array of words").strings(),
            synonyms: synonyms,
            progressCues: try root.required("progressCues", expected: "an array of phrases").strings(),
            regressCues: try root.required("regressCues", expected: "an array of phrases").strings(),
            stableCues: try root.required("stableCues", expected: "an array of phrases").strings(),
            negations: try root.required("negations", expected: "an array of words").strings(),
            minimumOverlap: max(1, try root.required("minimumOverlap", expected: "a whole number").int()),
            conflictThemes: themes
        )
    }

    public static func screener(_ bytes: [UInt8], file: String) throws(FormatError) -> RiskScreenerConfiguration {
        let root = try self.root(bytes, file: file)
        var rules: [RiskScreenerConfiguration.Rule] = []
        for item in try root.required("rules", expected: "an array of rules").array() {
            rules.append(
                RiskScreenerConfiguration.Rule(
                    category: try item.required("category", expected: "a risk category").oneOf(RiskCategory.self),
                    level: try item.required("level", expected: "a risk level").oneOf(RiskLevel.self),
                    pastLevel: try item.required("pastLevel", expected: "a risk level").oneOf(RiskLevel.self),
                    cssrsItem: try item.optional("cssrsItem")?.int(expected: "a C-SSRS item, 1 to 6"),
                    subject: try item.required("subject", expected: "who the phrase is about").oneOf(
                        RiskScreenerConfiguration.Subject.self),
                    indicator: try item.required("indicator", expected: "what the rule finds, in words").text(),
                    patterns: try item.required("patterns", expected: "an array of word patterns").strings(),
                    speakerAge: try item.optional("speakerAge")?.oneOf(RiskScreenerConfiguration.SpeakerAge.self)
                        ?? .any,
                    answerOnly: try item.optional("answerOnly")?.bool() ?? false
                )
            )
        }
        var questions: [RiskScreenerConfiguration.Question] = []
        for item in try root.required("questions", expected: "an array of questions").array() {
            questions.append(
                RiskScreenerConfiguration.Question(
                    category: try item.required("category", expected: "a risk category").oneOf(RiskCategory.self),
                    patterns: try item.required("patterns", expected: "an array of word patterns").strings()
                )
            )
        }
        func list(_ key: String) throws(FormatError) -> [String] {
            try root.required(key, expected: "an array of phrases").strings()
        }
        return RiskScreenerConfiguration(
            version: try self.version(root), rules: rules, questions: questions, negations: try list("negations"),
            hypotheticals: try list("hypotheticals"), selfQuestions: try list("selfQuestions"),
            pastCues: try list("pastCues"),
            recentCues: try list("recentCues"), denials: try list("denials"),
            reportedSpeech: try list("reportedSpeech"),
            item9Level: try root.required("item9Level", expected: "a risk level").oneOf(RiskLevel.self)
        )
    }

    /// The members of an object whose keys must be one of an enumeration's raw values.
    private static func keyed<Key: RawRepresentable & CaseIterable>(
        _ root: JSONField, _ name: String, _: Key.Type, what: String
    ) throws(FormatError) -> [(Key, JSONField)] where Key.RawValue == String {
        var result: [(Key, JSONField)] = []
        for (raw, field) in try root.required(name, expected: "an object keyed by \(what)").members() {
            guard let key = Key(rawValue: raw) else {
                throw field.error(
                    .invalidValue,
                    "is not \(what); expected one of \(Key.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            result.append((key, field))
        }
        return result
    }

    static func root(_ bytes: [UInt8], file: String) throws(FormatError) -> JSONField {
        let decoded = try TextDecoding.decode(bytes, file: file)
        let root = JSONField(node: try JSONParser.parse(decoded.text, file: file), file: file)
        guard root.node.members != nil else { throw root.error(.wrongType, "expected a JSON object") }
        return root
    }

    static func version(_ root: JSONField) throws(FormatError) -> String {
        try root.required("version", expected: "the configuration version").text()
    }

    private static func strings(_ root: JSONField, _ key: String) throws(FormatError) -> [String: String] {
        var result: [String: String] = [:]
        for (name, field) in try root.required(key, expected: "an object of strings").members() {
            result[name] = try field.string()
        }
        return result
    }
}
