public import EnsembleCore
import Synchronization

/// A `LanguageModel` in-process: each call's reply comes from `answer`, and every request is kept.
public final class ScriptedModel: LanguageModel {
    private let answer: @Sendable (ModelRequest, Int) throws -> String
    private let recorded = Mutex<[ModelRequest]>([])

    /// - Parameter answer: the reply's content for a request and the call's number (from 1); throw a
    ///   `ModelError` to fail the call.
    public init(answer: @escaping @Sendable (ModelRequest, Int) throws -> String) {
        self.answer = answer
    }

    public var requests: [ModelRequest] { self.recorded.withLock { $0 } }

    public func complete(_ request: ModelRequest) async throws -> ModelReply {
        let number = self.recorded.withLock {
            $0.append(request)
            return $0.count
        }
        let content = try self.answer(request, number)
        return ModelReply(
            content: content, model: "scripted", usage: TokenUsage(prompt: 100, completion: 20), attempts: 1,
            latency: .milliseconds(5))
    }

    /// The utterance indexes a drafting request shows (`[12] …` lines).
    public static func shownIndexes(_ request: ModelRequest) -> [Int] {
        (request.messages.last?.content ?? "").split(separator: "\n").compactMap { line in
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
            return Int(line[line.index(after: line.startIndex)..<close])
        }
    }
}
