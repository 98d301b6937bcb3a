import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService
import EnsembleStore
import EnsembleSystem
import Foundation

struct FHIRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fhir",
        abstract: "HL7 FHIR R4: a session as one Bundle for the EHR, and a Bundle from the EHR as a scenario folder.",
        subcommands: [Export.self, Import.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract:
                "One FHIR R4 Bundle per session: a scenario folder drafted now, or a stored session with its review.",
            discussion: """
                Per attendee: a Patient (and a RelatedPerson for a family member or partner), their own \
                Encounter under the session's, their note as a DocumentReference (preliminary while a draft, \
                final once signed, amended after an addendum) with a Provenance naming the AI and the signer, \
                RiskAssessments, measures as Observations, Consents, Conditions, Coverage, CarePlan and Goals, \
                and a Claim. The group note and the roster Group belong to the session; the transcript only with \
                --with-transcript. \
                Mapping settings (document types, identifier systems, labels) are in Agents/fhir/mapping.json; \
                docs/fhir.md has the whole map.
                """)

        @Argument(help: "A scenario folder to draft and export (or give --session).")
        var directory: String?

        @Option(name: .customLong("session"), help: "Export this stored session, with its review state, instead.")
        var sessionID: String?

        @Option(help: "Write the Bundle to this file (readable by its owner only) instead of standard output.")
        var output: String?

        @Flag(
            name: .customLong("with-transcript"),
            help: "Put the transcript in the Bundle (for a round trip; it names everyone in the session).")
        var withTranscript = false

        @Option(help: "The Bundle's timestamp, ISO 8601 with offset (default: now).")
        var created: String?

        @OptionGroup var input: InputOptions
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard (self.directory == nil) != (self.sessionID == nil) else {
                throw ValidationError("give a scenario folder or --session ID, not both")
            }
            if let created = self.created, Timestamp(iso8601: created) == nil {
                throw ValidationError(
                    "--created must be an ISO 8601 date-time with offset, such as 2026-05-20T12:00:00-05:00")
            }
        }

        func run() async throws {
            let (mapping, mappingVersion) = try AgentsDirectory.fhirMapping(
                explicit: self.input.agents, reader: self.input.reader)
            let now = self.created.flatMap { Timestamp(iso8601: $0) } ?? FHIRClock.now()
            let record: FHIRSessionRecord
            if let directory = self.directory {
                record = try await Self.draftRecord(
                    directory, input: self.input, withTranscript: self.withTranscript, now: now,
                    mapping: mappingVersion)
            } else {
                record = try await self.store.open().fhirRecord(
                    session: self.sessionID!, as: try self.store.requireUser(), withTranscript: self.withTranscript)
            }
            let export = FHIRBundleWriter(mapping: mapping, digest: Hashing.sha256).write(record, exported: now)
            let text = JSONWriter.write(export.bundle)
            if let output = self.output {
                // The Bundle carries names, notes and the transcript: readable by the owner only.
                try PrivateFile.write(Array((text + "\n").utf8), to: output)
            } else {
                Console.out(text)
            }
            let total = export.resourceCounts.values.reduce(0, +)
            let counts = export.resourceCounts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            Console.error(
                "[ensemble] FHIR R4 Bundle for session \(record.session.id): \(total) resources (\(counts.joined(separator: ", ")))"
            )
            for omitted in export.omitted { Console.error("[ensemble] left out: \(omitted)") }
        }

        /// A scenario folder drafted now: every note preliminary.
        static func draftRecord(
            _ directory: String, input: InputOptions, withTranscript: Bool, now: Timestamp, mapping: AgentVersion
        ) async throws -> FHIRSessionRecord {
            let (scenario, agents) = try input.load(directory)
            let outcome = try await DraftingService(agents: agents).draft(
                scenario.session, sessionJSON: scenario.sessionJSON, transcript: scenario.transcript)
            var files: [FHIRTranscript] = []
            if withTranscript {
                for name in scenario.transcriptFiles + (scenario.diarizationFile.map { [$0] } ?? []) {
                    let bytes = try input.reader.read(
                        scenario.directory + "/" + name, limit: input.reader.transcriptLimit)
                    files.append(
                        FHIRTranscript(
                            fileName: name, contentType: FHIRTranscript.contentType(forFile: name), bytes: bytes))
                }
            }
            return FHIRSessionRecord(
                draft: outcome.run, agents: agents.versions + [mapping], model: outcome.model?.model, drafted: now,
                transcript: files)
        }
    }
}

extension FHIRCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "A FHIR R4 Bundle from the EHR as a scenario folder (session.json and the transcript).",
            discussion: """
                The Bundle holds the session Encounter, its Practitioners, the roster (a Group of Patients, or \
                the identified patient and RelatedPersons), Conditions, Coverage, CarePlans and Goals, survey \
                Observations, Consents, and the transcript as a DocumentReference attachment or a Binary. \
                Anything missing or contradictory is an error naming the resource and element; nothing is \
                defaulted silently. Draft the folder with ensemble draft. docs/fhir.md has the shapes.
                """)

        @Argument(help: "The Bundle (JSON).")
        var bundle: String

        @Option(
            help:
                "The scenario folder to write (default: a folder named after the session id). It must be new or empty.")
        var output: String?

        @OptionGroup var input: InputOptions

        func run() async throws {
            let (mapping, _) = try AgentsDirectory.fhirMapping(explicit: self.input.agents, reader: self.input.reader)
            let bytes = try self.input.reader.read(self.bundle, limit: self.input.reader.transcriptLimit)
            let imported = try FHIRBundleReader(mapping: mapping).read(bytes, file: self.bundle)
            let folder = self.output ?? Self.folderName(imported.session.id.rawValue)
            try Self.prepareFolder(folder)
            let transcriptNames = imported.transcript.map(\.fileName)
            let named =
                transcriptNames.count > 1
                || transcriptNames.first.map { !$0.hasPrefix("transcript.") && $0 != "summary.md" } ?? false
            let sessionJSON = SessionEncoder.json(
                imported.session, transcriptFiles: named ? transcriptNames : [],
                diarizationFile: imported.diarizationFile)
            try PrivateFile.write(Array((JSONWriter.write(sessionJSON) + "\n").utf8), to: folder + "/session.json")
            for file in imported.transcript {
                try PrivateFile.write(file.bytes, to: folder + "/" + file.fileName)
            }
            // The folder must read back as the scenario it claims to be: decode it now, not at drafting time.
            let scenario = try ScenarioLoader(reader: self.input.reader).load(folder)
            Console.out(
                "\(folder): session \(scenario.session.id), \(scenario.session.kind.rawValue), "
                    + "\(scenario.session.attendees.count) attendees, \(scenario.session.clinicians.count) clinician(s), "
                    + "\(scenario.transcript.utterances.count) utterances in \(scenario.transcriptFiles.joined(separator: ", "))"
            )
        }

        static func folderName(_ id: String) -> String {
            let name = String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
            return name.hasPrefix(".") ? "session" + name : name
        }

        /// A new folder (mode 0700), or an existing empty one: nothing already there is overwritten.
        static func prepareFolder(_ path: String) throws {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw CommandFailure(message: "\(path) is a file; name a new folder with --output", exitCode: 1)
                }
                let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                guard contents.isEmpty else {
                    throw CommandFailure(
                        message: "\(path) is not empty; name a new folder with --output (nothing is overwritten)",
                        exitCode: 1)
                }
                return
            }
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }
}

/// The wall clock as a Timestamp in the machine's offset.
enum FHIRClock {
    static func now() -> Timestamp {
        Timestamp(
            secondsSinceEpoch: Date().timeIntervalSince1970.rounded(.down),
            utcOffsetSeconds: TimeZone.current.secondsFromGMT())
    }
}
