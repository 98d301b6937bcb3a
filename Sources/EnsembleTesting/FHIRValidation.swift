import Foundation

/// The third-party FHIR R4 validation the tests use: `scripts/validate-fhir`, which parses each Bundle
/// with `fhir.resources` 6.4.0 (FHIR 4.0.1 models) and checks that every reference resolves to a type
/// R4 allows there. `make test` installs it into `.build/venv` and sets ENSEMBLE_REQUIRE_FHIR_VALIDATOR.
public enum FHIRValidation {
    /// `$ENSEMBLE_PYTHON`, else `.build/venv/bin/python`, when it can import fhir.resources.
    public static let python: String? = {
        let candidates = [
            ProcessInfo.processInfo.environment["ENSEMBLE_PYTHON"], Fixtures.repositoryRoot + "/.build/venv/bin/python",
        ]
        guard
            let python = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }
            )
        else { return nil }
        let (status, _) = Self.run(python, ["-c", "import fhir.resources.bundle"])
        return status == 0 ? python : nil
    }()

    /// Whether a missing validator is a failure (under `make test`) rather than a note.
    public static var required: Bool { ProcessInfo.processInfo.environment["ENSEMBLE_REQUIRE_FHIR_VALIDATOR"] == "1" }

    /// The validator's verdict per Bundle name: empty when valid, else its error lines. Nil when the
    /// validator is not installed.
    public static func validate(_ bundles: [(name: String, json: String)]) throws -> [String: [String]]? {
        guard let python = Self.python else { return nil }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-fhir-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for bundle in bundles {
            let path = directory.appendingPathComponent("\(bundle.name).json").path
            try Data(bundle.json.utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let (_, output) = Self.run(python, [Fixtures.repositoryRoot + "/scripts/validate-fhir"] + paths)
        var verdicts: [String: [String]] = [:]
        for (bundle, path) in zip(bundles, paths) {
            let lines = output.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix(path + ":") }
            if lines.contains(path + ": OK") {
                verdicts[bundle.name] = []
            } else {
                let errors = lines.map { String($0.dropFirst(path.count + 2)) }
                verdicts[bundle.name] =
                    errors.isEmpty ? ["no verdict from the validator: \(output.suffix(400))"] : errors
            }
        }
        return verdicts
    }

    /// The validator's verdict on one Bundle: empty when valid, else its error lines; nil when the
    /// validator is not installed.
    public static func validateBundle(_ json: String) throws -> [String]? {
        try Self.validate([("bundle", json)])?["bundle"]
    }

    static func run(_ executable: String, _ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
