/// The pre-submission edits clearinghouses reject claims for (DOMAIN.md 2.6, 2.7), as plain checks.
public enum ClaimChecks {
    /// An NPI: 10 digits, first 1 or 2, Luhn check digit over `80840` and the first nine (DOMAIN.md 2.7).
    public static func isValidNPI(_ npi: String) -> Bool {
        let bytes = Array(npi.utf8)
        guard bytes.count == 10, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), bytes[0] == 0x31 || bytes[0] == 0x32
        else { return false }
        var sum = 0
        // 80840 then the NPI; from the right, every second digit (not the check digit) is doubled.
        for (position, byte) in (Array("80840".utf8) + bytes).reversed().enumerated() {
            var digit = Int(byte - 0x30)
            if position % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// An ICD-10-CM code's shape: a letter, a digit, a digit or letter, then up to four more characters
    /// after an optional decimal point. (Whether the code exists is the code file's business.)
    public static func isWellFormedDiagnosis(_ code: String) -> Bool {
        let compact = self.compactDiagnosis(code)
        let bytes = Array(compact.utf8)
        guard (3...7).contains(bytes.count) else { return false }
        func isLetter(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        guard isLetter(bytes[0]), bytes[0] != 0x55, isDigit(bytes[1]), isDigit(bytes[2]) || isLetter(bytes[2]) else {
            return false
        }
        let dots = code.utf8.filter { $0 == 0x2E }.count
        if dots > 1 { return false }
        if dots == 1, code.utf8.firstIndex(of: 0x2E) != code.utf8.index(code.utf8.startIndex, offsetBy: 3) {
            return false
        }
        return bytes[3...].allSatisfy { isLetter($0) || isDigit($0) }
    }

    /// The code as X12 carries it: upper case, no decimal point (`F33.1` → `F331`).
    public static func compactDiagnosis(_ code: String) -> String {
        String(String.UnicodeScalarView(code.uppercased().unicodeScalars.filter { $0 != "." && $0 != " " }))
    }

    /// The code as charts write it: upper case with the decimal point after the category (`F331` → `F33.1`).
    public static func displayDiagnosis(_ code: String) -> String {
        let compact = self.compactDiagnosis(code)
        guard compact.count > 3 else { return compact }
        return String(compact.prefix(3)) + "." + String(compact.dropFirst(3))
    }

    /// A sequela code (7th character `S`) cannot be the principal diagnosis.
    public static func isSequela(_ code: String) -> Bool {
        let compact = self.compactDiagnosis(code)
        return compact.count == 7 && compact.hasSuffix("S")
    }

    /// An employer identification number or SSN: nine digits once dashes are removed.
    public static func taxIdDigits(_ taxId: String) -> String? {
        let digits = taxId.filter { $0 != "-" && $0 != " " }
        return digits.count == 9 && digits.allSatisfy(\.isASCIIDigit) ? digits : nil
    }

    /// A taxonomy code: ten letters or digits ending in `X`.
    public static func isValidTaxonomy(_ code: String) -> Bool {
        code.count == 10 && code.hasSuffix("X") && code.allSatisfy { $0.isASCIIDigit || ($0.isASCII && $0.isLetter) }
    }

    /// A US telephone number: ten digits; area and exchange codes do not start with 0 or 1.
    public static func isValidPhone(_ phone: String) -> Bool {
        let digits = Array(phone.filter(\.isASCIIDigit).utf8)
        return digits.count == 10 && digits[0] > 0x31 && digits[3] > 0x31
    }

    /// A US postal code as claims carry it: 5 or 9 digits once the dash is removed.
    public static func postalDigits(_ code: String) -> String? {
        let digits = code.filter { $0 != "-" && $0 != " " }
        return (digits.count == 5 || digits.count == 9) && digits.allSatisfy(\.isASCIIDigit) ? digits : nil
    }

    /// X12 SBR09 claim filing indicator codes (005010X222A1).
    public static let claimFilingIndicators: Set<String> = [
        "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB", "MC",
        "OF", "TV", "VA", "WC", "ZZ",
    ]

    /// CMS place-of-service codes are two digits.
    public static func isWellFormedPlaceOfService(_ code: String) -> Bool {
        code.count == 2 && code.allSatisfy(\.isASCIIDigit)
    }
}

extension Character {
    var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}
