public import EnsembleCore
public import EnsembleFormats
import Foundation

/// A scenario folder, read: the session, its transcript and, when present, what a correct run produces.
public struct Scenario: Sendable {
    public var directory: String
    public var session: Session
    /// session.json exactly as the folder holds it (read once; the store keeps it with a run).
    public var sessionJSON: String
    public var transcript: Transcript
    /// The transcript file(s) as named inside the folder.
    public var transcriptFiles: [String]
    /// The RTTM file whose speaker turns label the transcript, when session.json names one.
    public var diarizationFile: String?
    /// The folder's answer key (expected.json), when it was asked for: checks and tests only.
    public var expected: ExpectedOutcome?

    public init(
        directory: String, session: Session, sessionJSON: String, transcript: Transcript, transcriptFiles: [String],
        expected: ExpectedOutcome?, diarizationFile: String? = nil
    ) {
        self.diarizationFile = diarizationFile
        self.directory = directory
        self.session = session
        self.sessionJSON = sessionJSON
        self.transcript = transcript
        self.transcriptFiles = transcriptFiles
        self.expected = expected
    }
}

/// Loads scenario folders as SCENARIO-FORMAT.md describes them.
public struct ScenarioLoader: Sendable {
    public var reader: FileReader

    public init(reader: FileReader = FileReader()) {
        self.reader = reader
    }

    /// With `answerKey`, the folder's expected.json is read too (for `ensemble check` and the tests; drafting
    /// never reads it).
    public func load(_ directory: String, answerKey: Bool = false) throws(FormatError) -> Scenario {
        let folder = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FormatError(.notFound, file: folder, "no such scenario folder")
        }
        let sessionFile = folder + "/session.json"
        let sessionBytes = try self.reader.read(sessionFile, limit: self.reader.documentLimit)
        let document = try SessionDecoder.decode(sessionBytes, file: sessionFile)
        let files = try self.transcriptFiles(in: folder, named: document.transcriptFiles)
        var transcript: Transcript
        if files.count == 1 {
            let path = folder + "/" + files[0]
            transcript = try TranscriptReading.read(
                try self.reader.read(path, limit: self.reader.transcriptLimit), file: path,
                options: TranscriptOptions(conversation: document.conversation)
            )
        } else {
            // Several single-speaker channel files (one per microphone), merged by time.
            var channels: [Transcript] = []
            for name in files {
                let path = folder + "/" + name
                channels.append(
                    try TranscriptReading.read(
                        try self.reader.read(path, limit: self.reader.transcriptLimit), file: path,
                        options: TranscriptOptions(channelLabel: TranscriptReading.channelLabel(name))
                    )
                )
            }
            transcript = TranscriptMerger.merge(channels)
        }
        if let diarization = document.diarizationFile {
            let path = folder + "/" + diarization
            let decoded = try TextDecoding.decode(
                try self.reader.read(path, limit: self.reader.transcriptLimit), file: path)
            transcript = try Diarization.apply(rttm: decoded, file: path, to: transcript)
        }
        var expected: ExpectedOutcome? = nil
        let expectedFile = folder + "/expected.json"
        if answerKey, FileManager.default.fileExists(atPath: expectedFile) {
            expected = try ExpectedDecoder.decode(
                try self.reader.read(expectedFile, limit: self.reader.documentLimit), file: expectedFile)
        }
        return Scenario(
            directory: folder, session: document.session, sessionJSON: String(decoding: sessionBytes, as: UTF8.self),
            transcript: transcript, transcriptFiles: files, expected: expected,
            diarizationFile: document.diarizationFile)
    }

    /// The transcript named in session.json, else the one `transcript.*` or `summary.md` in the folder.
    private func transcriptFiles(in folder: String, named: [String]) throws(FormatError) -> [String] {
        if !named.isEmpty { return named }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw FormatError(.notFound, file: folder, "the folder cannot be listed")
        }
        let transcripts = entries.filter { $0.hasPrefix("transcript.") }
        let summaries = entries.filter { $0 == "summary.md" }
        switch (transcripts.count, summaries.count) {
        case (1, 0): return transcripts
        case (0, 1): return summaries
        case (0, 0):
            throw FormatError(
                .notFound, file: folder,
                "no transcript.* or summary.md in the scenario folder (or name one with \"transcript\" in session.json)"
            )
        case (_, 1):
            throw FormatError(.ambiguous, file: folder, "holds both a transcript and summary.md; keep exactly one")
        default:
            throw FormatError(
                .ambiguous, file: folder,
                "holds \(transcripts.count) transcript files (\(transcripts.joined(separator: ", "))); keep one, or name it with \"transcript\" in session.json"
            )
        }
    }
}
