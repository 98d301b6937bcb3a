public import EnsembleCore
public import EnsembleFormats

/// A labelled suite of spoken risk statements (`Tests/Fixtures/risk-suite/suite.json`, written from
/// clinical sources before the rules) and how the RiskScreener scores on it.
public struct RiskSuite: Sendable {
    public struct Person: Sendable {
        public var name: String
        public var age: Int
        public var relationship: String?
        public var identifiedPatient: Bool
    }

    public struct Setting: Sendable {
        public var kind: SessionKind
        public var clinician: String
        public var people: [Person]
    }

    public struct Expectation: Sendable, Hashable {
        public var category: RiskCategory
        public var minimumLevel: RiskLevel
        public var maximumLevel: RiskLevel?
        /// A roster name, or nil for someone outside the roster.
        public var person: String?
    }

    public struct Case: Sendable {
        public var id: String
        public var setting: String
        public var lines: [(speaker: String, text: String)]
        public var expect: [Expectation]
        public var denied: [(category: RiskCategory, person: String)]
    }

    public var settings: [String: Setting]
    public var cases: [Case]

    /// Reads a suite file; errors name the file, line and field.
    public static func load(_ path: String, reader: FileReader = FileReader()) throws(FormatError) -> RiskSuite {
        let bytes = try reader.read(path, display: path, limit: reader.documentLimit)
        let decoded = try TextDecoding.decode(bytes, file: path)
        let root = JSONField(node: try JSONParser.parse(decoded.text, file: path), file: path)
        var settings: [String: Setting] = [:]
        for (name, field) in try root.required("settings", expected: "the suite's rosters").members() {
            let kind: SessionKind =
                switch name {
                case "couples": .couples
                case "family": .family
                case "group": .group
                default: .individual
                }
            var people: [Person] = []
            for item in try field.required("people", expected: "an array of people").array() {
                people.append(
                    Person(
                        name: try item.required("name", expected: "a name").text(),
                        age: try item.required("age", expected: "an age").int(),
                        relationship: try item.optional("relationship")?.text(),
                        identifiedPatient: try item.optional("identifiedPatient")?.bool() ?? false))
            }
            settings[name] = Setting(
                kind: kind, clinician: try field.required("clinician", expected: "a name").text(), people: people)
        }
        var cases: [Case] = []
        for item in try root.required("cases", expected: "an array of cases").array() {
            var lines: [(String, String)] = []
            for line in try item.required("lines", expected: "an array of lines").array() {
                lines.append(
                    (
                        try line.required("speaker", expected: "a speaker").text(),
                        try line.required("text", expected: "what was said").text()
                    ))
            }
            var expect: [Expectation] = []
            for entry in try item.required("expect", expected: "an array of expected flags").array() {
                let person = try entry.required("person", expected: "the person at risk").text()
                expect.append(
                    Expectation(
                        category: try entry.required("category", expected: "a risk category").oneOf(RiskCategory.self),
                        minimumLevel: try entry.required("minLevel", expected: "a risk level").oneOf(RiskLevel.self),
                        maximumLevel: try entry.optional("maxLevel")?.oneOf(RiskLevel.self),
                        person: person == "outside" ? nil : person))
            }
            var denied: [(RiskCategory, String)] = []
            for entry in try item.optional("denied")?.array() ?? [] {
                denied.append(
                    (
                        try entry.required("category", expected: "a risk category").oneOf(RiskCategory.self),
                        try entry.required("person", expected: "who denied it").text()
                    ))
            }
            let setting = try item.required("setting", expected: "group, couples or family")
            guard settings[try setting.text()] != nil else {
                throw setting.error(.invalidValue, "names a setting the suite does not define")
            }
            cases.append(
                Case(
                    id: try item.required("id", expected: "the case's id").text(), setting: try setting.text(),
                    lines: lines, expect: expect, denied: denied))
        }
        return RiskSuite(settings: settings, cases: cases)
    }

    /// The session and transcript of one case: the setting's roster, each line bound to its speaker.
    public func session(for item: Case) -> (Session, Transcript) {
        let setting = self.settings[item.setting]!
        let start = Timestamp(secondsSinceEpoch: 1_780_000_000, utcOffsetSeconds: 0)
        let date = start.localDate
        func id(_ name: String) -> PersonID { PersonID("P-" + name) }
        let patient =
            setting.people.first { $0.identifiedPatient } ?? (setting.kind == .couples ? setting.people.first : nil)
        let attendees = setting.people.map { person -> Attendee in
            let isPatient = person.name == patient?.name
            let role: AttendeeRole =
                setting.kind == .group
                ? .member : isPatient ? .identifiedPatient : setting.kind == .couples ? .partner : .familyMember
            let relationship = person.relationship.map { TextFolding.fold($0) }
            let female: Set<String> = [
                "mother", "wife", "grandmother", "daughter", "girlfriend", "sister", "stepmother",
            ]
            let male: Set<String> = ["father", "husband", "grandfather", "son", "boyfriend", "brother", "stepfather"]
            // Sex from the relationship word only; a suite's identified patient has none.
            let sex: AdministrativeSex? = relationship.flatMap {
                female.contains($0) ? .female : male.contains($0) ? .male : nil
            }
            return Attendee(
                id: id(person.name), name: person.name, aliases: [person.name], role: role,
                relationship: isPatient ? nil : relationship,
                relatedTo: setting.kind == .group || isPatient ? nil : patient.map { id($0.name) }, present: true,
                dateOfBirth: CalendarDate(year: date.year - person.age - 1, month: 1, day: 1),
                consent: Consent(aiDrafting: true, part2: false), sex: sex)
        }
        var hints = [SpeakerHint(label: "clinician", people: [PersonID("PROV-S")])]
        hints += setting.people.map { SpeakerHint(label: $0.name, people: [id($0.name)]) }
        let session = Session(
            id: SessionID("SUITE-" + item.id), kind: setting.kind, start: start,
            end: Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + 3000, utcOffsetSeconds: 0), noteFormat: .soap,
            clinicians: [Clinician(id: PersonID("PROV-S"), name: setting.clinician, role: .primary)],
            attendees: attendees, speakerHints: hints)
        let transcript = Transcript(
            format: "suite",
            utterances: item.lines.enumerated().map { index, line in
                Utterance(
                    index: index, label: line.speaker, text: line.text, start: Double(index * 10),
                    end: Double(index * 10 + 8))
            })
        return (session, transcript)
    }
}

/// How the RiskScreener did on a suite.
public struct RiskSuiteReport: Sendable {
    public struct Tally: Sendable, Hashable {
        public var expected = 0
        public var found = 0
        public var recall: Double { self.expected == 0 ? 1 : Double(self.found) / Double(self.expected) }
    }

    /// One expectation the screener missed, or a must-not-flag case it flagged.
    public struct Failure: Sendable, Hashable {
        public var id: String
        public var what: String
    }

    public var byCategory: [RiskCategory: Tally] = [:]
    public var overall = Tally()
    public var mustNotFlag = 0
    public var falseAlarms: [Failure] = []
    public var misses: [Failure] = []
    public var denials = Tally()
    /// For the cases asked about: how each concept was read.
    public var traces: [String: [String]] = [:]

    public var falseAlarmRate: Double {
        self.mustNotFlag == 0 ? 0 : Double(self.falseAlarms.count) / Double(self.mustNotFlag)
    }
}

extension RiskSuite {
    /// Screens every case with the agents' configuration and scores it against the labels: a flag in
    /// the category, on the person at risk, at the minimum level or higher (and no higher than a
    /// maximum when one is set); for someone outside the roster, a finding of that category and no flag
    /// in it on anyone present; for a must-not-flag case, no flag at all.
    public func evaluate(agents: AgentConfigurations, explain: Set<String> = []) -> RiskSuiteReport {
        let segmentation = Segmentation(configuration: agents.segmenter)
        let attribution = AttributionEngine(configuration: agents.attributor)
        let screening = RiskScreening(configuration: agents.drafting.screener)
        var report = RiskSuiteReport()
        for item in self.cases {
            let (session, transcript) = self.session(for: item)
            let roster = Roster(session: session)
            let segmented = segmentation.segment(transcript)
            let attributed = AttributedSession(
                session: session, roster: roster, segmented: segmented,
                attribution: attribution.attribute(segmented, roster: roster, hints: session.speakerHints))
            let facts = SessionFacts(
                attributed: attributed, attributor: agents.attributor, interventions: agents.drafting.interventions)
            let (screen, trace) = screening.explain(facts)
            if explain.contains(item.id) { report.traces[item.id] = trace }
            func describe(_ flags: [RiskFlag]) -> String {
                flags.isEmpty
                    ? "no flag"
                    : flags.map {
                        "\($0.attendee?.rawValue.dropFirst(2) ?? "?") \($0.category.rawValue) \($0.level.rawValue)"
                    }
                    .joined(separator: ", ")
            }
            if item.expect.isEmpty {
                report.mustNotFlag += 1
                if !screen.flags.isEmpty { report.falseAlarms.append(.init(id: item.id, what: describe(screen.flags))) }
            }
            for expectation in item.expect {
                report.byCategory[expectation.category, default: .init()].expected += 1
                report.overall.expected += 1
                let hit: Bool
                if let name = expectation.person {
                    hit = screen.flags.contains { flag in
                        flag.attendee == PersonID("P-" + name) && flag.category == expectation.category
                            && flag.level >= expectation.minimumLevel
                            && expectation.maximumLevel.map { flag.level <= $0 } ?? true
                    }
                } else {
                    hit =
                        screen.outsideRoster.contains {
                            $0.category == expectation.category && $0.level >= expectation.minimumLevel
                        } && !screen.flags.contains { $0.category == expectation.category }
                }
                if hit {
                    report.byCategory[expectation.category, default: .init()].found += 1
                    report.overall.found += 1
                } else {
                    let outside = screen.outsideRoster.map { "outside \($0.category.rawValue) \($0.level.rawValue)" }
                    report.misses.append(
                        .init(
                            id: item.id,
                            what:
                                "expected \(expectation.person ?? "outside") \(expectation.category.rawValue) ≥ \(expectation.minimumLevel.rawValue); got \(([describe(screen.flags)] + outside).joined(separator: ", "))"
                        ))
                }
            }
            for (category, name) in item.denied {
                report.denials.expected += 1
                if screen.assessments.contains(where: {
                    $0.attendee == PersonID("P-" + name) && $0.category == category && $0.denied
                }) {
                    report.denials.found += 1
                }
            }
        }
        return report
    }
}

/// Labelled people's own writing or speech, one individual session each (`scripts/cssrs-sessions`
/// turns the Reddit C-SSRS dataset into this form): how often the screener flags suicidal ideation or
/// self-harm, per label.
public struct RiskCorpus: Sendable {
    public struct Person: Sendable {
        public var id: String
        public var label: String
        public var utterances: [String]
    }

    public struct Row: Sendable, Hashable {
        public var label: String
        public var people = 0
        /// Flagged suicidal ideation or self-harm at `monitor` or higher.
        public var flagged = 0
        /// At `elevated` or higher.
        public var elevated = 0
        /// Who was not flagged (with `listUnflagged`).
        public var unflagged: [String] = []

        public func share(_ count: Int) -> Double { self.people == 0 ? 0 : Double(count) / Double(self.people) }
    }

    public var people: [Person]

    /// Reads JSON Lines of `{"id", "label", "utterances": [...]}`; errors name the file and line.
    public static func load(_ path: String, reader: FileReader = FileReader()) throws(FormatError) -> RiskCorpus {
        let bytes = try reader.read(path, display: path, limit: reader.transcriptLimit)
        let text = try TextDecoding.decode(bytes, file: path).text
        var people: [Person] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            let file = "\(path):\(offset + 1)"
            let root = JSONField(node: try JSONParser.parse(String(line), file: file), file: file)
            people.append(
                Person(
                    id: try root.required("id", expected: "the person's id").text(),
                    label: try root.required("label", expected: "the label").text(),
                    utterances: try root.required("utterances", expected: "an array of texts").strings()))
        }
        return RiskCorpus(people: people)
    }

    /// Each person as an individual session whose every utterance is theirs; rows in the order labels
    /// first appear.
    /// - Parameter listUnflagged: keep the ids of people not flagged, per label.
    public func evaluate(agents: AgentConfigurations, listUnflagged: Bool = false) -> [Row] {
        let segmentation = Segmentation(configuration: agents.segmenter)
        let screening = RiskScreening(configuration: agents.drafting.screener)
        let start = Timestamp(secondsSinceEpoch: 1_780_000_000, utcOffsetSeconds: 0)
        let client = PersonID("CL-1")
        let attributor = AttributionEngine(configuration: agents.attributor)
        var rows: [Row] = []
        for person in self.people {
            let session = Session(
                id: SessionID(person.id), kind: .individual, start: start,
                end: Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + 3000, utcOffsetSeconds: 0),
                noteFormat: .soap,
                clinicians: [Clinician(id: PersonID("PROV-1"), name: "Therapist", role: .primary)],
                attendees: [
                    Attendee(
                        id: client, name: "Client", role: .identifiedPatient, present: true,
                        consent: Consent(aiDrafting: true, part2: false))
                ],
                speakerHints: [SpeakerHint(label: "client", people: [client])])
            let transcript = Transcript(
                format: "corpus",
                utterances: person.utterances.enumerated().map { index, text in
                    Utterance(index: index, label: "client", text: text, start: Double(index), end: Double(index) + 0.5)
                })
            let roster = Roster(session: session)
            let segmented = segmentation.segment(transcript)
            let attribution = attributor.attribute(segmented, roster: roster, hints: session.speakerHints)
            let facts = SessionFacts(
                attributed: AttributedSession(
                    session: session, roster: roster, segmented: segmented, attribution: attribution),
                attributor: agents.attributor, interventions: agents.drafting.interventions)
            let level =
                screening.screen(facts).flags(for: client)
                .filter { $0.category == .suicidalIdeation || $0.category == .selfHarm }.map(\.level).max() ?? .none
            if !rows.contains(where: { $0.label == person.label }) { rows.append(Row(label: person.label)) }
            let index = rows.firstIndex { $0.label == person.label }!
            rows[index].people += 1
            if level >= .monitor {
                rows[index].flagged += 1
            } else if listUnflagged {
                rows[index].unflagged.append(person.id)
            }
            if level >= .elevated { rows[index].elevated += 1 }
        }
        return rows
    }
}
