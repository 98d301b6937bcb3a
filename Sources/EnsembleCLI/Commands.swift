import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService

/// Options every command that reads input shares.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: "The agents' configuration folder (default: $ENSEMBLE_AGENTS, then ./Agents).")
    var agents: String?

    @Option(name: .customLong("max-transcript-mb"), help: "Refuse transcripts larger than this many megabytes.")
    var maxTranscriptMegabytes: Int = FileReader.defaultTranscriptLimit / 1_048_576

    var reader: FileReader {
        FileReader(transcriptLimit: max(1, self.maxTranscriptMegabytes) * 1_048_576)
    }

    func validate() throws {
        guard self.maxTranscriptMegabytes > 0 else { throw ValidationError("--max-transcript-mb must be at least 1") }
    }

    /// Loads a scenario folder (with its answer key when asked) and the agents' configuration.
    func load(_ directory: String, answerKey: Bool = false) throws -> (Scenario, AgentConfigurations) {
        (
            try ScenarioLoader(reader: self.reader).load(directory, answerKey: answerKey),
            try AgentsDirectory.load(explicit: self.agents, reader: self.reader)
        )
    }

    /// Loads the scenario and the agents, and runs segmentation and attribution through the drafting service.
    func attribute(_ directory: String, answerKey: Bool = false) async throws -> (
        Scenario, AgentConfigurations, AttributedSession
    ) {
        let (scenario, agents) = try self.load(directory, answerKey: answerKey)
        let attributed = try await DraftingService(agents: agents).attribute(
            scenario.session, transcript: scenario.transcript)
        return (scenario, agents, attributed)
    }
}

struct AttributeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute",
        abstract: "Show who said what: each speaker label bound to a roster person, with confidence and talk time."
    )

    @Argument(help: "A scenario folder.")
    var directory: String

    @Flag(help: "Print JSON (the run report's speakers, utterances and findings, plus talk time and segments).")
    var json = false

    @Flag(help: "Show the signals behind each label's binding.")
    var explain = false

    @Flag(name: .customLong("no-text"), help: "Leave utterance text out of the JSON.")
    var noText = false

    @OptionGroup var input: InputOptions

    func run() async throws {
        let (scenario, agents, attributed) = try await self.input.attribute(self.directory)
        if self.json {
            let report = AttributionReport.json(
                attributed,
                context: AttributionReport.Context(
                    transcriptFiles: scenario.transcriptFiles, segmenterVersion: agents.segmenter.version,
                    includeText: !self.noText
                )
            )
            Console.out(JSONWriter.write(report))
        } else {
            Console.out(AttributionTable.render(attributed, files: scenario.transcriptFiles, explain: self.explain))
        }
    }
}

struct ParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Read one transcript file in any supported format and show its utterances and labels."
    )

    @Argument(help: "A transcript file.")
    var file: String

    @Option(
        help:
            "Read as this format instead of detecting it (\(TranscriptFormat.allCases.map(\.rawValue).joined(separator: ", ")))."
    )
    var format: String?

    @Option(help: "For files holding several conversations: the one to read.")
    var conversation: String?

    @Flag(help: "List the conversations a file holds (CSV datasets such as AnnoMI or ACI-Bench).")
    var conversations = false

    @Option(help: "An RTTM file whose speaker turns label the transcript's timed utterances.")
    var rttm: String?

    @Flag(help: "Print the utterances as JSON.")
    var json = false

    @Option(help: "How many utterances to list (0 for all).")
    var limit: Int = 20

    @OptionGroup var input: InputOptions

    func run() async throws {
        var forced: TranscriptFormat? = nil
        if let format = self.format {
            guard let known = TranscriptFormat(rawValue: format) else {
                throw ValidationError(
                    "unknown --format; expected one of \(TranscriptFormat.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            forced = known
        }
        let reader = self.input.reader
        let decoded = try TextDecoding.decode(
            try reader.read(self.file, limit: reader.transcriptLimit), file: self.file)
        if self.conversations {
            guard let (column, ids) = try TranscriptReading.conversations(decoded, file: self.file) else {
                throw CommandFailure(message: "\(self.file) holds a single conversation", exitCode: 2)
            }
            Console.out((["\(column)  utterances"] + ids.map { "\($0.0)  \($0.1)" }).joined(separator: "\n"))
            return
        }
        var transcript = try TranscriptReading.read(
            decoded, file: self.file, options: TranscriptOptions(format: forced, conversation: self.conversation)
        )
        if let rttm = self.rttm {
            let turns = try TextDecoding.decode(try reader.read(rttm, limit: reader.transcriptLimit), file: rttm)
            transcript = try Diarization.apply(rttm: turns, file: rttm, to: transcript)
        }
        if self.json {
            let utterances: [JSONNode] = transcript.utterances.map { utterance in
                .object([
                    ("index", .number(utterance.index)),
                    ("label", utterance.label.map { .string($0) } ?? .null),
                    ("start", utterance.start.map { .rounded($0, places: 3) }),
                    ("end", utterance.end.map { .rounded($0, places: 3) }),
                    ("line", .number(utterance.line)),
                    ("text", .string(utterance.text)),
                ])
            }
            Console.out(
                JSONWriter.write(
                    .object([
                        ("file", .string(self.file)),
                        ("format", .string(transcript.format)),
                        ("encoding", .string(decoded.encoding)),
                        ("labels", .array(transcript.labels.map { .string($0) })),
                        ("foldedLabelLines", .array(transcript.foldedLabelLines.map { .number($0) })),
                        ("utterances", .array(utterances)),
                    ])
                )
            )
            return
        }
        var counts: [String: Int] = [:]
        for utterance in transcript.utterances { counts[utterance.label ?? "(no label)", default: 0] += 1 }
        var lines = [
            "\(self.file): \(transcript.format), \(decoded.encoding), \(transcript.utterances.count) utterances"
                + (transcript.hasTimes ? ", timed" : ", untimed"),
            "",
            "Labels:",
        ]
        let labelOrder = transcript.labels + (counts["(no label)"] != nil ? ["(no label)"] : [])
        for label in labelOrder { lines.append("  \(Text.pad(label, 32)) \(counts[label] ?? 0)") }
        lines.append("")
        let shown = self.limit <= 0 ? transcript.utterances[...] : transcript.utterances.prefix(self.limit)
        for utterance in shown {
            let time = utterance.start.map { Text.clock($0) + " " } ?? ""
            lines.append(
                "  [\(utterance.index)] \(time)\(utterance.label ?? "-"): \(Text.truncate(utterance.text, 100))")
        }
        if shown.count < transcript.utterances.count {
            lines.append("  … \(transcript.utterances.count - shown.count) more (use --limit 0 for all)")
        }
        for line in transcript.foldedLabelLines {
            lines.append(
                "warning: line \(line) opens like a speaker's turn but was read as part of the utterance above "
                    + "(its label appears only once); check it")
        }
        Console.out(lines.joined(separator: "\n"))
    }
}

struct SegmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Show the session's topical segments (check-in, teaching, processing, wrap-up …) and sentences."
    )

    @Argument(help: "A scenario folder.")
    var directory: String

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var input: InputOptions

    func run() async throws {
        let (scenario, agents) = try self.input.load(self.directory)
        let segmented = Segmentation(configuration: agents.segmenter).segment(scenario.transcript)
        if self.json {
            Console.out(
                JSONWriter.write(
                    .object([
                        ("sessionId", .string(scenario.session.id.rawValue)),
                        ("utterances", .number(segmented.utterances.count)),
                        ("sentences", .number(segmented.sentenceCount)),
                        ("turns", .number(segmented.turns.count)),
                        ("segments", .array(segmented.segments.map(AttributionReport.segment))),
                    ])
                )
            )
            return
        }
        var lines = [
            "Session \(scenario.session.id): \(segmented.utterances.count) utterances, \(segmented.sentenceCount) sentences, "
                + "\(segmented.turns.count) turns",
            "",
            "\(Text.pad("Segment", 16)) \(Text.pad("Utterances", 12)) \(Text.pad("Time", 15)) Confidence",
        ]
        for segment in segmented.segments {
            let first = segmented.utterances[segment.utterances.lowerBound]
            let last = segmented.utterances[segment.utterances.upperBound]
            let time = first.start.map { Text.clock($0) + "–" + Text.clock(last.end ?? last.start ?? $0) } ?? ""
            lines.append(
                "\(Text.pad(segment.kind, 16)) \(Text.pad("\(segment.utterances.lowerBound)–\(segment.utterances.upperBound)", 12)) "
                    + "\(Text.pad(time, 15)) \(Text.decimal(segment.confidence))"
            )
        }
        Console.out(lines.joined(separator: "\n"))
    }
}

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check that a scenario folder reads cleanly; print what it holds, or the first problem."
    )

    @Argument(help: "One or more scenario folders.")
    var directories: [String]

    @OptionGroup var input: InputOptions

    func run() async throws {
        var failures = 0
        for directory in self.directories {
            do {
                let scenario = try ScenarioLoader(reader: self.input.reader).load(directory, answerKey: true)
                let present = scenario.session.attendees.filter(\.present).count
                Console.out(
                    "ok \(directory): \(scenario.session.kind.rawValue), \(scenario.session.clinicians.count) clinician(s), "
                        + "\(present) of \(scenario.session.attendees.count) attendees present, "
                        + "\(scenario.transcript.utterances.count) utterances (\(scenario.transcript.format))"
                        + (scenario.expected == nil ? "" : ", expected.json")
                )
            } catch {
                failures += 1
                Console.error("error: \(error)")
            }
        }
        if failures > 0 {
            throw CommandFailure(
                message: "\(failures) of \(self.directories.count) scenario(s) did not read", exitCode: 2)
        }
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare the attribution with the scenario's expected.json and report accuracy."
    )

    @Argument(help: "One or more scenario folders with expected.json.")
    var directories: [String]

    @Option(name: .customLong("min-accuracy"), help: "Exit with status 1 when utterance accuracy is below this (0–1).")
    var minimumAccuracy: Double?

    @OptionGroup var input: InputOptions

    func run() async throws {
        var belowMinimum: [String] = []
        for directory in self.directories {
            let (scenario, _, attributed) = try await self.input.attribute(directory, answerKey: true)
            guard let expected = scenario.expected else {
                throw CommandFailure(message: "\(directory) has no expected.json to check against", exitCode: 2)
            }
            let score = AttributionScore(attributed: attributed, expected: expected)
            Console.out(score.render(directory: directory))
            if let minimum = self.minimumAccuracy, score.accuracy < minimum { belowMinimum.append(directory) }
        }
        if !belowMinimum.isEmpty {
            throw CommandFailure(
                message:
                    "utterance accuracy below \(Text.decimal(self.minimumAccuracy ?? 0)) in \(belowMinimum.joined(separator: ", "))",
                exitCode: 1
            )
        }
    }
}
