import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// What a speaker label is (issue 16): the shapes video and phone tools really write read as turns of
/// their own in every text format, prose with colons stays in its utterance, and nothing is folded into
/// another speaker's line without a finding.
@Suite("Speaker label shapes")
struct LabelShapeTests {
    /// Label shapes from Zoom, Teams, Meet, Webex and dial-in bridges, each able to name several people.
    static let shapes: [(name: String, make: @Sendable (Int) -> String)] = [
        ("international phone", { "+1 720-555-01\(Self.two($0))" }),
        ("national phone", { "(512) 555-01\(Self.two($0))" }),
        ("UK phone", { "+44 20 7946 09\(Self.two($0))" }),
        ("dotted phone", { "720.555.01\(Self.two($0))" }),
        ("phone with suffix", { "+1 303-555-01\(Self.two($0)) (Guest)" }),
        ("name with emoji", { "\(Self.given($0)) 🙂" }),
        ("emoji with modifiers", { "👩🏽‍⚕️ \(Self.given($0))" }),
        ("non-Latin scripts", { Self.scripts[$0 % Self.scripts.count] + ($0 < Self.scripts.count ? "" : " \($0)") }),
        ("host suffix", { "DR. \(Self.family($0).uppercased()) (Host)" }),
        ("guest suffix", { "\(Self.given($0)) \(Self.family($0)) (Guest)" }),
        ("last, first", { "\(Self.family($0)), \(Self.given($0))" }),
        ("device with apostrophe", { "\(Self.given($0))'s iPhone" }),
        ("device with parentheses", { "Galaxy Tab (\($0 + 2))" }),
        ("anonymous id", { "SPEAKER_\(Self.two($0))" }),
    ]

    static let scripts = ["王小明", "محمد علي", "Алексей Петров", "Οδυσσέας", "김민준", "עמית כהן", "สมชาย", "Nguyễn Văn An"]
    static let givenNames = ["João", "Ana", "Priya", "Kwame", "Mei", "Oskar", "Leila", "Tomás", "Aiyana", "Dmitri"]
    static let familyNames = ["Rivera", "Nguyen", "Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Silva"]

    static func two(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
    static func given(_ index: Int) -> String {
        Self.givenNames[index % Self.givenNames.count] + (index < Self.givenNames.count ? "" : "\(index)")
    }
    static func family(_ index: Int) -> String {
        Self.familyNames[index % Self.familyNames.count] + (index < Self.familyNames.count ? "" : "\(index)")
    }

    static func read(_ text: String, file: String = "transcript.txt") throws -> Transcript {
        try TranscriptReading.read(Array(text.utf8), file: file)
    }

    @Test("every shape reads as its own turn, once or recurring, in plain, timed, caption and chat text")
    func shapesInEveryFormat() throws {
        for (name, make) in Self.shapes {
            let label = make(1)
            let plain = "Therapist: Welcome back, everyone.\n\(label): Hi, can you hear me?\nTherapist: Yes, we can.\n"
            let timed =
                "[00:00:01] Therapist: Welcome back.\n[00:00:04] \(label): Hi, can you hear me?\n[00:00:07] Therapist: Yes.\n"
            let vtt =
                "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nTherapist: Welcome back.\n\n00:00:04.000 --> 00:00:06.000\n"
                + "\(label): Hi, can you hear me?\n"
            let srt =
                "1\n00:00:01,000 --> 00:00:03,000\nTherapist: Welcome back.\n\n2\n00:00:04,000 --> 00:00:06,000\n"
                + "\(label): Hi, can you hear me?\n"
            let chat = "00:05:16\tTherapist:\tWelcome back.\n00:05:20\t\(label):\tHi, can you hear me?\n"
            for (format, text, file) in [
                ("plain", plain, "transcript.txt"), ("timed", timed, "transcript.txt"), ("vtt", vtt, "transcript.vtt"),
                ("srt", srt, "transcript.srt"), ("chat", chat, "chat.txt"),
            ] {
                let transcript = try Self.read(text, file: file)
                let labels = transcript.utterances.map(\.label)
                #expect(labels.contains(label), "\(name) in \(format): \(labels)")
                let turn = transcript.utterances.first { $0.label == label }
                #expect(turn?.text == "Hi, can you hear me?", "\(name) in \(format)")
                #expect(!transcript.utterances.contains { $0.text.contains(label) }, "\(name) in \(format): merged")
                #expect(transcript.foldedLabelLines.isEmpty, "\(name) in \(format)")
            }
        }
    }

    @Test("prose with a colon stays in its utterance, with no finding")
    func proseStays() throws {
        let prose = [
            "Here's the thing: I don't know if it helped.",
            "What I mean is: we tried.",
            "So my question: does it get easier?",
            "The plan was simple: show up and listen.",
            "We met at 10:30 and talked.",
            "Note: bring the worksheet.",
            "And then she said: no more phones at dinner.",
            "Two things: sleep and food.",
        ]
        for line in prose {
            let transcript = try Self.read(
                "Therapist: How was the week?\nMaria: Okay.\n\(line)\nTherapist: Thank you.\n")
            #expect(transcript.utterances.count == 3, "\(line)")
            #expect(transcript.utterances[1].text == "Okay. \(line)", "\(line)")
            #expect(transcript.foldedLabelLines.isEmpty, "\(line)")
        }
    }

    @Test("a plausible label the file uses again is a label; used once it is folded and reported by line")
    func recurrenceAndFolds() throws {
        let twice = try Self.read(
            "Therapist: Who's on?\ndana's ipad: me and my son.\nTherapist: Welcome.\ndana's ipad: thanks.\n")
        #expect(twice.utterances.map(\.label) == ["Therapist", "dana's ipad", "Therapist", "dana's ipad"])
        #expect(twice.foldedLabelLines.isEmpty)
        let once = try Self.read("Therapist: Who's on?\nMaria: Me.\ndana's ipad: and me.\nTherapist: Welcome.\n")
        #expect(once.utterances.count == 3)
        #expect(once.foldedLabelLines == [3], "the line, never its text")
        // A file whose turns all open with a time follows its style: a time then a label is a turn.
        let timed = try Self.read(
            "[00:00:01] Therapist: Who's on?\n[00:00:03] Maria: Me.\n[00:00:05] dana's ipad: and me.\n"
                + "[00:00:08] Therapist: Welcome.\n")
        #expect(timed.utterances.map(\.label) == ["Therapist", "Maria", "dana's ipad", "Therapist"])
        // Captions recover a recurring plausible label too.
        let vtt = try Self.read(
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\ndana's ipad: hello\n\n00:00:03.000 --> 00:00:04.000\n"
                + "Therapist: Hi.\n\n00:00:05.000 --> 00:00:06.000\ndana's ipad: bye\n", file: "transcript.vtt")
        #expect(vtt.utterances.map(\.label) == ["dana's ipad", "Therapist", "dana's ipad"])
    }

    @Test("a folded line becomes a labelLikeLineMerged finding naming the line, not the text")
    func foldFinding() throws {
        let agents = try Fixtures.agents()
        let transcript = try Self.read(
            "Dana Whitfield: How was the week?\nMaria Lopez: Okay.\ndana's ipad: and me, hi.\nDana Whitfield: Welcome.\n"
        )
        let roster = Roster(
            sessionKind: .group,
            people: [
                .init(id: PersonID("PROV-1"), name: "Dana Whitfield", kind: .clinician(.primary)),
                .init(id: PersonID("CL-1"), name: "Maria Lopez", kind: .attendee(.member)),
            ])
        let attribution = AttributionEngine(configuration: agents.attributor).attribute(
            Segmentation(configuration: agents.segmenter).segment(transcript), roster: roster)
        let finding = try #require(attribution.findings.first { $0.code == .labelLikeLineMerged })
        #expect(finding.message.hasPrefix("Line 3 of the transcript opens like a speaker's turn"))
        #expect(!finding.message.contains("dana") && !finding.message.contains("ipad"))
        #expect(finding.evidence == [1], "the utterance it joined")
    }

    static let roster = Roster(
        sessionKind: .group,
        people: [
            .init(id: PersonID("PROV-1"), name: "Dana Whitfield", kind: .clinician(.primary)),
            .init(id: PersonID("CL-1"), name: "Maria Lopez", aliases: ["Maria"], kind: .attendee(.member)),
            .init(id: PersonID("CL-2"), name: "Conor Healy", aliases: ["Conor"], kind: .attendee(.member)),
        ])

    static func attribute(_ transcript: Transcript, hints: [SpeakerHint] = []) throws -> Attribution {
        let agents = try Fixtures.agents()
        return AttributionEngine(configuration: agents.attributor).attribute(
            Segmentation(configuration: agents.segmenter).segment(transcript), roster: Self.roster, hints: hints)
    }

    @Test("a phone-number label binds to a roster person through speakerHints, like any label")
    func phoneLabelsBindThroughHints() throws {
        let transcript = try Self.read(
            "Dana Whitfield: Welcome, everyone. Who just joined by phone?\n"
                + "+1 720-555-0143: Hi, sorry, the video wouldn't load.\n"
                + "Conor Healy: Hey.\nDana Whitfield: Glad you made it.\n+1 720-555-0143: Thanks, me too.\n")
        let attribution = try Self.attribute(
            transcript, hints: [SpeakerHint(label: "+1 720-555-0143", people: [PersonID("CL-1")])])
        let phone = try #require(attribution.speakers.first { $0.label == "+1 720-555-0143" })
        #expect(phone.person == PersonID("CL-1"))
        #expect(attribution.utterances[1].person == PersonID("CL-1"))
    }

    @Test("a caller who dials in again under another number is a possible same person: a finding, not a merge")
    func droppedCall() throws {
        let transcript = try Self.read(
            "Dana Whitfield: Let's start.\n+1 720-555-0143: Hi, I'm on my phone today.\n"
                + "Conor Healy: My week was fine.\n+1 720-555-0143: Sorry, you're breaking up.\n"
                + "Dana Whitfield: We lost the caller, let's go on.\nConor Healy: Okay.\n"
                + "(512) 555-0199: Hi, I'm back, sorry, I called from my other phone.\nDana Whitfield: Welcome back.\n")
        let attribution = try Self.attribute(transcript)
        let finding = try #require(attribution.findings.first { $0.code == .possibleSameCaller })
        #expect(finding.evidence == [3, 6])
        #expect(!finding.message.contains("555"), "numbers are never quoted")
        let first = attribution.speakers.first { $0.label == "+1 720-555-0143" }
        let second = attribution.speakers.first { $0.label == "(512) 555-0199" }
        #expect(first != nil && second != nil, "two labels kept, nothing merged silently")
        // Calls that overlap are two callers.
        let both = try Self.read(
            "Dana Whitfield: Hello.\n+1 720-555-0143: Hi.\n(512) 555-0199: Hi there.\n+1 720-555-0143: Good.\n")
        #expect(!(try Self.attribute(both)).findings.contains { $0.code == .possibleSameCaller })
    }

    /// Replaces each label at the start of a line (after times, brackets or tabs) with its new shape.
    static func relabel(_ text: String, _ mapping: [String: String]) -> String {
        let labels = mapping.keys.sorted { $0.count > $1.count }
        return text.components(separatedBy: "\n").map { line -> String in
            for label in labels where line.contains("<v \(label)>") {
                // Teams writes voice tags.
                return line.replacingOccurrences(of: "<v \(label)>", with: "<v \(mapping[label]!)>")
            }
            for label in labels {
                guard let range = line.range(of: label + ":") else { continue }
                let before = line[..<range.lowerBound]
                guard !before.contains(where: \.isLetter) else { continue }
                return line.replacingCharacters(in: range, with: mapping[label]! + ":")
            }
            return line
        }.joined(separator: "\n")
    }

    @Test("mutation: every label of the bundled and real text transcripts replaced by each shape keeps every utterance")
    func mutatedTranscripts() throws {
        let files = [
            Fixtures.scenariosDirectory + "/multi-family-group/transcript.txt",
            Fixtures.scenariosDirectory + "/substance-use-group/transcript.vtt",
            Fixtures.dataPath("zoomstudentengagement/GMT20240124-202901_Recording.transcript.vtt"),
            Fixtures.dataPath("zoomstudentengagement/GMT20240124-202901_RecordingnewChat.txt"),
            Fixtures.dataPath("go-astisub/example-in.srt"),
            Fixtures.dataPath("webvtt-py/teams_timeframe.vtt"),
        ]
        var checked = 0
        for path in files {
            let bytes = try Fixtures.bytes(path)
            let original = try TranscriptReading.read(bytes, file: path)
            let text = try TextDecoding.decode(bytes, file: path).text
            let labels = original.labels
            #expect(!labels.isEmpty, "\(path)")
            for (name, make) in Self.shapes {
                let mapping = Dictionary(
                    uniqueKeysWithValues: labels.enumerated().map { ($0.element, make($0.offset)) })
                let mutated = try TranscriptReading.read(Array(Self.relabel(text, mapping).utf8), file: path)
                #expect(mutated.utterances.count == original.utterances.count, "\(name) in \(path)")
                let expected = original.utterances.map { $0.label.flatMap { mapping[$0] } }
                #expect(mutated.utterances.map(\.label) == expected, "\(name) in \(path)")
                #expect(mutated.foldedLabelLines.isEmpty, "\(name) in \(path)")
                checked += 1
            }
        }
        #expect(checked == files.count * Self.shapes.count)
    }
}
