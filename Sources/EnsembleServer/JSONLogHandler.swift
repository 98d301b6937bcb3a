import EnsembleFormats
import Foundation
import Logging
import Synchronization

/// How the server writes its log.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's usual lines, for a person at a terminal.
    case text
    /// One JSON object a line (`time`, `level`, `logger`, `message` and the entry's fields), for a log
    /// collector. Entries carry methods, routes, statuses, durations, job ids and error codes: never
    /// content, names or session ids.
    case json
}

/// A swift-log handler that writes one JSON object a line to standard error.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    /// Where each line goes: standard error, or a test's collector.
    let write: @Sendable (String) -> Void
    private static let output = Mutex(())

    init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    static func standardError(_ line: String) {
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, JSONNode?)] = [
            ("time", .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))),
            ("level", .string(event.level.rawValue)), ("logger", .string(self.label)),
            ("message", .string(event.message.description)),
        ]
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.append((key, Self.value(value))) }
        self.write(JSONWriter.write(.object(fields), pretty: false) + "\n")
    }

    static func value(_ value: Logger.Metadata.Value) -> JSONNode {
        switch value {
        case .string(let text):
            // Numbers stay numbers, so that a collector can sum durations.
            if let number = Int(text) { return .number(number) }
            return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(Self.value))
        case .dictionary(let values):
            return .object(values.sorted { $0.key < $1.key }.map { ($0.key, Self.value($0.value)) })
        }
    }
}
