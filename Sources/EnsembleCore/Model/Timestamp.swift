/// A calendar date without a time zone (`2026-05-12`), as used for dates of birth and measure dates.
public struct CalendarDate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Returns nil unless the three numbers form a real Gregorian date.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; returns nil for anything else.
    public init?(iso8601 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Digits.parse(bytes[0..<4]), let month = Digits.parse(bytes[5..<7]),
            let day = Digits.parse(bytes[8..<10])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        Digits.padded(self.year, 4) + "-" + Digits.padded(self.month, 2) + "-" + Digits.padded(self.day, 2)
    }

    /// Days since 1970-01-01 (negative before it), by Howard Hinnant's civil-from-days algorithm.
    public var daysSinceEpoch: Int {
        let y = self.month <= 2 ? self.year - 1 : self.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = (self.month + 9) % 12
        let dayOfYear = (153 * monthIndex + 2) / 5 + self.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Whole years from `self` (a birth date) to `date`.
    public func age(on date: CalendarDate) -> Int {
        var years = date.year - self.year
        if (date.month, date.day) < (self.month, self.day) { years -= 1 }
        return years
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// An instant with the UTC offset it was written in (`2026-05-12T17:00:00-05:00`).
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let secondsSinceEpoch: Double
    /// The offset from UTC the text was written in, in seconds; kept so output can use local time.
    public let utcOffsetSeconds: Int

    public init(secondsSinceEpoch: Double, utcOffsetSeconds: Int) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// Parses an ISO 8601 date-time with seconds and an explicit offset (`Z` or `±HH:MM`);
    /// fractional seconds are allowed. Returns nil for anything else, including a missing offset,
    /// because a local time without a zone cannot be placed on a claim.
    public init?(iso8601 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            let date = CalendarDate(iso8601: String(decoding: bytes[0..<10], as: UTF8.self)),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = Digits.parse(bytes[11..<13]), let minute = Digits.parse(bytes[14..<16]),
            let second = Digits.parse(bytes[17..<19]), hour < 24, minute < 60, second < 61
        else { return nil }
        var cursor = 19
        var fraction = 0.0
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") || bytes[cursor] == UInt8(ascii: ",") {
            cursor += 1
            var scale = 0.1
            let digitsStart = cursor
            while cursor < bytes.count, let digit = Digits.value(bytes[cursor]) {
                fraction += Double(digit) * scale
                scale /= 10
                cursor += 1
            }
            guard cursor > digitsStart else { return nil }
        }
        guard cursor < bytes.count else { return nil }
        let offset: Int
        if bytes[cursor] == UInt8(ascii: "Z") || bytes[cursor] == UInt8(ascii: "z") {
            guard cursor + 1 == bytes.count else { return nil }
            offset = 0
        } else {
            let sign: Int
            switch bytes[cursor] {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            default: return nil
            }
            let rest = bytes[(cursor + 1)...]
            let hours: Int?
            let minutes: Int?
            if rest.count == 5, rest[rest.startIndex + 2] == UInt8(ascii: ":") {
                hours = Digits.parse(rest.prefix(2))
                minutes = Digits.parse(rest.suffix(2))
            } else if rest.count == 4 {
                hours = Digits.parse(rest.prefix(2))
                minutes = Digits.parse(rest.suffix(2))
            } else {
                return nil
            }
            guard let hours, let minutes, hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        let local = Double(date.daysSinceEpoch) * 86_400 + Double(hour * 3600 + minute * 60 + second) + fraction
        self.init(secondsSinceEpoch: local - Double(offset), utcOffsetSeconds: offset)
    }

    /// The calendar date in the timestamp's own offset.
    public var localDate: CalendarDate {
        let local = Int((self.secondsSinceEpoch + Double(self.utcOffsetSeconds)).rounded(.down))
        var days = local / 86_400
        if local % 86_400 < 0 { days -= 1 }
        return CalendarDate.fromDaysSinceEpoch(days)
    }

    /// `YYYY-MM-DDTHH:MM:SS±HH:MM` in the timestamp's own offset.
    public var description: String {
        let local = Int((self.secondsSinceEpoch + Double(self.utcOffsetSeconds)).rounded(.down))
        var secondsOfDay = local % 86_400
        if secondsOfDay < 0 { secondsOfDay += 86_400 }
        let time =
            Digits.padded(secondsOfDay / 3600, 2) + ":" + Digits.padded(secondsOfDay % 3600 / 60, 2) + ":"
            + Digits.padded(secondsOfDay % 60, 2)
        let offset: String
        if self.utcOffsetSeconds == 0 {
            offset = "Z"
        } else {
            let magnitude = abs(self.utcOffsetSeconds)
            offset =
                (self.utcOffsetSeconds < 0 ? "-" : "+") + Digits.padded(magnitude / 3600, 2) + ":"
                + Digits.padded(magnitude % 3600 / 60, 2)
        }
        return self.localDate.description + "T" + time + offset
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    public static func - (lhs: Self, rhs: Self) -> Double { lhs.secondsSinceEpoch - rhs.secondsSinceEpoch }
}

extension CalendarDate {
    static func fromDaysSinceEpoch(_ days: Int) -> CalendarDate {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // The arithmetic above always yields a valid date.
        return CalendarDate(year: year, month: month, day: day)!
    }
}

/// Small helpers for fixed-width decimal fields; shared by the date and time-code parsers.
public enum Digits {
    @inlinable
    public static func value(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// Parses a run of ASCII digits (no sign); nil when empty or when any byte is not a digit.
    public static func parse(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var result = 0
        for byte in bytes {
            guard let digit = value(byte) else { return nil }
            result = result * 10 + digit
        }
        return result
    }

    /// `value` in decimal, left-padded with zeros to `width`.
    public static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
