public import EnsembleCore
public import EnsembleFormats
import EnsembleIO
import EnsembleSystem
public import Foundation

/// One system allowed to post session-completed events: its name (the `X-Ensemble-Source` header), the
/// store user its jobs draft as, and the shared secret its signatures are made with.
public struct WebhookSource: Sendable {
    public var name: String
    public var user: String
    public var secret: [UInt8]

    public init(name: String, user: String, secret: [UInt8]) {
        self.name = name
        self.user = user
        self.secret = secret
    }
}

/// Checks a delivery's signature: `X-Ensemble-Signature: sha256=HEX`, where HEX is HMAC-SHA256 under the
/// source's secret of `TIMESTAMP.BODY`, and `X-Ensemble-Timestamp` (Unix seconds) is within the tolerance.
public struct WebhookVerifier: Sendable {
    public enum Refusal: Error, Sendable, Equatable {
        case unknownSource
        case missingHeader(String)
        case malformedTimestamp
        case stale(seconds: Int)
        case badSignature

        public var message: String {
            switch self {
            case .unknownSource: "the X-Ensemble-Source header names no configured webhook source"
            case .missingHeader(let name): "the \(name) header is missing"
            case .malformedTimestamp: "X-Ensemble-Timestamp must be whole Unix seconds"
            case .stale(let seconds):
                "X-Ensemble-Timestamp is \(seconds) s from the server's clock; the tolerance is 300 s (check the clock, sign again)"
            case .badSignature: "the signature does not match the timestamp and body under this source's secret"
            }
        }
    }

    public var sources: [String: WebhookSource]
    public var tolerance: Double

    public init(sources: [WebhookSource], tolerance: Double = 300) {
        self.sources = Dictionary(sources.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        self.tolerance = tolerance
    }

    /// The source, when the delivery is signed by it within the tolerance.
    public func verify(
        source: String?, timestamp: String?, signature: String?, body: [UInt8], now: Date
    ) -> Result<WebhookSource, Refusal> {
        guard let name = source else { return .failure(.missingHeader("X-Ensemble-Source")) }
        guard let source = self.sources[name] else { return .failure(.unknownSource) }
        guard let timestamp else { return .failure(.missingHeader("X-Ensemble-Timestamp")) }
        guard let signature else { return .failure(.missingHeader("X-Ensemble-Signature")) }
        guard let seconds = Int(timestamp), timestamp.allSatisfy(\.isASCII) else {
            return .failure(.malformedTimestamp)
        }
        let skew = now.timeIntervalSince1970 - Double(seconds)
        guard abs(skew) <= self.tolerance else { return .failure(.stale(seconds: Int(skew.rounded()))) }
        let expected = "sha256=" + Self.signature(secret: source.secret, timestamp: timestamp, body: body)
        guard Hashing.constantTimeEqual(expected, signature.lowercased()) else { return .failure(.badSignature) }
        return .success(source)
    }

    /// HEX of `sha256=HEX`: HMAC-SHA256 of `TIMESTAMP.BODY`.
    public static func signature(secret: [UInt8], timestamp: String, body: [UInt8]) -> String {
        Hashing.hmacSHA256Hex(key: secret, message: Array((timestamp + ".").utf8) + body)
    }
}

/// A session-completed event's body: `{"eventId": …, "session": {session.json}, "transcript": {"name":
/// "transcript.vtt", "content": "…"}}`. The transcript's name picks its format as a scenario folder's
/// file name would.
public struct WebhookPayload: Sendable {
    public var eventID: String
    /// session.json as the event carried it.
    public var sessionJSON: String
    public var session: Session
    public var transcript: Transcript
    public var transcriptName: String

    static let file = "webhook body"

    public static func parse(_ bytes: [UInt8]) throws(FormatError) -> WebhookPayload {
        let root = JSONField(node: try JSONParser.parse(bytes, file: Self.file), file: Self.file)
        try StrictJSON.requireOnly(["eventId", "session", "transcript"], in: root)
        let eventID = try root.required("eventId", expected: "the event's id, a string").text()
        guard eventID.utf8.count <= 200, eventID.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw try root.required("eventId", expected: "").error(
                .invalidValue, "expected at most 200 printable ASCII characters without spaces")
        }
        let sessionField = try root.required("session", expected: "the session.json object")
        guard case .object = sessionField.node.value else {
            throw sessionField.error(.wrongType, "expected the session.json object")
        }
        let sessionJSON = JSONWriter.write(sessionField.node, pretty: false)
        let document = try SessionDecoder.decode(Array(sessionJSON.utf8), file: "webhook body session")
        let transcriptField = try root.required("transcript", expected: "an object with name and content")
        try StrictJSON.requireOnly(["name", "content"], in: transcriptField)
        let name = try transcriptField.required("name", expected: "the transcript's file name").text()
        guard Self.isTranscriptName(name) else {
            throw try transcriptField.required("name", expected: "").error(
                .invalidValue,
                "expected transcript.EXT (vtt, srt, txt, json, …) or summary.md, in ASCII letters, digits, '.', '-' and '_'"
            )
        }
        let content = try transcriptField.required("content", expected: "the transcript's text").string()
        let transcript = try TranscriptReading.read(
            Array(content.utf8), file: "webhook transcript \(name)",
            options: TranscriptOptions(conversation: document.conversation))
        return WebhookPayload(
            eventID: eventID, sessionJSON: sessionJSON, session: document.session, transcript: transcript,
            transcriptName: name)
    }
}

extension WebhookPayload {
    /// A FHIR R4 Bundle posted with `Content-Type: application/fhir+json`, read as `ensemble fhir import`
    /// reads one, and turned into the webhook's own event (which is what the job keeps). The event id is
    /// the Bundle's identifier value, else its id. The Bundle must carry one transcript file.
    public static func fromFHIR(_ bytes: [UInt8], mapping: FHIRMapping) throws(FormatError) -> (
        event: WebhookPayload, payload: String
    ) {
        let root = JSONField(node: try JSONParser.parse(bytes, file: Self.file), file: Self.file)
        var eventID = try root.optional("identifier")?.optional("value")?.text()
        if eventID == nil { eventID = try root.optional("id")?.text() }
        guard let eventID else {
            throw root.error(
                .missingField, "Bundle.identifier.value or Bundle.id is required: it is the delivery's event id")
        }
        let imported = try FHIRBundleReader(mapping: mapping).read(bytes, file: Self.file)
        guard imported.transcript.count == 1, imported.diarizationFile == nil, let file = imported.transcript.first
        else {
            throw FormatError(
                .unsupportedFormat, file: Self.file, field: "Bundle.entry",
                "a Bundle posted to the webhook carries exactly one transcript file (no channel files or RTTM)")
        }
        guard let content = String(validating: file.bytes, as: UTF8.self) else {
            throw FormatError(
                .invalidEncoding, file: Self.file, field: "Bundle.entry", "the transcript attachment is not UTF-8 text")
        }
        let name =
            Self.isTranscriptName(file.fileName)
            ? file.fileName : FHIRTranscript.fileName(forContentType: file.contentType)
        let payload = JSONWriter.write(
            .object([
                ("eventId", .string(eventID)), ("session", SessionEncoder.json(imported.session)),
                ("transcript", .object([("name", .string(name)), ("content", .string(content))])),
            ]), pretty: false)
        return (try Self.parse(Array(payload.utf8)), payload)
    }

    /// A transcript's file name as a scenario folder would hold it: `summary.md`, or `transcript.` and an
    /// extension of ASCII letters, digits, `.`, `-` and `_` (at most 64 characters, no `..`). Anything else,
    /// a NUL, a slash or backslash, or a percent-encoded path among it, is refused like a path-traversal name.
    static func isTranscriptName(_ name: String) -> Bool {
        if name == "summary.md" { return true }
        let bytes = Array(name.utf8)
        let prefix = Array("transcript.".utf8)
        guard bytes.count > prefix.count, bytes.count <= 64, bytes.starts(with: prefix), !name.contains("..") else {
            return false
        }
        return bytes[prefix.count...].allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}

/// Request bodies that must carry only the fields an endpoint knows.
enum StrictJSON {
    /// Refuses a member not in `allowed`, naming it (field names are the API's, never data).
    static func requireOnly(_ allowed: Set<String>, in field: JSONField) throws(FormatError) {
        for (key, member) in try field.members(expected: "an object") where !allowed.contains(key) {
            throw member.error(
                .invalidValue, "unknown field; expected only \(allowed.sorted().joined(separator: ", "))")
        }
    }
}
