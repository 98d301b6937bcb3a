import EnsembleCore
import EnsembleFormats
import EnsembleHTTP
import EnsembleIO
import EnsembleService
import EnsembleStore
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

    @Test func aSignedNote_reachesTheEHR_throughARetry_andAnAddendumUpdatesIt() async throws {
        let ehr = try StubFHIRServer(unavailableFirst: 1, token: "ehr-token-123")
        defer { ehr.stop() }
        let push = FHIRPushSettings(baseURL: ehr.baseURL, token: "ehr-token-123", mapping: try Self.mapping())
        let desk = try await ServerDesk(fhirPush: push)
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

            let accepted = ehr.received.filter { $0.status < 300 }
            #expect(accepted.map(\.method) == ["PUT", "POST"])
            let document = try #require(accepted.first)
            #expect(document.path.hasPrefix("/fhir/DocumentReference?identifier=urn%3Aensemble%3Asession-id%7C"))
            #expect(document.status == 201 && document.headers["authorization"] == "Bearer ehr-token-123")
            let body = try JSONParser.parse(document.body, file: "put")
            #expect(body["docStatus"]?.string == "final")
            #expect(body["subject"]?["identifier"]?["value"]?.string == ServerDesk.patient)
            #expect(body["authenticator"]?["identifier"]?["system"]?.string == "http://hl7.org/fhir/sid/us-npi")
            #expect(body["contained"]?.array?.first?["resourceType"]?.string == "Device")
            let provenance = try JSONParser.parse(accepted[1].body, file: "post")
            #expect(provenance["target"]?.array?.first?["reference"]?.string == "DocumentReference/1")
            #expect(accepted[1].headers["if-none-exist"]?.hasPrefix("target=DocumentReference%2F1&recorded=") == true)
            let agents = provenance["agent"]?.array ?? []
            #expect(agents.contains { $0["who"]?["reference"]?.string == "#ai" })
            #expect(agents.contains { $0["type"]?["coding"]?.array?.first?["code"]?.string == "attester" })

            // The EHR's verdict means something: a DocumentReference without its required status is refused.
            var invalid = try JSONParser.parse(document.body, file: "put")
            if case .object(let members) = invalid.value {
                invalid.value = .object(members.filter { $0.key != "status" })
            }
            let refused = try await push.transport.send(
                .init(
                    method: "PUT", url: ehr.baseURL + "/DocumentReference?identifier=x%7Cy",
                    headers: [("Content-Type", "application/fhir+json"), ("Authorization", "Bearer ehr-token-123")],
                    body: Array(JSONWriter.write(invalid).utf8), timeout: .seconds(30)))
            if FHIRValidation.python != nil {
                #expect(refused.status == 400 && String(decoding: refused.body, as: UTF8.self).contains("status"))
            }

            // An addendum: the same DocumentReference, updated to amended.
            let addendum = try await call(.post, Self.note + "/addenda", "hcole", "{\"text\": \"Called Friday.\"}")
            #expect(addendum.status == .created)
            _ = await desk.server.pool.runNext()
            let update = try #require(ehr.received.last { $0.method == "PUT" })
            #expect(update.status == 200 && update.path == document.path)
            #expect(try JSONParser.parse(update.body, file: "put")["docStatus"]?.string == "amended")
            // Nothing new to push: no third job.
            await desk.server.queuePushes()
            #expect(await desk.server.pool.runNext() == nil)

            let audit = try await desk.store.exportAudit(as: "admin").joined(separator: "\n")
            #expect(audit.components(separatedBy: "note.pushedFHIR").count - 1 == 2)
        }
    }

    @Test func aPushTheEHRRefuses_failsForGood_namingTheStatusNotTheContent() async throws {
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
        let desk = try await ServerDesk(fhirPush: push)
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

    @Test func theWebhook_takesAFHIRBundle() async throws {
        let desk = try await ServerDesk()
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
