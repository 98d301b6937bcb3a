import EnsembleCore
import EnsembleFormats
import EnsembleHTTP
import EnsembleIO
import EnsembleService
import EnsembleStore
import EnsembleStoreTesting
import EnsembleSystem
import EnsembleTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EnsembleServer

/// Signed notes pushed to the EHR's FHIR server, and FHIR Bundles taken by the webhook. The EHR here is a
/// loopback server that validates what it receives with fhir.resources and answers as FHIR servers do.
@Suite("FHIR push and FHIR webhook")
struct FHIRPushTests {
    static let note = "/api/sessions/\(ServerDesk.session)/notes/\(ServerDesk.patient)"

    static func mapping() throws -> FHIRMapping {
        try AgentsDirectory.fhirMapping(explicit: Fixtures.agentsDirectory).mapping
    }

    /// Draft the family session, clear its risk flag, and return a caller for the API.
    static func drafted(_ desk: ServerDesk, _ client: any TestClientProtocol) async throws -> (
        HTTPRequest.Method, String, String, String?
    ) async throws -> TestResponse {
        _ = try await desk.deliverAndDraft(client)
        let call = {
            (method: HTTPRequest.Method, uri: String, user: String, body: String?) async throws -> TestResponse in
            try await client.execute(
                uri: uri, method: method, headers: desk.bearer(user), body: body.map { ByteBuffer(string: $0) })
        }
        let queue = try ServerDesk.json(try await call(.get, "/api/risk-queue", "sup", nil))
        for flag in queue.array ?? [] {
            let id = Int(flag["id"]?.number ?? 0)
            _ = try await call(.post, "/api/risk-flags/\(id)/acknowledge", "sup", "{\"comment\": \"Reviewed.\"}")
        }
        return call
    }

    @Test(arguments: Backend.available) func aSignedNote_reachesTheEHR_throughARetry_andAnAddendumUpdatesIt(
        _ backend: Backend
    ) async throws {
        let ehr = try StubFHIRServer(unavailableFirst: 1, token: "ehr-token-123")
        defer { ehr.stop() }
        let push = FHIRPushSettings(baseURL: ehr.baseURL, token: "ehr-token-123", mapping: try Self.mapping())
        let desk = try await ServerDesk(backend, fhirPush: push)
        try await desk.test { client in
            let call = try await Self.drafted(desk, client)
            #expect(try await call(.post, Self.note + "/sign", "hcole", "{\"version\": 1}").status == .ok)
            // The signature queued a push; the EHR is down for the first request, so it is retried.
            let first = await desk.server.pool.runNext()
            #expect(first != nil)
            let afterFirst = try await desk.store.jobRecord(first!)
            #expect(
                afterFirst?.state == .queued && afterFirst?.error?.contains("503") == true,
                "\(String(describing: afterFirst))")
            #expect(afterFirst?.source == Store.fhirPushSource)
            _ = await desk.server.pool.runNext()
            #expect(try await desk.store.jobRecord(first!)?.state == .succeeded)

            // One transaction: the Device (created unless it exists), the DocumentReference (a conditional
            // update on its identifier), the Provenance (under an id of its own).
            let accepted = ehr.received.filter { $0.status < 300 }
            #expect(accepted.map(\.method) == ["POST"] && accepted.first?.path == "/fhir")
            let posted = try #require(accepted.first)
            #expect(posted.headers["authorization"] == "Bearer ehr-token-123")
            let transaction = try JSONParser.parse(posted.body, file: "transaction")
            #expect(transaction["type"]?.string == "transaction")
            let entries = transaction["entry"]?.array ?? []
            #expect(
                entries.map { $0["resource"]?["resourceType"]?.string ?? "" } == [
                    "Device", "DocumentReference", "Provenance",
                ])
            #expect(
                entries[0]["request"]?["ifNoneExist"]?.string?.hasPrefix("identifier=urn:ensemble:device|ensemble/")
                    == true)
            #expect(
                entries[1]["request"]?["url"]?.string
                    == "DocumentReference?identifier=urn:ensemble:session-id|\(ServerDesk.session)/\(ServerDesk.patient)/note"
            )
            let document = try #require(entries[1]["resource"])
            #expect(document["docStatus"]?.string == "final")
            #expect(
                document["subject"]?["reference"]?.string
                    == "Patient?identifier=urn:ensemble:client-id|\(ServerDesk.patient)")
            #expect(
                document["authenticator"]?["reference"]?.string?.hasPrefix(
                    "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|") == true)
            #expect(document["author"]?.array?.first?["reference"]?.string == entries[0]["fullUrl"]?.string)
            let provenance = try #require(entries[2]["resource"])
            #expect(entries[2]["request"]?["url"]?.string == "Provenance/" + (provenance["id"]?.string ?? "?"))
            #expect(provenance["target"]?.array?.first?["reference"]?.string == entries[1]["fullUrl"]?.string)
            let types = (provenance["agent"]?.array ?? []).compactMap {
                $0["type"]?["coding"]?.array?.first?["code"]?.string
            }
            #expect(types == ["author", "verifier", "attester"])
            let stored = try await desk.store.exportAudit(as: "admin").joined(separator: "\n")
            #expect(stored.contains("DocumentReference/2/_history/1"), "the location the EHR gave is audited")

            // The EHR's verdict means something: a DocumentReference without its required status is refused.
            let broken = posted.body.replacingOccurrences(of: "\"status\":\"current\",", with: "")
            let refused = try await push.transport.send(
                .init(
                    method: "POST", url: ehr.baseURL,
                    headers: [("Content-Type", "application/fhir+json"), ("Authorization", "Bearer ehr-token-123")],
                    body: Array(broken.utf8), timeout: .seconds(30)))
            if FHIRValidation.python != nil {
                #expect(refused.status == 400 && String(decoding: refused.body, as: UTF8.self).contains("status"))
            }

            // An addendum: the same DocumentReference updated to amended, and a new Provenance.
            let addendum = try await call(.post, Self.note + "/addenda", "hcole", "{\"text\": \"Called Friday.\"}")
            #expect(addendum.status == .created)
            _ = await desk.server.pool.runNext()
            let second = try JSONParser.parse(try #require(ehr.received.last { $0.status == 200 }).body, file: "second")
            let secondEntries = second["entry"]?.array ?? []
            #expect(secondEntries[1]["resource"]?["docStatus"]?.string == "amended")
            #expect(secondEntries[1]["request"]?["url"] == entries[1]["request"]?["url"])
            #expect(secondEntries[2]["resource"]?["id"] != provenance["id"], "a new Provenance for the amendment")
            // Nothing new to push: no third job.
            await desk.server.queuePushes()
            #expect(await desk.server.pool.runNext() == nil)

            let audit = try await desk.store.exportAudit(as: "admin").joined(separator: "\n")
            #expect(audit.components(separatedBy: "note.pushedFHIR").count - 1 == 2)
        }
    }

    @Test(arguments: Backend.available)
    func aPushTheEHRRefuses_failsForGood_namingTheStatusNotTheContent(_ backend: Backend) async throws {
        let ehr = try StubModelServer(replies: [
            .init(
                status: 422, headers: [("Content-Type", "application/fhir+json")],
                body: """
                    {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"business-rule",\
                    "diagnostics":"Sofia Alvarez has no open episode"}]}
                    """)
        ])
        defer { ehr.stop() }
        let push = FHIRPushSettings(
            baseURL: "http://127.0.0.1:\(ehr.port)/fhir", token: nil, mapping: try Self.mapping())
        let desk = try await ServerDesk(backend, fhirPush: push)
        try await desk.test { client in
            let call = try await Self.drafted(desk, client)
            #expect(try await call(.post, Self.note + "/sign", "hcole", "{\"version\": 1}").status == .ok)
            let job = try #require(await desk.server.pool.runNext())
            let record = try #require(try await desk.store.jobRecord(job))
            #expect(record.state == .failed, "a 422 is not retried")
            #expect(record.error?.contains("422") == true && record.error?.contains("business-rule") == true)
            #expect(record.error?.contains("Sofia") == false, "the EHR's diagnostics are not recorded")
        }
    }

    @Test(arguments: Backend.available) func theWebhook_takesAFHIRBundle(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        let scenario = try Fixtures.scenario("adolescent-family")
        let agents = try Fixtures.agents()
        let run = try await DraftingServiceProbe.draft(scenario, agents: agents)
        let transcript = try scenario.transcriptFiles.map {
            FHIRTranscript(
                fileName: $0, contentType: FHIRTranscript.contentType(forFile: $0),
                bytes: try Fixtures.bytes(scenario.directory + "/" + $0))
        }
        let record = FHIRSessionRecord(
            draft: run, agents: [], model: nil, drafted: Timestamp(iso8601: "2026-05-14T18:00:00-05:00")!,
            transcript: transcript)
        let bundle = FHIRBundleWriter(mapping: try Self.mapping(), digest: Hashing.sha256).write(
            record, exported: record.drafted
        ).bundle
        let body = Array(JSONWriter.write(bundle).utf8)
        try await desk.test { client in
            var headers = desk.signed(body)
            headers[.contentType] = "application/fhir+json"
            let response = try await desk.deliver(body, headers: headers, via: client)
            #expect(response.status == .accepted, "\(ServerDesk.text(response))")
            let job = try ServerDesk.json(response)["jobId"]?.string ?? ""
            _ = await desk.server.pool.runNext()
            #expect(try await desk.store.jobRecord(job)?.state == .succeeded)
            let again = try await desk.deliver(body, headers: headers, via: client)
            #expect(try ServerDesk.json(again)["duplicate"]?.bool == true, "the Bundle's id is the event id")
            let review = try await desk.store.review(session: ServerDesk.session, as: "hcole")
            #expect(review.notes.count == 3)

            // A Bundle without its transcript is refused with the element named.
            var broken = JSONWriter.write(bundle).replacingOccurrences(of: "session-transcript", with: "other")
            broken = broken.replacingOccurrences(of: "\"Session transcript\"", with: "\"Other\"")
            var brokenHeaders = desk.signed(Array(broken.utf8))
            brokenHeaders[.contentType] = "application/fhir+json"
            let refused = try await desk.deliver(Array(broken.utf8), headers: brokenHeaders, via: client)
            #expect(
                refused.status == .badRequest && ServerDesk.text(refused).contains("Bundle.entry: has no transcript"))
        }
    }
}

/// Drafts a scenario as the server's drafting service would.
enum DraftingServiceProbe {
    static func draft(_ scenario: Scenario, agents: AgentConfigurations) async throws -> SessionRun {
        try await EnsembleService.DraftingService(agents: agents).draft(
            scenario.session, sessionJSON: scenario.sessionJSON, transcript: scenario.transcript
        ).run
    }
}
