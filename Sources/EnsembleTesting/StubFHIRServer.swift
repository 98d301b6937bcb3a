import Foundation
import Synchronization

/// A loopback FHIR R4 server for testing pushes: it validates every resource it receives with the
/// third-party validator (`FHIRValidation.validateResource`) and answers as a FHIR server does:
/// - 201 with a Location for a new resource, 200 for a conditional update of one it has;
/// - 400 with an OperationOutcome for a resource that does not validate;
/// - 503 with an OperationOutcome for the first `unavailableFirst` requests.
public final class StubFHIRServer: Sendable {
    public struct Received: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: String
        public var status: Int
    }

    private struct State {
        var received: [Received] = []
        /// Conditional-update key → the stored DocumentReference's id and version.
        var documents: [String: (id: Int, version: Int)] = [:]
        var nextID = 1
        var unavailable: Int
    }

    private let state: Mutex<State>
    private let server: Mutex<StubModelServer?> = Mutex(nil)
    /// The bearer token every request must carry, when set.
    public let token: String?

    public init(unavailableFirst: Int = 0, token: String? = nil) throws {
        self.state = Mutex(State(unavailable: unavailableFirst))
        self.token = token
        let server = try StubModelServer { [weak self] request in
            self?.respond(request) ?? .init(status: 500, body: "{}")
        }
        self.server.withLock { $0 = server }
    }

    public var baseURL: String { "http://127.0.0.1:\(self.server.withLock { $0!.port })/fhir" }
    public var received: [Received] { self.state.withLock { $0.received } }

    public func stop() { self.server.withLock { $0?.stop() } }

    static func outcome(_ code: String, _ diagnostics: String) -> String {
        let escaped = diagnostics.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "'")
            .replacingOccurrences(of: "\n", with: " ")
        return """
            {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"\(code)","diagnostics":"\(escaped)"}]}
            """
    }

    private func respond(_ request: StubModelServer.Recorded) -> StubModelServer.Reply {
        let fhir = [("Content-Type", "application/fhir+json")]
        func reply(_ status: Int, _ body: String, _ headers: [(String, String)] = []) -> StubModelServer.Reply {
            self.state.withLock {
                $0.received.append(
                    Received(
                        method: request.method, path: request.path, headers: request.headers, body: request.body,
                        status: status))
            }
            return .init(status: status, headers: fhir + headers, body: body)
        }
        let unavailable = self.state.withLock { state -> Bool in
            guard state.unavailable > 0 else { return false }
            state.unavailable -= 1
            return true
        }
        if unavailable { return reply(503, Self.outcome("transient", "try again later")) }
        if let token, request.headers["authorization"] != "Bearer \(token)" {
            return reply(401, Self.outcome("login", "a bearer token is required"))
        }
        guard request.headers["content-type"]?.hasPrefix("application/fhir+json") == true else {
            return reply(415, Self.outcome("not-supported", "send application/fhir+json"))
        }
        let verdict: [String]?
        do {
            verdict = try FHIRValidation.validateResource(request.body)
        } catch {
            return reply(500, Self.outcome("exception", "the validator could not run"))
        }
        if verdict == nil && FHIRValidation.required {
            return reply(500, Self.outcome("exception", "fhir.resources is not installed: run make test"))
        }
        let errors = verdict ?? []
        guard errors.isEmpty else { return reply(400, Self.outcome("invalid", errors.joined(separator: "; "))) }
        let path = request.path.hasPrefix("/fhir/") ? String(request.path.dropFirst(6)) : request.path
        let type = String(path.prefix { $0 != "?" && $0 != "/" })
        if request.method == "PUT", path.contains("?identifier=") {
            let key = String(path.drop { $0 != "?" })
            let (id, version, created) = self.state.withLock { state -> (Int, Int, Bool) in
                if let existing = state.documents[key] {
                    state.documents[key] = (existing.id, existing.version + 1)
                    return (existing.id, existing.version + 1, false)
                }
                let id = state.nextID
                state.nextID += 1
                state.documents[key] = (id, 1)
                return (id, 1, true)
            }
            return reply(created ? 201 : 200, "{}", [("Location", "\(self.baseURL)/\(type)/\(id)/_history/\(version)")])
        }
        if request.method == "POST" {
            let id = self.state.withLock { state -> Int in
                defer { state.nextID += 1 }
                return state.nextID
            }
            return reply(201, "{}", [("Location", "\(self.baseURL)/\(type)/\(id)/_history/1")])
        }
        return reply(405, Self.outcome("not-supported", "method not allowed"))
    }
}
