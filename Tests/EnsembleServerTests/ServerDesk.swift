import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService
import EnsembleStore
import EnsembleStoreTesting
import EnsembleTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization

@testable import EnsembleServer

/// The server's clock, moved by tests.
final class TestClock: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_796_000_000))
    var now: Date { self.value.withLock { $0 } }
    func advance(_ seconds: Double) { self.value.withLock { $0 += seconds } }
}

/// A server over a temporary database with the family scenario's people and a token each, a webhook
/// source `ehr`, and a clock tests can move.
final class ServerDesk: Sendable {
    static let session = "S-2026-05-14-FAM"
    static let patient = "CL-301"
    static let secret = Array("test-secret-0123456789abcdef".utf8)

    let database: TestDatabase
    let store: Store
    let server: EnsembleServer
    let tokens: [String: String]
    /// A signed-in browser session per user (what the sign-in cookie carries).
    let browserSessions: [String: String]
    let clock = TestClock()

    /// The SQLite file (on SQLite).
    var path: String { self.database.address }

    init(
        _ backend: Backend = .sqlite, maxWebhookBytes: Int = 8 << 20, maxRequestBytes: Int = 64 << 10,
        maxAttempts: Int = 3,
        runner: JobRunner? = nil, engine: DraftingEngine = .deterministic, fhirPush: FHIRPushSettings? = nil,
        metricsToken: String? = nil
    ) async throws {
        self.database = try await TestDatabase.make(backend)
        self.store = try await self.database.open()
        try await self.store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
        let people = [
            User(id: "intake", name: "EHR intake", role: .assistant),
            User(id: "hcole", name: "Hannah Cole", role: .clinician, clinicianID: "PROV-4"),
            User(id: "other", name: "Other Clinician", role: .clinician, clinicianID: "PROV-9"),
            User(id: "sup", name: "Sam Supervisor", role: .supervisor),
            User(id: "bill", name: "Bea Biller", role: .biller),
        ]
        var tokens: [String: String] = [:]
        for user in people {
            try await self.store.addUser(user, by: "admin")
            tokens[user.id] = try await self.store.issueToken(for: user.id, label: "test", by: "admin")
        }
        tokens["admin"] = try await self.store.issueToken(for: "admin", label: "test", by: "admin")
        self.tokens = tokens
        var sessions: [String: String] = [:]
        for (user, token) in tokens {
            sessions[user] = try await self.store.startBrowserSession(token: token, lifetime: .seconds(3600))
        }
        self.browserSessions = sessions
        let settings = ServerSettings(
            host: "127.0.0.1", port: 0, sources: [WebhookSource(name: "ehr", user: "intake", secret: Self.secret)],
            drafting: DraftingService(agents: try Fixtures.agents(), engine: engine), workers: 1,
            maxAttempts: maxAttempts, retryDelay: .zero,
            shutdownGrace: .milliseconds(100), pollInterval: .milliseconds(20), maxWebhookBytes: maxWebhookBytes,
            maxRequestBytes: maxRequestBytes,
            fhirMapping: try AgentsDirectory.fhirMapping(explicit: Fixtures.agentsDirectory).mapping,
            fhirPush: fhirPush,
            requestLog: false, metricsToken: metricsToken)
        let clock = self.clock
        self.server = EnsembleServer(
            store: self.store, settings: settings, clock: { clock.now },
            runner: runner ?? EnsembleServer.runner(store: self.store, service: settings.drafting, push: fhirPush))
    }

    deinit {
        if self.database.backend == .sqlite { try? FileManager.default.removeItem(atPath: self.path) }
    }

    /// A second `ensemble serve` instance on the same database (its own store connection, pool and
    /// progress streams), drafting with `runner`.
    func anotherInstance(runner: JobRunner? = nil) async throws -> EnsembleServer {
        let store = try await self.database.open()
        let clock = self.clock
        let settings = self.server.settings
        return EnsembleServer(
            store: store, settings: settings, clock: { clock.now },
            runner: runner ?? EnsembleServer.runner(store: store, service: settings.drafting, push: nil))
    }

    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await self.server.application().test(.router, body)
    }

    /// The family scenario as a session-completed event.
    /// A bundled scenario as a session-completed event; `renaming` replaces ids (or any text) in its
    /// session.json, and `transcriptName` overrides the transcript's file name.
    static func body(
        event: String = "evt-1", scenario: String = "adolescent-family", renaming: [(String, String)] = [],
        transcriptName: String? = nil
    ) throws -> [UInt8] {
        let folder = Fixtures.scenariosDirectory + "/" + scenario
        var session = String(decoding: try Fixtures.bytes(folder + "/session.json"), as: UTF8.self)
        for (old, new) in renaming { session = session.replacingOccurrences(of: old, with: new) }
        let file =
            try FileManager.default.contentsOfDirectory(atPath: folder).first {
                $0.hasPrefix("transcript.") || $0 == "summary.md"
            } ?? "transcript.json"
        let transcript = String(decoding: try Fixtures.bytes(folder + "/" + file), as: UTF8.self)
        let content = JSONWriter.write(.string(transcript), pretty: false)
        let name = JSONWriter.write(.string(transcriptName ?? file), pretty: false)
        return Array(
            "{\"eventId\": \"\(event)\", \"session\": \(session), \"transcript\": {\"name\": \(name), \"content\": \(content)}}"
                .utf8)
    }

    /// Headers signing `body` at the desk's clock (moved by `skew` seconds) with `secret`.
    func signed(_ body: [UInt8], skew: Double = 0, secret: [UInt8] = ServerDesk.secret, source: String = "ehr")
        -> HTTPFields
    {
        let timestamp = String(Int(self.clock.now.timeIntervalSince1970 + skew))
        return [
            .contentType: "application/json", .ensembleSource: source, .ensembleTimestamp: timestamp,
            .ensembleSignature: "sha256=" + WebhookVerifier.signature(secret: secret, timestamp: timestamp, body: body),
        ]
    }

    func bearer(_ user: String) -> HTTPFields { [.authorization: "Bearer \(self.tokens[user]!)"] }

    func cookie(_ user: String) -> HTTPFields {
        [.cookie: "\(EnsembleServer.cookieName)=\(self.browserSessions[user]!)"]
    }

    /// Posts `body` to the webhook, signed at the desk's clock unless `headers` are given.
    func deliver(_ body: [UInt8], headers: HTTPFields? = nil, via client: any TestClientProtocol) async throws
        -> TestResponse
    {
        try await client.execute(
            uri: "/webhooks/session-completed", method: .post, headers: headers ?? self.signed(body),
            body: ByteBuffer(bytes: body))
    }

    /// Posts the family session and runs its job: the session is then in review.
    func deliverAndDraft(_ client: any TestClientProtocol) async throws -> String {
        let id = try Self.json(try await self.deliver(try Self.body(), via: client))["jobId"]?.string ?? ""
        _ = await self.server.pool.runNext()
        return id
    }

    static func json(_ response: TestResponse) throws -> JSONNode {
        try JSONParser.parse(Array(response.body.readableBytesView), file: "response")
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }
}
