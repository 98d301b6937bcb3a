import EnsembleCore
import EnsembleTesting
import Foundation
import Testing

/// The core stays pure: no Foundation, networking, SQLite or file access; only the standard library
/// and the C math library through one Platform.swift.
@Suite("Architecture")
struct ArchitectureTests {
    @Test func core_importsOnlyTheStandardLibrary() throws {
        let root = Fixtures.repositoryRoot + "/Sources/EnsembleCore"
        let files = try #require(FileManager.default.enumerator(atPath: root)).compactMap { $0 as? String }.filter {
            $0.hasSuffix(".swift")
        }
        #expect(files.count > 10)
        let forbidden = ["Foundation", "FoundationEssentials", "FoundationNetworking", "CSQLite", "Dispatch"]
        for file in files {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("import ")
            {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(!forbidden.contains(module), "\(file) imports \(module)")
                if ["Glibc", "Musl", "Darwin"].contains(module) { #expect(file == "Platform.swift") }
            }
        }
    }

    /// The edge packages stay at their edges: ArgumentParser in the CLI target, Hummingbird (and what
    /// comes with it) and the metrics in the server target, PostgresNIO in the PostgreSQL store's.
    @Test func edgePackages_importedOnlyByTheirTargets() throws {
        let owners: [String: Set<String>] = [
            "ArgumentParser": ["EnsembleCLI"], "Hummingbird": ["EnsembleServer"],
            "ServiceLifecycle": ["EnsembleServer"],
            "Logging": ["EnsembleServer", "EnsemblePostgres"], "UnixSignals": ["EnsembleServer"],
            "NIOCore": ["EnsembleServer"], "CoreMetrics": ["EnsembleServer"], "Metrics": ["EnsembleServer"],
            "Prometheus": ["EnsembleServer"], "PostgresNIO": ["EnsemblePostgres"],
        ]
        let sources = Fixtures.repositoryRoot + "/Sources"
        var seen: Set<String> = []
        for target in try FileManager.default.contentsOfDirectory(atPath: sources) {
            let files =
                FileManager.default.enumerator(atPath: sources + "/" + target)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: "\(sources)/\(target)/\(file)", encoding: .utf8)
                for line in text.split(separator: "\n") where line.contains("import ") && !line.contains("//") {
                    let module = line.split(separator: " ").last.map(String.init) ?? ""
                    guard let owner = owners[module] else { continue }
                    seen.insert(module)
                    #expect(owner.contains(target), "\(target)/\(file) imports \(module)")
                }
            }
        }
        #expect(seen.isSuperset(of: ["ArgumentParser", "Hummingbird", "Prometheus"]))
    }

    /// Drafting has one way in: outside tests, benchmarks and their support, the session supervisor is
    /// constructed only by the drafting service.
    @Test func supervisor_isConstructedOnlyByTheDraftingService() throws {
        let sources = Fixtures.repositoryRoot + "/Sources"
        var places: [String] = []
        for target in try FileManager.default.contentsOfDirectory(atPath: sources) where target != "EnsembleTesting" {
            let files =
                FileManager.default.enumerator(atPath: sources + "/" + target)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: "\(sources)/\(target)/\(file)", encoding: .utf8)
                for line in text.split(separator: "\n") where line.contains("SessionSupervisor(") {
                    if !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") { places.append("\(target)/\(file)") }
                }
            }
        }
        #expect(places == ["EnsembleService/DraftingService.swift"])
    }

    /// The store is the system of record only: it never drafts, so it neither imports the file-system and
    /// agents layer nor the drafting service.
    @Test func store_isTheSystemOfRecordOnly() throws {
        let root = Fixtures.repositoryRoot + "/Sources/EnsembleStore"
        let files = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasSuffix(".swift") }
        #expect(files.count > 5)
        for file in files {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("import ") && !line.contains("//") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(
                    !["EnsembleIO", "EnsembleService", "EnsembleLLM"].contains(module), "\(file) imports \(module)")
            }
            #expect(!text.contains("SessionSupervisor"), "\(file) mentions the supervisor")
        }
        let manifest = try String(contentsOfFile: Fixtures.repositoryRoot + "/Package.swift", encoding: .utf8)
        let store = try #require(manifest.range(of: "name: \"EnsembleStore\""))
        let line = manifest[store.lowerBound...].prefix { $0 != ")" }
        #expect(!line.contains("\"EnsembleIO\""), "Package.swift: EnsembleStore depends on EnsembleIO")
    }

    /// One folder per agent in the core, each holding its port and its actor.
    @Test func eachAgent_hasAFolderWithItsPortAndActor() throws {
        let root = Fixtures.repositoryRoot + "/Sources/EnsembleCore/Agents"
        let folders = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        #expect(folders == AgentKind.allCases.map(\.rawValue).sorted())
        for agent in AgentKind.allCases {
            let folder = root + "/" + agent.rawValue
            let text = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }
                .map { try String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }.joined()
            #expect(text.contains("public actor \(agent.rawValue)"), "\(agent): its actor")
            if ![AgentKind.transcriptSegmenter, .speakerAttributor].contains(agent) {
                #expect(text.contains("public protocol "), "\(agent): its port")
            }
            #expect(!text.contains("nonisolated func"), "\(agent): its work is isolated to the job's instance")
        }
    }
}
