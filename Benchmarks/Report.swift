// The human tables, the JSON document and the targets of issue 5.
import EnsembleFormats
import Foundation

struct Report {
    let results: [String: JSONNode]
    let machine: (cpu: String, cores: Int, memoryGiB: Double)
    let quick: Bool

    struct Target {
        var name: String
        var measured: String
        var holds: Bool
    }

    private func cases(_ key: String) -> [JSONNode] { self.results[key]?["cases"]?.array ?? [] }

    private static func int(_ node: JSONNode?, _ key: String) -> Int { Int(node?[key]?.number ?? -1) }

    /// One-core cost (ms of work per session) by attendees and utterances, from the best of the repeated
    /// throughput runs: the machine's noise only ever adds time, so the fastest repetition is the
    /// steadiest estimate of the work itself (one session's latency has few samples for long transcripts).
    private var costPerSession: [Int: [Int: Double]] {
        var table: [Int: [Int: Double]] = [:]
        for item in self.cases("throughputOneCore") {
            table[Self.int(item, "attendees"), default: [:]][Self.int(item, "utterances")] =
                1000 / Spread(json: item["sessionsPerSecond"]!).max
        }
        return table
    }

    /// Cost per utterance at the longest transcript over that at the next: about 1 when cost is linear
    /// in T, about 5 (5000 / 1000) when quadratic.
    private var growthInT: [(attendees: Int, ratio: Double, slope: Double)] {
        self.costPerSession.keys.sorted().compactMap { attendees in
            guard let row = self.costPerSession[attendees], let long = row[5000], let middle = row[1000] else {
                return nil
            }
            let fit = linearFit(row.sorted { $0.key < $1.key }.map { (Double($0.key), $0.value * 1000) })
            return (attendees, (long / 5000) / (middle / 1000), fit.slope)
        }
    }

    private var growthInN: [(utterances: Int, ratio: Double, slope: Double)] {
        let lengths = Set(self.costPerSession.values.flatMap(\.keys)).sorted()
        return lengths.compactMap { utterances in
            let column = self.costPerSession.compactMapValues { $0[utterances] }
            guard let large = column[50], let middle = column[25] else { return nil }
            let fit = linearFit(column.sorted { $0.key < $1.key }.map { (Double($0.key), $0.value * 1000) })
            return (utterances, (large / 50) / (middle / 25), fit.slope)
        }
    }

    var targets: [Target] {
        var targets: [Target] = []
        let all = self.cases("throughputAllCores").first {
            Self.int($0, "attendees") == 8 && Self.int($0, "utterances") == 200
        }
        let rate = all.map { Spread(json: $0["sessionsPerSecond"]!).median } ?? .nan
        targets.append(
            Target(
                name: "N=8, T=200 on all \(self.machine.cores) cores: at least 1,000 sessions/s",
                measured: String(format: "%.0f sessions/s", rate), holds: rate >= 1000))
        let overhead =
            self.cases("overhead").first { Self.int($0, "attendees") == 8 }?["overheadMicroseconds"]?.number ?? .nan
        targets.append(
            Target(
                name: "supervisor overhead (N=8, T=200): under 50 µs per session",
                measured: String(format: "%.1f µs", overhead), holds: overhead < 50))
        let ratios = self.cases("fanOut").map { $0["ratio"]?.number ?? .nan }
        let worst = ratios.max() ?? .nan
        targets.append(
            Target(
                name:
                    "fan-out with a 200 ms model, N up to 50: at most 1.02 × the ideal critical path (200 ms + serial stages)",
                measured: String(format: "worst %.3f ×", worst), holds: worst <= 1.02))
        let peak = self.results["manySessions"]?["peakResidentMiB"]?.number ?? .nan
        let sessions = Self.int(self.results["manySessions"], "sessions")
        targets.append(
            Target(
                name: "\(sessions) sessions in flight: peak resident memory under 1 GiB",
                measured: String(format: "%.0f MiB", peak), holds: peak < 1024))
        let worstT = self.growthInT.map(\.ratio).max() ?? .nan
        targets.append(
            Target(
                name: "no quadratic step in T (cost per utterance at T=5000 over T=1000 at most 1.25)",
                measured: self.quick ? "not measured (--quick)" : String(format: "worst %.2f", worstT),
                holds: self.quick || worstT <= 1.25))
        let share = self.results["cloneCheck"]?["share"]?.number ?? .nan
        targets.append(
            Target(
                name: "clone check (the one pairwise step in N) under 10% of the run at N=50",
                measured: String(format: "%.1f%%", share * 100), holds: share < 0.10))
        return targets
    }

    var json: JSONNode {
        let machine = JSONNode.object([
            ("cpu", JSONNode.string(self.machine.cpu)), ("cores", JSONNode.number(self.machine.cores)),
            ("memoryGiB", JSONNode.rounded(self.machine.memoryGiB, places: 1)),
        ])
        let perUtterance: [JSONNode] = self.growthInT.map {
            JSONNode.object([
                ("attendees", JSONNode.number($0.attendees)),
                ("microsecondsPerUtterance", JSONNode.rounded($0.slope, places: 3)),
                ("growthAt5000Over1000", JSONNode.rounded($0.ratio, places: 3)),
            ])
        }
        let perAttendee: [JSONNode] = self.growthInN.map {
            JSONNode.object([
                ("utterances", JSONNode.number($0.utterances)),
                ("microsecondsPerAttendee", JSONNode.rounded($0.slope, places: 1)),
                ("growthAt50Over25", JSONNode.rounded($0.ratio, places: 3)),
            ])
        }
        let targets: [JSONNode] = self.targets.map {
            JSONNode.object([
                ("target", JSONNode.string($0.name)), ("measured", JSONNode.string($0.measured)),
                ("holds", JSONNode.bool($0.holds)),
            ])
        }
        var members: [(String, JSONNode?)] = [
            ("date", JSONNode.string(ISO8601DateFormatter().string(from: Date()))), ("machine", machine),
        ]
        for (key, value) in self.results.sorted(by: { $0.key < $1.key }) { members.append((key, value)) }
        members.append(
            (
                "scaling",
                JSONNode.object([("perUtterance", .array(perUtterance)), ("perAttendee", .array(perAttendee))])
            ))
        members.append(("targets", JSONNode.array(targets)))
        return JSONNode.object(members)
    }

    var text: String {
        var lines: [String] = []
        lines.append(
            "Machine: \(self.machine.cpu), \(self.machine.cores) cores, \(String(format: "%.0f", self.machine.memoryGiB)) GiB"
                + (self.quick ? " (quick run: smaller samples)" : ""))
        for (key, title) in [
            (
                "throughputOneCore",
                "1. Core throughput, one core (the whole deterministic pipeline, synthetic group sessions)"
            ),
            ("throughputAllCores", "1. Core throughput, all cores"),
        ] {
            lines.append("")
            lines.append(title)
            lines.append("attendees  utterances   sessions/s (median, min–max)   utterances/s   one session alone, ms")
            for item in self.cases(key) {
                let rate = Spread(json: item["sessionsPerSecond"]!)
                let latency = Spread(json: item["latencyMicroseconds"]!)
                lines.append(
                    String(
                        format: "%9d  %10d   %10.1f  (%8.1f – %8.1f)   %12.0f   %8.2f", Self.int(item, "attendees"),
                        Self.int(item, "utterances"), rate.median, rate.min, rate.max,
                        item["utterancesPerSecond"]?.number ?? .nan, latency.median / 1000))
            }
        }
        lines.append("")
        lines.append(
            "2. Supervisor overhead: the same agents called one after another vs through the supervisor (one core)")
        lines.append("attendees  utterances   direct µs (median)   supervisor µs (median)   overhead µs per session")
        for item in self.cases("overhead") {
            lines.append(
                String(
                    format: "%9d  %10d   %18.1f   %22.1f   %23.1f", Self.int(item, "attendees"),
                    Self.int(item, "utterances"),
                    Spread(json: item["directMicroseconds"]!).median,
                    Spread(json: item["supervisorMicroseconds"]!).median,
                    item["overheadMicroseconds"]?.number ?? .nan))
        }
        lines.append("")
        lines.append(
            "3. Fan-out: every agent call is a fake model answering after 200 ms; ideal critical path = the serial stages before and after the fan-out + one call"
        )
        lines.append(
            "attendees  model calls   wall ms (median, min–max)   × 200 ms   serial before + after, ms   ideal ms   × ideal"
        )
        for item in self.cases("fanOut") {
            let wall = Spread(json: item["wallMilliseconds"]!)
            lines.append(
                String(
                    format: "%9d  %11d   %7.1f  (%6.1f – %6.1f)   %8.3f   %12.2f + %-12.2f   %8.1f   %7.3f",
                    Self.int(item, "attendees"), Self.int(item, "modelCalls"), wall.median, wall.min, wall.max,
                    item["ratioToModelCall"]?.number ?? .nan, item["serialBeforeMilliseconds"]?.number ?? .nan,
                    item["serialAfterMilliseconds"]?.number ?? .nan, item["idealMilliseconds"]?.number ?? .nan,
                    item["ratio"]?.number ?? .nan))
        }
        if let many = self.results["manySessions"] {
            lines.append("")
            lines.append(
                "4. Many sessions: submitted at once to one supervisor (N=8, T=200; \(Self.int(many, "sessionLimit")) worked on at a time)"
            )
            lines.append(
                String(
                    format: "%d sessions in %.1f s: %.0f sessions/s; resident memory %.0f MiB before, peak %.0f MiB",
                    Self.int(many, "sessions"), many["seconds"]?.number ?? .nan,
                    many["sessionsPerSecond"]?.number ?? .nan,
                    many["residentBeforeMiB"]?.number ?? .nan, many["peakResidentMiB"]?.number ?? .nan))
        }
        lines.append("")
        lines.append("5. Scaling (one core, from the best repetition of each throughput case): least-squares slopes")
        for item in self.growthInT {
            lines.append(
                String(
                    format: "N=%-3d %8.2f µs per utterance; cost per utterance at T=5000 is %.2f × that at T=1000",
                    item.attendees, item.slope, item.ratio))
        }
        for item in self.growthInN {
            lines.append(
                String(
                    format: "T=%-5d %7.1f µs per attendee; cost per attendee at N=50 is %.2f × that at N=25",
                    item.utterances, item.slope, item.ratio))
        }
        if let clone = self.results["cloneCheck"] {
            lines.append(
                String(
                    format: "Clone check at N=50, T=1000: %.0f µs of a %.0f µs run (%.1f%%)",
                    Spread(json: clone["cloneCheckMicroseconds"]!).median,
                    Spread(json: clone["runMicroseconds"]!).median,
                    (clone["share"]?.number ?? .nan) * 100))
        }
        lines.append("")
        lines.append("Targets")
        for target in self.targets {
            lines.append("  [\(target.holds ? "holds" : "MISSED")] \(target.name): \(target.measured)")
        }
        return lines.joined(separator: "\n")
    }
}
