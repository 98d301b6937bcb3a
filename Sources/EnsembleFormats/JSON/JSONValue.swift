/// A JSON value that remembers the line it started on, so decoding errors can point at it.
public struct JSONNode: Sendable, Hashable {
    public indirect enum Value: Sendable, Hashable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONNode])
        /// Members in source order; a repeated key keeps its last value on lookup.
        case object([JSONMember])
    }

    public var value: Value
    public var line: Int

    public init(_ value: Value, line: Int = 0) {
        self.value = value
        self.line = line
    }

    /// The member named `key` of an object (the last one if repeated); nil for other values.
    public subscript(key: String) -> JSONNode? {
        guard case .object(let members) = self.value else { return nil }
        return members.last { $0.key == key }?.node
    }

    public var string: String? {
        if case .string(let text) = self.value { return text }
        return nil
    }

    public var number: Double? {
        if case .number(let number) = self.value { return number }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let flag) = self.value { return flag }
        return nil
    }

    public var array: [JSONNode]? {
        if case .array(let elements) = self.value { return elements }
        return nil
    }

    public var members: [JSONMember]? {
        if case .object(let members) = self.value { return members }
        return nil
    }

    public var isNull: Bool { self.value == .null }

    /// What kind of value this is, in words, for messages.
    public var kindDescription: String {
        switch self.value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var node: JSONNode

    public init(_ key: String, _ node: JSONNode) {
        self.key = key
        self.node = node
    }
}
