import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import EnsembleSystem

/// A command's failure that is not about input format: rendered as one line, with an exit code.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    var description: String { self.message }
}

/// Runs the `ensemble` command line and returns its exit status: 0 when the command did its job,
/// 1 when a check it ran failed, 2 when the input or the database could not be read, 3 when the store
/// refused the action (role, stale version, locked note, a flag waiting for a supervisor), 64 for a
/// usage error.
public enum EnsembleCLI {
    public static func run(_ arguments: [String]) async -> Int32 {
        do {
            var command = try EnsembleCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as FormatError {
            Console.error("error: \(error)")
            return 2
        } catch let error as StoreError {
            Console.error("error: \(error.message)")
            switch error.code {
            case .forbidden, .notFound, .staleVersion, .locked, .blocked, .invalid: return 3
            case .unavailable, .sql, .newerSchema, .corrupt: return 2
            }
        } catch let error as ModelError {
            Console.error("error: \(error.message)")
            return 2
        } catch let error as PrivateFile.Failure {
            Console.error("error: \(error.message)")
            return 2
        } catch let failure as CommandFailure {
            Console.error("error: \(failure.message)")
            return failure.exitCode
        } catch is CancellationError {
            Console.error("error: cancelled")
            return 130
        } catch {
            let code = EnsembleCommand.exitCode(for: error)
            let message = EnsembleCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Console.out(message) }
                return 0
            }
            Console.error(message)
            return code == .validationFailure ? 64 : code.rawValue
        }
    }
}

struct EnsembleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ensemble",
        abstract: "Drafts documentation for multi-client behavioural-health sessions (group, family, couples).",
        discussion: """
            Every command reads a scenario folder: session.json, a transcript (or summary.md) and, \
            optionally, expected.json. See docs/scenario-format.md for the format.
            """,
        version: "0.1.0",
        subcommands: [
            DraftCommand.self, ClaimsCommand.self, AttributeCommand.self, ParseCommand.self, SegmentCommand.self,
            CheckCommand.self, ValidateCommand.self, ReviewCommand.self, UsersCommand.self, AuditCommand.self,
            ServeCommand.self, JobsCommand.self, StoreCommand.self, FHIRCommand.self,
            MetricsCommand.self, EvaluateRiskCommand.self,
        ]
    )
}
