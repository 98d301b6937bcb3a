// Benchmarks of the segmentation and attribution core (release build: `make bench`).
//
// Each case times TranscriptSegmenter + SpeakerAttributor (their pure engines, one core) on a
// deterministic synthetic group session, as the median of repeated runs after warm-up, with min and
// max. Then the whole drafting run (`SessionSupervisor.draft`: segment, attribute, and the fan-out of
// NoteDrafter per attendee, PlanAligner, RiskScreener and GroupSummarizer on all cores) on the same
// sessions and on a bundled scenario. `--json` prints machine-readable results.
import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Foundation

struct Case {
    var attendees: Int
    var utterances: Int
}

struct Result {
    var attendees: Int
    var utterances: Int
    var medianMicroseconds: Double
    var minMicroseconds: Double
    var maxMicroseconds: Double
    var accuracy: Double

    var sessionsPerSecond: Double { 1_000_000 / self.medianMicroseconds }
    var utterancesPerSecond: Double { self.sessionsPerSecond * Double(self.utterances) }
}

let json = CommandLine.arguments.contains("--json")
let quick = CommandLine.arguments.contains("--quick")
let agents = try AgentsDirectory.load(explicit: Fixtures.agentsDirectory)
let segmentation = Segmentation(configuration: agents.segmenter)
let engine = AttributionEngine(configuration: agents.attributor)
let clock = ContinuousClock()

var cases: [Case] = []
for attendees in [2, 8, 25, 50] {
    for utterances in quick ? [200] : [200, 1000, 5000] {
        cases.append(Case(attendees: attendees, utterances: utterances))
    }
}

/// Sorted timings in microseconds: `warmUp` untimed runs, then runs until `budget` has passed (at least
/// five, at most `limit`).
func sample(warmUp: Int, budget: Duration, limit: Int, _ body: () async throws -> Void) async rethrows -> [Double] {
    for _ in 0..<warmUp { try await body() }
    var samples: [Double] = []
    let deadline = clock.now.advanced(by: budget)
    while samples.count < 5 || (clock.now < deadline && samples.count < limit) {
        let start = clock.now
        try await body()
        let elapsed = start.duration(to: clock.now)
        samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
    }
    return samples.sorted()
}

var results: [Result] = []
for benchmarkCase in cases {
    let synthetic = SyntheticSession.make(
        attendees: benchmarkCase.attendees, utterances: benchmarkCase.utterances, seed: 1)
    let roster = Roster(session: synthetic.session)
    func once() -> Attribution {
        engine.attribute(segmentation.segment(synthetic.transcript), roster: roster, hints: [])
    }
    let check = once()
    let correct = zip(check.utterances, synthetic.truth).filter { $0.person == $1 }.count
    let samples = await sample(warmUp: 3, budget: .milliseconds(quick ? 200 : 1000), limit: 2000) { _ = once() }
    results.append(
        Result(
            attendees: benchmarkCase.attendees, utterances: benchmarkCase.utterances,
            medianMicroseconds: samples[samples.count / 2], minMicroseconds: samples.first!,
            maxMicroseconds: samples.last!,
            accuracy: Double(correct) / Double(benchmarkCase.utterances)
        )
    )
}

if json {
    let items = results.map { result in
        """
            {"attendees": \(result.attendees), "utterances": \(result.utterances), "medianMicroseconds": \(Int(result.medianMicroseconds)), \
        "minMicroseconds": \(Int(result.minMicroseconds)), "maxMicroseconds": \(Int(result.maxMicroseconds)), \
        "sessionsPerSecond": \(Int(result.sessionsPerSecond)), "utterancesPerSecond": \(Int(result.utterancesPerSecond)), \
        "accuracy": \(result.accuracy)}
        """
    }
    print("{\"benchmark\": \"segment+attribute, one core\", \"results\": [\n" + items.joined(separator: ",\n") + "\n]}")
} else {
    print("Segmentation + attribution, one core, synthetic group sessions (median of repeated runs)")
    print("attendees  utterances     median µs        min µs        max µs   sessions/s  utterances/s  accuracy")
    for result in results {
        print(
            String(
                format: "%9d  %10d  %12.0f  %12.0f  %12.0f  %11.1f  %12.0f  %7.1f%%", result.attendees,
                result.utterances,
                result.medianMicroseconds, result.minMicroseconds, result.maxMicroseconds, result.sessionsPerSecond,
                result.utterancesPerSecond, result.accuracy * 100
            )
        )
    }
}

// MARK: - The whole drafting run

struct DraftResult {
    var name: String
    var attendees: Int
    var utterances: Int
    var medianMilliseconds: Double
    var minMilliseconds: Double
    var maxMilliseconds: Double
}

func measureDraft(_ name: String, session: Session, transcript: Transcript) async throws -> DraftResult {
    let supervisor = SessionSupervisor(configuration: agents.supervisor)
    let samples = try await sample(warmUp: 2, budget: .milliseconds(quick ? 300 : 1500), limit: 500) {
        _ = try await supervisor.draft(session, transcript: transcript)
    }.map { $0 / 1000 }
    return DraftResult(
        name: name, attendees: session.attendees.count, utterances: transcript.utterances.count,
        medianMilliseconds: samples[samples.count / 2], minMilliseconds: samples.first!, maxMilliseconds: samples.last!)
}

var drafts: [DraftResult] = []
let bundled = try ScenarioLoader().load(Fixtures.scenariosDirectory + "/dbt-skills-group")
drafts.append(try await measureDraft("dbt-skills-group", session: bundled.session, transcript: bundled.transcript))
for (attendees, utterances) in quick ? [(8, 200)] : [(8, 200), (25, 1000), (50, 5000)] {
    let synthetic = SyntheticSession.make(attendees: attendees, utterances: utterances, seed: 1)
    drafts.append(
        try await measureDraft(
            "synthetic", session: synthetic.session, transcript: synthetic.transcript))
}

if json {
    let items = drafts.map { result in
        """
            {"session": "\(result.name)", "attendees": \(result.attendees), "utterances": \(result.utterances), \
        "medianMilliseconds": \(result.medianMilliseconds), "minMilliseconds": \(result.minMilliseconds), \
        "maxMilliseconds": \(result.maxMilliseconds)}
        """
    }
    print("{\"benchmark\": \"draft (whole run)\", \"results\": [\n" + items.joined(separator: ",\n") + "\n]}")
} else {
    print("")
    print("Whole drafting run (segment, attribute, one note per attendee, group note, plan, risk, claims), all cores")
    print("session             attendees  utterances    median ms     min ms     max ms   sessions/s")
    for result in drafts {
        print(
            String(
                format: "%-18@  %9d  %10d  %11.2f  %9.2f  %9.2f  %11.1f", result.name as NSString, result.attendees,
                result.utterances, result.medianMilliseconds, result.minMilliseconds, result.maxMilliseconds,
                1000 / result.medianMilliseconds
            )
        )
    }
}
