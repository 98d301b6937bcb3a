/// Cleans caption payloads and finds the speaker a cue names.
enum CueText {
    /// The cue's label and text: a `<v Name>` voice tag, a `Name:` prefix, or a label on a line of
    /// its own (`MAN:`); tags and character references are removed from the text.
    static func speakerAndText(_ lines: [Substring]) -> (label: String?, text: String) {
        var label: String? = nil
        var cleaned: [String] = []
        for line in lines {
            if label == nil, let voice = self.voice(in: line) { label = voice }
            let text = self.decodeEntities(self.stripTags(line)).trimmed
            cleaned.append(text)
        }
        while let first = cleaned.first, first.isEmpty { cleaned.removeFirst() }
        if label == nil, let first = cleaned.first {
            var candidate = Substring(first)
            if candidate.hasPrefix(">>") { candidate = candidate.dropFirst(2).trimmed }
            if let (prefix, rest) = SpeakerLabel.split(candidate) {
                if rest.isEmpty && cleaned.count > 1 {
                    label = prefix
                    cleaned.removeFirst()
                } else if !rest.isEmpty {
                    label = prefix
                    cleaned[0] = String(rest)
                }
            }
        }
        return (label, self.join(cleaned.filter { !$0.isEmpty }))
    }

    /// Cues whose text opens with a plausible label the file uses more than once (`dana's ipad: …`):
    /// the prefix is their label, as in the plain-text reader (labels recur; prose does not).
    static func recoverRecurringLabels(_ raw: inout [RawUtterance]) {
        var counts: [Substring: Int] = [:]
        for cue in raw where cue.label == nil {
            if let (candidate, _) = SpeakerLabel.candidate(Substring(cue.text)),
                SpeakerLabel.shape(candidate) == .plausible
            {
                counts[candidate, default: 0] += 1
            }
        }
        let recurring = Set(counts.filter { $0.value >= 2 }.keys)
        guard !recurring.isEmpty else { return }
        for index in raw.indices where raw[index].label == nil {
            if let (label, rest) = SpeakerLabel.split(Substring(raw[index].text), recurring: recurring) {
                raw[index].label = label
                raw[index].text = String(rest)
            }
        }
    }

    /// Joins wrapped caption lines with spaces, but keeps `- ` dialogue lines (two voices in one cue) apart.
    static func join(_ lines: [String]) -> String {
        var text = ""
        for line in lines {
            if text.isEmpty {
                text = line
            } else if line.hasPrefix("- ") || line.hasPrefix("-") && text.hasPrefix("-") {
                text += "\n" + line
            } else {
                text += " " + line
            }
        }
        return text
    }

    /// The name in the first `<v Name>` or `<v.class Name>` tag of a line.
    static func voice(in line: Substring) -> String? {
        var search = line.startIndex
        var found: Substring.Index? = nil
        while let angle = line[search...].firstIndex(of: "<") {
            let next = line.index(after: angle)
            if next < line.endIndex, line[next] == "v" {
                found = line.index(after: next)
                break
            }
            search = next
        }
        guard var cursor = found else { return nil }
        guard cursor < line.endIndex, line[cursor] == " " || line[cursor] == "." || line[cursor] == "\t" else {
            return nil
        }
        if line[cursor] == "." {
            // Skip the classes.
            while cursor < line.endIndex, line[cursor] != " ", line[cursor] != "\t", line[cursor] != ">" {
                cursor = line.index(after: cursor)
            }
        }
        guard let close = line[cursor...].firstIndex(of: ">") else { return nil }
        let name = line[cursor..<close].trimmed
        return name.isEmpty ? nil : String(name)
    }

    /// Removes `<…>` tags (voice, class, bold, inline timestamps); keeps their contents.
    static func stripTags(_ line: Substring) -> String {
        guard line.contains("<") else { return String(line) }
        var result = ""
        var depth = false
        for character in line {
            if character == "<" {
                depth = true
            } else if character == ">" && depth {
                depth = false
            } else if !depth {
                result.append(character)
            }
        }
        return result
    }

    /// Decodes the HTML character references captions use (`&amp;`, `&nbsp;`, `&#39;`).
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "&", let semicolon = text[index...].prefix(12).firstIndex(of: ";") {
                let name = text[text.index(after: index)..<semicolon]
                if let decoded = self.entity(name) {
                    result += decoded
                    index = text.index(after: semicolon)
                    continue
                }
            }
            result.append(character)
            index = text.index(after: index)
        }
        return result
    }

    private static func entity(_ name: Substring) -> String? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        case "nbsp": return " "
        case "lrm", "rlm": return ""
        default:
            if name.hasPrefix("#x") || name.hasPrefix("#X"), let value = UInt32(name.dropFirst(2), radix: 16),
                let scalar = Unicode.Scalar(value)
            {
                return String(Character(scalar))
            }
            if name.hasPrefix("#"), let value = UInt32(name.dropFirst()), let scalar = Unicode.Scalar(value) {
                return String(Character(scalar))
            }
            return nil
        }
    }
}
