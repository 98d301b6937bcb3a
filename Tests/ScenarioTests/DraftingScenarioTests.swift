import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Testing

/// Every bundled scenario drafted end to end: its expected.json holds (risk, noRisk, noAIDraft,
/// mustNotAppear, all written by a person from the transcript), and properties every run must keep.
@Suite("Drafting the bundled scenarios")
struct DraftingScenarioTests {
    static let names = (try? Fixtures.scenarioNames()) ?? []

    static func draft(_ name: String) async throws -> (Scenario, SessionRun, SessionFacts) {
        let scenario = try Fixtures.scenario(name)
        let agents = try Fixtures.agents()
        let run = try await SessionSupervisor(configuration: agents.supervisor).draft(
            scenario.session, transcript: scenario.transcript)
        let facts = SessionFacts(
            attributed: run.attributed, attributor: agents.attributor, interventions: agents.drafting.interventions)
        return (scenario, run, facts)
    }

    // MARK: - expected.json

    @Test(arguments: DraftingScenarioTests.names)
    func scenario_meetsItsRiskExpectations(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        let expected = try #require(scenario.expected)
        for risk in expected.risk {
            let category = try #require(RiskCategory(rawValue: risk.category))
            let minimum = try #require(RiskLevel(rawValue: risk.minimumLevel))
            let flag = run.risk.flags(for: risk.clientId).first { $0.category == category }
            #expect(flag != nil, "\(name): \(risk.clientId) \(risk.category) not flagged")
            guard let flag else { continue }
            #expect(flag.level >= minimum, "\(name): \(risk.clientId) \(flag.level) < \(minimum)")
            #expect(flag.route == (flag.level >= .elevated ? .supervisorReview : .clinicianReview))
            // Its evidence is real and, for a self-report, the client's own words.
            for u in flag.evidence {
                #expect(u < run.attributed.segmented.utterances.count)
                if flag.sources == [.selfReport] {
                    #expect(run.attributed.attribution.utterances[u].person == risk.clientId, "\(name): utterance \(u)")
                }
            }
        }
        for client in expected.noRisk {
            let above = run.risk.flags(for: client).filter { $0.level > .monitor }
            #expect(above.isEmpty, "\(name): \(client) flagged \(above.map(\.category))")
        }
    }

    @Test(arguments: DraftingScenarioTests.names)
    func scenario_withholdsAIDraftsWithoutConsent(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        let expected = try #require(scenario.expected)
        for client in expected.noAIDraft {
            let note = try #require(run.note(for: client), "\(name): \(client) gets a template")
            #expect(!note.aiGenerated && note.manualNoteRequired)
            #expect(note.sentences.allSatisfy { $0.basis == .manual && $0.evidence.isEmpty })
            #expect(run.skipped.contains(SkippedAttendee(attendee: client, reason: .noAIConsent)))
        }
        // And the other way round: whoever consented and attended gets a draft.
        for attendee in scenario.session.attendees where attendee.present && attendee.consent?.aiDrafting == true {
            #expect(run.note(for: attendee.id)?.aiGenerated == true, "\(name): \(attendee.id)")
        }
    }

    @Test(arguments: DraftingScenarioTests.names)
    func scenario_keepsNamesOutOfEachNote(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        let expected = try #require(scenario.expected)
        for (client, strings) in expected.mustNotAppear {
            let note = try #require(run.note(for: client))
            let text = note.text.lowercased()
            for string in strings {
                #expect(!text.contains(string.lowercased()), "\(name): \(client) note has \(string)")
            }
        }
        for (client, strings) in expected.mustAppear {
            let note = try #require(run.note(for: client))
            let text = note.text.lowercased()
            for string in strings {
                #expect(text.contains(string.lowercased()), "\(name): \(client) note lacks \(string)")
            }
        }
    }

    @Test(arguments: DraftingScenarioTests.names)
    func scenario_billsExactlyItsExpectedClaims(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        let expected = try #require(scenario.expected)
        let billed = run.billing.claims.map { "\($0.attendee) \($0.cpt)" }
        for client in expected.noClaim {
            #expect(!run.billing.claims.contains { $0.attendee == client }, "\(name): \(client) is not billed")
        }
        guard expected.statesClaims else { return }
        #expect(Set(billed) == Set(expected.claims.map { "\($0.clientId) \($0.cpt)" }), "\(name)")
        #expect(billed.count == expected.claims.count, "\(name): one claim per billed attendee")
        for claim in run.billing.claims {
            // Complete claims wait only for the clinician's signature (drafts are never signed), unless the
            // answer key says the claim is blocked or not billable, and why.
            let key = try #require(expected.claims.first { $0.clientId == claim.attendee })
            let codes = claim.reasons.map(\.code.rawValue)
            #expect(
                claim.status.rawValue == key.status ?? ClaimStatus.pendingSignature.rawValue,
                "\(name): \(claim.attendee) \(claim.reasons.map(\.message))")
            #expect(Set(key.reasons).isSubset(of: codes), "\(name): \(claim.attendee) reasons \(codes)")
            #expect(key.subscriber == nil || claim.subscriber?.id == key.subscriber, "\(name): \(claim.attendee)")
            #expect(
                key.alternativeCpt == nil || claim.reasons.contains { $0.alternative == key.alternativeCpt },
                "\(name): \(claim.attendee) offers \(key.alternativeCpt ?? "")")
        }
        for client in expected.noClaim {
            #expect(run.billing.claim(for: client) == nil, "\(name): \(client) must not be billed")
            let disposition = run.billing.dispositions.first { $0.attendee == client }
            #expect(disposition?.notBilled != nil, "\(name): \(client) says why it is not billed")
        }
        #expect(run.billing.dispositions.map(\.attendee) == scenario.session.attendees.map(\.id))
    }

    // MARK: - Properties of every run

    /// Every sentence's evidence exists and is the attendee's own or a clinician speaking to them;
    /// every quote is made of words the quoted utterance holds.
    @Test(arguments: DraftingScenarioTests.names)
    func everySentence_restsOnItsAttendeesEvidence(_ name: String) async throws {
        let (_, run, facts) = try await Self.draft(name)
        for note in run.notes {
            for sentence in note.sentences {
                switch sentence.basis {
                case .transcript:
                    #expect(!sentence.evidence.isEmpty, "\(name) \(note.attendee): \(sentence.text)")
                case .metadata:
                    #expect(sentence.source != nil && sentence.evidence.isEmpty)
                case .notAssessed, .manual:
                    #expect(sentence.evidence.isEmpty)
                case .clinician:
                    Issue.record("the agents never write clinician sentences: \(name) \(note.attendee)")
                }
                for u in sentence.evidence {
                    #expect(u >= 0 && u < facts.utteranceCount)
                    guard u >= 0 && u < facts.utteranceCount else { continue }
                    let own = facts.speaker[u] == note.attendee
                    let toThem = facts.isClinician[u] && facts.clinician(u, speaksTo: note.attendee)
                    #expect(own || toThem, "\(name) \(note.attendee): utterance \(u) in \"\(sentence.text)\"")
                }
                if let quote = sentence.quote {
                    if sentence.text.contains("\"") || sentence.verbatim == nil {
                        Self.expectQuote(sentence.text, from: quote, facts: facts, context: name)
                    } else {
                        try Self.expectReported(sentence, from: quote, facts: facts, context: name)
                    }
                }
            }
        }
        for sentence in run.groupNote.sentences {
            for u in sentence.evidence { #expect(u >= 0 && u < facts.utteranceCount) }
            if let quote = sentence.quote { Self.expectQuote(sentence.text, from: quote, facts: facts, context: name) }
        }
    }

    /// The words inside a sentence's quotation marks (bar a bracketed reference put in for a name)
    /// all occur in the utterance it quotes: a quote is never invented.
    static func expectQuote(_ text: String, from u: Int, facts: SessionFacts, context: String) {
        let tokenizer = Tokenizer()
        let source = Set(tokenizer.tokenize(facts.segmented.utterances[u].text).words.map(\.folded))
        var inner = text
        if let open = text.firstIndex(of: "\""), let close = text.lastIndex(of: "\""), open < close {
            inner = String(text[text.index(after: open)..<close])
        } else if let colon = text.firstIndex(of: ":") {
            inner = String(text[text.index(after: colon)...])
        }
        var depth = 0
        // A reference's possessive (`[the client's daughter]'s number`) belongs to the reference.
        let withoutReferences = String(
            inner.replacing("]'s", with: "]").filter { character in
                if character == "[" { depth += 1 }
                defer { if character == "]" { depth -= 1 } }
                return depth == 0 && character != "]"
            })
        for word in tokenizer.tokenize(withoutReferences).words where word.folded != "…" {
            #expect(source.contains(word.folded), "\(context): \"\(word.folded)\" is not in utterance \(u)")
        }
    }

    /// A member's words reported in the third person say nothing the utterance did not: every word is
    /// the utterance's, a form of one of its words made to agree (`wish` → `wishes`), a pronoun, or
    /// a word of the sentence template; and the exact quote kept beside it is the utterance's own.
    static func expectReported(_ sentence: NoteSentence, from u: Int, facts: SessionFacts, context: String) throws {
        let tokenizer = Tokenizer()
        let source = Set(tokenizer.tokenize(facts.segmented.utterances[u].text).words.map(\.folded))
        let drafter = try Fixtures.agents().drafting.drafter
        let speech = drafter.reportedSpeech
        var allowed = Set(
            drafter.phrases.filter { $0.key.hasPrefix("reported") || $0.key.hasPrefix("commitment") }.values
                .flatMap { tokenizer.tokenize($0).words.map(\.folded) })
        for set in speech.pronouns.values {
            allowed.formUnion([set.subject, set.object, set.possessive, set.independent, set.reflexive, "had"])
        }
        allowed.formUnion(speech.agreement.values.joined())
        for subject in Array(drafter.subjects.values) + Array(drafter.roleSubjects.values) {
            allowed.formUnion(tokenizer.tokenize(subject).words.map(\.folded))
        }
        allowed.formUnion(speech.expansions.values.flatMap { $0.split(separator: " ").map(String.init) })
        var depth = 0
        let withoutReferences = String(
            sentence.text.replacing("]'s", with: "]").filter { character in
                if character == "[" { depth += 1 }
                defer { if character == "]" { depth -= 1 } }
                return depth == 0 && character != "]"
            })
        for word in tokenizer.tokenize(withoutReferences).words where !source.contains(word.folded) {
            let w = word.folded
            let agreed =
                (w.hasSuffix("ies") && source.contains(String(w.dropLast(3)) + "y"))
                || (w.hasSuffix("es") && source.contains(String(w.dropLast(2))))
                || (w.hasSuffix("s") && source.contains(String(w.dropLast())))
            #expect(allowed.contains(w) || agreed, "\(context): \"\(w)\" is not in utterance \(u)")
        }
        if let verbatim = sentence.verbatim { Self.expectQuote(verbatim, from: u, facts: facts, context: context) }
    }

    /// No note carries another roster person's name or alias, whatever the case, nor does the group note.
    @Test(arguments: DraftingScenarioTests.names)
    func noNote_namesAnotherAttendee(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        let commonWords = Set(try Fixtures.agents().attributor.lexicon.commonWordNames.map { $0.lowercased() })
        let tokenizer = Tokenizer()
        func nameWords(_ attendee: Attendee) -> Set<String> {
            Set(
                ([attendee.name] + attendee.aliases).flatMap { tokenizer.tokenize($0).words.map(\.folded) }.filter {
                    $0.count > 1
                })
        }
        func names(in text: String, of others: [Attendee]) -> [String] {
            let words = tokenizer.tokenize(text).words
            return others.flatMap { other in
                nameWords(other).filter { name in
                    // A name that is also a word (`Mark it on your card`) counts when capitalised mid-sentence.
                    words.contains {
                        $0.folded == name && (!commonWords.contains(name) || ($0.isCapitalized && !$0.opensClause))
                    }
                }
            }
        }
        for note in run.notes {
            // A family name the owner shares is another person's name too: it must have been replaced.
            let others = scenario.session.attendees.filter { $0.id != note.attendee }
            let found = names(in: note.text, of: others)
            #expect(found.isEmpty, "\(name): \(note.attendee) note names \(found)")
        }
        let groupText = run.groupNote.sentences.map(\.text).joined(separator: "\n")
        let inGroup = names(in: groupText, of: scenario.session.attendees)
        #expect(inGroup.isEmpty, "\(name): group note names \(inGroup)")
    }

    @Test(arguments: DraftingScenarioTests.names)
    func notesOfDifferentAttendees_differ(_ name: String) async throws {
        let (_, run, facts) = try await Self.draft(name)
        let drafted = run.notes.filter(\.aiGenerated)
        for (i, first) in drafted.enumerated() {
            for second in drafted[(i + 1)...] {
                #expect(first.text != second.text, "\(name): \(first.attendee) and \(second.attendee)")
                // Each carries something of its own attendee: a sentence citing their own words.
                let own = { (note: ClientNote) in
                    note.sentences.contains { $0.evidence.contains { facts.speaker[$0] == note.attendee } }
                }
                if facts.utterancesOf[first.attendee] != nil { #expect(own(first)) }
                if facts.utterancesOf[second.attendee] != nil { #expect(own(second)) }
            }
        }
        #expect(!run.findings.contains { $0.code == .notesNearlyIdentical }, "\(name)")
    }

    /// What the clinician asked about risk is in the note of the one who answered, as asked and
    /// answered, citing the question and the answer; the note's risk section then never says "not
    /// assessed". A sentence about what was asked cites only questions and that attendee's answers.
    @Test(arguments: DraftingScenarioTests.names)
    func screenedTopics_areWrittenAsAskedAndAnswered(_ name: String) async throws {
        let (_, run, facts) = try await Self.draft(name)
        for note in run.notes where !note.manualNoteRequired {
            let risk = note.structured[.risk]
            for assessment in run.risk.assessments where assessment.attendee == note.attendee {
                #expect(
                    risk.contains {
                        $0.evidence.contains(assessment.question) && $0.evidence.contains(assessment.answer)
                    },
                    "\(name): \(note.attendee) was asked about \(assessment.topic) at \(assessment.question)")
                #expect(
                    !risk.contains { $0.basis == .notAssessed },
                    "\(name): \(note.attendee)'s risk section says not assessed after a screening question")
            }
            for sentence in risk where sentence.text.hasPrefix("Asked directly") {
                let pairs = stride(from: 0, to: sentence.evidence.count - 1, by: 2).map {
                    (sentence.evidence[$0], sentence.evidence[$0 + 1])
                }
                #expect(sentence.evidence.count % 2 == 0 && !pairs.isEmpty, "\(name): \(sentence.text)")
                for (question, answer) in pairs {
                    #expect(facts.isClinician[question], "\(name): \(sentence.text)")
                    #expect(facts.speaker[answer] == note.attendee, "\(name): \(sentence.text)")
                    #expect(
                        run.risk.assessments.contains {
                            $0.attendee == note.attendee && $0.question == question && $0.answer == answer
                        }, "\(name): \(sentence.text)")
                }
            }
        }
    }

    /// Read from the transcript: the facilitator asks Naomi the six C-SSRS screener questions in turn
    /// (utterances 30, 32, …, 40); she says yes to the first (a wish not to wake up) and no to the other
    /// five. Her note says so, item by item, and never that risk was not assessed.
    @Test func passiveWish_cssrsScreen_isWrittenItemByItem() async throws {
        let (_, run, _) = try await Self.draft("group-passive-wish-cssrs")
        let note = try #require(run.notes.first { $0.attendee == PersonID("CL-821") })
        let risk = note.structured[.risk]
        let affirmed = try #require(risk.first { $0.evidence == [30, 31] })
        #expect(affirmed.text.contains("C-SSRS 1") && affirmed.text.hasSuffix("affirmed."), "\(affirmed.text)")
        let denied = try #require(risk.first { $0.evidence.contains(32) })
        #expect(denied.evidence == [32, 33, 34, 35, 36, 37, 38, 39, 40, 41], "\(denied.evidence)")
        for item in 2...6 { #expect(denied.text.contains("C-SSRS \(item)"), "\(denied.text)") }
        #expect(denied.text.hasSuffix("denied."))
        #expect(!risk.contains { $0.basis == .notAssessed })
        // The other members were asked nothing about risk and said nothing of it.
        for other in run.notes where other.attendee != note.attendee {
            #expect(other.structured[.risk].allSatisfy { $0.basis == .notAssessed }, "\(other.attendee)")
        }
    }

    /// Read from the transcript: the clinician puts thoughts of hurting oneself or not wanting to be
    /// alive as a statement about kids in general, then asks Eli whether anything like that has been
    /// going on (43); he says no (44). His note records the question and the denial.
    @Test func screeningLeadIn_thenAQuestion_isAskedAndAnswered() async throws {
        let (_, run, _) = try await Self.draft("family-caregiver-disclosure")
        let note = try #require(run.notes.first { $0.attendee == PersonID("CL-811") })
        let asked = note.structured[.risk].filter { $0.evidence == [43, 44] }
        #expect(!asked.isEmpty && asked.allSatisfy { $0.text.hasSuffix("denied.") }, "\(asked.map(\.text))")
        #expect(
            run.risk.assessments.contains { $0.attendee == PersonID("CL-811") && $0.category == .selfHarm && $0.denied }
        )
    }

    /// Read from the transcript: after Eli discloses that his stepfather hit him with a belt (18), the
    /// clinician says she will call the children services hotline and asks for a pediatrician's
    /// check of the bruises (46), and, alone with Eli, gives him 911 and a hotline card (56). That is
    /// the plan for Eli's chart: his note has it, his mother's and stepfather's notes cite neither.
    @Test func disclosureFollowUps_belongInTheDisclosersNoteOnly() async throws {
        let (_, run, _) = try await Self.draft("family-caregiver-disclosure")
        let eli = try #require(run.notes.first { $0.attendee == PersonID("CL-811") })
        let plan = eli.structured[.plan]
        for u in [46, 56] {
            #expect(plan.contains { $0.evidence == [u] }, "Eli's plan lacks utterance \(u)")
        }
        #expect(plan.contains { $0.evidence == [46] && $0.text.contains("children services hotline") })
        #expect(run.risk.followUps.contains { $0.utterance == 46 && $0.attendee == PersonID("CL-811") })
        for other in run.notes where other.attendee != eli.attendee {
            for sentence in other.sentences {
                #expect(
                    !sentence.evidence.contains(46) && !sentence.evidence.contains(56),
                    "\(other.attendee): \(sentence.text)")
            }
        }
        for sentence in run.groupNote.sentences {
            #expect(!sentence.evidence.contains(46) && !sentence.evidence.contains(56), "group note: \(sentence.text)")
        }
    }

    /// Read from the transcript: the clinician turns to the stepfather by name (`Kyle, I hear that you
    /// were frustrated …`) and, in the same turn, gives him a parenting group and a referral for a
    /// counselor of his own (51). That plan is his: it is in his note and in no one else's.
    @Test func planToOneFamilyMember_byName_isTheirsAlone() async throws {
        let (_, run, _) = try await Self.draft("family-caregiver-disclosure")
        let kyle = try #require(run.notes.first { $0.attendee == PersonID("CL-813") })
        #expect(kyle.structured[.plan].contains { $0.evidence == [51] })
        for other in run.notes where other.attendee != kyle.attendee {
            #expect(!other.structured[.plan].contains { $0.evidence.contains(51) }, "\(other.attendee)")
        }
    }

    /// Read from the transcript: the facilitator asks Naomi to stay after group to go over her safety
    /// plan and gives her 988 (44). No other member's note or the group note cites it.
    @Test func groupSafetyPlan_staysInTheMembersNote() async throws {
        let (_, run, _) = try await Self.draft("group-passive-wish-cssrs")
        let naomi = try #require(run.notes.first { $0.attendee == PersonID("CL-821") })
        #expect(naomi.structured[.plan].contains { $0.evidence == [44] })
        for other in run.notes where other.attendee != naomi.attendee {
            #expect(!other.sentences.contains { $0.evidence.contains(44) }, "\(other.attendee)")
        }
        #expect(!run.groupNote.sentences.contains { $0.evidence.contains(44) })
    }

    /// A relative who is not the client is never written up as "Client": a family member in family
    /// therapy, a collateral contact in an individual session.
    @Test(arguments: DraftingScenarioTests.names)
    func relativesWhoAreNotClients_areNotCalledClient(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        for note in run.notes where !note.manualNoteRequired {
            guard let attendee = scenario.session.attendee(note.attendee), attendee.role == .familyMember else {
                continue
            }
            let expected = scenario.session.kind == .individual ? "Collateral contact" : "Family member"
            #expect(!note.sentences.contains { $0.text.hasPrefix("Client ") }, "\(name): \(note.attendee)")
            #expect(note.sentences.contains { $0.text.hasPrefix(expected + " ") }, "\(name): \(note.attendee)")
        }
    }

    /// In a group, two members' notes share under a fifth of their member-specific lines (beyond
    /// attendance and what the session did with everyone).
    @Test(arguments: DraftingScenarioTests.names)
    func groupNotes_shareFewMemberSpecificLines(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        guard [.group, .multiFamilyGroup].contains(scenario.session.kind) else { return }
        let notes = run.notes.filter { !$0.manualNoteRequired }
        for (offset, first) in notes.enumerated() {
            for second in notes.dropFirst(offset + 1) {
                let (shared, union) = NoteAssembly.sharedLines(first, second)
                #expect(
                    union == 0 || Double(shared) / Double(union) < 0.2,
                    "\(name): \(first.attendee) and \(second.attendee) share \(shared) of \(union) lines")
            }
        }
    }

    /// A practice that writes no note for collateral contacts (`collateralNotes: none`) gets none for the
    /// daughter who sat in on her mother's individual session, and the run says why; the client's note
    /// is drafted as usual.
    @Test func collateralContact_getsNoNote_whenThePracticeWritesNone() async throws {
        let scenario = try Fixtures.scenario("individual-with-collateral")
        var agents = try Fixtures.agents()
        agents.drafting.drafter.collateralNotes = false
        let run = try await SessionSupervisor(configuration: agents.supervisor).draft(
            scenario.session, transcript: scenario.transcript)
        #expect(!run.notes.contains { $0.attendee == PersonID("CL-602") })
        #expect(run.skipped.contains(SkippedAttendee(attendee: PersonID("CL-602"), reason: .collateral)))
        #expect(run.notes.contains { $0.attendee == PersonID("CL-601") && !$0.manualNoteRequired })
    }

    /// Nothing reads as a normal finding by default.
    @Test(arguments: DraftingScenarioTests.names)
    func noNote_defaultsToANormalFinding(_ name: String) async throws {
        let (_, run, _) = try await Self.draft(name)
        for note in run.notes {
            for phrase in ["within normal limits", "no si/hi", "denies si", "mood euthymic", "appropriate affect"] {
                #expect(!note.text.lowercased().contains(phrase), "\(name): \(note.attendee) has \(phrase)")
            }
        }
    }

    @Test(arguments: DraftingScenarioTests.names)
    func everyDraft_isMarkedAsADraftNeedingReview(_ name: String) async throws {
        let (scenario, run, _) = try await Self.draft(name)
        #expect(run.notes.count == scenario.session.attendees.filter(\.present).count)
        for note in run.notes { #expect(note.status == .draft) }
        #expect(Set(run.groupNote.attendees) == Set(scenario.session.attendees.filter(\.present).map(\.id)))
        for attendee in scenario.session.attendees where !attendee.present {
            #expect(run.skipped.contains(SkippedAttendee(attendee: attendee.id, reason: .absent)))
        }
    }

    // MARK: - Confidentiality in a couples session

    @Test func couples_partnersViolenceDisclosure_staysOutOfTheOtherNote() async throws {
        let (_, run, _) = try await Self.draft("couples-session")
        let victim = PersonID("CL-402")
        let other = try #require(run.note(for: PersonID("CL-401")))
        let flag = try #require(run.risk.flags(for: victim).first { $0.category == .intimatePartnerViolence })
        let disclosure = try #require(flag.evidence.first)
        // Her own note records it; his note and the shared note hold nothing of it.
        #expect(run.note(for: victim)!.sentences.contains { $0.evidence.contains(disclosure) })
        for text in [other.text, run.groupNote.sentences.map(\.text).joined(separator: "\n")] {
            let lower = text.lowercased()
            for word in [
                "threw", "grabbed", "wrist", "scared", "door locked", "crisis line", "violence", "aggression",
                "safe going home", "time-out",
            ] {
                #expect(!lower.contains(word), "\(word)")
            }
        }
        for sentence in other.sentences + run.groupNote.sentences {
            #expect(!sentence.evidence.contains { $0 >= disclosure && $0 <= disclosure + 8 }, "\(sentence.text)")
        }
        #expect(run.findings.contains { $0.code == .protectedDisclosure })
        // His note still carries his own treatment-plan progress.
        #expect(other.structured[.progress].contains { $0.basis == .transcript })
    }
}
