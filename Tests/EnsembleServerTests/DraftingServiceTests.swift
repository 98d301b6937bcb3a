import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleLLM
import EnsembleService
import EnsembleStore
import EnsembleStoreTesting
import EnsembleTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EnsembleServer

/// The one drafting service (issue 17): every path drafts with the configured engine, and work on one
/// session is serialised.
@Suite("Drafting service", .timeLimit(.minutes(10)))
struct DraftingServiceTests {
    @Test(
        "a server with the language-model engine drafts its webhook jobs and its relabels with the model",
        arguments: Backend.available)
    func serverDraftsWithTheModel(_ backend: Backend) async throws {
        let stub = try StubModelServer(replies: [.completion(#"{"sentences":[]}"#)])
        defer { stub.stop() }
        let agents = try Fixtures.agents()
        let engine = try DraftingEngine.languageModel(
            endpoint: ModelEndpoint(baseURL: stub.baseURL, model: "stub-model", maxRetries: 0),
            prompt: agents.notePrompt, sendPart2: false)
        let desk = try await ServerDesk(backend, engine: engine)
        try await desk.test { client in
            _ = try await desk.deliverAndDraft(client)
            let afterJob = stub.requests.count
            #expect(afterJob > 0, "the webhook job asked the model")
            let review = try ServerDesk.json(
                try await client.execute(
                    uri: "/api/sessions/\(ServerDesk.session)", method: .get, headers: desk.bearer("hcole")))
            let mother = try #require(
                (review["speakers"]?.array ?? []).first { $0["person"]?.string == "CL-302" }?["label"]?.string)
            let relabel = try await client.execute(
                uri: "/api/sessions/\(ServerDesk.session)/relabel", method: .post, headers: desk.bearer("hcole"),
                body: ByteBuffer(string: "{\"label\": \"\(mother)\", \"person\": \"unknown\"}"))
            #expect(relabel.status == .ok)
            #expect(stub.requests.count > afterJob, "the relabel's redraft asked the model too")
        }
        let runs = try await desk.store.exportAudit(as: "admin").filter { $0.contains("\"draft.generated\"") }
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.contains("\"engine\":\"llm:openai:stub-model\"") && $0.contains("\"calls\":[") })
    }

    @Test("a slow model ends in the deterministic draft within the agent's time, never in a manual template")
    func slowModelFallsBackToTheDeterministicDraft() async throws {
        let stub = try StubModelServer(replies: [.init(body: "{}", delay: .seconds(600))])
        defer { stub.stop() }
        let agents = try Fixtures.agents()
        let engine = try DraftingEngine.languageModel(
            endpoint: ModelEndpoint(baseURL: stub.baseURL, model: "slow", timeout: .seconds(60), maxRetries: 0),
            prompt: agents.notePrompt, sendPart2: false)
        // The model may take 2 s of the agents' minute; the stub answers after ten minutes.
        let service = DraftingService(
            agents: agents, engine: engine, agentTimeout: .seconds(60), modelBudget: .seconds(2))
        let scenario = try Fixtures.scenario("couples-session")
        let outcome = try await service.draft(
            scenario.session, sessionJSON: scenario.sessionJSON, transcript: scenario.transcript)
        let run = outcome.run
        #expect(!run.findings.contains { $0.code == .agentTimedOut })
        let drafted = run.notes.filter { !$0.manualNoteRequired }
        #expect(!drafted.isEmpty && drafted.allSatisfy(\.aiGenerated))
        #expect(!run.notes.contains { $0.manualNoteRequired && $0.aiGenerated })
        let records = try #require(outcome.model?.records)
        #expect(!records.isEmpty)
        #expect(records.allSatisfy { $0.outcome == .fellBack("the model did not answer within its time budget") })
        #expect(run.findings.contains { $0.code == .modelFallback })
    }

    @Test(
        "two relabels of one session at once are recorded one after the other, never interleaved",
        arguments: Backend.available)
    func concurrentRelabelsAreSerialised(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in _ = try await desk.deliverAndDraft(client) }
        let service = desk.server.settings.drafting
        let review = try await desk.store.review(session: ServerDesk.session, as: "hcole")
        let labels = review.speakers.map(\.label)
        #expect(labels.count >= 2)
        let people = review.speakers.compactMap(\.person)
        async let first = service.relabel(
            session: ServerDesk.session, label: labels[0], person: nil, store: desk.store, as: "hcole")
        async let second = service.relabel(
            session: ServerDesk.session, label: labels[1], person: people.first, store: desk.store, as: "hcole")
        let (one, two) = try await (first, second)
        #expect(one.recorded.runID != two.recorded.runID)
        let actions = try await desk.store.exportAudit(as: "admin").compactMap { line -> String? in
            for action in ["speaker.relabeled", "draft.generated"] where line.contains("\"\(action)\"") {
                return action
            }
            return nil
        }
        // The webhook's run, then each correction with its redraft, in turn.
        #expect(
            actions == [
                "draft.generated", "speaker.relabeled", "draft.generated", "speaker.relabeled", "draft.generated",
            ])
        let corrections = try await desk.store.corrections(session: ServerDesk.session, as: "hcole")
        #expect(corrections.count == 2)
    }

    @Test(
        "a correction recorded behind the planner's back makes the redraft stale, not silently merged",
        arguments: Backend.available)
    func staleRelabelPlan(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in _ = try await desk.deliverAndDraft(client) }
        let review = try await desk.store.review(session: ServerDesk.session, as: "hcole")
        let label = try #require(review.speakers.first?.label)
        let plan = try await desk.store.planRelabel(session: ServerDesk.session, label: label, person: nil, as: "hcole")
        // Someone else relabels in between (another process).
        _ = try await desk.server.settings.drafting.relabel(
            session: ServerDesk.session, label: label, person: nil, store: desk.store, as: "sup")
        let session = try SessionDecoder.decode(Array(plan.sessionJSON.utf8), file: "session").session
        let run = try await SessionSupervisor(configuration: try Fixtures.agents().supervisor).draft(
            session, transcript: plan.transcript, corrections: plan.corrections)
        let inputs = DraftInputs(
            sessionJSON: plan.sessionJSON, transcript: plan.transcript, digest: plan.inputsDigest, agents: [],
            engine: "deterministic")
        let refused = await #expect(throws: StoreError.self) {
            try await desk.store.relabel(plan, run: run, inputs: inputs, as: "hcole")
        }
        #expect(refused?.code == .staleVersion)
    }
}
