import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// Attribution under the errors real diarization makes (`DiarizationErrors`), on every bundled
/// scenario whose answer key says who spoke: each kind of error applied once per session, with a
/// seed, and the utterances a person could attribute counted correct, wrong or unknown. The floors
/// are the figures measured when the simulator was added (issue 20's first step), so attribution can
/// only get better from here; `ENSEMBLE_ATTRIBUTION_REPORT=1` prints the table.
@Suite("Attribution under diarization errors")
struct DiarizationSimulatorTests {
    struct Counts {
        var correct = 0
        var wrong = 0
        var unknown = 0
        var total: Int { self.correct + self.wrong + self.unknown }
        var accuracy: Double { self.total == 0 ? 1 : Double(self.correct) / Double(self.total) }
        var wrongShare: Double { self.total == 0 ? 0 : Double(self.wrong) / Double(self.total) }

        /// Counts a line `truth` said, given to `said`.
        mutating func add(_ said: PersonID?, truth: PersonID) {
            switch said {
            case truth: self.correct += 1
            case nil: self.unknown += 1
            case .some: self.wrong += 1
            }
        }

        /// One row of the report: the title, then lines, correct, wrong and unknown in columns.
        func row(_ title: String) -> String {
            title + String(self.total).leftPadded(11) + DiarizationSimulatorTests.percent(self.accuracy).leftPadded(9)
                + DiarizationSimulatorTests.percent(self.wrongShare).leftPadded(8) + String(self.unknown).leftPadded(9)
        }
    }

    @dynamicMemberLookup
    struct Tally {
        /// Every line whose speaker the answer key names.
        var all = Counts()
        /// The lines a person reading the transcript with its errors attributed to the right speaker
        /// (`Tests/Fixtures/attributable`), where a reader's labels exist.
        var readable = Counts()
        /// How the readers themselves did on every line the answer key names.
        var reading = Counts()
        subscript<T>(dynamicMember path: WritableKeyPath<Counts, T>) -> T {
            get { self.all[keyPath: path] }
            set { self.all[keyPath: path] = newValue }
        }
        subscript<T>(dynamicMember path: KeyPath<Counts, T>) -> T { self.all[keyPath: path] }
    }

    /// A bundled scenario whose answer key says who spoke, ready to attribute.
    struct Keyed {
        var name: String
        var scenario: Scenario
        var roster: Roster
        var truth: [PersonID??]
        /// The roster's spoken names (first names, aliases), for misheard names.
        var names: [String]
    }

    static func keyedScenarios() throws -> [Keyed] {
        try Fixtures.scenarioNames().compactMap { name in Self.keyed(try Fixtures.scenario(name), name: name) }
    }

    /// A scenario whose answer key says who spoke, or nil.
    static func keyed(_ scenario: Scenario, name: String) -> Keyed? {
        guard let expected = scenario.expected, !expected.speakers.isEmpty,
            scenario.transcript.origin != .clinicianSummary
        else { return nil }
        let names =
            scenario.session.attendees.flatMap { [String($0.name.split(separator: " ")[0])] + $0.aliases }
            + scenario.session.clinicians.map { String($0.name.split(separator: " ")[0]) }
        return Keyed(
            name: name, scenario: scenario, roster: Roster(session: scenario.session),
            truth: scenario.transcript.utterances.map { expected.expectedPerson(for: $0) }, names: names)
    }

    /// Attributes `transcript` (the scenario with errors) and adds its lines to `tally`; with
    /// `ENSEMBLE_ATTRIBUTION_FAILURES` set, prints what was missed under `title`.
    static func count(
        _ transcript: Transcript, of keyed: Keyed, agents: AgentConfigurations, into tally: inout Tally, title: String,
        reader: [PersonID?]? = nil
    ) {
        // Hints name the source's labels; a label the simulator invented has none.
        let attribution = Fixtures.attribute(
            transcript, roster: keyed.roster, hints: keyed.scenario.session.speakerHints, agents: agents
        ).1
        var missed: [String] = []
        for (item, expectedPerson) in zip(attribution.utterances, keyed.truth) where item.method != .nonSpeech {
            guard case .some(.some(let person)) = expectedPerson else { continue }
            let label = transcript.utterances[item.index].label ?? "-"
            if ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_BREAKDOWN"] != nil {
                print(Self.breakdown(item, of: attribution, in: transcript, truth: person, title: title))
            }
            if let reader {
                tally.reading.add(reader[item.index], truth: person)
                if reader[item.index] == person { tally.readable.add(item.person, truth: person) }
            }
            tally.all.add(item.person, truth: person)
            switch item.person {
            case person: break
            case nil: missed.append("  \(item.index) [\(label)] \(person.rawValue) → unknown")
            case let other?: missed.append("  \(item.index) [\(label)] \(person.rawValue) → \(other.rawValue) WRONG")
            }
        }
        guard ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_FAILURES"] != nil, !missed.isEmpty else {
            return
        }
        print("\(title): \(missed.count) missed, \(missed.filter { $0.hasSuffix("WRONG") }.count) wrong")
        for speaker in attribution.speakers {
            let span = speaker.fromUtterance.map { " from \($0)" } ?? ""
            print(
                "    \(speaker.label)\(span) → \(speaker.person?.rawValue ?? "unknown") "
                    + "\(speaker.sharedBy.map(\.rawValue)) \(Self.percent(speaker.confidence))")
        }
        print(missed.prefix(12).joined(separator: "\n"))
    }

    /// One line per utterance for `ENSEMBLE_ATTRIBUTION_BREAKDOWN` (sort and count them to see where wrong
    /// lines come from): how it was bound (its label's confidence in tenths, elimination, line by line),
    /// where it sits (the simulator's shared-device label, its split label, the last third where swaps
    /// happen, or earlier), right, wrong or unknown, then the run, the label, the index and the truth.
    static func breakdown(
        _ item: UtteranceAttribution, of attribution: Attribution, in transcript: Transcript, truth: PersonID,
        title: String
    ) -> String {
        let label = transcript.utterances[item.index].label ?? "-"
        var how = "\(item.method)"
        if item.method == .label,
            let speaker = attribution.speakers.last(where: {
                $0.label == label && ($0.fromUtterance ?? 0) <= item.index
            })
        {
            how =
                speaker.signals.first?.kind == .elimination
                ? "elimination" : "label " + String(format: "%.1f", (speaker.confidence * 10).rounded(.down) / 10)
            if speaker.fromUtterance != nil { how += " span" }
        }
        let place =
            switch label {
            case "SPEAKER_92": "shared"
            case "SPEAKER_91": "split"
            default: item.index >= transcript.utterances.count * 2 / 3 ? "late" : "early"
            }
        let outcome = item.person == truth ? "right" : item.person == nil ? "unknown" : "wrong"
        return "BREAKDOWN \(how) \(place) \(outcome) | \(title) [\(label)] \(item.index) "
            + "\(truth.rawValue)→\(item.person?.rawValue ?? "-")"
            + (ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_TEXT"] != nil
                ? " :: " + transcript.utterances[item.index].text : "")
    }

    /// Per kind of error (and `nil` for none), over every bundled scenario with speakers in its key.
    static func measure(seed: UInt64 = 20) throws -> [DiarizationErrors.Kind?: Tally] {
        let agents = try Fixtures.agents()
        var tallies: [DiarizationErrors.Kind?: Tally] = [:]
        for keyed in try Self.keyedScenarios() {
            for kind in [nil] + DiarizationErrors.Kind.allCases.map(Optional.some) {
                let transcript =
                    kind.map {
                        DiarizationErrors.apply($0, to: keyed.scenario.transcript, names: keyed.names, seed: seed)
                    }
                    ?? keyed.scenario.transcript
                Self.count(
                    transcript, of: keyed, agents: agents, into: &tallies[kind, default: Tally()],
                    title: "\(keyed.name) \(kind?.rawValue ?? "none")")
            }
        }
        return tallies
    }

    /// Every kind at once, as in one session at realistic rates (`DiarizationErrors.realistic`), three
    /// seeds per scenario.
    static func measureRealistic() throws -> Tally {
        let agents = try Fixtures.agents()
        var tally = Tally()
        for keyed in try Self.keyedScenarios() {
            for seed in [1, 2, 3] as [UInt64] {
                let transcript = DiarizationErrors.realistic(keyed.scenario.transcript, names: keyed.names, seed: seed)
                if let folder = ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_DUMP"] {
                    try Self.dump(transcript, of: keyed, to: "\(folder)/\(keyed.name)-seed\(seed).txt")
                }
                Self.count(
                    transcript, of: keyed, agents: agents, into: &tally, title: "realistic \(keyed.name) seed \(seed)",
                    reader: try Self.reader(keyed.name, seed: seed, transcript: transcript))
            }
        }
        return tally
    }

    /// Who a person reading the transcript with its errors said spoke each line (nil where they could
    /// not tell), from `Tests/Fixtures/attributable/NAME-seedN.tsv`: index, roster id or `?`, and the
    /// label the line carried. The files were written by readers given only `dump`'s text, never the
    /// answer key or the attributor's output. A label that no longer matches means the simulator changed
    /// and the lines must be read again.
    static func reader(_ name: String, seed: UInt64, transcript: Transcript) throws -> [PersonID?] {
        let path = Fixtures.repositoryRoot + "/Tests/Fixtures/attributable/\(name)-seed\(seed).tsv"
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.count == transcript.utterances.count, "\(path): one line per utterance")
        var reader: [PersonID?] = Array(repeating: nil, count: transcript.utterances.count)
        for (index, row) in rows.enumerated() where index < reader.count {
            #expect(
                row.count == 3 && row[0] == String(index) && row[2] == (transcript.utterances[index].label ?? "-"),
                "\(path) line \(index + 1): the simulator changed since it was read; read the lines again")
            reader[index] = row.count > 1 && row[1] != "?" ? PersonID(row[1]) : nil
        }
        return reader
    }

    /// The transcript with errors as a reader sees it, without the answer key: the roster, then one line
    /// per utterance (index, label, text), for a person to say who spoke each line (or that no one could
    /// tell). `ENSEMBLE_ATTRIBUTION_DUMP=folder` writes one per scenario and seed.
    static func dump(_ transcript: Transcript, of keyed: Keyed, to path: String) throws {
        let session = keyed.scenario.session
        var lines = ["# roster"]
        for clinician in session.clinicians {
            lines.append("\(clinician.id.rawValue)\tclinician (\(clinician.role.rawValue))\t\(clinician.name)")
        }
        for attendee in session.attendees {
            let related = attendee.relatedTo.map { " of \($0.rawValue)" } ?? ""
            let details = [
                attendee.role.rawValue, attendee.relationship.map { $0 + related }, attendee.pronouns,
                attendee.aliases.isEmpty ? nil : "also called " + attendee.aliases.joined(separator: ", "),
                attendee.present ? nil : "not present",
            ].compactMap { $0 }.joined(separator: "; ")
            lines.append("\(attendee.id.rawValue)\t\(details)\t\(attendee.name)")
        }
        lines.append("# transcript: index, diarization label, text")
        for (index, utterance) in transcript.utterances.enumerated() {
            lines.append("\(index)\t\(utterance.label ?? "-")\t\(utterance.text)")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func realisticErrors_bundledScenarios() throws {
        let tally = try Self.measureRealistic()
        if ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_REPORT"] != nil {
            print(tally.all.row("realistic     "))
            print(tally.readable.row("realistic, lines a reader attributed"))
            print(tally.reading.row("realistic, the readers themselves   "))
        }
        // Issue 20's target is 95% correct and at most 1% wrong.
        // Measured 2026-12-06: 69.2% correct, 11.9% wrong of 2,496 (three seeds); with issue 23's two new
        // transcribed scenarios, 69.6% correct and 12.1% wrong of 2,751 (same code); with speaker-attributor
        // 1.5.0 (roll-call answers, the pronoun cue on shared devices, a clinician and a client trading
        // labels), 70.3% and 12.1%; with a clinician's label answering its own question read as a merged
        // reply, 71.1% and 11.6%; with no leftover label given by elimination to someone whose own cues sit
        // on another label, 69.9% and 10.6% (61 lines left unknown that were right only half the time);
        // after a code review narrowed those rules (only a label's own question at the end of its line;
        // a roll-call answer from another label), 69.9% and 10.7%. Speaker-attributor 1.6.0 (fourth sitting):
        // a label that stops being its person and points to no one other person is read line by line from
        // there, 69.9% and 10.2%; a misheard name called on its own (`Lunda?`) is a call, 70.8% and 9.3%; a
        // change whose later span also points clearly to a third person is read line by line too, 70.8% and
        // 9.1%; a bound label with three clear lines for a second person, from its first third to its last,
        // read as a shared device (and, for someone present with no label, two clear lines anywhere), 70.6%
        // and 8.8%; after a code review (a name asked alone must not be a word the session writes in lower
        // case; the shared-device reading weighs content only and runs whether or not someone is left
        // without a label; a departure needs two peers), 70.4% and 8.4%; held as floors.
        #expect(tally.accuracy >= 0.704, "\(tally.accuracy)")
        #expect(tally.wrongShare <= 0.085, "\(tally.wrongShare)")
        // The target counts the lines a person could attribute. Six readers, given only each transcript
        // with its errors and the roster (never the answer key or the attributor's output), said who
        // spoke every line: they were right on 2,635 of 2,751 (95.8%), wrong on 15 (0.5%) and could not
        // tell on 101. On the 2,635 lines they got right, the attributor (1.6.0) is right on 72.6% and
        // wrong on 7.6%: the target is what a careful reader does, and the gap is the attributor's.
        #expect(tally.readable.total == 2_635, "every reader's file covers its transcript")
        #expect(tally.readable.accuracy >= 0.726, "\(tally.readable.accuracy)")
        #expect(tally.readable.wrongShare <= 0.077, "\(tally.readable.wrongShare)")
    }

    static func table(_ tallies: [DiarizationErrors.Kind?: Tally]) -> String {
        var lines = ["error          utterances  correct   wrong  unknown"]
        for kind in [nil] + DiarizationErrors.Kind.allCases.map(Optional.some) {
            guard let tally = tallies[kind] else { continue }
            lines.append(tally.all.row((kind?.rawValue ?? "none").padding(toLength: 14, withPad: " ", startingAt: 0)))
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    @Test func everyKindOfError_staysAtOrAboveItsFloor() throws {
        let tallies = try Self.measure()
        if ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_REPORT"] != nil { print(Self.table(tallies)) }
        // Measured 2026-12-06 (third sitting), seed 20, 917 utterances a person can attribute in the bundled
        // scenarios. The set grew by issue 23's two transcribed sessions (a 22-minute couples session and a
        // family of three), with the attributor unchanged: short sessions give a swap's last third fewer
        // lines to recover from (the swap figure went from 89.1% on the 832 before to 84.7%). Issue 20's
        // targets: 95% correct and at most 1% wrong under every kind. Speaker-attributor 1.5.0 raised the swap
        // row from 84.7% to 89.4% (a clinician and a client trading labels) and the shared device from 76.0%
        // to 77.3% correct, 3.9% to 3.8% wrong (the pronoun cue), the rest unchanged. Reading a clinician's
        // label answering its own question as a merged reply took merge from 2.0% wrong to 1.7% (96.7%
        // correct) and the shared device to 77.8% and 3.2%. Speaker-attributor 1.6.0: a misheard name called
        // on its own took the misspelled names to 97.7% and 0.0% wrong; reading a changed label's later span
        // line by line when it points to a third person took the swap from 89.4% and 3.4% wrong to 89.2% and
        // 2.6%; reading a label with clear lines for a second person throughout as a shared device took the
        // shared device from 77.8% and 3.2% wrong to 77.2% and 2.0%.
        let floors: [DiarizationErrors.Kind?: (accuracy: Double, wrong: Double)] = [
            nil: (0.992, 0.001), .split: (0.947, 0.002), .merge: (0.966, 0.018), .swap: (0.891, 0.027),
            .sharedDevice: (0.771, 0.021), .misspell: (0.976, 0.001), .drop: (0.919, 0.001),
        ]
        for (kind, floor) in floors {
            let tally = try #require(tallies[kind])
            #expect(tally.total > 500, "\(kind?.rawValue ?? "none")")
            #expect(tally.accuracy >= floor.accuracy, "\(kind?.rawValue ?? "none"): \(tally.accuracy)")
            #expect(tally.wrongShare <= floor.wrong, "\(kind?.rawValue ?? "none"): \(tally.wrongShare)")
        }
    }

    /// Issue 20's two scenarios, written by a person: a facilitator the diarizer split across two labels
    /// has every line attributed to her, with a finding naming both labels; two parents on one device
    /// have at least 80% of the device's lines resolved, none wrong.
    @Test func splitVoice_andSharedDevice_scenarios() throws {
        let agents = try Fixtures.agents()
        let split = try Fixtures.scenario("group-split-speaker")
        let (_, splitAttribution) = Fixtures.attribute(
            split.transcript, roster: Roster(session: split.session), agents: agents)
        let facilitator = try #require(split.session.clinicians.first?.id)
        let hers = split.transcript.utterances.filter { ["SPEAKER_01", "SPEAKER_05"].contains($0.label) }
        #expect(hers.count == 30)
        for utterance in hers {
            #expect(splitAttribution.utterances[utterance.index].person == facilitator, "utterance \(utterance.index)")
        }
        let finding = try #require(splitAttribution.findings.first { $0.code == .speakerSplitAcrossLabels })
        #expect(finding.label == "SPEAKER_05")
        #expect(finding.person == facilitator)
        // The other label is named by where it is first heard, never by its text (a label may be a name).
        let first = try #require(split.transcript.utterances.first { $0.label == "SPEAKER_01" }?.index)
        #expect(finding.evidence.contains(first) && !finding.message.contains("SPEAKER"))

        let family = try Fixtures.scenario("family-shared-device")
        let expected = try #require(family.expected)
        let (_, familyAttribution) = Fixtures.attribute(
            family.transcript, roster: Roster(session: family.session), agents: agents)
        let device = family.transcript.utterances.filter { $0.label == "SPEAKER_01" }
        var resolved = 0
        for utterance in device {
            guard let person = familyAttribution.utterances[utterance.index].person else { continue }
            resolved += 1
            #expect(expected.expectedPerson(for: utterance) == .some(person), "utterance \(utterance.index)")
        }
        #expect(device.count == 31)
        #expect(Double(resolved) >= 0.8 * Double(device.count), "\(resolved) of \(device.count)")
    }

    /// Two anonymous labels that swap persons two thirds of the way through are each bound in two spans,
    /// with a finding, and no line goes to the wrong person: two partners (`couples-threat`), and a
    /// clinician and a parent, where neither label is bound as a whole because its spans cancel out
    /// (`family-minor-parent-policy`).
    @Test(arguments: [("couples-threat", 50), ("family-minor-parent-policy", 52)])
    func swappedLabels_areBoundInSpans(_ name: String, correctFloor: Int) throws {
        let agents = try Fixtures.agents()
        let scenario = try Fixtures.scenario(name)
        let expected = try #require(scenario.expected)
        let swapped = DiarizationErrors.apply(.swap, to: scenario.transcript, seed: 20)
        // The labels that now hold two people's lines (a label whose second person is silent in the last
        // third stays one person's).
        var people: [String: Set<PersonID>] = [:]
        for (new, old) in zip(swapped.utterances, scenario.transcript.utterances) {
            guard let label = new.label, case .some(.some(let person)) = expected.expectedPerson(for: old) else {
                continue
            }
            people[label, default: []].insert(person)
        }
        let changed = Set(people.filter { $0.value.count > 1 }.keys)
        #expect(!changed.isEmpty)
        let (_, attribution) = Fixtures.attribute(swapped, roster: Roster(session: scenario.session), agents: agents)
        let findings = attribution.findings.filter { $0.code == .labelChangesPerson }
        #expect(Set(findings.compactMap(\.label)) == changed)
        for label in changed {
            let spans = attribution.speakers.filter { $0.label == label }
            #expect(spans.count == 2, "\(label)")
            #expect(spans.contains { $0.fromUtterance == nil } && spans.contains { $0.fromUtterance != nil })
        }
        var correct = 0
        for (item, utterance) in zip(attribution.utterances, scenario.transcript.utterances) {
            guard item.method != .nonSpeech, case .some(.some(let person)) = expected.expectedPerson(for: utterance)
            else { continue }
            #expect(item.person == nil || item.person == person, "utterance \(item.index)")
            if item.person == person { correct += 1 }
        }
        #expect(correct >= correctFloor, "\(correct)")
    }

    /// Shared devices written blind by people who never saw the attributor (`Tests/Fixtures/heldout-scenarios`).
    /// `couple-phone-grandparent` (a grandmother and a father on one speakerphone) was measured once at 10 of
    /// 35 lines resolved, one wrong; the grandparent role statements it showed missing were then added, so it
    /// is a development set now (12, none wrong). `two-moms-one-laptop` (two mothers on one laptop) was
    /// measured once after that and left untouched: 9 of 38 resolved, none wrong; fixes from a code review
    /// made after that (words said by anyone else on other labels are no one's own) turned one of its
    /// lines wrong, and they were kept on principle rather than chosen by its score. The figures are held
    /// so they can only rise; the next change is measured on a new held-out set, never tuned on these.
    ///
    /// Four more, written blind on 2026-12-06 by a helper who also marked which device lines a careful
    /// reader could attribute (`cues.md`), were measured once, before and after speaker-attributor 1.5.0
    /// (the pronoun cue, a roll-call answer, a clinician and client trading labels): `couple-one-laptop`
    /// 12 → 20 of 39 (0 → 3 wrong), `father-daughter-phone` 12 → 9 of 38 (3 → 2 wrong),
    /// `mother-son-tablet` 8 → 12 of 36 (none wrong), `partners-same-pronoun` (two men, where the
    /// pronoun cue cannot help) 11 → 11 of 39 (1 wrong).
    @Test(arguments: [
        ("couple-phone-grandparent", 35, 13, 0), ("two-moms-one-laptop", 38, 9, 1), ("couple-one-laptop", 39, 20, 3),
        ("father-daughter-phone", 38, 9, 2), ("mother-son-tablet", 36, 12, 0), ("partners-same-pronoun", 39, 11, 1),
    ])
    func heldOutSharedDevices_measuredNotTuned(_ name: String, lines: Int, resolvedFloor: Int, wrongCeiling: Int)
        throws
    {
        let agents = try Fixtures.agents()
        let scenario = try ScenarioLoader().load(
            Fixtures.repositoryRoot + "/Tests/Fixtures/heldout-scenarios/" + name, answerKey: true)
        let expected = try #require(scenario.expected)
        let (_, attribution) = Fixtures.attribute(
            scenario.transcript, roster: Roster(session: scenario.session), agents: agents)
        let device = scenario.transcript.utterances.filter { $0.label == "SPEAKER_01" }
        var resolved = 0
        var wrong = 0
        for utterance in device {
            guard let person = attribution.utterances[utterance.index].person else { continue }
            resolved += 1
            if expected.expectedPerson(for: utterance) != .some(person) { wrong += 1 }
        }
        if ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_REPORT"] != nil {
            // `cues.md`, where the author wrote one: the device lines a careful reader can attribute.
            let folder = Fixtures.repositoryRoot + "/Tests/Fixtures/heldout-scenarios/" + name
            let clear = Set(
                ((try? String(contentsOfFile: folder + "/cues.md", encoding: .utf8)) ?? "").split(separator: "\n")
                    .compactMap { line -> Int? in line.hasSuffix(": clear") ? Int(line.prefix { $0.isNumber }) : nil })
            let clearRight = device.filter {
                clear.contains($0.index) && attribution.utterances[$0.index].person != nil
                    && expected.expectedPerson(for: $0) == .some(attribution.utterances[$0.index].person)
            }.count
            print(
                "held-out device \(name): \(resolved) of \(device.count) resolved, \(wrong) wrong"
                    + (clear.isEmpty ? "" : "; \(clearRight) of the \(clear.count) a reader can attribute"))
        }
        #expect(device.count == lines)
        #expect(attribution.speakers.first { $0.label == "SPEAKER_01" }?.isShared == true)
        #expect(resolved >= resolvedFloor, "\(name): \(resolved) of \(device.count)")
        #expect(wrong <= wrongCeiling, "\(name): \(wrong) wrong")
        // Every other line is right.
        for utterance in scenario.transcript.utterances where utterance.label != "SPEAKER_01" {
            guard case .some(.some(let person)) = expected.expectedPerson(for: utterance) else { continue }
            #expect(attribution.utterances[utterance.index].person == person, "\(name): utterance \(utterance.index)")
        }
    }

    /// Two-person sessions written blind by a helper who never saw the attributor, after the
    /// whole-conversation reading was built on AnnoMI, PriMock57 and ACI-Bench: measured once without
    /// tuning, clean and under the realistic mix (three seeds), and held as floors. Measured 2026-12-06:
    /// clean 87 / 88, 72 / 72 and 76 / 77, none wrong; realistic 93.6%, 95.8% and 92.6% right with 5.3%,
    /// 1.9% and 6.1% wrong. Read label by label as before (speaker-attributor 1.3.0), the same runs were
    /// clean 98.9%, 100% and 48.1%, realistic 12.1%, 68.1% (24.5% wrong) and 0%.
    @Test(arguments: [
        ("dyad-cbt-panic", 0.988, 0.935, 0.054), ("dyad-telehealth-medcheck", 1.0, 0.957, 0.020),
        ("dyad-adolescent-anger", 0.986, 0.925, 0.062),
    ])
    func heldOutTwoPersonSessions_measuredNotTuned(
        _ name: String, cleanFloor: Double, realisticFloor: Double, wrongCeiling: Double
    ) throws {
        try Self.measureHeldOut(
            name, speakers: { $0 == 2 }, floors: (cleanFloor, realisticFloor, wrongCeiling))
    }

    /// Sessions of five to seven speakers written blind by a helper who never saw the attributor (a
    /// six-member anxiety group, a blended family of four, a grief group with two clinicians), after
    /// speaker-attributor 1.6.0 was built: measured once without tuning, clean and under the realistic mix
    /// (three seeds), and held as floors. Measured 2026-12-06, clean: 88 of 108, 90 of 90 and 70 of 96 right,
    /// none wrong; realistic: 56.8%, 68.1% and 46.9% right, 5.9%, 13.0% and 18.8% wrong. With 1.5.0 the
    /// same runs gave the same figures but for the anxiety group's realistic mix, 57.7% right and 9.0% wrong.
    @Test(arguments: [
        ("group-anxiety-six", 0.814, 0.567, 0.060), ("family-blended-four", 0.999, 0.680, 0.131),
        ("group-grief-cofacilitated", 0.728, 0.468, 0.189),
    ])
    func heldOutGroupSessions_measuredNotTuned(
        _ name: String, cleanFloor: Double, realisticFloor: Double, wrongCeiling: Double
    ) throws {
        try Self.measureHeldOut(
            name, speakers: { $0 >= 5 }, floors: (cleanFloor, realisticFloor, wrongCeiling))
    }

    /// Three more sessions written blind by a helper who saw only the scenario format and one example (an
    /// IOP group with two clinicians, a late arrival and an early leaver; a family of five with a
    /// grandmother; a multi-family DBT group with two clinicians), kept unmeasured until an attributor
    /// change was ready. Measured 2026-12-07 with speaker-attributor 1.6.0, clean: 135 of 135, 100 of 116 and
    /// 109 of 136 right, none wrong; realistic: 32.3%, 53.2% and 53.4% right, 4.2%, 2.3% and 11.8% wrong.
    /// The change measured against them (reading a shared label's unknown lines in the order of the whole
    /// session) moved them to 32.6%, 53.2% and 54.2% at the same wrong shares, but failed the held-out
    /// shared devices above (5 more lines resolved, 3 of them wrong) and was not landed. They were seen
    /// once, not tuned on; held as floors. Speaker-attributor 1.7.0 (labels left as many as the people,
    /// bound together) brought the multi-family group read clean from 109 to 136 of 136.
    @Test(arguments: [
        ("group-iop-cofacilitated", 0.999, 0.322, 0.043), ("family-five-grandmother", 0.861, 0.531, 0.024),
        ("group-teen-dbt-multifamily", 0.999, 0.533, 0.119),
    ])
    func heldOutNextSessions_measuredNotTuned(
        _ name: String, cleanFloor: Double, realisticFloor: Double, wrongCeiling: Double
    ) throws {
        try Self.measureHeldOut(
            name, folder: "heldout-next", speakers: { $0 >= 5 }, floors: (cleanFloor, realisticFloor, wrongCeiling))
    }

    /// A third set written blind on 2026-12-07 by a helper who saw only the scenario format and one
    /// example (two husbands on one tablet; a family of four with the parents on the laptop and the
    /// children on the iPad; a co-facilitated ACT group of seven with a late arrival and an early leaver),
    /// kept unmeasured until the next attributor change. Measured once before and once after it, on
    /// 2026-12-07. With speaker-attributor 1.6.0, clean: 49.0% (5 wrong of 96), 71.4% (3 wrong of 112) and
    /// 56.6% (none wrong of 136) right; realistic: 35.1%, 16.1% and 24.5% right, 21.5%, 4.5% and 0.7%
    /// wrong; of the shared-device lines the author marked clear, 16 of 65 and 37 of 69 right, 5 and 3
    /// wrong. The change (a name opening a line that asks a question hands the floor, line by line) gave
    /// 18 of 65 and 38 of 69 right but 6 and 4 wrong, so it was not landed. Held as floors at 1.6.0.
    /// On the shared-device sessions each shared line the author marked clear is also counted, clean: at
    /// least `deviceFloor` right and at most `deviceWrong` wrong.
    @Test(arguments: [
        ("couple-tablet-therapist-split", 0.489, 0.350, 0.216, 16, 5),
        ("family-four-two-devices", 0.713, 0.160, 0.046, 37, 3),
        ("group-seven-cofacilitated", 0.565, 0.244, 0.008, 0, 0),
    ])
    func heldOutThirdSessions_measuredNotTuned(
        _ name: String, cleanFloor: Double, realisticFloor: Double, wrongCeiling: Double, deviceFloor: Int,
        deviceWrong: Int
    ) throws {
        try Self.measureHeldOutWithDevices(
            name, folder: "heldout-third", floors: (cleanFloor, realisticFloor, wrongCeiling),
            devices: (deviceFloor, deviceWrong))
    }

    /// A held-out session of three or more people against its floors (`measureHeldOut`, where the clean
    /// run may have as many wrong lines as its shared devices are allowed), and its shared devices
    /// against theirs (`measureSharedDevices`).
    static func measureHeldOutWithDevices(
        _ name: String, folder: String, floors: (clean: Double, realistic: Double, wrongCeiling: Double),
        devices: (floor: Int, wrongCeiling: Int)
    ) throws {
        try Self.measureHeldOut(
            name, folder: folder, speakers: { $0 >= 3 }, floors: floors, cleanWrong: devices.wrongCeiling)
        try Self.measureSharedDevices(name, folder: folder, floor: devices.floor, wrongCeiling: devices.wrongCeiling)
    }

    /// The shared labels of a held-out session (bound to `unknown` in its key), read clean: at least
    /// `floor` of the lines the author marked clear right, at most `wrongCeiling` wrong.
    static func measureSharedDevices(_ name: String, folder: String, floor: Int, wrongCeiling: Int) throws {
        let scenario = try ScenarioLoader().load(
            Fixtures.repositoryRoot + "/Tests/Fixtures/\(folder)/" + name, answerKey: true)
        let expected = try #require(scenario.expected)
        let sharedLabels = Set(expected.speakers.filter { $0.value == nil }.keys)
        guard !sharedLabels.isEmpty else { return }
        let (_, attribution) = Fixtures.attribute(
            scenario.transcript, roster: Roster(session: scenario.session),
            hints: scenario.session.speakerHints, agents: try Fixtures.agents())
        let device = scenario.transcript.utterances.filter { sharedLabels.contains($0.label ?? "") }
        var resolved = 0
        var right = 0
        var wrong = 0
        for utterance in device {
            guard let person = attribution.utterances[utterance.index].person else { continue }
            resolved += 1
            switch expected.expectedPerson(for: utterance) {
            case .some(.some(person)): right += 1
            case .some(.some): wrong += 1
            default: break
            }
        }
        let clear = device.count { expected.utterances[$0.index] != nil }
        if ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_REPORT"] != nil {
            print(
                "held-out device \(name): \(resolved) of \(device.count) resolved, \(right) of the \(clear) "
                    + "a reader can attribute right, \(wrong) wrong")
        }
        #expect(right >= floor, "\(name): \(right) of \(clear)")
        #expect(wrong <= wrongCeiling, "\(name): \(wrong) wrong")
    }

    /// A fourth set written blind on 2026-12-07 by a helper who saw only the scenario format and one
    /// example (two parents on one household laptop with no hints, two women on one phone, a group of
    /// six with one member's voice split over two labels), kept unmeasured until the next change, and
    /// measured once before and once after speaker-attributor 1.7.0 (labels left as many as the people,
    /// bound together): the same figures both times. Clean: 87.9% (1 wrong of 107), 70.7% (4 wrong of 82)
    /// and 98.5% right; realistic: 39.9%, 56.5% and 66.4% right, 6.2%, 13.0% and 6.6% wrong; of the
    /// shared-device lines marked clear, 18 of 31 and 23 of 47 right, 1 and 4 wrong.
    @Test(arguments: [
        ("family-three-parents-laptop", 0.878, 0.398, 0.063, 18, 1),
        ("couple-two-women-phone", 0.706, 0.564, 0.131, 23, 4), ("group-six-split-voice", 0.984, 0.663, 0.067, 0, 0),
    ])
    func heldOutFourthSessions_measuredNotTuned(
        _ name: String, cleanFloor: Double, realisticFloor: Double, wrongCeiling: Double, deviceFloor: Int,
        deviceWrong: Int
    ) throws {
        try Self.measureHeldOutWithDevices(
            name, folder: "heldout-fourth", floors: (cleanFloor, realisticFloor, wrongCeiling),
            devices: (deviceFloor, deviceWrong))
    }

    /// Development sessions written by a helper who read only the scenario format and one example, on
    /// 2026-12-07: groups and a family of six to eight speakers on anonymous labels, whose clinicians name
    /// people only some of the time (`Tests/Fixtures/attribution-dev`). The attributor may be developed on
    /// them; they are read clean and under the realistic mix, against floors. With 1.6.0 the veterans'
    /// group read clean was 53.1% right (five members each named once, none bound); binding such labels
    /// together (1.7.0) brought it to 100%. The parenting group, whose clinician names four of seven
    /// members once each and only in passing, stays at 66.7%.
    @Test(arguments: [
        ("group-ptsd-veterans-six", 0.999, 0.515, 0.011), ("group-eating-disorder-five", 0.999, 0.439, 0.012),
        ("family-five-cofacilitated", 0.999, 0.444, 0.019), ("group-parenting-seven", 0.666, 0.503, 0.055),
    ])
    func developmentGroups_anonymousLabels(
        _ name: String, cleanFloor: Double, realisticFloor: Double, wrongCeiling: Double
    ) throws {
        try Self.measureHeldOut(
            name, folder: "attribution-dev", speakers: { $0 >= 6 }, floors: (cleanFloor, realisticFloor, wrongCeiling),
            label: "dev")
    }

    /// A held-out session read clean and under the realistic mix (three seeds), against its floors: at
    /// most `cleanWrong` wrong lines clean (none, but for a set measured with shared devices that already
    /// gave some), clean and realistic accuracy at least their floors, realistic wrong lines at most the
    /// ceiling. `speakers` checks how many are present.
    static func measureHeldOut(
        _ name: String, folder: String = "heldout-scenarios", speakers: (Int) -> Bool,
        floors: (clean: Double, realistic: Double, wrongCeiling: Double), cleanWrong: Int = 0,
        label: String = "held-out"
    ) throws {
        let (cleanFloor, realisticFloor, wrongCeiling) = floors
        let agents = try Fixtures.agents()
        let scenario = try ScenarioLoader().load(
            Fixtures.repositoryRoot + "/Tests/Fixtures/\(folder)/" + name, answerKey: true)
        let keyed = try #require(Self.keyed(scenario, name: name))
        #expect(speakers(keyed.roster.people.filter { $0.present }.count), "\(name)")
        var clean = Tally()
        Self.count(scenario.transcript, of: keyed, agents: agents, into: &clean, title: "\(name) none")
        var realistic = Tally()
        for seed in [1, 2, 3] as [UInt64] {
            Self.count(
                DiarizationErrors.realistic(scenario.transcript, names: keyed.names, seed: seed), of: keyed,
                agents: agents, into: &realistic, title: "\(name) realistic \(seed)")
        }
        if ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_REPORT"] != nil {
            print(
                "\(label) \(name): none \(Self.percent(clean.accuracy)) right, \(clean.wrong) wrong of \(clean.total); "
                    + "realistic \(Self.percent(realistic.accuracy)) right, \(Self.percent(realistic.wrongShare)) wrong"
            )
        }
        #expect(clean.wrong <= cleanWrong, "\(name)")
        #expect(clean.accuracy >= cleanFloor, "\(name): \(clean)")
        #expect(realistic.accuracy >= realisticFloor, "\(name): \(realistic)")
        #expect(realistic.wrongShare <= wrongCeiling, "\(name): \(realistic)")
    }

    /// The simulator changes labels and names only, and each kind changes something.
    @Test func everyKind_changesTheTranscript_butNotItsText() throws {
        let scenario = try Fixtures.scenario("dbt-skills-group")
        for kind in DiarizationErrors.Kind.allCases {
            let changed = DiarizationErrors.apply(
                kind, to: scenario.transcript, names: ["Maria", "Marcus", "Tasha"], seed: 1)
            #expect(changed.utterances.count == scenario.transcript.utterances.count)
            let differing = zip(changed.utterances, scenario.transcript.utterances).filter { $0 != $1 }.count
            #expect(differing > 0, "\(kind) changed nothing")
            if kind != .misspell {
                #expect(changed.utterances.map(\.text) == scenario.transcript.utterances.map(\.text), "\(kind)")
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - self.count)) + self
    }
}
