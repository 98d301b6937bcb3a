/// Text decoded from a file's bytes, with line ends normalised to `\n`.
public struct DecodedText: Sendable, Hashable {
    public var text: String
    /// `utf-8`, `utf-8 with BOM`, `utf-16le` or `utf-16be`.
    public var encoding: String

    public init(text: String, encoding: String) {
        self.text = text
        self.encoding = encoding
    }

    /// The lines of the text; line `n` (1-based) is `lines[n - 1]`.
    public var lines: [Substring] { self.text.split(separator: "\n", omittingEmptySubsequences: false) }
}

/// Turns bytes into text: byte-order marks, UTF-16 with or without a BOM, CRLF and bare CR line ends.
/// Invalid UTF-8, binary data and empty files are errors that name the line.
public enum TextDecoding {
    public static func decode(_ bytes: [UInt8], file: String) throws(FormatError) -> DecodedText {
        guard !bytes.isEmpty else { throw FormatError(.emptyFile, file: file, "the file is empty (0 bytes)") }
        var decoded: DecodedText
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xFE, bytes[2] == 0, bytes[3] == 0 {
            throw FormatError(
                .invalidEncoding, file: file, line: 1, "UTF-32 text is not supported; save the file as UTF-8")
        } else if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE {
            decoded = DecodedText(
                text: try self.utf16(bytes[2...], littleEndian: true, file: file), encoding: "utf-16le")
        } else if bytes.count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF {
            decoded = DecodedText(
                text: try self.utf16(bytes[2...], littleEndian: false, file: file), encoding: "utf-16be")
        } else if let littleEndian = self.looksLikeBOMlessUTF16(bytes) {
            decoded = DecodedText(
                text: try self.utf16(bytes[...], littleEndian: littleEndian, file: file),
                encoding: littleEndian ? "utf-16le" : "utf-16be"
            )
        } else if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            decoded = DecodedText(text: try self.utf8(bytes[3...], file: file), encoding: "utf-8 with BOM")
        } else {
            decoded = DecodedText(text: try self.utf8(bytes[...], file: file), encoding: "utf-8")
        }
        decoded.text = self.normalisingLineEnds(decoded.text)
        try self.rejectBinary(decoded.text, file: file)
        if decoded.text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace || $0 == "\u{FEFF}" }) {
            throw FormatError(.emptyFile, file: file, "the file holds only white space")
        }
        return decoded
    }

    /// UTF-16 without a BOM shows as ASCII bytes alternating with zeros; nil when it does not.
    private static func looksLikeBOMlessUTF16(_ bytes: [UInt8]) -> Bool? {
        let sample = bytes.prefix(512)
        guard sample.count >= 4, sample.count % 2 == 0 else { return nil }
        var zeroEven = 0
        var zeroOdd = 0
        for (offset, byte) in sample.enumerated() where byte == 0 {
            if offset % 2 == 0 { zeroEven += 1 } else { zeroOdd += 1 }
        }
        let pairs = sample.count / 2
        if zeroOdd * 10 >= pairs * 7 && zeroEven == 0 { return true }
        if zeroEven * 10 >= pairs * 7 && zeroOdd == 0 { return false }
        return nil
    }

    private static func utf16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool, file: String) throws(FormatError)
        -> String
    {
        guard bytes.count % 2 == 0 else {
            throw FormatError(
                .invalidEncoding, file: file, "the UTF-16 text has an odd number of bytes; the file is cut short")
        }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let first = UInt16(bytes[index])
            let second = UInt16(bytes[index + 1])
            units.append(littleEndian ? first | second << 8 : first << 8 | second)
            index += 2
        }
        var scalars = String.UnicodeScalarView()
        var iterator = units.makeIterator()
        var decoder = UTF16()
        var line = 1
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
                scalars.append(scalar)
            case .emptyInput: break loop
            case .error:
                throw FormatError(.invalidEncoding, file: file, line: line, "invalid UTF-16 (an unpaired surrogate)")
            }
        }
        return String(scalars)
    }

    private static func utf8(_ bytes: ArraySlice<UInt8>, file: String) throws(FormatError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let (offset, line) = self.firstInvalidUTF8(bytes)
        throw FormatError(
            .invalidEncoding, file: file, line: line,
            "invalid UTF-8 at byte \(offset); save the file as UTF-8 (or UTF-16 with a byte-order mark)"
        )
    }

    /// The byte offset (from the start of the file) and line of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> (offset: Int, line: Int) {
        var line = 1
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            let length: Int
            switch byte {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return (index, line)
            }
            guard index + length <= bytes.endIndex else { return (index, line) }
            if length > 1 {
                for continuation in bytes[(index + 1)..<(index + length)] where continuation & 0xC0 != 0x80 {
                    return (index, line)
                }
                // Overlong and surrogate encodings.
                let second = bytes[index + 1]
                if (byte == 0xE0 && second < 0xA0) || (byte == 0xED && second > 0x9F) || (byte == 0xF0 && second < 0x90)
                    || (byte == 0xF4 && second > 0x8F)
                {
                    return (index, line)
                }
            }
            if byte == 0x0A { line += 1 }
            index += length
        }
        return (bytes.endIndex, line)
    }

    static func normalisingLineEnds(_ text: String) -> String {
        guard text.utf8.contains(0x0D) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0D {
                bytes.append(0x0A)
                previousWasCR = true
                continue
            }
            if byte == 0x0A && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A NUL byte, or more than a few control characters, means the file is not text.
    private static func rejectBinary(_ text: String, file: String) throws(FormatError) {
        var line = 1
        var controls = 0
        var firstControlLine = 0
        var total = 0
        for scalar in text.unicodeScalars {
            total += 1
            switch scalar.value {
            case 0x0A: line += 1
            case 0x00:
                throw FormatError(
                    .binaryData, file: file, line: line, "binary data (a NUL byte); expected a text transcript")
            case 0x01...0x08, 0x0E...0x1F, 0x7F, 0xFFFD:
                controls += 1
                if firstControlLine == 0 { firstControlLine = line }
            default: break
            }
        }
        if controls > 8 && controls * 100 > total {
            throw FormatError(
                .binaryData, file: file, line: firstControlLine,
                "binary data (\(controls) control or replacement characters); expected a text transcript"
            )
        }
    }
}
