/// Input that could not be read: which file, which line and field, and what was expected.
///
/// Messages never quote the input, because transcripts and session files hold names and clinical
/// text; they say where the problem is and what would be accepted there.
public struct FormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case emptyFile
        case tooLarge
        case binaryData
        case invalidEncoding
        case syntax
        case missingField
        case wrongType
        case invalidValue
        case unsupportedFormat
        case inconsistent
        case notFound
        case ambiguous
    }

    public var code: Code
    /// The file as the user named it (a path, or a name inside a scenario folder).
    public var file: String
    /// 1-based line, when the problem has one.
    public var line: Int?
    /// The field path (`attendees[2].consent.aiDrafting`), when the problem is in one field.
    public var field: String?
    public var message: String

    public init(_ code: Code, file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// `file:line: field: message`, the one line the CLI prints.
    public var description: String {
        var text = self.file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + self.message
    }

    /// The same error in another file (a transcript embedded in a CSV cell, for instance).
    func relocated(file: String, lineOffset: Int) -> FormatError {
        var copy = self
        copy.file = file
        if let line = copy.line { copy.line = line + lineOffset }
        return copy
    }
}
