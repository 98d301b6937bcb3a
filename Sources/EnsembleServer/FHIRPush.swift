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

/// One signed note to the EHR as one transaction (`FHIRBundleWriter.Push`): the AI Device, the
/// DocumentReference by conditional update on its identifier, and the Provenance of this state of the
/// note under its own id. Sent again, it changes nothing.
struct FHIRPusher: Sendable {
    let settings: FHIRPushSettings

    func push(session: String, attendee: String, job: String, store: Store, as user: String) async throws -> String {
        let record = try await store.fhirRecord(session: session, as: user, withTranscript: false)
        let writer = FHIRBundleWriter(mapping: self.settings.mapping, digest: Hashing.sha256)
        guard let push = writer.push(record, attendee: PersonID(attendee), exported: record.drafted) else {
            throw FHIRPushFailure(description: "no note for \(attendee) in session \(session) to push", permanent: true)
        }
        let response = try await self.send("POST", "", body: push.transaction, what: "the transaction")
        guard let location = Self.location(response, entryType: "DocumentReference") else {
            throw FHIRPushFailure(
                description: "the EHR answered the transaction without the DocumentReference's location",
                permanent: false)
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
                    method: method, url: path.isEmpty ? self.settings.baseURL : self.settings.baseURL + "/" + path,
                    headers: all,
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

    /// Where the EHR filed the resource of `entryType`: `DocumentReference/123/_history/2`, from the
    /// transaction-response entry whose location names that type.
    static func location(_ response: HTTPExchange.Response, entryType: String) -> String? {
        guard let node = try? JSONParser.parse(response.body, file: "response"),
            node["resourceType"]?.string == "Bundle"
        else { return nil }
        for entry in node["entry"]?.array ?? [] {
            guard let location = entry["response"]?["location"]?.string else { continue }
            let parts = location.split(separator: "/").map(String.init)
            if let index = parts.lastIndex(of: entryType), index + 1 < parts.count {
                return parts[index...].joined(separator: "/")
            }
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
