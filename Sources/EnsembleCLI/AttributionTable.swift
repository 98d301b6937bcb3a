import EnsembleCore
import EnsembleFormats

/// The human-readable attribution: labels, people and findings, for the clinician's terminal.
enum AttributionTable {
    static func render(_ attributed: AttributedSession, files: [String], explain: Bool) -> String {
        let session = attributed.session
        let roster = attributed.roster
        let attribution = attributed.attribution
        let transcript = attributed.segmented.transcript
        func name(_ id: PersonID) -> String {
            guard let person = roster.person(id) else { return id.rawValue }
            return "\(person.name) (\(id))"
        }
        let present = session.attendees.filter(\.present).count
        var lines: [String] = []
        lines.append(
            "Session \(session.id) · \(session.kind.rawValue) · \(session.start.description.prefix(16).replacingT()) · "
                + "\(session.durationMinutes) min · \(session.clinicians.count) clinician(s), \(present) of \(session.attendees.count) attendees present"
        )
        lines.append(
            "Transcript \(files.joined(separator: ", ")) (\(transcript.format)) · \(transcript.utterances.count) utterances · "
                + "\(attributed.segmented.sentenceCount) sentences · " + (transcript.hasTimes ? "timed" : "untimed")
        )
        lines.append("")

        // Speakers
        // A label bound in spans shows where each later span starts.
        func shown(_ speaker: SpeakerAssignment) -> String {
            speaker.label + (speaker.fromUtterance.map { " from \($0)" } ?? "")
        }
        let labelWidth = min(28, max(14, (attribution.speakers.map { shown($0).count }.max() ?? 0) + 2))
        let personWidth = 36
        lines.append(
            Text.pad("Speaker label", labelWidth) + Text.pad("Person", personWidth) + Text.padLeft("Confidence", 11)
                + Text.padLeft("Utterances", 12)
        )
        for speaker in attribution.speakers {
            let who: String
            if speaker.isShared {
                who = "shared: " + speaker.sharedBy.map(\.rawValue).joined(separator: ", ")
            } else if let person = speaker.person {
                who = name(person)
            } else if let guess = speaker.bestGuess {
                who = "unknown (best guess \(guess))"
            } else {
                who = "unknown"
            }
            lines.append(
                Text.pad(Text.truncate(shown(speaker), labelWidth - 2), labelWidth)
                    + Text.pad(Text.truncate(who, personWidth - 2), personWidth)
                    + Text.padLeft(Text.decimal(speaker.confidence), 11)
                    + Text.padLeft(String(speaker.utteranceCount), 12)
            )
            if explain {
                for signal in speaker.signals.prefix(5) {
                    let evidence =
                        signal.evidence.isEmpty
                        ? "" : " (utterances \(signal.evidence.prefix(5).map(String.init).joined(separator: ", ")))"
                    lines.append(
                        "    + \(signal.kind.rawValue) ×\(signal.count) → \(Text.decimal(signal.score))\(evidence)")
                }
            }
        }
        lines.append("")

        // People
        let estimated = !transcript.hasTimes
        lines.append(
            Text.pad("Person", personWidth + 2) + Text.pad("Role", 22) + Text.padLeft("Utterances", 11)
                + Text.padLeft("Words", 8)
                + Text.padLeft(estimated ? "Talk (est.)" : "Talk", 12) + Text.padLeft("Share", 8)
        )
        let totalWords = max(1, attribution.talk.reduce(0) { $0 + $1.words })
        for talk in attribution.talk {
            let role: String
            switch roster.person(talk.person)?.kind {
            case .clinician(let clinicianRole): role = "clinician/\(clinicianRole.rawValue)"
            case .attendee(let attendeeRole):
                let relationship = roster.person(talk.person)?.relationship.map { " (\($0))" } ?? ""
                role = attendeeRole.rawValue + relationship
            case nil: role = ""
            }
            lines.append(
                Text.pad(Text.truncate(name(talk.person), personWidth), personWidth + 2)
                    + Text.pad(Text.truncate(role, 21), 22)
                    + Text.padLeft(String(talk.utterances), 11) + Text.padLeft(String(talk.words), 8)
                    + Text.padLeft(Text.clock(talk.seconds), 12)
                    + Text.padLeft(Text.percent(Double(talk.words) / Double(totalWords)), 8)
            )
        }
        for attendee in session.attendees where !attendee.present {
            lines.append(
                Text.pad(Text.truncate(name(attendee.id), personWidth), personWidth + 2)
                    + Text.pad(attendee.role.rawValue, 22) + "absent")
        }
        let unknown = attribution.unknownUtterances
        if !unknown.isEmpty {
            let preview =
                unknown.prefix(12).map(String.init).joined(separator: ", ") + (unknown.count > 12 ? ", …" : "")
            lines.append(
                Text.pad("unknown", personWidth + 2) + Text.pad("", 22) + Text.padLeft(String(unknown.count), 11)
                    + "   utterances \(preview)")
        }
        lines.append("")

        // Segments
        if !attributed.segmented.segments.isEmpty {
            let parts = attributed.segmented.segments.map {
                "\($0.kind) \($0.utterances.lowerBound)–\($0.utterances.upperBound)"
            }
            lines.append("Segments: " + parts.joined(separator: " · "))
            lines.append("")
        }

        // Findings
        if attribution.findings.isEmpty {
            lines.append("Findings: none")
        } else {
            lines.append("Findings:")
            for finding in attribution.findings.sorted(by: { $0.severity > $1.severity }) {
                let subject = finding.label.map { "[\($0)] " } ?? finding.person.map { "[\($0)] " } ?? ""
                lines.append(
                    "  \(Text.pad(finding.severity.rawValue, 8)) \(Text.pad(finding.code.rawValue, 27)) \(subject)\(finding.message)"
                )
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension AttributionScore {
    func render(directory: String) -> String {
        var lines = [
            "\(directory): \(self.correct)/\(self.total) utterances correct (\(Text.percent(self.accuracy))), "
                + "\(self.wrong) wrong, \(self.unknown) left unknown; precision \(Text.percent(self.precision))"
                + (self.givenToAbsent > 0 ? "; \(self.givenToAbsent) given to ABSENT attendees" : "")
        ]
        for label in self.labels {
            let expected: String
            switch label.expected {
            case .none: expected = "(not in expected.json)"
            case .some(.none): expected = "unknown"
            case .some(.some(let person)): expected = person.rawValue
            }
            let got =
                label.sharedBy.isEmpty
                ? (label.got?.rawValue ?? "unknown") : "shared " + label.sharedBy.map(\.rawValue).joined(separator: "+")
            let mark =
                label.expected == .some(label.got) || (!label.sharedBy.isEmpty && label.expected == .some(nil))
                ? "ok " : "-- "
            lines.append(
                "  \(mark)\(Text.pad(label.label, 26)) expected \(Text.pad(expected, 12)) got \(got) (\(Text.decimal(label.confidence)))"
            )
        }
        if !self.mismatches.isEmpty {
            let listed = self.mismatches.prefix(15).map {
                "\($0.index): \($0.expected?.rawValue ?? "unknown")→\($0.got?.rawValue ?? "unknown")"
            }
            lines.append("  mismatches: " + listed.joined(separator: ", ") + (self.mismatches.count > 15 ? ", …" : ""))
        }
        return lines.joined(separator: "\n")
    }
}

extension Substring {
    fileprivate func replacingT() -> String { String(self.map { $0 == "T" ? " " : $0 }) }
}
