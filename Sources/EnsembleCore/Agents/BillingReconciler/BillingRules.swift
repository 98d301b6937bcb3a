/// The BillingReconciler's configuration (`Agents/billing-reconciler/`): the code table, the practice's
/// fee schedule and diagnosis rules (`rules.json`), and each payer's differences (`payers.json`).
/// Everything DOMAIN.md marks payer-specific or unconfirmed lives here, so a practice changes it without
/// recompiling.
public struct BillingRules: Sendable, Hashable {
    /// One row of the individual psychotherapy time table (DOMAIN.md 1.2).
    public struct TimedCode: Sendable, Hashable {
        public var cpt: String
        public var minimumMinutes: Int

        public init(cpt: String, minimumMinutes: Int) {
            self.cpt = cpt
            self.minimumMinutes = minimumMinutes
        }
    }

    /// Psychotherapy for crisis: the first code from `minimumMinutes`, then one add-on unit per block.
    public struct CrisisCodes: Sendable, Hashable {
        public var cpt: String
        public var minimumMinutes: Int
        public var addOn: String
        /// Minutes covered by the first code; each `addOnBlockMinutes` started past them is one add-on
        /// unit, counted from `firstAddOnMinutes` (75 → 1 unit, 105 → 2).
        public var firstAddOnMinutes: Int
        public var addOnBlockMinutes: Int

        public init(cpt: String, minimumMinutes: Int, addOn: String, firstAddOnMinutes: Int, addOnBlockMinutes: Int) {
            self.cpt = cpt
            self.minimumMinutes = minimumMinutes
            self.addOn = addOn
            self.firstAddOnMinutes = firstAddOnMinutes
            self.addOnBlockMinutes = addOnBlockMinutes
        }
    }

    public var version: String
    /// Individual psychotherapy by minutes, shortest first (90832 from 16, 90834 from 38, 90837 from 53).
    public var individual: [TimedCode]
    public var crisis: CrisisCodes
    public var familyWithPatient: String
    public var familyWithoutPatient: String
    public var familyMinimumMinutes: Int
    /// A family session below `familyMinimumMinutes` with the patient present offers the individual code
    /// its minutes reach as the alternative (`family.suggestIndividualWhenShort`; a suggestion only).
    public var familyShortSessionSuggestsIndividual: Bool
    public var group: String
    public var multipleFamilyGroup: String
    /// Interactive complexity and the primary codes it may be added to.
    public var interactiveComplexity: String
    public var interactiveComplexityAllowedWith: Set<String>
    /// The practice's charge per code, in cents.
    public var feesInCents: [String: Int]
    public var maximumDiagnosesPerClaim: Int
    public var maximumPointersPerLine: Int
    /// Diagnosis codes starting with these cannot be the only diagnosis on a psychotherapy claim (`Z`).
    public var nonQualifyingDiagnosisPrefixes: [String]
    /// Three-character ICD-10-CM categories that have subcodes: not billable as written (`F41`, `F33`).
    public var categoriesNeedingMoreCharacters: Set<String>
    /// Places of service that mean telehealth (`02`, `10`).
    public var telehealthPlacesOfService: Set<String>
    public var payers: PayerRules

    public init(
        version: String, individual: [TimedCode], crisis: CrisisCodes, familyWithPatient: String,
        familyWithoutPatient: String, familyMinimumMinutes: Int, familyShortSessionSuggestsIndividual: Bool = false,
        group: String, multipleFamilyGroup: String,
        interactiveComplexity: String, interactiveComplexityAllowedWith: Set<String>, feesInCents: [String: Int],
        maximumDiagnosesPerClaim: Int, maximumPointersPerLine: Int, nonQualifyingDiagnosisPrefixes: [String],
        categoriesNeedingMoreCharacters: Set<String>, telehealthPlacesOfService: Set<String>, payers: PayerRules
    ) {
        self.version = version
        self.individual = individual.sorted { $0.minimumMinutes < $1.minimumMinutes }
        self.crisis = crisis
        self.familyWithPatient = familyWithPatient
        self.familyWithoutPatient = familyWithoutPatient
        self.familyMinimumMinutes = familyMinimumMinutes
        self.familyShortSessionSuggestsIndividual = familyShortSessionSuggestsIndividual
        self.group = group
        self.multipleFamilyGroup = multipleFamilyGroup
        self.interactiveComplexity = interactiveComplexity
        self.interactiveComplexityAllowedWith = interactiveComplexityAllowedWith
        self.feesInCents = feesInCents
        self.maximumDiagnosesPerClaim = maximumDiagnosesPerClaim
        self.maximumPointersPerLine = maximumPointersPerLine
        self.nonQualifyingDiagnosisPrefixes = nonQualifyingDiagnosisPrefixes
        self.categoriesNeedingMoreCharacters = categoriesNeedingMoreCharacters
        self.telehealthPlacesOfService = telehealthPlacesOfService
        self.payers = payers
    }
}

/// How a multiple-family group is billed (DOMAIN.md 1.4, unconfirmed: sources disagree).
public enum MultipleFamilyBillingUnit: String, Sendable, Hashable, CaseIterable {
    /// One claim per family, under its identified patient.
    case family
    /// One claim per attending identified patient (siblings who are both patients are both billed).
    case patient
}

/// One payer's rules. Every field of a profile in `payers.json` is optional and falls back to the
/// default profile.
public struct PayerProfile: Sendable, Hashable {
    public var id: String
    /// Payer ids (X12 2010BB NM109) this profile applies to.
    public var payerIds: Set<String>
    /// Claim filing indicators (SBR09) this profile applies to when no payer id matched (`MB`, `MC`).
    public var claimFilingIndicators: Set<String>
    /// SBR09 when the coverage does not say.
    public var claimFilingIndicator: String
    /// Places of service this payer accepts for telehealth.
    public var telehealthPlacesOfService: Set<String>
    public var videoModifiers: [String]
    public var audioOnlyModifiers: [String]
    public var audioOnlyCovered: Bool
    /// Group psychotherapy: the most attending patients this payer pays for (Medicare contractors: 12).
    public var maximumGroupSize: Int?
    /// Codes this payer does not cover (Novitas: 90849).
    public var notCovered: Set<String>
    public var multipleFamilyUnit: MultipleFamilyBillingUnit
    /// Codes for which a Z-code-only diagnosis list is refused.
    public var qualifyingDiagnosisRequired: Set<String>
    /// Diagnosis codes (or prefixes ending in `*`) that cannot be the principal diagnosis for this payer.
    public var cannotBePrimary: [String]
    /// The modifier a separate and distinct second session the same day carries (`59`; `XU` for payers
    /// that want the X modifiers).
    public var distinctServiceModifier: String

    public init(
        id: String, payerIds: Set<String> = [], claimFilingIndicators: Set<String> = [],
        claimFilingIndicator: String = "CI", telehealthPlacesOfService: Set<String> = ["02", "10"],
        videoModifiers: [String] = ["95"], audioOnlyModifiers: [String] = ["93"], audioOnlyCovered: Bool = true,
        maximumGroupSize: Int? = nil, notCovered: Set<String> = [],
        multipleFamilyUnit: MultipleFamilyBillingUnit = .family,
        qualifyingDiagnosisRequired: Set<String> = [], cannotBePrimary: [String] = [],
        distinctServiceModifier: String = "59"
    ) {
        self.id = id
        self.payerIds = payerIds
        self.claimFilingIndicators = claimFilingIndicators
        self.claimFilingIndicator = claimFilingIndicator
        self.telehealthPlacesOfService = telehealthPlacesOfService
        self.videoModifiers = videoModifiers
        self.audioOnlyModifiers = audioOnlyModifiers
        self.audioOnlyCovered = audioOnlyCovered
        self.maximumGroupSize = maximumGroupSize
        self.notCovered = notCovered
        self.multipleFamilyUnit = multipleFamilyUnit
        self.qualifyingDiagnosisRequired = qualifyingDiagnosisRequired
        self.cannotBePrimary = cannotBePrimary
        self.distinctServiceModifier = distinctServiceModifier
    }

    /// Whether `code` is refused as principal: an exact code, or a prefix written `Z81*`.
    func refusesAsPrimary(_ code: String) -> Bool {
        self.cannotBePrimary.contains { rule in
            rule.hasSuffix("*") ? code.hasPrefix(rule.dropLast()) : code == rule
        }
    }
}

/// The payer profiles: a default and the payers that differ from it.
public struct PayerRules: Sendable, Hashable {
    public var version: String
    public var fallback: PayerProfile
    public var profiles: [PayerProfile]

    public init(version: String, fallback: PayerProfile, profiles: [PayerProfile]) {
        self.version = version
        self.fallback = fallback
        self.profiles = profiles
    }

    /// The profile for a coverage: by payer id first, then by claim filing indicator, else the default.
    public func profile(for coverage: Coverage?) -> PayerProfile {
        if let payerId = coverage?.payerId, let match = self.profiles.first(where: { $0.payerIds.contains(payerId) }) {
            return match
        }
        if let indicator = coverage?.claimFilingIndicator,
            let match = self.profiles.first(where: { $0.claimFilingIndicators.contains(indicator) })
        {
            return match
        }
        return self.fallback
    }
}
