import EnsembleCore
import EnsembleFormats
import EnsembleTesting
import Testing

@Suite("Format detection and small readers")
struct DetectionTests {
    @Test func formatComesFromContent_notTheExtension() throws {
        let vtt = try Fixtures.bytes(Fixtures.dataPath("webvtt-py/teams_timeframe.vtt"))
        let asText = try TranscriptReading.read(vtt, file: "export.txt")
        #expect(asText.format == "webvtt" && asText.labels == ["Yuri Bakulin", "Adrian Petrescu"])
        let json = try Fixtures.bytes(Fixtures.dataPath("deepgram-python-captions/dg_speakers.json"))
        #expect(try TranscriptReading.read(json, file: "download").format == "deepgram")
        let srt = try Fixtures.bytes(Fixtures.dataPath("webvtt-py/sample.srt"))
        #expect(try TranscriptReading.read(srt, file: "captions.vtt.bak").format == "srt")
        let plain = Array("[00:00:03] Dana Whitfield: Welcome back.\n[00:00:07] SPEAKER_01: Thanks.\n".utf8)
        let transcript = try TranscriptReading.read(plain, file: "notes.json")
        #expect(transcript.format == "text" && transcript.utterances.map(\.start) == [3, 7])
        #expect(transcript.utterances[0].end == 7)
    }

    @Test func shortTextGrid_isRefusedWithAdvice() {
        let short =
            "File type = \"ooTextFile short\"\n\"TextGrid\"\n\n0\n2.5\n<exists>\n1\n\"IntervalTier\"\n\"Speaker\"\n"
        #expect {
            try TranscriptReading.read(Array(short.utf8), file: "a.TextGrid")
        } throws: { error in
            String(describing: error)
                == "a.TextGrid:1: the short TextGrid format is not supported; save it from Praat as a text file (the long format)"
        }
    }

    @Test func utf16WithoutAByteOrderMark_isRecognised() throws {
        let text = "Maria: ¿Cómo estás?\nMarcus: Bien, gracias.\n"
        var littleEndian: [UInt8] = []
        for unit in text.utf16 { littleEndian += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let transcript = try TranscriptReading.read(littleEndian, file: "t.txt")
        #expect(transcript.utterances.map(\.text) == ["¿Cómo estás?", "Bien, gracias."])
        var bigEndian: [UInt8] = []
        for unit in text.utf16 { bigEndian += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        #expect(try TranscriptReading.read(bigEndian, file: "t.txt").labels == ["Maria", "Marcus"])
    }

    @Test func genericJSONUtterances_andContinuationLines() throws {
        let json = """
            [{"speaker": "Therapist", "text": "How was the week?", "start": 1.5, "end": 3},
             {"name": "Client", "content": "Long.", "start": 3.2, "end": 4}]
            """
        let transcript = try TranscriptReading.read(Array(json.utf8), file: "u.json")
        #expect(transcript.format == "json-utterances")
        #expect(transcript.labels == ["Therapist", "Client"] && transcript.utterances[1].text == "Long.")
        let plain =
            "Dana: We'll start with\nthe check-in today.\n\nNote: this line is prose, not a speaker.\nMARCUS:\nI'll go first.\n"
        let lines = try TranscriptReading.read(Array(plain.utf8), file: "p.txt")
        #expect(lines.utterances.map(\.label) == ["Dana", nil, "MARCUS"])
        #expect(lines.utterances[0].text == "We'll start with the check-in today.")
        #expect(lines.utterances[2].text == "I'll go first." && lines.utterances[2].line == 5)
    }
}
