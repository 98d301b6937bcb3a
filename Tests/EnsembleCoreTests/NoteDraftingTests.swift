import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Testing

/// The NoteDrafter and the rules assembly enforces, on scripted sessions.
@Suite("Note drafting")
struct NoteDraftingTests {
    static let clinician = ScriptedSession.clinician

    static let lines: [(String, String)] = [
        (clinician, "Welcome back, everybody. Let's go around with check-in. Maria, how was your week?"),
        ("CL-1", "I had two panic attacks at work on Monday, but I used the paced breathing and it helped."),
        (clinician, "That's a real difference. Marcus, how about you?"),
        ("CL-2", "I had a blowup with my brother over money and I yelled at him."),
        (clinician, "Today's skill is TIPP. Let's practice paced breathing together, four counts in, six counts out."),
        ("CL-1", "That really helped, I feel calmer."),
        ("CL-2", "I felt a little calmer too."),
        (clinician, "For homework this week, practice one TIPP skill at least once."),
    ]

    static let people = [
        ScriptedSession.Person("CL-1", "Maria Lopez"), ScriptedSession.Person("CL-2", "Marcus Reed"),
        ScriptedSession.Person("CL-3", "Ellen Brooks"),
    ]

    @Test(arguments: NoteFormat.allCases)
    func everyFormat_rendersItsSectionsFromTheTemplates(format: NoteFormat) async throws {
        let scripted = ScriptedSession(kind: .group, people: Self.people, format: format, lines: Self.lines)
        let run = try await scripted.draft()
        let templates = try #require(try Fixtures.agents().drafting.drafter.formats[format])
        for note in run.notes {
            #expect(note.format == format)
            #expect(note.sections.map(\.title) == templates.map(\.title))
            #expect(note.sections.allSatisfy { !$0.sentences.isEmpty })
        }
    }

    @Test func perAttendeeFormat_overridesTheSessions() async throws {
        var people = Self.people
        people[1].attendee.noteFormat = .birp
        let run = try await ScriptedSession(kind: .group, people: people, format: .dap, lines: Self.lines).draft()
        #expect(run.note(for: PersonID("CL-1"))?.format == .dap)
        #expect(run.note(for: PersonID("CL-2"))?.format == .birp)
        #expect(
            run.note(for: PersonID("CL-2"))?.sections.map(\.title) == ["Behavior", "Intervention", "Response", "Plan"])
    }

    @Test func silentAttendee_getsNotAssessed_neverInventedFindings() async throws {
        let run = try await ScriptedSession(kind: .group, people: Self.people, lines: Self.lines).draft()
        let note = try #require(run.note(for: PersonID("CL-3")))
        #expect(note.aiGenerated)
        // Ellen never spoke: nothing is reported for her, and what the session did not cover says so.
        #expect(note.structured[.reported].allSatisfy { $0.basis == .notAssessed })
        #expect(note.structured[.risk].map(\.basis) == [.notAssessed])
        #expect(note.structured[.response].map(\.basis) == [.notAssessed])
        #expect(!note.text.lowercased().contains("denied"))
        #expect(note.structured[.participation].first?.basis == .metadata)
        // She still shares the group's interventions and plan, cited to the clinician.
        #expect(note.structured[.interventions].contains { $0.basis == .transcript })
        #expect(note.structured[.plan].contains { $0.evidence == [7] })
    }

    @Test func memberNote_quotesTheMemberAndCitesTheirUtterances() async throws {
        let run = try await ScriptedSession(kind: .group, people: Self.people, lines: Self.lines).draft()
        let maria = try #require(run.note(for: PersonID("CL-1")))
        let reported = maria.structured[.reported]
        #expect(reported.contains { $0.quote == 1 && $0.text.contains("two panic attacks") })
        let response = try #require(maria.structured[.response].first)
        // The clinician taught TIPP and practised paced breathing in one breath; either is what helped.
        #expect(response.text.hasPrefix("Member reported that ") && response.text.hasSuffix(" helped."))
        #expect(response.evidence == [4, 5])
        #expect(!maria.text.contains("blowup"))
        #expect(!maria.text.contains("Marcus"))
    }

    @Test func missingConsentRecord_getsATemplateAndAFinding() async throws {
        var people = Self.people
        people[1].attendee.consent = nil
        let run = try await ScriptedSession(kind: .group, people: people, lines: Self.lines).draft()
        let note = try #require(run.note(for: PersonID("CL-2")))
        #expect(!note.aiGenerated && note.manualNoteRequired)
        #expect(note.sentences.allSatisfy { $0.basis == .manual })
        #expect(run.skipped.contains(SkippedAttendee(attendee: PersonID("CL-2"), reason: .consentMissing)))
        #expect(run.findings.contains { $0.code == .consentMissing && $0.person == PersonID("CL-2") })
    }

    @Test func nearCopies_areReportedAsClones() async throws {
        // Two members who only answer "Yes." get notes made of the same group-wide sentences.
        let lines: [(String, String)] = [
            (
                Self.clinician,
                "Today's skill is TIPP. Let's practice paced breathing together, four counts in, six counts out."
            ),
            ("CL-1", "Yes."),
            ("CL-2", "Yes."),
            (Self.clinician, "For homework this week, practice one TIPP skill at least once."),
        ]
        let run = try await ScriptedSession(kind: .group, people: Array(Self.people.prefix(2)), lines: lines).draft()
        let finding = try #require(run.findings.first { $0.code == .notesNearlyIdentical })
        #expect(finding.message.contains("CL-1") && finding.message.contains("CL-2"))
        // And the bundled-style session with real content has none.
        let varied = try await ScriptedSession(kind: .group, people: Self.people, lines: Self.lines).draft()
        #expect(!varied.findings.contains { $0.code == .notesNearlyIdentical })
    }

    @Test func familyRiskDisclosure_staysInTheChildsNote() async throws {
        let family = [
            ScriptedSession.Person("CL-1", "Sofia Alvarez", role: .identifiedPatient, born: 2010),
            ScriptedSession.Person("CL-2", "Mark Dunn", role: .familyMember, relationship: "stepfather", born: 1978),
        ]
        let lines: [(String, String)] = [
            (Self.clinician, "Sofia, how has the week been?"),
            ("CL-1", "I cut myself on my arm on Tuesday after the fight."),
            (
                Self.clinician,
                "Thank you for telling us. Mark, please lock up the razors at home, and Sofia and I will make a safety plan."
            ),
            ("CL-2", "I will, tonight. I was scared when she told me, honestly."),
            (Self.clinician, "Let's take a breath together. In for four, out for six."),
            ("CL-1", "Okay."),
            ("CL-2", "Okay."),
            (Self.clinician, "Let's turn to how the house rules went this week."),
            ("CL-1", "Better than last week."),
            ("CL-2", "Better, mostly."),
            (Self.clinician, "Mark, how has the week been for you?"),
            ("CL-2", "Work was stressful and I snapped at everyone at dinner on Thursday."),
        ]
        let run = try await ScriptedSession(kind: .family, people: family, lines: lines).draft()
        #expect(run.risk.flags(for: PersonID("CL-1")).contains { $0.category == .selfHarm })
        let stepfather = try #require(run.note(for: PersonID("CL-2")))
        for word in ["cut", "razors", "safety plan", "Sofia"] { #expect(!stepfather.text.contains(word), "\(word)") }
        // His own words just after the disclosure are withheld with it; his later report is his.
        #expect(!stepfather.sentences.contains { $0.evidence.contains(3) })
        #expect(stepfather.structured[.reported].contains { $0.quote == 11 })
        #expect(run.note(for: PersonID("CL-1"))!.sentences.contains { $0.evidence.contains(1) })
    }

    @Test func namesAreReplaced_inQuotesAndGoalText() async throws {
        var people = Self.people
        people[0].attendee.treatmentPlan = TreatmentPlan(
            id: "TP-1", goals: [Goal(id: "G1", text: "Support Marcus Reed without taking over", objectives: [])])
        let lines: [(String, String)] = [
            (Self.clinician, "Maria, how was your week?"),
            ("CL-1", "I talked with marcus after group and it helped me a lot with the panic."),
        ]
        let run = try await ScriptedSession(kind: .group, people: people, lines: lines).draft()
        let maria = try #require(run.note(for: PersonID("CL-1")))
        #expect(!maria.text.lowercased().contains("marcus"))
        #expect(!maria.text.contains("Reed"))
        #expect(maria.text.contains("[a peer]"))
    }

    /// In a family session where two people disclose, each keeps their own disclosure in their own
    /// note: the other's disclosure stays out, and their own is not filtered away with it.
    @Test func ownDisclosure_staysInItsOwnersNote_whenAnotherAlsoDiscloses() async throws {
        let people = [
            ScriptedSession.Person("CL-1", "Jordan Price", role: .identifiedPatient, born: 2010),
            ScriptedSession.Person("CL-2", "Lisa Price", role: .familyMember, relationship: "mother", born: 1980),
            ScriptedSession.Person("CL-3", "Tom Price", role: .familyMember, relationship: "father", born: 1978),
        ]
        let lines: [(String, String)] = [
            (Self.clinician, "Jordan, how has this week been for you?"),
            ("CL-1", "Bad. I've been cutting my arms again since Sunday, and I keep a razor in my desk."),
            (Self.clinician, "Thank you for telling me that, Jordan. We'll come back to it before we finish."),
            (Self.clinician, "Lisa, how has the week been at home?"),
            ("CL-2", "Tom pushed me into the wall on Friday night and I'm scared of him when he drinks."),
            (Self.clinician, "Thank you, Lisa. Tom, what do you make of what Lisa said?"),
            ("CL-3", "It was one time. I had a bad week at work."),
            (Self.clinician, "Let's talk about the homework chart for the rest of the hour."),
            ("CL-1", "The chart is fine, I did it three nights."),
            ("CL-2", "He did, I saw it on the fridge."),
            ("CL-3", "Yeah, he did it."),
        ]
        let run = try await ScriptedSession(kind: .family, people: people, lines: lines).draft()
        #expect(run.risk.highestLevel(for: PersonID("CL-1")) >= .elevated)
        #expect(run.risk.flags(for: PersonID("CL-2")).contains { $0.category == .intimatePartnerViolence })
        let jordan = try #require(run.notes.first { $0.attendee == PersonID("CL-1") })
        // His own disclosure is in his note, and Lisa's is not.
        #expect(jordan.structured[.risk].contains { $0.evidence.contains(1) }, "\(jordan.text)")
        #expect(!jordan.sentences.contains { $0.evidence.contains(4) })
        let lisa = try #require(run.notes.first { $0.attendee == PersonID("CL-2") })
        #expect(lisa.structured[.risk].contains { $0.evidence.contains(4) }, "\(lisa.text)")
        #expect(!lisa.sentences.contains { $0.evidence.contains(1) })
    }

    /// Two members whose notes come out line for line the same are named in a clone finding.
    @Test func notesSharingMostLines_raiseACloneFinding() async throws {
        let lines: [(String, String)] = [
            (Self.clinician, "Welcome back, everybody. Let's go around with check-in."),
            ("CL-1", "I practiced the breathing every night this week and it helped me sleep."),
            ("CL-2", "I practiced the breathing every night this week and it helped me sleep."),
            (Self.clinician, "Thank you both. Maria, what got in the way, if anything?"),
            ("CL-1", "Nothing got in the way, I set an alarm on my phone to remind me."),
            (Self.clinician, "Marcus, what about you?"),
            ("CL-2", "Nothing got in the way, I set an alarm on my phone to remind me."),
        ]
        let run = try await ScriptedSession(kind: .group, people: Array(Self.people.prefix(2)), lines: lines).draft()
        let notes = run.notes
        let (shared, union) = NoteAssembly.sharedLines(notes[0], notes[1])
        #expect(shared > 0 && Double(shared) / Double(union) > 0.2, "\(shared) of \(union)")
        #expect(
            run.findings.contains {
                $0.code == .notesNearlyIdentical && $0.message.contains("CL-1") && $0.message.contains("CL-2")
            })
    }

    /// The line check catches what word trigrams miss: two short notes sharing one whole line of three.
    @Test func sharedLines_areFoundWhereTrigramsAreNotAlike() throws {
        let agents = try Fixtures.agents()
        let assembly = NoteAssembly(drafter: agents.drafting.drafter, attributor: agents.attributor)
        func note(_ id: String, _ lines: [String]) -> ClientNote {
            var sentences = lines.enumerated().map { NoteSentence($1, evidence: [$0]) }
            var group = NoteSentence("Interventions with the group: clinician taught paced breathing.", evidence: [9])
            group.groupLevel = true
            sentences.append(group)
            return ClientNote(
                attendee: PersonID(id), format: .dap, aiGenerated: true, manualNoteRequired: false,
                structured: StructuredNote(), sections: [NoteSection(title: "Data", sentences: sentences)])
        }
        let first = note(
            "CL-1", ["Member reported sleeping through the night twice.", "Member participated actively."])
        let second = note(
            "CL-2", ["Member reported a panic attack at the bus stop on Monday.", "Member participated actively."])
        #expect(NoteAssembly.sharedLines(first, second) == (1, 3))
        let findings = assembly.cloneCheck([first, second])
        #expect(findings.count == 1 && findings[0].message.contains("share 1 of their 3"), "\(findings.map(\.message))")
        // Group-level lines are the same by design and never count.
        #expect(
            assembly.cloneCheck([
                note("CL-1", ["Member reported a good week."]), note("CL-2", ["Member reported a bad week."]),
            ]).isEmpty)
    }
}

@Suite("Note drafting: reported speech")
struct ReportedSpeechTests {
    static let clinician = ScriptedSession.clinician

    @Test func membersWords_areReportedInTheThirdPerson_riskStatementsInTheirOwnWords() async throws {
        let lines: [(String, String)] = [
            (Self.clinician, "Welcome back, everybody. Let's check in. Maria, how was your week?"),
            ("CL-1", "I had two panic attacks at work on Monday. I don't sleep much since my brother moved out."),
            ("CL-1", "Sometimes I wish I could go to sleep and not wake up."),
            (Self.clinician, "Thank you for telling us. Marcus, how about you?"),
            ("CL-2", "Is the heat on in here? You guys would not believe the week we had at work."),
            (Self.clinician, "What was hardest?"),
            ("CL-2", "I always feel tense when my manager calls me into his office."),
        ]
        var maria = ScriptedSession.Person("CL-1", "Maria Lopez")
        maria.attendee.pronouns = "she/her"
        let people = [maria, ScriptedSession.Person("CL-2", "Marcus Reed")]
        let run = try await ScriptedSession(kind: .group, people: people, lines: lines).draft()
        let mariaNote = try #require(run.note(for: PersonID("CL-1"))).text
        let marcusNote = try #require(run.note(for: PersonID("CL-2"))).text
        // Pronouns and verbs turned; the chart's `she/her` used.
        #expect(mariaNote.contains("Member reported that she had two panic attacks at work on Monday."))
        #expect(mariaNote.contains("she doesn't sleep much since her brother moved out"))
        // The passive wish is a risk statement: an utterance holding one is kept in the member's exact words.
        #expect(mariaNote.contains("\"Sometimes I wish I could go to sleep and not wake up.\""))
        // No pronouns on the chart: `they`, with the verb agreeing.
        #expect(marcusNote.contains("they always feel tense when their manager calls them into his office"))
        // A trivial question is not a line of the note; speech to others (`you`, `we`) stays a quote.
        #expect(!marcusNote.contains("heat"))
        #expect(!marcusNote.contains("that they guys"))
    }
}

@Suite("Note drafting: response to interventions")
struct ResponseTests {
    static let clinician = ScriptedSession.clinician

    @Test func response_isReadFromTheReply_namingWhatWasPractised() async throws {
        let lines: [(String, String)] = [
            (
                Self.clinician,
                "Welcome, everyone. Tonight's skill is paced breathing: breathe out longer than you breathe in."
            ),
            (Self.clinician, "Let's practice together for one minute. Everyone, eyes on a spot on the floor."),
            ("CL-1", "Honestly that didn't really help, I just felt silly."),
            ("CL-2", "My shoulders dropped and I felt a lot calmer."),
            (
                Self.clinician,
                "Thank you both. Jordan, it sounds like this week was heavy. Any thoughts of not wanting to be here?"
            ),
            ("CL-3", "No. I'm not going to do anything like that."),
        ]
        let people = [
            ScriptedSession.Person("CL-1", "Maria Lopez"), ScriptedSession.Person("CL-2", "Marcus Reed"),
            ScriptedSession.Person("CL-3", "Jordan Blake"),
        ]
        let run = try await ScriptedSession(kind: .group, people: people, lines: lines).draft()
        func response(_ id: String) throws -> [NoteSentence] {
            try #require(run.note(for: PersonID(id))).structured[.response]
        }
        let maria = try response("CL-1")
        #expect(
            maria.contains {
                $0.text == "Member reported that paced breathing did not help." && $0.evidence.contains(2)
            })
        #expect(!maria.contains { $0.text.contains("paced breathing helped") })
        let marcus = try response("CL-2")
        #expect(marcus.contains { $0.text == "Member reported that paced breathing helped." })
        // A denial of risk is not declining an intervention, and validation is not something one tries.
        let jordan = try response("CL-3")
        #expect(!jordan.contains { $0.text.contains("declined") })
    }
}

@Suite("Note drafting: member-specific plans")
struct PlanTests {
    static let clinician = ScriptedSession.clinician

    @Test func plans_neverSpeakOfAnAbsentMember_norReachOneWhoHadLeft() async throws {
        let lines: [(String, String)] = [
            (Self.clinician, "Welcome, everyone. Maria, how was your week?"),
            ("CL-1", "I had two panic attacks at work, and I used the breathing both times."),
            (Self.clinician, "Marcus, how about you?"),
            ("CL-2", "I argued with my brother again on Thursday."),
            (
                Self.clinician,
                "Priya is in the hospital this week, so let's all sign a card for her before next session."
            ),
            ("CL-1", "I have to head out early today for my daughter's recital, sorry."),
            (Self.clinician, "Of course, Maria. Take care."),
            ("CL-2", "I think the cold water would have helped me on Thursday."),
            (Self.clinician, "For homework this week, everyone practise paced breathing once a day."),
            ("CL-2", "I'll try it before work each morning."),
        ]
        // Maria attended the first minute (the transcript's lines are ten seconds apart); Priya is absent.
        var maria = ScriptedSession.Person("CL-1", "Maria Lopez")
        maria.attendee.minutesAttended = 1
        var priya = ScriptedSession.Person("CL-3", "Priya Raman")
        priya.attendee.present = false
        let people = [maria, ScriptedSession.Person("CL-2", "Marcus Reed"), priya]
        let run = try await ScriptedSession(kind: .group, people: people, lines: lines).draft()
        let mariaPlan = try #require(run.note(for: PersonID("CL-1"))).structured[.plan]
        let marcusPlan = try #require(run.note(for: PersonID("CL-2"))).structured[.plan]
        // The card for the absent member is nobody's plan; the homework set after Maria left is not hers.
        for sentence in mariaPlan + marcusPlan { #expect(!sentence.text.contains("card")) }
        #expect(!mariaPlan.contains { $0.evidence.contains(8) })
        #expect(marcusPlan.contains { $0.evidence == [8] && $0.text.contains("paced breathing once a day") })
        #expect(marcusPlan.contains { $0.evidence == [9] && $0.text.contains("will try it before work") })
    }
}
