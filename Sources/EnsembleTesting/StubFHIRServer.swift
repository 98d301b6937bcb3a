import Foundation
import Synchronization

/// A loopback FHIR R4 server for testing pushes. It takes transaction Bundles at its base, validates each
/// with the third-party validator (`FHIRValidation.validateBundle`), and answers as a FHIR server does:
/// - 200 with a transaction-response Bundle: `201 Created` and a location for each new resource, `200 OK`
///   for a conditional update of one it has or a conditional create that found one;
/// - 400 with an OperationOutcome for a Bundle that does not validate;
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
        guard request.method == "POST", request.path == "/fhir" || request.path == "/fhir/" else {
            return reply(405, Self.outcome("not-supported", "this server takes transaction Bundles at its base"))
        }
        let verdict: [String]?
        do {
            verdict = try FHIRValidation.validateBundle(request.body)
        } catch {
            return reply(500, Self.outcome("exception", "the validator could not run"))
        }
        if verdict == nil && FHIRValidation.required {
            return reply(500, Self.outcome("exception", "fhir.resources is not installed: run make test"))
        }
        let errors = verdict ?? []
        guard errors.isEmpty else { return reply(400, Self.outcome("invalid", errors.joined(separator: "; "))) }
        guard let bundle = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any],
            bundle["type"] as? String == "transaction", let entries = bundle["entry"] as? [[String: Any]]
        else { return reply(400, Self.outcome("structure", "expected a transaction Bundle")) }
        // Each entry as a FHIR server would apply it: a conditional create finds or makes, a conditional or
        // id-named update makes or replaces.
        var responses: [String] = []
        for entry in entries {
            let request = entry["request"] as? [String: Any] ?? [:]
            let method = request["method"] as? String ?? ""
            let url = request["url"] as? String ?? ""
            let type = String(url.prefix { $0 != "?" && $0 != "/" })
            let key = method == "POST" ? type + "?" + (request["ifNoneExist"] as? String ?? UUID().uuidString) : url
            let (id, version, created) = self.state.withLock { state -> (Int, Int, Bool) in
                if let existing = state.documents[key] {
                    if method == "POST" { return (existing.id, existing.version, false) }
                    state.documents[key] = (existing.id, existing.version + 1)
                    return (existing.id, existing.version + 1, false)
                }
                let id = state.nextID
                state.nextID += 1
                state.documents[key] = (id, 1)
                return (id, 1, true)
            }
            let status = created ? "201 Created" : "200 OK"
            responses.append(
                "{\"response\":{\"status\":\"\(status)\",\"location\":\"\(type)/\(id)/_history/\(version)\"}}")
        }
        return reply(
            200,
            "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\",\"entry\":[\(responses.joined(separator: ","))]}"
        )
    }
}
