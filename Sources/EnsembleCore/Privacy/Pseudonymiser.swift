/// Replaces identifiers in text bound for a language model with stable tokens, and puts them back in
/// the reply, so the model never sees who anyone is (HIPAA Safe Harbor identifiers, DOMAIN.md 4.4).
///
/// - Roster people: every attendee is `[CLIENT_n]` and every clinician `[CLINICIAN_n]` (n is their
///   place on the roster). Full names, aliases, and first or family names that belong to one person
///   all map to that person's token. A family name several people share becomes `[SURNAME_n]`.
/// - Values the session holds about people: member, group, client and provider ids, NPIs and tax ids
///   become `[ID_n]`; streets, cities and postal codes become `[ADDRESS_n]`, `[CITY_n]`, `[ZIP_n]`.
/// - Patterns found in the text: e-mail addresses, web addresses, IP addresses, phone numbers, Social
///   Security numbers, dates (every form but a lone year, which Safe Harbor allows), street addresses,
///   ZIP codes and other long codes with digits.
///
/// The same text always gets the same token within one pseudonymiser, so a reply's tokens map back.
/// Matching is case-insensitive on whole words; `Sofia's` keeps its `'s`.
public struct Pseudonymiser: Sendable {
    /// A token and the text it stands for (a person's token stands for their name).
    private var originals: [String: String] = [:]
    private var tokens: [String: String] = [:]
    private var counters: [String: Int] = [:]
    /// Name word sequences (folded) → token, longest first when matched.
    private var names: [(words: [String], token: String)] = []
    /// Literal values (ids, cities, streets) folded → kind.
    private var literals: [(text: String, kind: String)] = []

    public init(session: Session) {
        var people: [(name: String, aliases: [String], token: String)] = []
        for (index, attendee) in session.attendees.enumerated() {
            people.append((attendee.name, attendee.aliases, "[CLIENT_\(index + 1)]"))
        }
        for (index, clinician) in session.clinicians.enumerated() {
            people.append((clinician.name, [], "[CLINICIAN_\(index + 1)]"))
        }
        for person in people {
            self.originals[person.token] = person.name
        }
        // Which single name words belong to one person only.
        var owners: [String: Set<String>] = [:]
        for person in people {
            for word in Self.words(person.name) { owners[word, default: []].insert(person.token) }
        }
        var surnames: [String: String] = [:]
        for person in people {
            let words = Self.words(person.name).filter { !Self.titles.contains($0) }
            if words.count > 1 { self.names.append((words, person.token)) }
            for alias in person.aliases where !Self.words(alias).isEmpty {
                self.names.append((Self.words(alias), person.token))
            }
            for word in words where word.count > 1 {
                if owners[word]?.count == 1 {
                    self.names.append(([word], person.token))
                } else if surnames[word] == nil {
                    let token = "[SURNAME_\(surnames.count + 1)]"
                    surnames[word] = token
                    self.originals[token] = word.prefix(1).uppercased() + word.dropFirst()
                    self.names.append(([word], token))
                }
            }
        }
        self.names.sort { $0.words.count > $1.words.count }
        var literals: [(String?, String)] = []
        for attendee in session.attendees {
            literals.append((attendee.id.rawValue, "ID"))
            literals += [
                (attendee.coverage?.memberId, "ID"), (attendee.coverage?.groupNumber, "ID"),
                (attendee.address?.line1, "ADDRESS"), (attendee.address?.line2, "ADDRESS"),
                (attendee.address?.city, "CITY"), (attendee.address?.postalCode, "ZIP"),
                (attendee.coverage?.subscriber?.name, "NAME"),
            ]
        }
        for clinician in session.clinicians { literals += [(clinician.id.rawValue, "ID"), (clinician.npi, "ID")] }
        if let practice = session.practice {
            literals += [
                (practice.npi, "ID"), (practice.taxId, "ID"), (practice.address?.line1, "ADDRESS"),
                (practice.address?.city, "CITY"), (practice.address?.postalCode, "ZIP"), (practice.name, "NAME"),
            ]
        }
        self.literals = literals.compactMap { value, kind in
            guard let value, value.count >= 2 else { return nil }
            return (Self.fold(value), kind)
        }
        // Longest first, so a street line wins over the city inside it.
        self.literals.sort { $0.text.count > $1.text.count }
    }

    /// The text with every identifier replaced by its token.
    public mutating func pseudonymise(_ text: String) -> String {
        var found: [(range: Range<String.Index>, token: String)] = []
        func claim(_ range: Range<String.Index>) -> Bool { !found.contains { $0.range.overlaps(range) } }
        let folded = Self.fold(text)
        // Folding keeps every character's place only when no character changes length; else the text is
        // matched as it is, which still finds names written in plain letters.
        let source = folded.count == text.count ? folded : text.lowercased()
        let characters = Array(source)
        let indexes = Array(text.indices)
        func range(_ start: Int, _ end: Int) -> Range<String.Index> {
            indexes[start]..<(end < indexes.count ? indexes[end] : text.endIndex)
        }
        // Literals the session holds.
        for (literal, kind) in self.literals {
            let target = Array(literal)
            var start = 0
            while start + target.count <= characters.count {
                if Array(characters[start..<(start + target.count)]) == target,
                    Self.boundary(characters, start - 1), Self.boundary(characters, start + target.count)
                {
                    let span = range(start, start + target.count)
                    if claim(span) {
                        found.append(
                            (
                                span,
                                kind == "NAME"
                                    ? self.token("NAME", for: String(text[span]))
                                    : self.token(kind, for: String(text[span]))
                            ))
                    }
                    start += target.count
                } else {
                    start += 1
                }
            }
        }
        // Patterns.
        for (start, end, kind) in PatternScanner.scan(characters) {
            let span = range(start, end)
            if claim(span) { found.append((span, self.token(kind, for: String(text[span])))) }
        }
        // Names, longest sequences first.
        let words = Self.wordSpans(characters)
        for (sequence, token) in self.names {
            guard sequence.count <= words.count else { continue }
            for first in 0...(words.count - sequence.count) {
                let matches = (0..<sequence.count).allSatisfy { offset in
                    let (start, end) = words[first + offset]
                    return String(characters[start..<end]) == sequence[offset]
                }
                guard matches else { continue }
                let span = range(words[first].start, words[first + sequence.count - 1].end)
                if claim(span) { found.append((span, token)) }
            }
        }
        var output = ""
        var cursor = text.startIndex
        for (span, token) in found.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            output += text[cursor..<span.lowerBound]
            output += token
            cursor = span.upperBound
        }
        output += text[cursor...]
        return output
    }

    /// The reply with every token this pseudonymiser issued put back; unknown bracketed text stays.
    public func reidentify(_ text: String) -> String {
        var output = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "[") {
            output += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "]") else { break }
            let token = String(rest[open...close])
            output += self.originals[token] ?? token
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return output
    }

    /// Every token issued so far and what it stands for (for tests and the audit of a request).
    public var issued: [String: String] { self.originals }

    private mutating func token(_ kind: String, for original: String) -> String {
        let key = kind + "\u{1F}" + Self.fold(original)
        if let token = self.tokens[key] { return token }
        let number = (self.counters[kind] ?? 0) + 1
        self.counters[kind] = number
        let token = "[\(kind)_\(number)]"
        self.tokens[key] = token
        self.originals[token] = original
        return token
    }

    static let titles: Set<String> = ["dr", "mr", "mrs", "ms", "mx", "prof"]

    static func fold(_ text: String) -> String { TextFolding.fold(text) }

    static func words(_ text: String) -> [String] {
        let characters = Array(Self.fold(text))
        return Self.wordSpans(characters).map { String(characters[$0.start..<$0.end]) }
    }

    /// Runs of letters (with inner apostrophes and hyphens), without a trailing `'s`.
    static func wordSpans(_ characters: [Character]) -> [(start: Int, end: Int)] {
        var spans: [(Int, Int)] = []
        var index = 0
        while index < characters.count {
            guard characters[index].isLetter else {
                index += 1
                continue
            }
            let start = index
            while index < characters.count
                && (characters[index].isLetter
                    || ((characters[index] == "'" || characters[index] == "’" || characters[index] == "-")
                        && index + 1 < characters.count && characters[index + 1].isLetter))
            {
                index += 1
            }
            var end = index
            if end - start > 2, characters[end - 1] == "s", characters[end - 2] == "'" || characters[end - 2] == "’" {
                end -= 2
            }
            spans.append((start, end))
        }
        return spans
    }

    static func boundary(_ characters: [Character], _ index: Int) -> Bool {
        index < 0 || index >= characters.count || !(characters[index].isLetter || characters[index].isNumber)
    }
}

/// Finds identifier-shaped runs in text: e-mail and web addresses, IP addresses, Social Security and
/// phone numbers, dates, street addresses, ZIP codes and long codes with digits. Each is
/// `(start, end, kind)` in character offsets, left to right, without overlaps.
enum PatternScanner {
    static let months: Set<String> = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    ]
    static let streetWords: Set<String> = [
        "street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "drive", "dr", "boulevard", "blvd", "court", "ct",
        "place", "pl", "way", "terrace", "parkway", "pkwy", "highway", "hwy",
    ]

    static func scan(_ text: [Character]) -> [(Int, Int, String)] {
        var found: [(Int, Int, String)] = []
        var index = 0
        while index < text.count {
            if let (end, kind) = self.match(text, at: index) {
                found.append((index, end, kind))
                index = end
            } else {
                index += 1
            }
        }
        return found
    }

    private static func match(_ text: [Character], at start: Int) -> (Int, String)? {
        // Only at the start of a token.
        if start > 0, text[start - 1].isLetter || text[start - 1].isNumber { return nil }
        var end = start
        while end < text.count, !text[end].isWhitespace { end += 1 }
        let chunk = String(text[start..<end])
        let trimmed = chunk.trimmingTrailingPunctuation
        let chunkEnd = start + trimmed.count
        if trimmed.contains("@"), trimmed.contains("."), trimmed.first != "@" { return (chunkEnd, "EMAIL") }
        let lower = trimmed.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("www.") {
            return (chunkEnd, "URL")
        }
        if Self.isIP(trimmed) { return (chunkEnd, "IP") }
        if let end = self.phoneOrSSN(text, at: start) { return end }
        if let end = self.date(text, at: start) { return (end, "DATE") }
        if let end = self.street(text, at: start) { return (end, "ADDRESS") }
        let digits = trimmed.filter(\.isNumber).count
        if digits == trimmed.count, digits == 5 { return (chunkEnd, "ZIP") }
        if trimmed.count == 10, trimmed.dropFirst(5).first == "-", trimmed.filter(\.isNumber).count == 9 {
            return (chunkEnd, "ZIP")
        }
        // Long codes mixing digits (member numbers, licence plates, serials): six or more characters,
        // at least three digits; plain numbers (counts, scores) under six digits stay.
        if trimmed.count >= 6, digits >= 3, trimmed.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
            digits < trimmed.count || digits >= 6
        {
            return (chunkEnd, "ID")
        }
        return nil
    }

    private static func isIP(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }
    }

    /// `(518) 555-0142`, `518-555-0142`, `518.555.0142`, `+1 518 555 0142`, `5185550142`; `123-45-6789`.
    private static func phoneOrSSN(_ text: [Character], at start: Int) -> (Int, String)? {
        var index = start
        var digits = 0
        var groups: [Int] = []
        var current = 0
        var end = start
        while index < text.count {
            let character = text[index]
            if character.isNumber {
                digits += 1
                current += 1
                index += 1
                end = index
            } else if "()-. +".contains(character), digits < 11 {
                if current > 0 {
                    groups.append(current)
                    current = 0
                }
                // A separator must be followed by more of the number.
                guard index + 1 < text.count,
                    text[index + 1].isNumber || text[index + 1] == "(" || text[index + 1] == " "
                else { break }
                if character == " " && !(index + 1 < text.count && (text[index + 1].isNumber || text[index + 1] == "("))
                {
                    break
                }
                index += 1
            } else {
                break
            }
        }
        if current > 0 { groups.append(current) }
        if groups == [3, 2, 4] { return (end, "SSN") }
        if digits == 10 || (digits == 11 && text[start] == "+") || (digits == 11 && groups.first == 1) {
            return groups.count == 1 || groups.count >= 3 ? (end, "PHONE") : nil
        }
        if digits == 7, groups == [3, 4] { return (end, "PHONE") }
        return nil
    }

    /// `2026-05-14`, `05/14/2026`, `5/14`, `14.05.2026`, `May 14`, `May 14th, 2026`, `14 May 2026`.
    private static func date(_ text: [Character], at start: Int) -> Int? {
        // Numeric: digit groups joined by one kind of separator.
        var index = start
        var groups: [Int] = []
        var current = 0
        var separator: Character?
        while index < text.count {
            if text[index].isNumber {
                current += 1
            } else if "-/.".contains(text[index]), current > 0, separator == nil || separator == text[index],
                index + 1 < text.count, text[index + 1].isNumber
            {
                separator = text[index]
                groups.append(current)
                current = 0
            } else {
                break
            }
            index += 1
        }
        if current > 0 { groups.append(current) }
        if separator != nil, separator != "." || groups.count == 3,
            groups == [4, 2, 2] || groups == [4, 1, 1] || groups == [4, 1, 2] || groups == [4, 2, 1]
                || (groups.count >= 2 && groups.count <= 3 && groups[0] <= 2 && groups[1] <= 2
                    && (groups.count == 2 || groups[2] == 2 || groups[2] == 4))
        {
            return index
        }
        // A month name with a day, or a day with a month name, and perhaps a year.
        let words = Pseudonymiser.wordSpans(Array(text[start...]))
        func word(_ n: Int) -> String? {
            n < words.count ? String(text[(start + words[n].start)..<(start + words[n].end)]).lowercased() : nil
        }
        func number(after position: Int) -> (value: Int, end: Int)? {
            var index = position
            while index < text.count, text[index] == " " || text[index] == "," { index += 1 }
            let begin = index
            while index < text.count, text[index].isNumber { index += 1 }
            guard index > begin, index - begin <= 4, let value = Int(String(text[begin..<index])) else { return nil }
            // Ordinal suffixes: 14th, 1st, 2nd, 3rd.
            if index + 1 < text.count,
                ["st", "nd", "rd", "th"].contains(String(text[index...(index + 1)]).lowercased())
            {
                index += 2
            }
            return (value, index)
        }
        if words.first?.start == 0, let month = word(0), Self.months.contains(month) {
            let monthEnd = start + words[0].end
            guard let day = number(after: monthEnd), day.value >= 1, day.value <= 31 else { return nil }
            if let year = number(after: day.end), year.value >= 1900, year.value <= 2100 { return year.end }
            return day.end
        }
        if text[start].isNumber, let day = number(after: start), day.value >= 1, day.value <= 31 {
            let after = Pseudonymiser.wordSpans(Array(text[day.end...]))
            guard let first = after.first, first.start <= 1 else { return nil }
            let month = String(text[(day.end + first.start)..<(day.end + first.end)]).lowercased()
            guard Self.months.contains(month), month != "may" || first.start == 1 else { return nil }
            let monthEnd = day.end + first.end
            if let year = number(after: monthEnd), year.value >= 1900, year.value <= 2100 { return year.end }
            return monthEnd
        }
        return nil
    }

    /// A house number, one to four words, and a street word: `12 Elm Street`, `400 N. Pearl St`.
    private static func street(_ text: [Character], at start: Int) -> Int? {
        var index = start
        while index < text.count, text[index].isNumber { index += 1 }
        guard index > start, index - start <= 6, index < text.count, text[index] == " " else { return nil }
        let words = Pseudonymiser.wordSpans(Array(text[index...]))
        for (offset, span) in words.prefix(5).enumerated() {
            let word = String(text[(index + span.start)..<(index + span.end)]).lowercased()
            if offset > 0, Self.streetWords.contains(word) {
                var end = index + span.end
                if end < text.count, text[end] == "." { end += 1 }
                return end
            }
            // The words must run on: only spaces, periods and commas between them.
            if offset + 1 < words.count {
                let gap = text[(index + span.end)..<(index + words[offset + 1].start)]
                if !gap.allSatisfy({ $0 == " " || $0 == "." }) { return nil }
            }
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingTrailingPunctuation: String {
        var text = self
        while let last = text.last, ".,;:!?)\"'".contains(last) { text.removeLast() }
        return text
    }
}
