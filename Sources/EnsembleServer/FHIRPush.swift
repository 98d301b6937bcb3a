import EnsembleCore
public import EnsembleFormats
public import EnsembleHTTP
import EnsembleStore
import EnsembleSystem
import Foundation

/// Where signed notes go: the EHR's FHIR base URL, the bearer token, and the mapping.
public struct FHIRPushSettings: Sendable {
    public var baseURL: String
    public var token: String?
    public var mapping: FHIRMapping
    public var transport: any HTTPTransport
    public var timeout: Duration

    public init(
        baseURL: String, token: String?, mapping: FHIRMapping, transport: any HTTPTransport = URLSessionTransport(),
        timeout: Duration = .seconds(30)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.mapping = mapping
        self.transport = transport
        self.timeout = timeout
    }
}

/// A push the EHR refused or could not take. Its message names the resource, the HTTP status and the
/// OperationOutcome's issue codes, never the note or the EHR's diagnostics (which may quote it).
struct FHIRPushFailure: Error, CustomStringConvertible {
    var description: String
    /// A 4xx other than 408 and 429: sending the same thing again cannot help.
    var permanent: Bool
}

/// One signed note to the EHR: the DocumentReference by conditional update on its identifier (so an
/// amended note replaces the signed one, and a retry changes nothing), then its Provenance by
/// conditional create on its target and time. Both carry the AI Device contained; people and Encounters
/// are referred to by identifier.
struct FHIRPusher: Sendable {
    let settings: FHIRPushSettings

    func push(session: String, attendee: String, job: String, store: Store, as user: String) async throws -> String {
        let record = try await store.fhirRecord(session: session, as: user, withTranscript: false)
        let writer = FHIRBundleWriter(mapping: self.settings.mapping, digest: Hashing.sha256)
        guard let push = writer.push(record, attendee: PersonID(attendee), exported: record.drafted) else {
            throw FHIRPushFailure(description: "no note for \(attendee) in session \(session) to push", permanent: true)
        }
        let search = "identifier=" + Self.encode(push.identifierSystem + "|" + push.identifierValue)
        let document = try await self.send(
            "PUT", "DocumentReference?" + search, body: push.document, what: "the DocumentReference")
        guard let location = Self.location(document, type: "DocumentReference") else {
            throw FHIRPushFailure(
                description: "the EHR stored the DocumentReference but named no Location or id", permanent: false)
        }
        if let provenance = push.provenance(target: location) {
            let recorded = provenance["recorded"]?.string ?? ""
            _ = try await self.send(
                "POST", "Provenance", body: provenance, what: "the Provenance",
                headers: [("If-None-Exist", "target=\(Self.encode(location))&recorded=\(Self.encode(recorded))")])
        }
        try await store.recordFHIRPush(job: job, session: session, attendee: attendee, location: location, as: user)
        return location
    }

    func send(
        _ method: String, _ path: String, body: JSONNode, what: String, headers: [(String, String)] = []
    ) async throws -> HTTPExchange.Response {
        var all = [("Content-Type", "application/fhir+json"), ("Accept", "application/fhir+json")] + headers
        if let token = self.settings.token { all.append(("Authorization", "Bearer \(token)")) }
        let response: HTTPExchange.Response
        do {
            response = try await self.settings.transport.send(
                HTTPExchange.Request(
                    method: method, url: self.settings.baseURL + "/" + path, headers: all,
                    body: Array(JSONWriter.write(body, pretty: false).utf8), timeout: self.settings.timeout))
        } catch is TransportTimeout {
            throw FHIRPushFailure(description: "the EHR did not answer \(what) in time", permanent: false)
        } catch {
            throw FHIRPushFailure(description: "the EHR could not be reached for \(what)", permanent: false)
        }
        guard (200..<300).contains(response.status) else {
            let issues = Self.issueCodes(response.body)
            let outcome = issues.isEmpty ? "" : " (OperationOutcome: \(issues.joined(separator: ", ")))"
            throw FHIRPushFailure(
                description: "the EHR answered \(response.status) to \(what)\(outcome)",
                permanent: (400..<500).contains(response.status) && ![408, 429].contains(response.status))
        }
        return response
    }

    /// `DocumentReference/123` from the Location header (`…/DocumentReference/123/_history/1`), else from
    /// the returned resource's id.
    static func location(_ response: HTTPExchange.Response, type: String) -> String? {
        if let header = response.headers["location"] ?? response.headers["content-location"] {
            let parts = header.split(separator: "/").map(String.init)
            if let index = parts.lastIndex(of: type), index + 1 < parts.count { return "\(type)/\(parts[index + 1])" }
        }
        if let node = try? JSONParser.parse(response.body, file: "response"), let id = node["id"]?.string {
            return "\(type)/\(id)"
        }
        return nil
    }

    /// The issue codes of an OperationOutcome body (`invalid`, `required` …): codes only, never diagnostics.
    static func issueCodes(_ body: [UInt8]) -> [String] {
        guard let node = try? JSONParser.parse(body, file: "response"),
            node["resourceType"]?.string == "OperationOutcome"
        else { return [] }
        return (node["issue"]?.array ?? []).compactMap { $0["code"]?.string }.filter {
            $0.allSatisfy { $0.isLetter || $0 == "-" } && $0.count <= 40
        }
    }

    /// Percent-encoding for a URL query value.
    static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            let character = Character(UnicodeScalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "-._~".contains(character) {
                encoded.append(character)
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}
