import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Testing

/// What a language model would see: no roster name, alias, id, address, date, phone or e-mail, with
/// stable tokens that map back.
@Suite("Pseudonymiser")
struct PseudonymiserTests {
    @Test func rosterNamesAndSessionValues_becomeTokens() throws {
        let session = try Fixtures.scenario("adolescent-family").session
        var pseudonymiser = Pseudonymiser(session: session)
        let sofia = session.attendees[0]
        let text = """
            Sofia said Sofi's phone died; Dr. Hannah Cole asked \(sofia.name) and her mother. \
            Member \(sofia.coverage?.memberId ?? "") lives at \(sofia.address?.line1 ?? ""), \(sofia.address?.city ?? "").
            """
        let sent = pseudonymiser.pseudonymise(text)
        for attendee in session.attendees {
            for word in attendee.name.split(separator: " ") { #expect(!sent.contains(word), "\(word) in \(sent)") }
            for alias in attendee.aliases {
                #expect(!sent.lowercased().contains(" \(alias.lowercased()) "), "\(alias)")
            }
        }
        #expect(!sent.contains("Hannah") && !sent.contains("Cole"))
        #expect(!sent.contains(sofia.coverage!.memberId!) && !sent.contains("Elm") && !sent.contains("Albany"))
        #expect(sent.contains("[CLIENT_1] said [CLIENT_1]'s phone died"))
        #expect(sent.contains("[CLINICIAN_1]"))
        // The same person is the same token; the reply maps back to names.
        #expect(pseudonymiser.pseudonymise("Sofia") == "[CLIENT_1]")
        #expect(pseudonymiser.reidentify("[CLIENT_1] reported stress.") == "\(sofia.name) reported stress.")
        #expect(pseudonymiser.reidentify("[UNKNOWN_9] stays") == "[UNKNOWN_9] stays")
    }

    @Test func safeHarborPatterns_becomeTokens_andOrdinaryNumbersStay() {
        let session = Session(
            id: SessionID("S-1"), kind: .group, start: Timestamp(iso8601: "2026-05-12T17:00:00-05:00")!,
            end: Timestamp(iso8601: "2026-05-12T18:30:00-05:00")!,
            clinicians: [Clinician(id: PersonID("P-1"), name: "Dana Whitfield", role: .primary)],
            attendees: [Attendee(id: PersonID("CL-1"), name: "Maria Lopez", role: .member, present: true)])
        var pseudonymiser = Pseudonymiser(session: session)
        let cases: [(String, String)] = [
            ("call me at (518) 555-0142 tonight", "[PHONE_1]"),
            ("or 518-555-0199", "[PHONE_2]"),
            ("mail maria.l@example.com please", "[EMAIL_1]"),
            ("see https://example.org/my-page", "[URL_1]"),
            ("from 192.168.1.20", "[IP_1]"),
            ("my SSN is 123-45-6789", "[SSN_1]"),
            ("born 2010-09-14", "[DATE_1]"),
            ("on 05/14/2026 we met", "[DATE_2]"),
            ("since March 3rd, 2025", "[DATE_3]"),
            ("on 14 May 2026", "[DATE_4]"),
            ("I live at 400 North Pearl Street now", "[ADDRESS_1]"),
            ("zip 12203 here", "[ZIP_1]"),
            ("plate ABC1234 was", "[ID_1]"),
        ]
        for (text, token) in cases {
            let sent = pseudonymiser.pseudonymise(text)
            #expect(sent.contains(token), "\(text) → \(sent)")
        }
        // What Safe Harbor allows, and what a note needs, stays: a year, scores, counts, codes like PHQ-9.
        let kept = "In 2024 my PHQ-9 was 12, I slept 6 hours, goal G1.1, three times."
        #expect(pseudonymiser.pseudonymise(kept) == kept)
        #expect(pseudonymiser.reidentify("[PHONE_1] and [DATE_3]") == "(518) 555-0142 and March 3rd, 2025")
    }

    @Test func sharedFamilyName_isOneSurnameToken_andFirstNamesStayDistinct() {
        let session = Session(
            id: SessionID("S-2"), kind: .family, start: Timestamp(iso8601: "2026-05-12T17:00:00-05:00")!,
            end: Timestamp(iso8601: "2026-05-12T18:00:00-05:00")!,
            clinicians: [Clinician(id: PersonID("P-1"), name: "Dr. Keisha Grant", role: .primary)],
            attendees: [
                Attendee(id: PersonID("CL-1"), name: "Wei Chen", role: .identifiedPatient, present: true),
                Attendee(id: PersonID("CL-2"), name: "Lily Chen", role: .familyMember, present: true),
            ])
        var pseudonymiser = Pseudonymiser(session: session)
        let sent = pseudonymiser.pseudonymise("Wei Chen and Lily talked; the Chen family; Grant listened.")
        #expect(sent == "[CLIENT_1] and [CLIENT_2] talked; the [SURNAME_1] family; [CLINICIAN_1] listened.")
    }
}

extension PseudonymiserTests {
    /// Every bundled transcript, pseudonymised line by line, keeps no word of any roster name (of three
    /// letters or more) and no alias.
    @Test(arguments: try! Fixtures.scenarioNames())
    func bundledTranscripts_keepNoRosterName(_ name: String) throws {
        let scenario = try Fixtures.scenario(name)
        var pseudonymiser = Pseudonymiser(session: scenario.session)
        let names =
            scenario.session.attendees.flatMap { [$0.name] + $0.aliases } + scenario.session.clinicians.map(\.name)
        let words = Set(
            names.flatMap { $0.split(whereSeparator: { !$0.isLetter }) }.map { $0.lowercased() }.filter {
                $0.count >= 3 && !["dr", "mrs"].contains($0)
            })
        var replaced = 0
        var total = 0
        for utterance in scenario.transcript.utterances {
            let sent = pseudonymiser.pseudonymise(utterance.text)
            total += utterance.text.split(separator: " ").count
            replaced += sent.split(separator: "[").count - 1
            let sentWords = Set(sent.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() })
            let leaked = words.intersection(sentWords)
            #expect(leaked.isEmpty, "\(name) utterance \(utterance.index): \(leaked)")
        }
        // Identifiers are a small part of speech: redaction does not eat the transcript.
        #expect(replaced * 10 < total, "\(name): \(replaced) tokens in \(total) words")
    }
}
