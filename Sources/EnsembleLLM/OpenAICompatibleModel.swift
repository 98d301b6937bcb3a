public import EnsembleCore
import EnsembleFormats
public import EnsembleHTTP

/// A `LanguageModel` over any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI, vLLM,
/// llama.cpp, Ollama).
///
/// At most `maxConcurrentRequests` requests run at once, across every caller. A 429 or 5xx answer is
/// retried up to `maxRetries` times, after the endpoint's `Retry-After` when it sends one, and
/// otherwise after an exponential backoff with jitter. Any other 4xx is not retried. Cancelling the
/// caller cancels the request in flight and any wait. Errors name the status and the kind of failure,
/// never the request's or reply's text, and never the key.
public struct OpenAICompatibleModel: LanguageModel {
    public let endpoint: ModelEndpoint
    private let apiKey: String?
    private let transport: any HTTPTransport
    private let limiter: Admission
    private let sleep: @Sendable (Duration) async throws -> Void
    private let random: @Sendable () -> Double
    private let clock = ContinuousClock()

    /// - Parameters:
    ///   - environment: where `apiKeyVariable` is looked up (the process environment in the CLI).
    ///   - sleep: how backoff waits (tests pass one that records and returns at once).
    ///   - random: jitter in 0..<1.
    public init(
        endpoint: ModelEndpoint, environment: [String: String], transport: any HTTPTransport,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) throws {
        if let variable = endpoint.apiKeyVariable {
            guard let key = environment[variable], !key.isEmpty else {
                throw ModelError(.notConfigured, "the API key variable \(variable) is not set")
            }
            self.apiKey = key
        } else {
            self.apiKey = nil
        }
        guard endpoint.baseURL.hasPrefix("http://") || endpoint.baseURL.hasPrefix("https://") else {
            throw ModelError(.notConfigured, "the model's base URL must start with http:// or https://")
        }
        self.endpoint = endpoint
        self.transport = transport
        self.limiter = Admission(limit: endpoint.maxConcurrentRequests)
        self.sleep = sleep
        self.random = random
    }

    public func complete(_ request: ModelRequest) async throws -> ModelReply {
        let body = Array(JSONWriter.write(Self.body(request, endpoint: self.endpoint), pretty: false).utf8)
        var headers = [("Content-Type", "application/json")]
        switch (self.endpoint.backend, self.apiKey) {
        case (.azure, let key?): headers.append(("api-key", key))
        case (_, let key?): headers.append(("Authorization", "Bearer \(key)"))
        case (_, nil): break
        }
        let exchange = HTTPExchange.Request(
            url: self.endpoint.completionsURL, headers: headers, body: body, timeout: self.endpoint.timeout)
        let start = self.clock.now
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let response: HTTPExchange.Response
            do {
                response = try await self.limiter.admitted { try await self.transport.send(exchange) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                let timedOut = error is TransportTimeout
                throw ModelError(
                    timedOut ? .timedOut : .transport,
                    timedOut
                        ? "the model did not answer within \(self.endpoint.timeout)"
                        : "the model endpoint could not be reached")
            }
            switch response.status {
            case 200..<300:
                var reply = try Self.reply(response.body)
                reply.attempts = attempt
                reply.latency = start.duration(to: self.clock.now)
                return reply
            case 429, 500..<600:
                guard attempt <= self.endpoint.maxRetries else {
                    throw ModelError(
                        .unavailable, status: response.status,
                        "the model endpoint answered \(response.status) to \(attempt) requests; try again later")
                }
                try await self.sleep(self.backoff(attempt: attempt, retryAfter: response.headers["retry-after"]))
            default:
                throw ModelError(
                    .refused, status: response.status,
                    "the model endpoint refused the request (\(response.status)); check the model, key and settings")
            }
        }
    }

    /// `Retry-After` seconds when the endpoint sent them (capped at `maxBackoff`); otherwise
    /// `initialBackoff · 2^(attempt-1)` with full jitter over its upper half.
    func backoff(attempt: Int, retryAfter: String?) -> Duration {
        if let retryAfter, let seconds = Double(retryAfter.filter { $0 != " " }), seconds >= 0 {
            return min(.milliseconds(Int(seconds * 1000)), self.endpoint.maxBackoff)
        }
        let base = self.endpoint.initialBackoff * (1 << min(attempt - 1, 20))
        let capped = min(base, self.endpoint.maxBackoff)
        return capped * (0.5 + 0.5 * self.random())
    }

    /// The chat-completions request body for this backend.
    static func body(_ request: ModelRequest, endpoint: ModelEndpoint) -> JSONNode {
        var format: JSONNode?
        if let schema = request.schema, let parsed = try? JSONParser.parse(schema, file: "schema") {
            switch endpoint.backend {
            case .openAI, .azure:
                format = .object([
                    ("type", .string("json_schema")),
                    (
                        "json_schema",
                        .object([
                            ("name", .string(request.schemaName ?? "reply")), ("strict", .bool(true)),
                            ("schema", parsed),
                        ])
                    ),
                ])
            case .llamaCpp:
                format = .object([("type", .string("json_object")), ("schema", parsed)])
            }
        }
        return .object([
            ("model", .string(endpoint.model)),
            (
                "messages",
                .array(
                    request.messages.map {
                        .object([("role", .string($0.role.rawValue)), ("content", .string($0.content))])
                    })
            ),
            ("response_format", format),
            ("max_tokens", request.maxTokens.map { .number($0) }),
            ("temperature", JSONNode.number(request.temperature)),
        ])
    }

    /// The first choice's content and the usage, from a chat-completions response.
    static func reply(_ body: [UInt8]) throws -> ModelReply {
        guard let root = try? JSONParser.parse(body, file: "reply"),
            let content = root["choices"]?.array?.first?["message"]?["content"]?.string
        else {
            throw ModelError(.unreadable, "the model's answer was not a chat completion with a message")
        }
        let usage = TokenUsage(
            prompt: Int(root["usage"]?["prompt_tokens"]?.number ?? 0),
            completion: Int(root["usage"]?["completion_tokens"]?.number ?? 0))
        return ModelReply(
            content: content, model: root["model"]?.string ?? "", usage: usage, attempts: 1, latency: .zero)
    }
}
