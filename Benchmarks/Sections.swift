// The measurements, one function per section. Each runs in its own process and returns JSON.
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Synchronization

struct Sections {
    let agents: AgentConfigurations
    let quick: Bool
    let cores: Int

    static let attendeeCounts = [2, 8, 25, 50]
    static let utteranceCounts = [200, 1000, 5000]
    static let modelLatency = Duration.milliseconds(200)

    // MARK: 1. Core throughput

    /// The full deterministic pipeline on synthetic sessions for every N × T: sessions/s with a window
    /// of sessions in flight (two per core in use), repeated; and one session's latency alone.
    func throughput() async throws -> JSONNode {
        let supervisor = SessionSupervisor(configuration: self.agents.supervisor)
        var cases: [JSONNode] = []
        for attendees in Self.attendeeCounts {
            for utterances in self.quick ? [200] : Self.utteranceCounts {
                let synthetic = SyntheticSession.make(attendees: attendees, utterances: utterances, seed: 1)
                let latency = try await sample(budget: .milliseconds(self.quick ? 100 : 300), limit: 200) {
                    _ = try await supervisor.draft(synthetic.session, transcript: synthetic.transcript)
                }
                // Enough sessions per repetition for about 0.2 s of work, and at least a full window.
                let window = 2 * self.cores
                let perSecond = 1e6 / Spread(latency).median * Double(self.cores)
                let batch = max(window, Int(perSecond * (self.quick ? 0.08 : 0.2)))
                var rates: [Double] = []
                for _ in 0..<(self.quick ? 3 : 5) {
                    let start = clock.now
                    try await Self.drain(batch, window: window) { _ in
                        _ = try await supervisor.draft(synthetic.session, transcript: synthetic.transcript)
                    }
                    rates.append(Double(batch) / (start.duration(to: clock.now).microseconds / 1e6))
                }
                let spread = Spread(rates)
                cases.append(
                    JSONNode.object([
                        ("attendees", JSONNode.number(attendees)), ("utterances", JSONNode.number(utterances)),
                        ("sessionsPerSecond", spread.json),
                        ("utterancesPerSecond", JSONNode.rounded(spread.median * Double(utterances), places: 0)),
                        ("latencyMicroseconds", Spread(latency).json),
                        ("sessionsPerRepetition", JSONNode.number(batch)),
                    ]))
            }
        }
        return JSONNode.object([("cores", JSONNode.number(self.cores)), ("cases", JSONNode.array(cases))])
    }

    /// Runs `count` jobs with at most `window` in flight.
    static func drain(_ count: Int, window: Int, _ job: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(window, count) {
                let index = next
                group.addTask { try await job(index) }
                next += 1
            }
            while try await group.next() != nil {
                guard next < count else { continue }
                let index = next
                group.addTask { try await job(index) }
                next += 1
            }
        }
    }

    // MARK: 2. Supervisor overhead

    /// The same live agents called one after another (`SequentialDrafting`) and through the supervisor,
    /// alternately in one process on one core, so both see the same machine; the difference of the
    /// medians is what the supervisor adds per session (admission, fan-out, timeouts, events).
    func overhead() async throws -> JSONNode {
        var cases: [JSONNode] = []
        for (attendees, utterances) in [(2, 200), (8, 200), (50, 1000)] {
            let synthetic = SyntheticSession.make(attendees: attendees, utterances: utterances, seed: 1)
            let supervisor = SessionSupervisor(configuration: self.agents.supervisor)
            let direct = SequentialDrafting(configuration: self.agents.supervisor)
            var viaSupervisor: [Double] = []
            var called: [Double] = []
            let rounds = self.quick ? 20 : (attendees == 50 ? 60 : 400)
            for round in 0..<(rounds + 5) {
                // Which goes first alternates, so neither always runs on caches the other warmed.
                var times: [Double] = []
                for supervised in round % 2 == 0 ? [false, true] : [true, false] {
                    let start = clock.now
                    if supervised {
                        _ = try await supervisor.draft(synthetic.session, transcript: synthetic.transcript)
                    } else {
                        _ = try await direct.draft(synthetic.session, transcript: synthetic.transcript)
                    }
                    times.append(start.duration(to: clock.now).microseconds)
                }
                guard round >= 5 else { continue }  // warm-up
                called.append(round % 2 == 0 ? times[0] : times[1])
                viaSupervisor.append(round % 2 == 0 ? times[1] : times[0])
            }
            let sequential = Spread(called)
            let supervised = Spread(viaSupervisor)
            // Per-round differences, so a slow moment of the machine cancels out.
            let differences = zip(viaSupervisor, called).map { $0 - $1 }
            cases.append(
                JSONNode.object([
                    ("attendees", JSONNode.number(attendees)), ("utterances", JSONNode.number(utterances)),
                    ("directMicroseconds", sequential.json), ("supervisorMicroseconds", supervised.json),
                    ("overheadMicroseconds", JSONNode.rounded(Spread(differences).median, places: 1)),
                ]))
        }
        return JSONNode.object([("cases", JSONNode.array(cases))])
    }

    // MARK: 3. Fan-out with a model's latency

    /// Every fan-out agent behind a fake model whose reply arrives 200 ms after the call (the live agent
    /// works the reply out meanwhile, as the model would; the BillingReconciler stays deterministic).
    /// With every call allowed at once, one model call is on the critical path. So are the pipeline's
    /// serial stages: before the fan-out, segmentation, attribution and the facts the agents share;
    /// after it, assembly (the confidentiality filter and clone check) and the claims. Each run's
    /// progress events are timed to measure those stages in that same run, so the ideal critical path
    /// is 200 ms + before + after, and what is left of the wall time is orchestration.
    func fanOut() async throws -> JSONNode {
        var cases: [JSONNode] = []
        for attendees in [2, 10, 50] {
            let synthetic = SyntheticSession.make(attendees: attendees, utterances: 200, seed: 1)
            var configuration = self.agents.supervisor
            configuration.concurrencyLimit = 2 * attendees + 3
            let live = SessionSupervisor.Agents(configuration.drafting!)
            let model = ScriptedAgents(live: live) {
                $0 == "BillingReconciler" ? .succeed : .latency(Self.modelLatency)
            }
            let supervisor = SessionSupervisor(
                configuration: configuration, agents: model.agents, clock: ContinuousClock())
            var walls: [Double] = []
            var ideals: [Double] = []
            var before: [Double] = []
            var after: [Double] = []
            for round in 0..<(self.quick ? 4 : 9) {
                let stages = StageClock()
                let start = clock.now
                _ = try await supervisor.draft(synthetic.session, transcript: synthetic.transcript) { stages.heard($0) }
                let end = clock.now
                guard round > 0, let (pre, post) = stages.serialStages(from: start, to: end) else { continue }
                walls.append(start.duration(to: end).microseconds)
                before.append(pre)
                after.append(post)
                ideals.append(Self.modelLatency.microseconds + pre + post)
            }
            let wall = Spread(walls)
            let ideal = Self.modelLatency.microseconds
            let ratios = zip(walls, ideals).map { $0 / $1 }
            cases.append(
                JSONNode.object([
                    ("attendees", JSONNode.number(attendees)), ("utterances", JSONNode.number(200)),
                    ("modelCalls", JSONNode.number(2 * attendees + 3)),
                    ("wallMilliseconds", Spread(walls.map { $0 / 1000 }).json),
                    ("modelMilliseconds", JSONNode.number(ideal / 1000)),
                    ("ratioToModelCall", JSONNode.rounded(wall.median / ideal, places: 4)),
                    ("serialBeforeMilliseconds", JSONNode.rounded(Spread(before).median / 1000, places: 3)),
                    ("serialAfterMilliseconds", JSONNode.rounded(Spread(after).median / 1000, places: 3)),
                    ("idealMilliseconds", JSONNode.rounded(Spread(ideals).median / 1000, places: 3)),
                    ("ratio", JSONNode.rounded(Spread(ratios).median, places: 4)),
                ]))
        }
        return JSONNode.object([
            ("modelLatencyMilliseconds", JSONNode.number(200)), ("cases", JSONNode.array(cases)),
        ])
    }

    // MARK: 4. Many sessions at once

    /// 10,000 sessions (N = 8, T = 200) handed to one supervisor at once, every one its own task; the
    /// inputs are 64 distinct generated sessions used in turn. Sessions/s and peak resident memory.
    func manySessions() async throws -> JSONNode {
        let count = self.quick ? 1_000 : 10_000
        let inputs = (1...64).map { SyntheticSession.make(attendees: 8, utterances: 200, seed: UInt64($0)) }
        let supervisor = SessionSupervisor(configuration: self.agents.supervisor)
        _ = try await supervisor.draft(inputs[0].session, transcript: inputs[0].transcript)
        let before = residentMemory()
        let start = clock.now
        let notes = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count {
                let input = inputs[index % inputs.count]
                group.addTask { try await supervisor.draft(input.session, transcript: input.transcript).notes.count }
            }
            return try await group.reduce(0, +)
        }
        let seconds = start.duration(to: clock.now).microseconds / 1e6
        let after = residentMemory()
        guard notes == count * 8 else { throw BenchmarkFailure("\(count * 8 - notes) notes missing") }
        return JSONNode.object([
            ("sessions", JSONNode.number(count)), ("seconds", JSONNode.rounded(seconds, places: 2)),
            ("sessionsPerSecond", JSONNode.rounded(Double(count) / seconds, places: 0)),
            ("residentBeforeMiB", JSONNode.rounded(before.current, places: 1)),
            ("peakResidentMiB", JSONNode.rounded(after.peak, places: 1)),
            ("sessionLimit", JSONNode.number(self.agents.supervisor.sessionLimit)),
        ])
    }

    // MARK: 5. Scaling and the clone check

    /// The share of a run the pairwise clone check takes at N = 50 (T = 1000): the check timed alone on
    /// that run's notes against the whole run, both on one core.
    func cloneShare() async throws -> JSONNode {
        let synthetic = SyntheticSession.make(attendees: 50, utterances: 1000, seed: 1)
        let supervisor = SessionSupervisor(configuration: self.agents.supervisor)
        let assembly = NoteAssembly(drafter: self.agents.drafting.drafter, attributor: self.agents.attributor)
        var run: SessionRun? = nil
        let whole = try await sample(budget: .milliseconds(self.quick ? 200 : 800), limit: 100) {
            run = try await supervisor.draft(synthetic.session, transcript: synthetic.transcript)
        }
        let notes = run!.notes.filter(\.aiGenerated)
        let check = await sample(budget: .milliseconds(self.quick ? 100 : 400), limit: 1000) {
            _ = assembly.cloneCheck(notes)
        }
        return JSONNode.object([
            ("attendees", JSONNode.number(50)), ("utterances", JSONNode.number(1000)),
            ("runMicroseconds", Spread(whole).json), ("cloneCheckMicroseconds", Spread(check).json),
            ("share", JSONNode.rounded(Spread(check).median / Spread(whole).median, places: 4)),
        ])
    }
}

/// Least-squares slope and intercept of y on x.
func linearFit(_ points: [(x: Double, y: Double)]) -> (slope: Double, intercept: Double) {
    let n = Double(points.count)
    let meanX = points.map(\.x).reduce(0, +) / n
    let meanY = points.map(\.y).reduce(0, +) / n
    let sxy = points.map { ($0.x - meanX) * ($0.y - meanY) }.reduce(0, +)
    let sxx = points.map { ($0.x - meanX) * ($0.x - meanX) }.reduce(0, +)
    let slope = sxx == 0 ? 0 : sxy / sxx
    return (slope, meanY - slope * meanX)
}

/// When a run's serial stages began and ended, from its progress events: the fan-out begins after
/// segmentation, attribution and the facts; the BillingReconciler's job begins with assembly.
final class StageClock: Sendable {
    private let times = Mutex<(fanOut: ContinuousClock.Instant?, post: ContinuousClock.Instant?)>((nil, nil))

    func heard(_ event: SupervisorEvent) {
        switch event {
        case .fanningOut: self.times.withLock { $0.fanOut = clock.now }
        case .agentStarted(agent: .billingReconciler, _): self.times.withLock { $0.post = clock.now }
        default: break
        }
    }

    /// Microseconds before the fan-out and after the last model reply (assembly and claims).
    func serialStages(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> (Double, Double)? {
        let (fanOut, post) = self.times.withLock { ($0.fanOut, $0.post) }
        guard let fanOut, let post else { return nil }
        return (start.duration(to: fanOut).microseconds, post.duration(to: end).microseconds)
    }
}
