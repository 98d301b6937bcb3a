import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// Bad input is one clear error naming the file and line, never a crash, and never quotes the input.
@Suite("Bad input")
struct BadInputTests {
    private func error(reading text: String, file: String = "session/transcript.txt") -> FormatError? {
        self.error(reading: Array(text.utf8), file: file)
    }

    private func error(reading bytes: [UInt8], file: String = "session/transcript.txt") -> FormatError? {
        do {
            _ = try TranscriptReading.read(bytes, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyFile_isAnError() throws {
        let error = try #require(self.error(reading: []))
        #expect(error.code == .emptyFile)
        #expect(error.description == "session/transcript.txt: the file is empty (0 bytes)")
        let blank = try #require(self.error(reading: "  \n\n \t\n"))
        #expect(blank.description == "session/transcript.txt: the file holds only white space")
    }

    @Test func binaryGarbage_namesTheLine() throws {
        var random = SplitMix64(seed: 42)
        var bytes = Array("WEBVTT\n\n".utf8)
        bytes += (0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let error = try #require(self.error(reading: bytes, file: "upload.vtt"))
        #expect([.binaryData, .invalidEncoding].contains(error.code))
        #expect(error.file == "upload.vtt")
        #expect(error.line != nil)

        let withNul = Array("Maria: hello\nMarcus: hi\u{0}there\n".utf8)
        let nul = try #require(self.error(reading: withNul))
        #expect(nul.description == "session/transcript.txt:2: binary data (a NUL byte); expected a text transcript")
    }

    @Test func invalidUTF8_namesLineAndByte() throws {
        var bytes = Array("Maria: first line\nMarcus: second ".utf8)
        bytes += [0xC3, 0x28]  // a lead byte without its continuation
        bytes += Array(" line\n".utf8)
        let error = try #require(self.error(reading: bytes))
        #expect(error.code == .invalidEncoding)
        #expect(error.line == 2)
        #expect(error.description.contains("invalid UTF-8 at byte 33"))
        #expect(!error.description.contains("Marcus"))
    }

    @Test func cueEndingBeforeItStarts_namesTheLine() throws {
        let vtt =
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nMaria: fine\n\n2\n00:00:05.000 --> 00:00:03.500\nMarcus: backwards\n"
        let error = try #require(self.error(reading: vtt, file: "t.vtt"))
        #expect(error.description == "t.vtt:8: the cue ends (00:00:03.500) before it starts (00:00:05.000)")
        let srt = "1\n00:00:05,000 --> 00:00:04,000\nMaria: backwards\n"
        #expect(
            self.error(reading: srt, file: "t.srt")?.description
                == "t.srt:2: the cue ends (00:00:04.000) before it starts (00:00:05.000)")
        let json = """
            {"segments": [
              {"start": 0.0, "end": 1.0, "text": "fine", "speaker": "SPEAKER_00"},
              {"start": 9.0, "end": 2.5, "text": "backwards", "speaker": "SPEAKER_01"}
            ]}
            """
        let jsonError = try #require(self.error(reading: json, file: "t.json"))
        #expect(jsonError.description == "t.json:3: segments[1]: ends (00:00:02.500) before it starts (00:00:09.000)")
    }

    @Test func realMalformedCaptions_areRejectedWithTheirLine() throws {
        let missing = try #require(
            self.error(
                reading: try Fixtures.bytes(Fixtures.dataPath("webvtt-py/missing_timeframe.vtt")),
                file: "missing_timeframe.vtt"))
        #expect(
            missing.description
                == "missing_timeframe.vtt:6: a cue has no timing line ('start --> end'); every caption needs one")
        let broken = try #require(
            self.error(
                reading: try Fixtures.bytes(Fixtures.dataPath("go-astisub/broken-1-in.vtt")), file: "broken-1-in.vtt"))
        #expect(broken.description == "broken-1-in.vtt:1: a WebVTT file must start with the line 'WEBVTT'")
    }

    @Test func oversizedFile_isRefusedBeforeReading() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ensemble-200mb-\(UInt32.random(in: 0...UInt32.max)).txt"
        ).path
        // A sparse 200 MB file: its size is real, its pages are never touched.
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 200 * 1024 * 1024)
        try handle.close()

        let before = Self.peakResidentKilobytes()
        #expect {
            try FileReader().read(path, display: "big-session.txt", limit: FileReader.defaultTranscriptLimit)
        } throws: { error in
            String(describing: error)
                == "big-session.txt: the file is too large (200 MB); the limit is 32 MB. Split the recording, or raise the limit with --max-transcript-mb"
        }
        // Bounded memory: refusing the file did not read it.
        #expect(Self.peakResidentKilobytes() - before < 16 * 1024)
    }

    @Test func truncatedAndHostileJSON_areSyntaxErrorsWithLines() throws {
        let truncated = "{\n  \"segments\": [\n    {\"start\": 0, \"end\": 1, \"text\": \"hi\"\n"
        #expect(
            self.error(reading: truncated, file: "t.json")?.description
                == "t.json:4: invalid JSON: the text ends inside an object")
        let nested = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(
            self.error(reading: nested, file: "deep.json")?.description
                == "deep.json:1: invalid JSON: nesting is deeper than 256 levels")
        let unknown = "{\"hello\": \"world\"}"
        #expect(self.error(reading: unknown, file: "x.json")?.code == .unsupportedFormat)
    }

    @Test func rttmAndCSVProblems_nameTheLine() throws {
        let rttm = "SPEAKER s 1 0.00 1.00 <NA> <NA> spk00 <NA> <NA>\nSPEAKER s 1 2.00 -3.00 <NA> <NA> spk01 <NA> <NA>\n"
        #expect(
            self.error(reading: rttm, file: "t.rttm")?.description
                == "t.rttm:2: the turn has a negative duration (it ends before it starts)")
        let short = "SPEAKER s 1 zero 1.00 <NA> <NA> spk00\n"
        #expect(
            self.error(reading: short, file: "t.rttm")?.description
                == "t.rttm:1: field 4 (onset) is not a time in seconds")
        let csv = "speaker,text\nMaria,\"an unfinished\nquote\n"
        #expect(self.error(reading: csv, file: "t.csv")?.description == "t.csv:2: a quoted CSV field is never closed")
    }

    /// VmHWM from /proc: the process's peak resident set, in kilobytes.
    static func peakResidentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
