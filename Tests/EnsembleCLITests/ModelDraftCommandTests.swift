import EnsembleCLI
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// `ensemble draft --engine llm` against a loopback stub of an OpenAI-compatible endpoint.
@Suite("Command line: model drafting", .timeLimit(.minutes(10)))
struct ModelDraftCommandTests {
    func run(_ arguments: [String]) async -> (status: Int32, out: String, error: String) {
        let captured = CapturedConsole()
        let status = await Console.$current.withValue(captured.console) {
            await EnsembleCLI.run(arguments + ["--agents", Fixtures.agentsDirectory])
        }
        return (status, captured.out, captured.error)
    }

    @Test func llmEngine_usesCitedSentences_fallsBackOtherwise_andReportsUsage() async throws {
        let scenario = try Fixtures.scenario("couples-session")
        let attributed = try await SessionSupervisor(configuration: try Fixtures.agents().supervisor)
            .attribute(scenario.session, transcript: scenario.transcript)
        let daniel = PersonID("CL-401")
        let own = try #require(attributed.attribution.utterances.first { $0.person == daniel }?.index)
        // One fixed answer for every request: it cites an utterance only Daniel's request shows.
        let server = try StubModelServer(replies: [
            .completion(
                #"{"sentences":[{"field":"reported","text":"The client described the argument from his side.","evidence":[\#(own)]}]}"#
            )
        ])
        let result = await self.run([
            "draft", Fixtures.scenariosDirectory + "/couples-session", "--engine", "llm", "--model-url", server.baseURL,
            "--model", "stub-model", "--price-per-million-prompt", "2.5", "--price-per-million-completion", "10",
            "--json",
        ])
        #expect(result.status == 0, "\(result.error)")
        let report = try JSONParser.parse(result.out, file: "stdout")
        #expect(report["engine"]?.string == "llm")
        let model = try #require(report["model"])
        #expect(model["model"]?.string == "stub-model" && model["backend"]?.string == "openai")
        let outcomes = Dictionary(
            uniqueKeysWithValues: (model["attendees"]?.array ?? []).map { ($0["attendeeId"]?.string ?? "", $0) })
        #expect(outcomes["CL-401"]?["outcome"]?.string == "accepted")
        #expect(outcomes["CL-402"]?["outcome"]?.string == "fellBack" && outcomes["CL-402"]?["calls"]?.number == 2)
        #expect(model["requests"]?.number == 3 && model["promptTokens"]?.number == 33)
        #expect(model["costUSD"]?.number != nil)
        let notes = report["notes"]?.array ?? []
        let danielNote = try #require(notes.first { $0["attendeeId"]?.string == "CL-401" })
        #expect(JSONWriter.write(danielNote).contains("The client described the argument from his side."))
        let findings = report["findings"]?.array ?? []
        #expect(findings.contains { $0["code"]?.string == "modelFallback" && $0["attendeeId"]?.string == "CL-402" })
        // The agents' record covers the prompt: its hash is in the NoteDrafter's files.
        let drafter = (report["agents"]?.array ?? []).first { $0["agent"]?.string == "NoteDrafter" }
        #expect(JSONWriter.write(drafter ?? JSONNode(.null)).contains("note-drafter/prompt.md"))
        #expect(result.error.contains("[ensemble] model stub-model: 3 request(s)"))
        #expect(!result.error.contains("Daniel") && !result.error.contains("Aisha"))
    }

    @Test func misconfiguredEngine_isAClearError() async throws {
        let missing = await self.run(["draft", Fixtures.scenariosDirectory + "/couples-session", "--engine", "llm"])
        #expect(missing.status == 64 && missing.error.contains("--model-url"))
        let noKey = await self.run([
            "draft", Fixtures.scenariosDirectory + "/couples-session", "--engine", "llm", "--model-url",
            "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "ENSEMBLE_TEST_UNSET_KEY",
        ])
        #expect(noKey.status == 2 && noKey.error.contains("ENSEMBLE_TEST_UNSET_KEY is not set"))
        // An unreachable endpoint: every attendee falls back, and the run still finishes.
        let unreachable = await self.run([
            "draft", Fixtures.scenariosDirectory + "/couples-session", "--engine", "llm", "--model-url",
            "http://127.0.0.1:9/v1", "--model", "m", "--model-retries", "0", "--json",
        ])
        #expect(unreachable.status == 0)
        let report = try JSONParser.parse(unreachable.out, file: "stdout")
        #expect((report["model"]?["attendees"]?.array ?? []).allSatisfy { $0["outcome"]?.string == "fellBack" })
    }

    @Test func configurationFile_suppliesTheSettings() async throws {
        let server = try StubModelServer(replies: [.completion(#"{"sentences":[]}"#)])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).json")
        try Data(#"{"engine":"llm","modelUrl":"\#(server.baseURL)","model":"from-file","modelRetries":0}"#.utf8).write(
            to: file)
        let result = await self.run([
            "draft", Fixtures.scenariosDirectory + "/couples-session", "--model-config", file.path, "--json",
        ])
        #expect(result.status == 0)
        let report = try JSONParser.parse(result.out, file: "stdout")
        #expect(report["model"]?["model"]?.string == "from-file")
        #expect(
            server.requests.count == 6,
            "two attendees, each asked twice for the note and once by the risk second reader")
    }
}
