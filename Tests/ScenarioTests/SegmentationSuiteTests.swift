import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// The segmenter on sessions written blind by a helper who never saw its phrases (`Tests/Fixtures/
/// segments-blind`): each utterance carries the phase a supervising clinician would give it, and the
/// segmenter is scored on how many utterances it puts in a segment of that kind.
@Suite("Topical segments on sessions written blind")
struct SegmentationSuiteTests {
    struct Session {
        var name: String
        var transcript: Transcript
        var phases: [String]
    }

    static func sessions(_ suite: String) throws -> [Session] {
        let folder = Fixtures.repositoryRoot + "/Tests/Fixtures/" + suite
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tsv") }.sorted()
        return try names.map { name in
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            var utterances: [Utterance] = []
            var phases: [String] = []
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let columns = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
                guard columns.count == 3 else {
                    if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                        Issue.record("\(name):\(number + 1): expected three tab-separated columns")
                    }
                    continue
                }
                utterances.append(
                    Utterance(
                        index: utterances.count, label: String(columns[1]), text: String(columns[2]), line: number + 1))
                phases.append(String(columns[0]))
            }
            return Session(
                name: name, transcript: Transcript(format: "tsv", utterances: utterances), phases: phases)
        }
    }

    /// Per phase: utterances whose phase it is, and how many of them the segmenter put in it; and how
    /// many utterances the segmenter put in it in all.
    struct Score {
        var truth: [String: Int] = [:]
        var found: [String: Int] = [:]
        var predicted: [String: Int] = [:]
        var total = 0
        var right = 0
        var accuracy: Double { self.total == 0 ? 0 : Double(self.right) / Double(self.total) }
    }

    static func score(_ suite: String) throws -> Score {
        let segmentation = Segmentation(configuration: try Fixtures.agents().segmenter)
        var score = Score()
        for session in try Self.sessions(suite) {
            let segmented = segmentation.segment(session.transcript)
            var predicted = [String](repeating: "discussion", count: session.phases.count)
            for segment in segmented.segments {
                for index in segment.utterances where index < predicted.count { predicted[index] = segment.kind }
            }
            if ProcessInfo.processInfo.environment["ENSEMBLE_SEGMENT_RUNS"] != nil {
                func runs(_ kinds: [String]) -> String {
                    var out: [String] = []
                    var start = 0
                    for index in kinds.indices where index == kinds.count - 1 || kinds[index + 1] != kinds[index] {
                        out.append("\(kinds[index])[\(start)-\(index)]")
                        start = index + 1
                    }
                    return out.joined(separator: " ")
                }
                print("runs \(session.name)\n  truth \(runs(session.phases))\n  found \(runs(predicted))")
            }
            var right = 0
            for (truth, guess) in zip(session.phases, predicted) {
                score.truth[truth, default: 0] += 1
                score.predicted[guess, default: 0] += 1
                if truth == guess {
                    score.found[truth, default: 0] += 1
                    right += 1
                }
            }
            score.total += session.phases.count
            score.right += right
            if ProcessInfo.processInfo.environment["ENSEMBLE_SEGMENT_REPORT"] != nil {
                print(
                    "segments \(suite) \(session.name): \(right) of \(session.phases.count) utterances in the right phase"
                )
            }
        }
        if ProcessInfo.processInfo.environment["ENSEMBLE_SEGMENT_REPORT"] != nil {
            print("segments phase           utterances  found  put there")
            for phase in Set(score.truth.keys).union(score.predicted.keys).sorted() {
                print(
                    "segments \(phase.padding(toLength: 16, withPad: " ", startingAt: 0)) "
                        + "\(score.truth[phase, default: 0])  \(score.found[phase, default: 0])  "
                        + "\(score.predicted[phase, default: 0])")
            }
            print(
                "segments \(suite) all: \(score.right) of \(score.total) (\(Int((score.accuracy * 1000).rounded()) / 10)%)"
            )
        }
        return score
    }

    /// Measured 2026-12-07, once before and once after the segmenter's phrases were rewritten from clinical
    /// sources (transcript-segmenter 1.1.0 → 1.2.0, written before the suite was read): 194 of 659
    /// utterances (29%) → 288 (43.7%). The suite then became the development set for 1.3.0 (cues in two
    /// utterances close together open a phase; more general wording for homework review, teaching, practice
    /// and wrap-up): 418 (63.4%). Held as a floor.
    @Test func blindSessions_holdTheirFloor() throws {
        let score = try Self.score("segments-blind")
        #expect(score.total == 659)
        #expect(score.right >= 418, "\(score.right) of \(score.total)")
    }

    /// A second suite written blind by another helper (`Tests/Fixtures/segments-blind-2`, eight sessions),
    /// held out while 1.3.0 was built on the first: 1.2.0 put 159 of 574 utterances (27.7%) in the right
    /// phase, 1.3.0 217 (37.8%). Measured once each, not tuned on; held as a floor.
    @Test func secondBlindSuite_measuredNotTuned() throws {
        let score = try Self.score("segments-blind-2")
        #expect(score.total == 574)
        #expect(score.right >= 217, "\(score.right) of \(score.total)")
    }

    /// Cues alone open a phase when two utterances close together carry them, and only then.
    @Test(arguments: [(3, true), (0, false)])
    func cuesCloseTogether_openAPhase(cueRun: Int, opens: Bool) {
        let configuration = SegmenterConfiguration(
            version: "test", abbreviations: [],
            kinds: [
                .init(name: "homeworkReview", position: .any, openers: [], cues: ["worksheet", "homework"])
            ],
            fallbackKind: "discussion", openerWeight: 3, cueWeight: 0.5, switchPenalty: 4, minimumUtterances: 2,
            cueRun: cueRun)
        let lines = [
            "Morning. Traffic was awful.", "Tell me about it, the bridge was closed.", "Coffee's in the back.",
            "Did the worksheet make sense?", "Mostly. I skipped one part.", "Which part of the homework?",
            "The second column.", "Okay, that's the hard one.",
        ]
        let transcript = Transcript(
            format: "test",
            utterances: lines.enumerated().map { Utterance(index: $0, label: $0 % 2 == 0 ? "A" : "B", text: $1) })
        let segments = Segmentation(configuration: configuration).segment(transcript).segments
        let review = segments.first { $0.kind == "homeworkReview" }
        #expect((review != nil) == opens, "\(segments.map(\.kind))")
        if opens { #expect(review?.utterances.lowerBound == 3) }
    }
}
