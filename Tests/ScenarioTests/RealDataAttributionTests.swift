import EnsembleCore
import EnsembleTesting
import Foundation
import Testing

@testable import EnsembleFormats

/// Attribution on real third-party multi-party data: a Zoom class with its roster, clinic visits with
/// family members (ACI-Bench), counselling sessions (AnnoMI), consultations recorded on two channels
/// (PriMock57) and a design meeting (QMSum/AMI). Truth comes from the data's own labels, never from
/// this program; each is also run with its labels replaced by anonymous ids, so only what was said
/// can bind them. Floors are what the data allows, measured and stated in docs/attribution.md.
@Suite("Real multi-party data")
struct RealDataAttributionTests {
    let agents = try! Fixtures.agents()

    /// Correct, wrong and unknown against per-utterance truth; a set of people means any of them
    /// is right (two parents sharing one `patient_guest` tag).
    struct Measured: CustomStringConvertible {
        var correct = 0
        var wrong = 0
        var unknown = 0

        var total: Int { self.correct + self.wrong + self.unknown }
        var accuracy: Double { self.total == 0 ? 1 : Double(self.correct) / Double(self.total) }
        var precision: Double {
            self.correct + self.wrong == 0 ? 1 : Double(self.correct) / Double(self.correct + self.wrong)
        }

        mutating func add(_ other: Measured) {
            self.correct += other.correct
            self.wrong += other.wrong
            self.unknown += other.unknown
        }

        var description: String {
            "\(self.correct)/\(self.total) correct (\(Int((self.accuracy * 1000).rounded()) / 10)%), \(self.wrong) wrong, \(self.unknown) unknown"
        }
    }

    func measure(_ transcript: Transcript, roster: Roster, truth: [Set<PersonID>?]) -> Measured {
        self.tally(Fixtures.attribute(transcript, roster: roster, agents: self.agents).1, truth: truth)
    }

    /// The same transcript with each label replaced by `SPEAKER_nn` in order of first appearance.
    static func anonymised(_ transcript: Transcript) -> Transcript {
        var ids: [String: String] = [:]
        var copy = transcript
        for index in copy.utterances.indices {
            guard let label = copy.utterances[index].label else { continue }
            if ids[label] == nil { ids[label] = "SPEAKER_" + Digits.padded(ids.count, 2) }
            copy.utterances[index].label = ids[label]
        }
        return copy
    }

    /// A clinician and one client bound to the transcript's own two labels, measured with those
    /// labels and with anonymous ones.
    func twoParty(_ transcript: Transcript, clinician: String, client: String) -> (named: Measured, anonymous: Measured)
    {
        let (anonymous, roster, truth, _) = Self.twoPartySession(transcript, clinician: clinician, client: client)
        return (
            self.measure(transcript, roster: roster, truth: truth),
            self.measure(anonymous, roster: roster, truth: truth)
        )
    }

    // MARK: - Zoom class with its roster

    @Test func zoomClass_namedLabels_allBoundToTheRoster() throws {
        let roster = try Self.zoomRoster()
        let transcript = try Fixtures.transcript("zoomstudentengagement/GMT20240124-202901_Recording.transcript.vtt")
        let truth = transcript.utterances.map { utterance in
            utterance.label.flatMap { Self.zoomPerson($0, roster: roster) }.map { Set([$0]) }
        }
        let measured = self.measure(transcript, roster: roster, truth: truth)
        print("Zoom class, display-name labels: \(measured)")
        #expect(measured.correct == 101 && measured.wrong == 0 && measured.unknown == 0)
        // The two rostered students who never speak get nothing, and are reported.
        let attribution = Fixtures.attribute(transcript, roster: roster, agents: self.agents).1
        let silent = attribution.findings.filter { $0.code == .presentAttendeeSilent }.compactMap(\.person)
        #expect(Set(silent) == Set(attribution.talk.filter { $0.utterances == 0 }.map(\.person)))
        #expect(silent.count == 2)
    }

    @Test func zoomClass_captionsWithoutLabels_areNeverGuessed() throws {
        // The same session's caption export has no speaker labels; truth is the labelled transcript
        // export of the same meeting, aligned by time.
        let roster = try Self.zoomRoster()
        let labelled = try Fixtures.transcript("zoomstudentengagement/GMT20240124-202901_Recording.transcript.vtt")
        let captions = try Fixtures.transcript("zoomstudentengagement/GMT20240124-202901_Recording.cc.vtt")
        let truth: [Set<PersonID>?] = captions.utterances.map { caption in
            guard let start = caption.start, let end = caption.end else { return nil }
            var best: (overlap: Double, label: String?) = (0, nil)
            for cue in labelled.utterances {
                let overlap = min(end, cue.end ?? 0) - max(start, cue.start ?? 0)
                if overlap > best.overlap { best = (overlap, cue.label) }
            }
            return best.label.flatMap { Self.zoomPerson($0, roster: roster) }.map { Set([$0]) }
        }
        let measured = self.measure(captions, roster: roster, truth: truth)
        print("Zoom class, captions without labels: \(measured)")
        // Seven people, no labels, no introductions: nothing may be guessed, and the run says why.
        #expect(measured.wrong == 0)
        let attribution = Fixtures.attribute(captions, roster: roster, agents: self.agents).1
        #expect(attribution.findings.contains { $0.code == .unlabeledTranscript })
    }

    // MARK: - ACI-Bench clinic visits with family members

    struct Visit: Sendable {
        var file: String
        var encounter: String
        /// Family members in the room (from the PROVENANCE notes), by relationship.
        var guests: [String]
        /// The patient's age in years (under one for infants).
        var age: Int
    }

    static let visits = [
        Visit(file: "aci-bench/clinicalnlp_taskC_test2.subset.csv", encounter: "D2N141", guests: ["daughter"], age: 86),
        Visit(
            file: "aci-bench/clef_taskC_test3.subset.csv", encounter: "D2N185", guests: ["mother", "father"], age: 14),
        Visit(file: "aci-bench/clinicalnlp_taskB_test1.subset.csv", encounter: "D2N100", guests: ["mother"], age: 15),
        Visit(file: "aci-bench/clinicalnlp_taskB_test1.subset.csv", encounter: "D2N099", guests: ["mother"], age: 0),
        Visit(file: "aci-bench/valid.subset.csv", encounter: "D2N076", guests: ["mother"], age: 1),
        Visit(file: "aci-bench/valid.subset.csv", encounter: "D2N069", guests: [], age: 43),
    ]

    func visit(_ visit: Visit) throws -> (Transcript, Roster, [Set<PersonID>?]) {
        let metadata = try Self.metadata(for: visit.encounter)
        let transcript = try Fixtures.transcript(visit.file, options: TranscriptOptions(conversation: visit.encounter))
        let family = metadata["patient_familyname"] ?? ""
        let doctor =
            (metadata["doctor_name"] ?? "").split(separator: " ").last.map { "Dr. " + $0.capitalized } ?? "Clinician"
        var people: [Roster.Person] = [
            .init(id: PersonID("DOC"), name: doctor, kind: .clinician(.primary)),
            .init(
                id: PersonID("PT"), name: "\((metadata["patient_firstname"] ?? "").capitalized) \(family.capitalized)",
                kind: .attendee(.identifiedPatient), age: visit.age),
        ]
        for (offset, relationship) in visit.guests.enumerated() {
            people.append(
                .init(
                    id: PersonID("G\(offset + 1)"), name: "\(relationship.capitalized) \(family.capitalized)",
                    kind: .attendee(.familyMember), relationship: relationship))
        }
        let guests = Set(visit.guests.indices.map { PersonID("G\($0 + 1)") })
        let truth: [Set<PersonID>?] = transcript.utterances.map { utterance in
            switch utterance.label {
            case "doctor": [PersonID("DOC")]
            case "patient": [PersonID("PT")]
            case "patient_guest": guests
            default: nil
            }
        }
        return (transcript, Roster(sessionKind: .family, people: people), truth)
    }

    @Test func aciBench_roleTags_bindEveryVisit() throws {
        var total = Measured()
        for visit in Self.visits {
            let (transcript, roster, truth) = try self.visit(visit)
            let measured = self.measure(transcript, roster: roster, truth: truth)
            #expect(measured.wrong == 0, "\(visit.encounter): \(measured)")
            if visit.guests.count <= 1 {
                #expect(measured.correct == measured.total, "\(visit.encounter): \(measured)")
            } else {
                // Both parents speak under one tag: each line is resolved on its own, and a line that
                // does not say which parent is speaking stays unknown rather than guessed.
                let guestLines = truth.filter { $0?.count ?? 0 > 1 }.count
                #expect(measured.correct >= measured.total - guestLines)
            }
            total.add(measured)
        }
        print("ACI-Bench, role tags: \(total)")
        #expect(total.accuracy >= 0.9)
    }

    @Test func aciBench_anonymousLabels_neverWrong() throws {
        var total = Measured()
        for visit in Self.visits {
            let (transcript, roster, truth) = try self.visit(visit)
            let measured = self.measure(Self.anonymised(transcript), roster: roster, truth: truth)
            print("ACI-Bench \(visit.encounter), anonymous labels: \(measured)")
            #expect(measured.wrong == 0, "\(visit.encounter): \(measured)")
            total.add(measured)
        }
        print("ACI-Bench, anonymous labels: \(total)")
        // 345 of 411 with speaker-attributor 1.6.0; 362 with 1.7.0 (the last two labels bound together).
        #expect(total.accuracy >= 0.88)
    }

    // MARK: - AnnoMI counselling sessions

    @Test func annomi_therapistAndClient_areBoundWithAndWithoutLabels() throws {
        var tagged = Measured()
        var anonymous = Measured()
        for conversation in ["95", "107", "40", "44", "23", "110"] {
            let transcript = try Fixtures.transcript(
                "annomi/annomi-simple-subset.csv", options: TranscriptOptions(conversation: conversation))
            let (named, measured) = self.twoParty(transcript, clinician: "therapist", client: "client")
            tagged.add(named)
            #expect(measured.wrong == 0, "AnnoMI \(conversation): \(measured)")
            anonymous.add(measured)
        }
        print("AnnoMI, role labels: \(tagged); anonymous labels: \(anonymous)")
        #expect(tagged.correct == tagged.total)
        #expect(anonymous.accuracy >= 0.95)
    }

    /// A two-person conversation is read whole, each label as fallible evidence: one voice split over two
    /// labels, the labels swapping persons two thirds of the way through, and a stretch where one label
    /// holds both voices are each found, said in a finding, and attributed line by line.
    @Test func twoPersonConversations_splitSwapAndMerge_areReadWhole() throws {
        var sessions: [(String, Transcript, Roster, [Set<PersonID>?])] = []
        let annomi = try Fixtures.transcript(
            "annomi/annomi-simple-subset.csv", options: TranscriptOptions(conversation: "44"))
        let (annomiTranscript, annomiRoster, annomiTruth, _) = Self.twoPartySession(
            annomi, clinician: "therapist", client: "client")
        sessions.append(("AnnoMI 44", annomiTranscript, annomiRoster, annomiTruth))
        let channels = try ["doctor", "patient"].map { (speaker: String) in
            try Fixtures.transcript(
                "primock57/day5_consultation03_\(speaker).TextGrid", options: TranscriptOptions(channelLabel: speaker))
        }
        let (primock, primockRoster, primockTruth, _) = Self.twoPartySession(
            TranscriptMerger.merge(channels), clinician: "doctor", client: "patient")
        sessions.append(("PriMock57 day5/03", primock, primockRoster, primockTruth))
        for (name, transcript, roster, truth) in sessions {
            let split = DiarizationErrors.apply(.split, to: transcript, seed: 1)
            let splitAttribution = Fixtures.attribute(split, roster: roster, agents: self.agents).1
            let splitMeasured = self.tally(splitAttribution, truth: truth)
            #expect(splitMeasured.wrong == 0 && splitMeasured.accuracy >= 0.98, "\(name), split: \(splitMeasured)")
            #expect(splitAttribution.findings.contains { $0.code == .speakerSplitAcrossLabels }, "\(name)")
            #expect(splitAttribution.speakers.allSatisfy { $0.person != nil }, "\(name): every label bound")

            let swapped = DiarizationErrors.apply(.swap, to: transcript, seed: 1)
            let swapAttribution = Fixtures.attribute(swapped, roster: roster, agents: self.agents).1
            let swapMeasured = self.tally(swapAttribution, truth: truth)
            #expect(swapMeasured.precision >= 0.99 && swapMeasured.accuracy >= 0.97, "\(name), swap: \(swapMeasured)")
            let cuts = swapAttribution.findings.filter { $0.code == .labelChangesPerson }.flatMap(\.evidence)
            let turn = transcript.utterances.count * 2 / 3
            #expect(cuts.count == 2, "\(name): both labels change persons")
            #expect(cuts.allSatisfy { abs($0 - turn) <= 3 }, "\(name): cut near utterance \(turn): \(cuts)")
            #expect(swapAttribution.speakers.filter { $0.fromUtterance != nil }.count == 2)

            let merged = DiarizationErrors.apply(.merge, to: transcript, seed: 1)
            let mergeAttribution = Fixtures.attribute(merged, roster: roster, agents: self.agents).1
            let mergeMeasured = self.tally(mergeAttribution, truth: truth)
            #expect(
                mergeMeasured.precision >= 0.98 && mergeMeasured.accuracy >= 0.9, "\(name), merge: \(mergeMeasured)")
            #expect(mergeAttribution.findings.contains { $0.code == .labelMixesSpeakers }, "\(name)")
        }
    }

    // MARK: - PriMock57 consultations, one file per microphone

    @Test func primock_channelFiles_andAnonymousLabels() throws {
        var named = Measured()
        var anonymous = Measured()
        for consultation in ["day1_consultation01", "day3_consultation03", "day5_consultation03"] {
            var channels: [Transcript] = []
            for speaker in ["doctor", "patient"] {
                let file = "primock57/\(consultation)_\(speaker).TextGrid"
                channels.append(try Fixtures.transcript(file, options: TranscriptOptions(channelLabel: speaker)))
            }
            let merged = TranscriptMerger.merge(channels)
            let (channelLabels, measured) = self.twoParty(merged, clinician: "doctor", client: "patient")
            named.add(channelLabels)
            #expect(measured.wrong == 0, "\(consultation): \(measured)")
            anonymous.add(measured)
        }
        print("PriMock57, channel labels: \(named); anonymous labels: \(anonymous)")
        #expect(named.correct == named.total)
        #expect(anonymous.accuracy >= 0.95)
    }

    // MARK: - QMSum / AMI design meeting

    @Test func amiMeeting_rolesAsAliases_andAnonymousLabels() throws {
        let transcript = try Fixtures.transcript("qmsum/ES2004a.json")
        let roles = ["Project Manager", "Marketing", "Industrial Designer", "User Interface"]
        // Only the project manager's name is said in the meeting ("I'm Sarah").
        let names = ["Sarah Meeting", "Marketing Person", "Designer Person", "Interface Person"]
        func roster(aliases: Bool) -> Roster {
            Roster(
                sessionKind: .group,
                people: roles.indices.map { index in
                    .init(
                        id: PersonID("P\(index)"), name: names[index], aliases: aliases ? [roles[index]] : [],
                        kind: .attendee(.member))
                })
        }
        let truth: [Set<PersonID>?] = transcript.utterances.map { utterance in
            roles.firstIndex(of: utterance.label ?? "").map { [PersonID("P\($0)")] }
        }
        let named = self.measure(transcript, roster: roster(aliases: true), truth: truth)
        let anonymous = self.measure(Self.anonymised(transcript), roster: roster(aliases: false), truth: truth)
        print("AMI ES2004a, role labels: \(named); anonymous labels: \(anonymous)")
        #expect(named.correct == named.total)
        // Three of four participants are never named: the honest answer for them is unknown.
        #expect(anonymous.wrong == 0)
        #expect(anonymous.accuracy >= 0.3)
    }

    // MARK: - Diarization errors at realistic rates

    /// Every real data set under the errors real diarization makes, all at once as in one session
    /// (`DiarizationErrors.realistic`: a third of names misheard, one split speaker, one merged stretch,
    /// one shared device, one swap), three seeds each, on anonymous labels as a diarizer gives them (the
    /// Zoom class keeps its display names). `attributable` counts the lines the same labels bind with no
    /// error at all: what can be told from the transcript. `ENSEMBLE_ATTRIBUTION_REPORT=1` prints the table.
    @Test func realisticDiarizationErrors_everyDataSet() throws {
        var rows: [(name: String, clean: Measured, errors: Measured, attributable: Measured)] = []
        func run(_ name: String, _ sessions: [(Transcript, Roster, [Set<PersonID>?], [String])]) {
            var clean = Measured()
            var errors = Measured()
            var attributable = Measured()
            for (transcript, roster, truth, names) in sessions {
                let baseline = Fixtures.attribute(transcript, roster: roster, agents: self.agents).1
                clean.add(self.tally(baseline, truth: truth))
                let known = Set(
                    zip(baseline.utterances, truth).compactMap { item, expected in
                        item.person.flatMap { expected?.contains($0) == true ? item.index : nil }
                    })
                for seed in [1, 2, 3] as [UInt64] {
                    let changed = DiarizationErrors.realistic(transcript, names: names, seed: seed)
                    let attribution = Fixtures.attribute(changed, roster: roster, agents: self.agents).1
                    errors.add(self.tally(attribution, truth: truth))
                    attributable.add(
                        self.tally(attribution, truth: truth.enumerated().map { known.contains($0) ? $1 : nil }))
                }
            }
            rows.append((name, clean, errors, attributable))
        }
        let zoomRoster = try Self.zoomRoster()
        let zoom = try Fixtures.transcript("zoomstudentengagement/GMT20240124-202901_Recording.transcript.vtt")
        run(
            "Zoom class",
            [
                (
                    zoom, zoomRoster,
                    zoom.utterances.map { $0.label.flatMap { Self.zoomPerson($0, roster: zoomRoster) }.map { [$0] } },
                    zoomRoster.people.flatMap { [String($0.name.split(separator: " ")[0])] + $0.aliases }
                )
            ])
        run(
            "ACI-Bench",
            try Self.visits.map { visit in
                let (transcript, roster, truth) = try self.visit(visit)
                return (
                    Self.anonymised(transcript), roster, truth,
                    roster.people.map { String($0.name.split(separator: " ")[0]) }
                )
            })
        run(
            "AnnoMI",
            try ["95", "107", "40", "44", "23", "110"].map { conversation in
                let transcript = try Fixtures.transcript(
                    "annomi/annomi-simple-subset.csv", options: TranscriptOptions(conversation: conversation))
                return Self.twoPartySession(transcript, clinician: "therapist", client: "client")
            })
        run(
            "PriMock57",
            try ["day1_consultation01", "day3_consultation03", "day5_consultation03"].map { consultation in
                let channels = try ["doctor", "patient"].map { (speaker: String) in
                    try Fixtures.transcript(
                        "primock57/\(consultation)_\(speaker).TextGrid",
                        options: TranscriptOptions(channelLabel: speaker))
                }
                return Self.twoPartySession(TranscriptMerger.merge(channels), clinician: "doctor", client: "patient")
            })
        let ami = try Fixtures.transcript("qmsum/ES2004a.json")
        let roles = ["Project Manager", "Marketing", "Industrial Designer", "User Interface"]
        let amiRoster = Roster(
            sessionKind: .group,
            people: ["Sarah Meeting", "Marketing Person", "Designer Person", "Interface Person"].enumerated().map {
                .init(id: PersonID("P\($0)"), name: $1, kind: .attendee(.member))
            })
        run(
            "AMI ES2004a",
            [
                (
                    Self.anonymised(ami), amiRoster,
                    ami.utterances.map { utterance in
                        roles.firstIndex(of: utterance.label ?? "").map { [PersonID("P\($0)")] }
                    },
                    ["Sarah"]
                )
            ])
        if ProcessInfo.processInfo.environment["ENSEMBLE_ATTRIBUTION_REPORT"] != nil {
            print("data set        no errors                 realistic errors          of the attributable")
            for row in rows {
                print(
                    row.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                        + Self.shares(row.clean).padding(toLength: 26, withPad: " ", startingAt: 0)
                        + Self.shares(row.errors).padding(toLength: 26, withPad: " ", startingAt: 0)
                        + Self.shares(row.attributable))
            }
        }
        // Measured 2026-12-06 (correct, wrong) under realistic errors per data set, held as floors. Issue
        // 20's target is 95% and 1% on every set. Two-person sessions, read as whole conversations, are
        // near the first and at three times the second; sessions of three or more are far from both
        // (docs/attribution.md).
        let floors: [String: (correct: Double, wrong: Double)] = [
            "Zoom class": (0.865, 0.034), "ACI-Bench": (0.609, 0.179), "AnnoMI": (0.950, 0.041),
            "PriMock57": (0.944, 0.033), "AMI ES2004a": (0.273, 0.067),
        ]
        for row in rows {
            #expect(row.clean.wrong == 0, "\(row.name)")
            let floor = try #require(floors[row.name])
            #expect(row.errors.accuracy >= floor.correct - 0.0005, "\(row.name): \(row.errors)")
            let wrong = Double(row.errors.wrong) / Double(max(row.errors.total, 1))
            #expect(wrong <= floor.wrong, "\(row.name): \(row.errors)")
        }
    }

    static func shares(_ measured: Measured) -> String {
        let total = Double(max(measured.total, 1))
        return String(
            format: "%.1f%% right, %.1f%% wrong", Double(measured.correct) / total * 100,
            Double(measured.wrong) / total * 100)
    }

    func tally(_ attribution: Attribution, truth: [Set<PersonID>?]) -> Measured {
        var measured = Measured()
        for (item, expected) in zip(attribution.utterances, truth) where item.method != .nonSpeech {
            guard let expected, !expected.isEmpty else { continue }
            if let person = item.person {
                if expected.contains(person) { measured.correct += 1 } else { measured.wrong += 1 }
            } else {
                measured.unknown += 1
            }
        }
        return measured
    }

    /// A two-person session on anonymous labels, for the error simulator.
    static func twoPartySession(_ transcript: Transcript, clinician: String, client: String)
        -> (Transcript, Roster, [Set<PersonID>?], [String])
    {
        let roster = Roster(
            sessionKind: .individual,
            people: [
                .init(id: PersonID("CLINICIAN"), name: "Clinician", kind: .clinician(.primary)),
                .init(id: PersonID("CLIENT"), name: "Client", kind: .attendee(.identifiedPatient)),
            ])
        let truth: [Set<PersonID>?] = transcript.utterances.map { utterance in
            switch utterance.label?.lowercased() {
            case clinician: [PersonID("CLINICIAN")]
            case client: [PersonID("CLIENT")]
            default: nil
            }
        }
        return (Self.anonymised(transcript), roster, truth, [])
    }

    // MARK: - Data helpers

    static func zoomRoster() throws -> Roster {
        let text = String(
            decoding: try Fixtures.bytes(Fixtures.dataPath("zoomstudentengagement/roster.csv")), as: UTF8.self)
        let records = try CSV.parse(text, file: "roster.csv")
        let header = records[0].fields
        let first = header.firstIndex(of: "first_last")!
        let preferred = header.firstIndex(of: "preferred_name")!
        return Roster(
            sessionKind: .group,
            people: records.dropFirst().enumerated().map { index, record in
                .init(
                    id: PersonID("R\(index)"), name: record.fields[first], aliases: [record.fields[preferred]],
                    kind: .attendee(.member))
            })
    }

    /// The roster person a Zoom display name denotes, read the way a person would (dropping `Dr.`).
    static func zoomPerson(_ label: String, roster: Roster) -> PersonID? {
        let name = label.hasPrefix("Dr. ") ? String(label.dropFirst(4)) : label
        return roster.people.first { $0.name == name }?.id
    }

    static func metadata(for encounter: String) throws -> [String: String] {
        for file in ["clef_taskC_test3", "clinicalnlp_taskB_test1", "clinicalnlp_taskC_test2", "valid"] {
            let text = String(
                decoding: try Fixtures.bytes(Fixtures.dataPath("aci-bench/\(file)_metadata.subset.csv")), as: UTF8.self)
            let records = try CSV.parse(text, file: file)
            let header = records[0].fields
            for record in records.dropFirst() where record.fields[header.firstIndex(of: "encounter_id")!] == encounter {
                return Dictionary(uniqueKeysWithValues: zip(header, record.fields))
            }
        }
        return [:]
    }
}
