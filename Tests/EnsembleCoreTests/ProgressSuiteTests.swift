import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// The PlanAligner on a suite of goals and client statements labelled from clinical sources by
/// someone who had not seen its rules (`Tests/Fixtures/progress-suite/suite.json`): each case is one
/// goal and what the client said, with the status a clinician would record. Its first run, against
/// the rules before reduction goals were read, got 12 of 60 (most misses: a goal discussed in other
/// words read as not addressed); the floor is today's 28 of 60. `ENSEMBLE_PROGRESS_FAILURES=1` prints
/// the cases it gets wrong.
@Suite("Plan progress: labelled suite")
struct ProgressSuiteTests {
    struct Case: Decodable {
        var id: String
        var goal: String
        var statements: [String]
        var expected: String
    }

    struct Suite: Decodable {
        var cases: [Case]
    }

    /// The status the PlanAligner gives the goal when the client says `statements`, answering a
    /// clinician's check-in.
    static func status(of item: Case, engine: PlanAlignmentEngine) throws -> GoalStatus {
        let client = ScriptedSession.Person(
            "CL-1", "Robin Hale", role: .identifiedPatient,
            plan: TreatmentPlan(id: "TP-1", goals: [Goal(id: "G1", text: item.goal)]))
        var lines: [(String, String)] = [(ScriptedSession.clinician, "Robin, how has this past week been?")]
        lines += item.statements.map { ("CL-1", $0) }
        let facts = try ScriptedSession(kind: .individual, people: [client], lines: lines).facts()
        return engine.align(PersonID("CL-1"), facts: facts).first { $0.goalID == "G1" }?.status ?? .notAddressed
    }

    @Test func labelledSuite_accuracy() throws {
        try Self.evaluate("suite.json", floor: Self.floor)
    }

    /// A second suite, written blind by another author and run once, never tuned on: it measures how
    /// the rules generalise. Its floor is that first run (22 of 60; the rules before this suite existed
    /// got 18).
    @Test func heldOutSuite_accuracy() throws {
        try Self.evaluate("heldout.json", floor: Self.heldOutFloor)
    }

    static func evaluate(_ file: String, floor: Double) throws {
        let data = try Data(
            contentsOf: URL(fileURLWithPath: Fixtures.repositoryRoot + "/Tests/Fixtures/progress-suite/" + file))
        let suite = try JSONDecoder().decode(Suite.self, from: data)
        #expect(suite.cases.count >= 60)
        let engine = PlanAlignmentEngine(configuration: try Fixtures.agents().drafting.aligner)
        var right = 0
        var wrong: [String] = []
        for item in suite.cases {
            let status = try Self.status(of: item, engine: engine)
            if status.rawValue == item.expected {
                right += 1
            } else {
                wrong.append("\(item.id) expected \(item.expected), got \(status.rawValue)")
            }
        }
        let accuracy = Double(right) / Double(suite.cases.count)
        if ProcessInfo.processInfo.environment["ENSEMBLE_PROGRESS_FAILURES"] != nil {
            print("progress suite \(file): \(right) of \(suite.cases.count)")
            for line in wrong { print("  \(line)") }
        }
        #expect(accuracy >= floor, "\(file): accuracy \(accuracy)")
    }

    static let floor = 0.46
    static let heldOutFloor = 0.36
}
