public import EnsembleCore

/// `session.json`, decoded: the session plus where its transcript is.
public struct SessionDocument: Sendable, Hashable {
    public var session: Session
    /// `"transcript"`: the transcript file, or several single-speaker channel files to merge.
    public var transcriptFiles: [String]
    /// `"diarization"`: an RTTM file whose speaker turns label a transcript that has none.
    public var diarizationFile: String?
    /// `"conversation"`: which conversation to read from a file that holds several.
    public var conversation: String?

    public init(
        session: Session, transcriptFiles: [String] = [], diarizationFile: String? = nil, conversation: String? = nil
    ) {
        self.session = session
        self.transcriptFiles = transcriptFiles
        self.diarizationFile = diarizationFile
        self.conversation = conversation
    }
}

/// Decodes `session.json` as SCENARIO-FORMAT.md defines it. Unknown fields are ignored; a missing
/// required field or a wrong type is one error naming the file, the line, the field and what was
/// expected. Clinical data never gets a silent default: a missing consent record means no consent.
public enum SessionDecoder {
    public static func decode(_ bytes: [UInt8], file: String) throws(FormatError) -> SessionDocument {
        let decoded = try TextDecoding.decode(bytes, file: file)
        let root = JSONField(node: try JSONParser.parse(decoded.text, file: file), file: file)
        return try self.decode(root)
    }

    public static func decode(_ root: JSONField) throws(FormatError) -> SessionDocument {
        guard root.node.members != nil else {
            throw root.error(.wrongType, "expected a JSON object, found \(root.node.kindDescription)")
        }
        let id = SessionID(try self.identifier(root.required("sessionId", expected: "the session's id (a string)")))
        let kind = try root.required("kind", expected: "the kind of session").oneOf(SessionKind.self)
        let startField = try root.required(
            "start", expected: "an ISO 8601 date-time with offset, such as 2026-05-12T17:00:00-05:00")
        let endField = try root.required(
            "end", expected: "an ISO 8601 date-time with offset, such as 2026-05-12T18:30:00-05:00")
        let start = try self.timestamp(startField)
        let end = try self.timestamp(endField)
        guard end >= start else {
            throw endField.error(.inconsistent, "is before start; the session must end after it starts")
        }
        guard end - start <= 24 * 3600 else { throw endField.error(.inconsistent, "is more than 24 hours after start") }

        let modality = try root.optional("modality")?.oneOf(Modality.self)
        let placeOfService = try root.optional("placeOfService").map { field throws(FormatError) in try self.code(field)
        }
        let noteFormat = try root.optional("noteFormat")?.oneOf(NoteFormat.self) ?? .soap

        var clinicians: [Clinician] = []
        let clinicianFields = try root.required("clinicians", expected: "an array of clinicians").array()
        guard !clinicianFields.isEmpty else {
            throw try root.required("clinicians", expected: "").error(
                .invalidValue, "is empty; at least one clinician ran the session")
        }
        for (offset, field) in clinicianFields.enumerated() {
            clinicians.append(try self.clinician(field, isFirst: offset == 0))
        }

        var attendees: [Attendee] = []
        let attendeeFields = try root.required("attendees", expected: "an array of attendees").array()
        guard !attendeeFields.isEmpty else {
            throw try root.required("attendees", expected: "").error(
                .invalidValue, "is empty; a session has at least one attendee")
        }
        for field in attendeeFields { attendees.append(try self.attendee(field)) }

        // Ids are how everything downstream refers to people: they must be unique and resolvable.
        var seen: [PersonID: String] = [:]
        for (offset, clinician) in clinicians.enumerated() {
            if let first = seen[clinician.id] {
                throw clinicianFields[offset].error(.inconsistent, "id \(clinician.id) is already used by \(first)")
            }
            seen[clinician.id] = "clinicians[\(offset)]"
        }
        for (offset, attendee) in attendees.enumerated() {
            if let first = seen[attendee.id] {
                throw attendeeFields[offset].error(.inconsistent, "clientId \(attendee.id) is already used by \(first)")
            }
            seen[attendee.id] = "attendees[\(offset)]"
        }
        let attendeeIDs = Set(attendees.map(\.id))
        for (offset, attendee) in attendees.enumerated() {
            if let subscriber = attendee.coverage?.subscriber?.clientId, !attendeeIDs.contains(subscriber) {
                throw try attendeeFields[offset].required("coverage", expected: "").required("subscriber", expected: "")
                    .required("clientId", expected: "").error(
                        .inconsistent, "names no attendee on this session; give the policyholder's name instead")
            }
            if let related = attendee.relatedTo, !attendeeIDs.contains(related) {
                throw try attendeeFields[offset].required("relatedTo", expected: "").error(
                    .inconsistent, "names no attendee on this session; expected another attendee's clientId"
                )
            }
            if let minutes = attendee.minutesAttended, Double(minutes) > (end - start) / 60 + 1 {
                throw try attendeeFields[offset].required("minutesAttended", expected: "").error(
                    .inconsistent, "is longer than the session (\(Int(((end - start) / 60).rounded())) minutes)"
                )
            }
        }

        var hints: [SpeakerHint] = []
        if let hintsField = try root.optional("speakerHints") {
            for (label, field) in try hintsField.members(
                expected: "an object mapping speaker labels to ids", keysArePrivate: true)
            {
                let ids: [String]
                if field.node.string != nil {
                    ids = [try field.text(expected: "an id")]
                } else {
                    ids = try field.strings(expected: "an id, or an array of ids for a shared device")
                }
                guard !ids.isEmpty else { throw field.error(.invalidValue, "is empty; expected at least one id") }
                for id in ids where seen[PersonID(id)] == nil {
                    throw field.error(
                        .inconsistent, "names an id that is not on the roster; expected a clinician id or a clientId")
                }
                hints.append(SpeakerHint(label: label, people: ids.map(PersonID.init)))
            }
        }

        var transcriptFiles: [String] = []
        if let transcriptField = try root.optional("transcript") {
            if transcriptField.node.string != nil {
                transcriptFiles = [try self.fileName(transcriptField)]
            } else {
                for element in try transcriptField.array(expected: "a file name, or an array of channel file names") {
                    transcriptFiles.append(try self.fileName(element))
                }
                guard !transcriptFiles.isEmpty else {
                    throw transcriptField.error(.invalidValue, "is empty; expected a file name")
                }
            }
        }
        let diarization = try root.optional("diarization").map { field throws(FormatError) in try self.fileName(field) }
        let conversation = try root.optional("conversation").map { field throws(FormatError) -> String in
            if let number = field.node.number { return JSONWriter.format(number) }
            return try field.text(expected: "a conversation id")
        }

        let session = Session(
            id: id, kind: kind, title: try root.optional("title")?.string(), start: start, end: end, modality: modality,
            placeOfService: placeOfService, noteFormat: noteFormat,
            practice: try root.optional("practice").map(self.practice),
            clinicians: clinicians, attendees: attendees, speakerHints: hints,
            crisis: try root.optional("crisis")?.bool() ?? false,
            distinctService: try root.optional("distinctService")?.bool() ?? false
        )
        return SessionDocument(
            session: session, transcriptFiles: transcriptFiles, diarizationFile: diarization, conversation: conversation
        )
    }

    // MARK: - Parts

    private static func timestamp(_ field: JSONField) throws(FormatError) -> Timestamp {
        let expected = "an ISO 8601 date-time with an offset, such as 2026-05-12T17:00:00-05:00"
        guard let timestamp = Timestamp(iso8601: try field.string(expected: expected)) else {
            throw field.error(.invalidValue, "expected \(expected)")
        }
        return timestamp
    }

    private static func date(_ field: JSONField) throws(FormatError) -> CalendarDate {
        guard let date = CalendarDate(iso8601: try field.string(expected: "a date, YYYY-MM-DD")) else {
            throw field.error(.invalidValue, "expected a real date, YYYY-MM-DD")
        }
        return date
    }

    /// A code such as a place of service: a string, or a number written without quotes.
    private static func code(_ field: JSONField) throws(FormatError) -> String {
        if let number = field.node.number, number.rounded() == number { return Digits.padded(Int(number), 2) }
        return try field.text(expected: "a code")
    }

    private static func fileName(_ field: JSONField) throws(FormatError) -> String {
        let name = try field.text(expected: "a file name in the scenario folder")
        guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw field.error(.invalidValue, "must name a file inside the scenario folder")
        }
        return name
    }

    /// A session, clinician or client id. Any printable text up to 128 characters, so an EHR's own ids
    /// (with spaces, `/`, `%`, `#` or any script) are kept as they are; control characters and the
    /// path names `.` and `..` (which no URL can carry) are refused.
    static func identifier(_ field: JSONField) throws(FormatError) -> String {
        let id = try field.text()
        guard id.count <= 128, id.utf8.count <= 512 else {
            throw field.error(.invalidValue, "expected an id of at most 128 characters")
        }
        guard id != "." && id != ".." else { throw field.error(.invalidValue, "an id cannot be . or ..") }
        guard !id.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw field.error(.invalidValue, "an id cannot hold control characters (tabs, line breaks, escapes)")
        }
        return id
    }

    private static func clinician(_ field: JSONField, isFirst: Bool) throws(FormatError) -> Clinician {
        // The first clinician is the primary one unless the file says otherwise.
        let role = try field.optional("role")?.oneOf(ClinicianRole.self) ?? (isFirst ? .primary : .coTherapist)
        return Clinician(
            id: PersonID(try self.identifier(field.required("id", expected: "the clinician's id"))),
            name: try field.required("name", expected: "the clinician's name").text(),
            credentials: try field.optional("credentials")?.string(),
            npi: try field.optional("npi").map { f throws(FormatError) in try self.code(f) },
            role: role,
            taxonomy: try field.optional("taxonomy")?.text(expected: "a provider taxonomy code such as 101YM0800X")
        )
    }

    private static func attendee(_ field: JSONField) throws(FormatError) -> Attendee {
        let consent: Consent? = try field.optional("consent").map { consent throws(FormatError) in
            Consent(
                aiDrafting: try consent.required("aiDrafting", expected: "true or false").bool(),
                part2: try consent.optional("part2")?.bool() ?? false,
                paymentDisclosure: try consent.optional("paymentDisclosure")?.bool()
            )
        }
        let minutes = try field.optional("minutesAttended")?.int(expected: "a whole number of minutes")
        if let minutes, minutes < 0, let minutesField = try field.optional("minutesAttended") {
            throw minutesField.error(.invalidValue, "is negative; expected a whole number of minutes")
        }
        var diagnoses: [String] = []
        if let diagnosesField = try field.optional("diagnoses") {
            for element in try diagnosesField.array(expected: "an array of ICD-10-CM codes") {
                diagnoses.append(try element.text(expected: "an ICD-10-CM code such as F41.1"))
            }
        }
        var measures: [Measure] = []
        if let measuresField = try field.optional("measures") {
            for element in try measuresField.array(expected: "an array of measures") {
                let item9 = try element.optional("item9")?.int(expected: "the PHQ-9 item 9 answer, 0 to 3")
                if let item9, !(0...3).contains(item9), let item9Field = try element.optional("item9") {
                    throw item9Field.error(.invalidValue, "expected 0, 1, 2 or 3")
                }
                measures.append(
                    Measure(
                        instrument: try element.required("instrument", expected: "the instrument's name, such as PHQ-9")
                            .text(),
                        score: try element.optional("score")?.number(), item9: item9,
                        date: try element.optional("date").map(self.date)
                    )
                )
            }
        }
        var aliases: [String] = []
        if let aliasesField = try field.optional("aliases") {
            aliases = try aliasesField.strings(expected: "an array of names")
        }
        return Attendee(
            id: PersonID(try self.identifier(field.required("clientId", expected: "the attendee's client id"))),
            name: try field.required("name", expected: "the attendee's name").text(),
            aliases: aliases,
            role: try field.required("role", expected: "the attendee's role").oneOf(AttendeeRole.self),
            relationship: try field.optional("relationship")?.text(expected: "a relationship such as mother"),
            relatedTo: try field.optional("relatedTo").map { f throws(FormatError) in
                PersonID(try f.text(expected: "a clientId"))
            },
            present: try field.required("present", expected: "true or false (whether the attendee attended)").bool(),
            minutesAttended: minutes,
            dateOfBirth: try field.optional("dateOfBirth").map(self.date),
            diagnoses: diagnoses,
            consent: consent,
            coverage: try field.optional("coverage").map(self.coverage),
            treatmentPlan: try field.optional("treatmentPlan").map(self.treatmentPlan),
            measures: measures,
            previousNoteSummary: try field.optional("previousNoteSummary")?.string(),
            noteFormat: try field.optional("noteFormat")?.oneOf(NoteFormat.self),
            sex: try field.optional("sex").map(self.sex),
            address: try field.optional("address").map(self.address),
            interactiveComplexity: try field.optional("interactiveComplexity")?.oneOf(
                InteractiveComplexityFactor.self),
            pronouns: try field.optional("pronouns")?.text(expected: "pronouns such as she, he or they")
        )
    }

    /// `F`, `M`, `U`, or the words `female`, `male`, `unknown`.
    private static func sex(_ field: JSONField) throws(FormatError) -> AdministrativeSex {
        let text = try field.text(expected: "F, M or U")
        switch text.lowercased() {
        case "f", "female": return .female
        case "m", "male": return .male
        case "u", "unknown": return .unknown
        default: throw field.error(.invalidValue, "expected F, M or U (female, male, unknown)")
        }
    }

    private static func subscriber(_ field: JSONField) throws(FormatError) -> Subscriber {
        let subscriber = Subscriber(
            clientId: try field.optional("clientId").map { f throws(FormatError) in
                PersonID(try f.text(expected: "a clientId"))
            },
            name: try field.optional("name")?.text(expected: "the policyholder's name"),
            dateOfBirth: try field.optional("dateOfBirth").map(self.date),
            sex: try field.optional("sex").map(self.sex),
            address: try field.optional("address").map(self.address)
        )
        guard subscriber.clientId != nil || subscriber.name != nil else {
            throw field.error(.missingField, "needs clientId (a policyholder on the roster) or name")
        }
        return subscriber
    }

    private static func coverage(_ field: JSONField) throws(FormatError) -> Coverage {
        Coverage(
            payerName: try field.optional("payerName")?.string(),
            payerId: try field.optional("payerId").map { f throws(FormatError) in try self.code(f) },
            memberId: try field.optional("memberId").map { f throws(FormatError) in try self.code(f) },
            subscriberRelationship: try field.optional("subscriberRelationship")?.string(),
            groupNumber: try field.optional("groupNumber").map { f throws(FormatError) in try self.code(f) },
            claimFilingIndicator: try field.optional("claimFilingIndicator")?.string(),
            subscriber: try field.optional("subscriber").map(self.subscriber),
            sequence: try field.optional("sequence")?.text(expected: "primary, secondary or tertiary")
        )
    }

    private static func treatmentPlan(_ field: JSONField) throws(FormatError) -> TreatmentPlan {
        var goals: [Goal] = []
        for goal in try field.required("goals", expected: "an array of goals").array() {
            var objectives: [Objective] = []
            if let objectivesField = try goal.optional("objectives") {
                for objective in try objectivesField.array() {
                    objectives.append(
                        Objective(
                            id: try objective.required("id", expected: "the objective's id").text(),
                            text: try objective.required("text", expected: "the objective's text").text()
                        )
                    )
                }
            }
            goals.append(
                Goal(
                    id: try goal.required("id", expected: "the goal's id").text(),
                    text: try goal.required("text", expected: "the goal's text").text(), objectives: objectives
                )
            )
        }
        return TreatmentPlan(id: try field.optional("id")?.text() ?? "", goals: goals)
    }

    private static func practice(_ field: JSONField) throws(FormatError) -> Practice {
        Practice(
            name: try field.optional("name")?.string(),
            npi: try field.optional("npi").map { f throws(FormatError) in try self.code(f) },
            taxId: try field.optional("taxId").map { f throws(FormatError) in try self.code(f) },
            address: try field.optional("address").map(self.address),
            taxonomy: try field.optional("taxonomy")?.text(expected: "a provider taxonomy code such as 261QM0801X")
        )
    }

    private static func address(_ field: JSONField) throws(FormatError) -> Address {
        var line1 = try field.optional("line1")?.string()
        if line1 == nil { line1 = try field.optional("street")?.string() }
        var postal = try field.optional("postalCode")
        if postal == nil { postal = try field.optional("zip") }
        return Address(
            line1: line1,
            line2: try field.optional("line2")?.string(),
            city: try field.optional("city")?.string(),
            state: try field.optional("state")?.string(),
            postalCode: try postal.map { f throws(FormatError) in try self.code(f) }
        )
    }
}
