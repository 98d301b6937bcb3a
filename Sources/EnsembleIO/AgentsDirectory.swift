public import EnsembleCore
public import EnsembleFormats
import EnsembleSystem
import Foundation

/// The agents' versioned configuration, loaded from an `Agents/` folder at run time.
public struct AgentConfigurations: Sendable {
    public var directory: String
    public var segmenter: SegmenterConfiguration
    public var attributor: AttributorConfiguration
    public var drafting: SessionSupervisor.DraftingConfiguration
    /// The 837P envelope (`billing-reconciler/interchange.json`).
    public var interchange: InterchangeSettings
    /// Each agent's version and the content hashes of the files it was loaded from.
    public var versions: [AgentVersion]
    /// The NoteDrafter's system prompt for model drafting (`note-drafter/prompt.md`).
    public var notePrompt: String
    /// The RiskScreener's prompt for a model second reader (`risk-screener/prompt.md`).
    public var riskPrompt: String = ""

    public var supervisor: SessionSupervisor.Configuration {
        SessionSupervisor.Configuration(segmenter: self.segmenter, attributor: self.attributor, drafting: self.drafting)
    }
}

public enum AgentsDirectory {
    /// The environment variable that points at the Agents folder.
    public static let environmentVariable = "ENSEMBLE_AGENTS"

    /// Finds the folder: an explicit path, then `$ENSEMBLE_AGENTS`, then `./Agents`, then the one that
    /// travels with the executable: `../share/ensemble/Agents` beside an installed binary
    /// (`make install`), or the source tree's `Agents/` above a binary built in it.
    public static func locate(explicit: String? = nil) throws(FormatError) -> String {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        if let environment = ProcessInfo.processInfo.environment[Self.environmentVariable], !environment.isEmpty {
            candidates.append(environment)
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/Agents")
        candidates += self.besideExecutable()
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate + "/speaker-attributor", isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                return candidate
            }
            if let explicit, candidate == explicit {
                throw FormatError(
                    .notFound, file: explicit, "is not an Agents folder (it has no speaker-attributor/ inside)")
            }
        }
        throw FormatError(
            .notFound, file: "Agents",
            "the agents' configuration folder was not found; run from the project folder, pass --agents PATH or set \(Self.environmentVariable)"
        )
    }

    /// Where the executable's own copy may be: the running binary's real path (`/proc/self/exe`, else the
    /// first argument), its `../share/ensemble/Agents`, and an `Agents/` in up to four folders above it.
    static func besideExecutable() -> [String] {
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().path
        var folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var candidates = [folder.appendingPathComponent("../share/ensemble/Agents").standardized.path]
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent("Agents").path)
        }
        return candidates
    }

    public static func load(explicit: String? = nil, reader: FileReader = FileReader()) throws(FormatError)
        -> AgentConfigurations
    {
        let directory = try self.locate(explicit: explicit)
        var hashes: [String: AgentVersion.File] = [:]
        func bytes(_ relative: String) throws(FormatError) -> (bytes: [UInt8], file: String) {
            let data = try reader.read(
                directory + "/" + relative, display: "Agents/" + relative, limit: reader.documentLimit)
            hashes[relative] = AgentVersion.File(path: relative, sha256: Hashing.sha256Hex(data))
            return (data, "Agents/" + relative)
        }
        let segmenterFile = try bytes("transcript-segmenter/config.json")
        let settings = try bytes("speaker-attributor/agent.json")
        let lexicon = try bytes("speaker-attributor/lexicon.json")
        let interventionsFile = try bytes("interventions/lexicon.json")
        let drafterFile = try bytes("note-drafter/config.json")
        let promptFile = try bytes("note-drafter/prompt.md")
        let riskPromptFile = try bytes("risk-screener/prompt.md")
        let summarizerFile = try bytes("group-summarizer/config.json")
        let alignerFile = try bytes("plan-aligner/config.json")
        let screenerFile = try bytes("risk-screener/config.json")
        let languageFile = try bytes("language/config.json")
        let billingRulesFile = try bytes("billing-reconciler/rules.json")
        let payersFile = try bytes("billing-reconciler/payers.json")
        let interchangeFile = try bytes("billing-reconciler/interchange.json")

        let language = try DraftingConfigurationDecoder.language(languageFile.bytes, file: languageFile.file)
        let segmenter = try AgentConfigurationDecoder.segmenter(segmenterFile.bytes, file: segmenterFile.file)
        let attributor = try AgentConfigurationDecoder.attributor(
            settings: settings.bytes, settingsFile: settings.file, lexicon: lexicon.bytes, lexiconFile: lexicon.file
        )
        let drafting = SessionSupervisor.DraftingConfiguration(
            drafter: try DraftingConfigurationDecoder.drafter(
                drafterFile.bytes, file: drafterFile.file, language: language),
            summarizer: try DraftingConfigurationDecoder.summarizer(summarizerFile.bytes, file: summarizerFile.file),
            aligner: try DraftingConfigurationDecoder.aligner(alignerFile.bytes, file: alignerFile.file),
            screener: try DraftingConfigurationDecoder.screener(
                screenerFile.bytes, file: screenerFile.file, language: language),
            interventions: try DraftingConfigurationDecoder.interventions(
                interventionsFile.bytes, file: interventionsFile.file, language: language
            ),
            billing: try BillingConfigurationDecoder.rules(
                billingRulesFile.bytes, file: billingRulesFile.file, payers: payersFile.bytes,
                payersFile: payersFile.file
            )
        )
        let interchange = try BillingConfigurationDecoder.interchange(interchangeFile.bytes, file: interchangeFile.file)
        func version(_ agent: String, _ version: String, _ files: [String]) -> AgentVersion {
            let listed = files.compactMap { hashes[$0] }
            let manifest = listed.map { "\($0.sha256)  \($0.path)\n" }.joined()
            return AgentVersion(
                agent: agent, version: version, files: listed, sha256: Hashing.sha256Hex(Array(manifest.utf8))
            )
        }
        let versions = [
            version(AgentKind.transcriptSegmenter.rawValue, segmenter.version, ["transcript-segmenter/config.json"]),
            version(
                AgentKind.speakerAttributor.rawValue, attributor.version,
                ["speaker-attributor/agent.json", "speaker-attributor/lexicon.json"]
            ),
            version("InterventionLexicon", drafting.interventions.version, ["interventions/lexicon.json"]),
            version(
                AgentKind.noteDrafter.rawValue, drafting.drafter.version,
                ["note-drafter/config.json", "note-drafter/prompt.md"]),
            version(AgentKind.groupSummarizer.rawValue, drafting.summarizer.version, ["group-summarizer/config.json"]),
            version(AgentKind.planAligner.rawValue, drafting.aligner.version, ["plan-aligner/config.json"]),
            version(
                AgentKind.riskScreener.rawValue,
                "\(drafting.screener.version)+language.\(drafting.screener.language.version)",
                ["risk-screener/config.json", "language/config.json", "risk-screener/prompt.md"]),
            version(
                AgentKind.billingReconciler.rawValue,
                "\(drafting.billing.version)+payers.\(drafting.billing.payers.version)",
                [
                    "billing-reconciler/rules.json", "billing-reconciler/payers.json",
                    "billing-reconciler/interchange.json",
                ]
            ),
        ]
        return AgentConfigurations(
            directory: directory, segmenter: segmenter, attributor: attributor, drafting: drafting,
            interchange: interchange, versions: versions,
            notePrompt: String(decoding: promptFile.bytes, as: UTF8.self),
            riskPrompt: String(decoding: riskPromptFile.bytes, as: UTF8.self)
        )
    }
}

extension AgentsDirectory {
    /// The FHIR mapping (`fhir/mapping.json`), loaded only by the commands that speak FHIR.
    public static func fhirMapping(explicit: String? = nil, reader: FileReader = FileReader()) throws(FormatError)
        -> (mapping: FHIRMapping, version: AgentVersion)
    {
        let directory = try self.locate(explicit: explicit)
        let relative = "fhir/mapping.json"
        let bytes = try reader.read(
            directory + "/" + relative, display: "Agents/" + relative, limit: reader.documentLimit)
        let mapping = try FHIRMapping.decode(bytes, file: "Agents/" + relative)
        let file = AgentVersion.File(path: relative, sha256: Hashing.sha256Hex(bytes))
        let manifest = "\(file.sha256)  \(file.path)\n"
        return (
            mapping,
            AgentVersion(
                agent: "FHIRMapping", version: mapping.version, files: [file],
                sha256: Hashing.sha256Hex(Array(manifest.utf8)))
        )
    }
}
