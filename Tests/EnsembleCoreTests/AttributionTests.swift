import EnsembleCore
import EnsembleIO
import EnsembleTesting
import Testing

/// Attribution behaviours on small sessions written for each rule.
@Suite("Speaker attribution")
struct AttributionTests {
    let agents = try! Fixtures.agents()

    func transcript(_ lines: [(String?, String)]) -> Transcript {
        Transcript(
            format: "test",
            utterances: lines.enumerated().map {
                Utterance(index: $0, label: $1.0, text: $1.1, start: Double($0) * 5, end: Double($0) * 5 + 4)
            })
    }

    func attribute(_ lines: [(String?, String)], roster: Roster, hints: [SpeakerHint] = []) -> Attribution {
        Fixtures.attribute(self.transcript(lines), roster: roster, hints: hints, agents: self.agents).1
    }

    static let hannah = Roster.Person(id: PersonID("PROV-1"), name: "Hannah Cole", kind: .clinician(.primary))
    static let sofia = Roster.Person(
        id: PersonID("CL-1"), name: "Sofia Alvarez", kind: .attendee(.identifiedPatient), age: 15
    )
    static let elena = Roster.Person(
        id: PersonID("CL-2"), name: "Elena Alvarez", kind: .attendee(.familyMember), relationship: "mother", age: 44
    )

    static func groupRoster(absent: Set<String> = []) -> Roster {
        Roster(
            sessionKind: .group,
            people: [
                .init(id: PersonID("PROV-1"), name: "Dr. Melissa Ko", kind: .clinician(.primary)),
                .init(
                    id: PersonID("CL-1"), name: "Maria Lopez", aliases: ["Mari"], kind: .attendee(.member),
                    present: !absent.contains("CL-1")),
                .init(
                    id: PersonID("CL-2"), name: "Marcus Reed", kind: .attendee(.member),
                    present: !absent.contains("CL-2")),
                .init(
                    id: PersonID("CL-3"), name: "Michael Brandt", kind: .attendee(.member),
                    present: !absent.contains("CL-3")),
                .init(
                    id: PersonID("CL-4"), name: "Jordan Blake", kind: .attendee(.member),
                    present: !absent.contains("CL-4")),
            ])
    }

    @Test func namedLabels_matchThroughTitlesDevicesInitialsAndNicknames() {
        let attribution = self.attribute(
            [
                ("Melissa Ko, LCSW (she/her)", "Welcome, everyone. Let's start with a check-in."),
                ("Maria's iPhone", "I had a hard week."),
                ("M. Reed", "Same here, honestly."),
                ("Mike", "I didn't do the homework."),
                ("blake.jordan", "Can I go next?"),
            ], roster: Self.groupRoster())
        #expect(attribution.speakers.map(\.person) == ["PROV-1", "CL-1", "CL-2", "CL-3", "CL-4"].map(PersonID.init))
        #expect(attribution.speakers.allSatisfy { $0.confidence >= 0.9 })
        #expect(attribution.unknownUtterances.isEmpty)
    }

    @Test func anonymousLabels_boundFromVocativesAndThanks() {
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Let's go around. Marcus, how was your week?"),
                ("SPEAKER_01", "Rough. I argued with my brother again."),
                ("SPEAKER_00", "Thanks, Marcus. Maria, what about you?"),
                ("SPEAKER_02", "Better. I used the breathing twice."),
                ("SPEAKER_00", "That's great, Maria. Michael, go ahead."),
                ("SPEAKER_03", "I'm still struggling with sleep."),
                ("SPEAKER_00", "Thank you, Michael. Marcus, anything to add?"),
                ("SPEAKER_01", "No, I'm good."),
                ("SPEAKER_00", "Maria, how did it feel when it worked?"),
                ("SPEAKER_02", "Like I had some control for once."),
                ("SPEAKER_00", "It sounds like that mattered. Michael?"),
                ("SPEAKER_03", "I might try it tonight."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        let bound = Dictionary(uniqueKeysWithValues: attribution.speakers.map { ($0.label, $0.person) })
        #expect(bound["SPEAKER_00"] == PersonID("PROV-1"))
        #expect(bound["SPEAKER_01"] == PersonID("CL-2"))
        #expect(bound["SPEAKER_02"] == PersonID("CL-1"))
        #expect(bound["SPEAKER_03"] == PersonID("CL-3"))
    }

    /// Members each named once (handed the floor, thanked), and one never: no label has enough evidence
    /// alone, but the one-to-one reading of all of it leaves no other way to pair them, so they are bound
    /// together, the unnamed one last. With one label more than members, nothing is bound that way.
    @Test func membersNamedOnce_areBoundTogether_onlyWhenLabelsAndPeopleCountTheSame() {
        let lines: [(String?, String)] = [
            ("SPEAKER_00", "Welcome back, everyone. Let's start the check-in. Marcus, how was your week?"),
            ("SPEAKER_01", "Long. Work was a lot and I barely slept."),
            ("SPEAKER_00", "That sounds exhausting. Who wants to go next?"),
            ("SPEAKER_02", "I will. I finally called my sister back."),
            ("SPEAKER_00", "That took courage. Thank you, Maria. Michael?"),
            ("SPEAKER_03", "Not much to report. I kept the journal most days."),
            ("SPEAKER_00", "Good. And how about you?"),
            ("SPEAKER_04", "I missed two days of the journal, but I went to the meeting."),
            ("SPEAKER_00", "Okay. Let's talk about what got in the way this week."),
            ("SPEAKER_01", "For me it was the night shifts."),
            ("SPEAKER_02", "Same, the evenings are hard."),
            ("SPEAKER_04", "I just forgot, honestly."),
            ("SPEAKER_03", "I set a reminder on my phone and that helped."),
            ("SPEAKER_00", "Reminders are a good idea. Let's keep those for next week."),
        ]
        let together = self.attribute(lines, roster: Self.groupRoster())
        let bound = Dictionary(uniqueKeysWithValues: together.speakers.map { ($0.label, $0.person) })
        #expect(bound["SPEAKER_00"] == PersonID("PROV-1"))
        #expect(bound["SPEAKER_01"] == PersonID("CL-2"))
        #expect(bound["SPEAKER_02"] == PersonID("CL-1"))
        #expect(bound["SPEAKER_03"] == PersonID("CL-3"))
        #expect(bound["SPEAKER_04"] == PersonID("CL-4"))
        #expect(together.speaker("SPEAKER_04")?.signals.first?.kind == .elimination)
        #expect(together.findings.contains { $0.code == .labelsBoundTogether })

        // A member who never speaks: one person more than labels, so nothing is bound together.
        let silent = self.attribute(lines.filter { $0.0 != "SPEAKER_04" }, roster: Self.groupRoster())
        for label in ["SPEAKER_01", "SPEAKER_02", "SPEAKER_03"] {
            #expect(silent.speaker(label)?.person == nil, "\(label)")
        }
        #expect(!silent.findings.contains { $0.code == .labelsBoundTogether })

        let oneMore = self.attribute(
            lines + [("SPEAKER_05", "Sorry, can you all hear me now?"), ("SPEAKER_05", "I'll listen today.")],
            roster: Self.groupRoster())
        for label in ["SPEAKER_01", "SPEAKER_02", "SPEAKER_03", "SPEAKER_04", "SPEAKER_05"] {
            #expect(oneMore.speaker(label)?.person == nil, "\(label)")
        }

        var off = self.agents
        off.attributor.weights.jointEliminationMargin = 0
        let alone = Fixtures.attribute(self.transcript(lines), roster: Self.groupRoster(), agents: off).1
        for label in ["SPEAKER_01", "SPEAKER_02", "SPEAKER_03", "SPEAKER_04"] {
            #expect(alone.speaker(label)?.person == nil, "\(label)")
        }
    }

    @Test func absentAttendee_isNeverAssigned_andTheLabelIsReported() {
        let attribution = self.attribute(
            [
                ("Melissa Ko", "Welcome back."),
                ("Jordan Blake", "Hi, sorry I'm late."),
                ("Maria Lopez", "Hi."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        #expect(!attribution.utterances.contains { $0.person == PersonID("CL-4") })
        #expect(attribution.speaker("Jordan Blake")?.person == nil)
        let finding = attribution.findings.first { $0.code == .labelMatchesAbsentAttendee }
        #expect(finding?.person == PersonID("CL-4") && finding?.label == "Jordan Blake")
        #expect(finding.map { !$0.message.contains("Jordan") } ?? false)
    }

    @Test func weakEvidence_staysUnknown_withAFinding() {
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Let's start. Who wants to go first?"),
                ("SPEAKER_01", "I can go."),
                ("SPEAKER_02", "Yeah."),
                ("SPEAKER_00", "Thanks. Anyone else?"),
            ], roster: Self.groupRoster())
        #expect(attribution.speaker("SPEAKER_01")?.person == nil)
        #expect(attribution.speaker("SPEAKER_02")?.person == nil)
        let unknown = attribution.findings.filter { $0.code == .speakerUnknown }
        #expect(Set(unknown.compactMap(\.label)).isSuperset(of: ["SPEAKER_01", "SPEAKER_02"]))
    }

    @Test func speakerHint_bindsAndASharedHintResolvesEachUtterance() {
        let roster = Roster(sessionKind: .family, people: [Self.hannah, Self.sofia, Self.elena])
        let attribution = self.attribute(
            [
                ("Room 3 laptop", "Sofia, can you tell me what happened on Wednesday?"),
                ("Kitchen iPad", "I was at Jasmine's studying and my phone died."),
                ("Room 3 laptop", "Thank you. Elena, how did you see it?"),
                ("Kitchen iPad", "As her mother, I was terrified. My daughter wasn't answering."),
                ("Kitchen iPad", "Mom, I said I was sorry."),
            ], roster: roster,
            hints: [
                SpeakerHint(label: "Room 3 laptop", people: [PersonID("PROV-1")]),
                SpeakerHint(label: "Kitchen iPad", people: [PersonID("CL-1"), PersonID("CL-2")]),
            ])
        #expect(attribution.speaker("Room 3 laptop")?.person == PersonID("PROV-1"))
        let shared = attribution.speaker("Kitchen iPad")
        #expect(shared?.person == nil && shared?.sharedBy == [PersonID("CL-1"), PersonID("CL-2")])
        #expect(
            attribution.utterances.map(\.person) == [
                PersonID("PROV-1"), PersonID("CL-1"), PersonID("PROV-1"), PersonID("CL-2"), PersonID("CL-1"),
            ])
        #expect(attribution.utterances[1].method == .perUtterance)
        #expect(attribution.findings.contains { $0.code == .sharedDevice })
    }

    /// In a group's check-in, members answer to their name by saying it (`Maria?` → `Maria, forty
    /// days.`): the name opening the reply is the speaker's own, not an address to someone else.
    @Test func rollCallAnswers_openingWithTheCalledName_countForThatPerson() {
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Let's do our check-in. Maria?"),
                ("SPEAKER_01", "Maria, forty days. Coming in hopeful."),
                ("SPEAKER_00", "Forty days. Marcus?"),
                ("SPEAKER_02", "Marcus, twelve days. Tired."),
                ("SPEAKER_00", "Twelve. Michael?"),
                ("SPEAKER_03", "Michael, ninety days. Steady."),
                ("SPEAKER_00", "Let's talk about cravings this week."),
                ("SPEAKER_01", "Mine were mostly at night."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        #expect(attribution.speaker("SPEAKER_00")?.person == PersonID("PROV-1"))
        #expect(attribution.speaker("SPEAKER_01")?.person == PersonID("CL-1"))
        #expect(attribution.speaker("SPEAKER_02")?.person == PersonID("CL-2"))
        #expect(attribution.speaker("SPEAKER_03")?.person == PersonID("CL-3"))
        // Speaking to the person called on is no answer to one's own name.
        let handedOn = self.attribute(
            [
                ("SPEAKER_00", "Let's do our check-in. Maria?"),
                ("SPEAKER_02", "Maria, you go first, I'm still thinking."),
                ("SPEAKER_01", "Okay. Forty days."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        #expect(handedOn.speaker("SPEAKER_02")?.person != PersonID("CL-1"))
        #expect(handedOn.speaker("SPEAKER_02")?.signals.contains { $0.kind == .selfIntroduction } == false)
        // The caller saying the name again is calling it again, not answering to it.
        let calledAgain = self.attribute(
            [
                ("SPEAKER_00", "Let's do our check-in. Maria?"),
                ("SPEAKER_00", "Maria. Whenever you're ready."),
                ("SPEAKER_01", "Sorry. Forty days."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        #expect(calledAgain.speaker("SPEAKER_00")?.signals.contains { $0.kind == .selfIntroduction } == false)
    }

    /// A name misheard by speech recognition and called on its own (`Marea?`) is a call: the reply
    /// on another label is that person's.
    @Test func misheardNamesCalledAlone_handTheFloorToThatPerson() {
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Let's go around the room. Marea?"),
                ("SPEAKER_01", "Forty days. Coming in hopeful."),
                ("SPEAKER_00", "Forty days. Marcos?"),
                ("SPEAKER_02", "Twelve days. Tired."),
                ("SPEAKER_00", "Twelve. Mikael?"),
                ("SPEAKER_03", "Ninety days. Steady."),
                ("SPEAKER_00", "Let's talk about cravings this week. Who wants to start?"),
                ("SPEAKER_02", "Mine were mostly at night."),
                ("SPEAKER_00", "To close, one word each. Marea?"),
                ("SPEAKER_01", "Hopeful."),
                ("SPEAKER_00", "Marcos?"),
                ("SPEAKER_02", "Rested, I hope."),
                ("SPEAKER_00", "Mikael?"),
                ("SPEAKER_03", "Steady."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        #expect(attribution.speaker("SPEAKER_01")?.person == PersonID("CL-1"))
        #expect(attribution.speaker("SPEAKER_02")?.person == PersonID("CL-2"))
        #expect(attribution.speaker("SPEAKER_03")?.person == PersonID("CL-3"))
        // An ordinary word asked alone is no call, even one edit from a member's name (`Really?`,
        // `Reilly`): the session writes it in lower case elsewhere.
        let roster = Roster(
            sessionKind: .group,
            people: [
                .init(id: PersonID("PROV-1"), name: "Dr. Melissa Ko", kind: .clinician(.primary)),
                .init(id: PersonID("CL-1"), name: "Reilly Moss", kind: .attendee(.member)),
                .init(id: PersonID("CL-2"), name: "Dana Ortiz", kind: .attendee(.member)),
                .init(id: PersonID("CL-3"), name: "Omar Haddad", kind: .attendee(.member)),
            ])
        let ordinary = self.attribute(
            [
                ("SPEAKER_00", "Welcome back. I really want to hear from each of you. Dana, how was your week?"),
                ("SPEAKER_01", "Long. My manager quit, so I covered two shifts."),
                ("SPEAKER_00", "Really?"),
                ("SPEAKER_02", "Yeah, the same thing happened at my job last spring."),
                ("SPEAKER_01", "It was a mess."),
                ("SPEAKER_00", "Okay. Really?"),
                ("SPEAKER_02", "Honestly, I would have quit too."),
            ], roster: roster)
        #expect(ordinary.speaker("SPEAKER_02")?.person != PersonID("CL-1"))
    }

    /// Two parents on one laptop for the whole session, one of them also heard from a phone: the
    /// laptop's label answers questions handed to each of them from start to end, so it is read as a
    /// shared device, line by line, not bound to one parent.
    @Test func labelAnsweringForASecondPersonThroughout_isASharedDevice() {
        let roster = Roster(
            sessionKind: .family,
            people: [
                Self.hannah, Self.sofia, Self.elena,
                .init(
                    id: PersonID("CL-3"), name: "Mark Alvarez", kind: .attendee(.familyMember),
                    relationship: "father", age: 47),
            ])
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Welcome, everyone. Elena, how was the week at home?"),
                ("SPEAKER_02", "Hard. We argued most nights."),
                ("SPEAKER_00", "Mark, how did it look from where you were?"),
                ("SPEAKER_02", "I was at work late, so I mostly heard about it afterwards."),
                ("SPEAKER_03", "Hi, it's Mark, sorry, the call dropped for a second there."),
                ("SPEAKER_00", "Thanks, Mark. Sofia, what was it like for you?"),
                ("SPEAKER_01", "Annoying. They both kept checking my phone."),
                ("SPEAKER_00", "Elena, what worries you about the phone?"),
                ("SPEAKER_02", "That I don't know who she's talking to at night."),
                ("SPEAKER_00", "Mark, is that the same for you?"),
                ("SPEAKER_03", "It worries me too, honestly."),
                ("SPEAKER_00", "Mark, can you say more?"),
                ("SPEAKER_02", "I just want her to tell us where she is."),
                ("SPEAKER_01", "I do tell you."),
                ("SPEAKER_00", "Elena, could you live with a check-in text instead?"),
                ("SPEAKER_02", "Maybe. If she actually sends it."),
                ("SPEAKER_00", "Mark, what about you?"),
                ("SPEAKER_02", "That works for me."),
            ], roster: roster)
        #expect(attribution.speaker("SPEAKER_02")?.sharedBy == [PersonID("CL-2"), PersonID("CL-3")])
        #expect(attribution.speaker("SPEAKER_03")?.person == PersonID("CL-3"))
        #expect([1, 8, 15].map { attribution.utterances[$0].person } == Array(repeating: PersonID("CL-2"), count: 3))
        #expect([3, 12].map { attribution.utterances[$0].person } == [PersonID("CL-3"), PersonID("CL-3")])
        // None of the laptop's lines goes to the wrong parent.
        #expect(attribution.utterances[17].person == PersonID("CL-3"))
    }

    /// A label that, from some line on, answers to two other people is no longer its first person (a
    /// diarizer swapping it with a shared microphone): its later lines are read one by one.
    @Test func labelTurningToTwoOthers_isReadLineByLineFromThere() {
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Welcome back. Maria, how was your week?"),
                ("SPEAKER_01", "It was long, but I made it to every meeting."),
                ("SPEAKER_00", "Thank you, Maria. Marcus, what about you?"),
                ("SPEAKER_02", "I had a rough couple of days."),
                ("SPEAKER_00", "Thanks, Marcus. Michael?"),
                ("SPEAKER_03", "Steady. Nothing new."),
                ("SPEAKER_00", "Thanks, Michael. Maria, did the evening walks help?"),
                ("SPEAKER_01", "They did. I walked most nights."),
                ("SPEAKER_00", "Good to hear, Maria. Let's turn to cravings."),
                ("SPEAKER_01", "Mine hit hardest after work."),
                ("SPEAKER_00", "Marcus, when did they hit you?"),
                ("SPEAKER_01", "Mostly late at night, when I can't sleep."),
                ("SPEAKER_00", "Michael, and you?"),
                ("SPEAKER_01", "Weekends, when I'm alone."),
                ("SPEAKER_00", "Marcus, what helped?"),
                ("SPEAKER_01", "Calling my brother."),
                ("SPEAKER_00", "Michael?"),
                ("SPEAKER_01", "Going to the gym."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        #expect([1, 7, 9].map { attribution.utterances[$0].person } == Array(repeating: PersonID("CL-1"), count: 3))
        #expect([11, 15].map { attribution.utterances[$0].person } == [PersonID("CL-2"), PersonID("CL-2")])
        #expect([13, 17].map { attribution.utterances[$0].person } == [PersonID("CL-3"), PersonID("CL-3")])
        #expect(
            attribution.findings.contains {
                $0.code == .labelChangesPerson && $0.label == "SPEAKER_01" && $0.evidence == [11]
            })
        // Its later span is bound to no one, and lists whom its lines went to.
        let span = attribution.speakers.first { $0.label == "SPEAKER_01" && $0.fromUtterance == 11 }
        #expect(span?.person == nil && span?.bestGuess == nil)
        #expect(span?.sharedBy == [PersonID("CL-2"), PersonID("CL-3")])
    }

    /// A client's reply merged into the clinician's label by the diarizer: the label answering its own
    /// question in the first person is no clinician's line, and goes to the client the question was for.
    @Test func clinicianLabelAnsweringItsOwnQuestion_isTheClientAsked() {
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Welcome back, everyone. Maria, how did the breathing practice go?"),
                ("SPEAKER_00", "I tried it twice and it helped a little."),
                ("SPEAKER_00", "That's a good start. Marcus, what about you?"),
                ("SPEAKER_01", "I forgot to do it most days."),
                ("SPEAKER_00", "Thanks, Marcus. Michael, how about you?"),
                ("SPEAKER_02", "I did it every night before bed."),
                ("SPEAKER_00", "What did you notice when you did it? Take a moment."),
                ("SPEAKER_02", "My shoulders dropped a bit."),
                ("SPEAKER_00", "Let's keep practising this week. I'll send the recording."),
            ], roster: Self.groupRoster(absent: ["CL-4"]))
        #expect(attribution.speaker("SPEAKER_00")?.person == PersonID("PROV-1"))
        #expect(attribution.utterances[1].person == PersonID("CL-1"))
        #expect(attribution.findings.contains { $0.code == .labelMixesSpeakers && $0.evidence == [1] })
        // The clinician's own lines after a question of theirs are kept: a `you`, or no first person.
        #expect(attribution.utterances[8].person == PersonID("PROV-1"))
        #expect(attribution.utterances[0].person == PersonID("PROV-1"))
        // With one client there is no one to choose among: a question to the room followed by the
        // clinician's own `I` stays the clinician's.
        let oneClient = Roster(
            sessionKind: .family,
            people: [
                Self.hannah, .init(id: PersonID("PROV-2"), name: "Omar Said", kind: .clinician(.coTherapist)),
                Self.sofia,
            ])
        let room = self.attribute(
            [
                ("SPEAKER_00", "Today we'll map out the week together. Does that make sense?"),
                ("SPEAKER_00", "I know it's a lot to take in."),
                ("SPEAKER_01", "Sofia, what feels hardest right now?"),
                ("SPEAKER_02", "Mornings. Getting out the door."),
                ("SPEAKER_00", "Thanks, Sofia. Let's start there."),
            ], roster: oneClient,
            hints: [
                SpeakerHint(label: "SPEAKER_00", people: [PersonID("PROV-1")]),
                SpeakerHint(label: "SPEAKER_01", people: [PersonID("PROV-2")]),
            ])
        #expect(room.speaker("SPEAKER_00")?.person == PersonID("PROV-1"))
        #expect(room.utterances[1].person == PersonID("PROV-1"))
    }

    /// Two partners on one device: a line speaking of one of them as `she` or `he` is the other's. A
    /// pronoun with someone else said before it (`my sister … she`) says nothing of the speaker.
    @Test func sharedDevice_aLineSpeakingOfOnePartnerAsSheOrHe_isTheOthers() {
        let dana = Roster.Person(
            id: PersonID("CL-1"), name: "Dana Whitfield", kind: .attendee(.identifiedPatient), pronouns: "she/her")
        let marcus = Roster.Person(
            id: PersonID("CL-2"), name: "Marcus Whitfield", kind: .attendee(.partner), relationship: "husband")
        let roster = Roster(sessionKind: .couples, people: [Self.hannah, dana, marcus])
        let attribution = self.attribute(
            [
                ("Office", "How did the week go for the two of you?"),
                ("Laptop", "Honestly? He forgot the check-in again."),
                ("Office", "What got in the way?"),
                ("Laptop", "She's right. Work was a mess all week."),
                ("Office", "And the weekend?"),
                ("Laptop", "My sister said she would take the kids on Sunday."),
            ], roster: roster,
            hints: [
                SpeakerHint(label: "Office", people: [PersonID("PROV-1")]),
                SpeakerHint(label: "Laptop", people: [PersonID("CL-1"), PersonID("CL-2")]),
            ])
        #expect(attribution.speaker("Laptop")?.sharedBy == [PersonID("CL-1"), PersonID("CL-2")])
        #expect(attribution.utterances[1].person == PersonID("CL-1"))
        #expect(attribution.utterances[3].person == PersonID("CL-2"))
        #expect(attribution.utterances[5].person == nil)
    }

    @Test func relationshipWords_separateParentFromTeen() {
        let mark = Roster.Person(
            id: PersonID("CL-2"), name: "Mark Dunn", kind: .attendee(.familyMember), relationship: "stepfather"
        )
        let roster = Roster(sessionKind: .family, people: [Self.hannah, Self.sofia, mark])
        let attribution = self.attribute(
            [
                ("A", "What brings the two of you in today? It sounds like things have been tense."),
                ("B", "My stepdad grounded me for a month because my grades dropped and my teacher emailed him."),
                ("C", "As her stepdad, I'm trying to be consistent. My wife and I agreed on the rule."),
                ("A", "So you both want the rules to feel fair. How does that land for you?"),
                ("B", "Honestly my curfew is earlier than all my friends'."),
                ("C", "I get that. I'd rather have my kid home safe."),
            ], roster: roster)
        #expect(attribution.speaker("A")?.person == PersonID("PROV-1"))
        #expect(attribution.speaker("B")?.person == PersonID("CL-1"))
        #expect(attribution.speaker("C")?.person == PersonID("CL-2"))
    }

    @Test func familyNameLabel_isSharedByThePresentBearers() {
        let roster = Roster(
            sessionKind: .multiFamilyGroup,
            people: [
                .init(id: PersonID("PROV-1"), name: "Keisha Grant", kind: .clinician(.primary)),
                .init(id: PersonID("CL-1"), name: "Mateo Rivera", kind: .attendee(.identifiedPatient), age: 13),
                .init(
                    id: PersonID("CL-2"), name: "Rosa Rivera", kind: .attendee(.familyMember), relationship: "mother",
                    relatedTo: PersonID("CL-1")),
                .init(
                    id: PersonID("CL-3"), name: "Luis Rivera", kind: .attendee(.familyMember), relationship: "father",
                    relatedTo: PersonID("CL-1"), present: false),
            ])
        let attribution = self.attribute(
            [
                ("Dr. Keisha Grant", "Mateo, can you tell us about Thursday?"),
                ("Rivera Family iPad", "A kid kept saying stuff about my dad, so I pushed him."),
                ("Dr. Keisha Grant", "Thank you. Rosa, how was it for you?"),
                ("Rivera Family iPad", "I had to leave my shift early. My son knows better."),
            ], roster: roster)
        #expect(attribution.speaker("Rivera Family iPad")?.sharedBy == [PersonID("CL-1"), PersonID("CL-2")])
        #expect(attribution.utterances[1].person == PersonID("CL-1"))
        #expect(attribution.utterances[3].person == PersonID("CL-2"))
        #expect(!attribution.utterances.contains { $0.person == PersonID("CL-3") })
    }

    @Test func infantOnTheRoster_isNeverTakenToSpeak() {
        let roster = Roster(
            sessionKind: .family,
            people: [
                .init(id: PersonID("DOC"), name: "Dr. Ana Price", kind: .clinician(.primary)),
                .init(id: PersonID("PT"), name: "Randy Gutierrez", kind: .attendee(.identifiedPatient), age: 0),
                .init(
                    id: PersonID("G1"), name: "Mother Gutierrez", kind: .attendee(.familyMember), relationship: "mother"
                ),
            ])
        let attribution = self.attribute(
            [
                ("SPEAKER_00", "Hello, how are you doing today? What brings you in?"),
                ("SPEAKER_01", "We're okay. He's had a cough for a week and a runny nose."),
                ("SPEAKER_00", "Okay. Any fever? How is he eating?"),
                ("SPEAKER_01", "A low fever on Monday. He's eating less than usual."),
                ("SPEAKER_00", "Let me take a listen. Can you hold him on your lap for me?"),
                ("SPEAKER_01", "Sure."),
            ], roster: roster)
        #expect(attribution.speaker("SPEAKER_00")?.person == PersonID("DOC"))
        #expect(attribution.speaker("SPEAKER_01")?.person == PersonID("G1"))
        #expect(!attribution.findings.contains { $0.code == .presentAttendeeSilent && $0.person == PersonID("PT") })
    }

    @Test func unlabelledTranscript_isAttributedPerUtterance_andFlagged() {
        let attribution = self.attribute(
            [
                (nil, "Hi, I'm Maria Lopez."),
                (nil, "Welcome, Maria. How has your week been?"),
                (nil, "Honestly pretty hard."),
            ], roster: Self.groupRoster())
        #expect(attribution.utterances[0].person == PersonID("CL-1"))
        #expect(attribution.utterances.allSatisfy { $0.method == .perUtterance })
        #expect(attribution.findings.contains { $0.code == .unlabeledTranscript })
    }

    @Test func nonSpeech_isNeverAttributed() {
        let attribution = self.attribute(
            [
                ("Melissa Ko", "Welcome."),
                ("Melissa Ko", "(deep rumbling)"),
                ("Maria Lopez", "{vocalsound}"),
            ], roster: Self.groupRoster())
        #expect(attribution.utterances.map(\.method) == [.label, .nonSpeech, .nonSpeech])
        #expect(attribution.utterances[1].person == nil && attribution.unknownUtterances.isEmpty)
    }

    @Test func attribution_isDeterministic() {
        let synthetic = SyntheticSession.make(attendees: 12, utterances: 300, seed: 5)
        let roster = Roster(session: synthetic.session)
        let first = Fixtures.attribute(synthetic.transcript, roster: roster, agents: self.agents).1
        for _ in 0..<3 {
            #expect(Fixtures.attribute(synthetic.transcript, roster: roster, agents: self.agents).1 == first)
        }
    }

    @Test func syntheticGroups_areAttributedCorrectlyAtEverySize() {
        for (attendees, utterances) in [(2, 200), (8, 200), (25, 1000), (50, 1000)] {
            let synthetic = SyntheticSession.make(attendees: attendees, utterances: utterances, seed: 3)
            let attribution = Fixtures.attribute(
                synthetic.transcript, roster: Roster(session: synthetic.session), agents: self.agents
            ).1
            let correct = zip(attribution.utterances, synthetic.truth).filter { $0.person == $1 }.count
            let wrong = zip(attribution.utterances, synthetic.truth).filter { $0.person != nil && $0.person != $1 }
                .count
            #expect(Double(correct) / Double(utterances) >= 0.95, "N=\(attendees) T=\(utterances)")
            #expect(wrong == 0, "N=\(attendees) T=\(utterances)")
        }
    }
}

@Suite("Speaker attribution: names")
struct AttributionNameTests {
    /// Sound keys join spellings of one name and keep different names apart.
    @Test func phoneticKeys_joinSpellingsOfOneName() {
        func key(_ name: String) -> String { PhoneticKey.key(Array(name.unicodeScalars)) }
        #expect(key("katelyn") == key("caitlin"))
        #expect(key("stephen") == key("steven"))
        #expect(key("philip") == key("filip"))
        #expect(key("jeffrey") == key("geoffrey"))
        #expect(key("maria") != key("marcus"))
        #expect(key("dana") != key("diana") || key("dana").count <= 2)
        #expect(key("catherine") != key("caroline"))
    }

    /// A name speech recognition spelled another way that sounds the same (`Caitlin` for the roster's
    /// `Katelyn`) is read as that name; the same spelling never joins two people whose names sound alike.
    @Test func soundAlikeSpokenName_bindsTheNextSpeaker() {
        let roster = Roster(
            sessionKind: .group,
            people: [
                .init(id: PersonID("PROV-1"), name: "Dr. Melissa Ko", kind: .clinician(.primary)),
                .init(id: PersonID("CL-1"), name: "Katelyn Moore", kind: .attendee(.member)),
                .init(id: PersonID("CL-2"), name: "Marcus Reed", kind: .attendee(.member)),
            ])
        let lines: [(String?, String)] = [
            ("SPEAKER_00", "Let's start. Caitlin, how was the week?"),
            ("SPEAKER_01", "Long. I barely slept."),
            ("SPEAKER_00", "Okay. Marcus, you next?"),
            ("SPEAKER_02", "Better than last week."),
            ("SPEAKER_00", "Caitlin, did the breathing help at night?"),
            ("SPEAKER_01", "A little, the second night."),
        ]
        let agents = try! Fixtures.agents()
        let transcript = Transcript(
            format: "test",
            utterances: lines.enumerated().map {
                Utterance(index: $0, label: $1.0, text: $1.1, start: Double($0) * 5, end: Double($0) * 5 + 4)
            })
        let first = Fixtures.attribute(transcript, roster: roster, agents: agents).1
        #expect(first.speakers.first { $0.label == "SPEAKER_01" }?.person == PersonID("CL-1"))
        // With a Katelyn and a Kaitlyn both on the roster, the spelling says nothing of which one.
        let twins = Roster(
            sessionKind: .group,
            people: roster.people + [.init(id: PersonID("CL-3"), name: "Kaitlyn Shaw", kind: .attendee(.member))])
        let second = Fixtures.attribute(transcript, roster: twins, agents: agents).1
        #expect(second.speakers.first { $0.label == "SPEAKER_01" }?.person != PersonID("CL-3"))
    }

    @Test func misspeltDisplayName_matchesFuzzily() throws {
        let agents = try Fixtures.agents()
        let roster = Roster(
            sessionKind: .group,
            people: [
                .init(id: PersonID("PROV-1"), name: "Conor Healy", kind: .clinician(.primary)),
                .init(id: PersonID("CL-1"), name: "Srijani Ghosh", kind: .attendee(.member)),
            ])
        let transcript = Transcript(
            format: "test",
            utterances: [
                Utterance(index: 0, label: "Connor Healey", text: "Welcome, everyone."),
                Utterance(index: 1, label: "Srijana G", text: "Hi!"),
            ])
        let attribution = Fixtures.attribute(transcript, roster: roster, agents: agents).1
        #expect(attribution.speakers.map(\.person) == [PersonID("PROV-1"), PersonID("CL-1")])
    }
}

extension AttributionTests {
    @Test func correction_movesTheLabelsUtterances_andCountsTalkAgain() async throws {
        let scenario = try Fixtures.scenario("dbt-skills-group")
        let supervisor = SessionSupervisor(configuration: try Fixtures.agents().supervisor)
        let original = try await supervisor.attribute(scenario.session, transcript: scenario.transcript)
        let label = try #require(original.attribution.speakers.first { $0.person == nil && !$0.isShared }?.label)
        let maria = PersonID("CL-101")
        let corrected = try await supervisor.attribute(
            scenario.session, transcript: scenario.transcript,
            corrections: [SpeakerCorrection(label: label, person: maria)])
        let moved = scenario.transcript.utterances.filter { $0.label == label }.map(\.index)
        #expect(!moved.isEmpty)
        for index in moved {
            let utterance = corrected.attribution.utterances[index]
            #expect(utterance.person == maria && utterance.method == .corrected && utterance.confidence == 1)
        }
        #expect(corrected.attribution.speaker(label)?.person == maria)
        let before = try #require(original.attribution.talk.first { $0.person == maria })
        let after = try #require(corrected.attribution.talk.first { $0.person == maria })
        #expect(after.utterances == before.utterances + moved.count)
        #expect(corrected.attribution.findings.contains { $0.code == .speakerCorrected && $0.person == maria })
        #expect(!corrected.attribution.findings.contains { $0.code == .speakerUnknown && $0.label == label })
        // Every other utterance is as it was.
        for (a, b) in zip(original.attribution.utterances, corrected.attribution.utterances)
        where !moved.contains(a.index) {
            #expect(a == b)
        }
    }
}
