import EnsembleCLI
import EnsembleCore
import EnsembleFormats
import EnsembleTesting
import Foundation
import Testing

/// `ensemble fhir export` from the command line: a scenario folder drafted now, and a stored session
/// whose notes were signed and amended through review, each validated as FHIR R4.
@Suite("Command line: FHIR export")
struct FHIRCommandTests {
    typealias Run = CommandLineTests.Run

    let database = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString).db")
        .path

    func run(_ arguments: [String], as user: String?) async -> Run {
        let captured = CapturedConsole()
        var arguments = arguments
        if ["draft", "fhir"].contains(arguments.first) { arguments += ["--agents", Fixtures.agentsDirectory] }
        if arguments.first != "fhir" || arguments.contains("--session") || user != nil {
            arguments += ["--db", self.database]
        }
        if let user { arguments += ["--as", user] }
        let status = await Console.$current.withValue(captured.console) { await EnsembleCLI.run(arguments) }
        return Run(status: status, out: captured.out, error: captured.error)
    }

    func report(_ folder: String) async throws -> JSONNode {
        let draft = await self.run(["draft", folder, "--json", "--quiet"], as: nil)
        #expect(draft.status == 0, "\(draft.error)")
        return try JSONParser.parse(draft.out, file: "report")
    }

    func validate(_ bundles: [(name: String, json: String)]) throws {
        guard let verdicts = try FHIRValidation.validate(bundles) else {
            #expect(!FHIRValidation.required, "fhir.resources is not installed: run make test (it installs it)")
            return
        }
        for bundle in bundles { #expect(verdicts[bundle.name] == [], "\(bundle.name): \(verdicts[bundle.name] ?? [])") }
    }

    @Test func aScenarioFolder_isExportedAsOneBundle() async throws {
        let export = await self.run(
            [
                "fhir", "export", Fixtures.scenariosDirectory + "/couples-session", "--created",
                "2026-05-20T12:00:00-05:00", "--with-transcript",
            ], as: nil)
        #expect(export.status == 0, "\(export.error)")
        let bundle = try JSONParser.parse(export.out, file: "stdout")
        #expect(bundle["resourceType"]?.string == "Bundle" && bundle["type"]?.string == "collection")
        #expect(bundle["timestamp"]?.string == "2026-05-20T12:00:00-05:00")
        #expect(export.error.contains("FHIR R4 Bundle for session") && export.error.contains("2 Patient"))
        try self.validate([("couples-session", export.out)])

        let neither = await self.run(["fhir", "export"], as: nil)
        #expect(neither.status == 64 && neither.error.contains("give a scenario folder or --session ID"))
        let missing = await self.run(["fhir", "export", "/nonexistent/folder"], as: nil)
        #expect(missing.status != 0 && missing.error.contains("no such scenario folder"))
    }

    @Test func aStoredSession_carriesItsSignaturesAddendaAndAcknowledgements() async throws {
        let session = "S-2026-05-14-FAM"
        #expect(await self.run(["users", "add", "admin", "--name", "Admin", "--role", "admin"], as: nil).status == 0)
        for (id, name, role, clinician) in [
            ("hcole", "Helen Cole", "clinician", "PROV-4"), ("sup", "Sam Upton", "supervisor", ""),
            ("bill", "Bill Ing", "biller", ""),
        ] {
            var arguments = ["users", "add", id, "--name", name, "--role", role]
            if !clinician.isEmpty { arguments += ["--clinician", clinician] }
            #expect(await self.run(arguments, as: "admin").status == 0)
        }
        #expect(await self.run(["draft", Fixtures.scenariosDirectory + "/adolescent-family"], as: "hcole").status == 0)
        #expect(await self.run(["review", "ack", "1", "--comment", "Safety plan reviewed."], as: "sup").status == 0)
        #expect(await self.run(["review", "sign", session, "CL-301", "--version", "1"], as: "hcole").status == 0)
        let addendum = await self.run(
            ["review", "addendum", session, "CL-301", "--text", "Phone check-in set for Friday."], as: "hcole")
        #expect(addendum.status == 0)
        #expect(await self.run(["review", "sign", session, "CL-302", "--version", "1"], as: "hcole").status == 0)

        let refused = await self.run(["fhir", "export", "--session", session], as: "bill")
        #expect(refused.status == 3 && refused.error.contains("export session records as FHIR"))
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fhir-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let export = await self.run(
            ["fhir", "export", "--session", session, "--output", output, "--with-transcript"], as: "hcole")
        #expect(export.status == 0, "\(export.error)")
        let attributes = try FileManager.default.attributesOfItem(atPath: output)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the Bundle is readable by its owner only")
        let text = try String(contentsOfFile: output, encoding: .utf8)
        try self.validate([("stored-session", text)])

        let view = try StoredBundle(JSONParser.parse(text, file: output))
        let patient = try #require(view.url(of: "Patient", id: "CL-301"))
        let note = try #require(view.note(for: patient))
        #expect(note["docStatus"]?.string == "amended")
        let practitioner = try #require(view.url(of: "Practitioner", id: "PROV-4"))
        #expect(note["authenticator"]?["reference"]?.string == practitioner)
        let body = try #require(view.attachment(note, "text/plain"))
        #expect(body.contains("Addendum (Helen Cole,") && body.contains("Phone check-in set for Friday."))
        let provenance = try #require(view.provenance(of: note))
        let agents = provenance["agent"]?.array ?? []
        #expect(
            agents.contains { $0["who"]?["reference"]?.string == practitioner && view.code($0["type"]) == "attester" })
        #expect(agents.contains { view.type($0["who"]) == "Device" && view.code($0["type"]) == "author" })
        #expect(view.code(provenance["activity"]) == "UPDATE")

        let sisterPatient = try #require(view.url(of: "Patient", id: "CL-302"))
        let sister = try #require(view.note(for: sisterPatient))
        #expect(sister["docStatus"]?.string == "final")
        let brotherPatient = try #require(view.url(of: "Patient", id: "CL-303"))
        let brother = try #require(view.note(for: brotherPatient))
        #expect(brother["docStatus"]?.string == "preliminary" && brother["authenticator"] == nil)

        // The signed patient's claim is ready (an active FHIR Claim); the acknowledged flag is final.
        let claim = try #require(view.resources("Claim").first)
        #expect(claim["status"]?.string == "active")
        let risk = try #require(
            view.resources("RiskAssessment").first { $0["subject"]?["reference"]?.string == patient })
        #expect(risk["status"]?.string == "final")
        #expect(risk["note"]?.array?.contains { $0["authorString"]?.string == "Sam Upton" } == true)
        // The transcript is the stored utterances, one segment each.
        let transcript = try #require(
            view.resources("DocumentReference").first { $0["type"]?["text"]?.string == "Session transcript" })
        let segments = try JSONParser.parse(try #require(view.attachment(transcript, "application/json")), file: "t")
        #expect(segments["segments"]?.array?.count == 69)

        let audit = await self.run(["audit", "export"], as: "sup")
        #expect(audit.out.contains("session.exportedFHIR"))

        // Round trip: the stored session imported as a folder drafts to the same attribution and claims.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fhir-import-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let imported = await self.run(["fhir", "import", output, "--output", folder], as: nil)
        #expect(imported.status == 0, "\(imported.error)")
        #expect(
            imported.out.contains("session S-2026-05-14-FAM, family, 3 attendees")
                && imported.out.contains("69 utterances"))
        let again = await self.run(["fhir", "import", output, "--output", folder], as: nil)
        #expect(again.status == 1 && again.error.contains("is not empty"), "nothing is overwritten")
        let original = try await self.report(Fixtures.scenariosDirectory + "/adolescent-family")
        let redrafted = try await self.report(folder)
        for key in ["speakers", "claims"] {
            #expect(JSONWriter.write(redrafted[key]!) == JSONWriter.write(original[key]!), "\(key)")
        }
        let people = { (report: JSONNode) in (report["utterances"]?.array ?? []).map { $0["attendeeId"]?.string } }
        #expect(people(redrafted) == people(original))
    }
}

/// A stored-session Bundle read back.
struct StoredBundle {
    let resources: [(url: String, resource: JSONNode)]

    init(_ bundle: JSONNode) {
        self.resources = (bundle["entry"]?.array ?? []).compactMap { entry in
            guard let url = entry["fullUrl"]?.string, let resource = entry["resource"] else { return nil }
            return (url, resource)
        }
    }

    func resources(_ type: String) -> [JSONNode] {
        self.resources.map(\.resource).filter { $0["resourceType"]?.string == type }
    }

    func url(of type: String, id: String) -> String? {
        self.resources.first {
            $0.resource["resourceType"]?.string == type
                && $0.resource["identifier"]?.array?.contains { $0["value"]?.string == id } == true
        }?.url
    }

    func type(_ reference: JSONNode?) -> String? {
        let target = reference?["reference"]?.string
        return self.resources.first { $0.url == target }?.resource["resourceType"]?.string
    }

    func code(_ concept: JSONNode?) -> String? { concept?["coding"]?.array?.first?["code"]?.string }

    func note(for patient: String) -> JSONNode? {
        self.resources("DocumentReference").first {
            $0["subject"]?["reference"]?.string == patient && $0["docStatus"] != nil
                && $0["type"]?["text"] == nil
        }
    }

    func provenance(of document: JSONNode) -> JSONNode? {
        let url = self.resources.first { $0.resource == document }?.url
        return self.resources("Provenance").first { $0["target"]?.array?.first?["reference"]?.string == url }
    }

    func attachment(_ document: JSONNode, _ type: String) -> String? {
        let attachment = document["content"]?.array?.compactMap { $0["attachment"] }.first {
            $0["contentType"]?.string?.hasPrefix(type) == true
        }
        return attachment?["data"]?.string.flatMap(Base64.decode).map { String(decoding: $0, as: UTF8.self) }
    }
}
