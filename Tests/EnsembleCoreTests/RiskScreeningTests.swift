import EnsembleCore
import EnsembleFormats
import EnsembleTesting
import Testing

/// The RiskScreener on real counselling transcripts (AnnoMI) and on scripted lines that probe each
/// reading: negation, hypotheticals, the past, quotes of others and third-party disclosures.
@Suite("Risk screening")
struct RiskScreeningTests {
    /// Screens one AnnoMI conversation as an individual session (therapist and client).
    static func annomi(_ conversation: String) throws -> (RiskScreen, Transcript) {
        let transcript = try Fixtures.transcript(
            "annomi/annomi-simple-subset.csv", options: TranscriptOptions(conversation: conversation))
        let session = Fixtures.dyad(transcript, clinicianLabel: "therapist", clientLabel: "client")
        let scripted = ScriptedSession(session: session, transcript: transcript)
        return (try scripted.screen(), transcript)
    }

    static let client = PersonID("CL-1")

    @Test(arguments: ["95", "107"])
    func annomiSelfHarmAndSuicide_areFlagged(conversation: String) throws {
        let (screen, transcript) = try Self.annomi(conversation)
        let flags = screen.flags(for: Self.client)
        let selfHarm = try #require(flags.first { $0.category == .selfHarm })
        let suicide = try #require(flags.first { $0.category == .suicidalIdeation })
        // Recent self-injury is elevated and goes to a supervisor; thoughts of killing oneself without
        // method, intent or plan are C-SSRS item 2, which DOMAIN.md 5.2 tiers as monitor.
        #expect(selfHarm.level == .elevated)
        #expect(selfHarm.route == .supervisorReview)
        #expect(suicide.level == .monitor)
        #expect(suicide.cssrsItem == 2)
        for flag in [selfHarm, suicide] {
            #expect(flag.sources == [.selfReport])
            // Every cited utterance is the client's own.
            for u in flag.evidence { #expect(transcript.utterances[u].label == "client") }
        }
        // Nothing is pinned on the therapist, who asks about cutting in the same words.
        #expect(screen.flags.allSatisfy { $0.attendee == Self.client })
    }

    @Test func annomi95_citesTheClientsOwnDisclosures() throws {
        let (screen, _) = try Self.annomi("95")
        let selfHarm = try #require(screen.flags(for: Self.client).first { $0.category == .selfHarm })
        let suicide = try #require(screen.flags(for: Self.client).first { $0.category == .suicidalIdeation })
        // [5] "it just seems that cutting myself is the only way out. And I just get suicidal thoughts"
        #expect(selfHarm.evidence.contains(5))
        #expect(suicide.evidence.contains(5))
    }

    @Test func annomi110_selfQuestionAboutTheLongRun_isNotFlagged() throws {
        // [71] "And so, do I wanna eventually hurt myself in the long run? Or, you know, help myself …"
        let (screen, transcript) = try Self.annomi("110")
        #expect(transcript.utterances[71].text.contains("hurt myself"))
        #expect(screen.flags.isEmpty)
    }

    @Test func annomiNegatedAndAbsentRisk_isNotFlagged() throws {
        // AnnoMI 44 [69]: "Um, I don't, we don't get blackout drunk or anything."
        let (drinking, transcript) = try Self.annomi("44")
        #expect(transcript.utterances[69].text.contains("don't get blackout drunk"))
        #expect(drinking.flags.allSatisfy { !$0.evidence.contains(69) })
        // Conversations with no risk talk at all stay clean.
        for conversation in ["23", "40"] {
            let (screen, transcript) = try Self.annomi(conversation)
            #expect(
                screen.flags.isEmpty,
                "\(conversation): \(screen.flags.map { ($0.category, $0.evidence.map { transcript.utterances[$0].text }) })"
            )
        }
    }

    // MARK: - Readings

    static let group = [
        ScriptedSession.Person("CL-1", "Maria Lopez"), ScriptedSession.Person("CL-2", "Marcus Reed"),
        ScriptedSession.Person("CL-3", "Tasha Nguyen"),
    ]

    @Test(arguments: [
        "I'm not suicidal, I just feel flat.",
        "I would never hurt myself on purpose.",
        "I don't want to die, I want things to change.",
        "No, I haven't had thoughts of killing myself.",
    ])
    func negatedStatements_areNotFlagged(line: String) throws {
        let scripted = ScriptedSession(
            kind: .group, people: Self.group,
            lines: [(ScriptedSession.clinician, "Maria, how was your week?"), ("CL-1", line)])
        #expect(try scripted.screen().flags.isEmpty)
    }

    @Test func hypotheticalsAndOthersWords_areNotFlagged() throws {
        let scripted = ScriptedSession(
            kind: .group, people: Self.group,
            lines: [
                ("CL-1", "If I ever wanted to kill myself, I would tell someone first."),
                ("CL-2", "My friend said she wanted to kill herself after the breakup."),
                ("CL-3", "In a movie last night a guy said I want to die, and it stuck with me."),
            ])
        #expect(try scripted.screen().flags.isEmpty)
    }

    /// `my brother abused him`: `him` is not the one who acts but someone named before; a former partner
    /// is not the partner on the roster; `my little brother` is a child.
    @Test func theOneHarmed_isNotTheOneWhoActs() throws {
        let scripted = ScriptedSession(
            kind: .group, people: Self.group,
            lines: [
                ("CL-1", "My nephew lives with us now because his dad was burning him with cigarettes."),
                ("CL-2", "Ten years ago my first husband broke my arm."),
            ])
        let screen = try scripted.screen()
        #expect(screen.outsideRoster.contains { $0.category == .childAbuse && $0.reportedBy == PersonID("CL-1") })
        #expect(screen.flags(for: PersonID("CL-1")).isEmpty)
        let arm = try #require(screen.flags(for: PersonID("CL-2")).first)
        #expect(arm.category == .intimatePartnerViolence)
    }

    /// `when grandma yells at me I think about …` is a clause of time, not grandma's words quoted.
    @Test func aClauseOfTime_isNotAQuote() throws {
        let scripted = ScriptedSession(
            kind: .group, people: Self.group,
            lines: [("CL-3", "Sometimes when my boss yells at me I think about pushing him down the stairs.")])
        let flag = try #require(try scripted.screen().flags.first)
        #expect(flag.attendee == PersonID("CL-3"))
        #expect(flag.category == .homicidalIdeation)
    }

    @Test func passiveWishAndPlan_areLevelledByTheCSSRS() throws {
        let scripted = ScriptedSession(
            kind: .group, people: Self.group,
            lines: [
                (ScriptedSession.clinician, "Tasha, have you had thoughts of killing yourself?"),
                ("CL-3", "Sometimes I wish I could go to sleep and not wake up."),
                (ScriptedSession.clinician, "Do you have a plan?"),
                ("CL-3", "Yes, I have a plan."),
                ("CL-1", "We have a plan for the weekend, a picnic."),
            ])
        let screen = try scripted.screen()
        let flag = try #require(screen.flags(for: PersonID("CL-3")).first)
        #expect(flag.category == .suicidalIdeation)
        #expect(flag.level == .urgent)
        #expect(flag.cssrsItem == 5)
        #expect(flag.evidence == [1, 3])
        // A plan for a picnic, with no question asked of Maria, is not a suicide plan.
        #expect(screen.flags(for: PersonID("CL-1")).isEmpty)
    }

    @Test func pastBehaviour_isLoweredButKept() throws {
        let scripted = ScriptedSession(
            kind: .group, people: Self.group,
            lines: [("CL-2", "Years ago, when I was a kid, I tried to kill myself.")])
        let flag = try #require(try scripted.screen().flags.first)
        #expect(flag.attendee == PersonID("CL-2"))
        #expect(flag.level < .urgent)
        #expect(flag.indicators.contains { $0.contains("more than three months ago") })
    }

    @Test func parentsDisclosure_flagsTheChild() throws {
        let family = [
            ScriptedSession.Person("CL-1", "Sofia Alvarez", role: .identifiedPatient, born: 2010),
            ScriptedSession.Person("CL-2", "Elena Alvarez", role: .familyMember, relationship: "mother", born: 1980),
        ]
        let scripted = ScriptedSession(
            kind: .family, people: family,
            lines: [("CL-2", "Last week I found out she cut herself on the arm.")])
        let flag = try #require(try scripted.screen().flags.first)
        #expect(flag.attendee == PersonID("CL-1"))
        #expect(flag.category == .selfHarm)
        #expect(flag.sources == [.thirdParty])
        #expect(flag.route == .supervisorReview)
    }

    @Test func phq9Item9AboveZero_raisesAFlagFromTheMeasure() throws {
        let people = [
            ScriptedSession.Person(
                "CL-1", "Maria Lopez", measures: [Measure(instrument: "PHQ-9", score: 14, item9: 2)]),
            ScriptedSession.Person(
                "CL-2", "Marcus Reed", measures: [Measure(instrument: "PHQ-9", score: 14, item9: 0)]),
        ]
        let scripted = ScriptedSession(
            kind: .group, people: people, lines: [("CL-1", "It was an okay week."), ("CL-2", "Same here.")])
        let screen = try scripted.screen()
        let flag = try #require(screen.flags(for: PersonID("CL-1")).first)
        #expect(flag.category == .suicidalIdeation)
        #expect(flag.sources == [.measure])
        #expect(flag.level >= .elevated)
        #expect(flag.evidence.isEmpty)
        #expect(screen.flags(for: PersonID("CL-2")).isEmpty)
    }

    @Test func askedAndAnsweredDenial_isRecorded_andUnaskedIsNot() throws {
        let scripted = ScriptedSession(
            kind: .group, people: Self.group,
            lines: [
                (ScriptedSession.clinician, "Maria, any thoughts of hurting yourself this week?"),
                ("CL-1", "No, nothing like that."),
                ("CL-2", "I slept badly."),
            ])
        let screen = try scripted.screen()
        #expect(screen.flags.isEmpty)
        let assessment = try #require(screen.assessments.first)
        #expect(assessment.attendee == PersonID("CL-1"))
        #expect(assessment.denied)
        #expect(screen.assessments.allSatisfy { $0.attendee == PersonID("CL-1") })
    }
}
