import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP exchange, as the client needs it.
public struct HTTPExchange: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var timeout: Duration

        public init(
            method: String = "POST", url: String, headers: [(String, String)], body: [UInt8], timeout: Duration
        ) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.timeout = timeout
        }
    }

    public struct Response: Sendable {
        public var status: Int
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: [UInt8]

        public init(status: Int, headers: [String: String], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }
}

/// A transport's way of saying the request's timeout passed before the answer came.
public struct TransportTimeout: Error, Sendable {
    public init() {}
}

/// Sends a request and returns the response; cancelling the calling task cancels the request. Throws
/// `TransportTimeout` when the request's timeout passes.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response
}

/// FoundationNetworking's URLSession (which uses the system's libcurl on Linux).
public struct URLSessionTransport: HTTPTransport {
    public init() {}

    public func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        guard let url = URL(string: request.url) else {
            throw URLError(.badURL)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = Data(request.body)
        // An inactivity timeout: a non-streamed completion sends nothing until it is done, so this bounds
        // the wait for the whole answer.
        urlRequest.timeoutInterval = Double(request.timeout.components.seconds) + 1
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let task = URLSession.shared.dataTask(with: urlRequest) { data, response, error in
                    if let error {
                        let timedOut = (error as? URLError)?.code == .timedOut
                        continuation.resume(throwing: timedOut ? TransportTimeout() : error)
                        return
                    }
                    let http = response as? HTTPURLResponse
                    var headers: [String: String] = [:]
                    for (name, value) in http?.allHeaderFields ?? [:] {
                        headers["\(name)".lowercased()] = "\(value)"
                    }
                    continuation.resume(
                        returning: HTTPExchange.Response(
                            status: http?.statusCode ?? 0, headers: headers, body: Array(data ?? Data())))
                }
                box.set(task)
                task.resume()
            }
        } onCancel: {
            box.cancel()
        }
    }
}

/// The data task of one request, so cancellation can reach it from another thread.
private final class TaskBox: Sendable {
    private let state = Mutex<(task: URLSessionDataTask?, cancelled: Bool)>((nil, false))

    func set(_ task: URLSessionDataTask) {
        let cancelled = self.state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = self.state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}
