/// Case and accent folding for matching names and phrases: `María O’Neil` → `maria o'neil`.
///
/// Latin letters with diacritics fold to their base letter through a fixed table, because the
/// standard library has no public decomposition and the core does not import Foundation.
public enum TextFolding {
    /// Lower-cases, strips Latin diacritics and normalises apostrophes and dashes.
    public static func fold(_ text: some StringProtocol) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            appendFolded(scalar, to: &result)
        }
        return String(result)
    }

    /// Appends the folded form of one scalar.
    @inlinable
    public static func appendFolded(_ scalar: Unicode.Scalar, to result: inout String.UnicodeScalarView) {
        let value = scalar.value
        if value < 0x80 {
            if value >= 0x41 && value <= 0x5A {
                result.append(Unicode.Scalar(UInt8(value + 0x20)))
            } else {
                result.append(scalar)
            }
            return
        }
        if let folded = latinFold(value) {
            result.append(contentsOf: folded.unicodeScalars)
            return
        }
        switch value {
        case 0x2018, 0x2019, 0x02BC, 0x2032, 0x0060, 0x00B4: result.append("'")
        case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212: result.append("-")
        case 0x201C, 0x201D, 0x201E: result.append("\"")
        case 0x00A0, 0x2007, 0x202F: result.append(" ")
        default:
            for lower in scalar.properties.lowercaseMapping.unicodeScalars { result.append(lower) }
        }
    }

    /// The ASCII base of a Latin-1 or Latin Extended-A letter, lower-cased; nil for anything else.
    @usableFromInline
    static func latinFold(_ value: UInt32) -> String? {
        switch value {
        case 0xC0...0xC5, 0xE0...0xE5, 0x100...0x105: return "a"
        case 0xC6, 0xE6: return "ae"
        case 0xC7, 0xE7, 0x106...0x10D: return "c"
        case 0x10E...0x111, 0xD0, 0xF0: return "d"
        case 0xC8...0xCB, 0xE8...0xEB, 0x112...0x11B: return "e"
        case 0x11C...0x123: return "g"
        case 0x124...0x127: return "h"
        case 0xCC...0xCF, 0xEC...0xEF, 0x128...0x131: return "i"
        case 0x134, 0x135: return "j"
        case 0x136...0x138: return "k"
        case 0x139...0x142: return "l"
        case 0xD1, 0xF1, 0x143...0x14B: return "n"
        case 0xD2...0xD6, 0xD8, 0xF2...0xF6, 0xF8, 0x14C...0x151: return "o"
        case 0x152, 0x153: return "oe"
        case 0x154...0x159: return "r"
        case 0x15A...0x161, 0xDF: return value == 0xDF ? "ss" : "s"
        case 0x162...0x167: return "t"
        case 0xD9...0xDC, 0xF9...0xFC, 0x168...0x173: return "u"
        case 0x174, 0x175: return "w"
        case 0xDD, 0xFD, 0xFF, 0x176...0x178: return "y"
        case 0x179...0x17E: return "z"
        default: return nil
        }
    }
}

extension UInt8 {
    /// `A`–`Z` or `a`–`z`.
    @inline(__always)
    var isASCIILetter: Bool { (self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "z") }
}
