public import EnsembleCore

/// `expected.json`: what a correct run must produce, written by a person from the transcript.
public struct ExpectedOutcome: Sendable, Hashable {
    public struct Risk: Sendable, Hashable {
        public var clientId: PersonID
        public var category: String
        public var minimumLevel: String
    }

    public struct Claim: Sendable, Hashable {
        public var clientId: PersonID
        public var cpt: String
        /// The claim's status once drafted (notes unsigned); nil: `pendingSignature`.
        public var status: String? = nil
        /// Reason codes (`ClaimReason.Code`) the claim must carry.
        public var reasons: [String] = []
        /// The policyholder the claim must name, when it is not the patient.
        public var subscriber: PersonID? = nil
        /// The code a not-billable claim must offer instead.
        public var alternativeCpt: String? = nil
    }

    /// Label → person, or nil for `"unknown"`.
    public var speakers: [String: PersonID?]
    /// Utterance index → person, or nil for `"unknown"`.
    public var utterances: [Int: PersonID?]
    public var risk: [Risk]
    public var noRisk: [PersonID]
    public var claims: [Claim]
    /// The answer key says which claims a correct run proposes (`claims` is present, even if empty);
    /// without it only `noClaim` is checked.
    public var statesClaims = false
    public var noClaim: [PersonID]
    public var noAIDraft: [PersonID]
    public var mustNotAppear: [PersonID: [String]]
    /// Client id → strings that client's note must hold (case-insensitive): what a clinician would
    /// expect a correct note to say.
    public var mustAppear: [PersonID: [String]] = [:]

    public init(
        speakers: [String: PersonID?] = [:], utterances: [Int: PersonID?] = [:], risk: [Risk] = [],
        noRisk: [PersonID] = [],
        claims: [Claim] = [], noClaim: [PersonID] = [], noAIDraft: [PersonID] = [],
        mustNotAppear: [PersonID: [String]] = [:]
    ) {
        self.speakers = speakers
        self.utterances = utterances
        self.risk = risk
        self.noRisk = noRisk
        self.claims = claims
        self.noClaim = noClaim
        self.noAIDraft = noAIDraft
        self.mustNotAppear = mustNotAppear
    }

    /// The person each utterance should be attributed to: an explicit `utterances` entry, else its label's.
    public func expectedPerson(for utterance: Utterance) -> PersonID?? {
        if let explicit = self.utterances[utterance.index] { return .some(explicit) }
        if let label = utterance.label, let person = self.speakers[label] { return .some(person) }
        return .none
    }
}

public enum ExpectedDecoder {
    public static func decode(_ bytes: [UInt8], file: String) throws(FormatError) -> ExpectedOutcome {
        let decoded = try TextDecoding.decode(bytes, file: file)
        let root = JSONField(node: try JSONParser.parse(decoded.text, file: file), file: file)
        guard root.node.members != nil else { throw root.error(.wrongType, "expected a JSON object") }
        var outcome = ExpectedOutcome()
        func person(_ field: JSONField) throws(FormatError) -> PersonID? {
            let text = try field.text(expected: "an id or \"unknown\"")
            return text == "unknown" ? nil : PersonID(text)
        }
        if let speakers = try root.optional("speakers") {
            for (label, field) in try speakers.members(keysArePrivate: true) {
                outcome.speakers[label] = try person(field)
            }
        }
        if let utterances = try root.optional("utterances") {
            for (key, field) in try utterances.members() {
                guard let index = Int(key), index >= 0 else {
                    throw field.error(.invalidValue, "the key must be an utterance index (0, 1, 2 …)")
                }
                outcome.utterances[index] = try person(field)
            }
        }
        if let risk = try root.optional("risk") {
            for item in try risk.array() {
                outcome.risk.append(
                    ExpectedOutcome.Risk(
                        clientId: PersonID(try item.required("clientId", expected: "a clientId").text()),
                        category: try item.required("category", expected: "a risk category").text(),
                        minimumLevel: try item.required("minimumLevel", expected: "a risk level").text()
                    )
                )
            }
        }
        if let claims = try root.optional("claims") {
            outcome.statesClaims = true
            for item in try claims.array() {
                outcome.claims.append(
                    ExpectedOutcome.Claim(
                        clientId: PersonID(try item.required("clientId", expected: "a clientId").text()),
                        cpt: try item.required("cpt", expected: "a CPT code").text(),
                        status: try item.optional("status")?.text(),
                        reasons: try item.optional("reasons")?.strings() ?? [],
                        subscriber: try item.optional("subscriber").map { (field) throws(FormatError) in
                            PersonID(try field.text())
                        },
                        alternativeCpt: try item.optional("alternativeCpt")?.text()
                    )
                )
            }
        }
        outcome.noRisk = try root.optional("noRisk")?.strings().map(PersonID.init) ?? []
        outcome.noClaim = try root.optional("noClaim")?.strings().map(PersonID.init) ?? []
        outcome.noAIDraft = try root.optional("noAIDraft")?.strings().map(PersonID.init) ?? []
        if let mustNot = try root.optional("mustNotAppear") {
            for (id, field) in try mustNot.members() { outcome.mustNotAppear[PersonID(id)] = try field.strings() }
        }
        if let must = try root.optional("mustAppear") {
            for (id, field) in try must.members() { outcome.mustAppear[PersonID(id)] = try field.strings() }
        }
        return outcome
    }
}
