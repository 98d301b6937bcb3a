/// Where the model is and how to talk to it. The API key is never stored here: `apiKeyVariable`
/// names the environment variable that holds it, read when the client is made, and never logged.
public struct ModelEndpoint: Sendable, Hashable {
    /// How the endpoint wants structured output and authentication.
    public enum Backend: String, Sendable, Hashable, CaseIterable {
        /// OpenAI and compatible servers (vLLM, Ollama): `response_format` `json_schema`, a bearer token.
        case openAI = "openai"
        /// Azure OpenAI: a deployment and an api-version in the URL, the `api-key` header, `json_schema`.
        case azure
        /// llama.cpp's server: `response_format` `json_object` with a `schema`.
        case llamaCpp = "llama.cpp"
    }

    public var backend: Backend
    /// `https://api.openai.com/v1`, `https://NAME.openai.azure.com`, `http://127.0.0.1:8080/v1`.
    public var baseURL: String
    /// The model name (OpenAI, local servers) or the Azure deployment.
    public var model: String
    public var azureAPIVersion: String?
    /// The environment variable holding the API key; nil for a local server without one.
    public var apiKeyVariable: String?
    /// How long one request may wait for its answer.
    public var timeout: Duration
    /// Requests to this endpoint at once, across every session.
    public var maxConcurrentRequests: Int
    /// Retries after a 429 or 5xx (so at most `maxRetries + 1` requests per call).
    public var maxRetries: Int
    /// The first backoff; each retry doubles it, with jitter, unless the endpoint says `Retry-After`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    public init(
        backend: Backend = .openAI, baseURL: String, model: String, azureAPIVersion: String? = nil,
        apiKeyVariable: String? = nil, timeout: Duration = .seconds(180), maxConcurrentRequests: Int = 4,
        maxRetries: Int = 3, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30)
    ) {
        self.backend = backend
        self.baseURL = baseURL
        self.model = model
        self.azureAPIVersion = azureAPIVersion
        self.apiKeyVariable = apiKeyVariable
        self.timeout = timeout
        self.maxConcurrentRequests = max(1, maxConcurrentRequests)
        self.maxRetries = max(0, maxRetries)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// The chat-completions URL for this backend.
    public var completionsURL: String {
        let base = self.baseURL.hasSuffix("/") ? String(self.baseURL.dropLast()) : self.baseURL
        switch self.backend {
        case .openAI, .llamaCpp: return base + "/chat/completions"
        case .azure:
            return base
                + "/openai/deployments/\(self.model)/chat/completions?api-version=\(self.azureAPIVersion ?? "2024-10-21")"
        }
    }
}
