// Benchmarks of the attribution and drafting core (`make bench`, release build).
//
// With no arguments: runs every section, each in a fresh process of this executable, and prints the
// tables and whether each target holds; `--json` prints the results as JSON instead; `--quick` runs a
// small version of everything (a smoke test of the benchmark itself).
//
// For profiling: `--profile NxTxK[xC]` drafts a synthetic session of N attendees and T utterances K
// times (C agent calls at once; C = 0 calls the agents one after another without the supervisor),
// e.g. under `valgrind --tool=callgrind`; `--report NxTxS` prints the
// run report of a synthetic session with seed S (to check that an optimisation changed no output).
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Synchronization

let arguments = CommandLine.arguments
let oneCore = arguments.contains("--one-core")
let quick = arguments.contains("--quick")

func value(after flag: String) -> String? {
    arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}

func numbers(_ text: String) -> [Int] { text.split(separator: "x").compactMap { Int($0) } }

let agents: AgentConfigurations
do {
    agents = try AgentsDirectory.load(explicit: Fixtures.agentsDirectory)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}

if let shape = value(after: "--profile").map(numbers), shape.count >= 3 {
    runBlocking {
        let synthetic = SyntheticSession.make(attendees: shape[0], utterances: shape[1], seed: 1)
        var configuration = agents.supervisor
        if shape.count > 3 { configuration.concurrencyLimit = max(1, shape[3]) }
        if shape.count > 3 && shape[3] == 0 {
            // The same agents called one after another, for comparison.
            let sequential = SequentialDrafting(configuration: configuration)
            for _ in 0..<shape[2] {
                _ = try await sequential.draft(synthetic.session, transcript: synthetic.transcript)
            }
            return
        }
        let supervisor = SessionSupervisor(configuration: configuration)
        for _ in 0..<shape[2] { _ = try await supervisor.draft(synthetic.session, transcript: synthetic.transcript) }
    }
    exit(0)
}

// `--saturate NxTxSECONDSxWINDOW`: sessions/s with WINDOW sessions in flight for SECONDS (for perf/time).
if let shape = value(after: "--saturate").map(numbers), shape.count == 4 {
    runBlocking {
        let synthetic = SyntheticSession.make(attendees: shape[0], utterances: shape[1], seed: 1)
        let supervisor = SessionSupervisor(configuration: agents.supervisor)
        let start = clock.now
        final class Counter: Sendable { let value = Mutex(0) }
        let counter = Counter()
        let deadline = start.advanced(by: .seconds(shape[2]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<shape[3] {
                group.addTask {
                    while clock.now < deadline {
                        _ = try await supervisor.draft(synthetic.session, transcript: synthetic.transcript)
                        counter.value.withLock { $0 += 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = start.duration(to: clock.now).microseconds / 1e6
        let count = counter.value.withLock { $0 }
        print("\(count) sessions in \(seconds) s: \(Double(count) / seconds) sessions/s")
    }
    exit(0)
}

if let shape = value(after: "--report").map(numbers), shape.count == 3 {
    runBlocking {
        let synthetic = SyntheticSession.make(attendees: shape[0], utterances: shape[1], seed: UInt64(shape[2]))
        let run = try await SessionSupervisor(configuration: agents.supervisor)
            .draft(synthetic.session, transcript: synthetic.transcript)
        let context = RunReport.Context(transcriptFiles: ["synthetic"], disclaimer: "", agents: agents.versions)
        print(JSONWriter.write(RunReport.json(run, context: context)))
    }
    exit(0)
}

if let name = value(after: "--section") {
    let sections = Sections(
        agents: agents, quick: quick, cores: oneCore ? 1 : ProcessInfo.processInfo.activeProcessorCount)
    runBlocking {
        let result: JSONNode
        switch name {
        case "throughput": result = try await sections.throughput()
        case "overhead": result = try await sections.overhead()
        case "fanout": result = try await sections.fanOut()
        case "many": result = try await sections.manySessions()
        case "clone": result = try await sections.cloneShare()
        default: throw BenchmarkFailure("no section \(name)")
        }
        print(JSONWriter.write(result, pretty: false))
    }
    exit(0)
}

// MARK: - Every section, then the tables

let started = clock.now
func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
var results: [(String, JSONNode)] = []
do {
    progress("core throughput on one core")
    results.append(("throughputOneCore", try runSection("throughput", oneCore: true, quick: quick)))
    progress("core throughput on all cores")
    results.append(("throughputAllCores", try runSection("throughput", quick: quick)))
    progress("supervisor overhead")
    results.append(("overhead", try runSection("overhead", oneCore: true, quick: quick)))
    progress("fan-out with a 200 ms model")
    results.append(("fanOut", try runSection("fanout", quick: quick)))
    progress("many sessions at once")
    results.append(("manySessions", try runSection("many", quick: quick)))
    progress("clone check share")
    results.append(("cloneCheck", try runSection("clone", oneCore: true, quick: quick)))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
let machine = machineDescription()
let report = Report(results: Dictionary(uniqueKeysWithValues: results), machine: machine, quick: quick)
if arguments.contains("--json") {
    print(JSONWriter.write(report.json))
} else {
    print(report.text)
}
progress("done in \(Int(started.duration(to: clock.now).microseconds / 1e6)) s")
exit(0)
