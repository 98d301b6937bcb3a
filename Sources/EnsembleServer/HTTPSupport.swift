import EnsembleFormats
import EnsembleIO
import EnsembleStore
import Foundation
import Hummingbird
import Logging

/// An error the server answers with its own status and message (no content, no stack trace).
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func unauthenticated(
        _ message: String = "sign in: send Authorization: Bearer TOKEN (ensemble users token issues one)"
    )
        -> APIError
    { APIError(.unauthorized, message) }
}

/// Header names (HTTPTypes' `HTTPField.Name`, reached through the type Hummingbird exports).
typealias HeaderName = HTTPFields.Element.Name

extension HeaderName {
    static let ensembleSource = Self("X-Ensemble-Source")!
    static let ensembleTimestamp = Self("X-Ensemble-Timestamp")!
    static let ensembleSignature = Self("X-Ensemble-Signature")!
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
}

/// Every response gets the security headers; every error becomes a response with a status and a
/// message that names ids and fields only. Pages get HTML errors (and a sign-in redirect), the API JSON.
struct ServerMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServerMetrics
    let requestLog: Bool

    @concurrent func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        let started = ContinuousClock.now
        var response: Response
        var failure: String? = nil
        do {
            response = try await next(request, context)
        } catch {
            let (status, message) = Self.classify(error)
            failure = Self.kind(error)
            // The log names the method, the status and the error's kind; never paths, bodies, names or text.
            if status.code >= 500 {
                self.logger.error("\(request.method) request failed: \(status.code) (\(failure ?? ""))")
            }
            response =
                Self.isPage(request)
                ? Pages.error(status, message, request: request) : Self.json(status, message, path: request.uri.path)
        }
        Self.secure(&response.headers)
        // Metrics and the access log name the route's template, never the path's ids.
        let route = ServerMetrics.route(request.uri.path)
        let duration = ContinuousClock.now - started
        self.metrics.request(
            route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        if self.requestLog {
            var metadata: Logger.Metadata = [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(response.status.code)",
                "duration_ms": "\(ServerMetrics.nanoseconds(duration) / 1_000_000)",
            ]
            // A job id only when it is one (`job-` and hex): a path's text never reaches the log.
            if route.hasPrefix("/jobs/{id}"), let id = request.uri.path.split(separator: "/").dropFirst().first,
                id.hasPrefix("job-"), id.count <= 40, id.dropFirst(4).allSatisfy(\.isHexDigit)
            {
                metadata["job"] = "\(id)"
            }
            if let failure { metadata["error"] = "\(failure)" }
            self.logger.info("request", metadata: metadata)
        }
        return response
    }

    /// An error's kind for logs: `StoreError.forbidden`, `FormatError.missingField`, `APIError.404` …
    static func kind(_ error: any Error) -> String {
        switch error {
        case let error as StoreError: "StoreError.\(error.code.rawValue)"
        case let error as FormatError: "FormatError.\(error.code.rawValue)"
        case let error as APIError: "APIError.\(error.status.code)"
        default: "\(type(of: error))"
        }
    }

    static func isPage(_ request: Request) -> Bool {
        let path = request.uri.path
        return
            !(path.hasPrefix("/api/") || path.hasPrefix("/jobs") || path.hasPrefix("/webhooks/")
            || ["/healthz", "/readyz", "/metrics"].contains(path))
    }

    static func classify(_ error: any Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let error as APIError: return (error.status, error.message)
        case let error as StoreError:
            switch error.code {
            case .forbidden: return (.forbidden, error.message)
            case .notFound: return (.notFound, error.message)
            case .staleVersion, .locked, .blocked: return (.conflict, error.message)
            case .invalid: return (.badRequest, error.message)
            case .unavailable, .sql, .newerSchema, .corrupt:
                return (.internalServerError, "the store failed; see the server's log")
            }
        case let error as FormatError: return (.badRequest, "\(error)")
        case let error as any HTTPResponseError:
            if error.status == .contentTooLarge {
                return (.contentTooLarge, "the request body is larger than this endpoint accepts")
            }
            return (error.status, error.status.reasonPhrase)
        default: return (.internalServerError, "internal error; see the server's log")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ message: String, path: String) -> Response {
        var response = JSONResponse.make(
            .object([("error", .object([("status", .number(Int(status.code))), ("message", .string(message))]))]),
            status: status)
        if status == .unauthorized, !path.hasPrefix("/webhooks/") {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"ensemble\""
        }
        return response
    }

    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
        headers[.crossOriginOpenerPolicy] = "same-origin"
        headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=()"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}

enum JSONResponse {
    static func make(_ node: JSONNode, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: JSONWriter.write(node) + "\n")))
    }
}

extension RequestContext {
    /// A path parameter, percent-decoded: the router matches the raw path, so an id holding a space, `/`,
    /// `%`, `?`, `#` or non-ASCII letters arrives encoded (pages link to them with `Pages.segment`).
    func pathID(_ name: String) throws -> String {
        guard let decoded = try self.parameters.require(name).removingPercentEncoding, !decoded.isEmpty else {
            throw APIError(.badRequest, "the \(name) in the path is not valid percent-encoding")
        }
        return decoded
    }
}

extension Request {
    /// The body, refused with 413 past `limit` bytes (by Content-Length before reading, when given).
    func bytes(upTo limit: Int) async throws -> [UInt8] {
        if let length = self.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError(
                .contentTooLarge, "the request body is \(length) bytes; this endpoint accepts at most \(limit)")
        }
        var request = self
        let buffer = try await request.collectBody(upTo: limit)
        return Array(buffer.readableBytesView)
    }

    /// A JSON object body with only the `allowed` fields.
    func jsonObject(allowed: Set<String>, limit: Int) async throws -> JSONField {
        let bytes = try await self.bytes(upTo: limit)
        guard !bytes.isEmpty else { throw APIError(.badRequest, "the request body is empty; send a JSON object") }
        let field = JSONField(node: try JSONParser.parse(bytes, file: "request body"), file: "request body")
        try StrictJSON.requireOnly(allowed, in: field)
        return field
    }

    /// An `application/x-www-form-urlencoded` body.
    func form(limit: Int) async throws -> [String: String] {
        let bytes = try await self.bytes(upTo: limit)
        var fields: [String: String] = [:]
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    func cookie(_ name: String) -> String? {
        for header in self.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == name { return String(pair[1]) }
            }
        }
        return nil
    }
}
