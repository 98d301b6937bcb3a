public import EnsembleCore

/// Decodes the drafting agents' configuration files; errors name the file and the field.
public enum DraftingConfigurationDecoder {
    public static func interventions(_ bytes: [UInt8], file: String, language: PatternLanguage? = nil)
        throws(FormatError) -> InterventionLexicon
    {
        let root = try self.root(bytes, file: file)
        var techniques: [InterventionLexicon.Technique] = []
        var fields: [String: JSONField] = [:]
        for item in try root.required("techniques", expected: "an array of techniques").array() {
            var topics: [(label: String, words: [String])] = []
            if let field = try item.optional("topics") {
                for (label, words) in try field.members() { topics.append((label, try words.strings())) }
            }
            let id = try item.required("id", expected: "the technique's id").text()
            fields[id] = item
            var technique = InterventionLexicon.Technique(
                id: id,
                modality: try item.required("modality", expected: "the modality (DBT, CBT …)").text(),
                name: try item.required("name", expected: "a short name").text(),
                description: try item.required("description", expected: "what the clinician did").text(),
                phrases: try item.optional("phrases")?.strings() ?? [],
                sensitive: try item.optional("sensitive")?.bool() ?? false,
                patterns: try item.optional("patterns")?.strings() ?? [],
                source: try item.optional("source")?.text(),
                questionOnly: try item.optional("questionOnly")?.bool() ?? false,
                topics: topics,
                topicDescription: try item.optional("topicDescription")?.text()
            )
            technique.generic = try item.optional("generic")?.bool() ?? false
            technique.practice = try item.optional("practice")?.bool() ?? false
            technique.inSession = try item.optional("inSession")?.bool() ?? false
            techniques.append(technique)
        }
        let lexicon = InterventionLexicon(
            version: try self.version(root), techniques: techniques,
            groupAddress: try root.required("groupAddress", expected: "words that address the whole group").strings(),
            language: language ?? PatternLanguage(version: "none")
        )
        do {
            _ = try lexicon.compiledPatterns()
        } catch {
            let field = fields[error.technique].flatMap { try? $0.optional("patterns") } ?? root
            throw field.error(.invalidValue, "pattern `\(error.pattern)` does not compile: \(error.reason)")
        }
        return lexicon
    }

    public static func drafter(_ bytes: [UInt8], file: String, language: PatternLanguage? = nil) throws(FormatError)
        -> NoteDrafterConfiguration
    {
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
        var configuration = NoteDrafterConfiguration(
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
            responseKinds: try self.responseKinds(root, language: language),
            language: language ?? PatternLanguage(version: "none"),
            cloneSimilarity: similarityValue,
            protectedTerms: try root.required("protectedTerms", expected: "an array of phrases").strings(),
            protectedSpan: max(0, try root.required("protectedSpan", expected: "a whole number of utterances").int()),
            roleSubjects: try self.roleSubjects(root),
            sharedLineLimit: try self.fraction(root, "sharedLineLimit") ?? 0.2,
            collateralNotes: try self.collateralNotes(root),
            reportedSpeech: try self.reportedSpeech(root, irregular: language?.irregular ?? [:])
        )
        configuration.commitmentExceptions = try root.optional("commitmentExceptions")?.strings() ?? []
        return configuration
    }

    /// `reportedSpeech`: pronoun sets and the word tables that turn first person into third.
    private static func reportedSpeech(_ root: JSONField, irregular: [String: [String]]) throws(FormatError)
        -> ReportedSpeechConfiguration
    {
        guard let field = try root.optional("reportedSpeech") else { return ReportedSpeechConfiguration() }
        var pronouns: [String: ReportedSpeechConfiguration.Pronouns] = [:]
        for (key, set) in try field.required("pronouns", expected: "an object of pronoun sets").members() {
            func form(_ name: String) throws(FormatError) -> String {
                try set.required(name, expected: "the \(name) pronoun").text()
            }
            pronouns[key] = ReportedSpeechConfiguration.Pronouns(
                subject: try form("subject"), object: try form("object"), possessive: try form("possessive"),
                independent: try form("independent"), reflexive: try form("reflexive"),
                plural: try set.optional("plural")?.bool() ?? false)
        }
        let defaultField = try field.required("default", expected: "the pronoun set used when none is known")
        let defaultPronouns = try defaultField.text()
        guard pronouns[defaultPronouns] != nil else {
            throw defaultField.error(.invalidValue, "names no pronoun set in reportedSpeech.pronouns")
        }
        var relationships: [String: String] = [:]
        for (key, words) in try field.required("relationships", expected: "pronoun set → relationship words")
            .members()
        {
            guard pronouns[key] != nil else { throw words.error(.invalidValue, "names no pronoun set") }
            for word in try words.strings() { relationships[TextFolding.fold(word)] = key }
        }
        var agreement: [String: [String]] = [:]
        for (verb, forms) in try field.required("agreement", expected: "verb → [singular, plural]").members() {
            let list = try forms.strings()
            guard list.count == 2 else { throw forms.error(.invalidValue, "expected [singular form, plural form]") }
            agreement[verb] = list
        }
        func list(_ key: String, _ what: String) throws(FormatError) -> [String] {
            try field.required(key, expected: what).strings().map(TextFolding.fold)
        }
        var speech = ReportedSpeechConfiguration(
            pronouns: pronouns, defaultPronouns: defaultPronouns, relationshipPronouns: relationships,
            expansions: try self.strings(field, "expansions"), agreement: agreement,
            adverbs: try list("adverbs", "words between a subject and its verb"),
            unchanged: try list("unchanged", "verb forms that never agree"),
            direct: try list("direct", "words that keep a sentence a quote"),
            capitalised: try list("capitalised", "words always capitalised"),
            asides: try list("asides", "asides dropped before a comma"),
            fragmentOpeners: try list("fragmentOpeners", "first words of fragments"),
            presentInEd: try field.optional("presentInEd")?.strings().map(TextFolding.fold) ?? [],
            irregular: irregular)
        speech.openingAdverbs = try field.optional("openingAdverbs")?.strings().map(TextFolding.fold) ?? []
        return speech
    }

    /// `responses`: how a member may take to an intervention, each with patterns that must compile.
    private static func responseKinds(_ root: JSONField, language: PatternLanguage?) throws(FormatError)
        -> [ResponseKind]
    {
        guard let field = try root.optional("responses") else { return [] }
        var kinds: [ResponseKind] = []
        for item in try field.array(expected: "an array of response kinds") {
            let patternsField = try item.required("patterns", expected: "patterns of the pattern language")
            let kind = ResponseKind(
                id: try item.required("id", expected: "the response kind's id").text(),
                description: try item.required("description", expected: "what the member did").text(),
                patterns: try patternsField.strings(),
                source: try item.optional("source")?.text())
            if let language {
                do {
                    _ = try ConceptMatcher(kind.patterns.map { ($0, 0) }, language: language)
                } catch {
                    throw patternsField.error(
                        .invalidValue, "pattern `\(error.pattern)` does not compile: \(error.reason)")
                }
            }
            kinds.append(kind)
        }
        return kinds
    }

    /// `collateralNotes`: `note` (the default) or `none`.
    private static func collateralNotes(_ root: JSONField) throws(FormatError) -> Bool {
        guard let field = try root.optional("collateralNotes") else { return true }
        switch try field.text() {
        case "note": return true
        case "none": return false
        default: throw field.error(.invalidValue, "expected \"note\" or \"none\"")
        }
    }

    /// An optional number between 0 and 1.
    private static func fraction(_ root: JSONField, _ key: String) throws(FormatError) -> Double? {
        guard let field = try root.optional(key) else { return nil }
        let value = try field.number()
        guard (0...1).contains(value) else { throw field.error(.invalidValue, "expected a number between 0 and 1") }
        return value
    }

    /// `roleSubjects`: keys are an attendee role, or a role and a session kind (`familyMember.individual`).
    private static func roleSubjects(_ root: JSONField) throws(FormatError) -> [String: String] {
        guard let field = try root.optional("roleSubjects") else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in try field.members() {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), AttendeeRole(rawValue: parts[0]) != nil,
                parts.count == 1 || SessionKind(rawValue: parts[1]) != nil
            else {
                throw value.error(.invalidValue, "is not an attendee role, or a role and a session kind")
            }
            result[key] = try value.string()
        }
        return result
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
            conflictThemes: themes,
            reductionWords: try root.optional("reductionWords")?.strings() ?? [],
            decreaseCues: try root.optional("decreaseCues")?.strings() ?? []
        )
    }

    /// The shared pattern language (`Agents/language/config.json`).
    public static func language(_ bytes: [UInt8], file: String) throws(FormatError) -> PatternLanguage {
        let root = try self.root(bytes, file: file)
        var irregular: [String: [String]] = [:]
        for (word, field) in try root.required("irregular", expected: "an object of word → forms").members() {
            irregular[TextFolding.fold(word)] = try field.strings().map { TextFolding.fold($0) }
        }
        var spellings: [String: String] = [:]
        for (word, field) in try root.required("spellings", expected: "an object of spelling → word").members() {
            spellings[TextFolding.fold(word)] = TextFolding.fold(try field.text())
        }
        var classes: [String: [String]] = [:]
        for (name, field) in try root.required("classes", expected: "an object of class → phrases").members() {
            classes[name] = try field.strings()
        }
        return PatternLanguage(
            version: try self.version(root), irregular: irregular, spellings: spellings, classes: classes)
    }

    /// The RiskScreener's configuration over the shared pattern language; every pattern is compiled, and
    /// one that does not compile is an error naming the file, the key and the pattern.
    public static func screener(_ bytes: [UInt8], file: String, language: PatternLanguage) throws(FormatError)
        -> RiskScreenerConfiguration
    {
        let root = try self.root(bytes, file: file)
        func level(_ field: JSONField, _ key: String) throws(FormatError) -> RiskLevel {
            try field.required(key, expected: "a risk level").oneOf(RiskLevel.self)
        }
        func category(_ field: JSONField) throws(FormatError) -> RiskCategory? {
            let raw = try field.required("category", expected: "a risk category or \"violence\"").text()
            if raw == "violence" { return nil }
            return try field.required("category", expected: "a risk category").oneOf(RiskCategory.self)
        }
        func categoryLevels(_ item: JSONField) throws(FormatError) -> [RiskCategory: RiskLevel] {
            var levels: [RiskCategory: RiskLevel] = [:]
            if let field = try item.optional("categoryLevels") {
                for (raw, value) in try field.members() {
                    guard let key = RiskCategory(rawValue: raw) else {
                        throw value.error(.invalidValue, "is not a risk category")
                    }
                    levels[key] = try value.oneOf(RiskLevel.self)
                }
            }
            return levels
        }
        var concepts: [RiskScreenerConfiguration.Concept] = []
        for item in try root.required("concepts", expected: "an array of concepts").array() {
            let levels = try categoryLevels(item)
            // A pattern is a string, or {"pattern", "source"} naming the instrument item it paraphrases.
            var patterns: [String] = []
            var patternSources: [String: String] = [:]
            for entry in try item.optional("patterns")?.array(expected: "an array of patterns") ?? [] {
                if entry.node.members != nil {
                    let pattern = try entry.required("pattern", expected: "the pattern").text()
                    patterns.append(pattern)
                    patternSources[pattern] = try entry.required("source", expected: "its clinical source").text()
                } else {
                    patterns.append(try entry.text(expected: "a pattern"))
                }
            }
            concepts.append(
                RiskScreenerConfiguration.Concept(
                    id: try item.required("id", expected: "the concept's id").text(),
                    category: try category(item),
                    reading: try item.required("reading", expected: "experiencer or target").oneOf(
                        RiskScreenerConfiguration.Reading.self),
                    level: try level(item, "level"), pastLevel: try level(item, "pastLevel"),
                    cssrsItem: try item.optional("cssrsItem")?.int(expected: "a C-SSRS item, 1 to 6"),
                    indicator: try item.required("indicator", expected: "what it finds, in words").text(),
                    source: try item.required("source", expected: "the clinical source it paraphrases").text(),
                    patterns: patterns,
                    answerOnly: try item.optional("answerOnly")?.bool() ?? false,
                    timingMatters: try item.optional("timingMatters")?.bool() ?? false,
                    passive: try item.optional("passive")?.bool() ?? false,
                    categoryLevels: levels,
                    needsContext: try item.optional("needsContext")?.bool() ?? false,
                    cues: try (item.optional("cues")?.array(expected: "an array of pattern groups") ?? []).map {
                        (group: JSONField) throws(FormatError) -> [String] in try group.strings()
                    },
                    patternSources: patternSources
                )
            )
        }
        var questions: [RiskScreenerConfiguration.Question] = []
        for item in try root.required("questions", expected: "an array of questions").array() {
            questions.append(
                RiskScreenerConfiguration.Question(
                    id: try item.required("id", expected: "the question's id").text(),
                    category: try category(item),
                    level: try level(item, "level"),
                    cssrsItem: try item.optional("cssrsItem")?.int(expected: "a C-SSRS item, 1 to 6"),
                    indicator: try item.required("indicator", expected: "what it asks, in words").text(),
                    source: try item.required("source", expected: "the instrument it comes from").text(),
                    yesIsSafe: try item.optional("yesIsSafe")?.bool() ?? false,
                    asksRecency: try item.optional("asksRecency")?.bool() ?? false,
                    patterns: try item.required("patterns", expected: "an array of patterns").strings(),
                    categoryLevels: try categoryLevels(item)
                )
            )
        }
        let contextField = try root.required("context", expected: "the context rules")
        func list(_ field: JSONField, _ key: String) throws(FormatError) -> [String] {
            try field.required(key, expected: "an array of patterns").strings()
        }
        let context = RiskScreenerConfiguration.Context(
            negations: try list(contextField, "negations"), pseudoNegations: try list(contextField, "pseudoNegations"),
            terminators: try list(contextField, "terminators"), hypotheticals: try list(contextField, "hypotheticals"),
            selfQuestions: try list(contextField, "selfQuestions"), historical: try list(contextField, "historical"),
            recent: try list(contextField, "recent"), reportVerbs: try list(contextField, "reportVerbs"),
            generic: try list(contextField, "generic"), figurative: try list(contextField, "figurative"),
            imagined: try list(contextField, "imagined"))
        let answersField = try root.required("answers", expected: "how answers read")
        let answers = RiskScreenerConfiguration.Answers(
            affirmed: try list(answersField, "affirmed"), denied: try list(answersField, "denied"),
            hedged: try list(answersField, "hedged"), unclear: try list(answersField, "unclear"))
        let relationsField = try root.required("relations", expected: "words for relatives")
        let relations = RiskScreenerConfiguration.Relations(
            partner: try list(relationsField, "partner"), parent: try list(relationsField, "parent"),
            child: try list(relationsField, "child"), grandparent: try list(relationsField, "grandparent"),
            sibling: try list(relationsField, "sibling"), carer: try list(relationsField, "carer"),
            female: try list(relationsField, "female"), male: try list(relationsField, "male"))
        var followUps: [RiskScreenerConfiguration.FollowUp] = []
        for item in try root.optional("followUps")?.array(expected: "an array of follow-ups") ?? [] {
            followUps.append(
                RiskScreenerConfiguration.FollowUp(
                    id: try item.required("id", expected: "the follow-up's id").text(),
                    indicator: try item.required("indicator", expected: "what it is, in words").text(),
                    source: try item.required("source", expected: "the guidance it comes from").text(),
                    patterns: try item.required("patterns", expected: "an array of patterns").strings()))
        }
        let configuration = RiskScreenerConfiguration(
            version: try self.version(root), language: language, concepts: concepts, questions: questions,
            context: context, answers: answers, relations: relations,
            elderAge: try root.required("elderAge", expected: "an age in years").int(),
            item9Level: try level(root, "item9Level"), followUps: followUps,
            followUpSpan: try root.optional("followUpSpan")?.int(expected: "a number of utterances") ?? 60)
        do {
            _ = try RiskScreening.compile(configuration)
        } catch {
            throw root.error(.invalidValue, "\(error.description)")
        }
        return configuration
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
