import EnsembleCore
import Foundation

extension Store {
    /// Acceptance per section, and over signed notes: edits between the first draft and the signed
    /// version (word-level edit distance), notes signed with no edit at all (over-reliance), and time
    /// from the first draft to the signature; overall and per signing clinician.
    public func metrics(as userID: String) throws -> GovernanceMetrics {
        try self.authorize(userID, .viewMetrics)
        var acceptance: [String: (accepted: Int, rejected: Int)] = [:]
        let reviews = try self.connection.prepare(
            "SELECT section, decision, count(*) FROM section_reviews GROUP BY section, decision"
        ).rows { ($0.text(0), $0.text(1), $0.int(2)) }
        for (section, decision, count) in reviews {
            var entry = acceptance[section] ?? (0, 0)
            if decision == SectionDecision.accepted.rawValue {
                entry.accepted += count
            } else {
                entry.rejected += count
            }
            acceptance[section] = entry
        }
        let signed = try self.connection.prepare(
            """
            SELECT n.id, s.user_id, s.version, s.created FROM notes n JOIN signatures s ON s.note_id = n.id AND s.kind = 'author'
            WHERE n.state = 'signed' ORDER BY n.id
            """
        ).rows { (note: $0.int(0), signer: $0.text(1), version: $0.int(2), at: $0.text(3)) }
        var overall = Accumulator()
        var byClinician: [String: Accumulator] = [:]
        for entry in signed {
            let first = try self.version(note: entry.note, 1)
            let final = try self.version(note: entry.note, entry.version)
            let edits =
                try self.connection.prepare(
                    "SELECT count(*) FROM note_versions WHERE note_id = ?1 AND origin = 'edit' AND version <= ?2"
                ).row([.int(entry.note), .int(entry.version)]) { $0.int(0) } ?? 0
            let drafted = try self.connection.prepare(
                "SELECT created FROM note_versions WHERE note_id = ?1 AND version = 1"
            ).row([.int(entry.note)]) { $0.text(0) }
            var seconds = 0.0
            if let start = drafted.flatMap(Self.date), let end = Self.date(entry.at) {
                seconds = end.timeIntervalSince(start)
            }
            let distance = EditDistance.words(Self.words(first.sections), Self.words(final.sections))
            overall.add(distance: distance, edited: edits > 0, seconds: seconds)
            byClinician[entry.signer, default: Accumulator()].add(
                distance: distance, edited: edits > 0, seconds: seconds)
        }
        return GovernanceMetrics(
            acceptance: acceptance, overall: overall.figures, byClinician: byClinician.mapValues(\.figures))
    }

    private static func words(_ sections: [NoteSection]) -> [String] {
        sections.flatMap { $0.sentences.flatMap { $0.text.split(whereSeparator: \.isWhitespace).map(String.init) } }
    }

    private struct Accumulator {
        var notes = 0
        var unedited = 0
        var distance = 0
        var seconds = 0.0

        mutating func add(distance: Int, edited: Bool, seconds: Double) {
            self.notes += 1
            self.unedited += edited ? 0 : 1
            self.distance += distance
            self.seconds += seconds
        }

        var figures: GovernanceMetrics.Figures {
            var figures = GovernanceMetrics.Figures()
            figures.signedNotes = self.notes
            figures.signedWithoutEdits = self.unedited
            figures.meanEditDistance = self.notes == 0 ? 0 : Double(self.distance) / Double(self.notes)
            figures.meanSecondsToSignature = self.notes == 0 ? 0 : self.seconds / Double(self.notes)
            return figures
        }
    }
}
