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
    /// What a push sends to the EHR for one attendee's note: the DocumentReference, then a Provenance
    /// targeting it where the EHR filed it. References are ones an EHR can resolve on its own: people and
    /// Encounters by identifier (`type` and `identifier`), the AI Device contained in each resource.
    public struct Push: Sendable {
        public var document: JSONNode
        /// The note's identifier, for a conditional update (`DocumentReference?identifier=system|value`).
        public var identifierSystem: String
        public var identifierValue: String
        let provenanceTemplate: JSONNode?

        /// The Provenance, targeting the DocumentReference at `target` (`DocumentReference/123`); nil when
        /// the note has no Provenance (neither AI-drafted nor signed).
        public func provenance(target: String) -> JSONNode? {
            guard var provenance = self.provenanceTemplate, case .object(var members) = provenance.value else {
                return nil
            }
            members = members.map { member in
                member.key == "target"
                    ? JSONMember("target", .array([.object([("reference", .string(target))])])) : member
            }
            provenance.value = .object(members)
            return provenance
        }
    }

    public func push(_ record: FHIRSessionRecord, attendee: PersonID, exported: Timestamp) -> Push? {
        var builder = Builder(record: record, mapping: self.mapping, digest: self.digest)
        builder.build()
        let noteURL = builder.url(Builder.note(attendee))
        guard let note = builder.entries.first(where: { $0.fullUrl == noteURL }) else { return nil }
        let provenance = builder.entries.first { $0.fullUrl == builder.url("Provenance/" + Builder.note(attendee)) }
        let device = builder.entries.first { $0.type == "Device" }
        // Each entry's logical reference: its type and its most useful identifier (an NPI when there is one).
        var logical: [String: JSONNode] = [:]
        for entry in builder.entries {
            guard ["Patient", "Practitioner", "Encounter", "Organization", "Group"].contains(entry.type),
                let identifiers = entry.resource["identifier"]?.array, let first = identifiers.first
            else { continue }
            let npi = identifiers.first { $0["system"]?.string == Builder.npiSystem }
            logical[entry.fullUrl] = .object([("type", .string(entry.type)), ("identifier", npi ?? first)])
        }
        func rewrite(_ node: JSONNode) -> JSONNode? {
            switch node.value {
            case .object(let members):
                if let target = node["reference"]?.string {
                    if target == noteURL { return node }
                    if let device, target == device.fullUrl { return .object([("reference", .string("#ai"))]) }
                    return logical[target]
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
        func standalone(_ resource: JSONNode) -> JSONNode {
            guard case .object(let members) = (rewrite(resource) ?? resource).value else { return resource }
            var kept = members.filter { $0.key != "id" }
            if let device, case .object(let deviceMembers) = device.resource.value {
                let contained: JSONNode = .object(
                    [("resourceType", .string("Device")), ("id", .string("ai"))]
                        + deviceMembers.filter { $0.key != "resourceType" && $0.key != "id" }.map { ($0.key, $0.node) })
                kept.insert(JSONMember("contained", .array([contained])), at: 1)
            }
            return JSONNode(.object(kept))
        }
        let identifier = note.resource["identifier"]?.array?.first
        return Push(
            document: standalone(note.resource),
            identifierSystem: identifier?["system"]?.string ?? self.mapping.identifiers.session,
            identifierValue: identifier?["value"]?.string ?? "",
            provenanceTemplate: provenance.map { standalone($0.resource) })
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
        attendee.present && self.encounterKey(attendee.id) != Self.sessionEncounter
    }

    func isPart2(_ id: PersonID) -> Bool { self.session.attendee(id)?.consent?.part2 ?? false }

    /// Part 2 labels for resources about this attendee.
    func security(_ id: PersonID, ai: Bool = false) -> JSONNode? {
        var labels: [JSONNode] = []
        if ai { labels.append(self.mapping.aiLabel.json) }
        if self.isPart2(id) { labels += self.mapping.part2Labels.map(\.json) }
        return labels.isEmpty ? nil : .object([("security", .array(labels))])
    }

    /// Session-wide resources carry Part 2 labels when anyone in the session is under Part 2.
    func sessionSecurity(ai: Bool = false) -> JSONNode? {
        var labels: [JSONNode] = []
        if ai { labels.append(self.mapping.aiLabel.json) }
        if self.session.attendees.contains(where: { $0.consent?.part2 ?? false }) {
            labels += self.mapping.part2Labels.map(\.json)
        }
        return labels.isEmpty ? nil : .object([("security", .array(labels))])
    }

    // MARK: The bundle

    mutating func build() {
        self.addOrganization()
        for clinician in self.session.clinicians { self.addPractitioner(clinician) }
        for attendee in self.session.attendees { self.addPatient(attendee) }
        self.addGroup()
        self.addSessionEncounter()
        for attendee in self.session.attendees where self.hasOwnEncounter(attendee) {
            self.addMemberEncounter(attendee)
        }
        for attendee in self.session.attendees {
            self.addConditions(attendee)
            self.addCoverage(attendee)
            self.addPlan(attendee)
            self.addMeasures(attendee)
            self.addConsents(attendee)
        }
        self.addDevice()
        if !self.record.transcript.isEmpty { self.addTranscript() }
        for note in self.record.notes where self.session.attendee(note.attendee) != nil { self.addNote(note) }
        if let sections = self.record.groupNote { self.addGroupNote(sections) }
        for (offset, flag) in self.record.flags.enumerated() where self.session.attendee(flag.attendee) != nil {
            self.addRisk(flag, offset)
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
                            .object([("coding", .array([FHIRCoding(system: Self.taxonomySystem, code: code).json]))])
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
                        .object([("coding", .array([FHIRCoding(system: Self.taxonomySystem, code: taxonomy).json]))])
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

    mutating func addPatient(_ attendee: Attendee) {
        let nicknames: [JSONNode] = attendee.aliases.map {
            .object([("use", .string("nickname")), ("text", .string($0))])
        }
        let extensions: [JSONNode] = [
            attendee.pronouns.map {
                .object([("url", .string(self.extensionURL("pronouns"))), ("valueString", .string($0))])
            },
            attendee.previousNoteSummary.map {
                .object([("url", .string(self.extensionURL("previous-note-summary"))), ("valueString", .string($0))])
            },
        ].compactMap { $0 }
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
        // A family member or partner is also a RelatedPerson of the identified patient: that is how they
        // take part in the identified patient's Encounter (R4 Encounter participants cannot be Patients).
        guard attendee.role == .familyMember || attendee.role == .partner else { return }
        let family = self.session.family(of: attendee)
        guard family != attendee.id, self.session.attendee(family) != nil else { return }
        let relationship: JSONNode? = attendee.relationship.map { .array([.object([("text", .string($0))])]) }
        self.add(
            "RelatedPerson", Self.related(attendee.id),
            [
                ("meta", self.security(attendee.id)),
                ("identifier", Self.identifier(self.mapping.identifiers.client, attendee.id.rawValue)),
                ("active", .bool(true)), ("patient", self.reference(Self.patient(family))),
                ("relationship", relationship), ("name", Self.name(attendee.name)),
                ("gender", Self.gender(attendee.sex)),
                ("birthDate", attendee.dateOfBirth.map { .string($0.description) }),
            ])
    }

    func extensionURL(_ name: String) -> String { self.mapping.extensionBase + "/" + name }

    func extensionCode(_ name: String, _ code: String?) -> JSONNode? {
        code.map { .object([("url", .string(self.extensionURL(name))), ("valueCode", .string($0))]) }
    }

    /// The roster, for every kind of session: each attendee's Patient, absent ones inactive, with their
    /// role in the session, minutes attended, note format and interactive complexity as extensions.
    mutating func addGroup() {
        let members: [JSONNode] = self.session.attendees.map { attendee in
            let extensions: [JSONNode] = [
                self.extensionCode("attendee-role", attendee.role.rawValue),
                attendee.minutesAttended.map {
                    .object([("url", .string(self.extensionURL("minutes-attended"))), ("valueInteger", .number($0))])
                },
                self.extensionCode("note-format", attendee.noteFormat?.rawValue),
                self.extensionCode("interactive-complexity", attendee.interactiveComplexity?.rawValue),
            ].compactMap { $0 }
            return .object([
                ("extension", .array(extensions)), ("entity", self.reference(Self.patient(attendee.id))),
                ("inactive", .bool(!attendee.present)),
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
            let people: [JSONNode] = hint.people.compactMap { person in
                let key =
                    self.session.clinician(person) != nil
                    ? Self.practitioner(person) : self.session.attendee(person) != nil ? Self.patient(person) : nil
                return key.map { .object([("url", .string("person")), ("valueReference", self.reference($0))]) }
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
                ("type", .array([.object([("coding", .array([type.json]))])])),
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
        if !self.isGroupSession {
            for attendee in self.session.attendees
            where attendee.present
                && self.entries.contains(where: { $0.fullUrl == self.url(Self.related(attendee.id)) })
            {
                participants.append(
                    .object([
                        ("type", .array([.object([("coding", .array([self.mapping.familyParticipantType.json]))])])),
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
                ("partOf", self.reference(Self.sessionEncounter)),
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
                        .object([
                            (
                                "coding",
                                .array([
                                    FHIRCoding(
                                        system: "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                        code: "active"
                                    ).json
                                ])
                            )
                        ])
                    ),
                    (
                        "category",
                        .array([
                            .object([
                                (
                                    "coding",
                                    .array([
                                        FHIRCoding(
                                            system: "http://terminology.hl7.org/CodeSystem/condition-category",
                                            code: "encounter-diagnosis", display: "Encounter Diagnosis"
                                        ).json
                                    ])
                                )
                            ])
                        ])
                    ),
                    ("code", .object([("coding", .array([FHIRCoding(system: Self.icd10, code: code).json]))])),
                    ("subject", self.reference(Self.patient(attendee.id))),
                ])
        }
    }

    static let relationshipCodes = [
        "self": "self", "spouse": "spouse", "child": "child", "lifePartner": "common", "other": "other",
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
                            .object([
                                (
                                    "coding",
                                    .array([
                                        FHIRCoding(
                                            system: "http://terminology.hl7.org/CodeSystem/organization-type",
                                            code: "pay", display: "Payer"
                                        ).json
                                    ])
                                )
                            ])
                        ])
                    ),
                    ("name", .string(coverage.payerName ?? coverage.payerId!)),
                ])
        }
        let relationship = coverage.subscriberRelationship ?? "self"
        var subscriber: JSONNode? = nil
        if relationship == "self" {
            subscriber = self.reference(Self.patient(attendee.id))
        } else if let holder = coverage.subscriber?.clientId, self.session.attendee(holder) != nil {
            subscriber = self.reference(Self.patient(holder))
        } else if let holder = coverage.subscriber, let name = holder.name {
            let key = "RelatedPerson/subscriber:\(attendee.id.rawValue)"
            self.add(
                "RelatedPerson", key,
                [
                    ("meta", self.security(attendee.id)), ("active", .bool(true)),
                    ("patient", self.reference(Self.patient(attendee.id))),
                    (
                        "relationship",
                        .array([
                            .object([
                                (
                                    "coding",
                                    .array([
                                        FHIRCoding(
                                            system: "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                            code: "POLHOLD", display: "policy holder"
                                        ).json
                                    ])
                                )
                            ])
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
                        .object([
                            (
                                "coding",
                                .array([
                                    FHIRCoding(
                                        system: "http://terminology.hl7.org/CodeSystem/coverage-class", code: "group"
                                    ).json
                                ])
                            )
                        ])
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
                                .object([
                                    (
                                        "coding",
                                        .array([
                                            FHIRCoding(
                                                system: "http://hl7.org/fhir/goal-relationship-type", code: "milestone"
                                            ).json
                                        ])
                                    )
                                ])
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
        .object([
            (
                "coding",
                .array([
                    FHIRCoding(
                        system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "survey",
                        display: "Survey"
                    ).json
                ])
            )
        ])
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
                self.add(
                    "Observation", key + ":item9", observation(key + ":item9", code: itemCode, value: Double(item9)))
            }
        }
    }

    var absent: JSONNode {
        .object([
            (
                "coding",
                .array([
                    FHIRCoding(
                        system: "http://terminology.hl7.org/CodeSystem/data-absent-reason", code: "unknown"
                    ).json
                ])
            )
        ])
    }

    static let consentCategory: JSONNode = .array([
        .object([
            (
                "coding",
                .array([FHIRCoding(system: "http://loinc.org", code: "59284-0", display: "Patient Consent").json])
            )
        ])
    ])

    static let privacyScope: JSONNode = .object([
        (
            "coding",
            .array([
                FHIRCoding(
                    system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy",
                    display: "Privacy Consent"
                ).json
            ])
        )
    ])

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
                        .object([
                            (
                                "coding",
                                .array([
                                    FHIRCoding(
                                        system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "disclose"
                                    ).json
                                ])
                            )
                        ])
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
        self.add(
            "Device", Self.device,
            [
                ("manufacturer", .string("Ensemble")),
                (
                    "deviceName",
                    .array([.object([("name", .string("Ensemble")), ("type", .string("manufacturer-name"))])])
                ),
                ("type", .object([("text", .string("AI clinical documentation assistant"))])),
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
                ("meta", self.sessionSecurity()),
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
                ("context", .object([("encounter", .array([self.reference(Self.sessionEncounter)]))])),
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
        let signerKey = note.signer.map { self.signerKey($0) }
        let cosignerKey = note.cosigner.map { self.signerKey($0) }
        if let signerKey { authors.append(self.reference(signerKey)) }
        let date = note.signer?.at ?? self.record.drafted.description
        let state =
            switch note.status {
            case .preliminary: "draft for clinician review, not signed"
            case .final: "signed"
            case .amended: "signed, with addenda"
            }
        self.add(
            "DocumentReference", Self.note(id),
            [
                ("meta", self.security(id, ai: note.aiGenerated)),
                (
                    "identifier",
                    Self.identifier(
                        self.mapping.identifiers.session, "\(self.session.id.rawValue)/\(id.rawValue)/note")
                ),
                ("status", .string("current")), ("docStatus", .string(note.status.rawValue)),
                ("type", .object([("coding", .array([self.mapping.noteType.json]))])),
                ("category", .array([.object([("coding", .array([self.mapping.noteCategory.json]))])])),
                ("subject", self.reference(Self.patient(id))), ("date", .string(date)),
                ("author", authors.isEmpty ? nil : .array(authors)),
                ("authenticator", signerKey.map { self.reference($0) }),
                ("description", .string("\(note.format.rawValue) progress note, version \(note.version): \(state)")),
                (
                    "securityLabel",
                    self.isPart2(id)
                        ? .array(self.mapping.part2Labels.map { .object([("coding", .array([$0.json]))]) }) : nil
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
            signedAt: note.signer?.at, amended: note.status == .amended)
    }

    static func participantType(_ code: String) -> JSONNode {
        .object([
            (
                "coding",
                .array([
                    FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: code)
                        .json
                ])
            )
        ])
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
                        .array([
                            .object([
                                ("coding", .array([self.mapping.aiAgentRole.json])),
                                ("text", .string("Artificial Intelligence")),
                            ])
                        ])
                    ),
                    ("who", self.reference(Self.device)),
                ]))
        }
        if let signer {
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
                ("reason", ai ? .array([.object([("coding", .array([self.mapping.aiLabel.json]))])]) : nil),
                ("activity", .object([("coding", .array([operation.json]))])),
                ("agent", .array(agents)), ("entity", entity),
            ])
    }

    mutating func addGroupNote(_ sections: [NoteSection]) {
        let ai = self.record.groupNoteAIGenerated
        let related: [JSONNode] = self.session.attendees.filter(self.hasOwnEncounter).map {
            self.reference(Self.encounter($0.id))
        }
        self.add(
            "DocumentReference", Self.groupNote,
            [
                ("meta", self.sessionSecurity(ai: ai)),
                (
                    "identifier",
                    Self.identifier(self.mapping.identifiers.session, "\(self.session.id.rawValue)/group-note")
                ),
                ("status", .string("current")), ("docStatus", .string("preliminary")),
                (
                    "type",
                    .object([("coding", .array([self.mapping.groupNoteType.json])), ("text", .string("Group note"))])
                ),
                ("category", .array([.object([("coding", .array([self.mapping.noteCategory.json]))])])),
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
                    "context",
                    .object([
                        ("encounter", .array([self.reference(Self.sessionEncounter)])),
                        ("period", self.period(self.session.start, self.session.end)),
                        ("related", related.isEmpty ? nil : .array(related)),
                    ])
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

    static let claimStatus = ["ready": "active", "pendingSignature": "draft", "blocked": "draft"]

    mutating func addClaim(_ claim: FHIRClaimRecord) {
        let id = claim.attendee
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
                            .object([
                                (
                                    "coding",
                                    .array([
                                        FHIRCoding(
                                            system: "http://terminology.hl7.org/CodeSystem/claimcareteamrole",
                                            code: "primary"
                                        ).json
                                    ])
                                )
                            ])
                        ),
                    ])
                ])
        }
        let diagnoses: [JSONNode] = claim.diagnoses.enumerated().map { offset, code in
            .object([
                ("sequence", .number(offset + 1)),
                (
                    "diagnosisCodeableConcept",
                    .object([("coding", .array([FHIRCoding(system: Self.icd10, code: code).json]))])
                ),
            ])
        }
        let pos: JSONNode? = claim.placeOfService.map { code in
            .object([
                (
                    "coding",
                    .array([
                        FHIRCoding(
                            system: Self.placeOfServiceSystem, code: code
                        ).json
                    ])
                )
            ])
        }
        let items: [JSONNode] = claim.lines.enumerated().map { offset, line in
            let modifiers: [JSONNode] = line.modifiers.map { modifier in
                .object([
                    ("coding", .array([FHIRCoding(system: "http://www.ama-assn.org/go/cpt", code: modifier).json]))
                ])
            }
            let pointers: [JSONNode] = line.diagnosisPointers.map { .number($0) }
            return .object([
                ("sequence", .number(offset + 1)),
                ("careTeamSequence", careTeam == nil ? nil : .array([.number(1)])),
                ("diagnosisSequence", pointers.isEmpty ? nil : .array(pointers)),
                (
                    "productOrService",
                    .object([
                        ("coding", .array([FHIRCoding(system: "http://www.ama-assn.org/go/cpt", code: line.cpt).json]))
                    ])
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
                    .object([
                        (
                            "coding",
                            .array([
                                FHIRCoding(
                                    system: "http://terminology.hl7.org/CodeSystem/claim-type", code: "professional"
                                ).json
                            ])
                        )
                    ])
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
                    .object([
                        (
                            "coding",
                            .array([
                                FHIRCoding(
                                    system: "http://terminology.hl7.org/CodeSystem/processpriority", code: "normal"
                                )
                                .json
                            ])
                        )
                    ])
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
