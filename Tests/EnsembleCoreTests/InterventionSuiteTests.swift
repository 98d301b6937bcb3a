import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// The intervention patterns on clinician utterances written blind from clinical manuals' descriptions
/// of the techniques (`Tests/Fixtures/intervention-suite/`): `suite.json` is the development set the
/// patterns are checked on; `heldout.json` was written separately and is never tuned on.
/// `ENSEMBLE_INTERVENTION_FAILURES=1` prints the cases each gets wrong.
@Suite("Interventions: labelled suites")
struct InterventionSuiteTests {
    struct Case: Decodable {
        var id: String
        var text: String
        var techniques: [String]
    }

    struct Suite: Decodable {
        var cases: [Case]
    }

    /// The suites' labels are techniques in general; the lexicon's own techniques are named skills
    /// within them (`dbt-tipp` is skills teaching, `am-anger-cycle` psychoeducation).
    static let label: [String: String] = [
        "dbt-tipp": "skills-teaching", "dbt-paced-breathing": "skills-teaching", "mindfulness": "skills-teaching",
        "dbt-diary-card": "homework", "dbt-pros-cons": "skills-teaching", "dbt-interpersonal": "skills-teaching",
        "dbt-distress-tolerance": "skills-teaching", "dbt-emotion-regulation": "skills-teaching",
        "rp-halt": "psychoeducation", "rp-urge-surfing": "skills-teaching", "rp-high-risk": "skills-teaching",
        "rp-naloxone": "psychoeducation", "mi-scaling": "socratic", "cbt-behavioral-activation": "skills-teaching",
        "cbt-sleep": "skills-teaching", "fs-i-statements": "skills-teaching", "fs-triangulation": "reframing",
        "fs-rules": "enactment", "couples-gottman": "skills-teaching", "couples-speaker-listener": "skills-teaching",
        "couples-time-out": "skills-teaching", "act-defusion": "skills-teaching", "repair": "skills-teaching",
        "am-anger-cycle": "psychoeducation", "am-time-out": "skills-teaching",
        "safety-plan": "safety-planning", "risk-inquiry": "safety-planning",
    ]

    struct Result {
        var found = 0
        var positives = 0
        var falseAlarms = 0
        var negatives = 0
        var misses: [String] = []
    }

    static func evaluate(_ file: String) throws -> Result {
        let data = try Data(
            contentsOf: URL(fileURLWithPath: Fixtures.repositoryRoot + "/Tests/Fixtures/intervention-suite/" + file))
        let suite = try JSONDecoder().decode(Suite.self, from: data)
        let reader = InterventionReader(try Fixtures.agents().drafting.interventions)
        var result = Result()
        for item in suite.cases {
            let text = Tokenizer().tokenize(item.text)
            let found = Set(
                reader.techniques(in: text).joined().map { index in
                    let id = reader.lexicon.techniques[index].id
                    return Self.label[id] ?? id
                })
            // Homework is the plan's to find, not an intervention's.
            if item.techniques == ["homework"] { continue }
            if item.techniques == ["none"] {
                result.negatives += 1
                if !found.isEmpty {
                    result.falseAlarms += 1
                    result.misses.append("\(item.id) none → \(found.sorted())")
                }
            } else {
                result.positives += 1
                if !found.isDisjoint(with: item.techniques) {
                    result.found += 1
                } else {
                    result.misses.append("\(item.id) \(item.techniques) → \(found.sorted())")
                }
            }
        }
        if ProcessInfo.processInfo.environment["ENSEMBLE_INTERVENTION_FAILURES"] != nil {
            print(
                "\(file): \(result.found)/\(result.positives) found, \(result.falseAlarms)/\(result.negatives) false alarms"
            )
            for miss in result.misses { print("  " + miss) }
        }
        return result
    }

    /// Floors at today's figures. The second development set's first run, before any pattern was
    /// written against it, found 44 of 88 with 2 false alarms of 25: that is the honest estimate of
    /// how the patterns do on wording they were not written for, and the held-out figure agrees.
    @Test func developmentSuites() throws {
        let first = try Self.evaluate("suite.json")
        #expect(first.found >= 70 && first.positives == 77, "\(first.found) of \(first.positives)")
        #expect(first.falseAlarms == 0)
        let second = try Self.evaluate("dev-2.json")
        #expect(second.found >= 84 && second.positives == 88, "\(second.found) of \(second.positives)")
        #expect(second.falseAlarms <= 2)
    }

    @Test func heldOutSuite() throws {
        let result = try Self.evaluate("heldout.json")
        #expect(result.found >= 28 && result.positives == 55, "\(result.found) of \(result.positives)")
        #expect(result.falseAlarms <= 1)
    }

    /// Every technique names the manual or model it follows.
    @Test func everyTechnique_carriesItsSource() throws {
        for technique in try Fixtures.agents().drafting.interventions.techniques {
            #expect(!(technique.source ?? "").isEmpty, "\(technique.id)")
            #expect(!technique.phrases.isEmpty || !technique.patterns.isEmpty, "\(technique.id)")
        }
    }
}
