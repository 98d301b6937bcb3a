import EnsembleCLI
import EnsembleFormats
import EnsembleTesting
import Foundation
import Testing

/// The `ensemble` commands, run in-process with their output captured.
@Suite("Command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var out: String
        var error: String
    }

    func run(_ arguments: [String]) async -> Run {
        let captured = CapturedConsole()
        let status = await Console.$current.withValue(captured.console) {
            await EnsembleCLI.run(arguments + ["--agents", Fixtures.agentsDirectory])
        }
        return Run(status: status, out: captured.out, error: captured.error)
    }

    func scenario(_ name: String) -> String { Fixtures.scenariosDirectory + "/" + name }

    @Test func parse_warnsOfALineFoldedIntoTheUtteranceAbove() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("folded-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "Therapist: Who's on?\nMaria: Me.\ndana's ipad: and me.\n+1 720-555-0143: Hi.\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let result = await self.run(["parse", path])
        #expect(result.status == 0)
        #expect(result.out.contains("+1 720-555-0143                  1"), "the phone label is a label")
        #expect(result.out.contains("warning: line 3 opens like a speaker's turn"))
        let warning = result.out.split(separator: "\n").first { $0.hasPrefix("warning:") }
        #expect(warning?.contains("dana") == false && warning?.contains("ipad") == false, "the line, never its text")
        let json = await self.run(["parse", path, "--json"])
        #expect(try JSONParser.parse(json.out, file: "stdout")["foldedLabelLines"]?.array?.compactMap(\.number) == [3])
    }

    @Test func attribute_printsTheLabelTable() async {
        let result = await self.run(["attribute", self.scenario("dbt-skills-group")])
        #expect(result.status == 0)
        #expect(result.error.isEmpty)
        #expect(result.out.contains("Session S-2026-05-12-DBT · group"))
        let rayLine = result.out.split(separator: "\n").first { $0.hasPrefix("SPEAKER_00") }
        #expect(rayLine?.contains("Ray Okafor (PROV-2)") ?? false)
        #expect(result.out.contains("Jordan Blake (CL-104)") && result.out.contains("absent"))
        #expect(result.out.contains("speakerUnknown"))
        #expect(result.out.contains("Segments: "))
    }

    /// Two labels that swap persons two thirds of the way through a two-person session are each shown
    /// in two rows, the later one with the utterance it starts from, and each row counts its own span.
    @Test func attribute_showsWhereALabelChangesPersons() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let source = Fixtures.repositoryRoot + "/Tests/Fixtures/heldout-scenarios/dyad-telehealth-medcheck"
        try FileManager.default.copyItem(
            atPath: source + "/session.json", toPath: folder.appendingPathComponent("session.json").path)
        let lines = try String(contentsOfFile: source + "/transcript.txt", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let swapped = lines.enumerated().map { index, line in
            guard index >= lines.count * 2 / 3 else { return line }
            if line.hasPrefix("SPEAKER_00:") { return "SPEAKER_01:" + line.dropFirst(11) }
            if line.hasPrefix("SPEAKER_01:") { return "SPEAKER_00:" + line.dropFirst(11) }
            return line
        }
        try (swapped.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("transcript.txt"), atomically: true, encoding: .utf8)
        let result = await self.run(["attribute", folder.path])
        #expect(result.status == 0)
        let rows = result.out.split(separator: "\n").filter { $0.hasPrefix("SPEAKER_0") }
        #expect(rows.count == 4, "\(rows)")
        let spans = rows.filter { $0.contains(" from ") }
        #expect(spans.count == 2)
        let counts = rows.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
        #expect(counts.reduce(0, +) == lines.count, "each row counts its own span")
        #expect(result.out.components(separatedBy: "labelChangesPerson").count == 3)
    }

    @Test func attributeJSON_hasTheRunReportShape() async throws {
        let result = await self.run(["attribute", self.scenario("multi-family-group"), "--json"])
        #expect(result.status == 0)
        let report = try JSONParser.parse(result.out, file: "stdout")
        #expect(report["sessionId"]?.string == "S-2026-05-20-MFG")
        let speakers = try #require(report["speakers"]?.array)
        let shared = try #require(speakers.first { $0["label"]?.string == "Rivera Family iPad" })
        #expect(shared["attendeeId"]?.string == "unknown")
        #expect(shared["sharedBy"]?.array?.compactMap(\.string) == ["CL-505", "CL-506"])
        let utterances = try #require(report["utterances"]?.array)
        #expect(utterances.count == 53)
        #expect(utterances.enumerated().allSatisfy { $0.element["index"]?.number == Double($0.offset) })
        #expect(utterances[17]["attendeeId"]?.string == "CL-505")
        #expect(utterances[17]["text"]?.string?.hasPrefix("This kid kept saying stuff") ?? false)
        #expect(report["findings"]?.array?.contains { $0["code"]?.string == "sharedDevice" } ?? false)
        let withoutText = await self.run(["attribute", self.scenario("multi-family-group"), "--json", "--no-text"])
        #expect(!withoutText.out.contains("This kid kept saying"))
    }

    @Test func unreadableInput_isOneLineOnStandardError() async {
        let missing = await self.run(["attribute", "/nonexistent/scenario"])
        #expect(missing.status == 2)
        #expect(missing.out.isEmpty)
        #expect(missing.error == "error: /nonexistent/scenario: no such scenario folder\n")
        let broken = await self.run(["parse", Fixtures.dataPath("webvtt-py/missing_timeframe.vtt")])
        #expect(broken.status == 2)
        #expect(
            broken.error.hasSuffix(
                "missing_timeframe.vtt:6: a cue has no timing line ('start --> end'); every caption needs one\n"))
        #expect(broken.error.split(separator: "\n").count == 1)
    }

    @Test func parse_readsAnyFormatAndShowsLabels() async throws {
        let table = await self.run([
            "parse", Fixtures.dataPath("assemblyai-api-spec/transcript-wildfires-speaker-labels.json"), "--limit", "2",
        ])
        #expect(table.status == 0)
        #expect(table.out.contains("assemblyai, utf-8, 20 utterances, timed"))
        #expect(table.out.contains("[1] 0:28 B: Good morning."))
        let json = await self.run(["parse", Fixtures.dataPath("go-astisub/example-in-non-utf8.srt"), "--json"])
        let report = try JSONParser.parse(json.out, file: "stdout")
        #expect(report["encoding"]?.string == "utf-16le")
        #expect(report["labels"]?.array?.compactMap(\.string) == ["MAN"])
        let forced = await self.run(["parse", Fixtures.dataPath("webvtt-py/sample.srt"), "--format", "nonsense"])
        #expect(forced.status == 64)
    }

    @Test func validateAndCheck_overAllScenarios() async throws {
        let folders = try Fixtures.scenarioNames().map(self.scenario)
        let validate = await self.run(["validate"] + folders)
        #expect(validate.status == 0)
        #expect(validate.out.split(separator: "\n").count == folders.count)
        // The family on one device leaves five of its 70 lines unknown (lines that say nothing of who
        // of the two parents speaks), so the bar over every scenario is 90%.
        let check = await self.run(["check", "--min-accuracy", "0.9"] + folders)
        #expect(check.status == 0, "\(check.error)")
        let strict = await self.run(["check", "--min-accuracy", "1.0", self.scenario("multi-family-group")])
        #expect(strict.status == 1)
        #expect(strict.error.contains("utterance accuracy below 1.00"))
    }

    @Test func segment_andHelp() async {
        let segment = await self.run(["segment", self.scenario("dbt-skills-group")])
        #expect(segment.status == 0)
        #expect(segment.out.contains("teaching"))
        let captured = CapturedConsole()
        let help = await Console.$current.withValue(captured.console) { await EnsembleCLI.run(["--help"]) }
        #expect(help == 0)
        #expect(captured.out.contains("SUBCOMMANDS:") && captured.out.contains("attribute"))
        let unknown = await self.run(["attribute", "--bogus"])
        #expect(unknown.status == 64)
    }
}
