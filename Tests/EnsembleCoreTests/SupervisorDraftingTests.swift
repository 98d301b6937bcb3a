import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Synchronization
import Testing

/// Progress events a handler heard, in order.
final class Recorded: Sendable {
    private let events = Mutex<[SupervisorEvent]>([])
    func append(_ event: SupervisorEvent) { self.events.withLock { $0.append(event) } }
    var all: [SupervisorEvent] { self.events.withLock { $0 } }
}

/// The supervisor's fan-out under scripted agents: one attendee's failure or timeout stays theirs,
/// cancellation stops everything, and the output does not depend on scheduling.
@Suite("Session supervisor: drafting fan-out", .timeLimit(.minutes(10)))
struct SupervisorDraftingTests {
    static let scenario = "dbt-skills-group"
    static let drafted = ["CL-101", "CL-102", "CL-103", "CL-106", "CL-107"].map(PersonID.init)

    static func supervisor(
        _ behaviour: @escaping @Sendable (String) -> ScriptedAgents.Behaviour, limit: Int = 4,
        timeout: Duration = .seconds(30), clock: any Clock<Duration> = ContinuousClock()
    ) throws -> (SessionSupervisor, ScriptedAgents) {
        var configuration = try Fixtures.agents().supervisor
        configuration.concurrencyLimit = limit
        configuration.agentTimeout = timeout
        let scripted = ScriptedAgents(live: SessionSupervisor.Agents(configuration.drafting!), behaviour: behaviour)
        return (SessionSupervisor(configuration: configuration, agents: scripted.agents, clock: clock), scripted)
    }

    @Test func oneAttendeesFailure_isAFindingForThem_andTheOthersFinish() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let failing = PersonID("CL-102")
        let (supervisor, scripted) = try Self.supervisor { $0 == "NoteDrafter:CL-102" ? .fail : .succeed }
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)

        let note = try #require(run.note(for: failing))
        #expect(!note.aiGenerated && note.manualNoteRequired)
        #expect(run.skipped.contains(SkippedAttendee(attendee: failing, reason: .draftFailed)))
        let finding = try #require(run.findings.first { $0.code == .draftFailed })
        #expect(finding.person == failing)
        // Reported once, by the supervisor that saw it fail.
        #expect(run.findings.filter { $0.code == .draftFailed }.count == 1)
        #expect(finding.severity == .error)
        // The agent's error text (PHI in this script) is never repeated.
        #expect(!finding.message.contains("Maria") && !finding.message.contains("die"))
        for attendee in Self.drafted where attendee != failing {
            #expect(run.note(for: attendee)?.aiGenerated == true)
        }
        #expect(!run.groupNote.sections.isEmpty)
        #expect(!run.risk.flags.isEmpty)
        // Alignment runs beside drafting; the failed attendee's progress goes with their draft.
        #expect(scripted.log.calls.contains("PlanAligner:CL-101"))
        #expect(!run.alignment.progress.contains { $0.attendee == failing })
        #expect(run.alignment.progress.contains { $0.attendee == PersonID("CL-101") })
    }

    @Test func sharedAgentFailure_leavesTheNotesAndReportsIt() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let (supervisor, _) = try Self.supervisor { $0 == "RiskScreener" ? .fail : .succeed }
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        let finding = try #require(run.findings.first { $0.code == .draftFailed })
        #expect(finding.person == nil)
        #expect(finding.message.contains("RiskScreener"))
        #expect(run.risk.flags.isEmpty)
        for attendee in Self.drafted {
            let note = try #require(run.note(for: attendee))
            #expect(note.aiGenerated)
            // The note does not pass off a failed screen as "not assessed".
            let risk = note.structured[.risk]
            #expect(risk.count == 1 && risk[0].basis == .manual)
        }
    }

    /// Drafts the scenario with CL-106's NoteDrafter behaving as `stuck` on a manual clock with a
    /// one-minute agent timeout: once every other agent has finished, a minute passes.
    static func draftWithOneStuck(
        _ stuck: @escaping @Sendable (ManualClock) -> ScriptedAgents.Behaviour, sleepers: Int
    ) async throws -> (SessionRun, ScriptedAgents) {
        let scenario = try Fixtures.scenario(Self.scenario)
        let clock = ManualClock()
        let (supervisor, scripted) = try Self.supervisor(
            { $0 == "NoteDrafter:CL-106" ? stuck(clock) : .succeed }, timeout: .seconds(60), clock: clock)
        let (events, progress) = AsyncStream.makeStream(of: SupervisorEvent.self)
        let task = Task {
            try await supervisor.draft(scenario.session, transcript: scenario.transcript) { progress.yield($0) }
        }
        var finished = 0
        for await event in events {
            if case .agentFinished = event { finished += 1 }
            if finished == 3 + 2 * Self.drafted.count - 1 { break }
        }
        while clock.sleeperCount < sleepers { await Task.yield() }
        clock.advance(by: .seconds(61))
        return (try await task.value, scripted)
    }

    @Test func agentTimeout_abandonsOnlyThatAttendee() async throws {
        let slow = PersonID("CL-106")
        // Sleeping on the manual clock: the hanging agent and the supervisor's deadline watch.
        let (run, scripted) = try await Self.draftWithOneStuck({ .hang($0) }, sleepers: 2)
        #expect(run.findings.contains { $0.code == .agentTimedOut && $0.person == slow })
        #expect(run.skipped.contains(SkippedAttendee(attendee: slow, reason: .draftFailed)))
        #expect(run.note(for: slow)?.manualNoteRequired == true)
        #expect(scripted.log.cancelled == ["NoteDrafter:CL-106"])
        for attendee in Self.drafted where attendee != slow { #expect(run.note(for: attendee)?.aiGenerated == true) }
    }

    /// An agent that never checks for cancellation, past its deadline: the session finishes without it.
    /// The deadline runs on a manual clock, so a loaded machine cannot time out the other agents; were
    /// the stuck agent awaited, the run would take its fifteen minutes and the time limit (ten) would fail the test.
    @Test
    func agentIgnoringCancellation_pastItsTimeout_doesNotHoldTheSession() async throws {
        let slow = PersonID("CL-106")
        // Only the supervisor's deadline watch sleeps on the manual clock.
        let (run, scripted) = try await Self.draftWithOneStuck(
            { _ in .ignoreCancellation(.seconds(900)) }, sleepers: 1)
        #expect(run.findings.contains { $0.code == .agentTimedOut && $0.person == slow })
        #expect(run.note(for: slow)?.manualNoteRequired == true)
        #expect(scripted.log.cancelled.isEmpty, "the agent is still running, left behind")
        for attendee in Self.drafted where attendee != slow { #expect(run.note(for: attendee)?.aiGenerated == true) }
    }

    @Test func everyJob_getsAFreshAgentInstance_andAnInstanceServesOneJob() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let configuration = try Fixtures.agents().supervisor
        let live = SessionSupervisor.Agents(configuration.drafting!)
        let made = Mutex<[String: Int]>([:])
        func counted<T>(_ name: String, _ make: @escaping @Sendable () -> T) -> @Sendable () -> T {
            {
                made.withLock { $0[name, default: 0] += 1 }; return make()
            }
        }
        let agents = SessionSupervisor.Agents(
            drafter: counted("drafter", live.drafter), aligner: counted("aligner", live.aligner),
            screener: counted("screener", live.screener), summarizer: counted("summarizer", live.summarizer),
            billing: counted("billing", live.billing))
        let supervisor = SessionSupervisor(configuration: configuration, agents: agents, clock: ContinuousClock())
        _ = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        _ = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        let counts = made.withLock { $0 }
        // Two sessions: per session a drafter and an aligner per drafted attendee, one more aligner for the
        // goal conflicts, and one screener, summarizer and reconciler.
        #expect(counts["drafter"] == 2 * Self.drafted.count)
        #expect(counts["aligner"] == 2 * (Self.drafted.count + 1))
        #expect(counts["screener"] == 2 && counts["summarizer"] == 2 && counts["billing"] == 2)

        // An instance keeps its one job's state, and refuses a second job.
        let drafter = NoteDrafter(configuration: configuration.drafting!.drafter)
        let attributed = try await supervisor.attribute(scenario.session, transcript: scenario.transcript)
        let context = DraftingContext(
            facts: SessionFacts(
                attributed: attributed, attributor: configuration.attributor,
                interventions: configuration.drafting!.interventions))
        let attendee = try #require(Self.drafted.first)
        _ = try await drafter.draft(for: attendee, in: context)
        let job = try #require(await drafter.job)
        #expect(job.agent == .noteDrafter && job.session == scenario.session.id && job.attendee == attendee)
        #expect(job.took != nil)
        await #expect(throws: AgentError.self) { try await drafter.draft(for: attendee, in: context) }
    }

    @Test func billingFailure_leavesTheNotes_andNoClaims() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let (supervisor, _) = try Self.supervisor { $0 == "BillingReconciler" ? .fail : .succeed }
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        #expect(run.billing.claims.isEmpty)
        let finding = try #require(run.findings.first { $0.code == .billingFailed })
        #expect(finding.message.contains("failed") && !finding.message.contains("Maria"))
        for attendee in Self.drafted { #expect(run.note(for: attendee)?.aiGenerated == true) }
    }

    @Test func billingTimeout_isAFinding_andTheRunFinishes() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let clock = ManualClock()
        let (supervisor, scripted) = try Self.supervisor(
            { $0 == "BillingReconciler" ? .hang(clock) : .succeed }, timeout: .seconds(60), clock: clock)
        let task = Task { try await supervisor.draft(scenario.session, transcript: scenario.transcript) }
        // The reconciler starts only after every drafting job; then it hangs until its deadline.
        while !scripted.log.calls.contains("BillingReconciler") || clock.sleeperCount < 2 { await Task.yield() }
        clock.advance(by: .seconds(61))
        let run = try await task.value
        let finding = try #require(run.findings.first { $0.code == .billingFailed })
        #expect(finding.message.contains("time limit"))
        #expect(run.billing.claims.isEmpty)
        #expect(scripted.log.cancelled == ["BillingReconciler"])
        for attendee in Self.drafted { #expect(run.note(for: attendee)?.aiGenerated == true) }
    }

    @Test func cancellation_stopsEveryAgentAndThrows() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let clock = ManualClock()
        let (supervisor, scripted) = try Self.supervisor({ _ in .hang(clock) }, limit: 16, clock: clock)
        let task = Task { try await supervisor.draft(scenario.session, transcript: scenario.transcript) }
        // Wait until every job is running (each job's agent, and the supervisor's one deadline watch).
        let jobs = 3 + 2 * Self.drafted.count
        while clock.sleeperCount < jobs + 1 { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // The run ends at once; its agents are cancelled and end on their own, without being awaited.
        for _ in 0..<100_000 where scripted.log.cancelled.count < jobs || clock.sleeperCount > 1 { await Task.yield() }
        #expect(scripted.log.cancelled.count == jobs)
        // No agent is left sleeping; only the supervisor's deadline watch waits for its next deadline.
        #expect(clock.sleeperCount == 1)
    }

    @Test func output_isTheSameWhateverTheScheduling() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        // The deadline is far off: this test is about order, and a loaded machine must not time an agent out.
        let (reference, _) = try Self.supervisor({ _ in .succeed }, limit: 1, timeout: .seconds(900))
        let expected = try await reference.draft(scenario.session, transcript: scenario.transcript)
        var random = SplitMix64(seed: 7)
        for round in 0..<6 {
            // Each call yields a different number of times, so children finish in a different order.
            let delays = Dictionary(
                uniqueKeysWithValues: (Self.drafted.map { "NoteDrafter:\($0)" } + [
                    "RiskScreener", "GroupSummarizer", "PlanAligner:conflicts",
                ])
                .map { ($0, random.next(below: 50)) })
            let (supervisor, _) = try Self.supervisor(
                { .yield(delays[$0] ?? 0) }, limit: [1, 2, 3, 4, 8, 16][round], timeout: .seconds(900))
            let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
            #expect(run == expected, "round \(round)")
        }
    }

    @Test func progressEvents_coverEveryAgentAndEndWithFinished() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let (supervisor, _) = try Self.supervisor { _ in .succeed }
        let log = Recorded()
        _ = try await supervisor.draft(scenario.session, transcript: scenario.transcript) { log.append($0) }
        let recorded = log.all
        // Two sessions at once keep their events apart: each handler hears only its own session.
        let mine = Recorded()
        let other = Recorded()
        async let first = supervisor.draft(scenario.session, transcript: scenario.transcript) { mine.append($0) }
        async let second = supervisor.draft(scenario.session, transcript: scenario.transcript) { other.append($0) }
        _ = try await (first, second)
        for heard in [mine.all, other.all] {
            #expect(heard.count == recorded.count && heard.filter { $0 == .finished }.count == 1)
        }
        let events = recorded
        #expect(events.first.map { if case .segmented = $0 { true } else { false } } == true)
        // Three shared jobs, a draft and an alignment per consenting attendee present, and the
        // BillingReconciler after them.
        #expect(events.contains(.fanningOut(jobs: 3 + 2 * Self.drafted.count + 1)))
        let drafted = events.lastIndex { if case .agentFinished(agent: .noteDrafter, _) = $0 { true } else { false } }
        let billing = events.firstIndex(of: .agentStarted(agent: .billingReconciler, attendee: nil))
        #expect(drafted != nil && billing != nil && drafted! < billing!)
        for attendee in Self.drafted {
            #expect(events.contains(.agentStarted(agent: .noteDrafter, attendee: attendee)))
            #expect(events.contains(.agentFinished(agent: .noteDrafter, attendee: attendee)))
        }
        // Attendees without consent or absent are never handed to an agent.
        #expect(!events.contains(.agentStarted(agent: .noteDrafter, attendee: PersonID("CL-105"))))
        #expect(!events.contains(.agentStarted(agent: .noteDrafter, attendee: PersonID("CL-104"))))
        #expect(events.last == .finished)
    }

    @Test func alignmentFailure_leavesTheDraft_andTheNoteSaysProgressWasNotReviewed() async throws {
        let scenario = try Fixtures.scenario("adolescent-family")
        let patient = try #require(scenario.session.attendees.first { $0.treatmentPlan != nil }).id
        let (supervisor, _) = try Self.supervisor { $0 == "PlanAligner:\(patient)" ? .fail : .succeed }
        let run = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
        let note = try #require(run.note(for: patient))
        #expect(note.aiGenerated)
        let progress = note.structured[.progress]
        #expect(progress.count == 1 && progress[0].basis == .manual)
        #expect(progress[0].text.contains("by hand"))
        let finding = try #require(run.findings.first { $0.code == .draftFailed && $0.person == patient })
        #expect(finding.message.contains("PlanAligner") && finding.message.contains("treatment-plan progress"))
    }

    @Test func supervisor_producesWhatTheAgentsCalledInTurnProduce() async throws {
        let configuration = try Fixtures.agents().supervisor
        let supervisor = SessionSupervisor(configuration: configuration)
        let sequential = SequentialDrafting(configuration: configuration)
        for name in try Fixtures.scenarioNames() {
            let scenario = try Fixtures.scenario(name)
            let fannedOut = try await supervisor.draft(scenario.session, transcript: scenario.transcript)
            let inTurn = try await sequential.draft(scenario.session, transcript: scenario.transcript)
            #expect(fannedOut == inTurn, "\(name)")
        }
    }

    @Test func sessionsBeyondTheLimit_waitTheirTurn_andCanBeCancelledWhileWaiting() async throws {
        let scenario = try Fixtures.scenario(Self.scenario)
        let clock = ManualClock()
        var configuration = try Fixtures.agents().supervisor
        configuration.sessionLimit = 2
        let scripted = ScriptedAgents(live: SessionSupervisor.Agents(configuration.drafting!)) {
            $0 == "RiskScreener" ? .hang(clock) : .succeed
        }
        let supervisor = SessionSupervisor(configuration: configuration, agents: scripted.agents, clock: clock)
        let tasks = (0..<5).map { _ in
            Task { try await supervisor.draft(scenario.session, transcript: scenario.transcript) }
        }
        func screens() -> Int { scripted.log.calls.filter { $0 == "RiskScreener" }.count }
        while supervisor.load != (2, 3) || screens() < 2 { await Task.yield() }
        for _ in 0..<200 { await Task.yield() }
        // Only the two admitted sessions reached an agent.
        #expect(screens() == 2)
        let waiting = try #require(tasks.last)
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(supervisor.load == (2, 2))
        // A screen that never ends times out (two minutes on the manual clock), its session finishes
        // with a finding, and the next waiting session takes its place.
        clock.advance(by: .seconds(121))
        let first = try await tasks[0].value
        #expect(first.findings.contains { $0.code == .agentTimedOut })
        for task in tasks.dropFirst().dropLast() { task.cancel() }
        for task in tasks.dropFirst().dropLast() { _ = try? await task.value }
        #expect(supervisor.load == (0, 0))
    }
}
