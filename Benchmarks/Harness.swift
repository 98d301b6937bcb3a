// Measuring: repeated timings with their median, min and max; resident memory; pinning to one core;
// running a section in a fresh process of this executable.
import EnsembleFormats
import Foundation
import Synchronization

let clock = ContinuousClock()

extension Duration {
    var microseconds: Double {
        Double(self.components.seconds) * 1e6 + Double(self.components.attoseconds) / 1e12
    }
}

/// A measured figure: the median of repeated measurements, with their min and max.
struct Spread {
    var median: Double
    var min: Double
    var max: Double
    var count: Int

    init(_ values: [Double]) {
        let sorted = values.sorted()
        precondition(!sorted.isEmpty, "a spread needs at least one measurement")
        self.median =
            sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        self.min = sorted[0]
        self.max = sorted[sorted.count - 1]
        self.count = sorted.count
    }

    var json: JSONNode {
        JSONNode.object([
            ("median", JSONNode.rounded(self.median, places: 3)), ("min", JSONNode.rounded(self.min, places: 3)),
            ("max", JSONNode.rounded(self.max, places: 3)), ("runs", JSONNode.number(self.count)),
        ])
    }

    init(json: JSONNode) {
        self.median = json["median"]?.number ?? .nan
        self.min = json["min"]?.number ?? .nan
        self.max = json["max"]?.number ?? .nan
        self.count = Int(json["runs"]?.number ?? 0)
    }
}

/// Wall-clock microseconds of `warmUp` untimed runs, then of runs until `budget` has passed (at least
/// `minimum`, at most `limit`).
func sample(
    warmUp: Int = 2, minimum: Int = 5, budget: Duration, limit: Int = 5_000, _ body: () async throws -> Void
) async rethrows -> [Double] {
    for _ in 0..<warmUp { try await body() }
    var samples: [Double] = []
    let deadline = clock.now.advanced(by: budget)
    while samples.count < minimum || (clock.now < deadline && samples.count < limit) {
        let start = clock.now
        try await body()
        samples.append(start.duration(to: clock.now).microseconds)
    }
    return samples
}

/// The process's resident memory now and at its peak, in MiB (from /proc/self/status).
func residentMemory() -> (current: Double, peak: Double) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (.nan, .nan) }
    func field(_ name: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return .nan }
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
        return kilobytes / 1024
    }
    return (field("VmRSS"), field("VmHWM"))
}

/// The machine, for the results table.
func machineDescription() -> (cpu: String, cores: Int, memoryGiB: Double) {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
        info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last?
        .trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return (
        model, ProcessInfo.processInfo.activeProcessorCount,
        Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
    )
}

/// Runs one section in a fresh process of this executable (so its memory and core pinning are its
/// own) and returns the JSON it printed.
func runSection(_ name: String, oneCore: Bool = false, quick: Bool) throws -> JSONNode {
    let process = Process()
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    let arguments = ["--section", name] + (oneCore ? ["--one-core"] : []) + (quick ? ["--quick"] : [])
    // One core: the section runs under `taskset -c 0` (util-linux), so every thread it starts is pinned.
    if oneCore, FileManager.default.isExecutableFile(atPath: taskset) {
        process.executableURL = URL(fileURLWithPath: taskset)
        process.arguments = ["-c", "0", executable] + arguments
    } else {
        if oneCore {
            FileHandle.standardError.write(Data("warning: no \(taskset); one-core runs are not pinned\n".utf8))
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchmarkFailure("section \(name) exited with status \(process.terminationStatus)")
    }
    return try JSONParser.parse([UInt8](data), file: "section \(name)")
}

let taskset = "/usr/bin/taskset"

struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Blocks the main thread until `body` finishes on the concurrency runtime (the main thread never
/// parks in the runtime, which keeps the executable usable under valgrind).
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) {
    let done = DispatchSemaphore(value: 0)
    let failure = Mutex<(any Error)?>(nil)
    Task.detached {
        do { try await body() } catch { failure.withLock { $0 = error } }
        done.signal()
    }
    done.wait()
    if let error = failure.withLock({ $0 }) {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(1)
    }
}
