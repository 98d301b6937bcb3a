import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService
import EnsembleStore
import EnsembleStoreTesting
import EnsembleSystem
import EnsembleTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import EnsembleServer

/// What a hostile review of the server found (issue 15), each as the attacker or careless operator tried it.
@Suite("Server security")
struct SecurityTests {
    /// The family session (PROV-4: hcole) and the anger-management group (PROV-9: other), both drafted.
    static func twoSessions(_ desk: ServerDesk, _ client: any TestClientProtocol) async throws {
        _ = try await desk.deliverAndDraft(client)
        let second = try ServerDesk.body(event: "evt-2", scenario: "anger-management-summary")
        #expect(try await desk.deliver(second, via: client).status == .accepted)
        _ = await desk.server.pool.runNext()
    }

    @Test(
        "claims follow the roster rule: every role on the API's claims route, with and without ?session=, and the Billing page",
        arguments: Backend.available)
    func claimsRosterMatrix(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            try await Self.twoSessions(desk, client)
            let family = ServerDesk.session
            let group = "S-2026-05-22-AMG"
            func sessions(_ user: String, _ query: String = "") async throws -> (HTTPResponse.Status, Set<String>) {
                let response = try await client.execute(
                    uri: "/api/claims" + query, method: .get, headers: desk.bearer(user))
                let rows = (try? ServerDesk.json(response).array) ?? nil
                return (response.status, Set((rows ?? []).compactMap { $0["session"]?.string }))
            }
            // user: (all claims, ?session=family, ?session=group), as status and the sessions listed.
            let expected: [String: [(HTTPResponse.Status, Set<String>)]] = [
                "hcole": [(.ok, [family]), (.ok, [family]), (.forbidden, [])],
                "other": [(.ok, [group]), (.forbidden, []), (.ok, [group])],
                "sup": [(.ok, [family, group]), (.ok, [family]), (.ok, [group])],
                "bill": [(.ok, [family, group]), (.ok, [family]), (.ok, [group])],
                "intake": [(.forbidden, []), (.forbidden, []), (.forbidden, [])],
                "admin": [(.forbidden, []), (.forbidden, []), (.forbidden, [])],
            ]
            for (user, rows) in expected {
                for (query, want) in zip(["", "?session=\(family)", "?session=\(group)"], rows) {
                    let got = try await sessions(user, query)
                    #expect(got.0 == want.0, "\(user) \(query)")
                    #expect(got.1 == want.1, "\(user) \(query)")
                }
            }
            // The Billing page lists the same rows.
            for (user, listed, hidden) in [
                ("hcole", family, group), ("other", group, family),
            ] {
                let page = ServerDesk.text(
                    try await client.execute(uri: "/billing", method: .get, headers: desk.cookie(user)))
                #expect(page.contains("<td>\(listed)</td>"), "\(user)")
                #expect(!page.contains(hidden), "\(user)")
            }
            let billing = ServerDesk.text(
                try await client.execute(uri: "/billing", method: .get, headers: desk.cookie("bill")))
            #expect(billing.contains("<td>\(family)</td>") && billing.contains("<td>\(group)</td>"))
            let admin = try await client.execute(uri: "/billing", method: .get, headers: desk.cookie("admin"))
            #expect(admin.status == .forbidden)
        }
    }

    @Test(
        "a crash after the run is recorded and before its job is marked done drafts the delivery once",
        arguments: Backend.available)
    func runAndJobCommitTogether(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        let crashed = Mutex(false)
        await desk.store.inject(
            Store.Faults(beforeJobSucceeds: { () throws(StoreError) in
                let first = crashed.withLock { (done: inout Bool) -> Bool in
                    defer { done = true }
                    return !done
                }
                if first { throw StoreError(.unavailable, "injected crash after recording the run") }
            }))
        try await desk.test { client in
            let job = try ServerDesk.json(try await desk.deliver(try ServerDesk.body(), via: client))["jobId"]?.string
            _ = await desk.server.pool.runNext()
            let afterCrash = try await desk.store.job(job ?? "", as: "intake")
            #expect(afterCrash.state == .queued && afterCrash.runID == nil, "the crashed attempt left nothing")
            _ = await desk.server.pool.runNext()
            let done = try await desk.store.job(job ?? "", as: "intake")
            #expect(done.state == .succeeded)
            let events = try await desk.store.exportAudit(as: "admin")
            #expect(events.filter { $0.contains("\"draft.generated\"") }.count == 1)
            #expect(events.filter { $0.contains("\"job.succeeded\"") }.count == 1)
            #expect(try await desk.database.count("SELECT count(*) FROM runs") == 1, "one run in the database")
        }
    }

    @Test(
        "ids with a space, %, /, ?, # and non-ASCII letters are reachable through the API and the pages",
        arguments: Backend.available)
    func awkwardIDs(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        let session = "S 100%/a?b#c-é"
        let patient = "CL 301/ü#?"
        try await desk.test { client in
            let body = try ServerDesk.body(
                event: "evt-odd", renaming: [(ServerDesk.session, session), ("CL-301", patient)])
            #expect(try await desk.deliver(body, via: client).status == .accepted)
            _ = await desk.server.pool.runNext()
            let encoded = Pages.segment(session)
            #expect(encoded == "S%20100%25%2Fa%3Fb%23c-%C3%A9")
            let api = try await client.execute(
                uri: "/api/sessions/\(encoded)", method: .get, headers: desk.bearer("sup"))
            #expect(api.status == .ok)
            #expect(try ServerDesk.json(api)["session"]?.string == session)
            let note = try await client.execute(
                uri: "/api/sessions/\(encoded)/notes/\(Pages.segment(patient))/versions/1", method: .get,
                headers: desk.bearer("hcole"))
            #expect(note.status == .ok)
            // The home page links to the session encoded; following the link opens it.
            let home = ServerDesk.text(try await client.execute(uri: "/", method: .get, headers: desk.cookie("hcole")))
            #expect(home.contains("href=\"/sessions/\(encoded)\""))
            let page = try await client.execute(
                uri: "/sessions/\(encoded)", method: .get, headers: desk.cookie("hcole"))
            #expect(page.status == .ok)
            let html = ServerDesk.text(page)
            #expect(html.contains("action=\"/sessions/\(encoded)/notes/\(Pages.segment(patient))/sign\""))
            let broken = try await client.execute(
                uri: "/api/sessions/%E0%A4%A", method: .get, headers: desk.bearer("sup"))
            #expect(broken.status == .badRequest || broken.status == .notFound)
        }
    }

    @Test(
        "ids no URL can carry, or holding control characters, are refused by the webhook with the field named",
        arguments: Backend.available)
    func unreachableIDsRefused(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            for (id, field) in [("..", "sessionId"), ("S\\u001b[2J", "sessionId")] {
                let response = try await desk.deliver(
                    try ServerDesk.body(event: "evt-\(field)", renaming: [(ServerDesk.session, id)]), via: client)
                #expect(response.status == .badRequest)
                #expect(ServerDesk.text(response).contains(field))
            }
            let deleted = try await desk.deliver(try ServerDesk.body(event: "evt-\u{7F}"), via: client)
            #expect(deleted.status == .badRequest && ServerDesk.text(deleted).contains("eventId"))
            let client301 = try await desk.deliver(
                try ServerDesk.body(event: "evt-client", renaming: [("\"CL-301\"", "\".\"")]), via: client)
            #expect(client301.status == .badRequest && ServerDesk.text(client301).contains("clientId"))
        }
    }

    @Test(
        "a queued job is visible only to the clinicians its own payload names, before the session is stored",
        arguments: Backend.available)
    func queuedJobRoster(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            let job = try ServerDesk.json(try await desk.deliver(try ServerDesk.body(), via: client))["jobId"]?.string
            let id = try #require(job)
            for (user, status) in [
                ("other", HTTPResponse.Status.forbidden), ("hcole", .ok), ("sup", .ok), ("intake", .ok),
                ("bill", .forbidden),
            ] {
                let response = try await client.execute(uri: "/jobs/\(id)", method: .get, headers: desk.bearer(user))
                #expect(response.status == status, "\(user)")
                // An allowed reader's stream stays open until the job ends, so only refusals are read here.
                if status == .forbidden {
                    let events = try await client.execute(
                        uri: "/jobs/\(id)/events", method: .get, headers: desk.bearer(user))
                    #expect(events.status == .forbidden, "\(user)")
                    #expect(!ServerDesk.text(events).contains("CL-30"))
                }
            }
            let list = try await client.execute(uri: "/api/jobs", method: .get, headers: desk.bearer("other"))
            #expect(try ServerDesk.json(list).array?.isEmpty == true)
            let own = try await client.execute(uri: "/api/jobs", method: .get, headers: desk.bearer("hcole"))
            #expect(try ServerDesk.json(own).array?.count == 1)
        }
    }

    @Test(
        "a job that fails for good keeps its ids, error and payload digest, not the payload; purge removes old ones",
        arguments: Backend.available)
    func failedJobsDropPayload(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend, maxAttempts: 1)
        try await desk.test { client in
            // Valid to the webhook, refused by the store when drafting: the source's user may not draft it.
            let body = try ServerDesk.body(event: "evt-fail")
            let job = try #require(try ServerDesk.json(try await desk.deliver(body, via: client))["jobId"]?.string)
            await desk.store.inject(
                Store.Faults(beforeJobSucceeds: { () throws(StoreError) in
                    throw StoreError(.unavailable, "injected failure")
                }))
            _ = await desk.server.pool.runNext()
            let failed = try await desk.store.job(job, as: "intake")
            #expect(failed.state == .failed)
            #expect(failed.payloadDigest == Hashing.sha256Hex(body))
            #expect(failed.error?.isEmpty == false)
            #expect(failed.payloadBytes == 0, "the payload is gone")
            let shown = try await client.execute(uri: "/jobs/\(job)", method: .get, headers: desk.bearer("intake"))
            #expect(try ServerDesk.json(shown)["payloadDigest"]?.string == Hashing.sha256Hex(body))

            await #expect(throws: StoreError.self) { try await desk.store.purgeJobs(olderThanDays: 0, as: "sup") }
            #expect(try await desk.store.purgeJobs(olderThanDays: 1, as: "admin") == 0, "a fresh job is kept")
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await desk.store.purgeJobs(olderThanDays: 0, as: "admin") == 1)
            await #expect(throws: StoreError.self) { try await desk.store.job(job, as: "intake") }
            let audit = try await desk.store.exportAudit(as: "admin")
            #expect(audit.contains { $0.contains("\"jobs.purged\"") && $0.contains("\"jobs\":1") })
        }
    }

    @Test(
        "transcript names with a NUL, a percent-encoded ../ or a backslash are refused like path traversal",
        arguments: Backend.available)
    func transcriptNames(_ backend: Backend) async throws {
        #expect(WebhookPayload.isTranscriptName("transcript.vtt"))
        #expect(WebhookPayload.isTranscriptName("transcript.aws.json"))
        #expect(WebhookPayload.isTranscriptName("summary.md"))
        for name in [
            "transcript.vtt\u{0}../x", "transcript.%2e%2e%2fetc", "transcript.%2E%2E/x", "transcript..",
            "transcript.a\\b", "transcript.", "transcript.vtt ", "transcript.é", "../transcript.vtt",
        ] {
            #expect(!WebhookPayload.isTranscriptName(name), "\(name.debugDescription)")
        }
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            for name in ["transcript.json\u{0}", "transcript.%2e%2e%2fjson"] {
                let response = try await desk.deliver(
                    try ServerDesk.body(event: "evt-name", transcriptName: name), via: client)
                #expect(response.status == .badRequest)
                #expect(ServerDesk.text(response).contains("transcript.name"))
            }
        }
    }

    @Test(
        "a repeated key in a webhook body or an API body is refused, never the last one winning",
        arguments: Backend.available)
    func duplicateKeys(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            var body = try ServerDesk.body(event: "evt-a")
            let prefix = Array("{\"eventId\": \"evt-b\", ".utf8)
            body = prefix + body.dropFirst()
            let response = try await desk.deliver(body, via: client)
            #expect(response.status == .badRequest)
            #expect(ServerDesk.text(response).contains("duplicate keys are refused"))
            #expect(try await desk.store.jobs(as: "sup").isEmpty, "no job was made, under either id")
            _ = try await desk.deliverAndDraft(client)
            let edit = try await client.execute(
                uri: "/api/sessions/\(ServerDesk.session)/notes/\(ServerDesk.patient)/sections/Plan", method: .put,
                headers: desk.bearer("hcole"),
                body: ByteBuffer(string: #"{"text": "Plan A.", "baseVersion": 1, "text": "Plan B."}"#))
            #expect(edit.status == .badRequest)
            #expect(ServerDesk.text(edit).contains("request body:1: invalid JSON: members 1 and 3"))
        }
    }

    @Test(
        "sign-in: the cookie carries a server-side session id, never the token; idle, lifetime, sign-out and revocation end it",
        arguments: Backend.available)
    func browserSessions(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            // Sign in through the form.
            let form = try await client.execute(uri: "/login", method: .get)
            let nonce = try #require(form.headers[.setCookie]?.split(separator: ";").first?.split(separator: "=").last)
            let login = try await client.execute(
                uri: "/login", method: .post,
                headers: [.cookie: "ensemble_login=\(nonce)", .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=\(nonce)&token=\(desk.tokens["hcole"]!)"))
            #expect(login.status == .seeOther || login.status == .found)
            let cookie = try #require(login.headers[.setCookie])
            #expect(!cookie.contains(desk.tokens["hcole"]!), "the cookie is not the token")
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age="))
            #expect(!cookie.contains("Secure"), "plain HTTP on loopback without --public-url")
            let session = String(cookie.split(separator: ";")[0].split(separator: "=")[1])
            #expect(EnsembleServer.isSessionID(session))
            let home = try await client.execute(
                uri: "/", method: .get, headers: [.cookie: "\(EnsembleServer.cookieName)=\(session)"])
            #expect(home.status == .ok)
            // The token itself no longer works as a cookie.
            let tokenCookie = try await client.execute(
                uri: "/", method: .get, headers: [.cookie: "\(EnsembleServer.cookieName)=\(desk.tokens["hcole"]!)"])
            #expect(tokenCookie.status != .ok)

            // Sign-out ends the session on the server, not only in the browser.
            let page = ServerDesk.text(home)
            let csrf = try #require(
                page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix(64))
            let logout = try await client.execute(
                uri: "/logout", method: .post,
                headers: [
                    .cookie: "\(EnsembleServer.cookieName)=\(session)",
                    .contentType: "application/x-www-form-urlencoded",
                ], body: ByteBuffer(string: "csrf=\(csrf)"))
            #expect(logout.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await desk.store.browserUser(session: session, idle: .seconds(60)) == nil)
        }
        // Revoking the token ends the browser sessions started with it.
        // (An idle limit far beyond the test's run time: what ends this session is the revocation, even on a
        // loaded machine where the desk was set up minutes ago.)
        let supSession = try #require(desk.browserSessions["sup"])
        #expect(try await desk.store.browserUser(session: supSession, idle: .seconds(86_400))?.id == "sup")
        _ = try await desk.store.revokeTokens(for: "sup", label: nil, by: "admin")
        #expect(try await desk.store.browserUser(session: supSession, idle: .seconds(86_400)) == nil)
    }

    @Test(
        "browser sessions end after the idle timeout and after their lifetime; tokens with --expires stop working, audited",
        arguments: Backend.available
    )
    func lifetimes(_ backend: Backend) async throws {
        let clock = TestClock()
        let store = try await TestDatabase.make(backend).open(clock: { clock.now })
        try await store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
        try await store.addUser(User(id: "hcole", name: "H", role: .clinician, clinicianID: "PROV-4"), by: "admin")
        let token = try await store.issueToken(for: "hcole", label: "web", by: "admin")
        let idle = try #require(try await store.startBrowserSession(token: token, lifetime: .seconds(3600)))
        clock.advance(20 * 60)
        #expect(try await store.browserUser(session: idle, idle: .seconds(30 * 60))?.id == "hcole")
        clock.advance(31 * 60)
        #expect(try await store.browserUser(session: idle, idle: .seconds(30 * 60)) == nil, "idle too long")
        let lifetime = try #require(try await store.startBrowserSession(token: token, lifetime: .seconds(3600)))
        for _ in 0..<3 {
            clock.advance(20 * 60)
            _ = try await store.browserUser(session: lifetime, idle: .seconds(30 * 60))
        }
        clock.advance(60)
        #expect(try await store.browserUser(session: lifetime, idle: .seconds(30 * 60)) == nil, "past its lifetime")

        let expiring = try await store.issueToken(
            for: "hcole", label: "90d", expires: clock.now.addingTimeInterval(90 * 86_400), by: "admin")
        #expect(try await store.authenticate(token: expiring)?.id == "hcole")
        clock.advance(90 * 86_400 + 1)
        #expect(try await store.authenticate(token: expiring) == nil)
        #expect(try await store.authenticate(token: expiring) == nil)
        #expect(try await store.startBrowserSession(token: expiring, lifetime: .seconds(60)) == nil)
        let expired = try await store.exportAudit(as: "admin").filter { $0.contains("\"token.expired\"") }
        #expect(expired.count == 1, "the first refusal is audited, once")
        #expect(try await store.authenticate(token: token)?.id == "hcole", "a token without expiry still works")
        await #expect(throws: StoreError.self) {
            try await store.issueToken(for: "hcole", label: "x", expires: clock.now.addingTimeInterval(-1), by: "admin")
        }
    }

    @Test("--public-url https marks cookies Secure")
    func secureCookies() async throws {
        var settings = ServerSettings(sources: [], drafting: DraftingService(agents: try Fixtures.agents()))
        #expect(!settings.secureCookies)
        settings.publicURL = URL(string: "https://notes.example.org")
        #expect(settings.secureCookies)
        let server = EnsembleServer(store: try Store(path: ":memory:"), settings: settings)
        #expect(server.cookie("ensemble_session", "x").hasSuffix("; Secure"))
        try await server.application().test(.router) { client in
            let form = try await client.execute(uri: "/login", method: .get)
            #expect(form.headers[.setCookie]?.contains("; Secure") == true)
        }
    }
}
