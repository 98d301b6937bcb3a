import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleLLM
import Foundation

/// Which engine drafts, and where the language model is. Each setting comes from its flag, else its
/// environment variable, else the configuration file (`--model-config` or `$ENSEMBLE_MODEL_CONFIG`, a
/// JSON object with the same names as the flags in camelCase). The API key is never a setting: only the
/// name of the environment variable that holds it.
struct ModelOptions: ParsableArguments {
    enum Engine: String, ExpressibleByArgument, CaseIterable {
        case deterministic, llm
    }

    @Option(help: "deterministic (the default: offline, no set-up) or llm (an OpenAI-compatible endpoint).")
    var engine: Engine?
    @Option(name: .customLong("model-config"), help: "A JSON file with the model settings.")
    var modelConfig: String?
    @Option(name: .customLong("model-backend"), help: "openai, azure or llama.cpp ($ENSEMBLE_MODEL_BACKEND).")
    var backend: String?
    @Option(name: .customLong("model-url"), help: "The endpoint's base URL ($ENSEMBLE_MODEL_URL).")
    var baseURL: String?
    @Option(name: .customLong("model"), help: "The model, or the Azure deployment ($ENSEMBLE_MODEL).")
    var model: String?
    @Option(name: .customLong("azure-api-version"), help: "Azure OpenAI's api-version.")
    var azureAPIVersion: String?
    @Option(
        name: .customLong("api-key-env"),
        help: "The environment variable holding the API key ($ENSEMBLE_MODEL_KEY_ENV).")
    var apiKeyVariable: String?
    @Option(name: .customLong("model-timeout"), help: "Seconds one model request may take.")
    var timeout: Int?
    @Option(name: .customLong("model-concurrency"), help: "Model requests at once.")
    var concurrency: Int?
    @Option(name: .customLong("model-retries"), help: "Retries after a 429 or 5xx.")
    var retries: Int?
    @Flag(
        name: .customLong("send-part2"), help: "Send 42 CFR Part 2 records to the endpoint (needs a BAA and consent).")
    var sendPart2 = false
    @Option(
        name: .customLong("price-per-million-prompt"),
        help: "US dollars per million prompt tokens, for the cost figure.")
    var promptPrice: Double?
    @Option(name: .customLong("price-per-million-completion"), help: "US dollars per million completion tokens.")
    var completionPrice: Double?

    /// The engine to draft with: deterministic, or the language model these settings name.
    func engine(_ agents: AgentConfigurations) throws -> DraftingEngine {
        try self.resolve()?.engine(agents) ?? .deterministic
    }

    /// The resolved settings for the llm engine; nil for the deterministic one.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ResolvedModel? {
        let file = try self.file(environment: environment)
        let engine = self.engine ?? file?["engine"]?.string.flatMap(Engine.init(rawValue:)) ?? .deterministic
        guard engine == .llm else { return nil }
        func setting(_ flag: String?, _ variable: String, _ key: String) -> String? {
            flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? file?[key]?.string
        }
        let backendName = setting(self.backend, "ENSEMBLE_MODEL_BACKEND", "backend") ?? "openai"
        guard let backend = ModelEndpoint.Backend(rawValue: backendName) else {
            throw ValidationError("--model-backend must be one of openai, azure, llama.cpp")
        }
        guard let baseURL = setting(self.baseURL, "ENSEMBLE_MODEL_URL", "modelUrl") else {
            throw ValidationError(
                "--engine llm needs the endpoint: --model-url, $ENSEMBLE_MODEL_URL or modelUrl in --model-config")
        }
        guard let model = setting(self.model, "ENSEMBLE_MODEL", "model") else {
            throw ValidationError("--engine llm needs --model (the model, or the Azure deployment)")
        }
        let endpoint = ModelEndpoint(
            backend: backend, baseURL: baseURL, model: model,
            azureAPIVersion: self.azureAPIVersion ?? file?["azureApiVersion"]?.string,
            apiKeyVariable: setting(self.apiKeyVariable, "ENSEMBLE_MODEL_KEY_ENV", "apiKeyEnv"),
            timeout: .seconds(self.timeout ?? file?["modelTimeout"]?.number.map(Int.init) ?? 180),
            maxConcurrentRequests: self.concurrency ?? file?["modelConcurrency"]?.number.map(Int.init) ?? 4,
            maxRetries: self.retries ?? file?["modelRetries"]?.number.map(Int.init) ?? 3)
        return ResolvedModel(
            endpoint: endpoint, sendPart2: self.sendPart2 || (file?["sendPart2"]?.bool ?? false),
            promptPrice: self.promptPrice ?? file?["pricePerMillionPrompt"]?.number,
            completionPrice: self.completionPrice ?? file?["pricePerMillionCompletion"]?.number)
    }

    private func file(environment: [String: String]) throws -> JSONNode? {
        guard let path = self.modelConfig ?? environment["ENSEMBLE_MODEL_CONFIG"] else { return nil }
        let bytes = try FileReader().read(path, limit: 1_048_576)
        let node = try JSONParser.parse(bytes, file: path)
        guard case .object = node.value else {
            throw FormatError(.wrongType, file: path, "expected a JSON object of model settings")
        }
        return node
    }
}

struct ResolvedModel {
    var endpoint: ModelEndpoint
    var sendPart2: Bool
    var promptPrice: Double?
    var completionPrice: Double?

    /// The language-model engine these settings name, for the NoteDrafter of `agents`.
    func engine(_ agents: AgentConfigurations) throws -> DraftingEngine {
        try DraftingEngine.languageModel(
            endpoint: self.endpoint, prompt: agents.notePrompt, riskPrompt: agents.riskPrompt,
            sendPart2: self.sendPart2,
            pricePerMillionPrompt: self.promptPrice, pricePerMillionCompletion: self.completionPrice)
    }
}
