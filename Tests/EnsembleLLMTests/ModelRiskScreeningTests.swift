import EnsembleCore
import EnsembleIO
import EnsembleLLM
import EnsembleTesting
import Foundation
import Testing

/// The model second reader of the RiskScreener: it may add or raise a flag whose evidence checks out,
/// never lower or remove the deterministic ones, and every flag says which reader raised it.
@Suite("Risk screening: the model second reader", .timeLimit(.minutes(10)))
struct ModelRiskScreeningTests {
    static func supervisor(_ model: any LanguageModel) throws -> SessionSupervisor {
        let configuration = try Fixtures.agents().supervisor
        var agents = SessionSupervisor.Agents(configuration.drafting!)
        let local = agents.screener
        let settings = ModelRiskScreener.Configuration(prompt: try Fixtures.agents().riskPrompt)
        agents.screener = { ModelRiskScreener(model: model, local: local, configuration: settings) }
        return SessionSupervisor(configuration: configuration, agents: agents, clock: ContinuousClock())
    }

    /// The deterministic screener alone.
    static func plain() throws -> SessionSupervisor {
        let configuration = try Fixtures.agents().supervisor
        return SessionSupervisor(
            configuration: configuration, agents: SessionSupervisor.Agents(configuration.drafting!),
            clock: ContinuousClock())
    }

    @Test func checkedRisksAreAdded_othersDropped_andNothingIsLowered() async throws {
        let scenario = try Fixtures.scenario("adolescent-family")
        // The deterministic screen of the same session, for comparison.
        let plain = try await Self.plain().draft(scenario.session, transcript: scenario.transcript)
        let teen = PersonID("CL-301")
        let deterministic = try #require(plain.risk.flags(for: teen).first { $0.category == .selfHarm })

        let model = ScriptedModel { request, _ in
            let text = request.messages.last?.content ?? ""
            // The request is pseudonymised: no roster name leaves the machine.
            #expect(!text.contains("Sofia") && !text.contains("Alvarez") && !text.contains("Mark Dunn"))
            // One of the attendee's own lines: the speaker named in the request's first line.
            let lines = text.split(separator: "\n")
            let who = lines.first.flatMap { line in
                line.firstIndex(of: "[").map { String(line[$0...].prefix { $0 != "]" }) + "]" }
            }
            let own =
                lines.dropFirst().first { line in who.map { line.contains("] \($0):") } ?? false }
                .flatMap { line in Int(line.dropFirst().prefix { $0 != "]" }) }
                ?? ScriptedModel.shownIndexes(request)[0]
            return """
                {"risks":[
                  {"category":"substanceRelapse","level":"monitor","evidence":[\(own)]},
                  {"category":"selfHarm","level":"monitor","evidence":[\(own)]},
                  {"category":"homicidalIdeation","level":"urgent","evidence":[9999]},
                  {"category":"childAbuse","level":"urgent","evidence":[]},
                  {"category":"notACategory","level":"urgent","evidence":[\(own)]}
                ]}
                """
        }
        let run = try await Self.supervisor(model).draft(scenario.session, transcript: scenario.transcript)
        #expect(!model.requests.isEmpty)
        let flags = run.risk.flags(for: teen)
        // Added with checked evidence, and marked as the model's.
        let added = try #require(flags.first { $0.category == .substanceRelapse })
        #expect(added.readers == [.model])
        // The deterministic self-harm flag is not lowered by the model's `monitor`.
        let selfHarm = try #require(flags.first { $0.category == .selfHarm })
        #expect(selfHarm.level == deterministic.level)
        #expect(selfHarm.readers == [.deterministic, .model])
        // Evidence the model was not shown, no evidence, or an unknown category: dropped.
        #expect(!run.risk.flags.contains { $0.category == .homicidalIdeation && $0.readers.contains(.model) })
        #expect(!run.risk.flags.contains { $0.category == .childAbuse && $0.readers.contains(.model) })
        // Every deterministic flag is still there, at its level or higher.
        for flag in plain.risk.flags {
            let kept = try #require(
                run.risk.flags.first { $0.attendee == flag.attendee && $0.category == flag.category })
            #expect(kept.level >= flag.level)
        }
    }

    @Test func aFailingModel_leavesTheDeterministicScreen() async throws {
        let scenario = try Fixtures.scenario("couples-session")
        let model = ScriptedModel { _, _ in throw ModelError(.unavailable, status: 503, "stub") }
        let run = try await Self.supervisor(model).draft(scenario.session, transcript: scenario.transcript)
        let plain = try await Self.plain().draft(scenario.session, transcript: scenario.transcript)
        #expect(run.risk.flags == plain.risk.flags)
        #expect(run.risk.flags.allSatisfy { $0.readers == [.deterministic] })
    }
}
