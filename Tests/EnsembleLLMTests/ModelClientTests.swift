import EnsembleCore
import EnsembleFormats
import EnsembleHTTP
import EnsembleLLM
import EnsembleTesting
import Foundation
import Synchronization
import Testing

/// The OpenAI-compatible client against a loopback stub server: the protocol per backend, retries and
/// backoff, refusals, unreadable answers, timeouts, cancellation and the concurrency limit.
@Suite("Language-model client", .timeLimit(.minutes(10)))
struct ModelClientTests {
    final class Sleeps: Sendable {
        let recorded = Mutex<[Duration]>([])
        var all: [Duration] { self.recorded.withLock { $0 } }
        func sleep(_ duration: Duration) async throws { self.recorded.withLock { $0.append(duration) } }
    }

    static let request = ModelRequest(
        messages: [ModelMessage(.system, "You draft notes."), ModelMessage(.user, "[CLIENT_1] said hello.")],
        schemaName: "note", schema: #"{"type":"object","properties":{"sentences":{"type":"array"}}}"#, maxTokens: 256,
        temperature: 0.2)

    func model(
        _ server: StubModelServer, backend: ModelEndpoint.Backend = .openAI, retries: Int = 3,
        sleeps: Sleeps = Sleeps(),
        timeout: Duration = .seconds(30), concurrent: Int = 4, transport: (any HTTPTransport)? = nil
    ) throws -> OpenAICompatibleModel {
        let endpoint = ModelEndpoint(
            backend: backend, baseURL: backend == .azure ? "http://127.0.0.1:\(server.port)" : server.baseURL,
            model: "note-model", azureAPIVersion: "2024-10-21", apiKeyVariable: "TEST_MODEL_KEY", timeout: timeout,
            maxConcurrentRequests: concurrent, maxRetries: retries)
        return try OpenAICompatibleModel(
            endpoint: endpoint, environment: ["TEST_MODEL_KEY": "sk-secret-123"],
            transport: transport ?? URLSessionTransport(), sleep: { try await sleeps.sleep($0) }, random: { 1.0 })
    }

    @Test func openAI_sendsTheSchemaAndTheBearerKey_andReadsUsage() async throws {
        let server = try StubModelServer(replies: [
            .completion(#"{"sentences":[]}"#, promptTokens: 42, completionTokens: 9)
        ])
        let reply = try await self.model(server).complete(Self.request)
        #expect(reply.content == #"{"sentences":[]}"# && reply.model == "stub-model")
        #expect(reply.usage == TokenUsage(prompt: 42, completion: 9) && reply.attempts == 1)
        let sent = try #require(server.requests.first)
        #expect(sent.method == "POST" && sent.path == "/v1/chat/completions")
        #expect(sent.headers["authorization"] == "Bearer sk-secret-123")
        let body = try JSONParser.parse(sent.body, file: "body")
        #expect(body["model"]?.string == "note-model")
        #expect(body["messages"]?.array?.count == 2 && body["max_tokens"]?.number == 256)
        #expect(body["response_format"]?["type"]?.string == "json_schema")
        #expect(body["response_format"]?["json_schema"]?["name"]?.string == "note")
        #expect(body["response_format"]?["json_schema"]?["schema"]?["type"]?.string == "object")
    }

    @Test func azureAndLlamaCpp_useTheirOwnURLHeaderAndFormat() async throws {
        let azure = try StubModelServer(replies: [.completion("{}")])
        _ = try await self.model(azure, backend: .azure).complete(Self.request)
        let sent = try #require(azure.requests.first)
        #expect(sent.path == "/openai/deployments/note-model/chat/completions?api-version=2024-10-21")
        #expect(sent.headers["api-key"] == "sk-secret-123" && sent.headers["authorization"] == nil)

        let llama = try StubModelServer(replies: [.completion("{}")])
        _ = try await self.model(llama, backend: .llamaCpp).complete(Self.request)
        let body = try JSONParser.parse(try #require(llama.requests.first).body, file: "body")
        #expect(body["response_format"]?["type"]?.string == "json_object")
        #expect(body["response_format"]?["schema"]?["type"]?.string == "object")
    }

    @Test func rateLimited_waitsForRetryAfter_thenSucceeds() async throws {
        let server = try StubModelServer(replies: [
            .init(status: 429, headers: [("Retry-After", "2")], body: #"{"error":"slow down"}"#), .completion("{}"),
        ])
        let sleeps = Sleeps()
        let reply = try await self.model(server, sleeps: sleeps).complete(Self.request)
        #expect(reply.attempts == 2 && server.requests.count == 2)
        #expect(sleeps.all == [.seconds(2)])
    }

    @Test func serverErrors_backOffExponentially_thenGiveUp() async throws {
        let server = try StubModelServer(replies: [.init(status: 503, body: "{}")])
        let sleeps = Sleeps()
        do {
            _ = try await self.model(server, retries: 3, sleeps: sleeps).complete(Self.request)
            Issue.record("expected unavailable")
        } catch let error as ModelError {
            #expect(error.code == .unavailable && error.status == 503)
        }
        #expect(server.requests.count == 4)
        // 0.5 s doubling, at full jitter (random = 1).
        #expect(sleeps.all == [.milliseconds(500), .seconds(1), .seconds(2)])
    }

    @Test func otherClientErrors_areNotRetried_andMessagesCarryNoKeyOrText() async throws {
        let server = try StubModelServer(replies: [.init(status: 400, body: #"{"error":"[CLIENT_1] said hello"}"#)])
        do {
            _ = try await self.model(server).complete(Self.request)
            Issue.record("expected refused")
        } catch let error as ModelError {
            #expect(error.code == .refused && error.status == 400)
            #expect(!error.message.contains("sk-secret") && !error.message.contains("hello"))
        }
        #expect(server.requests.count == 1)
    }

    @Test func unreadableAnswer_andMissingKey_areTheirOwnErrors() async throws {
        let server = try StubModelServer(replies: [.init(body: "this is not json")])
        await #expect(throws: ModelError(.unreadable, "the model's answer was not a chat completion with a message")) {
            _ = try await self.model(server).complete(Self.request)
        }
        let endpoint = ModelEndpoint(baseURL: server.baseURL, model: "m", apiKeyVariable: "UNSET_KEY_VARIABLE")
        #expect(throws: ModelError.self) {
            _ = try OpenAICompatibleModel(endpoint: endpoint, environment: [:], transport: URLSessionTransport())
        }
    }

    @Test func slowAnswer_timesOut() async throws {
        let server = try StubModelServer(replies: [.init(body: "{}", delay: .seconds(4))])
        do {
            _ = try await self.model(server, retries: 0, timeout: .seconds(1)).complete(Self.request)
            Issue.record("expected a timeout")
        } catch let error as ModelError {
            #expect(error.code == .timedOut)
        }
    }

    @Test func cancellingTheCaller_cancelsTheRequest() async throws {
        // The server would answer after 60 s, and the client gives up after 45 s with a timeout: only a
        // cancelled request ends in CancellationError (no wall-clock bound, which a loaded machine misses).
        let server = try StubModelServer(replies: [.init(body: "{}", delay: .seconds(60))])
        defer { server.stop() }
        let model = try self.model(server, retries: 0, timeout: .seconds(45))
        let task = Task { try await model.complete(Self.request) }
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    /// Counts requests in flight through the real transport.
    final class Counting: HTTPTransport {
        let inner = URLSessionTransport()
        let counts = Mutex<(now: Int, most: Int)>((0, 0))
        func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
            self.counts.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            defer { self.counts.withLock { $0.now -= 1 } }
            return try await self.inner.send(request)
        }
    }

    @Test func concurrentCalls_stayWithinTheEndpointsLimit() async throws {
        let server = try StubModelServer(replies: [
            .init(body: StubModelServer.Reply.completion("{}").body, delay: .milliseconds(150))
        ])
        let counting = Counting()
        let model = try self.model(server, concurrent: 2, transport: counting)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await model.complete(Self.request) } }
            try await group.waitForAll()
        }
        #expect(server.requests.count == 6)
        #expect(counting.counts.withLock { $0.most } == 2)
    }
}
