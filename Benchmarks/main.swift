// Benchmarks of the segmentation and attribution core (release build: `make bench`).
//
// Each case times TranscriptSegmenter + SpeakerAttributor (their pure engines, one core) on a
// deterministic synthetic group session, as the median of repeated runs after warm-up, with min and
// max. `--json` prints machine-readable results. The full drafting pipeline is added by later work.
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
    // Warm up, then repeat until about a second has passed (at least 5 runs).
    for _ in 0..<3 { _ = once() }
    var samples: [Double] = []
    let deadline = clock.now.advanced(by: .milliseconds(quick ? 200 : 1000))
    while samples.count < 5 || (clock.now < deadline && samples.count < 2000) {
        let elapsed = clock.measure { _ = once() }
        samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
    }
    samples.sort()
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
