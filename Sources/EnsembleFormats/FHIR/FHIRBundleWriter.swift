public import EnsembleCore

/// One session as one HL7 FHIR R4 (4.0.1) Bundle of type `collection` (docs/fhir.md has the map):
/// Patients, RelatedPersons, Practitioners, the practice and payers as Organizations, a Group for a
/// group's roster, a session Encounter with one Encounter per attending member under it, Conditions,
/// Coverage, CarePlans and Goals, measures as Observations, Consents, each attendee's note as a
/// DocumentReference with its Provenance, the group note, the transcript, RiskAssessments and Claims.
///
/// Every resource about one attendee refers to that attendee only: their note, risk assessments and
/// claim hang off their own Encounter. Ids are UUIDs derived from the session and the resource, so
/// exporting the same session twice gives the same ids.
public struct FHIRBundleWriter: Sendable {
    public var mapping: FHIRMapping
    /// SHA-256, for the resources' name-based UUIDs (the core has no hashing of its own).
    public var digest: @Sendable ([UInt8]) -> [UInt8]

    public init(mapping: FHIRMapping, digest: @escaping @Sendable ([UInt8]) -> [UInt8]) {
        self.mapping = mapping
        self.digest = digest
    }

    /// What was left out, for the command to say (a claim without coverage cannot be a FHIR Claim).
    public struct Export: Sendable {
        public var bundle: JSONNode
        public var resourceCounts: [String: Int]
        public var omitted: [String]
    }

    public func write(_ record: FHIRSessionRecord, exported: Timestamp) -> Export {
        var builder = Builder(record: record, mapping: self.mapping, digest: self.digest)
        builder.build()
        let entries: [JSONNode] = builder.entries.map { entry in
            .object([("fullUrl", .string(entry.fullUrl)), ("resource", entry.resource)])
        }
        let bundle: JSONNode = .object([
            ("resourceType", .string("Bundle")),
            ("id", .string(builder.uuid("bundle"))),
            ("meta", .object([("lastUpdated", .string(exported.description))])),
            (
                "identifier",
                .object([
                    ("system", .string(self.mapping.identifiers.session)),
                    ("value", .string(record.session.id.rawValue)),
                ])
            ),
            ("type", .string("collection")),
            ("timestamp", .string(exported.description)),
            ("entry", .array(entries)),
        ])
        let counts = Dictionary(grouping: builder.entries, by: \.type).mapValues(\.count)
        return Export(bundle: bundle, resourceCounts: counts, omitted: builder.omitted)
    }
}

// MARK: - Pushing one note

extension FHIRBundleWriter {
    /// What a push sends to the EHR for one attendee's note: one transaction Bundle, so that the note, its
    /// Provenance and the AI Device succeed or fail together (as the AI Transparency guide recommends).
    /// - the Device: created unless one with its identifier exists (`ifNoneExist`);
    /// - the DocumentReference: a conditional update on the note's identifier, so an amended note replaces
    ///   the signed one and a retry changes nothing;
    /// - the Provenance of this state of the note, by an id of its own (`PUT Provenance/id`): sent again,
    ///   it changes nothing.
    /// People and Encounters are conditional references on their identifiers (`Patient?identifier=…`),
    /// which the EHR resolves to the records it holds.
    public struct Push: Sendable {
        public var transaction: JSONNode
    }

    public func push(_ record: FHIRSessionRecord, attendee: PersonID, exported: Timestamp) -> Push? {
        var builder = Builder(record: record, mapping: self.mapping, digest: self.digest)
        builder.build()
        let noteURL = builder.url(Builder.note(attendee))
        guard let note = builder.entries.first(where: { $0.fullUrl == noteURL }) else { return nil }
        let provenance = builder.entries.first { $0.fullUrl == builder.url("Provenance/" + Builder.note(attendee)) }
        let device = builder.entries.first { $0.type == "Device" }
        // Each entry's conditional reference: its type and its most useful identifier (an NPI when there is one).
        var conditional: [String: String] = [:]
        for entry in builder.entries {
            guard ["Patient", "Practitioner", "Encounter", "Organization", "Group"].contains(entry.type),
                let identifiers = entry.resource["identifier"]?.array, let first = identifiers.first
            else { continue }
            let chosen = identifiers.first { $0["system"]?.string == Builder.npiSystem } ?? first
            guard let system = chosen["system"]?.string, let value = chosen["value"]?.string else { continue }
            conditional[entry.fullUrl] = "\(entry.type)?identifier=\(system)|\(value)"
        }
        let kept: Set<String> = Set([noteURL] + (device.map { [$0.fullUrl] } ?? []))
        func rewrite(_ node: JSONNode) -> JSONNode? {
            switch node.value {
            case .object(let members):
                if let target = node["reference"]?.string {
                    if kept.contains(target) { return node }
                    return conditional[target].map { .object([("reference", .string($0))]) }
                }
                return JSONNode(
                    .object(members.compactMap { member in rewrite(member.node).map { JSONMember(member.key, $0) } }),
                    line: node.line)
            case .array(let elements):
                let kept = elements.compactMap(rewrite)
                return kept.isEmpty ? nil : JSONNode(.array(kept), line: node.line)
            default: return node
            }
        }
        func without(_ resource: JSONNode, _ keys: Set<String>) -> JSONNode {
            guard case .object(let members) = (rewrite(resource) ?? resource).value else { return resource }
            return JSONNode(.object(members.filter { !keys.contains($0.key) }))
        }
        func request(_ method: String, _ url: String, ifNoneExist: String? = nil) -> JSONNode {
            .object([("method", .string(method)), ("url", .string(url)), ("ifNoneExist", .string(ifNoneExist))])
        }
        var entries: [JSONNode] = []
        if let device, let identifier = device.resource["identifier"]?.array?.first,
            let system = identifier["system"]?.string, let value = identifier["value"]?.string
        {
            entries.append(
                .object([
                    ("fullUrl", .string(device.fullUrl)), ("resource", without(device.resource, ["id"])),
                    ("request", request("POST", "Device", ifNoneExist: "identifier=\(system)|\(value)")),
                ]))
        }
        let identifier = note.resource["identifier"]?.array?.first
        let search = "identifier=\(identifier?["system"]?.string ?? "")|\(identifier?["value"]?.string ?? "")"
        entries.append(
            .object([
                ("fullUrl", .string(noteURL)), ("resource", without(note.resource, ["id"])),
                ("request", request("PUT", "DocumentReference?" + search)),
            ]))
        if let provenance {
            // One Provenance per state of the note: its id names the note and the time it records.
            let recorded = provenance.resource["recorded"]?.string ?? ""
            let id = builder.uuid("Provenance/" + Builder.note(attendee) + "@" + recorded)
            guard case .object(var members) = without(provenance.resource, ["id"]).value else { return nil }
            members.insert(JSONMember("id", .string(id)), at: 1)
            entries.append(
                .object([
                    ("fullUrl", .string("urn:uuid:" + id)), ("resource", JSONNode(.object(members))),
                    ("request", request("PUT", "Provenance/" + id)),
                ]))
        }
        return Push(
            transaction: .object([
                ("resourceType", .string("Bundle")), ("type", .string("transaction")),
                ("timestamp", .string(exported.description)), ("entry", .array(entries)),
            ]))
    }
}

// MARK: - Building

private struct Builder {
    struct Entry {
        var type: String
        var fullUrl: String
        var resource: JSONNode
    }

    let record: FHIRSessionRecord
    let mapping: FHIRMapping
    let digest: @Sendable ([UInt8]) -> [UInt8]
    var entries: [Entry] = []
    var omitted: [String] = []
    var session: Session { self.record.session }

    init(record: FHIRSessionRecord, mapping: FHIRMapping, digest: @escaping @Sendable ([UInt8]) -> [UInt8]) {
        self.record = record
        self.mapping = mapping
        self.digest = digest
    }

    /// A version 8 (name-based, SHA-256) UUID for `key` within this session (RFC 9562, appendix B.2).
    func uuid(_ key: String) -> String {
        var bytes = Array(
            self.digest(Array("ensemble-fhir\u{0}\(self.session.id.rawValue)\u{0}\(key)".utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x80
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { byte -> String in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }

    func url(_ key: String) -> String { "urn:uuid:" + self.uuid(key) }

    func reference(_ key: String) -> JSONNode { .object([("reference", .string(self.url(key)))]) }

    mutating func add(_ type: String, _ key: String, _ members: [(String, JSONNode?)]) {
        let resource: JSONNode = .object([("resourceType", .string(type)), ("id", .string(self.uuid(key)))] + members)
        self.entries.append(Entry(type: type, fullUrl: self.url(key), resource: resource))
    }

    // MARK: Keys

    static func patient(_ id: PersonID) -> String { "Patient/\(id.rawValue)" }
    static func related(_ id: PersonID) -> String { "RelatedPerson/\(id.rawValue)" }
    static func practitioner(_ id: PersonID) -> String { "Practitioner/\(id.rawValue)" }
    static func user(_ id: String) -> String { "Practitioner/user:\(id)" }
    static func encounter(_ id: PersonID) -> String { "Encounter/\(id.rawValue)" }
    static let sessionEncounter = "Encounter/session"
    static let group = "Group/roster"
    static let organization = "Organization/practice"
    static let device = "Device/ensemble"
    static let transcript = "DocumentReference/transcript"
    static let groupNote = "DocumentReference/group-note"
    static func note(_ id: PersonID) -> String { "DocumentReference/note:\(id.rawValue)" }
    static func coverage(_ id: PersonID) -> String { "Coverage/\(id.rawValue)" }
    static func payer(_ id: String) -> String { "Organization/payer:\(id)" }

    // MARK: Who is who

    /// Group kinds have a roster Group as the session's subject; the others the identified patient.
    var isGroupSession: Bool { self.session.kind == .group || self.session.kind == .multiFamilyGroup }

    var identifiedPatient: Attendee? {
        self.session.attendees.first { $0.role == .identifiedPatient } ?? self.session.attendees.first
    }

    /// The session Encounter's subject: the roster Group, or the identified patient.
    var sessionSubject: String {
        if self.isGroupSession { return Self.group }
        return self.identifiedPatient.map { Self.patient($0.id) } ?? Self.group
    }

    /// The subject of what belongs to the whole session (the group note, the transcript): the roster
    /// Group; none in a family or couples session, whose session notes name the whole family and so
    /// belong in no one member's chart. They reach the session through `context.encounter`.
    var sessionDocumentSubject: JSONNode? { self.isGroupSession ? self.reference(Self.group) : nil }

    /// Where an attendee's note, risk and claim hang: their own Encounter, or the session's when the
    /// session is theirs (the identified patient of a family, couples or individual session).
    func encounterKey(_ id: PersonID) -> String {
        if !self.isGroupSession, self.identifiedPatient?.id == id { return Self.sessionEncounter }
        return Self.encounter(id)
    }

    func hasOwnEncounter(_ attendee: Attendee) -> Bool {
        attendee.present && self.isClient(attendee) && self.encounterKey(attendee.id) != Self.sessionEncounter
    }

    /// Whether the attendee has a chart of their own (a Patient): every group member and identified
    /// patient, and a family member or partner the EHR sent chart context for (diagnoses, coverage, a
    /// treatment plan or measures). Anyone else is a RelatedPerson of their identified patient only, and
    /// their note stays in Ensemble (a RelatedPerson cannot be a document's subject in R4).
    func isClient(_ attendee: Attendee) -> Bool {
        if attendee.role == .member || attendee.role == .identifiedPatient { return true }
        if attendee.coverage != nil || !attendee.diagnoses.isEmpty || attendee.treatmentPlan != nil
            || !attendee.measures.isEmpty
        {
            return true
        }
        // A RelatedPerson needs a patient: someone with no identified patient on the roster is a client.
        return self.familyPatient(attendee) == nil
    }

    /// The identified patient a family member or partner is related to, when they are on the roster and
    /// have a chart.
    func familyPatient(_ attendee: Attendee) -> PersonID? {
        let family = self.session.family(of: attendee)
        guard family != attendee.id, let patient = self.session.attendee(family),
            patient.role == .member || patient.role == .identifiedPatient
        else { return nil }
        return family
    }

    var clients: [Attendee] { self.session.attendees.filter(self.isClient) }

    func isPart2(_ id: PersonID) -> Bool { self.session.attendee(id)?.consent?.part2 ?? false }

    /// Part 2 labels for resources about this attendee.
    func security(_ id: PersonID, ai: Bool = false, note: Bool = false) -> JSONNode? {
        var labels: [JSONNode] = []
        if ai { labels.append(self.mapping.aiLabel.json) }
        if note { labels += self.mapping.noteLabels.map(\.json) }
        if self.isPart2(id) { labels += self.mapping.part2Labels.map(\.json) }
        return labels.isEmpty ? nil : .object([("security", .array(Self.unique(labels)))])
    }

    /// Labels once each (a confidentiality code may come from two settings).
    static func unique(_ labels: [JSONNode]) -> [JSONNode] {
        var seen: Set<String> = []
        return labels.filter { seen.insert(JSONWriter.write($0, pretty: false)).inserted }
    }

    /// Session-wide resources carry Part 2 labels when anyone in the session is under Part 2; the
    /// session's documents (the group note, the transcript) also the labels set for them.
    func sessionSecurity(ai: Bool = false, document: Bool = false) -> JSONNode? {
        var labels: [JSONNode] = []
        if ai { labels.append(self.mapping.aiLabel.json) }
        if document { labels += self.mapping.sessionDocumentLabels.map(\.json) }
        if self.session.attendees.contains(where: { $0.consent?.part2 ?? false }) {
            labels += self.mapping.part2Labels.map(\.json)
        }
        return labels.isEmpty ? nil : .object([("security", .array(Self.unique(labels)))])
    }

    // MARK: The bundle

    mutating func build() {
        self.addOrganization()
        for clinician in self.session.clinicians { self.addPractitioner(clinician) }
        for attendee in self.session.attendees { self.addPerson(attendee) }
        self.addGroup()
        self.addSessionEncounter()
        for attendee in self.session.attendees where self.hasOwnEncounter(attendee) {
            self.addMemberEncounter(attendee)
        }
        for attendee in self.clients {
            self.addConditions(attendee)
            self.addCoverage(attendee)
            self.addPlan(attendee)
            self.addMeasures(attendee)
            self.addConsents(attendee)
        }
        self.addDevice()
        if !self.record.transcript.isEmpty { self.addTranscript() }
        for note in self.record.notes {
            guard let attendee = self.session.attendee(note.attendee) else { continue }
            if self.isClient(attendee) {
                self.addNote(note)
            } else {
                self.omitted.append(
                    "the note of \(attendee.id): a family member without a chart of their own (a RelatedPerson); "
                        + "it stays in Ensemble")
            }
        }
        if let sections = self.record.groupNote { self.addGroupNote(sections) }
        for (offset, flag) in self.record.flags.enumerated() {
            guard let attendee = self.session.attendee(flag.attendee) else { continue }
            if self.isClient(attendee) {
                self.addRisk(flag, offset)
            } else {
                self.omitted.append(
                    "a \(flag.category) flag about \(attendee.id), who has no chart of their own; it stays in "
                        + "Ensemble's risk queue")
            }
        }
        for claim in self.record.claims where self.session.attendee(claim.attendee) != nil { self.addClaim(claim) }
    }

    // MARK: People and organisations

    static func name(_ text: String) -> JSONNode {
        let parts = text.split(separator: " ").map(String.init)
        var members: [(String, JSONNode?)] = [("text", .string(text))]
        if parts.count > 1 {
            members.append(("family", .string(parts.last!)))
            members.append(("given", .array(parts.dropLast().map { .string($0) })))
        } else if let only = parts.first {
            members.append(("given", .array([.string(only)])))
        }
        return .array([.object(members)])
    }

    static func address(_ address: Address?) -> JSONNode? {
        guard let address else { return nil }
        let lines: [JSONNode] = [address.line1, address.line2].compactMap { $0 }.map { .string($0) }
        return .array([
            .object([
                ("line", lines.isEmpty ? nil : .array(lines)), ("city", .string(address.city)),
                ("state", .string(address.state)), ("postalCode", .string(address.postalCode)),
                ("country", .string("US")),
            ])
        ])
    }

    static func identifier(_ system: String, _ value: String?) -> JSONNode? {
        guard let value, !value.isEmpty else { return nil }
        return .array([.object([("system", .string(system)), ("value", .string(value))])])
    }

    static let npiSystem = "http://hl7.org/fhir/sid/us-npi"
    static let taxonomySystem = "http://nucc.org/provider-taxonomy"
    static let placeOfServiceSystem =
        "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
    static let taxIDSystem = "urn:oid:2.16.840.1.113883.4.4"

    mutating func addOrganization() {
        guard let practice = self.session.practice else { return }
        var identifiers: [JSONNode] = []
        if let npi = practice.npi {
            identifiers.append(.object([("system", .string(Self.npiSystem)), ("value", .string(npi))]))
        }
        if let tin = practice.taxId {
            identifiers.append(.object([("system", .string(Self.taxIDSystem)), ("value", .string(tin))]))
        }
        self.add(
            "Organization", Self.organization,
            [
                ("identifier", identifiers.isEmpty ? nil : .array(identifiers)), ("active", .bool(true)),
                (
                    "type",
                    practice.taxonomy.map { code in
                        .array([
                            FHIRCoding(system: Self.taxonomySystem, code: code).concept
                        ])
                    }
                ),
                ("name", .string(practice.name)), ("address", Self.address(practice.address)),
            ])
    }

    mutating func addPractitioner(_ clinician: Clinician) {
        var identifiers: [JSONNode] = [
            .object([
                ("system", .string(self.mapping.identifiers.clinician)), ("value", .string(clinician.id.rawValue)),
            ])
        ]
        if let npi = clinician.npi {
            identifiers.append(.object([("system", .string(Self.npiSystem)), ("value", .string(npi))]))
        }
        var qualifications: [JSONNode] = []
        if let credentials = clinician.credentials {
            qualifications.append(.object([("code", .object([("text", .string(credentials))]))]))
        }
        if let taxonomy = clinician.taxonomy {
            qualifications.append(
                .object([
                    (
                        "code",
                        FHIRCoding(system: Self.taxonomySystem, code: taxonomy).concept
                    )
                ]))
        }
        let qualification: JSONNode? = qualifications.isEmpty ? nil : .array(qualifications)
        self.add(
            "Practitioner", Self.practitioner(clinician.id),
            [
                ("identifier", .array(identifiers)), ("active", .bool(true)), ("name", Self.name(clinician.name)),
                ("qualification", qualification),
            ])
    }

    /// A signer who is not on the session's roster (a supervisor co-signing): a Practitioner by user id.
    mutating func signerKey(_ signer: FHIRSigner) -> String {
        if let clinician = signer.clinician, self.session.clinician(clinician) != nil {
            return Self.practitioner(clinician)
        }
        let key = Self.user(signer.userID)
        if !self.entries.contains(where: { $0.fullUrl == self.url(key) }) {
            self.add(
                "Practitioner", key,
                [
                    (
                        "identifier",
                        Self.identifier(self.mapping.identifiers.clinician, signer.clinician?.rawValue ?? signer.userID)
                    ),
                    ("name", Self.name(signer.name)),
                ])
        }
        return key
    }

    static func gender(_ sex: AdministrativeSex?) -> JSONNode? {
        switch sex {
        case .female: .string("female")
        case .male: .string("male")
        case .unknown: .string("unknown")
        case nil: nil
        }
    }

    /// What session.json says about an attendee that has no element in R4: their place in the roster,
    /// role, presence, minutes, note format and interactive complexity.
    func rosterExtensions(_ attendee: Attendee) -> [JSONNode] {
        let position = self.session.attendees.firstIndex { $0.id == attendee.id } ?? 0
        return [
            .object([("url", .string(self.extensionURL("roster-position"))), ("valueInteger", .number(position))]),
            self.extensionCode("attendee-role", attendee.role.rawValue),
            attendee.present
                ? nil : .object([("url", .string(self.extensionURL("absent"))), ("valueBoolean", .bool(true))]),
            attendee.minutesAttended.map {
                .object([("url", .string(self.extensionURL("minutes-attended"))), ("valueInteger", .number($0))])
            },
            self.extensionCode("note-format", attendee.noteFormat?.rawValue),
            self.extensionCode("interactive-complexity", attendee.interactiveComplexity?.rawValue),
        ].compactMap { $0 }
    }

    func personExtensions(_ attendee: Attendee) -> [JSONNode] {
        [
            attendee.pronouns.map {
                .object([("url", .string(self.extensionURL("pronouns"))), ("valueString", .string($0))])
            },
            attendee.previousNoteSummary.map {
                .object([("url", .string(self.extensionURL("previous-note-summary"))), ("valueString", .string($0))])
            },
        ].compactMap { $0 }
    }

    mutating func addPerson(_ attendee: Attendee) {
        if self.isClient(attendee) { self.addPatient(attendee) }
        self.addRelatedPerson(attendee)
    }

    mutating func addPatient(_ attendee: Attendee) {
        let nicknames: [JSONNode] = attendee.aliases.map {
            .object([("use", .string("nickname")), ("text", .string($0))])
        }
        let extensions = self.personExtensions(attendee)
        self.add(
            "Patient", Self.patient(attendee.id),
            [
                ("meta", self.security(attendee.id)), ("extension", extensions.isEmpty ? nil : .array(extensions)),
                ("identifier", Self.identifier(self.mapping.identifiers.client, attendee.id.rawValue)),
                ("active", .bool(true)), ("name", .array((Self.name(attendee.name).array ?? []) + nicknames)),
                ("gender", Self.gender(attendee.sex)),
                ("birthDate", attendee.dateOfBirth.map { .string($0.description) }),
                ("address", Self.address(attendee.address)),
            ])
    }

    /// A family member or partner as a RelatedPerson of their identified patient: how they take part in
    /// the session's Encounter (R4 Encounter participants cannot be Patients). One without a chart of
    /// their own is only this, and carries the roster's extensions.
    mutating func addRelatedPerson(_ attendee: Attendee) {
        guard attendee.role == .familyMember || attendee.role == .partner,
            let family = self.familyPatient(attendee)
        else { return }
        let relationship: JSONNode? = attendee.relationship.map { .array([.object([("text", .string($0))])]) }
        let client = self.isClient(attendee)
        // R4 Consent is a Patient's; the consent of someone without a chart travels with their RelatedPerson.
        let consent: [JSONNode] =
            (client ? nil : attendee.consent).map { consent in
                [
                    .object([
                        ("url", .string(self.extensionURL("consent-ai-drafting"))),
                        ("valueBoolean", .bool(consent.aiDrafting)),
                    ]),
                    .object([
                        ("url", .string(self.extensionURL("consent-part2"))), ("valueBoolean", .bool(consent.part2)),
                    ]),
                ]
                    + (consent.paymentDisclosure.map { disclosure in
                        [
                            .object([
                                ("url", .string(self.extensionURL("consent-payment-disclosure"))),
                                ("valueBoolean", .bool(disclosure)),
                            ])
                        ]
                    } ?? [])
            } ?? []
        let extensions = client ? [] : self.rosterExtensions(attendee) + self.personExtensions(attendee) + consent
        let nicknames: [JSONNode] =
            client ? [] : attendee.aliases.map { .object([("use", .string("nickname")), ("text", .string($0))]) }
        self.add(
            "RelatedPerson", Self.related(attendee.id),
            [
                ("meta", self.security(attendee.id)), ("extension", extensions.isEmpty ? nil : .array(extensions)),
                ("identifier", Self.identifier(self.mapping.identifiers.client, attendee.id.rawValue)),
                ("active", .bool(true)), ("patient", self.reference(Self.patient(family))),
                ("relationship", relationship),
                ("name", .array((Self.name(attendee.name).array ?? []) + nicknames)),
                ("gender", Self.gender(attendee.sex)),
                ("birthDate", attendee.dateOfBirth.map { .string($0.description) }),
                ("address", client ? nil : Self.address(attendee.address)),
            ])
    }

    func extensionURL(_ name: String) -> String { self.mapping.extensionBase + "/" + name }

    func extensionCode(_ name: String, _ code: String?) -> JSONNode? {
        code.map { .object([("url", .string(self.extensionURL(name))), ("valueCode", .string($0))]) }
    }

    /// The roster of clients, for every kind of session: each client's Patient, with their place, role,
    /// presence, minutes attended, note format and interactive complexity as extensions (absence from one
    /// session is not `inactive`, which means no longer in the group). Family members without a chart are
    /// RelatedPersons, with the same extensions: R4 Groups cannot hold them.
    mutating func addGroup() {
        let members: [JSONNode] = self.clients.map { attendee in
            .object([
                ("extension", .array(self.rosterExtensions(attendee))),
                ("entity", self.reference(Self.patient(attendee.id))), ("inactive", .bool(false)),
            ])
        }
        self.add(
            "Group", Self.group,
            [
                ("meta", self.sessionSecurity()),
                ("identifier", Self.identifier(self.mapping.identifiers.session, self.session.id.rawValue)),
                ("active", .bool(true)), ("type", .string("person")), ("actual", .bool(true)),
                ("name", .string(self.session.title ?? "\(self.session.kind.rawValue) session roster")),
                ("quantity", .number(members.count)), ("member", .array(members)),
            ])
    }

    // MARK: Encounters

    var encounterType: JSONNode {
        let text: String =
            switch self.session.kind {
            case .group: "Group psychotherapy session"
            case .family: "Family psychotherapy session"
            case .couples: "Couples psychotherapy session"
            case .multiFamilyGroup: "Multiple-family group psychotherapy session"
            case .individual: "Individual psychotherapy session"
            }
        return .array([
            .object([
                (
                    "coding",
                    .array([FHIRCoding(system: self.mapping.sessionKindSystem, code: self.session.kind.rawValue).json])
                ),
                ("text", .string(text)),
            ])
        ])
    }

    /// What session.json says about the session that R4's Encounter has no element for.
    var sessionExtensions: [JSONNode] {
        var extensions: [JSONNode?] = [
            self.extensionCode("modality", self.session.modality?.rawValue),
            self.session.placeOfService.map { code in
                .object([
                    ("url", .string(self.extensionURL("place-of-service"))),
                    ("valueCoding", FHIRCoding(system: Self.placeOfServiceSystem, code: code).json),
                ])
            },
            self.extensionCode("note-format", self.session.noteFormat.rawValue),
            self.session.crisis
                ? .object([("url", .string(self.extensionURL("crisis"))), ("valueBoolean", .bool(true))]) : nil,
        ]
        for hint in self.session.speakerHints {
            // People by identifier, not by reference: the session Encounter may be one patient's.
            let people: [JSONNode] = hint.people.map { person in
                let system =
                    self.session.clinician(person) != nil
                    ? self.mapping.identifiers.clinician : self.mapping.identifiers.client
                return .object([
                    ("url", .string("person")),
                    ("valueIdentifier", .object([("system", .string(system)), ("value", .string(person.rawValue))])),
                ])
            }
            extensions.append(
                .object([
                    ("url", .string(self.extensionURL("speaker-hint"))),
                    (
                        "extension",
                        .array([.object([("url", .string("label")), ("valueString", .string(hint.label))])] + people)
                    ),
                ]))
        }
        return extensions.compactMap { $0 }
    }

    var encounterClass: JSONNode {
        (self.mapping.encounterClass[self.session.modality ?? .inPerson] ?? self.mapping.encounterClass[.inPerson]!)
            .json
    }

    func period(_ start: Timestamp, _ end: Timestamp) -> JSONNode {
        .object([("start", .string(start.description)), ("end", .string(end.description))])
    }

    func clinicianParticipants() -> [JSONNode] {
        self.session.clinicians.map { clinician in
            let type = self.mapping.clinicianParticipantType[clinician.role]!
            return .object([
                ("type", .array([type.concept])),
                ("period", self.period(self.session.start, self.session.end)),
                ("individual", self.reference(Self.practitioner(clinician.id))),
            ])
        }
    }

    func diagnoses(_ attendee: Attendee) -> JSONNode? {
        guard !attendee.diagnoses.isEmpty else { return nil }
        return .array(
            attendee.diagnoses.enumerated().map { offset, code in
                .object([
                    ("condition", self.reference("Condition/\(attendee.id.rawValue):\(code)")),
                    ("rank", .number(offset + 1)),
                ])
            })
    }

    mutating func addSessionEncounter() {
        var participants = self.clinicianParticipants()
        do {
            for attendee in self.session.attendees
            where attendee.present
                && self.entries.contains(where: { $0.fullUrl == self.url(Self.related(attendee.id)) })
            {
                participants.append(
                    .object([
                        ("type", .array([self.mapping.familyParticipantType.concept])),
                        ("individual", self.reference(Self.related(attendee.id))),
                    ]))
            }
        }
        let subjectAttendee = self.isGroupSession ? nil : self.identifiedPatient
        self.add(
            "Encounter", Self.sessionEncounter,
            [
                ("meta", subjectAttendee.map { self.security($0.id) } ?? self.sessionSecurity()),
                ("extension", .array(self.sessionExtensions)),
                ("identifier", Self.identifier(self.mapping.identifiers.session, self.session.id.rawValue)),
                ("status", .string("finished")), ("class", self.encounterClass), ("type", self.encounterType),
                ("serviceType", self.session.title.map { .object([("text", .string($0))]) }),
                ("subject", self.reference(self.sessionSubject)),
                ("participant", participants.isEmpty ? nil : .array(participants)),
                ("period", self.period(self.session.start, self.session.end)),
                ("length", self.minutes(self.session.durationMinutes)),
                ("diagnosis", subjectAttendee.flatMap(self.diagnoses)),
                (
                    "serviceProvider",
                    self.session.practice == nil ? nil : self.reference(Self.organization)
                ),
            ])
    }

    func minutes(_ value: Int) -> JSONNode {
        .object([
            ("value", .number(value)), ("unit", .string("min")), ("system", .string("http://unitsofmeasure.org")),
            ("code", .string("min")),
        ])
    }

    mutating func addMemberEncounter(_ attendee: Attendee) {
        let minutes = min(attendee.minutesAttended ?? self.session.durationMinutes, self.session.durationMinutes)
        let end = Timestamp(
            secondsSinceEpoch: self.session.start.secondsSinceEpoch + Double(minutes * 60),
            utcOffsetSeconds: self.session.start.utcOffsetSeconds)
        self.add(
            "Encounter", Self.encounter(attendee.id),
            [
                ("meta", self.security(attendee.id)),
                (
                    "identifier",
                    Self.identifier(
                        self.mapping.identifiers.session, "\(self.session.id.rawValue)/\(attendee.id.rawValue)")
                ),
                ("status", .string("finished")), ("class", self.encounterClass), ("type", self.encounterType),
                ("subject", self.reference(Self.patient(attendee.id))),
                ("participant", .array(self.clinicianParticipants())),
                ("period", self.period(self.session.start, end)), ("length", self.minutes(minutes)),
                ("diagnosis", self.diagnoses(attendee)),
                ("serviceProvider", self.session.practice == nil ? nil : self.reference(Self.organization)),
                // Under the group's session Encounter. In a family or couples session the session Encounter is
                // the identified patient's, so a member's own stands beside it (its identifier links them).
                ("partOf", self.isGroupSession ? self.reference(Self.sessionEncounter) : nil),
            ])
    }

    // MARK: Chart context

    static let icd10 = "http://hl7.org/fhir/sid/icd-10-cm"

    mutating func addConditions(_ attendee: Attendee) {
        for code in attendee.diagnoses {
            self.add(
                "Condition", "Condition/\(attendee.id.rawValue):\(code)",
                [
                    ("meta", self.security(attendee.id)),
                    (
                        "clinicalStatus",
                        FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active")
                            .concept
                    ),
                    (
                        "category",
                        .array([
                            FHIRCoding(
                                system: "http://terminology.hl7.org/CodeSystem/condition-category",
                                code: "encounter-diagnosis", display: "Encounter Diagnosis"
                            ).concept
                        ])
                    ),
                    ("code", FHIRCoding(system: Self.icd10, code: code).concept),
                    ("subject", self.reference(Self.patient(attendee.id))),
                ])
        }
    }

    static let relationshipCodes = [
        "self": "self", "spouse": "spouse", "child": "child", "other": "other",
    ]

    mutating func addCoverage(_ attendee: Attendee) {
        guard let coverage = attendee.coverage, coverage.payerId != nil || coverage.payerName != nil else { return }
        let payerKey = Self.payer(coverage.payerId ?? coverage.payerName!)
        if !self.entries.contains(where: { $0.fullUrl == self.url(payerKey) }) {
            self.add(
                "Organization", payerKey,
                [
                    ("identifier", Self.identifier(self.mapping.identifiers.payer, coverage.payerId)),
                    ("active", .bool(true)),
                    (
                        "type",
                        .array([
                            FHIRCoding(
                                system: "http://terminology.hl7.org/CodeSystem/organization-type", code: "pay",
                                display: "Payer"
                            ).concept
                        ])
                    ),
                    ("name", .string(coverage.payerName ?? coverage.payerId!)),
                ])
        }
        let relationship = coverage.subscriberRelationship ?? "self"
        var subscriber: JSONNode? = nil
        if relationship == "self" {
            subscriber = self.reference(Self.patient(attendee.id))
        } else if let given = coverage.subscriber,
            case let holder = given.clientId.flatMap(self.session.attendee).map({ person in
                Subscriber(
                    clientId: person.id, name: given.name ?? person.name,
                    dateOfBirth: given.dateOfBirth ?? person.dateOfBirth, sex: given.sex ?? person.sex,
                    address: given.address ?? person.address)
            }) ?? given, let name = holder.name
        {
            // The policyholder as a RelatedPerson of this patient, never as another attendee's Patient: the
            // coverage stays in this patient's chart. A policyholder on the roster keeps their client id.
            let key = "RelatedPerson/subscriber:\(attendee.id.rawValue)"
            self.add(
                "RelatedPerson", key,
                [
                    ("meta", self.security(attendee.id)),
                    ("identifier", Self.identifier(self.mapping.identifiers.client, holder.clientId?.rawValue)),
                    ("active", .bool(true)),
                    ("patient", self.reference(Self.patient(attendee.id))),
                    (
                        "relationship",
                        .array([
                            FHIRCoding(
                                system: "http://terminology.hl7.org/CodeSystem/v3-RoleCode", code: "POLHOLD",
                                display: "policy holder"
                            ).concept
                        ])
                    ),
                    ("name", Self.name(name)), ("gender", Self.gender(holder.sex)),
                    ("birthDate", holder.dateOfBirth.map { .string($0.description) }),
                    ("address", Self.address(holder.address)),
                ])
            subscriber = self.reference(key)
        }
        let relationshipCode = Self.relationshipCodes[relationship] ?? "other"
        let order: Int? =
            switch coverage.sequence {
            case "secondary": 2
            case "tertiary": 3
            case nil: nil
            default: 1
            }
        let classes: JSONNode? = coverage.groupNumber.map { group in
            .array([
                .object([
                    (
                        "type",
                        FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/coverage-class", code: "group")
                            .concept
                    ),
                    ("value", .string(group)),
                ])
            ])
        }
        var extensions: [JSONNode] = []
        if let indicator = coverage.claimFilingIndicator {
            extensions.append(
                .object([
                    ("url", .string(self.mapping.extensionBase + "/claim-filing-indicator")),
                    ("valueCode", .string(indicator)),
                ]))
        }
        self.add(
            "Coverage", Self.coverage(attendee.id),
            [
                ("meta", self.security(attendee.id)),
                ("extension", extensions.isEmpty ? nil : .array(extensions)),
                ("status", .string("active")), ("subscriber", subscriber),
                ("subscriberId", .string(coverage.memberId)),
                ("beneficiary", self.reference(Self.patient(attendee.id))),
                (
                    "relationship",
                    .object([
                        (
                            "coding",
                            .array([
                                FHIRCoding(
                                    system: "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                                    code: relationshipCode
                                ).json
                            ])
                        ),
                        ("text", .string(relationship)),
                    ])
                ),
                ("payor", .array([self.reference(payerKey)])), ("class", classes), ("order", order.map { .number($0) }),
            ])
    }

    mutating func addPlan(_ attendee: Attendee) {
        guard let plan = attendee.treatmentPlan else { return }
        var goalReferences: [JSONNode] = []
        for goal in plan.goals {
            let goalKey = "Goal/\(attendee.id.rawValue):\(goal.id)"
            var relationships: [JSONNode] = []
            for objective in goal.objectives {
                let objectiveKey = "Goal/\(attendee.id.rawValue):\(objective.id)"
                self.addGoal(objectiveKey, id: objective.id, text: objective.text, attendee: attendee, milestones: [])
                relationships.append(self.reference(objectiveKey))
            }
            self.addGoal(goalKey, id: goal.id, text: goal.text, attendee: attendee, milestones: relationships)
            goalReferences.append(self.reference(goalKey))
        }
        self.add(
            "CarePlan", "CarePlan/\(attendee.id.rawValue)",
            [
                ("meta", self.security(attendee.id)),
                ("identifier", Self.identifier(self.mapping.identifiers.plan, plan.id)),
                ("status", .string("active")), ("intent", .string("plan")),
                ("title", .string("Treatment plan")),
                ("subject", self.reference(Self.patient(attendee.id))),
                ("goal", goalReferences.isEmpty ? nil : .array(goalReferences)),
            ])
    }

    /// A goal, with each objective linked as a milestone (the R4 `goal-relationship` extension).
    mutating func addGoal(_ key: String, id: String, text: String, attendee: Attendee, milestones: [JSONNode]) {
        let extensions: [JSONNode] = milestones.map { target in
            .object([
                ("url", .string("http://hl7.org/fhir/StructureDefinition/goal-relationship")),
                (
                    "extension",
                    .array([
                        .object([
                            ("url", .string("type")),
                            (
                                "valueCodeableConcept",
                                FHIRCoding(system: "http://hl7.org/fhir/goal-relationship-type", code: "milestone")
                                    .concept
                            ),
                        ]),
                        .object([("url", .string("target")), ("valueReference", target)]),
                    ])
                ),
            ])
        }
        self.add(
            "Goal", key,
            [
                ("meta", self.security(attendee.id)), ("extension", extensions.isEmpty ? nil : .array(extensions)),
                ("identifier", Self.identifier(self.mapping.identifiers.goal, id)),
                ("lifecycleStatus", .string("active")), ("description", .object([("text", .string(text))])),
                ("subject", self.reference(Self.patient(attendee.id))),
            ])
    }

    static let surveyCategory: JSONNode = .array([
        FHIRCoding(
            system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "survey", display: "Survey"
        ).concept
    ])

    mutating func addMeasures(_ attendee: Attendee) {
        for (offset, measure) in attendee.measures.enumerated() {
            let coding = self.mapping.measures[measure.instrument]
            let code: JSONNode = .object([
                ("coding", coding.map { .array([$0.json]) }), ("text", .string(measure.instrument)),
            ])
            func observation(_ key: String, code: JSONNode, value: Double?) -> [(String, JSONNode?)] {
                [
                    ("meta", self.security(attendee.id)), ("status", .string("final")),
                    ("category", Self.surveyCategory), ("code", code),
                    ("subject", self.reference(Self.patient(attendee.id))),
                    ("effectiveDateTime", measure.date.map { .string($0.description) }),
                    (
                        "valueQuantity",
                        value.map { number in
                            .object([
                                ("value", .number(number)), ("system", .string("http://unitsofmeasure.org")),
                                ("code", .string("{score}")),
                            ])
                        }
                    ),
                    ("dataAbsentReason", value == nil ? self.absent : nil),
                ]
            }
            let key = "Observation/\(attendee.id.rawValue):\(offset)"
            self.add("Observation", key, observation(key, code: code, value: measure.score))
            if let item9 = measure.item9 {
                let itemName = "\(measure.instrument) item 9"
                let itemCode: JSONNode = .object([
                    ("coding", self.mapping.measures[itemName].map { .array([$0.json]) }), ("text", .string(itemName)),
                ])
                var members = observation(key + ":item9", code: itemCode, value: Double(item9))
                // An item's answer is a coded choice (LOINC's answer list), not a quantity, when one is set.
                if self.mapping.item9Answers.indices.contains(item9) {
                    let answer = self.mapping.item9Answers[item9]
                    members = members.map { member in
                        member.0 == "valueQuantity"
                            ? (
                                "valueCodeableConcept",
                                .object([("coding", .array([answer.json])), ("text", .string(answer.display))])
                            ) : member
                    }
                }
                self.add("Observation", key + ":item9", members)
            }
        }
    }

    var absent: JSONNode {
        FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/data-absent-reason", code: "unknown").concept
    }

    static let consentCategory: JSONNode = .array([
        FHIRCoding(system: "http://loinc.org", code: "59284-0", display: "Patient Consent").concept
    ])

    static let privacyScope: JSONNode = FHIRCoding(
        system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy",
        display: "Privacy Consent"
    ).concept

    /// One Consent for AI drafting; one for 42 CFR Part 2 when the attendee's records are under it
    /// (permitting or denying disclosure for payment, or without a provision when the EHR did not say).
    mutating func addConsents(_ attendee: Attendee) {
        guard let consent = attendee.consent else { return }
        let patient = self.reference(Self.patient(attendee.id))
        self.add(
            "Consent", "Consent/\(attendee.id.rawValue):ai-drafting",
            [
                ("meta", self.security(attendee.id)), ("status", .string("active")), ("scope", Self.privacyScope),
                ("category", Self.consentCategory), ("patient", patient),
                ("policy", .array([.object([("uri", .string(self.mapping.aiDraftingPolicy))])])),
                (
                    "provision",
                    .object([
                        ("type", .string(consent.aiDrafting ? "permit" : "deny")),
                        (
                            "action",
                            .array([
                                .object([
                                    (
                                        "coding",
                                        .array([
                                            FHIRCoding(
                                                system: "http://terminology.hl7.org/CodeSystem/consentaction",
                                                code: "use"
                                            ).json
                                        ])
                                    ),
                                    ("text", .string("AI-assisted drafting of progress notes")),
                                ])
                            ])
                        ),
                    ])
                ),
            ])
        guard consent.part2 else { return }
        let provision: JSONNode? = consent.paymentDisclosure.map { permitted in
            .object([
                ("type", .string(permitted ? "permit" : "deny")),
                (
                    "action",
                    .array([
                        FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "disclose")
                            .concept
                    ])
                ),
                ("securityLabel", .array(self.mapping.part2Labels.map(\.json))),
                (
                    "purpose",
                    .array([
                        FHIRCoding(
                            system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HPAYMT",
                            display: "healthcare payment"
                        ).json
                    ])
                ),
            ])
        }
        self.add(
            "Consent", "Consent/\(attendee.id.rawValue):part2",
            [
                ("meta", self.security(attendee.id)),
                // Active when the disclosure for payment is recorded either way; proposed when the EHR did not say.
                ("status", .string(consent.paymentDisclosure == nil ? "proposed" : "active")),
                ("scope", Self.privacyScope), ("category", Self.consentCategory), ("patient", patient),
                ("policy", .array([.object([("uri", .string(self.mapping.part2Policy))])])),
                ("provision", provision),
            ])
    }

    // MARK: Documents

    /// The AI as a Device: Ensemble, each agent's configuration version and hash, and the model when one drafted.
    mutating func addDevice() {
        var versions: [JSONNode] = self.record.agents.map { agent in
            .object([
                ("type", .object([("text", .string(agent.agent))])),
                ("value", .string("\(agent.version) sha256:\(agent.sha256)")),
            ])
        }
        if let model = self.record.model {
            versions.append(
                .object([("type", .object([("text", .string("language model"))])), ("value", .string(model))]))
        }
        // One Device per engine and configuration, so that everything one configuration (or one model)
        // drafted can be found by its identifier.
        let manifest = self.record.agents.map { "\($0.agent) \($0.version) \($0.sha256)" }.joined(separator: "\n")
        let digest = self.digest(Array(((self.record.model ?? "deterministic") + "\n" + manifest).utf8))
        let hex = digest.prefix(8).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
        let kind = self.record.model == nil ? "deterministic" : "language-model"
        self.add(
            "Device", Self.device,
            [
                (
                    "identifier",
                    Self.identifier(self.mapping.identifiers.device, "ensemble/\(kind)/\(hex)")
                ),
                ("manufacturer", .string("Ensemble")),
                (
                    "deviceName",
                    .array([.object([("name", .string("Ensemble")), ("type", .string("manufacturer-name"))])])
                ),
                (
                    "type",
                    .object([
                        ("coding", .array([self.mapping.aiDeviceType.json])),
                        (
                            "text",
                            .string(
                                "AI clinical documentation assistant (\(self.record.model ?? "deterministic engine"))")
                        ),
                    ])
                ),
                ("version", versions.isEmpty ? nil : .array(versions)),
            ])
    }

    func attachment(_ contentType: String, _ bytes: [UInt8], title: String, created: String? = nil) -> JSONNode {
        .object([
            (
                "attachment",
                .object([
                    ("contentType", .string(contentType)), ("data", .string(Base64.encode(bytes))),
                    ("size", .number(bytes.count)), ("title", .string(title)), ("creation", .string(created)),
                ])
            )
        ])
    }

    mutating func addTranscript() {
        self.add(
            "DocumentReference", Self.transcript,
            [
                ("meta", self.sessionSecurity(document: true)),
                ("status", .string("current")), ("docStatus", .string("final")),
                (
                    "type",
                    .object([
                        ("coding", .array([self.mapping.transcriptType.json])), ("text", .string("Session transcript")),
                    ])
                ),
                ("subject", self.sessionDocumentSubject),
                ("description", .string("Session transcript as received")),
                (
                    "content",
                    .array(
                        self.record.transcript.map { file in
                            self.attachment(file.contentType, file.bytes, title: file.fileName)
                        })
                ),
                ("context", self.sessionDocumentContext(related: false)),
            ])
    }

    /// A session document's context: the group's session Encounter; in a family or couples session, none
    /// (the session Encounter is the identified patient's, and the document is not theirs alone).
    func sessionDocumentContext(related: Bool) -> JSONNode? {
        guard self.isGroupSession else {
            return .object([("period", self.period(self.session.start, self.session.end))])
        }
        let members: [JSONNode] =
            related
            ? self.session.attendees.filter(self.hasOwnEncounter).map { self.reference(Self.encounter($0.id)) } : []
        return .object([
            ("encounter", .array([self.reference(Self.sessionEncounter)])),
            ("period", self.period(self.session.start, self.session.end)),
            ("related", members.isEmpty ? nil : .array(members)),
        ])
    }

    static func text(_ sections: [NoteSection], addenda: [(author: FHIRSigner, text: String)] = []) -> String {
        var parts = sections.map { section in
            ([section.title + ":"] + section.sentences.map(\.text)).joined(separator: "\n")
        }
        for addendum in addenda {
            parts.append("Addendum (\(addendum.author.name), \(addendum.author.at)):\n\(addendum.text)")
        }
        return parts.joined(separator: "\n\n") + "\n"
    }

    static func sectionsJSON(_ sections: [NoteSection], format: String?) -> [UInt8] {
        let node: JSONNode = .object([
            ("format", format.map { .string($0) }),
            ("evidence", .string("utterance indexes of the session transcript, numbered from 0")),
            ("sections", .array(sections.map(RunReport.section))),
        ])
        return Array(JSONWriter.write(node, pretty: false).utf8)
    }

    mutating func addNote(_ note: FHIRNoteRecord) {
        let id = note.attendee
        var authors: [JSONNode] = []
        if note.aiGenerated { authors.append(self.reference(Self.device)) }
        // A signature counts once the note is signed: a trainee's, waiting for the co-signature, does not yet.
        let signed = note.status != .preliminary
        let signerKey = signed ? note.signer.map { self.signerKey($0) } : nil
        let cosignerKey = signed ? note.cosigner.map { self.signerKey($0) } : nil
        if let signerKey { authors.append(self.reference(signerKey)) }
        let date = (signed ? note.signer?.at : nil) ?? self.record.drafted.description
        // The Provenance records the latest event: the last addendum, the co-signature, or the signature.
        let latest = [note.signer?.at, note.cosigner?.at].compactMap { $0 } + note.addenda.map(\.author.at)
        let recorded = signed ? latest.max() : nil
        let state =
            switch note.status {
            case .preliminary: "draft for clinician review, not signed"
            case .final: "signed"
            case .amended: "signed, with addenda"
            }
        self.add(
            "DocumentReference", Self.note(id),
            [
                ("meta", self.security(id, ai: note.aiGenerated, note: true)),
                (
                    "identifier",
                    Self.identifier(
                        self.mapping.identifiers.session, "\(self.session.id.rawValue)/\(id.rawValue)/note")
                ),
                ("status", .string("current")), ("docStatus", .string(note.status.rawValue)),
                ("type", self.mapping.noteType.concept),
                ("category", .array([self.mapping.noteCategory.concept])),
                ("subject", self.reference(Self.patient(id))), ("date", .string(date)),
                ("author", authors.isEmpty ? nil : .array(authors)),
                ("authenticator", signerKey.map { self.reference($0) }),
                ("description", .string("\(note.format.rawValue) progress note, version \(note.version): \(state)")),
                (
                    "securityLabel",
                    .array(
                        (self.mapping.noteLabels + (self.isPart2(id) ? self.mapping.part2Labels : [])).map {
                            .object([("coding", .array([$0.json]))])
                        })
                ),
                (
                    "content",
                    .array([
                        self.attachment(
                            "text/plain; charset=utf-8", Array(Self.text(note.sections, addenda: note.addenda).utf8),
                            title: "Progress note (\(note.format.rawValue))", created: date),
                        self.attachment(
                            "application/json", Self.sectionsJSON(note.sections, format: note.format.rawValue),
                            title: "Sections with evidence", created: date),
                    ])
                ),
                (
                    "context",
                    .object([
                        ("encounter", .array([self.reference(self.encounterKey(id))])),
                        ("period", self.period(self.session.start, self.session.end)),
                    ])
                ),
            ])
        self.addProvenance(
            for: Self.note(id), attendee: id, ai: note.aiGenerated, signer: signerKey, cosigner: cosignerKey,
            signedAt: recorded, amended: note.status == .amended)
    }

    static func participantType(_ code: String) -> JSONNode {
        FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: code).concept
    }

    /// The AI as author (HL7 AI Transparency: `AIAST` as the reason, the Device as the agent), and the
    /// signing clinician as attester once signed.
    mutating func addProvenance(
        for target: String, attendee: PersonID?, ai: Bool, signer: String?, cosigner: String?, signedAt: String?,
        amended: Bool
    ) {
        var agents: [JSONNode] = []
        if ai {
            agents.append(
                .object([
                    ("type", Self.participantType("author")),
                    (
                        "role",
                        self.mapping.aiAgentRole.map { role in
                            .array([
                                .object([("coding", .array([role.json])), ("text", .string("Artificial Intelligence"))])
                            ])
                        }
                    ),
                    ("who", self.reference(Self.device)),
                ]))
        }
        if let signer {
            // The clinician reviewed the AI's draft (the human in the loop) and signed it.
            agents.append(.object([("type", Self.participantType("verifier")), ("who", self.reference(signer))]))
            agents.append(.object([("type", Self.participantType("attester")), ("who", self.reference(signer))]))
        }
        if let cosigner {
            agents.append(.object([("type", Self.participantType("verifier")), ("who", self.reference(cosigner))]))
        }
        guard !agents.isEmpty else { return }
        let operation = FHIRCoding(
            system: "http://terminology.hl7.org/CodeSystem/v3-DataOperation", code: amended ? "UPDATE" : "CREATE")
        let entity: JSONNode? =
            self.record.transcript.isEmpty
            ? nil : .array([.object([("role", .string("source")), ("what", self.reference(Self.transcript))])])
        self.add(
            "Provenance", "Provenance/" + target,
            [
                ("meta", attendee.map { self.security($0) } ?? self.sessionSecurity()),
                ("target", .array([self.reference(target)])),
                ("occurredDateTime", .string(self.record.drafted.description)),
                ("recorded", .string(signedAt ?? self.record.drafted.description)),
                ("reason", ai ? .array([self.mapping.aiLabel.concept]) : nil),
                ("activity", operation.concept),
                ("agent", .array(agents)), ("entity", entity),
            ])
    }

    mutating func addGroupNote(_ sections: [NoteSection]) {
        let ai = self.record.groupNoteAIGenerated
        self.add(
            "DocumentReference", Self.groupNote,
            [
                ("meta", self.sessionSecurity(ai: ai, document: true)),
                (
                    "identifier",
                    Self.identifier(self.mapping.identifiers.session, "\(self.session.id.rawValue)/group-note")
                ),
                ("status", .string("current")), ("docStatus", .string("preliminary")),
                (
                    "type",
                    .object([("coding", .array([self.mapping.groupNoteType.json])), ("text", .string("Group note"))])
                ),
                ("category", .array([self.mapping.noteCategory.concept])),
                ("subject", self.sessionDocumentSubject),
                ("date", .string(self.record.drafted.description)),
                ("author", ai ? .array([self.reference(Self.device)]) : nil),
                ("description", .string("\(self.session.kind.rawValue) session note, linked to every attendee")),
                (
                    "content",
                    .array([
                        self.attachment(
                            "text/plain; charset=utf-8", Array(Self.text(sections).utf8), title: "Group note"),
                        self.attachment(
                            "application/json", Self.sectionsJSON(sections, format: nil),
                            title: "Sections with evidence"),
                    ])
                ),
                (
                    "context", self.sessionDocumentContext(related: true)
                ),
            ])
        self.addProvenance(
            for: Self.groupNote, attendee: nil, ai: ai, signer: nil, cosigner: nil, signedAt: nil, amended: false)
    }

    // MARK: Risk

    static let riskProbability = [
        "none": "negligible", "monitor": "low", "elevated": "moderate", "urgent": "high",
    ]

    mutating func addRisk(_ flag: FHIRRiskRecord, _ offset: Int) {
        let id = flag.attendee
        let evidence = flag.evidence.map(String.init).joined(separator: ", ")
        var notes: [JSONNode] = [
            .object([
                (
                    "text",
                    .string(
                        "Level \(flag.level), routed to \(flag.route). Evidence: utterances \(evidence) of the session "
                            + "transcript, cited in the attendee's progress note.")
                )
            ])
        ]
        if let acknowledged = flag.acknowledged {
            notes.append(
                .object([
                    ("authorString", .string(acknowledged.name)), ("time", .string(acknowledged.at)),
                    ("text", .string("Acknowledged by the reviewing supervisor.")),
                ]))
        }
        let probability = Self.riskProbability[flag.level].map {
            FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/risk-probability", code: $0)
        }
        let hasNote = self.record.notes.contains { $0.attendee == id }
        self.add(
            "RiskAssessment", "RiskAssessment/\(id.rawValue):\(offset)",
            [
                ("meta", self.security(id, ai: true)),
                ("status", .string(flag.acknowledged == nil ? "preliminary" : "final")),
                (
                    "method",
                    .object([("text", .string("Ensemble RiskScreener: transcript screen for clinician review"))])
                ),
                (
                    "code",
                    .object([
                        (
                            "coding",
                            .array([FHIRCoding(system: self.mapping.riskCategorySystem, code: flag.category).json])
                        ),
                        ("text", .string(flag.category)),
                    ])
                ),
                ("subject", self.reference(Self.patient(id))),
                ("encounter", self.reference(self.encounterKey(id))),
                ("occurrenceDateTime", .string(self.session.end.description)),
                ("performer", self.reference(Self.device)),
                ("basis", hasNote ? .array([self.reference(Self.note(id))]) : nil),
                (
                    "prediction",
                    .array([
                        .object([
                            (
                                "outcome",
                                .object([
                                    (
                                        "coding",
                                        .array([
                                            FHIRCoding(system: self.mapping.riskCategorySystem, code: flag.category)
                                                .json
                                        ])
                                    ),
                                    ("text", .string(flag.category)),
                                ])
                            ),
                            (
                                "qualitativeRisk",
                                .object([
                                    ("coding", probability.map { .array([$0.json]) }), ("text", .string(flag.level)),
                                ])
                            ),
                        ])
                    ])
                ),
                ("note", .array(notes)),
            ])
    }

    // MARK: Claims

    /// `notBillable` claims are left out.
    static let claimStatus = ["ready": "active", "pendingSignature": "draft", "blocked": "draft"]

    mutating func addClaim(_ claim: FHIRClaimRecord) {
        let id = claim.attendee
        // As for the 837P: a service that cannot be billed is dropped, not sent as a draft claim.
        if claim.status == "notBillable" {
            self.omitted.append("claim \(claim.id): not billable (see ensemble claims for the reason)")
            return
        }
        // As for the 837P: a Part 2 patient whose consent denies disclosure for payment has no claim to send.
        // (Without a recorded answer billing blocks the claim until one is; it goes, labelled Part 2, as a draft.)
        if self.isPart2(id), self.session.attendee(id)?.consent?.paymentDisclosure == false {
            self.omitted.append(
                "claim \(claim.id): the patient's records are under 42 CFR Part 2 and their consent denies "
                    + "disclosing them for payment")
            return
        }
        guard self.entries.contains(where: { $0.fullUrl == self.url(Self.coverage(id)) }) else {
            self.omitted.append(
                "claim \(claim.id): no coverage on the chart, so no FHIR Claim (Claim.insurance is required)")
            return
        }
        let provider =
            self.session.practice != nil
            ? Self.organization
            : claim.renderingProvider.map { Self.practitioner($0) }
                ?? self.session.clinicians.first.map { Self.practitioner($0.id) }
        guard let provider else {
            self.omitted.append("claim \(claim.id): no practice or clinician to name as the provider")
            return
        }
        let careTeam: JSONNode? = claim.renderingProvider.flatMap { rendering in
            self.session.clinician(rendering) == nil
                ? nil
                : .array([
                    .object([
                        ("sequence", .number(1)), ("provider", self.reference(Self.practitioner(rendering))),
                        (
                            "role",
                            FHIRCoding(
                                system: "http://terminology.hl7.org/CodeSystem/claimcareteamrole", code: "primary"
                            ).concept
                        ),
                    ])
                ])
        }
        let diagnoses: [JSONNode] = claim.diagnoses.enumerated().map { offset, code in
            .object([
                ("sequence", .number(offset + 1)),
                (
                    "diagnosisCodeableConcept",
                    FHIRCoding(system: Self.icd10, code: code).concept
                ),
            ])
        }
        let pos: JSONNode? = claim.placeOfService.map { code in
            FHIRCoding(system: Self.placeOfServiceSystem, code: code).concept
        }
        let items: [JSONNode] = claim.lines.enumerated().map { offset, line in
            let modifiers: [JSONNode] = line.modifiers.map { modifier in
                // CPT modifiers are two digits (95, 59); HCPCS Level II ones are letters (HQ, GT).
                FHIRCoding(
                    system: modifier.allSatisfy(\.isNumber)
                        ? "http://www.ama-assn.org/go/cpt" : "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                    code: modifier
                ).concept
            }
            let pointers: [JSONNode] = line.diagnosisPointers.map { .number($0) }
            return .object([
                ("sequence", .number(offset + 1)),
                ("careTeamSequence", careTeam == nil ? nil : .array([.number(1)])),
                ("diagnosisSequence", pointers.isEmpty ? nil : .array(pointers)),
                (
                    "productOrService",
                    FHIRCoding(system: "http://www.ama-assn.org/go/cpt", code: line.cpt).concept
                ),
                ("modifier", modifiers.isEmpty ? nil : .array(modifiers)),
                ("servicedDate", .string(claim.dateOfService.description)),
                ("locationCodeableConcept", pos),
                ("quantity", .object([("value", .number(line.units))])),
                ("net", self.money(line.chargeInCents)),
                ("encounter", .array([self.reference(self.encounterKey(id))])),
            ])
        }
        self.add(
            "Claim", "Claim/\(claim.id)",
            [
                ("meta", self.security(id)),
                (
                    "extension",
                    .array([
                        .object([
                            ("url", .string(self.mapping.extensionBase + "/claim-status")),
                            ("valueCode", .string(claim.status)),
                        ])
                    ])
                ),
                ("identifier", Self.identifier(self.mapping.identifiers.claim, claim.id)),
                ("status", .string(Self.claimStatus[claim.status] ?? "draft")),
                (
                    "type",
                    FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/claim-type", code: "professional").concept
                ),
                ("use", .string("claim")), ("patient", self.reference(Self.patient(id))),
                (
                    "billablePeriod",
                    .object([
                        ("start", .string(claim.dateOfService.description)),
                        ("end", .string(claim.dateOfService.description)),
                    ])
                ),
                ("created", .string(self.record.drafted.description)),
                ("provider", self.reference(provider)),
                (
                    "priority",
                    FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/processpriority", code: "normal").concept
                ),
                ("careTeam", careTeam),
                ("diagnosis", diagnoses.isEmpty ? nil : .array(diagnoses)),
                (
                    "insurance",
                    .array([
                        .object([
                            ("sequence", .number(1)), ("focal", .bool(true)),
                            ("coverage", self.reference(Self.coverage(id))),
                        ])
                    ])
                ),
                ("item", items.isEmpty ? nil : .array(items)),
                ("total", self.money(claim.totalChargeInCents)),
            ])
    }

    func money(_ cents: Int) -> JSONNode {
        .object([("value", .number(Double(cents) / 100)), ("currency", .string("USD"))])
    }
}
