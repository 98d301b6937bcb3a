import EnsembleCore
import EnsembleFormats
import EnsembleTesting
import Foundation
import Testing

/// Every real third-party transcript sample in `Tests/Fixtures/data` (copied from `shared/data`, see
/// each folder's PROVENANCE.md) parses; each test checks the utterance count, the set of speaker labels
/// and a few utterances copied by hand from the file.
struct RealSample: Sendable, CustomTestStringConvertible {
    var path: String
    var format: TranscriptFormat
    var count: Int
    var labels: Set<String>
    /// (utterance index, label, exact text)
    var exact: [(Int, String?, String)]
    var options = TranscriptOptions()

    var testDescription: String { self.path + (self.options.conversation.map { " #" + $0 } ?? "") }
}

let realSamples: [RealSample] = [
    // webvtt-py
    RealSample(
        path: "webvtt-py/captions_with_bom.vtt", format: .webVTT, count: 4, labels: [],
        exact: [(0, nil, "Caption text #1"), (1, nil, "Caption text #2")]),
    RealSample(
        path: "webvtt-py/comments.vtt", format: .webVTT, count: 3, labels: [],
        exact: [(0, nil, "- Ta en kopp varmt te.\n- Det är inte varmt."), (2, nil, "- Ta en kopp")]),
    RealSample(
        path: "webvtt-py/cue_tags.vtt", format: .webVTT, count: 3, labels: [],
        exact: [(0, nil, "When the moon hits your eye"), (1, nil, "Like a big-a pizza pie"), (2, nil, "That's amore")]),
    RealSample(
        path: "webvtt-py/metadata_headers.vtt", format: .webVTT, count: 2, labels: [],
        exact: [(1, nil, "Caption text #2")]),
    RealSample(
        path: "webvtt-py/styles.vtt", format: .webVTT, count: 1, labels: [], exact: [(0, nil, "- Hello world.")]),
    RealSample(
        path: "webvtt-py/teams_timeframe.vtt", format: .webVTT, count: 2, labels: ["Yuri Bakulin", "Adrian Petrescu"],
        exact: [(0, "Yuri Bakulin", "There you go."), (1, "Adrian Petrescu", "Why hello there, Yuri.")]),
    RealSample(
        path: "webvtt-py/using_identifiers.vtt", format: .webVTT, count: 6, labels: [],
        exact: [(0, nil, "Caption text #1"), (5, nil, "Caption text #6")]),
    RealSample(
        path: "webvtt-py/youtube_dl.vtt", format: .webVTT, count: 4, labels: [],
        exact: [(0, nil, "yeah"), (1, nil, "yeah what"), (2, nil, "this will happen is I'm telling")]),
    RealSample(path: "webvtt-py/sample.srt", format: .srt, count: 5, labels: [], exact: [(4, nil, "Caption text #5")]),
    // go-astisub
    RealSample(
        path: "go-astisub/example-in.vtt", format: .webVTT, count: 6, labels: ["MAN"],
        exact: [
            (0, nil, "(deep rumbling)"), (1, "MAN", "How did we end up here?"), (2, nil, "This place is horrible."),
        ]),
    RealSample(
        path: "go-astisub/example-in.srt", format: .srt, count: 6, labels: ["MAN"],
        exact: [(1, "MAN", "How did we end up here?"), (3, nil, "Smells like balls.")]),
    RealSample(
        path: "go-astisub/example-in-non-utf8.srt", format: .srt, count: 6, labels: ["MAN"],
        exact: [(1, "MAN", "How did we end up here?"), (5, nil, "(computer playing electronic melody)")]),
    RealSample(
        path: "go-astisub/missing-sequence-in.srt", format: .srt, count: 6, labels: ["MAN"],
        exact: [(0, nil, "(deep rumbling)"), (4, nil, "We don't belong in this shithole.")]),
    RealSample(
        path: "go-astisub/example-in-carriage-return.vtt", format: .webVTT, count: 3, labels: [],
        exact: [
            (0, nil, "Did one of the last stories strike you as more interesting than the other?"),
            (2, nil, "at a busy bus stop or anywhere else for that matter."),
        ]),
    RealSample(
        path: "go-astisub/example-in-carriage-return.srt", format: .srt, count: 3, labels: [],
        exact: [(1, nil, "That's true. You don\u{2019}t often find 632 pieces of gum stuck on a sidewalk")]),
    RealSample(
        path: "go-astisub/example-in-html-entities.vtt", format: .webVTT, count: 3, labels: [],
        exact: [
            (0, nil, "The man in black fled across the desert, & the gunslinger followed."),
            (1, nil, "Go, then,"), (2, nil, "there are other < worlds than these."),
        ]),
    // AssemblyAI SRT export (no labels)
    RealSample(
        path: "assemblyai-go-sdk/subtitles.srt", format: .srt, count: 50, labels: [],
        exact: [
            (0, nil, "Runner's knee runner's"), (1, nil, "knee is a condition characterized by pain behind or around"),
        ]),
    // Deepgram
    RealSample(
        path: "deepgram-python-captions/dg_speakers.json", format: .deepgram, count: 22, labels: ["0", "1", "2"],
        exact: [
            (1, "0", "Jessica, Christina, we are so proud of you."),
            (
                4, "1",
                "Drew, thank you so much. It's been our pleasure working with you this morning. And I'm working on getting that EV hatch open,"
            ),
        ]),
    RealSample(
        path: "deepgram-python-captions/dg_speakers_no_utterances.json", format: .deepgram, count: 11,
        labels: ["0", "1", "2"],
        exact: [(2, "0", "report it's opened and stowed.")]),
    RealSample(
        path: "deepgram-python-captions/whisper_timestamped.json", format: .whisper, count: 4, labels: [],
        exact: [(3, nil, "who were skilled and qualified and didn't get the same opportunities that we have today.")]),
    // OpenAI
    RealSample(
        path: "openai-openapi/diarized_json.example.json", format: .openAIDiarized, count: 3, labels: ["agent", "A"],
        exact: [(0, "agent", "Thanks for calling OpenAI support."), (1, "A", "Hi, I'm trying to enable diarization.")]),
    RealSample(
        path: "openai-openapi/verbose_json_segments.example.json", format: .whisper, count: 1, labels: [],
        exact: [(0, nil, "The beach was a popular spot on a hot summer day.")]),
    // AWS Transcribe
    RealSample(
        path: "amazon-transcribe-developer-guide/diarization-output-batch.example.json", format: .awsTranscribe,
        count: 2,
        labels: ["spk_0", "spk_1"],
        exact: [(0, "spk_0", "I've been on hold for an hour."), (1, "spk_1", "Sorry about that.")]),
    RealSample(
        path: "amazon-transcribe-developer-guide/channel-id-output-batch.example.json", format: .awsTranscribe,
        count: 2,
        labels: ["ch_0", "ch_1"],
        exact: [(0, "ch_0", "I've been on hold for an hour."), (1, "ch_1", "Sorry about that.")]),
    RealSample(
        path: "amazon-transcribe-output-word-document/example-call.json", format: .awsCallAnalytics, count: 37,
        labels: ["AGENT", "CUSTOMER"],
        exact: [
            (
                0, "AGENT",
                "Thank you for calling Anchor Credit Union, the number one choice for captains worldwide, how can I help you?"
            ),
            (36, "AGENT", "Bye."),
        ]),
    // AssemblyAI
    RealSample(
        path: "assemblyai-api-spec/transcript-wildfires-speaker-labels.json", format: .assemblyAI, count: 20,
        labels: ["A", "B"],
        exact: [(1, "B", "Good morning."), (19, "B", "Thank you for having me.")]),
    // QMSum meetings
    RealSample(
        path: "qmsum/ES2004a.json", format: .qmsum, count: 320,
        labels: ["Project Manager", "Marketing", "Industrial Designer", "User Interface"],
        exact: [(0, "User Interface", "Hmm hmm hmm ."), (2, "User Interface", "Yeah .")]),
    RealSample(
        path: "qmsum/Bed016.json", format: .qmsum, count: 724,
        labels: ["Professor E", "Grad A", "Grad B", "Grad C", "Grad D", "Grad F"],
        exact: [(0, "Grad A", "Ah , so comfortable ."), (1, "Grad F", "Smooth ."), (723, "Grad A", "Mmm . Mmm .")]),
    // Zoom chat export (the transcript files are tested below, against the roster)
    RealSample(
        path: "zoomstudentengagement/GMT20240124-202901_Recording.cc.vtt", format: .webVTT, count: 100, labels: [],
        exact: [
            (0, nil, "This doesn't."),
            (
                99, nil,
                "Can those in the call here? Okay, then why don't we just in into that as a conversation and I'll go ahead and stop the Zoom Meeting and everybody can come join."
            ),
        ]),
    // PriMock57: one file per microphone; tiers named `Speaker` take the speaker from the file name.
    RealSample(
        path: "primock57/day1_consultation01_doctor.TextGrid", format: .textGrid, count: 53, labels: ["Doctor"],
        exact: [
            (
                0, "Doctor",
                "Hello? Hi. Um, should we start? Yeah, okay. <UNSURE>Hello how</UNSURE> um. Good morning sir, how can I help you this morning?"
            )
        ]),
    RealSample(
        path: "primock57/day1_consultation01_patient.TextGrid", format: .textGrid, count: 56, labels: ["Patient"],
        exact: [(0, "Patient", "Hello, how are you?")]),
    RealSample(
        path: "primock57/day3_consultation03_doctor.TextGrid", format: .textGrid, count: 64, labels: ["doctor"],
        exact: [(2, "doctor", "Yes, I can. Hi, I'm Dr. Jacob and welcome to Babylon. How are you doing?")]),
    RealSample(
        path: "primock57/day3_consultation03_patient.TextGrid", format: .textGrid, count: 93, labels: ["patient"],
        exact: [(1, "patient", "Hello, I'm Peter. I'm, I'm doing OK, I guess.")]),
    RealSample(
        path: "primock57/day5_consultation03_doctor.TextGrid", format: .textGrid, count: 55, labels: ["doctor"],
        exact: [(0, "doctor", "Hi there. I'm Doctor Smith from Babylon.")]),
    RealSample(
        path: "primock57/day5_consultation03_patient.TextGrid", format: .textGrid, count: 69, labels: ["patient"],
        exact: [(0, "patient", "Hi.")]),
    // AnnoMI: one CSV of six conversations; each is read by its transcript_id.
    RealSample(
        path: "annomi/annomi-simple-subset.csv", format: .csv, count: 36, labels: ["therapist", "client"],
        exact: [(0, "therapist", "Right. Hi, Ruth, thank you for coming today. How are you?")],
        options: TranscriptOptions(conversation: "95")),
    RealSample(
        path: "annomi/annomi-simple-subset.csv", format: .csv, count: 79, labels: ["therapist", "client"],
        exact: [(0, "therapist", "Hi, Hannah. Nice to meet you."), (1, "client", "Hi.")],
        options: TranscriptOptions(conversation: "23")),
    RealSample(
        path: "annomi/annomi-simple-subset.csv", format: .csv, count: 101, labels: ["therapist", "client"],
        exact: [(0, "therapist", "--today.")], options: TranscriptOptions(conversation: "110")),
    RealSample(
        path: "annomi/annomi-simple-subset.csv", format: .csv, count: 173, labels: ["therapist", "client"], exact: [],
        options: TranscriptOptions(conversation: "44")),
    RealSample(
        path: "annomi/annomi-simple-subset.csv", format: .csv, count: 18, labels: ["therapist", "client"], exact: [],
        options: TranscriptOptions(conversation: "107")),
    RealSample(
        path: "annomi/annomi-simple-subset.csv", format: .csv, count: 20, labels: ["therapist", "client"], exact: [],
        options: TranscriptOptions(conversation: "40")),
    // ACI-Bench: one visit per CSV row, the dialogue in a cell with `[role]` tags.
    RealSample(
        path: "aci-bench/clef_taskC_test3.subset.csv", format: .csv, count: 99,
        labels: ["doctor", "patient", "patient_guest"],
        exact: [
            (1, "patient", "i'm doing okay . how are you ."), (9, "patient", "we automatically thought appendix ."),
        ]),
    RealSample(
        path: "aci-bench/clinicalnlp_taskC_test2.subset.csv", format: .csv, count: 48,
        labels: ["doctor", "patient", "patient_guest"],
        exact: []),
    RealSample(
        path: "aci-bench/clinicalnlp_taskB_test1.subset.csv", format: .csv, count: 100,
        labels: ["doctor", "patient_guest"],
        exact: [(1, "doctor", "hello , how are you doing today ?"), (2, "patient_guest", "we're okay , thank you .")],
        options: TranscriptOptions(conversation: "D2N099")),
    RealSample(
        path: "aci-bench/clinicalnlp_taskB_test1.subset.csv", format: .csv, count: 34,
        labels: ["doctor", "patient", "patient_guest"],
        exact: [], options: TranscriptOptions(conversation: "D2N100")),
    RealSample(
        path: "aci-bench/valid.subset.csv", format: .csv, count: 81, labels: ["doctor", "patient_guest"],
        exact: [(0, "doctor", "hello ."), (1, "patient_guest", "hi .")],
        options: TranscriptOptions(conversation: "D2N076")),
    RealSample(
        path: "aci-bench/valid.subset.csv", format: .csv, count: 49, labels: ["doctor", "patient"],
        exact: [(1, "patient", "hi , dr. moore ."), (3, "patient", "i'm doing okay except for my knee .")],
        options: TranscriptOptions(conversation: "D2N069")),
]

@Suite("Real transcript samples")
struct RealSampleTests {
    @Test(arguments: realSamples)
    func sample_parses_withCountLabelsAndUtterances(_ sample: RealSample) throws {
        let transcript = try Fixtures.transcript(sample.path, options: sample.options)
        #expect(transcript.format == sample.format.rawValue)
        #expect(transcript.utterances.count == sample.count)
        #expect(Set(transcript.labels) == sample.labels)
        #expect(transcript.utterances.map(\.index) == Array(0..<transcript.utterances.count))
        for (index, label, text) in sample.exact {
            try #require(index < transcript.utterances.count)
            #expect(transcript.utterances[index].label == label, "label of utterance \(index)")
            #expect(transcript.utterances[index].text == text, "text of utterance \(index)")
        }
    }

    @Test func teamsTimestamps_unpadded_areRead() throws {
        let transcript = try Fixtures.transcript("webvtt-py/teams_timeframe.vtt")
        #expect(transcript.utterances[0].start == 0 && transcript.utterances[0].end == 0.57)
        #expect(transcript.utterances[1].start == 0.21 && transcript.utterances[1].end == 1.13)
    }

    @Test func srtTwoDigitFractions_areDecimal() throws {
        let transcript = try Fixtures.transcript("go-astisub/example-in.srt")
        #expect(transcript.utterances[0].start == 99)
        #expect(abs((transcript.utterances[0].end ?? 0) - 101.04) < 1e-9)
        #expect(abs((transcript.utterances[1].start ?? 0) - 124.08) < 1e-9)
    }

    @Test func utf16AndByteOrderMarks_decode() throws {
        let utf16 = try TextDecoding.decode(
            try Fixtures.bytes(Fixtures.dataPath("go-astisub/example-in-non-utf8.srt")), file: "x")
        #expect(utf16.encoding == "utf-16le")
        let bom = try TextDecoding.decode(
            try Fixtures.bytes(Fixtures.dataPath("webvtt-py/captions_with_bom.vtt")), file: "x")
        #expect(bom.encoding == "utf-8 with BOM")
        #expect(bom.text.hasPrefix("WEBVTT"))
        let mixed = try TextDecoding.decode(
            try Fixtures.bytes(Fixtures.dataPath("go-astisub/example-in-carriage-return.srt")), file: "x")
        #expect(!mixed.text.contains("\r"))
    }

    @Test func awsAndAssemblyTimes_areSeconds() throws {
        let aws = try Fixtures.transcript("amazon-transcribe-developer-guide/diarization-output-batch.example.json")
        #expect(aws.utterances[0].start == 4.87 && aws.utterances[0].end == 6.88)
        let assembly = try Fixtures.transcript("assemblyai-api-spec/transcript-wildfires-speaker-labels.json")
        #expect(assembly.utterances[1].start == 28.06 && assembly.utterances[1].end == 28.62)
        let call = try Fixtures.transcript("amazon-transcribe-output-word-document/example-call.json")
        #expect(call.utterances[0].start == 0.04 && call.utterances[0].end == 5.05)
    }

    @Test func rttm_groupedBySpeaker_isSortedByTime() throws {
        for file in ["voxconverse/aisvi.rttm", "voxconverse/czlvt.rttm", "voxconverse/abjxc.rttm"] {
            let transcript = try Fixtures.transcript(file)
            let starts = transcript.utterances.compactMap(\.start)
            #expect(starts == starts.sorted(), "\(file) in time order")
            #expect(transcript.utterances.allSatisfy { $0.text.isEmpty })
        }
        #expect(Set(try Fixtures.transcript("voxconverse/aisvi.rttm").labels).count == 8)
        #expect(Set(try Fixtures.transcript("voxconverse/czlvt.rttm").labels).count == 11)
        #expect(try Fixtures.transcript("voxconverse/aisvi.rttm").utterances.count == 42)
        #expect(try Fixtures.transcript("voxconverse/czlvt.rttm").utterances.count == 68)
        let single = try Fixtures.transcript("voxconverse/abjxc.rttm")
        #expect(single.utterances.map(\.start) == [0.4, 8.68])
        #expect(single.labels == ["spk00"])
    }

    @Test func amiRTTM_turnCountsPerSpeaker_matchProvenance() throws {
        func counts(_ file: String) throws -> [String: Int] {
            try Fixtures.transcript(file).utterances.reduce(into: [:]) { $0[$1.label!, default: 0] += 1 }
        }
        #expect(
            try counts("ami-diarization-setup/ES2004a.only_words.rttm") == [
                "FEE013": 82, "FEE016": 81, "MEE014": 51, "MEO015": 46,
            ])
        #expect(
            try counts("ami-diarization-setup/EN2002a.only_words.rttm") == [
                "MEE073": 204, "FEO072": 199, "FEO070": 193, "MEE071": 150,
            ])
    }

    @Test func primockChannels_mergeIntoOneConversation() throws {
        let doctor = try Fixtures.transcript("primock57/day3_consultation03_doctor.TextGrid")
        let patient = try Fixtures.transcript("primock57/day3_consultation03_patient.TextGrid")
        let merged = TranscriptMerger.merge([doctor, patient])
        #expect(merged.utterances.count == 64 + 93)
        #expect(merged.utterances.map(\.index) == Array(0..<157))
        let starts = merged.utterances.compactMap(\.start)
        #expect(starts == starts.sorted())
        #expect(Set(merged.labels) == ["doctor", "patient"])
        // The doctor's "Hello?" at 2 s comes before the patient's first words at 6 s.
        #expect(merged.utterances[0].label == "doctor" && merged.utterances[0].text == "Hello?")
    }

    @Test func zoomTranscript_labelsAreRosterDisplayNames() throws {
        // Names come from the roster file, so this test spreads no real name into the code base.
        let roster = try ZoomRoster.load()
        let transcript = try Fixtures.transcript("zoomstudentengagement/GMT20240124-202901_Recording.transcript.vtt")
        #expect(transcript.utterances.count == 102)
        let leader = roster.name(lastName: "Healy")
        let titled = "Dr. " + roster.name(lastName: "Ko")
        #expect(
            Set(transcript.labels) == [
                leader, titled, roster.name(lastName: "Ghosh"), roster.name(lastName: "Kelkar"),
                roster.name(lastName: "Sloan"),
            ])
        var counts: [String: Int] = [:]
        for utterance in transcript.utterances { counts[utterance.label ?? "", default: 0] += 1 }
        #expect(counts[leader] == 80 && counts[titled] == 5 && counts[""] == 1)
        #expect(transcript.utterances[1].label == leader && transcript.utterances[1].text == "Get this party started.")
        // Cue 48 is a bare "Hmm." with no speaker in the source.
        #expect(transcript.utterances[47].label == nil && transcript.utterances[47].text == "Hmm.")
        let chat = try Fixtures.transcript("zoomstudentengagement/GMT20240124-202901_RecordingnewChat.txt")
        #expect(chat.utterances.count == 12)
        #expect(chat.utterances[11].label == roster.name(lastName: "Sloan"))
        #expect(chat.utterances[11].text == "interesting \u{2014} voice isn\u{2019}t being picked up")
        #expect(chat.utterances[0].start == 316)
    }

    @Test func csvOfSeveralConversations_withoutChoice_namesTheColumn() {
        #expect {
            try Fixtures.transcript("annomi/annomi-simple-subset.csv")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("transcript_id") && text.contains("6 conversations") && text.contains("--conversation")
        }
    }
}

/// The Zoom class roster (`roster.csv`), used instead of writing real names into tests.
struct ZoomRoster {
    var rows: [[String: String]]

    static func load() throws -> ZoomRoster {
        let text = String(
            decoding: try Fixtures.bytes(Fixtures.dataPath("zoomstudentengagement/roster.csv")), as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = ZoomRoster.fields(lines[0])
        return ZoomRoster(
            rows: lines.dropFirst().map { line in
                Dictionary(uniqueKeysWithValues: zip(header, ZoomRoster.fields(line)))
            })
    }

    func name(lastName: String) -> String {
        self.rows.first { $0["last_name"] == lastName }?["first_last"] ?? ""
    }

    /// Splits one CSV line (the roster quotes `"Last, First"`).
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
            } else if character == "," && !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

@Suite("Real sample coverage")
struct RealSampleCoverageTests {
    /// Files under `Tests/Fixtures/data` that are not transcripts, and what they are instead.
    static let notTranscripts: [String: String] = [
        "ami-diarization-setup/ES2004a.uem": "scored-region file for the RTTM, not speech",
        "ami-diarization-setup/EN2002a.uem": "scored-region file for the RTTM, not speech",
        "zoomstudentengagement/roster.csv": "the class roster (used as the roster in attribution tests)",
        "zoomstudentengagement/zoomus_recordings__20240124.csv": "Zoom's list of recordings",
        "aci-bench/valid_metadata.subset.csv": "visit metadata (used as the roster in attribution tests)",
        "aci-bench/clef_taskC_test3_metadata.subset.csv": "visit metadata (used as the roster in attribution tests)",
        "aci-bench/clinicalnlp_taskB_test1_metadata.subset.csv":
            "visit metadata (used as the roster in attribution tests)",
        "aci-bench/clinicalnlp_taskC_test2_metadata.subset.csv":
            "visit metadata (used as the roster in attribution tests)",
        "primock57/day1_consultation01_note.json": "the clinician's note, a drafting reference",
        "primock57/day3_consultation03_note.json": "the clinician's note, a drafting reference",
        "primock57/day5_consultation03_note.json": "the clinician's note, a drafting reference",
    ]

    /// Transcripts checked by the focused tests in this file and in BadInputTests.
    static let testedElsewhere: Set<String> = [
        "zoomstudentengagement/GMT20240124-202901_Recording.transcript.vtt",
        "zoomstudentengagement/GMT20240124-202901_RecordingnewChat.txt",
        "voxconverse/aisvi.rttm", "voxconverse/czlvt.rttm", "voxconverse/abjxc.rttm",
        "ami-diarization-setup/ES2004a.only_words.rttm", "ami-diarization-setup/EN2002a.only_words.rttm",
        "webvtt-py/missing_timeframe.vtt", "go-astisub/broken-1-in.vtt",
    ]

    @Test func everyRealSample_isTestedOrDeclaredNotATranscript() throws {
        let root = Fixtures.dataDirectory
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        let files = enumerator.compactMap { $0 as? String }.filter { path in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return exists && !isDirectory.boolValue
                && !["PROVENANCE.md", "README.md", "LICENSES.md", "LICENSE-Apache-2.0.txt"].contains(name)
        }
        #expect(files.count >= 60)
        let tested = Set(realSamples.map(\.path)).union(Self.testedElsewhere)
        for file in files {
            #expect(tested.contains(file) || Self.notTranscripts[file] != nil, "\(file) is neither tested nor declared")
        }
        for file in Self.notTranscripts.keys { #expect(files.contains(file), "\(file) is listed but missing") }
    }
}
