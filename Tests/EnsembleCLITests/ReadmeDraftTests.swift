import EnsembleCLI
import EnsembleTesting
import Foundation
import Testing

/// The README shows two whole, unedited drafts; they must be what the program prints today.
@Suite("README drafts")
struct ReadmeDraftTests {
    /// The fenced block that follows the line holding `command` in the README.
    static func block(after command: String) throws -> String {
        let readme = try String(contentsOfFile: Fixtures.repositoryRoot + "/README.md", encoding: .utf8)
        let start = try #require(readme.range(of: command))
        let open = try #require(readme.range(of: "```\n", range: start.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n```", range: open.upperBound..<readme.endIndex))
        return String(readme[open.upperBound..<close.lowerBound])
    }

    static func draft(_ scenario: String, attendee: String) async -> String {
        let captured = CapturedConsole()
        _ = await Console.$current.withValue(captured.console) {
            await EnsembleCLI.run([
                "draft", Fixtures.scenariosDirectory + "/" + scenario, "--evidence", "--attendee", attendee,
                "--quiet", "--agents", Fixtures.agentsDirectory,
            ])
        }
        // The attendee's note, from its heading to the end, without the blank lines after it.
        let out = captured.out
        guard let heading = out.range(of: "== ") else { return out }
        return String(out[heading.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: [
        ("dbt-skills-group", "CL-101"), ("adolescent-family", "CL-301"),
    ])
    func readmeDraft_isWhatTheProgramPrints(scenario: String, attendee: String) async throws {
        let shown = try Self.block(
            after: "ensemble draft Scenarios/\(scenario) --evidence --attendee \(attendee)`:")
        let printed = await Self.draft(scenario, attendee: attendee)
        #expect(shown == printed)
    }
}
