import EnsembleCore
import EnsembleStore
import Foundation

extension Pages {
    /// A session in review: risk banners, the transcript with the attribution table, and every
    /// attendee's draft side by side with the group note. Selecting a sentence highlights its evidence.
    static func session(_ review: SessionReview, page: Page, notice: Notice?) -> String {
        let session = review.session
        let role = page.user.role
        func name(_ id: PersonID?) -> String {
            guard let id else { return "unknown" }
            if let attendee = session.attendees.first(where: { $0.id == id }) { return attendee.name }
            return session.clinicians.first { $0.id == id }?.name ?? id.rawValue
        }
        var out = "<div class=\"session-head\"><h1>\(h(session.title ?? session.id.rawValue))</h1>"
        out +=
            "<p class=\"meta\">\(h(session.id.rawValue)) · \(h(session.kind.rawValue)) · \(session.durationMinutes) min · "
        out += "\(session.presentAttendees.count) of \(session.attendees.count) attendees present</p></div>"
        if let notice { out += "<p class=\"notice\" role=\"status\">\(h(notice.text))</p>" }
        out +=
            "<p class=\"hint\">Select a sentence to highlight the utterances it cites. Accept or reject each section, "
        out +=
            "edit where needed (each save is a new version), then sign. Scroll sideways for every note and the group note.</p>"

        // Risk banners: what waits for a supervisor, first.
        let waiting = review.flags.filter { $0.needsSupervisor && $0.acknowledgedAt == nil }
        for flag in waiting {
            let evidence = flag.evidence.map { "<a href=\"#u\($0)\" class=\"cite\" data-ev=\"\($0)\">\($0)</a>" }
                .joined(
                    separator: ", ")
            out +=
                "<div class=\"banner \(h(flag.level))\" role=\"alert\" data-flag=\"\(flag.id)\"><strong>\(h(flag.level.capitalized)) risk: \(h(flag.category))</strong>"
            out +=
                " · \(h(name(flag.attendee))) · utterances \(evidence) · waiting for a supervisor; the note cannot be signed until then."
            if Policy.permits(role, .acknowledgeRisk) {
                out += self.acknowledgeForm(flag, page: page, session: session.id.rawValue)
            }
            out += "</div>"
        }
        for flag in review.flags where !(flag.needsSupervisor && flag.acknowledgedAt == nil) {
            let by =
                flag.acknowledgedBy.map { " · acknowledged by \(h($0)): \(h(flag.acknowledgedComment ?? ""))" } ?? ""
            out +=
                "<div class=\"banner quiet\" data-flag=\"\(flag.id)\">\(h(flag.level.capitalized)) \(h(flag.category)) · \(h(name(flag.attendee)))\(by)</div>"
        }

        out += "<div class=\"review\"><aside class=\"transcript\" aria-label=\"Transcript\"><h2>Transcript</h2>"
        out +=
            "<p class=\"hint\" id=\"evidence-status\" aria-live=\"polite\">Select a sentence in a note to see its evidence here.</p><ol class=\"utterances\">"
        for utterance in review.utterances {
            out += "<li id=\"u\(utterance.index)\" class=\"utt\"><span class=\"idx\">\(utterance.index)</span> "
            out +=
                "<span class=\"speaker\" title=\"speaker label \(h(utterance.label ?? "none"))\">\(h(name(utterance.person)))</span> "
            out += "\(h(utterance.text))</li>"
        }
        out += "</ol>" + self.attribution(review, page: page, name: name) + "</aside>"

        out += "<div class=\"notes\">"
        for note in review.notes {
            out += self.note(note, name: name(note.attendee), review: review, page: page)
        }
        out += "<article class=\"note group\" id=\"note-group\"><h2>Group note</h2><p class=\"meta\">Linked to "
        out += h(session.presentAttendees.map(\.id.rawValue).joined(separator: ", ")) + "</p>"
        out += review.groupNote.isEmpty ? "<p class=\"muted\">Not drafted; see findings.</p>" : ""
        for section in review.groupNote {
            out += "<section><h3>\(h(section.title))</h3><p>" + self.sentences(section.sentences) + "</p></section>"
        }
        out += "</article></div></div>"
        if !review.findings.isEmpty {
            out += "<details class=\"findings\"><summary>Findings (\(review.findings.count))</summary><ul>"
            for finding in review.findings {
                out +=
                    "<li><span class=\"badge \(h(finding.severity.rawValue))\">\(h(finding.severity.rawValue))</span> "
                out += "\(h(finding.person?.rawValue ?? "session")): \(h(finding.message))</li>"
            }
            out += "</ul></details>"
        }
        return out
    }

    static func sentences(_ sentences: [NoteSentence]) -> String {
        sentences.map { sentence in
            let evidence = sentence.evidence.map(String.init).joined(separator: " ")
            return
                "<span class=\"s basis-\(h(sentence.basis.rawValue))\" tabindex=\"0\" role=\"button\" data-ev=\"\(evidence)\" data-basis=\"\(h(sentence.basis.rawValue))\">\(h(sentence.text))</span>"
        }.joined(separator: " ")
    }

    static func note(_ note: NoteReview, name: String, review: SessionReview, page: Page) -> String {
        let role = page.user.role
        let base =
            "/sessions/\(Pages.segment(review.session.id.rawValue))/notes/\(Pages.segment(note.attendee.rawValue))"
        let open = note.state == .draft
        var out =
            "<article class=\"note\" id=\"note-\(h(note.attendee.rawValue))\" data-attendee=\"\(h(note.attendee.rawValue))\">"
        out += "<h2>\(h(name)) <small>\(h(note.attendee.rawValue))</small></h2>"
        let mark = note.aiGenerated ? "<span class=\"badge ai\">AI-generated draft</span>" : ""
        out +=
            "<p class=\"meta\"><span class=\"badge state-\(note.state.rawValue)\">\(h(note.state.rawValue))</span> \(mark) \(h(note.format)) · version \(note.currentVersion)"
        if let beside = note.draftBesideEdit { out += " · a newer draft (version \(beside)) is kept beside your edit" }
        out += "</p>"
        for (position, section) in note.sections.enumerated() {
            let decision = note.decisions[section.title]
            out += "<section data-section=\"\(h(section.title))\"><h3>\(h(section.title))"
            if let decision { out += " <span class=\"badge \(decision.rawValue)\">\(decision.rawValue)</span>" }
            out += "</h3><p>" + self.sentences(section.sentences) + "</p>"
            if open && Policy.permits(role, .reviewSection) {
                let fields =
                    "<input type=\"hidden\" name=\"section\" value=\"\(h(section.title))\"><input type=\"hidden\" name=\"version\" value=\"\(note.currentVersion)\">"
                out += "<div class=\"controls\">"
                out += page.form(
                    "\(base)/decision",
                    fields
                        + "<input type=\"hidden\" name=\"decision\" value=\"accepted\"><button type=\"submit\" class=\"small\">Accept</button>"
                )
                out += page.form(
                    "\(base)/decision",
                    fields
                        + "<input type=\"hidden\" name=\"decision\" value=\"rejected\"><button type=\"submit\" class=\"small secondary\">Reject</button>"
                )
                if Policy.permits(role, .editNote) {
                    let text = section.sentences.map(\.text).joined(separator: "\n")
                    out += "<details class=\"edit\"><summary>Edit</summary>"
                    out += page.form(
                        "\(base)/edit",
                        fields
                            + "<label class=\"sr\" for=\"edit-\(h(note.attendee.rawValue))-\(position)\">\(h(section.title)), one sentence per line</label>"
                            + "<textarea name=\"text\" rows=\"5\" id=\"edit-\(h(note.attendee.rawValue))-\(position)\">\(h(text))</textarea>"
                            + "<button type=\"submit\" class=\"small\">Save as version \(note.currentVersion + 1)</button>",
                        class: "stack")
                    out += "</details>"
                }
                out += "</div>"
            }
            out += "</section>"
        }
        for signature in note.signatures {
            out +=
                "<p class=\"signed\">\(signature.kind == "author" ? "Signed" : "Co-signed") by \(h(signature.user)) · version \(signature.version) · \(h(self.day(signature.at)))</p>"
        }
        if open && Policy.permits(role, .signNote) {
            let waiting = review.flags.filter {
                $0.attendee == note.attendee && $0.needsSupervisor && $0.acknowledgedAt == nil
            }
            let rejected = note.decisions.filter { $0.value == .rejected }.map(\.key).sorted()
            var reasons: [String] = []
            if !waiting.isEmpty { reasons.append("\(waiting.count) risk flag(s) wait for a supervisor") }
            if !rejected.isEmpty { reasons.append("rejected: \(rejected.joined(separator: ", "))") }
            let disabled = reasons.isEmpty ? "" : " disabled"
            out += "<div class=\"sign\">"
            out += page.form(
                "\(base)/sign",
                "<input type=\"hidden\" name=\"version\" value=\"\(note.currentVersion)\"><button type=\"submit\"\(disabled)>Sign version \(note.currentVersion)</button>"
            )
            if !reasons.isEmpty {
                out += "<p class=\"muted\">Cannot sign yet: \(h(reasons.joined(separator: "; "))).</p>"
            }
            out += "</div>"
        }
        if note.state == .awaitingCosignature && Policy.permits(role, .cosignNote) {
            out += page.form("\(base)/cosign", "<button type=\"submit\">Co-sign</button>")
        }
        for addendum in note.addenda {
            out +=
                "<p class=\"addendum\"><strong>Addendum</strong> by \(h(addendum.user)), \(h(self.day(addendum.at))): \(h(addendum.text))</p>"
        }
        if !open && Policy.permits(role, .addAddendum) {
            out += "<details class=\"edit\"><summary>Add an addendum</summary>"
            out += page.form(
                "\(base)/addendum",
                "<label class=\"sr\" for=\"addendum-\(h(note.attendee.rawValue))\">Addendum</label>"
                    + "<textarea name=\"text\" rows=\"3\" id=\"addendum-\(h(note.attendee.rawValue))\" required></textarea>"
                    + "<button type=\"submit\" class=\"small\">Add addendum</button>", class: "stack")
            out += "</details>"
        }
        out +=
            "<details class=\"history\"><summary>History (\(note.history.count) version\(note.history.count == 1 ? "" : "s"))</summary><ul>"
        for entry in note.history {
            let who =
                entry.author.map { "edited by \(h($0))" } ?? (entry.origin == "redraft" ? "drafted again" : "drafted")
            out +=
                "<li>version \(entry.version): \(who), \(h(self.day(entry.created)))\(entry.version == note.currentVersion ? " · current" : "")</li>"
        }
        out += "</ul></details>"
        return out + "</article>"
    }

    static func attribution(_ review: SessionReview, page: Page, name: (PersonID?) -> String) -> String {
        var out =
            "<h2>Who spoke</h2><table class=\"attribution\"><thead><tr><th>Label</th><th>Person</th><th title=\"confidence\">Conf.</th>"
        let canRelabel = Policy.permits(page.user.role, .relabelSpeaker)
        out += canRelabel ? "<th>Correct</th></tr></thead><tbody>" : "</tr></thead><tbody>"
        let people =
            review.session.presentAttendees.map { ($0.id, $0.name) }
            + review.session.clinicians.map { ($0.id, $0.name) }
        for (offset, speaker) in review.speakers.enumerated() {
            out +=
                "<tr><td>\(h(speaker.label))\(speaker.fromUtterance.map { " <small>from utterance \($0)</small>" } ?? "")</td><td>\(h(name(speaker.person)))</td><td>\(Int((speaker.confidence * 100).rounded()))%</td>"
            if canRelabel {
                var options = people.map { id, person in
                    "<option value=\"\(h(id.rawValue))\"\(id == speaker.person ? " selected" : "")>\(h(person))</option>"
                }
                options.append("<option value=\"unknown\"\(speaker.person == nil ? " selected" : "")>unknown</option>")
                out +=
                    "<td>"
                    + page.form(
                        "/sessions/\(Pages.segment(review.session.id.rawValue))/relabel",
                        "<input type=\"hidden\" name=\"label\" value=\"\(h(speaker.label))\"><label class=\"sr\" for=\"relabel-\(offset)\">Who spoke</label>"
                            + "<select name=\"person\" id=\"relabel-\(offset)\">\(options.joined())</select><button type=\"submit\" class=\"small\">Relabel</button>"
                    )
                out += "</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }
}
