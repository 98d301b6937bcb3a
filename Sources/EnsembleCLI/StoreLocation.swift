import EnsemblePostgres
import EnsembleStore
import Foundation

/// A store's database: a SQLite file, or a PostgreSQL URL (`postgresql://` or `postgres://`).
enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(String)
    case postgresql(String)

    /// A file path or a URL, told apart by the URL's scheme; `sqlite:PATH` names a file explicitly.
    init(_ text: String) {
        if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            self = .postgresql(text)
        } else if text.hasPrefix("sqlite:") {
            self = .sqlite(String(text.dropFirst("sqlite:".count)))
        } else {
            self = .sqlite(text)
        }
    }

    func open() async throws -> Store {
        switch self {
        case .sqlite(let path): return try Store(path: path)
        case .postgresql(let url):
            let location: PostgresLocation
            do {
                location = try PostgresLocation.parse(url, environment: ProcessInfo.processInfo.environment)
            } catch {
                throw StoreError(.invalid, "--database: \(error)")
            }
            return try await PostgresStore.open(location)
        }
    }

    /// The database for messages: a path, or the URL without a password.
    var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgresql(let url):
            (try? PostgresLocation.parse(url, environment: [:]).display) ?? "the PostgreSQL database"
        }
    }
}
