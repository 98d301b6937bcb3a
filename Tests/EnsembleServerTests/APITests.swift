import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import EnsembleStoreTesting
import EnsembleSystem
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EnsembleServer

@Suite("REST API and review pages")
struct APITests {
    static let note = "/api/sessions/\(ServerDesk.session)/notes/\(ServerDesk.patient)"

    @Test("a missing or unknown token is 401; a role or roster the policy refuses is 403", arguments: Backend.available)
    func authentication(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            _ = try await desk.deliverAndDraft(client)
            let path = "/api/sessions/\(ServerDesk.session)"
            let anonymous = try await client.execute(uri: path, method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer realm=\"ensemble\"")
            let wrong = try await client.execute(
                uri: path, method: .get, headers: [.authorization: "Bearer ens_" + String(repeating: "f", count: 64)])
            #expect(wrong.status == .unauthorized)
            let basic = try await client.execute(uri: path, method: .get, headers: [.authorization: "Basic YTpi"])
            #expect(basic.status == .unauthorized)

            let biller = try await client.execute(uri: path, method: .get, headers: desk.bearer("bill"))
            #expect(biller.status == .forbidden)
            #expect(ServerDesk.text(biller).contains("a biller may not view notes"))
            let stranger = try await client.execute(uri: path, method: .get, headers: desk.bearer("other"))
            #expect(stranger.status == .forbidden)
            #expect(ServerDesk.text(stranger).contains("only for sessions they are a clinician of"))
            let sign = try await client.execute(
                uri: Self.note + "/sign", method: .post, headers: desk.bearer("bill"),
                body: ByteBuffer(string: "{\"version\": 1}"))
            #expect(sign.status == .forbidden)
            let own =
                try ServerDesk.json(
                    try await client.execute(uri: "/api/sessions", method: .get, headers: desk.bearer("hcole"))
                ).array ?? []
            #expect(own.count == 1)
            #expect(own.first?["title"]?.string == "Family therapy - Alvarez/Dunn household")
            #expect(own.first?["attendees"]?.number == 3)
            #expect(own.first?["draftNotes"]?.number == 3 && own.first?["signedNotes"]?.number == 0)
            #expect(own.first?["openFlags"]?.number == 1)
            let others = try await client.execute(uri: "/api/sessions", method: .get, headers: desk.bearer("other"))
            #expect(try ServerDesk.json(others).array?.isEmpty == true)
            let supervisor = try await client.execute(uri: "/api/sessions", method: .get, headers: desk.bearer("sup"))
            #expect(try ServerDesk.json(supervisor).array?.count == 1)
            let ownJobs = try await client.execute(uri: "/api/jobs", method: .get, headers: desk.bearer("hcole"))
            #expect(try ServerDesk.json(ownJobs).array?.count == 1)
            let othersJobs = try await client.execute(uri: "/api/jobs", method: .get, headers: desk.bearer("other"))
            #expect(try ServerDesk.json(othersJobs).array?.isEmpty == true)
            let queue = try await client.execute(uri: "/api/risk-queue", method: .get, headers: desk.bearer("hcole"))
            #expect(queue.status == .forbidden)
            let audit = try await client.execute(uri: "/api/audit/verify", method: .get, headers: desk.bearer("sup"))
            #expect(try ServerDesk.json(audit)["intact"]?.bool == true)
            let me = try await client.execute(uri: "/api/me", method: .get, headers: desk.bearer("bill"))
            #expect(
                try ServerDesk.json(me)["permissions"]?.array?.compactMap(\.string) == ["viewClaims", "exportClaims"])
            // The store keeps digests, never the tokens: neither the database nor its write-ahead log holds one.
            let stored = try await desk.store.authenticate(token: desk.tokens["hcole"]!)
            #expect(stored?.id == "hcole")
            if backend == .sqlite {
                let files = [desk.path, desk.path + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }
                let onDisk = files.map { String(decoding: $0, as: UTF8.self) }.joined()
                #expect(!desk.tokens.values.contains { onDisk.contains($0) })
                #expect(onDisk.contains(Hashing.sha256Hex(Array(desk.tokens["hcole"]!.utf8))))
            } else {
                let digest = Hashing.sha256Hex(Array(desk.tokens["hcole"]!.utf8))
                #expect(
                    try await desk.database.postgresCount("SELECT count(*) FROM api_tokens WHERE digest = '\(digest)'")
                        == 1)
                let token = desk.tokens["hcole"]!
                #expect(
                    try await desk.database.postgresCount(
                        "SELECT count(*) FROM api_tokens WHERE digest = '\(token)' OR label = '\(token)'") == 0)
            }
        }
    }

    @Test(
        "the review through the API: version checks, the risk gate, signing, and the claim becoming ready",
        arguments: Backend.available)
    func reviewFlow(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            _ = try await desk.deliverAndDraft(client)
            func call(_ method: HTTPRequest.Method, _ uri: String, _ user: String, _ body: String? = nil) async throws
                -> TestResponse
            {
                try await client.execute(
                    uri: uri, method: method, headers: desk.bearer(user), body: body.map { ByteBuffer(string: $0) })
            }
            let unknownField = try await call(
                .put, Self.note + "/sections/Subjective", "hcole", "{\"txt\": \"Client said so.\", \"baseVersion\": 1}")
            #expect(unknownField.status == .badRequest)
            #expect(ServerDesk.text(unknownField).contains("txt: unknown field; expected only baseVersion, text"))
            let missing = try await call(
                .put, Self.note + "/sections/Subjective", "hcole", "{\"text\": \"Client said so.\"}")
            #expect(missing.status == .badRequest)
            #expect(ServerDesk.text(missing).contains("baseVersion: missing required field"))

            let edit = try await call(
                .put, Self.note + "/sections/Subjective", "hcole", "{\"text\": \"Client said so.\", \"baseVersion\": 1}"
            )
            #expect(edit.status == .ok)
            #expect(try ServerDesk.json(edit)["version"]?.number == 2)
            let stale = try await call(
                .put, Self.note + "/sections/Subjective", "hcole",
                "{\"text\": \"Client said more.\", \"baseVersion\": 1}")
            #expect(stale.status == .conflict)
            let version = try await call(.get, Self.note + "/versions/1", "hcole")
            #expect(ServerDesk.text(version).contains("Client reported"))

            let decision = try await call(
                .post, Self.note + "/sections/Plan/decision", "hcole", "{\"decision\": \"approved\", \"version\": 2}")
            #expect(decision.status == .badRequest)
            #expect(ServerDesk.text(decision).contains("expected accepted or rejected"))
            let accepted = try await call(
                .post, Self.note + "/sections/Plan/decision", "hcole", "{\"decision\": \"accepted\", \"version\": 2}")
            #expect(accepted.status == .ok)

            let early = try await call(.post, Self.note + "/sign", "hcole", "{\"version\": 2}")
            #expect(early.status == .conflict)
            #expect(ServerDesk.text(early).contains("risk"))

            let queue = try await call(.get, "/api/risk-queue", "sup")
            let flag = try #require(try ServerDesk.json(queue).array?.first)
            #expect(flag["attendee"]?.string == ServerDesk.patient)
            let flagID = Int(flag["id"]?.number ?? 0)
            let noComment = try await call(
                .post, "/api/risk-flags/\(flagID)/acknowledge", "sup", "{\"comment\": \"  \"}")
            #expect(noComment.status == .badRequest)
            let ack = try await call(
                .post, "/api/risk-flags/\(flagID)/acknowledge", "sup", "{\"comment\": \"Safety plan reviewed.\"}")
            #expect(ack.status == .ok)

            let pendingBefore = try await call(.get, "/api/claims?status=ready", "bill")
            #expect(try ServerDesk.json(pendingBefore).array?.isEmpty == true)
            let signed = try await call(.post, Self.note + "/sign", "hcole", "{\"version\": 2}")
            #expect(signed.status == .ok)
            #expect(try ServerDesk.json(signed)["state"]?.string == "signed")
            let locked = try await call(
                .put, Self.note + "/sections/Subjective", "hcole", "{\"text\": \"Late change.\", \"baseVersion\": 2}")
            #expect(locked.status == .conflict)

            let ready = try ServerDesk.json(try await call(.get, "/api/claims?status=ready", "bill")).array ?? []
            #expect(ready.compactMap { $0["claimId"]?.string } == ["\(ServerDesk.session)-\(ServerDesk.patient)"])
            #expect(ready.first?["reasons"]?.array?.contains { $0.string?.contains("is a draft") == true } == false)
            let badStatus = try await call(.get, "/api/claims?status=paid", "bill")
            #expect(badStatus.status == .badRequest)

            let addendum = try await call(.post, Self.note + "/addenda", "hcole", "{\"text\": \"PHQ-9 given before.\"}")
            #expect(addendum.status == .created)
            let after = try ServerDesk.json(
                try await call(.get, "/api/sessions/\(ServerDesk.session)?attendee=CL-301", "hcole"))
            #expect(after["notes"]?.array?.first?["addenda"]?.array?.first?["text"]?.string == "PHQ-9 given before.")

            let metrics = try ServerDesk.json(try await call(.get, "/api/metrics", "sup"))
            #expect(metrics["overall"]?["signedNotes"]?.number == 1)
            let export = try await call(.get, "/api/audit/export", "admin")
            #expect(export.headers[.contentType] == "application/x-ndjson; charset=utf-8")
            let trail = ServerDesk.text(export)
            #expect(trail.contains("\"action\":\"note.signed\""))
            #expect(trail.contains("\"action\":\"job.succeeded\""))
            #expect(!trail.contains("Sofia") && !trail.contains("Hannah") && !trail.contains("Client said so"))
        }
    }

    @Test("relabelling through the API drafts only the affected attendees' notes again", arguments: Backend.available)
    func relabel(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            _ = try await desk.deliverAndDraft(client)
            let review = try ServerDesk.json(
                try await client.execute(
                    uri: "/api/sessions/\(ServerDesk.session)", method: .get, headers: desk.bearer("hcole")))
            let speakers = review["speakers"]?.array ?? []
            let mother = try #require(speakers.first { $0["person"]?.string == "CL-302" }?["label"]?.string)
            let response = try await client.execute(
                uri: "/api/sessions/\(ServerDesk.session)/relabel", method: .post, headers: desk.bearer("hcole"),
                body: ByteBuffer(string: "{\"label\": \"\(mother)\", \"person\": \"unknown\"}"))
            #expect(response.status == .ok)
            let notes = try ServerDesk.json(response)["notes"]?.array ?? []
            #expect(notes.compactMap { $0["attendee"]?.string } == ["CL-302"])
            #expect(notes.first?["change"]?.string == "redrafted")
            let unknownPerson = try await client.execute(
                uri: "/api/sessions/\(ServerDesk.session)/relabel", method: .post, headers: desk.bearer("hcole"),
                body: ByteBuffer(string: "{\"label\": \"\(mother)\", \"person\": \"CL-999\"}"))
            #expect(unknownPerson.status == .badRequest)
        }
    }

    @Test(
        "pages carry the security headers; a form post without the CSRF token is refused", arguments: Backend.available)
    func pagesAndCSRF(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            let job = try await desk.deliverAndDraft(client)
            // The sessions page follows its jobs with the cookie; the streams are read-only.
            let home = ServerDesk.text(try await client.execute(uri: "/", method: .get, headers: desk.cookie("hcole")))
            #expect(home.contains("<tr data-job=\"\(job)\" data-state=\"succeeded\">"))
            let followed = try await client.execute(
                uri: "/jobs/\(job)/events", method: .get, headers: desk.cookie("hcole"))
            #expect(followed.status == .ok)
            #expect(ServerDesk.text(followed).contains("\"state\":\"succeeded\""))
            let unsigned = try await client.execute(uri: "/jobs/\(job)/events", method: .get)
            #expect(unsigned.status == .unauthorized)
            let anonymous = try await client.execute(uri: "/sessions/\(ServerDesk.session)", method: .get)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/login")

            let page = try await client.execute(
                uri: "/sessions/\(ServerDesk.session)", method: .get, headers: desk.cookie("hcole"))
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(page.headers[.xFrameOptions] == "DENY")
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[.cacheControl] == "no-store")
            let html = ServerDesk.text(page)
            #expect(html.contains("id=\"note-CL-301\""))
            #expect(html.contains("id=\"note-group\""))
            #expect(html.contains("class=\"banner elevated\"") || html.contains("class=\"banner urgent\""))
            #expect(!html.contains("<script>"))
            let csrf = try #require(
                html.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.output.1) })

            let sign = "/sessions/\(ServerDesk.session)/notes/CL-302/sign"
            var form = desk.cookie("hcole")
            form[.contentType] = "application/x-www-form-urlencoded"
            let without = try await client.execute(
                uri: sign, method: .post, headers: form, body: ByteBuffer(string: "version=1"))
            #expect(without.status == .forbidden)
            #expect(ServerDesk.text(without).contains("CSRF"))
            let forged = try await client.execute(
                uri: sign, method: .post, headers: form,
                body: ByteBuffer(string: "version=1&csrf=" + String(repeating: "0", count: 64)))
            #expect(forged.status == .forbidden)
            // Another user's CSRF token does not carry over.
            let supervisorPage = ServerDesk.text(
                try await client.execute(uri: "/", method: .get, headers: desk.cookie("sup")))
            let supervisorToken = try #require(
                supervisorPage.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.output.1) })
            #expect(supervisorToken != csrf)
            let borrowed = try await client.execute(
                uri: sign, method: .post, headers: form, body: ByteBuffer(string: "version=1&csrf=\(supervisorToken)"))
            #expect(borrowed.status == .forbidden)
            #expect(try await desk.store.review(session: ServerDesk.session, as: "hcole").notes[1].state == .draft)

            let signed = try await client.execute(
                uri: sign, method: .post, headers: form, body: ByteBuffer(string: "version=1&csrf=\(csrf)"))
            #expect(signed.status == .seeOther)
            #expect(try await desk.store.review(session: ServerDesk.session, as: "hcole").notes[1].state == .signed)

            let login = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=\(desk.tokens["hcole"]!)"))
            #expect(login.status == .forbidden)
        }
    }

    @Test("the billing page lists claims by status; the biller sees no notes", arguments: Backend.available)
    func billingPage(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            _ = try await desk.deliverAndDraft(client)
            let billing = ServerDesk.text(
                try await client.execute(uri: "/billing", method: .get, headers: desk.cookie("bill")))
            #expect(billing.contains("id=\"claims-pendingSignature\""))
            #expect(
                billing.contains(
                    "data-claim=\"\(ServerDesk.session)-\(ServerDesk.patient)\" data-status=\"pendingSignature\""))
            let session = try await client.execute(
                uri: "/sessions/\(ServerDesk.session)", method: .get, headers: desk.cookie("bill"))
            #expect(session.status == .forbidden)
            #expect(!ServerDesk.text(session).contains("Client reported"))
        }
    }

    /// Issue 23: the Billing page shows blocked claims grouped by what to fix, the fix that clears most
    /// first, each claim with its own field; the API carries each reason's code and field.
    @Test("blocked claims are grouped by what to fix, on the page and in the API", arguments: Backend.available)
    func blockedClaimsGroupedByFix(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            let body = try ServerDesk.body(event: "evt-zip", scenario: "group-practice-missing-zip4")
            #expect(try await desk.deliver(body, via: client).status == .accepted)
            _ = await desk.server.pool.runNext()
            let page = ServerDesk.text(
                try await client.execute(uri: "/billing", method: .get, headers: desk.cookie("bill")))
            let zip = try #require(page.range(of: "data-code=\"practiceZipPlus4Missing\""))
            let member = try #require(page.range(of: "data-code=\"memberIdMissing\""))
            #expect(zip.lowerBound < member.lowerBound, "the fix that clears most claims comes first")
            #expect(page[zip.upperBound...].hasPrefix("><h3>Add the +4 to the practice&#39;s ZIP code"))
            #expect(page.contains("<code>practice.address.postalCode</code>"))
            #expect(page.contains("<code>attendees[CL-963].coverage.memberId</code>"))
            #expect(page.components(separatedBy: "data-status=\"blocked\"").count - 1 == 5)

            let claims =
                try ServerDesk.json(
                    try await client.execute(
                        uri: "/api/claims?status=blocked", method: .get, headers: desk.bearer("bill"))
                ).array ?? []
            #expect(claims.count == 4)
            let details = claims.flatMap { $0["reasonDetails"]?.array ?? [] }
            #expect(details.filter { $0["code"]?.string == "practiceZipPlus4Missing" }.count == 4)
            let memberId = try #require(details.first { $0["code"]?.string == "memberIdMissing" })
            #expect(memberId["stops"]?.string == "blocked" && memberId["severity"]?.string == "error")
            #expect(memberId["fix"]?["path"]?.string == "attendees[CL-963].coverage.memberId")
            #expect(memberId["fix"]?["file"]?.string == "session.json")
            let notBillable = try await client.execute(
                uri: "/api/claims?status=notBillable", method: .get, headers: desk.bearer("bill"))
            #expect(notBillable.status == .ok)
        }
    }
}
