public import EnsembleCore
public import EnsembleFormats
public import EnsembleIO
import Foundation

/// Paths to the repository's own files, for tests and benchmarks run from any directory.
public enum Fixtures {
    /// The repository root, found from this source file's location.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Sources/EnsembleTesting/Fixtures.swift
        return url.path
    }()

    /// The vendored third-party samples (`Tests/Fixtures/data`).
    public static var dataDirectory: String { self.repositoryRoot + "/Tests/Fixtures/data" }

    public static var scenariosDirectory: String { self.repositoryRoot + "/Scenarios" }

    public static var agentsDirectory: String { self.repositoryRoot + "/Agents" }

    /// A file under `Tests/Fixtures/data`, e.g. `"webvtt-py/teams_timeframe.vtt"`.
    public static func dataPath(_ relative: String) -> String { self.dataDirectory + "/" + relative }

    public static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Reads a vendored sample as a transcript, as the CLI would.
    public static func transcript(_ relative: String, options: TranscriptOptions = TranscriptOptions()) throws
        -> Transcript
    {
        let path = self.dataPath(relative)
        return try TranscriptReading.read(try self.bytes(path), file: relative, options: options)
    }

    /// The repository's agent configuration, loaded once.
    public static func agents() throws -> AgentConfigurations {
        try AgentsDirectory.load(explicit: self.agentsDirectory)
    }

    /// The bundled scenario folders, by name.
    public static func scenarioNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: self.scenariosDirectory)
            .filter { FileManager.default.fileExists(atPath: self.scenariosDirectory + "/" + $0 + "/session.json") }
            .sorted()
    }

    public static func scenario(_ name: String) throws -> Scenario {
        try ScenarioLoader().load(self.scenariosDirectory + "/" + name, answerKey: true)
    }

    /// Segments and attributes a transcript against a roster with the repository's configuration.
    public static func attribute(
        _ transcript: Transcript, roster: Roster, hints: [SpeakerHint] = [], agents: AgentConfigurations
    ) -> (SegmentedTranscript, Attribution) {
        let segmented = Segmentation(configuration: agents.segmenter).segment(transcript)
        let attribution = AttributionEngine(configuration: agents.attributor).attribute(
            segmented, roster: roster, hints: hints)
        return (segmented, attribution)
    }

    /// An individual session around a two-speaker transcript (a counselling dataset's `therapist` and
    /// `client`), bound by speaker hints, so its conversation can be screened and drafted.
    public static func dyad(_ transcript: Transcript, clinicianLabel: String, clientLabel: String) -> Session {
        let start = Timestamp(secondsSinceEpoch: 1_778_600_000, utcOffsetSeconds: 0)
        return Session(
            id: SessionID("DYAD"), kind: .individual, start: start,
            end: Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + 3000, utcOffsetSeconds: 0), noteFormat: .soap,
            clinicians: [Clinician(id: PersonID("PROV-1"), name: "Therapist", role: .primary)],
            attendees: [
                Attendee(
                    id: PersonID("CL-1"), name: "Client", role: .identifiedPatient, present: true,
                    consent: Consent(aiDrafting: true, part2: false))
            ],
            speakerHints: [
                SpeakerHint(label: clinicianLabel, people: [PersonID("PROV-1")]),
                SpeakerHint(label: clientLabel, people: [PersonID("CL-1")]),
            ]
        )
    }
}
