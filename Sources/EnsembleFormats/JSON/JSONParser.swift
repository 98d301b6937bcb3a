/// A strict RFC 8259 JSON parser over bytes that records each value's line.
///
/// Errors name the line and what was expected, never the text found. Nesting is limited to keep
/// the stack bounded on hostile input.
public struct JSONParser {
    public static let maximumDepth = 256

    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private var depth = 0
    /// Where the parser is: member names and array positions from the root, for errors that name a field.
    private var path: [PathStep] = []

    private enum PathStep {
        case key(String)
        case index(Int)
    }

    private init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    public static func parse(_ text: String, file: String) throws(FormatError) -> JSONNode {
        try self.parse(Array(text.utf8), file: file)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> JSONNode {
        var parser = JSONParser(bytes: bytes, file: file)
        // A UTF-8 byte-order mark is tolerated.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipSpace()
        guard parser.index < bytes.count else {
            throw FormatError(.emptyFile, file: file, "the file holds no JSON value")
        }
        let value = try parser.parseValue()
        parser.skipSpace()
        guard parser.index == bytes.count else {
            throw parser.error("unexpected content after the JSON value")
        }
        return value
    }

    private func error(_ message: String) -> FormatError {
        FormatError(.syntax, file: self.file, line: self.line, "invalid JSON: \(message)")
    }

    static func isFieldName(_ key: String) -> Bool {
        guard let first = key.utf8.first, (0x61...0x7A).contains(first), key.utf8.count <= 64 else { return false }
        return key.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
        }
    }

    /// The current path as a field name (`session.attendees[1]`), nil at the root.
    private var fieldPath: String? {
        guard !self.path.isEmpty else { return nil }
        var text = ""
        for step in self.path {
            switch step {
            // A key is named when it has the shape of a schema's field (camelCase ASCII); others, such as
            // speaker hints keyed by a person's name or device, are shown as `*`.
            case .key(let key):
                let shown = Self.isFieldName(key) ? key : "*"
                text += text.isEmpty ? shown : "." + shown
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    private mutating func skipSpace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0D: self.index += 1
            case 0x0A:
                self.line += 1
                self.index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(FormatError) -> JSONNode {
        self.skipSpace()
        guard self.index < self.bytes.count else { throw self.error("the text ends where a value was expected") }
        let startLine = self.line
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return try self.parseObject()
        case UInt8(ascii: "["): return try self.parseArray()
        case UInt8(ascii: "\""): return JSONNode(.string(try self.parseString()), line: startLine)
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return JSONNode(.bool(true), line: startLine)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return JSONNode(.bool(false), line: startLine)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return JSONNode(.null, line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(.number(try self.parseNumber()), line: startLine)
        default:
            throw self.error("expected a value (object, array, string, number, true, false or null)")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(FormatError) {
        let expected = Array(literal.utf8)
        guard self.index + expected.count <= self.bytes.count else {
            throw self.error("the text ends inside a literal")
        }
        for offset in expected.indices where self.bytes[self.index + offset] != expected[offset] {
            throw self.error("expected true, false or null")
        }
        self.index += expected.count
    }

    private mutating func enter() throws(FormatError) {
        self.depth += 1
        if self.depth > Self.maximumDepth { throw self.error("nesting is deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func parseObject() throws(FormatError) -> JSONNode {
        let startLine = self.line
        try self.enter()
        self.index += 1
        var members: [JSONMember] = []
        // Large objects look names up in a set; small ones scan, which is cheaper.
        var names: Set<String>? = nil
        self.skipSpace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
            self.index += 1
            self.depth -= 1
            return JSONNode(.object(members), line: startLine)
        }
        while true {
            self.skipSpace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
                throw self.error("expected a quoted member name")
            }
            let keyLine = self.line
            let key = try self.parseString()
            if names?.contains(key) ?? members.contains(where: { $0.key == key }) {
                // The last one winning would let a second member silently replace a checked first one.
                // The name itself is not quoted: some objects are keyed by names (speaker hints).
                let first = members.firstIndex { $0.key == key } ?? 0
                throw FormatError(
                    .syntax, file: self.file, line: keyLine, field: self.fieldPath,
                    "invalid JSON: members \(first + 1) and \(members.count + 1) of this object have the same name "
                        + "(lines \(members[first].node.line) and \(keyLine)); duplicate keys are refused, remove one")
            }
            self.skipSpace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else {
                throw self.error("expected ':' after a member name")
            }
            self.index += 1
            self.path.append(.key(key))
            let value = try self.parseValue()
            self.path.removeLast()
            members.append(JSONMember(key, value))
            if names != nil {
                names?.insert(key)
            } else if members.count == 16 {
                names = Set(members.map(\.key))
            }
            self.skipSpace()
            guard self.index < self.bytes.count else { throw self.error("the text ends inside an object") }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            if self.bytes[self.index] == UInt8(ascii: "}") {
                self.index += 1
                self.depth -= 1
                return JSONNode(.object(members), line: startLine)
            }
            throw self.error("expected ',' or '}' in an object")
        }
    }

    private mutating func parseArray() throws(FormatError) -> JSONNode {
        let startLine = self.line
        try self.enter()
        self.index += 1
        var elements: [JSONNode] = []
        self.skipSpace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            self.depth -= 1
            return JSONNode(.array(elements), line: startLine)
        }
        while true {
            self.path.append(.index(elements.count))
            elements.append(try self.parseValue())
            self.path.removeLast()
            self.skipSpace()
            guard self.index < self.bytes.count else { throw self.error("the text ends inside an array") }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            if self.bytes[self.index] == UInt8(ascii: "]") {
                self.index += 1
                self.depth -= 1
                return JSONNode(.array(elements), line: startLine)
            }
            throw self.error("expected ',' or ']' in an array")
        }
    }

    private mutating func parseString() throws(FormatError) -> String {
        self.index += 1  // opening quote
        var output: [UInt8] = []
        var runStart = self.index
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                output.append(contentsOf: self.bytes[runStart..<self.index])
                self.index += 1
                guard let text = String(validating: output, as: UTF8.self) else {
                    throw self.error("a string is not valid UTF-8")
                }
                return text
            }
            if byte < 0x20 {
                throw self.error(
                    byte == 0x0A ? "a string runs past the end of its line" : "a control character inside a string")
            }
            if byte == UInt8(ascii: "\\") {
                output.append(contentsOf: self.bytes[runStart..<self.index])
                self.index += 1
                guard self.index < self.bytes.count else { throw self.error("the text ends inside a string") }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    var scalarValue = try self.parseHex4()
                    if (0xD800...0xDBFF).contains(scalarValue) {
                        guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else { throw self.error("an unpaired surrogate in a \\u escape") }
                        self.index += 2
                        let low = try self.parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw self.error("an unpaired surrogate in a \\u escape")
                        }
                        scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalarValue) {
                        throw self.error("an unpaired surrogate in a \\u escape")
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else { throw self.error("an invalid \\u escape") }
                    output.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw self.error("an invalid escape in a string")
                }
                runStart = self.index
                continue
            }
            self.index += 1
        }
        throw self.error("the text ends inside a string")
    }

    private mutating func parseHex4() throws(FormatError) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.error("the text ends inside a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw self.error("an invalid \\u escape")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(FormatError) -> Double {
        let start = self.index
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        func digits() -> Int {
            let begin = self.index
            while self.index < self.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.index])
            {
                self.index += 1
            }
            return self.index - begin
        }
        let integerDigits = digits()
        guard integerDigits > 0 else { throw self.error("a number has no digits") }
        if integerDigits > 1, self.bytes[self.index - integerDigits] == UInt8(ascii: "0") {
            throw self.error("a number has a leading zero")
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            self.index += 1
            guard digits() > 0 else { throw self.error("a number has no digits after its decimal point") }
        }
        if self.index < self.bytes.count,
            self.bytes[self.index] == UInt8(ascii: "e") || self.bytes[self.index] == UInt8(ascii: "E")
        {
            self.index += 1
            if self.index < self.bytes.count,
                self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-")
            {
                self.index += 1
            }
            guard digits() > 0 else { throw self.error("a number has no digits in its exponent") }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw self.error("a number is out of range") }
        return value
    }
}
