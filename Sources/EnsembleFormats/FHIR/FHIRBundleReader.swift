public import EnsembleCore

/// A FHIR R4 Bundle from an EHR read into a session and its transcript: what `ensemble fhir import`
/// writes as a scenario folder, and what the webhook drafts from.
///
/// It reads the shapes `FHIRBundleWriter` writes (docs/fhir.md): the session Encounter (the one that is
/// part of no other), its Practitioners, the roster Group of Patients, RelatedPersons, Conditions,
/// Coverage, CarePlans and Goals, survey Observations, Consents, and the transcript as a
/// DocumentReference attachment or a Binary. Anything missing or contradictory is an error naming the
/// resource and the element (`Encounter/abc.participant[2].individual: …`); nothing is defaulted
/// silently. Messages never quote the Bundle's content.
public struct FHIRBundleReader: Sendable {
    public var mapping: FHIRMapping

    public init(mapping: FHIRMapping) { self.mapping = mapping }

    public struct Imported: Sendable {
        public var session: Session
        /// The transcript file(s), named for the scenario folder.
        public var transcript: [FHIRTranscript]
        /// The RTTM among them, when one labels a transcript that has none.
        public var diarizationFile: String?
    }

    public func read(_ bytes: [UInt8], file: String) throws(FormatError) -> Imported {
        let root = JSONField(node: try JSONParser.parse(bytes, file: file), file: file)
        guard try root.required("resourceType", expected: "Bundle").text() == "Bundle" else {
            throw try root.required("resourceType", expected: "").error(.invalidValue, "expected a FHIR Bundle")
        }
        var bundle = BundleIndex(file: file)
        for entry in try root.required("entry", expected: "the Bundle's entries").array() {
            guard let resourceField = try entry.optional("resource") else { continue }
            let type = try resourceField.required("resourceType", expected: "the resource's type").text()
            let id = try resourceField.optional("id")?.text()
            let name = "\(type)/\(id ?? "#\(bundle.resources.count + 1)")"
            let resource = JSONField(node: resourceField.node, path: name, file: file)
            bundle.add(resource, type: type, id: id, fullUrl: try entry.optional("fullUrl")?.text())
        }
        return try Reading(bundle: bundle, mapping: self.mapping).read()
    }
}

/// The Bundle's resources, found by full URL, by `Type/id`, or by an absolute URL ending in `Type/id`.
struct BundleIndex {
    let file: String
    var resources: [(type: String, field: JSONField)] = []
    var byKey: [String: Int] = [:]

    init(file: String) { self.file = file }

    mutating func add(_ field: JSONField, type: String, id: String?, fullUrl: String?) {
        let index = self.resources.count
        self.resources.append((type, field))
        if let fullUrl { self.byKey[fullUrl] = index }
        if let id { self.byKey["\(type)/\(id)"] = index }
    }

    func all(_ type: String) -> [JSONField] { self.resources.filter { $0.type == type }.map(\.field) }

    /// The resource a Reference points at, of one of the expected types; an error naming the reference
    /// when it resolves to nothing in the Bundle or to another type.
    func resolve(_ reference: JSONField, _ types: [String]) throws(FormatError) -> (type: String, field: JSONField) {
        let target = try reference.required(
            "reference", expected: "a reference to a \(types.joined(separator: " or "))"
        )
        .text()
        var index = self.byKey[target]
        if index == nil {
            let parts = target.split(separator: "/")
            if parts.count >= 2 { index = self.byKey[parts.suffix(2).joined(separator: "/")] }
        }
        guard let index else {
            throw reference.error(.notFound, "refers to a resource that is not in the Bundle")
        }
        let found = self.resources[index]
        guard types.contains(found.type) else {
            throw reference.error(
                .wrongType, "refers to a \(found.type); expected a \(types.joined(separator: " or "))")
        }
        return found
    }

    func sameResource(_ left: JSONField, _ right: JSONField) -> Bool { left.path == right.path }
}

private struct Reading {
    let bundle: BundleIndex
    let mapping: FHIRMapping

    func ext(_ field: JSONField, _ name: String) throws(FormatError) -> [JSONField] {
        let url = self.mapping.extensionBase + "/" + name
        return try (field.optional("extension")?.array() ?? []).filter { element in
            (try? element.required("url", expected: "").text()) == url
        }
    }

    func extensionCode(_ field: JSONField, _ name: String) throws(FormatError) -> JSONField? {
        try self.ext(field, name).first.map { (element) throws(FormatError) in
            try element.required("valueCode", expected: "a code")
        }
    }

    func identifier(_ field: JSONField, system: String) throws(FormatError) -> String? {
        for element in try field.optional("identifier")?.array() ?? [] {
            if try element.optional("system")?.text() == system { return try element.optional("value")?.text() }
        }
        return nil
    }

    /// A person's id: the identifier in the mapping's system, else the resource id.
    func personID(_ field: JSONField, system: String) throws(FormatError) -> PersonID {
        if let value = try self.identifier(field, system: system) { return PersonID(value) }
        guard let id = try field.optional("id")?.text() else {
            throw field.error(.missingField, "has neither an identifier in \(system) nor an id")
        }
        return PersonID(id)
    }

    func codings(_ concept: JSONField?) throws(FormatError) -> [(system: String?, code: String)] {
        guard let concept else { return [] }
        var found: [(system: String?, code: String)] = []
        for coding in try concept.optional("coding")?.array() ?? [] {
            if let code = try coding.optional("code")?.text() {
                found.append((try coding.optional("system")?.text(), code))
            }
        }
        return found
    }

    func name(_ field: JSONField) throws(FormatError) -> (name: String, nicknames: [String]) {
        var official: String? = nil
        var nicknames: [String] = []
        for (offset, element) in try (field.optional("name")?.array() ?? []).enumerated() {
            var text = try element.optional("text")?.text()
            if text == nil {
                let given = try element.optional("given")?.strings() ?? []
                let family = try element.optional("family")?.text()
                let parts = given + (family.map { [$0] } ?? [])
                if !parts.isEmpty { text = parts.joined(separator: " ") }
            }
            guard let text else { continue }
            if try element.optional("use")?.text() == "nickname" {
                nicknames.append(text)
            } else if official == nil || offset == 0 {
                official = official ?? text
            }
        }
        guard let official else {
            throw field.error(.missingField, "has no name; expected name[0].text or given and family")
        }
        return (official, nicknames)
    }

    func date(_ field: JSONField) throws(FormatError) -> CalendarDate {
        guard let date = CalendarDate(iso8601: try field.text(expected: "a date, YYYY-MM-DD")) else {
            throw field.error(.invalidValue, "expected a date, YYYY-MM-DD")
        }
        return date
    }

    func timestamp(_ field: JSONField) throws(FormatError) -> Timestamp {
        guard let time = Timestamp(iso8601: try field.text(expected: "a date-time")) else {
            throw field.error(.invalidValue, "expected a date-time with a time zone, such as 2026-05-12T17:00:00-05:00")
        }
        return time
    }

    func sex(_ field: JSONField?) throws(FormatError) -> AdministrativeSex? {
        guard let field else { return nil }
        switch try field.text() {
        case "female": return .female
        case "male": return .male
        case "unknown", "other": return .unknown
        default: throw field.error(.invalidValue, "expected male, female, other or unknown")
        }
    }

    func address(_ field: JSONField?) throws(FormatError) -> Address? {
        guard let first = try field?.array().first else { return nil }
        let lines = try first.optional("line")?.strings() ?? []
        return Address(
            line1: lines.first, line2: lines.count > 1 ? lines[1] : nil, city: try first.optional("city")?.text(),
            state: try first.optional("state")?.text(), postalCode: try first.optional("postalCode")?.text())
    }

    // MARK: - The session

    func read() throws(FormatError) -> FHIRBundleReader.Imported {
        let encounters = self.bundle.all("Encounter")
        // The session's Encounter is part of no other. In a family or couples session a member with a chart
        // has an Encounter of their own beside it, identified as `SESSION/CLIENT`: not the session's.
        var roots: [JSONField] = []
        for encounter in encounters where !encounter.has("partOf") {
            let identifier = try self.identifier(encounter, system: self.mapping.identifiers.session)
            if identifier?.contains("/") == true { continue }
            roots.append(encounter)
        }
        guard let encounter = roots.first else {
            throw FormatError(
                .missingField, file: self.bundle.file, field: "Bundle.entry",
                "has no session Encounter; expected one Encounter that is part of no other")
        }
        if roots.count > 1 {
            throw roots[1].error(
                .ambiguous, "is a second Encounter that is part of no other; a Bundle holds one session")
        }
        var sessionID = try self.identifier(encounter, system: self.mapping.identifiers.session)
        if sessionID == nil {
            sessionID = try encounter.required(
                "id", expected: "the Encounter's id (or an identifier in the session system)"
            ).text()
        }
        let period = try encounter.required("period", expected: "the session's start and end")
        let start = try self.timestamp(try period.required("start", expected: "when the session started"))
        let end = try self.timestamp(try period.required("end", expected: "when the session ended"))
        guard start < end else {
            throw try period.required("end", expected: "").error(.inconsistent, "is not after period.start")
        }
        let subject = try self.bundle.resolve(
            try encounter.required("subject", expected: "the roster Group or the identified patient"),
            ["Group", "Patient"])

        let clinicians = try self.clinicians(encounter)
        let (attendees, roster) = try self.attendees(encounter: encounter, subject: subject)
        let kind = try self.kind(encounter, subject: subject, attendees: attendees)
        var people: [String: PersonID] = [:]
        for (field, id) in roster { people[field.path] = id }
        for clinician in clinicians { people[clinician.field.path] = clinician.clinician.id }

        let rosterIDs = Set(attendees.map(\.id) + clinicians.map(\.clinician.id))
        var hints: [SpeakerHint] = []
        for hint in try self.ext(encounter, "speaker-hint") {
            var label: String? = nil
            var ids: [PersonID] = []
            for part in try hint.required("extension", expected: "the hint's label and people").array() {
                switch try part.required("url", expected: "label or person").text() {
                case "label": label = try part.required("valueString", expected: "the speaker label").text()
                case "person":
                    var id: PersonID? = nil
                    if let identifier = try part.optional("valueIdentifier") {
                        let value = PersonID(
                            try identifier.required("value", expected: "a client or clinician id").text())
                        if rosterIDs.contains(value) { id = value }
                    } else {
                        let target = try self.bundle.resolve(
                            try part.required("valueReference", expected: "a Patient or Practitioner"),
                            ["Patient", "Practitioner"])
                        id = people[target.field.path]
                    }
                    guard let id else {
                        throw part.error(.inconsistent, "names someone who is not on the session's roster")
                    }
                    ids.append(id)
                default: continue
                }
            }
            guard let label, !ids.isEmpty else {
                throw hint.error(.missingField, "expected a label and at least one person")
            }
            hints.append(SpeakerHint(label: label, people: ids))
        }

        var practice: Practice? = nil
        if let provider = try encounter.optional("serviceProvider") {
            practice = try self.practice(try self.bundle.resolve(provider, ["Organization"]).field)
        }
        let modality = try self.modality(encounter)
        let noteFormat = try self.extensionCode(encounter, "note-format").map { (field) throws(FormatError) in
            try field.oneOf(NoteFormat.self)
        }
        let placeOfService = try self.ext(encounter, "place-of-service").first.map { (field) throws(FormatError) in
            try field.required("valueCoding", expected: "a place-of-service coding").required(
                "code", expected: "the CMS place-of-service code"
            ).text()
        }
        let crisis = try self.ext(encounter, "crisis").first.map { (field) throws(FormatError) in
            try field.required("valueBoolean", expected: "true or false").bool()
        }
        let session = Session(
            id: SessionID(sessionID!), kind: kind,
            title: try encounter.optional("serviceType")?.optional("text")?.text(), start: start, end: end,
            modality: modality, placeOfService: placeOfService, noteFormat: noteFormat ?? .soap, practice: practice,
            clinicians: clinicians.map(\.clinician), attendees: attendees, speakerHints: hints,
            crisis: crisis ?? false)
        try self.check(session, encounter: encounter)
        let (transcript, diarization) = try self.transcript(encounter)
        return FHIRBundleReader.Imported(session: session, transcript: transcript, diarizationFile: diarization)
    }

    func modality(_ encounter: JSONField) throws(FormatError) -> Modality? {
        if let code = try self.extensionCode(encounter, "modality") { return try code.oneOf(Modality.self) }
        guard let classField = try encounter.optional("class") else { return nil }
        let code = try classField.optional("code")?.text()
        for modality in [Modality.inPerson, .video, .audioOnly]
        where self.mapping.encounterClass[modality]?.code == code {
            return modality
        }
        throw classField.error(
            .invalidValue, "is a class Agents/fhir/mapping.json does not map to a modality (encounterClass)")
    }

    func kind(_ encounter: JSONField, subject: (type: String, field: JSONField), attendees: [Attendee])
        throws(FormatError) -> SessionKind
    {
        var declared: SessionKind? = nil
        for (offset, type) in try (encounter.optional("type")?.array() ?? []).enumerated() {
            for coding in try self.codings(type) where coding.system == self.mapping.sessionKindSystem {
                guard let kind = SessionKind(rawValue: coding.code) else {
                    throw type.error(
                        .invalidValue,
                        "type[\(offset)] has a session kind that is not group, family, couples, multiFamilyGroup or individual"
                    )
                }
                declared = kind
            }
        }
        if let declared { return declared }
        // No kind coded: read it from the roster, as a person would.
        let roles = Set(attendees.map(\.role))
        if subject.type == "Group" {
            return roles.contains(.identifiedPatient) ? .multiFamilyGroup : .group
        }
        if roles.contains(.partner) { return .couples }
        if roles.contains(.familyMember) { return .family }
        if attendees.count == 1 { return .individual }
        throw try encounter.required("subject", expected: "").error(
            .ambiguous,
            "the session's kind cannot be told: code it in Encounter.type (system \(self.mapping.sessionKindSystem))")
    }

    // MARK: Clinicians

    func clinicians(_ encounter: JSONField) throws(FormatError) -> [(clinician: Clinician, field: JSONField)] {
        var clinicians: [(clinician: Clinician, field: JSONField)] = []
        for participant in try encounter.optional("participant")?.array() ?? [] {
            guard let individual = try participant.optional("individual") else {
                throw participant.error(.missingField, "has no individual; expected a Practitioner or RelatedPerson")
            }
            let target = try self.bundle.resolve(individual, ["Practitioner", "PractitionerRole", "RelatedPerson"])
            guard target.type != "RelatedPerson" else { continue }
            guard target.type == "Practitioner" else {
                throw individual.error(.unsupportedFormat, "is a PractitionerRole; name the Practitioner instead")
            }
            let practitioner = target.field
            var role: ClinicianRole? = nil
            for type in try participant.optional("type")?.array() ?? [] {
                for coding in try self.codings(type) {
                    role =
                        role
                        ?? ClinicianRole.allCases.first {
                            self.mapping.clinicianParticipantType[$0]?.code == coding.code
                        }
                }
            }
            let (name, _) = try self.name(practitioner)
            var credentials: String? = nil
            var taxonomy: String? = nil
            for qualification in try practitioner.optional("qualification")?.array() ?? [] {
                let code = try qualification.required("code", expected: "the qualification")
                if let coding = try self.codings(code).first(where: { $0.system == "http://nucc.org/provider-taxonomy" }
                ) {
                    taxonomy = coding.code
                } else if let text = try code.optional("text")?.text() {
                    credentials = credentials ?? text
                }
            }
            let clinician = Clinician(
                id: try self.personID(practitioner, system: self.mapping.identifiers.clinician), name: name,
                credentials: credentials,
                npi: try self.identifier(practitioner, system: "http://hl7.org/fhir/sid/us-npi"),
                role: role ?? (clinicians.isEmpty ? .primary : .coTherapist), taxonomy: taxonomy)
            guard !clinicians.contains(where: { $0.clinician.id == clinician.id }) else { continue }
            clinicians.append((clinician, practitioner))
        }
        guard !clinicians.isEmpty else {
            throw FormatError(
                .missingField, file: encounter.file, field: encounter.path + ".participant",
                "names no Practitioner; expected at least the clinician who ran the session")
        }
        return clinicians
    }

    func practice(_ organization: JSONField) throws(FormatError) -> Practice {
        var taxonomy: String? = nil
        for type in try organization.optional("type")?.array() ?? [] {
            if taxonomy == nil {
                taxonomy = try self.codings(type).first { $0.system == "http://nucc.org/provider-taxonomy" }?.code
            }
        }
        return Practice(
            name: try organization.optional("name")?.text(),
            npi: try self.identifier(organization, system: "http://hl7.org/fhir/sid/us-npi"),
            taxId: try self.identifier(organization, system: "urn:oid:2.16.840.1.113883.4.4"),
            address: try self.address(try organization.optional("address")), taxonomy: taxonomy)
    }

    // MARK: Attendees

    /// The roster: the Group's members (its Patients; absent ones inactive), else the subject Patient and
    /// the RelatedPersons taking part.
    func attendees(encounter: JSONField, subject: (type: String, field: JSONField)) throws(FormatError)
        -> ([Attendee], [(JSONField, PersonID)])
    {
        var group: JSONField? = subject.type == "Group" ? subject.field : nil
        if group == nil {
            // A roster Group for a family session: the Group whose members include the subject Patient.
            search: for candidate in self.bundle.all("Group") {
                for member in try candidate.optional("member")?.array() ?? [] {
                    let entity = try self.bundle.resolve(
                        try member.required("entity", expected: "a Patient"), ["Patient"])
                    if self.bundle.sameResource(entity.field, subject.field) {
                        group = candidate
                        break search
                    }
                }
            }
        }
        // Who takes part: the RelatedPersons among the session Encounter's participants.
        var participating: Set<String> = []
        for participant in try encounter.optional("participant")?.array() ?? [] {
            guard let individual = try participant.optional("individual"),
                let target = try? self.bundle.resolve(individual, ["RelatedPerson"])
            else { continue }
            participating.insert(target.field.path)
        }
        var entries: [(field: JSONField, member: JSONField?, present: Bool)] = []
        if let group {
            let members = try group.required("member", expected: "the roster's members").array()
            for member in members {
                let entity = try self.bundle.resolve(
                    try member.required("entity", expected: "the member's Patient"), ["Patient"])
                let absent = try self.ext(member, "absent").first.map { (field) throws(FormatError) in
                    try field.required("valueBoolean", expected: "true or false").bool()
                }
                let inactive = try member.optional("inactive")?.bool() ?? false
                entries.append((entity.field, member, !(absent ?? inactive)))
            }
        } else {
            entries.append((subject.field, nil, true))
        }
        // Family members without a chart of their own are RelatedPersons only: on the roster when they take
        // part, or (in Ensemble's Bundles) when they carry the roster's extensions.
        var patientIDs: Set<PersonID> = []
        for entry in entries {
            patientIDs.insert(try self.personID(entry.field, system: self.mapping.identifiers.client))
        }
        for person in self.bundle.all("RelatedPerson") where try !self.isPolicyholder(person) {
            let id = try self.personID(person, system: self.mapping.identifiers.client)
            guard !patientIDs.contains(id) else { continue }
            let rostered = try !self.ext(person, "attendee-role").isEmpty
            let present = participating.contains(person.path)
            guard present || rostered else { continue }
            let absent = try self.ext(person, "absent").first.map { (field) throws(FormatError) in
                try field.required("valueBoolean", expected: "true or false").bool()
            }
            if present && absent == true {
                throw person.error(.inconsistent, "is marked absent but takes part in the session Encounter")
            }
            entries.append((person, person, present))
        }
        // Ensemble's Bundles keep the roster's order.
        var positions: [Int?] = []
        for entry in entries {
            positions.append(
                try entry.member.flatMap { (member) throws(FormatError) in
                    try self.ext(member, "roster-position").first.map { (field) throws(FormatError) in
                        try field.required("valueInteger", expected: "a position").int()
                    }
                })
        }
        if positions.allSatisfy({ $0 != nil }) {
            entries = zip(entries, positions).sorted { $0.1! < $1.1! }.map(\.0)
        }
        var attendees: [Attendee] = []
        var roster: [(JSONField, PersonID)] = []
        let relatedPersons = self.bundle.all("RelatedPerson")
        for entry in entries {
            let attendee = try self.attendee(
                entry.field, member: entry.member, present: entry.present, related: relatedPersons)
            guard !attendees.contains(where: { $0.id == attendee.id }) else {
                throw entry.field.error(.inconsistent, "is on the roster twice (the same client id)")
            }
            attendees.append(attendee)
            roster.append((entry.field, attendee.id))
        }
        guard !attendees.isEmpty else {
            throw group?.error(.missingField, "has no members; expected the session's attendees")
                ?? subject.field.error(.missingField, "expected the session's attendees")
        }
        // Links between people: a RelatedPerson's patient is their identified patient.
        var byPatientPath: [String: PersonID] = [:]
        for (field, id) in roster { byPatientPath[field.path] = id }
        for index in attendees.indices {
            guard let person = try self.relatedPerson(for: attendees[index].id, in: relatedPersons) else { continue }
            let patient = try self.bundle.resolve(
                try person.required("patient", expected: "the identified patient"), ["Patient"])
            if let related = byPatientPath[patient.field.path], related != attendees[index].id {
                attendees[index].relatedTo = related
            }
        }
        // Coverage names its subscriber by reference: resolve to the roster now that everyone is known.
        for index in attendees.indices {
            attendees[index].coverage = try self.coverage(
                for: roster[index].0, attendee: attendees[index].id, people: byPatientPath,
                roster: Set(attendees.map(\.id)))
        }
        return (attendees, roster)
    }

    func relatedPerson(for id: PersonID, in people: [JSONField]) throws(FormatError) -> JSONField? {
        for person in people where try self.identifier(person, system: self.mapping.identifiers.client) == id.rawValue {
            if try self.isPolicyholder(person) { continue }
            return person
        }
        return nil
    }

    /// A RelatedPerson that is a policyholder (`POLHOLD`), named by a Coverage, not an attendee.
    func isPolicyholder(_ person: JSONField) throws(FormatError) -> Bool {
        for relationship in try person.optional("relationship")?.array() ?? [] {
            if try self.codings(relationship).contains(where: { $0.code == "POLHOLD" }) { return true }
        }
        return false
    }

    /// Resources of `type` whose `key` refers to this patient.
    func about(_ patient: JSONField, _ type: String, key: String) throws(FormatError) -> [JSONField] {
        var found: [JSONField] = []
        for resource in self.bundle.all(type) {
            guard let reference = try resource.optional(key),
                let target = try? self.bundle.resolve(reference, ["Patient"])
            else { continue }
            if self.bundle.sameResource(target.field, patient) { found.append(resource) }
        }
        return found
    }

    func attendee(_ field: JSONField, member: JSONField?, present: Bool, related: [JSONField]) throws(FormatError)
        -> Attendee
    {
        let type = try field.required("resourceType", expected: "").text()
        let id = try self.personID(field, system: self.mapping.identifiers.client)
        let (name, nicknames) = try self.name(field)
        let relatedPerson = type == "RelatedPerson" ? field : try self.relatedPerson(for: id, in: related)
        var relationship: String? = nil
        if let concept = try relatedPerson?.optional("relationship")?.array().first {
            relationship = try concept.optional("text")?.text()
            if relationship == nil { relationship = try self.codings(concept).first?.code }
        }
        var role: AttendeeRole? = nil
        var minutes: Int? = nil
        var noteFormat: NoteFormat? = nil
        var complexity: InteractiveComplexityFactor? = nil
        if let member {
            role = try self.extensionCode(member, "attendee-role").map { (code) throws(FormatError) in
                try code.oneOf(AttendeeRole.self)
            }
            minutes = try self.ext(member, "minutes-attended").first.map { (field) throws(FormatError) in
                try field.required("valueInteger", expected: "whole minutes").int()
            }
            noteFormat = try self.extensionCode(member, "note-format").map { (code) throws(FormatError) in
                try code.oneOf(NoteFormat.self)
            }
            complexity = try self.extensionCode(member, "interactive-complexity").map { (code) throws(FormatError) in
                try code.oneOf(InteractiveComplexityFactor.self)
            }
        }
        let patient = type == "Patient" ? field : nil
        let string: (String) throws(FormatError) -> String? = { (name) throws(FormatError) in
            try self.ext(field, name).first.map { (element) throws(FormatError) in
                try element.required("valueString", expected: "text").string()
            }
        }
        var consent = try patient.flatMap { (patient) throws(FormatError) in try self.consent(patient) }
        if patient == nil {
            // Someone without a chart: their consent travels as extensions of their RelatedPerson.
            let flag = { (name: String) throws(FormatError) -> Bool? in
                try self.ext(field, name).first.map { (element) throws(FormatError) in
                    try element.required("valueBoolean", expected: "true or false").bool()
                }
            }
            if let aiDrafting = try flag("consent-ai-drafting") {
                consent = Consent(
                    aiDrafting: aiDrafting, part2: try flag("consent-part2") ?? false,
                    paymentDisclosure: try flag("consent-payment-disclosure"))
            }
        }
        return Attendee(
            id: id, name: name, aliases: nicknames,
            role: role ?? (relationship == nil ? .member : relationship == "partner" ? .partner : .familyMember),
            relationship: relationship, relatedTo: nil, present: present, minutesAttended: minutes,
            dateOfBirth: try field.optional("birthDate").map { (field) throws(FormatError) in try self.date(field) },
            diagnoses: try patient.map { (patient) throws(FormatError) in try self.diagnoses(patient) } ?? [],
            consent: consent, coverage: nil,
            treatmentPlan: try patient.flatMap { (patient) throws(FormatError) in try self.plan(patient) },
            measures: try patient.map { (patient) throws(FormatError) in try self.measures(patient) } ?? [],
            previousNoteSummary: try string("previous-note-summary"), noteFormat: noteFormat,
            sex: try self.sex(try field.optional("gender")), address: try self.address(try field.optional("address")),
            interactiveComplexity: complexity, pronouns: try string("pronouns"))
    }

    func diagnoses(_ patient: JSONField) throws(FormatError) -> [String] {
        var codes: [String] = []
        for condition in try self.about(patient, "Condition", key: "subject") {
            let code = try condition.required("code", expected: "the diagnosis code")
            guard let icd = try self.codings(code).first(where: { $0.system == "http://hl7.org/fhir/sid/icd-10-cm" })
            else {
                throw code.error(.missingField, "has no ICD-10-CM coding (system http://hl7.org/fhir/sid/icd-10-cm)")
            }
            if !codes.contains(icd.code) { codes.append(icd.code) }
        }
        return codes
    }

    func consent(_ patient: JSONField) throws(FormatError) -> Consent? {
        var aiDrafting: Bool? = nil
        var part2 = false
        var payment: Bool? = nil
        for consent in try self.about(patient, "Consent", key: "patient") {
            let status = try consent.required("status", expected: "the consent's status").text()
            var policies: [String] = []
            for policy in try consent.optional("policy")?.array() ?? [] {
                if let uri = try policy.optional("uri")?.text() { policies.append(uri) }
            }
            let provision = try consent.optional("provision")
            let permits = try provision?.optional("type")?.text()
            if policies.contains(self.mapping.aiDraftingPolicy) {
                // Only an active Consent says yes or no; a proposed or withdrawn one says nothing more.
                guard status == "active" else { continue }
                let permitted = permits == "permit"
                if let earlier = aiDrafting, earlier != permitted {
                    throw consent.error(
                        .inconsistent, "contradicts another active AI-drafting Consent for the same patient")
                }
                aiDrafting = permitted
            } else if policies.contains(self.mapping.part2Policy) {
                part2 = true
                if status == "active", let permits {
                    let permitted = permits == "permit"
                    if let earlier = payment, earlier != permitted {
                        throw consent.error(
                            .inconsistent, "contradicts another active Part 2 Consent for the same patient")
                    }
                    payment = permitted
                }
            }
        }
        // Records the EHR labelled Part 2 are Part 2, whatever Consents came with them.
        for label in try patient.optional("meta")?.optional("security")?.array() ?? [] {
            if let code = try label.optional("code")?.text(), code == "42CFRPart2" { part2 = true }
        }
        guard aiDrafting != nil || part2 else { return nil }
        return Consent(aiDrafting: aiDrafting ?? false, part2: part2, paymentDisclosure: payment)
    }

    static let relationships = ["self": "self", "spouse": "spouse", "child": "child", "common": "lifePartner"]

    func coverage(
        for patient: JSONField, attendee: PersonID, people: [String: PersonID], roster: Set<PersonID>
    ) throws(FormatError) -> Coverage? {
        var coverages: [(order: Int, field: JSONField)] = []
        for candidate in try self.about(patient, "Coverage", key: "beneficiary") {
            let status = try candidate.optional("status")?.text()
            guard status == nil || status == "active" else { continue }
            coverages.append((try candidate.optional("order")?.int() ?? 1, candidate))
        }
        coverages.sort { $0.order < $1.order }
        guard let coverage = coverages.first?.field else { return nil }
        // Ensemble bills one coverage: the first in order. Two that claim the same place cannot be told apart.
        if coverages.count > 1, coverages[0].order == coverages[1].order {
            throw coverages[1].field.error(
                .ambiguous, "is a second active Coverage with the same order for this patient; give each its order")
        }
        let payor = try coverage.required("payor", expected: "the payer").array()
        guard let first = payor.first else { throw coverage.error(.missingField, "payor is empty; expected the payer") }
        let payer = try self.bundle.resolve(first, ["Organization"]).field
        let relationshipField = try coverage.optional("relationship")
        var relationship = try relationshipField?.optional("text")?.text()
        if relationship == nil, let code = try self.codings(relationshipField).first?.code {
            relationship = Self.relationships[code] ?? "other"
        }
        var subscriber: Subscriber? = nil
        if let holder = try coverage.optional("subscriber") {
            let target = try self.bundle.resolve(holder, ["Patient", "RelatedPerson"])
            let listed = try self.identifier(target.field, system: self.mapping.identifiers.client).map(PersonID.init)
            if let id = people[target.field.path] ?? listed.flatMap({ roster.contains($0) ? $0 : nil }) {
                if id != attendee { subscriber = Subscriber(clientId: id) }
            } else {
                subscriber = Subscriber(
                    name: try self.name(target.field).name,
                    dateOfBirth: try target.field.optional("birthDate").map { (field) throws(FormatError) in
                        try self.date(field)
                    }, sex: try self.sex(try target.field.optional("gender")),
                    address: try self.address(try target.field.optional("address")))
            }
        }
        var group: String? = nil
        for element in try coverage.optional("class")?.array() ?? [] {
            if try self.codings(try element.required("type", expected: "the class type")).contains(where: {
                $0.code == "group"
            }) {
                group = try element.required("value", expected: "the group number").text()
            }
        }
        let order = try coverage.optional("order")?.int()
        return Coverage(
            payerName: try payer.optional("name")?.text(),
            payerId: try self.identifier(payer, system: self.mapping.identifiers.payer),
            memberId: try coverage.optional("subscriberId")?.text(), subscriberRelationship: relationship,
            groupNumber: group,
            claimFilingIndicator: try self.extensionCode(coverage, "claim-filing-indicator")?.text(),
            subscriber: subscriber,
            sequence: order.map { $0 == 2 ? "secondary" : $0 == 3 ? "tertiary" : "primary" })
    }

    func plan(_ patient: JSONField) throws(FormatError) -> TreatmentPlan? {
        guard let plan = try self.about(patient, "CarePlan", key: "subject").first else { return nil }
        var goals: [Goal] = []
        for reference in try plan.optional("goal")?.array() ?? [] {
            let goal = try self.bundle.resolve(reference, ["Goal"]).field
            var objectives: [Objective] = []
            for relation in try goal.optional("extension")?.array() ?? []
            where try relation.required("url", expected: "").text()
                == "http://hl7.org/fhir/StructureDefinition/goal-relationship"
            {
                for part in try relation.required("extension", expected: "type and target").array()
                where try part.required("url", expected: "").text() == "target" {
                    let objective = try self.bundle.resolve(
                        try part.required("valueReference", expected: "the milestone Goal"), ["Goal"]
                    ).field
                    objectives.append(try Objective(id: self.goalID(objective), text: self.goalText(objective)))
                }
            }
            goals.append(try Goal(id: self.goalID(goal), text: self.goalText(goal), objectives: objectives))
        }
        return TreatmentPlan(id: try self.identifier(plan, system: self.mapping.identifiers.plan) ?? "", goals: goals)
    }

    func goalID(_ goal: JSONField) throws(FormatError) -> String {
        if let id = try self.identifier(goal, system: self.mapping.identifiers.goal) { return id }
        return try goal.required("id", expected: "the goal's id").text()
    }

    func goalText(_ goal: JSONField) throws(FormatError) -> String {
        try goal.required("description", expected: "what the goal is").required("text", expected: "the goal's text")
            .text()
    }

    func measures(_ patient: JSONField) throws(FormatError) -> [Measure] {
        var measures: [Measure] = []
        var items: [(instrument: String, date: CalendarDate?, value: Int)] = []
        for observation in try self.about(patient, "Observation", key: "subject") {
            let code = try observation.required("code", expected: "what was measured")
            let codes = try self.codings(code)
            var instrument = self.mapping.measures.first { entry in codes.contains { $0.code == entry.value.code } }?
                .key
            if instrument == nil { instrument = try code.optional("text")?.text() }
            guard let instrument else {
                throw code.error(.missingField, "expected a LOINC coding or text naming the instrument")
            }
            let date = try observation.optional("effectiveDateTime").map { (field) throws(FormatError) in
                try self.date(
                    JSONField(
                        node: JSONNode(.string(String(try field.text().prefix(10))), line: field.node.line),
                        path: field.path, file: field.file))
            }
            var value = try observation.optional("valueQuantity")?.required("value", expected: "the score").number()
            if value == nil, let answer = try observation.optional("valueCodeableConcept") {
                let codes = try self.codings(answer).map(\.code)
                guard let index = self.mapping.item9Answers.firstIndex(where: { codes.contains($0.code) }) else {
                    throw answer.error(
                        .invalidValue, "is an answer Agents/fhir/mapping.json does not know (item9Answers)")
                }
                value = Double(index)
            }
            if instrument.hasSuffix(" item 9") {
                guard let value else { continue }
                items.append((String(instrument.dropLast(7)), date, Int(value)))
            } else {
                measures.append(Measure(instrument: instrument, score: value, date: date))
            }
        }
        for item in items {
            if let index = measures.firstIndex(where: { $0.instrument == item.instrument && $0.date == item.date }) {
                measures[index].item9 = item.value
            } else {
                measures.append(Measure(instrument: item.instrument, item9: item.value, date: item.date))
            }
        }
        return measures
    }

    // MARK: Checks and the transcript

    /// What SessionDecoder would refuse in a session.json, refused here with the FHIR path.
    func check(_ session: Session, encounter: JSONField) throws(FormatError) {
        var ids = Set(session.clinicians.map(\.id))
        for attendee in session.attendees {
            guard ids.insert(attendee.id).inserted else {
                throw encounter.error(.inconsistent, "a client id is used by a clinician as well")
            }
            if let minutes = attendee.minutesAttended, minutes > session.durationMinutes {
                throw encounter.error(
                    .inconsistent,
                    "an attendee's minutes-attended is longer than the session (\(session.durationMinutes) minutes)")
            }
        }
    }

    func transcript(_ encounter: JSONField) throws(FormatError) -> ([FHIRTranscript], String?) {
        var attachments: [(JSONField, String?)] = []
        for document in self.bundle.all("DocumentReference") {
            let type = try document.optional("type")
            let codes = try self.codings(type)
            let coded = codes.contains {
                $0.system == self.mapping.transcriptType.system && $0.code == self.mapping.transcriptType.code
            }
            let text = try type?.optional("text")?.text()
            let isTranscript = coded || text == "Session transcript"
            guard isTranscript else { continue }
            for content in try document.required("content", expected: "the transcript attached").array() {
                attachments.append((try content.required("attachment", expected: "the transcript file"), nil))
            }
        }
        if attachments.isEmpty {
            for binary in self.bundle.all("Binary") { attachments.append((binary, "Binary")) }
        }
        guard !attachments.isEmpty else {
            throw FormatError(
                .missingField, file: self.bundle.file, field: "Bundle.entry",
                "has no transcript; expected a DocumentReference of type \(self.mapping.transcriptType.code) (or text "
                    + "\"Session transcript\") with the file attached, or a Binary")
        }
        var files: [FHIRTranscript] = []
        for (attachment, _) in attachments {
            let contentType = try attachment.required("contentType", expected: "the file's media type").text()
            var dataField = try attachment.optional("data")
            if dataField == nil, let url = try attachment.optional("url") {
                let binary = try self.bundle.resolve(
                    JSONField(node: .object([("reference", url.node)]), path: url.path, file: url.file), ["Binary"])
                dataField = try binary.field.required("data", expected: "the file's bytes, base64")
            }
            guard let dataField else {
                throw attachment.error(.missingField, "has neither data nor a url to a Binary in the Bundle")
            }
            guard let bytes = Base64.decode(try dataField.string()) else {
                throw dataField.error(.invalidValue, "is not base64")
            }
            let title = try attachment.optional("title")?.text()
            var name = FHIRTranscript.fileName(forContentType: contentType)
            if let title, Self.isPlainFileName(title) { name = title }
            if files.contains(where: { $0.fileName == name }) {
                name = "\(files.count + 1)-" + name
            }
            files.append(FHIRTranscript(fileName: name, contentType: contentType, bytes: bytes))
        }
        let rttm = files.first {
            $0.contentType.hasPrefix("text/x-rttm") || $0.fileName.lowercased().hasSuffix(".rttm")
        }
        return (files.filter { $0.fileName != rttm?.fileName }, rttm?.fileName)
    }

    /// A name that is safe as a file in the scenario folder: letters, digits, `.-_`, one dot at least, no path.
    static func isPlainFileName(_ name: String) -> Bool {
        name.count <= 100 && !name.hasPrefix(".") && name.contains(".")
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}
