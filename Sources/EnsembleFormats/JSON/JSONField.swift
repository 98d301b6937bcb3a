/// A JSON value being decoded, with the file and field path that errors about it must name.
public struct JSONField: Sendable {
    public let node: JSONNode
    /// `attendees[2].consent.aiDrafting`; empty for the document itself.
    public let path: String
    public let file: String

    public init(node: JSONNode, path: String = "", file: String) {
        self.node = node
        self.path = path
        self.file = file
    }

    public func error(_ code: FormatError.Code, _ message: String) -> FormatError {
        FormatError(code, file: self.file, line: self.node.line, field: self.path.isEmpty ? nil : self.path, message)
    }

    private func childPath(_ key: String) -> String { self.path.isEmpty ? key : "\(self.path).\(key)" }

    /// The member `key`; a missing or null member is an error naming what was expected.
    public func required(_ key: String, expected: String) throws(FormatError) -> JSONField {
        guard case .object = self.node.value else {
            throw self.error(.wrongType, "expected an object, found \(self.node.kindDescription)")
        }
        guard let child = self.node[key] else {
            throw FormatError(
                .missingField, file: self.file, line: self.node.line, field: self.childPath(key),
                "missing required field; expected \(expected)"
            )
        }
        let field = JSONField(node: child, path: self.childPath(key), file: self.file)
        if child.isNull { throw field.error(.missingField, "is null; expected \(expected)") }
        return field
    }

    /// The member `key`, or nil when it is missing or null.
    public func optional(_ key: String) throws(FormatError) -> JSONField? {
        guard case .object = self.node.value else {
            throw self.error(.wrongType, "expected an object, found \(self.node.kindDescription)")
        }
        guard let child = self.node[key], !child.isNull else { return nil }
        return JSONField(node: child, path: self.childPath(key), file: self.file)
    }

    public func has(_ key: String) -> Bool { self.node[key].map { !$0.isNull } ?? false }

    public func string(expected: String = "a string") throws(FormatError) -> String {
        guard let text = self.node.string else {
            throw self.error(.wrongType, "expected \(expected), found \(self.node.kindDescription)")
        }
        return text
    }

    /// A string with something other than white space in it.
    public func text(expected: String = "a non-empty string") throws(FormatError) -> String {
        let text = try self.string(expected: expected)
        guard text.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw self.error(.invalidValue, "is empty; expected \(expected)")
        }
        return text
    }

    public func bool() throws(FormatError) -> Bool {
        guard let flag = self.node.bool else {
            throw self.error(.wrongType, "expected true or false, found \(self.node.kindDescription)")
        }
        return flag
    }

    public func number(expected: String = "a number") throws(FormatError) -> Double {
        if let number = self.node.number { return number }
        // Some APIs (AWS Transcribe) write times as strings of digits.
        if let text = self.node.string, let number = Double(text), number.isFinite { return number }
        throw self.error(.wrongType, "expected \(expected), found \(self.node.kindDescription)")
    }

    public func int(expected: String = "a whole number") throws(FormatError) -> Int {
        guard let number = self.node.number, number.rounded() == number, abs(number) < 1e15 else {
            throw self.error(.wrongType, "expected \(expected), found \(self.node.kindDescription)")
        }
        return Int(number)
    }

    public func array(expected: String = "an array") throws(FormatError) -> [JSONField] {
        guard let elements = self.node.array else {
            throw self.error(.wrongType, "expected \(expected), found \(self.node.kindDescription)")
        }
        return elements.enumerated().map { JSONField(node: $1, path: "\(self.path)[\($0)]", file: self.file) }
    }

    /// The object's members. With `keysArePrivate`, paths name a member by position (`speakerHints[#2]`),
    /// because its key is data (a speaker label can be a person's name) and must not reach an error message.
    public func members(
        expected: String = "an object", keysArePrivate: Bool = false
    ) throws(FormatError) -> [(key: String, field: JSONField)] {
        guard let members = self.node.members else {
            throw self.error(.wrongType, "expected \(expected), found \(self.node.kindDescription)")
        }
        return members.enumerated().map { offset, member in
            let path = keysArePrivate ? "\(self.path)[#\(offset + 1)]" : self.childPath(member.key)
            return (member.key, JSONField(node: member.node, path: path, file: self.file))
        }
    }

    public func strings(expected: String = "an array of strings") throws(FormatError) -> [String] {
        var result: [String] = []
        for element in try self.array(expected: expected) { result.append(try element.string(expected: "a string")) }
        return result
    }

    /// One of a closed set of names; the message lists them.
    public func oneOf<Value: RawRepresentable & CaseIterable>(_: Value.Type) throws(FormatError) -> Value
    where Value.RawValue == String {
        let allowed = Value.allCases.map(\.rawValue)
        let text = try self.string(expected: "one of \(allowed.joined(separator: ", "))")
        guard let value = Value(rawValue: text) else {
            throw self.error(.invalidValue, "expected one of \(allowed.joined(separator: ", "))")
        }
        return value
    }
}
