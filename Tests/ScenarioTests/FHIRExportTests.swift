import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleSystem
import EnsembleTesting
import Foundation
import Testing

/// Every bundled scenario, drafted and exported as a FHIR R4 Bundle: validated by the third-party
/// `fhir.resources` 6.4.0 models (with every reference resolved and of a type R4 allows), and read
/// back here for what the models cannot know: whose chart each resource lands in.
@Suite("FHIR R4 export")
struct FHIRExportTests {
    static let names = (try? Fixtures.scenarioNames()) ?? []
    static let exported = Timestamp(iso8601: "2026-05-25T09:30:00-05:00")!

    static func writer() throws -> FHIRBundleWriter {
        let (mapping, _) = try AgentsDirectory.fhirMapping(explicit: Fixtures.agentsDirectory)
        return FHIRBundleWriter(mapping: mapping, digest: Hashing.sha256)
    }

    static func record(_ scenario: Scenario, session: Session? = nil) async throws -> FHIRSessionRecord {
        let agents = try Fixtures.agents()
        let run = try await SessionSupervisor(configuration: agents.supervisor).draft(
            session ?? scenario.session, transcript: scenario.transcript)
        let files = try scenario.transcriptFiles.map { name in
            FHIRTranscript(
                fileName: name, contentType: FHIRTranscript.contentType(forFile: name),
                bytes: try Fixtures.bytes(scenario.directory + "/" + name))
        }
        return FHIRSessionRecord(
            draft: run, agents: agents.versions, model: nil, drafted: Self.exported, transcript: files)
    }

    static func export(_ name: String) async throws -> (Scenario, JSONNode) {
        let scenario = try Fixtures.scenario(name)
        let record = try await Self.record(scenario)
        return (scenario, try Self.writer().write(record, exported: Self.exported).bundle)
    }

    @Test func everyBundledScenario_validatesAsFHIRR4() async throws {
        var bundles: [(name: String, json: String)] = []
        for name in Self.names {
            let (_, bundle) = try await Self.export(name)
            bundles.append((name, JSONWriter.write(bundle)))
        }
        #expect(bundles.count == Self.names.count && !bundles.isEmpty)
        guard let verdicts = try FHIRValidation.validate(bundles) else {
            #expect(!FHIRValidation.required, "fhir.resources is not installed: run make test (it installs it)")
            print("note: fhir.resources not installed; FHIR Bundles checked structurally only (make test installs it)")
            return
        }
        for bundle in bundles {
            #expect(verdicts[bundle.name] == [], "\(bundle.name): \(verdicts[bundle.name] ?? ["no verdict"])")
        }
    }

    @Test func theValidatorCatchesBrokenBundles_soItsVerdictMeansSomething() async throws {
        let (_, bundle) = try await Self.export("adolescent-family")
        let view = BundleView(bundle)
        let encounter = try #require(view.resources("Encounter").first)
        let patient = try #require(view.resources("Patient").first)
        // An Encounter without its required status; a Patient as an Encounter participant (R4 allows
        // Practitioners and RelatedPersons only); a reference to nothing.
        let broken = JSONWriter.write(bundle)
            .replacingOccurrences(of: "\"status\": \"finished\",", with: "")
            .replacingOccurrences(
                of: "\"individual\": {\n", with: "\"individual\": {\"display\": \"x\"},\"_x\": {\n")
        func reference(_ url: String?) -> String { "\"reference\": \"\(url ?? "")\"" }
        let wrongType = JSONWriter.write(bundle).replacingOccurrences(
            of: reference(view.fullUrl(of: view.resources("RelatedPerson")[0])),
            with: reference(view.fullUrl(of: patient)))
        let dangling = JSONWriter.write(bundle).replacingOccurrences(
            of: reference(view.fullUrl(of: encounter)), with: reference("urn:uuid:00000000-0000-8000-8000-000000000000")
        )
        guard
            let verdicts = try FHIRValidation.validate([
                ("broken", broken), ("wrong-type", wrongType), ("dangling", dangling),
            ])
        else {
            #expect(!FHIRValidation.required, "fhir.resources is not installed: run make test (it installs it)")
            return
        }
        #expect(verdicts["broken"]?.contains { $0.contains("status: field required") } == true, "\(verdicts)")
        #expect(verdicts["wrong-type"]?.contains { $0.contains("R4 does not allow a Patient here") } == true)
        #expect(verdicts["dangling"]?.contains { $0.contains("does not resolve inside the Bundle") } == true)
    }

    @Test func exportingTwice_givesTheSameBundle() async throws {
        let (_, first) = try await Self.export("multi-family-group")
        let (_, second) = try await Self.export("multi-family-group")
        #expect(JSONWriter.write(first) == JSONWriter.write(second))
    }

    @Test func aGroupSession_hangsEachMembersRecordsOffTheirOwnEncounter() async throws {
        let (scenario, bundle) = try await Self.export("dbt-skills-group")
        let view = BundleView(bundle)
        let session = scenario.session
        let group = try #require(view.resources("Group").first)
        #expect(group["member"]?.array?.count == session.attendees.count)
        let sessionEncounter = try #require(view.resources("Encounter").first { $0["partOf"] == nil })
        #expect(view.type(of: sessionEncounter["subject"]) == "Group")
        // A member Encounter per present attendee, under the session's; none for an absent one.
        let members = view.resources("Encounter").filter { $0["partOf"] != nil }
        #expect(members.count == session.attendees.filter(\.present).count)
        for attendee in session.attendees {
            let patient = try #require(view.patient(attendee.id))
            let encounter = members.first { view.target($0["subject"]) == patient }
            #expect((encounter != nil) == attendee.present, "\(attendee.id)")
            let notes = view.resources("DocumentReference").filter { view.target($0["subject"]) == patient }
            let consented = attendee.consent?.aiDrafting ?? false
            #expect(notes.count == (attendee.present && consented ? 1 : 0), "\(attendee.id)")
            if let note = notes.first, let encounter {
                #expect(note["docStatus"]?.string == "preliminary")
                #expect(note["authenticator"] == nil, "a draft is never signed")
                let labels = view.codes(note["meta"]?["security"])
                #expect(labels.contains("AIAST"))
                #expect(view.target(note["context"]?["encounter"]?.array?.first) == view.fullUrl(of: encounter))
                let text = view.attachmentText(note, type: "text/plain")
                #expect(text?.contains(attendee.name) == false)
                let provenance = try #require(
                    view.resources("Provenance").first {
                        view.target($0["target"]?.array?.first) == view.fullUrl(of: note)
                    })
                let reasons = view.codes(provenance["reason"]?.array?.first?["coding"])
                #expect(reasons.contains("AIAST"))
                #expect(view.type(of: provenance["agent"]?.array?.first?["who"]) == "Device")
            }
            // No AI consent: the Consent says deny, and there is no AI-drafted note.
            let aiConsent = view.resources("Consent").first {
                view.target($0["patient"]) == patient
                    && $0["policy"]?.array?.first?["uri"]?.string
                        == "urn:ensemble:policy:ai-drafting"
            }
            #expect(aiConsent?["provision"]?["type"]?.string == (consented ? "permit" : "deny"))
        }
        // The group note belongs to the session Encounter and links every member Encounter.
        let groupNote = try #require(
            view.resources("DocumentReference").first { $0["type"]?["text"]?.string == "Group note" })
        #expect(view.target(groupNote["context"]?["encounter"]?.array?.first) == view.fullUrl(of: sessionEncounter))
        #expect(groupNote["context"]?["related"]?.array?.count == members.count)
        // The transcript travels as it came, byte for byte.
        let transcript = try #require(
            view.resources("DocumentReference").first { $0["type"]?["text"]?.string == "Session transcript" })
        let data = try #require(transcript["content"]?.array?.first?["attachment"]?["data"]?.string)
        #expect(Base64.decode(data) == (try Fixtures.bytes(scenario.directory + "/" + scenario.transcriptFiles[0])))
    }

    @Test func aFamilySession_isTheIdentifiedPatientsEncounter_withTheFamilyAsParticipants() async throws {
        let (scenario, bundle) = try await Self.export("adolescent-family")
        let view = BundleView(bundle)
        let patient = try #require(scenario.session.attendees.first { $0.role == .identifiedPatient })
        let sessionEncounter = try #require(view.resources("Encounter").first { $0["partOf"] == nil })
        #expect(view.target(sessionEncounter["subject"]) == view.patient(patient.id))
        let participants = sessionEncounter["participant"]?.array ?? []
        let related = participants.filter { view.type(of: $0["individual"]) == "RelatedPerson" }
        #expect(related.count == scenario.session.attendees.filter { $0.role == .familyMember && $0.present }.count)
        for person in view.resources("RelatedPerson") {
            #expect(view.target(person["patient"]) == view.patient(patient.id))
        }
        // The family note belongs to no one member: no subject, and not the patient's Encounter.
        let familyNote = try #require(
            view.resources("DocumentReference").first { $0["type"]?["text"]?.string == "Group note" })
        #expect(familyNote["subject"] == nil && familyNote["context"]?["encounter"] == nil)
        let labels = view.codes(familyNote["meta"]?["security"])
        #expect(labels.contains("R"))
        // The claim is the identified patient's, on the session Encounter, with the coverage's payer.
        let claim = try #require(view.resources("Claim").first)
        #expect(view.target(claim["patient"]) == view.patient(patient.id))
        #expect(claim["item"]?.array?.first?["productOrService"]?["coding"]?.array?.first?["code"]?.string == "90847")
        #expect(
            view.target(claim["item"]?.array?.first?["encounter"]?.array?.first) == view.fullUrl(of: sessionEncounter))
        #expect(claim["status"]?.string == "draft", "pending signature")
        // Risk: the self-harm disclosure is a RiskAssessment in the patient's chart, resting on their note.
        let risk = try #require(
            view.resources("RiskAssessment").first { view.target($0["subject"]) == view.patient(patient.id) })
        #expect(risk["prediction"]?.array?.first?["outcome"]?["text"]?.string == "selfHarm")
        #expect(view.type(of: risk["basis"]?.array?.first) == "DocumentReference")
    }

    /// A family member the EHR sent no chart context for is a RelatedPerson of their identified patient
    /// only: no Patient, no Encounter, no document or risk assessment of their own (R4 has no place for
    /// one), and the export says what it left out.
    @Test func familyMembersWithoutACharts_areRelatedPersonsOnly() async throws {
        let scenario = try Fixtures.scenario("multi-family-group")
        let record = try await Self.record(scenario)
        let export = try Self.writer().write(record, exported: Self.exported)
        let view = BundleView(export.bundle)
        let withoutChart = scenario.session.attendees.filter {
            $0.role == .familyMember && $0.coverage == nil && $0.diagnoses.isEmpty && $0.treatmentPlan == nil
                && $0.measures.isEmpty
        }
        #expect(!withoutChart.isEmpty)
        for attendee in withoutChart {
            #expect(view.patient(attendee.id) == nil, "\(attendee.id)")
            let person = try #require(
                view.resources("RelatedPerson").first {
                    $0["identifier"]?.array?.first?["value"]?.string == attendee.id.rawValue
                })
            let family = try #require(attendee.relatedTo)
            #expect(view.target(person["patient"]) == view.patient(family))
            if attendee.present {
                #expect(export.omitted.contains { $0.contains("the note of \(attendee.id)") })
            }
        }
        // Everyone present without a chart takes part in the session Encounter.
        let sessionEncounter = try #require(view.resources("Encounter").first { $0["partOf"] == nil })
        let related = (sessionEncounter["participant"]?.array ?? []).filter {
            view.type(of: $0["individual"]) == "RelatedPerson"
        }
        #expect(related.count == withoutChart.filter(\.present).count)
    }

    /// A trainee's signature waiting for the co-signature is not yet a signature: no authenticator, and
    /// no human in the Provenance. Once co-signed, the trainee attests and both verify.
    @Test func signatures_countOnceTheNoteIsSigned() async throws {
        let scenario = try Fixtures.scenario("couples-session")
        var record = try await Self.record(scenario)
        let trainee = FHIRSigner(clinician: nil, userID: "tlee", name: "Terry Lee", at: "2026-05-19T18:00:00-05:00")
        let supervisor = FHIRSigner(clinician: nil, userID: "sup", name: "Sam Upton", at: "2026-05-20T09:00:00-05:00")
        record.notes[0].status = .preliminary
        record.notes[0].signer = trainee
        var view = BundleView(try Self.writer().write(record, exported: Self.exported).bundle)
        var note = try #require(
            view.resources("DocumentReference").first {
                $0["docStatus"]?.string == "preliminary" && $0["type"]?["text"] == nil
            })
        #expect(note["authenticator"] == nil)
        #expect(
            view.resources("Practitioner").count == scenario.session.clinicians.count,
            "no Practitioner for the trainee yet")

        record.notes[0].status = .final
        record.notes[0].cosigner = supervisor
        view = BundleView(try Self.writer().write(record, exported: Self.exported).bundle)
        note = try #require(
            view.resources("DocumentReference").first {
                $0["docStatus"]?.string == "final" && $0["type"]?["text"] == nil
            })
        let traineePractitioner = try #require(
            view.resources("Practitioner").first { $0["name"]?.array?.first?["text"]?.string == "Terry Lee" })
        let traineeURL = try #require(view.fullUrl(of: traineePractitioner))
        #expect(view.target(note["authenticator"]) == traineeURL)
        let provenance = try #require(
            view.resources("Provenance").first { view.target($0["target"]?.array?.first) == view.fullUrl(of: note) })
        let agents = (provenance["agent"]?.array ?? []).map {
            ($0["type"]?["coding"]?.array?.first?["code"]?.string ?? "", view.target($0["who"]) ?? "")
        }
        #expect(agents.map(\.0) == ["author", "verifier", "attester", "verifier"])
        #expect(provenance["recorded"]?.string == "2026-05-20T09:00:00-05:00", "the latest event: the co-signature")
    }

    @Test func part2Records_carryTheirLabels_andTheConsentForPayment() async throws {
        let (scenario, bundle) = try await Self.export("substance-use-group")
        let view = BundleView(bundle)
        for attendee in scenario.session.attendees {
            let patient = try #require(view.patient(attendee.id))
            let part2 = attendee.consent?.part2 ?? false
            let theirs = view.entries.filter { view.mentions($0, patient) }
            #expect(!theirs.isEmpty)
            for resource in theirs {
                let labels = view.codes(resource["meta"]?["security"])
                #expect(
                    labels.contains("42CFRPart2") == part2, "\(attendee.id) \(resource["resourceType"]?.string ?? "")")
            }
            let consent = view.resources("Consent").first {
                view.target($0["patient"]) == patient
                    && $0["policy"]?.array?.first?["uri"]?.string?.contains("part-2") == true
            }
            #expect((consent != nil) == part2)
            if let consent, let disclosure = attendee.consent?.paymentDisclosure {
                #expect(consent["provision"]?["type"]?.string == (disclosure ? "permit" : "deny"))
                let purposes = view.codes(consent["provision"]?["purpose"])
                #expect(purposes.contains("HPAYMT"))
            }
        }
    }

    /// DOMAIN.md §4: a member's chart never names another member. Each attendee's DocumentReference,
    /// RiskAssessments and Claim, attachments decoded, name no other attendee and point at nothing of
    /// theirs, in every bundled scenario and in synthetic groups of 3 to 9.
    @Test func eachAttendeesResources_nameNoOtherAttendee() async throws {
        var sessions: [(Session, FHIRSessionRecord)] = []
        for name in Self.names {
            let scenario = try Fixtures.scenario(name)
            sessions.append((scenario.session, try await Self.record(scenario)))
        }
        let agents = try Fixtures.agents()
        for seed in 1...8 {
            let synthetic = SyntheticSession.make(attendees: 2 + seed % 7, utterances: 60, seed: UInt64(seed))
            let run = try await SessionSupervisor(configuration: agents.supervisor).draft(
                synthetic.session, transcript: synthetic.transcript)
            sessions.append(
                (
                    synthetic.session,
                    FHIRSessionRecord(draft: run, agents: [], model: nil, drafted: Self.exported, transcript: [])
                ))
        }
        var checked = 0
        for (session, record) in sessions {
            let view = BundleView(try Self.writer().write(record, exported: Self.exported).bundle)
            for attendee in session.attendees {
                guard let patient = view.patient(attendee.id) else { continue }
                let own = Set(Self.words(attendee.name) + attendee.aliases.flatMap(Self.words))
                let others = session.attendees.filter { $0.id != attendee.id }
                // Names in any case; aliases when capitalised (an alias may be an ordinary word, such
                // as a father's "buddy" to his son, which the drafter leaves alone in lower case).
                let names = Set(others.flatMap { Self.words($0.name) }).subtracting(own)
                let aliases = Set(others.flatMap { $0.aliases.flatMap(Self.words) }).subtracting(own)
                let otherIDs = others.map(\.id.rawValue)
                let otherURLs = Set(others.flatMap { view.urls(belongingTo: $0.id) })
                let resources = view.entries.filter { resource in
                    ["DocumentReference", "RiskAssessment", "Claim"].contains(resource["resourceType"]?.string ?? "")
                        && (view.target(resource["subject"]) == patient || view.target(resource["patient"]) == patient)
                }
                for resource in resources {
                    let text = view.fullText(resource)
                    let capitalised = Set(
                        text.split { !$0.isLetter }.filter { $0.first?.isUppercase == true }.map { $0.lowercased() })
                    let leaked = names.intersection(Self.words(text)).union(aliases.intersection(capitalised))
                    #expect(
                        leaked.isEmpty,
                        "\(session.id) \(attendee.id) \(resource["resourceType"]?.string ?? ""): names \(leaked.sorted())"
                    )
                    for id in otherIDs { #expect(!text.contains(id), "\(session.id) \(attendee.id): names \(id)") }
                    let pointed = Set(view.references(in: resource)).intersection(otherURLs)
                    #expect(pointed.isEmpty, "\(session.id) \(attendee.id): refers to another attendee's record")
                    checked += 1
                }
            }
        }
        #expect(checked > 100)
    }

    static func words(_ text: String) -> [String] {
        text.split { !$0.isLetter }.map { $0.lowercased() }.filter { $0.count >= 3 }
    }
}

/// A Bundle read back for assertions: resources by type, references resolved to full URLs.
struct BundleView {
    let entries: [JSONNode]
    let urls: [String]
    let typeByURL: [String: String]

    init(_ bundle: JSONNode) {
        let entries = bundle["entry"]?.array ?? []
        self.entries = entries.compactMap { $0["resource"] }
        self.urls = entries.compactMap { $0["fullUrl"]?.string }
        var types: [String: String] = [:]
        for entry in entries {
            if let url = entry["fullUrl"]?.string { types[url] = entry["resource"]?["resourceType"]?.string }
        }
        self.typeByURL = types
    }

    func resources(_ type: String) -> [JSONNode] { self.entries.filter { $0["resourceType"]?.string == type } }

    func fullUrl(of resource: JSONNode) -> String? {
        self.entries.firstIndex(of: resource).map { self.urls[$0] }
    }

    func target(_ reference: JSONNode?) -> String? { reference?["reference"]?.string }

    func type(of reference: JSONNode?) -> String? { self.target(reference).flatMap { self.typeByURL[$0] } }

    func patient(_ id: PersonID) -> String? {
        let patient = self.resources("Patient").first {
            $0["identifier"]?.array?.contains { $0["value"]?.string == id.rawValue } == true
        }
        return patient.flatMap(self.fullUrl)
    }

    /// Every resource that is this person or is about them (subject, patient or beneficiary).
    func urls(belongingTo id: PersonID) -> [String] {
        var urls: [String] = []
        for (offset, resource) in self.entries.enumerated() {
            let isThem =
                ["Patient", "RelatedPerson"].contains(resource["resourceType"]?.string ?? "")
                && resource["identifier"]?.array?.contains { $0["value"]?.string == id.rawValue } == true
            if isThem { urls.append(self.urls[offset]) }
        }
        let people = Set(urls)
        for (offset, resource) in self.entries.enumerated() where !people.contains(self.urls[offset]) {
            for key in ["subject", "patient", "beneficiary"] {
                if let target = self.target(resource[key]), people.contains(target) { urls.append(self.urls[offset]) }
            }
        }
        return urls
    }

    func mentions(_ resource: JSONNode, _ url: String) -> Bool {
        self.fullUrl(of: resource) == url || self.references(in: resource).contains(url)
    }

    func references(in node: JSONNode) -> [String] {
        switch node.value {
        case .object(let members):
            return members.flatMap { member -> [String] in
                if member.key == "reference", let text = member.node.string { return [text] }
                return self.references(in: member.node)
            }
        case .array(let elements): return elements.flatMap { self.references(in: $0) }
        default: return []
        }
    }

    func codes(_ node: JSONNode?) -> [String] {
        guard let node else { return [] }
        switch node.value {
        case .object(let members):
            return members.flatMap { member -> [String] in
                if member.key == "code", let code = member.node.string { return [code] }
                return self.codes(member.node)
            }
        case .array(let elements): return elements.flatMap { self.codes($0) }
        default: return []
        }
    }

    func attachmentText(_ document: JSONNode, type: String) -> String? {
        let attachment = document["content"]?.array?.compactMap { $0["attachment"] }.first {
            $0["contentType"]?.string?.hasPrefix(type) == true
        }
        return attachment?["data"]?.string.flatMap(Base64.decode).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The resource's JSON with every attachment decoded into it.
    func fullText(_ resource: JSONNode) -> String {
        var text = JSONWriter.write(resource)
        for attachment in resource["content"]?.array ?? [] {
            if let data = attachment["attachment"]?["data"]?.string, let bytes = Base64.decode(data) {
                text += "\n" + String(decoding: bytes, as: UTF8.self)
            }
        }
        return text
    }
}

/// `ensemble fhir import`'s reading: a Bundle back to a session and its transcript.
@Suite("FHIR R4 import")
struct FHIRImportTests {
    static func reader() throws -> FHIRBundleReader {
        FHIRBundleReader(mapping: try AgentsDirectory.fhirMapping(explicit: Fixtures.agentsDirectory).mapping)
    }

    /// Export, import through session.json, draft again: the same session, the same attribution of every
    /// utterance, the same claims.
    @Test(arguments: FHIRExportTests.names)
    func roundTrip_keepsRosterAttributionAndClaims(_ name: String) async throws {
        let scenario = try Fixtures.scenario(name)
        let record = try await FHIRExportTests.record(scenario)
        let bundle = JSONWriter.write(
            try FHIRExportTests.writer().write(record, exported: FHIRExportTests.exported).bundle)
        let imported = try Self.reader().read(Array(bundle.utf8), file: "bundle.json")
        let json = JSONWriter.write(
            SessionEncoder.json(imported.session, transcriptFiles: imported.transcript.map(\.fileName)))
        let document = try SessionDecoder.decode(Array(json.utf8), file: "session.json")
        // A family member's identified patient is explicit in FHIR (RelatedPerson.patient) where
        // session.json may leave it implicit; the same family either way.
        func explicit(_ session: Session) -> Session {
            var session = session
            for index in session.attendees.indices where session.attendees[index].role != .identifiedPatient {
                let family = session.family(of: session.attendees[index])
                session.attendees[index].relatedTo = family == session.attendees[index].id ? nil : family
            }
            return session
        }
        #expect(explicit(document.session) == explicit(scenario.session))
        #expect(imported.transcript.map(\.fileName) == scenario.transcriptFiles)
        let file = try #require(imported.transcript.first)
        let transcript = try TranscriptReading.read(file.bytes, file: file.fileName)
        let agents = try Fixtures.agents()
        let before = try await SessionSupervisor(configuration: agents.supervisor).draft(
            scenario.session, transcript: scenario.transcript)
        let after = try await SessionSupervisor(configuration: agents.supervisor).draft(
            document.session, transcript: transcript)
        #expect(after.attributed.attribution.speakers == before.attributed.attribution.speakers)
        #expect(
            after.attributed.attribution.utterances.map(\.person)
                == before.attributed.attribution.utterances.map(\.person))
        #expect(after.billing.claims == before.billing.claims)
    }

    /// A Bundle written by hand the way an EHR's integration engine would send one: `Type/id` references,
    /// no Ensemble extensions, the transcript as a Binary. The kind, roles and consents are read from it.
    @Test func anEHRsOwnBundle_becomesADraftableSession() async throws {
        let bytes = try Fixtures.bytes(Fixtures.repositoryRoot + "/Tests/Fixtures/fhir/ehr-group-bundle.json")
        let imported = try Self.reader().read(bytes, file: "ehr-group-bundle.json")
        let session = imported.session
        #expect(session.id.rawValue == "ENC-88231" && session.kind == .group && session.modality == .video)
        #expect(session.clinicians.map(\.id.rawValue) == ["pr-17"] && session.clinicians[0].npi == "1245319599")
        #expect(session.attendees.map(\.id.rawValue) == ["pt-501", "pt-502", "pt-503"])
        #expect(session.attendees.map(\.present) == [true, true, false])
        #expect(session.attendees[0].diagnoses == ["F33.1"] && session.attendees[0].consent?.aiDrafting == true)
        #expect(session.attendees[1].consent?.aiDrafting == false, "a deny provision is no consent")
        #expect(session.attendees[1].consent?.part2 == true, "records the EHR labelled 42CFRPart2 are Part 2")
        #expect(session.attendees[2].consent == nil, "no Consent resource: nothing consented")
        #expect(
            session.attendees[0].coverage?.memberId == "XKW99120" && session.attendees[0].coverage?.payerId == "60054")
        #expect(
            session.attendees[0].measures.first?.instrument == "PHQ-9"
                && session.attendees[0].measures.first?.score == 14)
        #expect(imported.transcript.first?.contentType == "text/plain")
        let transcript = try TranscriptReading.read(imported.transcript[0].bytes, file: imported.transcript[0].fileName)
        let agents = try Fixtures.agents()
        let run = try await SessionSupervisor(configuration: agents.supervisor).draft(session, transcript: transcript)
        #expect(run.notes.filter(\.aiGenerated).map(\.attendee.rawValue) == ["pt-501"])
        #expect(
            run.notes.filter(\.manualNoteRequired).map(\.attendee.rawValue) == ["pt-502"], "pt-502 refused AI drafting")
        #expect(!run.notes.contains { $0.attendee.rawValue == "pt-503" }, "pt-503 was absent")
        #expect(run.attributed.attribution.utterances.filter { $0.person == PersonID("pt-501") }.count >= 3)
    }

    @Test func missingAndContradictoryElements_areErrorsNamingResourceAndPath() async throws {
        let scenario = try Fixtures.scenario("adolescent-family")
        let record = try await FHIRExportTests.record(scenario)
        let bundle = try FHIRExportTests.writer().write(record, exported: FHIRExportTests.exported).bundle
        let view = BundleView(bundle)
        let encounter = try #require(view.resources("Encounter").first { $0["partOf"] == nil })
        let encounterName = "Encounter/\(encounter["id"]!.string!)"
        let text = JSONWriter.write(bundle)
        func error(_ broken: String) throws -> FormatError? {
            do {
                _ = try Self.reader().read(Array(broken.utf8), file: "b.json")
                return nil
            } catch let error as FormatError { return error }
        }
        let names = scenario.session.attendees.flatMap { FHIRExportTests.words($0.name) }

        let noStart = try #require(
            try error(text.replacingOccurrences(of: "\"start\": \"2026-05-14T", with: "\"begin\": \"2026-05-14T")))
        #expect(noStart.field == "\(encounterName).period.start" && noStart.code == .missingField, "\(noStart)")

        // A Patient where R4 allows Practitioners and RelatedPersons.
        let practitioner = try #require(view.fullUrl(of: view.resources("Practitioner")[0]))
        let patient = try #require(view.patient(PersonID("CL-301")))
        let wrong = try #require(
            try error(
                text.replacingOccurrences(
                    of: "\"reference\": \"\(practitioner)\"", with: "\"reference\": \"\(patient)\"")))
        #expect(wrong.field == "\(encounterName).participant[0].individual" && wrong.code == .wrongType, "\(wrong)")
        #expect(wrong.description.contains("refers to a Patient"))

        let dangling = try #require(
            try error(
                text.replacingOccurrences(
                    of: "\"reference\": \"\(patient)\"", with: "\"reference\": \"Patient/nowhere\"")))
        #expect(dangling.code == .notFound && dangling.description.contains("not in the Bundle"), "\(dangling)")

        var withoutTranscript = text
        for document in view.resources("DocumentReference")
        where document["type"]?["text"]?.string == "Session transcript" {
            withoutTranscript = withoutTranscript.replacingOccurrences(
                of: "\"text\": \"Session transcript\"", with: "\"text\": \"Other\"")
            _ = document
        }
        withoutTranscript = withoutTranscript.replacingOccurrences(
            of: "\"code\": \"session-transcript\"", with: "\"code\": \"other\"")
        let noTranscript = try #require(try error(withoutTranscript))
        #expect(noTranscript.description.contains("has no transcript"), "\(noTranscript)")

        let icd = try #require(
            try error(
                text.replacingOccurrences(of: "http://hl7.org/fhir/sid/icd-10-cm", with: "http://snomed.info/sct")))
        #expect(icd.field?.hasPrefix("Condition/") == true && icd.field?.hasSuffix(".code") == true, "\(icd)")

        // Contradictions: two active AI-drafting Consents that disagree; a family member taking part who
        // is not on the roster.
        guard case .object(var root) = bundle.value, let entriesIndex = root.firstIndex(where: { $0.key == "entry" }),
            case .array(var entries) = root[entriesIndex].node.value
        else { throw FormatError(.syntax, file: "test", "no entries") }
        let consentIndex = try #require(
            entries.firstIndex {
                $0["resource"]?["resourceType"]?.string == "Consent"
                    && $0["resource"]?["provision"]?["type"]?.string == "permit"
            })
        var copy = JSONWriter.write(entries[consentIndex], pretty: false)
        copy = copy.replacingOccurrences(of: "\"type\":\"permit\"", with: "\"type\":\"deny\"")
        copy = copy.replacingOccurrences(
            of: "urn:uuid:", with: "urn:uuid:0", options: [], range: copy.range(of: "\"fullUrl\":\"urn:uuid:"))
        copy = copy.replacingOccurrences(
            of: "\"id\":\"", with: "\"id\":\"x", options: [], range: copy.range(of: "\"id\":\""))
        var doubled = entries
        doubled.append(try JSONParser.parse(copy, file: "copy"))
        root[entriesIndex] = JSONMember("entry", JSONNode(.array(doubled)))
        let contradicting = try #require(try error(JSONWriter.write(JSONNode(.object(root)))))
        #expect(
            contradicting.code == .inconsistent && contradicting.field?.hasPrefix("Consent/x") == true,
            "\(contradicting)")
        #expect(contradicting.description.contains("contradicts another active AI-drafting Consent"))

        // The same person twice on the roster.
        let group = try #require(entries.firstIndex { $0["resource"]?["resourceType"]?.string == "Group" })
        guard case .object(var groupEntry) = entries[group].value,
            let resourceIndex = groupEntry.firstIndex(where: { $0.key == "resource" }),
            case .object(var groupMembers) = groupEntry[resourceIndex].node.value,
            let memberIndex = groupMembers.firstIndex(where: { $0.key == "member" }),
            case .array(let members) = groupMembers[memberIndex].node.value, let first = members.first
        else { throw FormatError(.syntax, file: "test", "no roster") }
        groupMembers[memberIndex] = JSONMember("member", JSONNode(.array(members + [first])))
        groupEntry[resourceIndex] = JSONMember("resource", JSONNode(.object(groupMembers)))
        entries[group] = JSONNode(.object(groupEntry))
        root[entriesIndex] = JSONMember("entry", JSONNode(.array(entries)))
        let twice = try #require(try error(JSONWriter.write(JSONNode(.object(root)))))
        #expect(twice.code == .inconsistent && twice.description.contains("is on the roster twice"), "\(twice)")
        #expect(twice.field?.hasPrefix("Patient/") == true)

        for failure in [noStart, wrong, dangling, noTranscript, icd, contradicting, twice] {
            let message = failure.description.lowercased()
            #expect(!names.contains { message.contains($0) }, "no names in errors: \(failure)")
        }
    }
}
