import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// The RiskScreener on language the project did not write into its rules: the labelled development
/// suite (written from clinical sources before the rules, `Tests/Fixtures/risk-suite/`) and, when it is
/// present, clinicians' labels on real people's writing (`../shared/data/cssrs-reddit`). The floors are
/// today's measured figures (README, `ensemble evaluate-risk`); issue 18's targets are higher.
@Suite("Risk screening: suite and real data")
struct RiskSuiteTests {
    @Test func developmentSuite_recallAndFalseAlarms() throws {
        let suite = try RiskSuite.load(Fixtures.repositoryRoot + "/Tests/Fixtures/risk-suite/suite.json")
        #expect(suite.cases.count >= 300)
        #expect(suite.cases.filter(\.expect.isEmpty).count * 3 >= suite.cases.count, "a third must not flag")
        let report = suite.evaluate(agents: try Fixtures.agents())
        #expect(report.overall.recall >= 0.95, "recall \(report.overall.recall)")
        #expect(report.falseAlarmRate <= 0.02, "false alarms \(report.falseAlarms)")
        for category in RiskCategory.allCases {
            #expect((report.byCategory[category]?.recall ?? 0) >= 0.90, "\(category)")
        }
    }

    /// The second suite, written blind by another author after the first rules existed (42.8% recall on
    /// its first run, before anything was changed for it).
    @Test func secondSuite_recallAndFalseAlarms() throws {
        let suite = try RiskSuite.load(Fixtures.repositoryRoot + "/Tests/Fixtures/risk-suite/heldout.json")
        #expect(suite.cases.count >= 200)
        let report = suite.evaluate(agents: try Fixtures.agents())
        #expect(report.overall.recall >= 0.60, "recall \(report.overall.recall)")
        #expect(report.falseAlarmRate <= 0.02, "false alarms \(report.falseAlarms)")
    }

    /// A third suite, written blind after the rules of this issue were done and run once (56.0% recall,
    /// 3 false alarms of 60): held out, never tuned on, so it keeps measuring generalisation. The floors
    /// are that first run, so a change that generalises worse shows.
    @Test func heldOutSuite_generalisation() throws {
        let suite = try RiskSuite.load(Fixtures.repositoryRoot + "/Tests/Fixtures/risk-suite/heldout-2.json")
        let report = suite.evaluate(agents: try Fixtures.agents())
        #expect(report.overall.recall >= 0.55, "recall \(report.overall.recall)")
        #expect(report.falseAlarms.count <= 3, "false alarms \(report.falseAlarms)")
    }

    @Test func realExpertLabelledData_separatesAtRiskFromSupportive() throws {
        let csv = Fixtures.repositoryRoot + "/../shared/data/cssrs-reddit/500_Reddit_users_posts_labels.csv"
        guard FileManager.default.fileExists(atPath: csv) else {
            print("skipped: \(csv) is not here (the real-data check needs ../shared/data)")
            return
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cssrs-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Fixtures.repositoryRoot + "/scripts/cssrs-sessions", csv, "--output", output.path,
        ]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let rows = try RiskCorpus.load(output.path).evaluate(agents: try Fixtures.agents())
        func row(_ label: String) throws -> RiskCorpus.Row { try #require(rows.first { $0.label == label }) }
        let atRisk = try ["Ideation", "Behavior", "Attempt"].map(row)
        let behaviour = try ["Behavior", "Attempt"].map(row)
        let flagged = Double(atRisk.map(\.flagged).reduce(0, +)) / Double(atRisk.map(\.people).reduce(0, +))
        let elevated = Double(behaviour.map(\.elevated).reduce(0, +)) / Double(behaviour.map(\.people).reduce(0, +))
        let supportive = try row("Supportive")
        #expect(flagged >= 0.66, "Ideation, Behavior and Attempt flagged: \(flagged)")
        #expect(elevated >= 0.60, "Behavior and Attempt at elevated: \(elevated)")
        #expect(supportive.share(supportive.elevated) <= 0.05, "Supportive above monitor")
        #expect(supportive.share(supportive.flagged) < flagged, "the flag separates at-risk from supportive writers")
    }
}

@Suite("Concept patterns")
struct ConceptMatcherTests {
    static let language = PatternLanguage(
        version: "t", irregular: ["take": ["took", "taken"]], spellings: ["dont": "don't"],
        classes: [
            "medication": ["pill", "sleeping pill"], "pronoun": ["i", "he", "she", "me", "him", "her"],
            "reflexive": ["myself", "herself"], "determiner": ["my", "the"], "relative": ["son", "mom"],
            "possessive": ["my", "his", "her"],
        ])

    static func ids(_ patterns: [String], _ text: String) throws -> [String] {
        let matcher = try ConceptMatcher(patterns.map { ($0, $0) }, language: Self.language)
        return matcher.matches(in: matcher.read(Tokenizer().tokenize(text).words)).map(\.value)
    }

    @Test func inflectionsSpellingsClassesOptionalsAndGaps() throws {
        #expect(try Self.ids(["kill <self>"], "she killed herself") == ["kill <self>"])
        #expect(try Self.ids(["take .. @medication"], "I took all my sleeping pills") == ["take .. @medication"])
        #expect(try Self.ids(["take .. @medication"], "I took the dog out and then some pills").isEmpty)
        #expect(
            try Self.ids(["(really)? =don't want to live"], "I dont want to live") == ["(really)? =don't want to live"])
        #expect(try Self.ids(["cry"], "she cried all night") == ["cry"])
        #expect(try Self.ids(["=cry"], "she cried all night").isEmpty)
    }

    @Test func numbersInDigitsOrWords() throws {
        let language = PatternLanguage(
            version: "t", irregular: ["take": ["took", "taken"]], spellings: [:],
            classes: ["numeral": ["twenty", "hundred"], "medication": ["pill"]])
        let matcher = try ConceptMatcher([("took # ..2 @medication", 0)], language: language)
        func count(_ text: String) -> Int { matcher.matches(in: matcher.read(Tokenizer().tokenize(text).words)).count }
        #expect(count("I took 120 pills") == 1)
        #expect(count("she took twenty pills") == 1)
        #expect(count("I took 40 to 50 pills") == 1)
        #expect(count("I took some pills") == 0)
        #expect(throws: ConceptMatcher<Int>.PatternError.self) {
            try ConceptMatcher([("took (# pills)", 0)], language: language)
        }
    }

    @Test func peopleAreCaptured() throws {
        let matcher = try ConceptMatcher([("<who> hit <who>", 0)], language: Self.language)
        let match = try #require(matcher.matches(in: matcher.read(Tokenizer().tokenize("my son hit me").words)).first)
        #expect(match.captures.map(\.words) == [0..<2, 3..<4])
    }

    @Test func groupsWithPeopleOrNestedGroupsExpand() throws {
        let patterns = ["end (<whose> life|it (all|now))"]
        #expect(try Self.ids(patterns, "I want to end my life").count == 1)
        #expect(try Self.ids(patterns, "I want to end it all").count == 1)
        #expect(try Self.ids(patterns, "let's end the meeting").isEmpty)
    }

    @Test func badPatternsAreRefusedWithWhy() {
        #expect(throws: ConceptMatcher<Int>.PatternError.self) {
            try ConceptMatcher([("@nosuchclass pill", 0)], language: Self.language)
        }
        #expect(throws: ConceptMatcher<Int>.PatternError.self) {
            try ConceptMatcher([("(unclosed pill", 0)], language: Self.language)
        }
    }
}

/// Patterns are general, not lifted from the bundled transcripts: a risk pattern that matches any
/// utterance of a bundled scenario must also match at least two differently worded lines of the
/// labelled suites (written from clinical sources before the rules); and every concept names its
/// clinical source.
@Suite("Risk patterns: provenance")
struct RiskPatternProvenanceTests {
    @Test func patternsMatchingBundledTranscripts_matchTheSuitesToo() throws {
        let agents = try Fixtures.agents()
        let configuration = agents.drafting.screener
        let folder = Fixtures.repositoryRoot + "/Tests/Fixtures/risk-suite/"
        var suiteLines: [String] = []
        for file in ["suite.json", "heldout.json"] {
            suiteLines += try RiskSuite.load(folder + file).cases.flatMap { $0.lines.map(\.text) }
        }
        var transcriptLines: [String] = []
        for name in try Fixtures.scenarioNames() {
            transcriptLines += try Fixtures.scenario(name).transcript.utterances.map(\.text)
        }
        var patterns: [(concept: String, pattern: String)] = []
        for concept in configuration.concepts {
            #expect(!concept.source.isEmpty, "\(concept.id) names no clinical source")
            // A pattern with its own clinical source (the instrument item it paraphrases) may also occur in
            // a bundled transcript; the rest must show they are general on the suites.
            patterns += (concept.patterns + concept.cues.flatMap { $0 }).filter { concept.patternSources[$0] == nil }
                .map {
                    (concept.id, $0)
                }
        }
        let tokenizer = Tokenizer()
        let suiteWords = suiteLines.map { tokenizer.tokenize($0).words }
        let transcriptWords = transcriptLines.map { tokenizer.tokenize($0).words }
        var lifted: [String] = []
        for (concept, pattern) in patterns {
            let matcher = try ConceptMatcher([(pattern, 0)], language: configuration.language)
            func count(_ lines: [[Word]], stopAt: Int) -> Int {
                var found = Set<String>()
                for (index, words) in lines.enumerated() where !matcher.matches(in: matcher.read(words)).isEmpty {
                    found.insert(String(index))
                    if found.count >= stopAt { break }
                }
                return found.count
            }
            guard count(transcriptWords, stopAt: 1) > 0 else { continue }
            if count(suiteWords, stopAt: 2) < 2 { lifted.append("\(concept): \(pattern)") }
        }
        #expect(
            lifted.isEmpty,
            "patterns that match a bundled transcript but fewer than two suite lines:\n\(lifted.joined(separator: "\n"))"
        )
    }
}
