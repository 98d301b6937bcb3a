public import EnsembleCore
public import EnsembleFormats
import Foundation

/// The agents' versioned configuration, loaded from an `Agents/` folder at run time.
public struct AgentConfigurations: Sendable {
    public var directory: String
    public var segmenter: SegmenterConfiguration
    public var attributor: AttributorConfiguration

    public var supervisor: SessionSupervisor.Configuration {
        SessionSupervisor.Configuration(segmenter: self.segmenter, attributor: self.attributor)
    }
}

public enum AgentsDirectory {
    /// The environment variable that points at the Agents folder.
    public static let environmentVariable = "ENSEMBLE_AGENTS"

    /// Finds the folder: an explicit path, then `$ENSEMBLE_AGENTS`, then `./Agents`, then next to the
    /// executable (`../share/ensemble/Agents`, for installed copies).
    public static func locate(explicit: String? = nil) throws(FormatError) -> String {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        if let environment = ProcessInfo.processInfo.environment[Self.environmentVariable], !environment.isEmpty {
            candidates.append(environment)
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/Agents")
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        candidates.append(executable.appendingPathComponent("../share/ensemble/Agents").standardized.path)
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

    public static func load(explicit: String? = nil, reader: FileReader = FileReader()) throws(FormatError)
        -> AgentConfigurations
    {
        let directory = try self.locate(explicit: explicit)
        func bytes(_ relative: String) throws(FormatError) -> (bytes: [UInt8], file: String) {
            let path = directory + "/" + relative
            return (
                try reader.read(path, display: "Agents/" + relative, limit: reader.documentLimit), "Agents/" + relative
            )
        }
        let segmenter = try bytes("transcript-segmenter/config.json")
        let settings = try bytes("speaker-attributor/agent.json")
        let lexicon = try bytes("speaker-attributor/lexicon.json")
        return AgentConfigurations(
            directory: directory,
            segmenter: try AgentConfigurationDecoder.segmenter(segmenter.bytes, file: segmenter.file),
            attributor: try AgentConfigurationDecoder.attributor(
                settings: settings.bytes, settingsFile: settings.file, lexicon: lexicon.bytes, lexiconFile: lexicon.file
            )
        )
    }
}
