public import EnsembleCore
public import EnsembleHTTP
import Foundation

extension DraftingEngine {
    /// A language model behind the NoteDrafter: the client for `endpoint` (its key read from the
    /// environment by the variable's name), the model drafter around the deterministic one, and a
    /// ledger for its records.
    public static func languageModel(
        endpoint: ModelEndpoint, prompt: String, riskPrompt: String? = nil, sendPart2: Bool,
        pricePerMillionPrompt: Double? = nil,
        pricePerMillionCompletion: Double? = nil, environment: [String: String]? = nil,
        transport: (any HTTPTransport)? = nil
    ) throws -> DraftingEngine {
        let client = try OpenAICompatibleModel(
            endpoint: endpoint, environment: environment ?? ProcessInfo.processInfo.environment,
            transport: transport ?? URLSessionTransport())
        let configuration = ModelNoteDrafter.Configuration(prompt: prompt, sendPart2: sendPart2)
        // The RiskScreener's second reader, when the agents carry its prompt.
        var screener: DraftingEngine.ScreenerMaker? = nil
        if let riskPrompt, !riskPrompt.isEmpty {
            screener = { local, budget in
                let settings = ModelRiskScreener.Configuration(prompt: riskPrompt, sendPart2: sendPart2, budget: budget)
                return ModelRiskScreener(model: client, local: local, configuration: settings)
            }
        }
        return DraftingEngine(
            model: Model(
                backend: endpoint.backend.rawValue, model: endpoint.model, pricePerMillionPrompt: pricePerMillionPrompt,
                pricePerMillionCompletion: pricePerMillionCompletion),
            drafter: { local, budget in
                var configuration = configuration
                configuration.budget = budget
                return ModelNoteDrafter(model: client, local: local, configuration: configuration)
            },
            screener: screener)
    }
}
