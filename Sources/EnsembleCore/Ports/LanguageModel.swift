/// One message of a chat request.
public struct ModelMessage: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable { case system, user, assistant }

    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// What an agent asks a language model: the messages (already pseudonymised) and the JSON schema the
/// reply must follow.
public struct ModelRequest: Sendable, Hashable {
    public var messages: [ModelMessage]
    /// The reply's schema name and JSON Schema text; nil for free text.
    public var schemaName: String?
    public var schema: String?
    public var maxTokens: Int?
    public var temperature: Double?

    public init(
        messages: [ModelMessage], schemaName: String? = nil, schema: String? = nil, maxTokens: Int? = nil,
        temperature: Double? = nil
    ) {
        self.messages = messages
        self.schemaName = schemaName
        self.schema = schema
        self.maxTokens = maxTokens
        self.temperature = temperature
    }
}

/// Tokens a call used, as the endpoint reported them.
public struct TokenUsage: Sendable, Hashable {
    public var prompt: Int
    public var completion: Int

    public init(prompt: Int = 0, completion: Int = 0) {
        self.prompt = prompt
        self.completion = completion
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        TokenUsage(prompt: lhs.prompt + rhs.prompt, completion: lhs.completion + rhs.completion)
    }
}

/// A model's answer, with what the call cost.
public struct ModelReply: Sendable, Hashable {
    public var content: String
    public var model: String
    public var usage: TokenUsage
    /// Requests sent, retries included.
    public var attempts: Int
    public var latency: Duration

    public init(content: String, model: String, usage: TokenUsage, attempts: Int, latency: Duration) {
        self.content = content
        self.model = model
        self.usage = usage
        self.attempts = attempts
        self.latency = latency
    }
}

/// Why a model call failed, by kind and HTTP status; never with the request's or reply's text.
public struct ModelError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The endpoint is not configured (no base URL, no key in the named variable).
        case notConfigured
        /// No answer within the request timeout.
        case timedOut
        /// Still 429 or 5xx after every retry.
        case unavailable
        /// The endpoint refused the request (4xx other than 429): retrying would not help.
        case refused
        /// The answer was not a chat completion.
        case unreadable
        /// The connection failed.
        case transport
    }

    public var code: Code
    public var status: Int?
    public var message: String

    public init(_ code: Code, status: Int? = nil, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    public var description: String { self.message }
}

/// A language model behind any OpenAI-compatible endpoint (or a test double). Calls may run at once;
/// cancelling the calling task cancels the request.
public protocol LanguageModel: Sendable {
    func complete(_ request: ModelRequest) async throws -> ModelReply
}
