import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import Foundation

/// `ensemble evaluate-risk`: the RiskScreener's figures on a labelled suite, the ones the README shows.
struct EvaluateRiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-risk",
        abstract: "Score the RiskScreener on a labelled suite of spoken risk statements.",
        discussion: """
            SUITE is a suite file in the format of Tests/Fixtures/risk-suite/suite.json (see docs/risk.md). \
            Prints recall per category (a flag on the person at risk, in the category, at the labelled \
            minimum level or higher), false alarms on must-not-flag lines, and denials recorded.
            """
    )

    @Argument(help: "The suite file.")
    var suite: String = "Tests/Fixtures/risk-suite/suite.json"

    @Option(
        help: "Instead of a suite, score people's own words by label: JSON Lines from scripts/cssrs-sessions.")
    var corpus: String?

    @Flag(help: "List every miss and false alarm (case ids and what was found; no suite text).")
    var failures = false

    @Option(help: "Instead of a suite, explain the screen of one scenario folder: each concept as it was read.")
    var scenario: String?

    @Option(help: "Show how each concept of these cases was read (comma-separated case ids).")
    var explain: String = ""

    @OptionGroup var input: InputOptions

    func run() async throws {
        let agents = try AgentsDirectory.load(explicit: self.input.agents, reader: self.input.reader)
        func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
        if let directory = self.scenario {
            let (scenario, _, attributed) = try await self.input.attribute(directory)
            _ = scenario
            let facts = SessionFacts(
                attributed: attributed, attributor: agents.attributor, interventions: agents.drafting.interventions)
            let (screen, trace) = RiskScreening(configuration: agents.drafting.screener).explain(facts)
            for line in trace { print(line) }
            for flag in screen.flags {
                print(
                    "flag \(flag.attendee?.rawValue ?? "?") \(flag.category.rawValue) \(flag.level.rawValue) \(flag.evidence) \(flag.indicators.joined(separator: "; "))"
                )
            }
            for assessment in screen.assessments {
                print(
                    "asked \(assessment.attendee.rawValue) \(assessment.category.rawValue) [\(assessment.question)→\(assessment.answer)] \(assessment.response.rawValue)"
                )
            }
            return
        }
        if let corpus = self.corpus {
            let rows = try RiskCorpus.load(corpus, reader: self.input.reader).evaluate(
                agents: agents, listUnflagged: self.failures)
            print("label        people  suicide or self-harm ≥ monitor  ≥ elevated")
            for row in rows {
                print(
                    row.label.padding(toLength: 12, withPad: " ", startingAt: 0) + String(row.people).leftPadded(7)
                        + "\(row.flagged) (\(percent(row.share(row.flagged))))".leftPadded(32)
                        + "\(row.elevated) (\(percent(row.share(row.elevated))))".leftPadded(14))
            }
            for row in rows where self.failures {
                print("unflagged \(row.label): " + row.unflagged.joined(separator: " "))
            }
            return
        }
        let suite = try RiskSuite.load(self.suite, reader: self.input.reader)
        let report = suite.evaluate(
            agents: agents, explain: Set(self.explain.split(separator: ",").map { String($0) }))
        print("category                   expected  found  recall")
        for category in RiskCategory.allCases {
            guard let tally = report.byCategory[category] else { continue }
            print(
                category.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(tally.expected).leftPadded(9) + String(tally.found).leftPadded(7)
                    + percent(tally.recall).leftPadded(8))
        }
        print(
            "all".padding(toLength: 26, withPad: " ", startingAt: 0) + String(report.overall.expected).leftPadded(9)
                + String(report.overall.found).leftPadded(7) + percent(report.overall.recall).leftPadded(8))
        print(
            "must-not-flag lines: \(report.mustNotFlag), false alarms: \(report.falseAlarms.count) (\(percent(report.falseAlarmRate)))"
        )
        print("denials recorded as denied when asked: \(report.denials.found) of \(report.denials.expected)")
        for (id, lines) in report.traces.sorted(by: { $0.key < $1.key }) {
            print("explain \(id):")
            for line in lines { print("  \(line)") }
        }
        if self.failures {
            for miss in report.misses { print("miss  \(miss.id): \(miss.what)") }
            for alarm in report.falseAlarms { print("alarm \(alarm.id): \(alarm.what)") }
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        self.count >= width ? self : String(repeating: " ", count: width - self.count) + self
    }
}
