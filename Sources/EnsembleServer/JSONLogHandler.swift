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
        var fields: [(String, JSONValue)] = [
            ("time", .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))),
            ("level", .string(event.level.rawValue)), ("logger", .string(self.label)),
            ("message", .string(event.message.description)),
        ]
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append((key, Self.value(value)))
        }
        self.write(JSONValue.object(fields).text + "\n")
    }

    static func value(_ value: Logger.Metadata.Value) -> JSONValue {
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

    /// A handler-local JSON value (the server does not pull the formats target into its logging path).
    indirect enum JSONValue {
        case string(String), number(Int), array([JSONValue]), object([(String, JSONValue)])

        var text: String {
            switch self {
            case .string(let text): Self.quote(text)
            case .number(let number): String(number)
            case .array(let values): "[" + values.map(\.text).joined(separator: ",") + "]"
            case .object(let fields):
                "{" + fields.map { Self.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
            }
        }

        static func quote(_ text: String) -> String {
            var quoted = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": quoted += "\\\""
                case "\\": quoted += "\\\\"
                case "\n": quoted += "\\n"
                case "\r": quoted += "\\r"
                case "\t": quoted += "\\t"
                case _ where scalar.value < 0x20:
                    quoted +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                default: quoted.unicodeScalars.append(scalar)
                }
            }
            return quoted + "\""
        }
    }
}
