import EnsembleCore
import EnsembleFormats
import EnsembleHTTP
import EnsembleIO
import EnsembleLLM
import EnsembleTesting
import Foundation
import Testing

/// Model drafting through the whole pipeline: what leaves the machine, which reply sentences are kept,
/// and when the deterministic draft is used instead.
@Suite("Model drafting", .timeLimit(.minutes(10)))
struct ModelDraftingTests {
    static func supervisor(_ model: any LanguageModel, sendPart2: Bool = false) throws -> SessionSupervisor {
        let supervisorConfiguration = try Fixtures.agents().supervisor
        var agents = SessionSupervisor.Agents(supervisorConfiguration.drafting!)
        let local = agents.drafter
        let configuration = ModelNoteDrafter.Configuration(
            prompt: "You draft progress-note sentences.", sendPart2: sendPart2)
        agents.drafter = { ModelNoteDrafter(model: model, local: local, configuration: configuration) }
        return SessionSupervisor(configuration: supervisorConfiguration, agents: agents, clock: ContinuousClock())
    }

    /// Every identifier session.json holds about people, as text that must never leave the machine.
    static func identifiers(_ session: Session) -> [String] {
        var values: [String] = []
        for attendee in session.attendees {
            values += attendee.name.split(separator: " ").map(String.init).filter { $0.count > 2 } + attendee.aliases
            values += [
                attendee.id.rawValue, attendee.coverage?.memberId, attendee.coverage?.groupNumber,
                attendee.address?.line1, attendee.address?.city, attendee.address?.postalCode,
            ].compactMap { $0 }
            if let born = attendee.dateOfBirth { values.append("\(born)") }
        }
        for clinician in session.clinicians {
            values += clinician.name.split(separator: " ").map(String.init).filter {
                $0.count > 2 && !$0.hasSuffix(".")
            }
            values += [clinician.id.rawValue] + (clinician.npi.map { [$0] } ?? [])
        }
        return values.filter { !$0.isEmpty }
    }

    /// `value` in `text` as whole words (not `Ray` inside `array`), ignoring case.
    static func containsWord(_ text: String, _ value: String) -> Bool {
        let text = Array(text.lowercased())
        let value = Array(value.lowercased())
        guard !value.isEmpty, text.count >= value.count else { return false }
        func edge(_ index: Int) -> Bool {
            index < 0 || index >= text.count || !(text[index].isLetter || text[index].isNumber)
        }
        for start in 0...(text.count - value.count) where Array(text[start..<(start + value.count)]) == value {
            if edge(start - 1) && edge(start + value.count) { return true }
        }
        return false
    }

    @Test(arguments: ["adolescent-family", "dbt-skills-group", "couples-session"])
    func requestBodies_holdNoRosterIdentifier(_ name: String) async throws {
        let scenario = try Fixtures.scenario(name)
        let server = try StubModelServer(replies: [.completion(#"{"sentences":[]}"#)])
        let client = try OpenAICompatibleModel(
            endpoint: ModelEndpoint(baseURL: server.baseURL, model: "stub", maxRetries: 0), environment: [:],
            transport: URLSessionTransport())
        let supervisor = try Self.supervisor(client, sendPart2: true)
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        #expect(!server.requests.isEmpty)
        for request in server.requests {
            for value in Self.identifiers(scenario.session) {
                #expect(!Self.containsWord(request.body, value), "\(name): \(value) was sent")
            }
        }
        // Only consenting attendees present were sent, and each request holds one attendee's material.
        let drafted = scenario.session.attendees.filter { $0.present && $0.consent?.aiDrafting == true }
        #expect(Set(run.modelRecords.map(\.attendee)) == Set(drafted.map(\.id)))
        // An empty reply is asked for again, then the deterministic draft is used.
        #expect(
            run.modelRecords.allSatisfy { $0.outcome == .fellBack("every sentence of the reply failed its checks (0)") }
        )
        #expect(run.notes.filter(\.aiGenerated).count == drafted.count)
    }

    @Test func validSentencesAreKept_hallucinatedOnesDropped_andNamesFiltered() async throws {
        let scenario = try Fixtures.scenario("dbt-skills-group")
        let model = ScriptedModel { request, _ in
            let shown = ScriptedModel.shownIndexes(request)
            let own = shown.first ?? 0
            return """
                {"sentences":[
                  {"field":"reported","text":"[CLIENT_1] and [CLIENT_3] described a hard week.","evidence":[\(own)]},
                  {"field":"reported","text":"Cites an utterance it was not shown.","evidence":[9999]},
                  {"field":"plan","text":"Uses a token it was never given: [CLIENT_77].","evidence":[\(own)]},
                  {"field":"reported","text":"No citation at all.","evidence":[]},
                  {"field":"reported","text":"... }, {","evidence":[\(own)]},
                  {"field":"observed","text":"A field the model may not write.","evidence":[\(own)]},
                  {"field":"plan","text":"Will practise the skill this week.","evidence":[\(own)]}
                ]}
                """
        }
        let supervisor = try Self.supervisor(model)
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        let maria = try #require(run.note(for: PersonID("CL-101")))
        let reported = maria.structured[.reported].map(\.text)
        let plan = maria.structured[.plan].map(\.text)
        #expect(plan.contains("Will practise the skill this week."))
        #expect(!plan.contains { $0.contains("CLIENT_77") })
        #expect(!reported.contains { $0.contains("not shown") || $0.contains("No citation") })
        // Re-identified, then the confidentiality filter takes the other member's name out.
        let other = scenario.session.attendees[2].name
        #expect(reported.contains { $0.contains("described a hard week") })
        #expect(
            !maria.sentences.contains { $0.text.contains(other) || $0.text.contains(other.split(separator: " ")[0]) })
        let record = try #require(run.modelRecords.first { $0.attendee == PersonID("CL-101") })
        #expect(record.outcome == .accepted(kept: 2, dropped: 5), "echoed JSON is not a sentence")
        #expect(!reported.contains { $0.contains("}") })
        #expect(record.usage == TokenUsage(prompt: 100, completion: 20) && record.calls == 1)
        // Every kept sentence cites only what that attendee said or was told.
        for sentence in maria.structured[.reported] + maria.structured[.plan] { #expect(!sentence.evidence.isEmpty) }
    }

    @Test func malformedReply_isAskedOnceMore_thenTheDeterministicDraftIsUsed() async throws {
        let scenario = try Fixtures.scenario("couples-session")
        let model = ScriptedModel { _, _ in "this is not JSON" }
        let supervisor = try Self.supervisor(model)
        let local = try await SessionSupervisor(configuration: try Fixtures.agents().supervisor)
            .draft(scenario.session, transcript: scenario.transcript)
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        #expect(run.notes == local.notes, "the fallback is the deterministic draft")
        #expect(
            run.modelRecords.allSatisfy {
                $0.calls == 2 && $0.outcome == .fellBack("the reply was not the schema's JSON")
            })
    }

    @Test func failedCall_andPart2Records_fallBackWithoutRetrying() async throws {
        let failing = ScriptedModel { _, _ in throw ModelError(.unavailable, status: 503, "down") }
        let supervisor = try Self.supervisor(failing)
        let scenario = try Fixtures.scenario("dbt-skills-group")
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        #expect(run.modelRecords.allSatisfy { $0.outcome == .fellBack("the model call failed (unavailable)") })
        #expect(failing.requests.count == run.modelRecords.count)

        // The substance-use group is a Part 2 program: nothing is sent unless the configuration allows it.
        let part2 = try Fixtures.scenario("substance-use-group")
        let model = ScriptedModel { _, _ in #"{"sentences":[]}"# }
        let local = try Self.supervisor(model, sendPart2: false)
        let kept = try await local.draft(part2.session, transcript: part2.transcript).modelRecords
        let part2Members = part2.session.attendees.filter {
            $0.consent?.part2 == true && $0.present && $0.consent?.aiDrafting == true
        }
        #expect(!part2Members.isEmpty)
        for member in part2Members {
            #expect(
                kept.first { $0.attendee == member.id }?.outcome
                    == .fellBack("a Part 2 record, kept local by the configuration"))
        }
        #expect(model.requests.count == kept.filter { $0.calls > 0 }.count)
    }
}
