import EnsembleCore

/// Clock times as transcripts write them: `01:02:03.456`, `1:2:3.4` (Teams), `02:03,45` (SRT),
/// `00:01:39` (no fraction) and `[00:01:02]`.
enum TimeCode {
    /// Seconds, or nil when the text is not a time code. A fraction of any length is decimal
    /// (`,04` is 40 ms), as subtitle tools write it.
    static func seconds(_ text: Substring) -> Double? {
        var fields: [Substring] = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(fields.count) else { return nil }
        var fraction = 0.0
        let last = fields[fields.count - 1]
        if let separator = last.firstIndex(where: { $0 == "." || $0 == "," }) {
            let digits = last[last.index(after: separator)...]
            guard !digits.isEmpty, digits.count <= 9, let value = Digits.parse(digits.utf8) else { return nil }
            var scale = 1.0
            for _ in 0..<digits.count { scale *= 10 }
            fraction = Double(value) / scale
            fields[fields.count - 1] = last[..<separator]
        }
        var total = 0
        for (offset, field) in fields.enumerated() {
            guard !field.isEmpty, field.count <= 3, let value = Digits.parse(field.utf8) else { return nil }
            // Minutes and seconds after the first field must be clock values.
            if offset > 0 && value > 59 { return nil }
            total = total * 60 + value
        }
        return Double(total) + fraction
    }

    /// `hh:mm:ss.mmm` for reports.
    static func format(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let secs = milliseconds / 1000 % 60
        return Digits.padded(hours, 2) + ":" + Digits.padded(minutes, 2) + ":" + Digits.padded(secs, 2) + "."
            + Digits.padded(milliseconds % 1000, 3)
    }
}

/// An utterance as a reader finds it, before numbering.
struct RawUtterance: Sendable {
    var label: String?
    var text: String
    var start: Double?
    var end: Double?
    var line: Int

    init(label: String?, text: String, start: Double? = nil, end: Double? = nil, line: Int) {
        self.label = label
        self.text = text
        self.start = start
        self.end = end
        self.line = line
    }
}

extension Transcript {
    /// Numbers raw utterances in order; the numbering is the contract every later stage relies on.
    init(format: String, origin: TranscriptOrigin = .recording, raw: [RawUtterance]) {
        self.init(
            format: format, origin: origin,
            utterances: raw.enumerated().map { index, item in
                Utterance(
                    index: index, label: item.label, text: item.text, start: item.start, end: item.end, line: item.line)
            }
        )
    }
}

extension Substring {
    var trimmed: Substring {
        guard let start = self.firstIndex(where: { !$0.isWhitespace }) else { return self[self.endIndex...] }
        let end = self.lastIndex(where: { !$0.isWhitespace })!
        return self[start...end]
    }
}

extension String {
    var trimmed: String { String(Substring(self).trimmed) }
}
