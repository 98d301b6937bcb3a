/// Writes JSON with members in the order given, pretty-printed with two-space indents or compact.
public enum JSONWriter {
    /// With `escapingOnlyC0`, C1 controls and DEL are written as they are (the form the audit chain's
    /// hashes were first computed over, kept so older trails still verify).
    public static func write(_ node: JSONNode, pretty: Bool = true, escapingOnlyC0: Bool = false) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        self.write(node.value, into: &output, indent: pretty ? 0 : nil, c1: !escapingOnlyC0)
        if pretty { output.append(0x0A) }
        return String(decoding: output, as: UTF8.self)
    }

    private static func write(_ value: JSONNode.Value, into output: inout [UInt8], indent: Int?, c1: Bool) {
        switch value {
        case .null: output.append(contentsOf: Array("null".utf8))
        case .bool(let flag): output.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .number(let number): output.append(contentsOf: Array(self.format(number).utf8))
        case .string(let text): self.writeString(text, into: &output, c1: c1)
        case .array(let elements):
            guard !elements.isEmpty else {
                output.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
                return
            }
            // Short arrays of scalars stay on one line, as people write them.
            let inline = indent == nil || (elements.count <= 12 && elements.allSatisfy { $0.isScalar })
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                if inline {
                    if offset > 0 && indent != nil { output.append(0x20) }
                } else {
                    self.newline(&output, indent! + 1)
                }
                self.write(element.value, into: &output, indent: indent.map { $0 + 1 }, c1: c1)
            }
            if !inline { self.newline(&output, indent!) }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else {
                output.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
                return
            }
            output.append(UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                if let indent { self.newline(&output, indent + 1) }
                self.writeString(member.key, into: &output, c1: c1)
                output.append(UInt8(ascii: ":"))
                if indent != nil { output.append(0x20) }
                self.write(member.node.value, into: &output, indent: indent.map { $0 + 1 }, c1: c1)
            }
            if let indent { self.newline(&output, indent) }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ output: inout [UInt8], _ indent: Int) {
        output.append(0x0A)
        output.append(contentsOf: [UInt8](repeating: 0x20, count: indent * 2))
    }

    /// Integers without a fraction; other numbers in Swift's shortest round-trip form.
    public static func format(_ number: Double) -> String {
        if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    private static func writeString(_ text: String, into output: inout [UInt8], c1: Bool) {
        output.append(UInt8(ascii: "\""))
        var previous: UInt8 = 0
        for byte in text.utf8 {
            defer { previous = byte }
            // C1 controls (U+0080 to U+009F, UTF-8 C2 80 to C2 9F) and DEL are escaped too, so no terminal
            // escape sequence passes through JSON output.
            if c1, previous == 0xC2, (0x80...0x9F).contains(byte) {
                output.removeLast()
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
                continue
            }
            if c1, byte == 0x7F {
                output.append(contentsOf: Array("\\u007f".utf8))
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONNode {
    var isScalar: Bool {
        switch self.value {
        case .array, .object: false
        default: true
        }
    }

    // Builders for output, so writers read like the JSON they produce.
    public static func object(_ members: [(String, JSONNode?)]) -> JSONNode {
        JSONNode(.object(members.compactMap { key, node in node.map { JSONMember(key, $0) } }))
    }

    public static func array(_ elements: [JSONNode]) -> JSONNode { JSONNode(.array(elements)) }

    public static func string(_ text: String?) -> JSONNode? { text.map { JSONNode(.string($0)) } }

    public static func string(_ text: String) -> JSONNode { JSONNode(.string(text)) }

    public static func number(_ value: Double?) -> JSONNode? { value.map { JSONNode(.number($0)) } }

    public static func number(_ value: Int) -> JSONNode { JSONNode(.number(Double(value))) }

    /// A number rounded to `places` decimals, for confidences and seconds.
    public static func rounded(_ value: Double, places: Int = 2) -> JSONNode {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return JSONNode(.number((value * scale).rounded() / scale))
    }

    public static func bool(_ flag: Bool) -> JSONNode { JSONNode(.bool(flag)) }

    public static let null = JSONNode(.null)
}
