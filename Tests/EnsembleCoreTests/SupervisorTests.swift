import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Testing

@Suite("Session supervisor")
struct SupervisorTests {
    @Test func attribute_reportsProgressInOrder() async throws {
        let synthetic = SyntheticSession.make(attendees: 6, utterances: 120, seed: 11)
        let supervisor = SessionSupervisor(configuration: try Fixtures.agents().supervisor)
        let recorded = Recorded()
        let attributed = try await supervisor.attribute(synthetic.session, transcript: synthetic.transcript) {
            recorded.append($0)
        }
        #expect(attributed.attribution.utterances.count == 120)
        let events = recorded.all
        #expect(events.count == 3)
        #expect(events.first == .segmented(utterances: 120, segments: attributed.segmented.segments.count))
        #expect(
            events[1] == .attributed(speakers: 7, unknownUtterances: attributed.attribution.unknownUtterances.count))
        #expect(events.last == .finished)
    }

    @Test func cancelledRun_throwsCancellationError() async throws {
        let synthetic = SyntheticSession.make(attendees: 6, utterances: 120, seed: 11)
        let supervisor = SessionSupervisor(configuration: try Fixtures.agents().supervisor)
        let task = Task {
            // Cancelled before it starts: the supervisor must not run the agents.
            withUnsafeCurrentTask { $0?.cancel() }
            return try await supervisor.attribute(synthetic.session, transcript: synthetic.transcript)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
