/// RFC 4648 base64, for FHIR attachments (`Attachment.data`).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(Self.alphabet[Int(value >> UInt32(shift) & 63)]) }
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            let value = UInt32(bytes[index]) << 16 | (remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output.append(Self.alphabet[Int(value >> 18 & 63)])
            output.append(Self.alphabet[Int(value >> 12 & 63)])
            output.append(remaining == 2 ? Self.alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes, or nil when the text is not base64 (white space is ignored, padding is optional).
    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                guard padding == 0 else { return nil }
                values.append(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard padding == 0 else { return nil }
                values.append(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard padding == 0 else { return nil }
                values.append(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard padding == 0 else { return nil }
                values.append(62)
            case UInt8(ascii: "/"), UInt8(ascii: "_"):
                guard padding == 0 else { return nil }
                values.append(63)
            case UInt8(ascii: "="): padding += 1
            case UInt8(ascii: " "), 0x0A, 0x0D, 0x09: continue
            default: return nil
            }
        }
        guard padding <= 2, values.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var value: UInt32 = 0
            for (offset, sextet) in chunk.enumerated() { value |= UInt32(sextet) << UInt32(18 - 6 * offset) }
            output.append(UInt8(value >> 16 & 0xFF))
            if chunk.count > 2 { output.append(UInt8(value >> 8 & 0xFF)) }
            if chunk.count > 3 { output.append(UInt8(value & 0xFF)) }
            index += 4
        }
        return output
    }
}
