public import EnsembleCore

/// A FHIR Coding: a code from a code system, with its display.
public struct FHIRCoding: Sendable, Hashable {
    public var system: String
    public var code: String
    public var display: String?

    public init(system: String, code: String, display: String? = nil) {
        self.system = system
        self.code = code
        self.display = display
    }

    var json: JSONNode {
        .object([("system", .string(self.system)), ("code", .string(self.code)), ("display", .string(self.display))])
    }

    /// A CodeableConcept holding this coding only.
    var concept: JSONNode { .object([("coding", .array([self.json]))]) }
}

/// How sessions map onto FHIR R4 where the specification leaves it open (`Agents/fhir/mapping.json`):
/// document types, identifier systems, participant types, security labels, measure codes.
public struct FHIRMapping: Sendable {
    public struct IdentifierSystems: Sendable {
        public var client, clinician, session, claim, payer, member, goal, plan, device: String
    }

    public var version: String
    public var identifiers: IdentifierSystems
    public var noteType: FHIRCoding
    public var groupNoteType: FHIRCoding
    public var transcriptType: FHIRCoding
    public var noteCategory: FHIRCoding
    public var encounterClass: [Modality: FHIRCoding]
    public var clinicianParticipantType: [ClinicianRole: FHIRCoding]
    public var familyParticipantType: FHIRCoding
    public var aiLabel: FHIRCoding
    /// The AI agent's role in a Provenance, when one is set.
    public var aiAgentRole: FHIRCoding?
    /// The AI Device's type (the AI Transparency guide's `Artificial-Intelligence`).
    public var aiDeviceType: FHIRCoding
    public var part2Labels: [FHIRCoding]
    /// Labels on every attendee's note (a confidentiality code such as `R`, a sensitivity such as `PSY`).
    public var noteLabels: [FHIRCoding]
    /// Labels on the session's documents: the group or family note and the transcript.
    public var sessionDocumentLabels: [FHIRCoding]
    public var part2Policy: String
    public var aiDraftingPolicy: String
    /// By instrument name as the session names it (`PHQ-9`, `GAD-7`, `PHQ-9 item 9`).
    public var measures: [String: FHIRCoding]
    /// PHQ-9 item 9's answers, 0 to 3, as codings (LOINC's answer list); empty sends the number.
    public var item9Answers: [FHIRCoding]
    public var riskCategorySystem: String
    /// The code system of the session's kind in `Encounter.type` (group, family, couples …).
    public var sessionKindSystem: String
    /// The base of Ensemble's own extension URLs (`<base>/claim-status`).
    public var extensionBase: String

    public static func decode(_ bytes: [UInt8], file: String) throws(FormatError) -> FHIRMapping {
        let root = try DraftingConfigurationDecoder.root(bytes, file: file)
        func coding(_ field: JSONField) throws(FormatError) -> FHIRCoding {
            let system = try field.required("system", expected: "a code system URI").text()
            guard system.contains(":") else {
                throw try field.required("system", expected: "").error(
                    .invalidValue, "expected a URI such as http://loinc.org")
            }
            return FHIRCoding(
                system: system, code: try field.required("code", expected: "a code").text(),
                display: try field.optional("display")?.text())
        }
        func uri(_ field: JSONField) throws(FormatError) -> String {
            let text = try field.text(expected: "a URI")
            guard text.contains(":"), !text.contains(" ") else {
                throw field.error(.invalidValue, "expected a URI such as urn:your-ehr:client-id")
            }
            return text
        }
        let systems = try root.required("identifierSystems", expected: "the identifier systems")
        func system(_ key: String) throws(FormatError) -> String {
            try uri(try systems.required(key, expected: "a URI for the \(key) identifiers"))
        }
        let classes = try root.required("encounterClass", expected: "the Encounter class for each modality")
        var encounterClass: [Modality: FHIRCoding] = [:]
        for modality in Modality.allCases {
            encounterClass[modality] = try coding(
                try classes.required(modality.rawValue, expected: "the Encounter class coding"))
        }
        let participants = try root.required(
            "clinicianParticipantType", expected: "the Encounter participant type for each clinician role")
        var participantType: [ClinicianRole: FHIRCoding] = [:]
        for role in ClinicianRole.allCases {
            participantType[role] = try coding(
                try participants.required(role.rawValue, expected: "the participant type coding"))
        }
        var measures: [String: FHIRCoding] = [:]
        for (name, field) in try root.required("measures", expected: "LOINC codes by instrument").members() {
            measures[name] = try coding(field)
        }
        return FHIRMapping(
            version: try DraftingConfigurationDecoder.version(root),
            identifiers: IdentifierSystems(
                client: try system("client"), clinician: try system("clinician"), session: try system("session"),
                claim: try system("claim"), payer: try system("payer"), member: try system("member"),
                goal: try system("goal"), plan: try system("plan"), device: try system("device")),
            noteType: try coding(try root.required("noteType", expected: "the note's LOINC document type")),
            groupNoteType: try coding(try root.required("groupNoteType", expected: "the group note's document type")),
            transcriptType: try coding(try root.required("transcriptType", expected: "the transcript's document type")),
            noteCategory: try coding(try root.required("noteCategory", expected: "the DocumentReference category")),
            encounterClass: encounterClass, clinicianParticipantType: participantType,
            familyParticipantType: try coding(
                try root.required("familyParticipantType", expected: "the participant type of family members")),
            aiLabel: try coding(try root.required("aiLabel", expected: "the AI security label (AIAST)")),
            aiAgentRole: try root.optional("aiAgentRole").map { (field) throws(FormatError) in try coding(field) },
            aiDeviceType: try coding(try root.required("aiDeviceType", expected: "the AI Device's type")),
            part2Labels: try root.required("part2Labels", expected: "the Part 2 security labels").array().map {
                (field) throws(FormatError) in try coding(field)
            },
            noteLabels: try root.required("noteLabels", expected: "the labels on every note").array().map {
                (field) throws(FormatError) in try coding(field)
            },
            sessionDocumentLabels: try root.required(
                "sessionDocumentLabels", expected: "the labels on the group note and the transcript"
            ).array().map { (field) throws(FormatError) in try coding(field) },
            part2Policy: try uri(try root.required("part2Policy", expected: "the Part 2 policy URI")),
            aiDraftingPolicy: try uri(try root.required("aiDraftingPolicy", expected: "the AI-drafting policy URI")),
            measures: measures,
            item9Answers: try root.optional("item9Answers")?.array().map { (field) throws(FormatError) in
                try coding(field)
            } ?? [],
            riskCategorySystem: try uri(try root.required("riskCategorySystem", expected: "a URI")),
            sessionKindSystem: try uri(try root.required("sessionKindSystem", expected: "a URI")),
            extensionBase: try uri(try root.required("extensionBase", expected: "a URI"))
        )
    }
}
