public import EnsembleCore

/// Decodes `Agents/billing-reconciler/` (`rules.json`, `payers.json`, `interchange.json`); errors name
/// the file and the field.
public enum BillingConfigurationDecoder {
    public static func rules(
        _ bytes: [UInt8], file: String, payers payerBytes: [UInt8], payersFile: String
    ) throws(FormatError) -> BillingRules {
        let root = try DraftingConfigurationDecoder.root(bytes, file: file)
        var individual: [BillingRules.TimedCode] = []
        for row in try root.required("individual", expected: "the individual psychotherapy time table").array() {
            individual.append(
                BillingRules.TimedCode(
                    cpt: try self.cpt(row.required("cpt", expected: "a CPT code")),
                    minimumMinutes: try self.minutes(row.required("minimumMinutes", expected: "minutes"))
                ))
        }
        guard !individual.isEmpty else {
            throw try root.required("individual", expected: "").error(
                .invalidValue, "is empty; expected the time table")
        }
        let crisisField = try root.required("crisis", expected: "the crisis codes")
        let crisis = BillingRules.CrisisCodes(
            cpt: try self.cpt(crisisField.required("cpt", expected: "a CPT code")),
            minimumMinutes: try self.minutes(crisisField.required("minimumMinutes", expected: "minutes")),
            addOn: try self.cpt(crisisField.required("addOn", expected: "a CPT code")),
            firstAddOnMinutes: try self.minutes(crisisField.required("firstAddOnMinutes", expected: "minutes")),
            addOnBlockMinutes: max(1, try self.minutes(crisisField.required("addOnBlockMinutes", expected: "minutes")))
        )
        let family = try root.required("family", expected: "the family psychotherapy codes")
        let complexity = try root.required("interactiveComplexity", expected: "the interactive-complexity add-on")
        var fees: [String: Int] = [:]
        for (code, field) in try root.required("fees", expected: "an object of CPT code to charge").members() {
            guard let cents = self.cents(field) else {
                throw field.error(
                    .invalidValue, "expected a charge in dollars with at most two decimals, such as \"65.00\"")
            }
            fees[code] = cents
        }
        let diagnoses = try root.required("diagnoses", expected: "the diagnosis rules")
        return BillingRules(
            version: try DraftingConfigurationDecoder.version(root), individual: individual, crisis: crisis,
            familyWithPatient: try self.cpt(family.required("withPatient", expected: "a CPT code")),
            familyWithoutPatient: try self.cpt(family.required("withoutPatient", expected: "a CPT code")),
            familyMinimumMinutes: try self.minutes(family.required("minimumMinutes", expected: "minutes")),
            familyShortSessionSuggestsIndividual: try family.optional("suggestIndividualWhenShort")?.bool() ?? false,
            group: try self.cpt(root.required("group", expected: "a CPT code")),
            multipleFamilyGroup: try self.cpt(root.required("multipleFamilyGroup", expected: "a CPT code")),
            interactiveComplexity: try self.cpt(complexity.required("cpt", expected: "a CPT code")),
            interactiveComplexityAllowedWith: Set(
                try complexity.required("allowedWith", expected: "an array of CPT codes").strings()),
            feesInCents: fees,
            maximumDiagnosesPerClaim: try diagnoses.required("maximumPerClaim", expected: "a whole number").int(),
            maximumPointersPerLine: try diagnoses.required("maximumPointersPerLine", expected: "a whole number").int(),
            nonQualifyingDiagnosisPrefixes: try diagnoses.required(
                "nonQualifyingPrefixes", expected: "an array of code prefixes"
            ).strings(),
            categoriesNeedingMoreCharacters: Set(
                try diagnoses.required("categoriesNeedingMoreCharacters", expected: "an array of categories").strings()),
            telehealthPlacesOfService: Set(
                try root.required("telehealthPlacesOfService", expected: "an array of place-of-service codes")
                    .strings()),
            payers: try self.payers(payerBytes, file: payersFile)
        )
    }

    public static func payers(_ bytes: [UInt8], file: String) throws(FormatError) -> PayerRules {
        let root = try DraftingConfigurationDecoder.root(bytes, file: file)
        let fallbackField = try root.required("default", expected: "the default payer profile")
        let fallback = try self.profile(fallbackField, id: "default", base: nil)
        var profiles: [PayerProfile] = []
        var ids: Set<String> = ["default"]
        for field in try root.required("payers", expected: "an array of payer profiles").array() {
            let id = try field.required("id", expected: "the profile's id").text()
            guard ids.insert(id).inserted else { throw field.error(.inconsistent, "repeats the profile id \(id)") }
            let profile = try self.profile(field, id: id, base: fallback)
            guard !profile.payerIds.isEmpty || !profile.claimFilingIndicators.isEmpty else {
                throw field.error(
                    .missingField,
                    "needs match.payerIds or match.claimFilingIndicators to say which claims it applies to")
            }
            profiles.append(profile)
        }
        return PayerRules(
            version: try DraftingConfigurationDecoder.version(root), fallback: fallback, profiles: profiles)
    }

    /// A profile; with a base, every missing setting is the base's, and the default must name them all.
    private static func profile(_ field: JSONField, id: String, base: PayerProfile?) throws(FormatError)
        -> PayerProfile
    {
        /// The setting `key` in `container`, else the base profile's; the default (no base) must name it,
        /// and `required` then throws the error naming the missing field.
        func setting<T>(
            _ container: JSONField?, _ key: String, _ keyPath: KeyPath<PayerProfile, T>,
            _ read: (JSONField) throws(FormatError) -> T
        ) throws(FormatError) -> T {
            if let child = try container?.optional(key) { return try read(child) }
            if let base { return base[keyPath: keyPath] }
            return try read(
                try (container ?? field).required(key, expected: "a setting (the default profile names every one)"))
        }
        var profile = base ?? PayerProfile(id: id)
        profile.id = id
        let match = try field.optional("match")
        profile.payerIds = Set(try match?.optional("payerIds")?.strings() ?? [])
        profile.claimFilingIndicators = Set(try match?.optional("claimFilingIndicators")?.strings() ?? [])
        profile.claimFilingIndicator = try setting(field, "claimFilingIndicator", \.claimFilingIndicator) {
            f throws(FormatError) in
            let code = try f.text(expected: "an X12 claim filing indicator such as CI")
            guard ClaimChecks.claimFilingIndicators.contains(code) else {
                throw f.error(.invalidValue, "is not an X12 claim filing indicator (CI, MB, MC, BL, HM …)")
            }
            return code
        }
        let telehealth =
            base == nil
            ? try field.required("telehealth", expected: "the telehealth settings") : try field.optional("telehealth")
        profile.telehealthPlacesOfService = try setting(telehealth, "placesOfService", \.telehealthPlacesOfService) {
            f throws(FormatError) in Set(try f.strings())
        }
        profile.videoModifiers = try setting(telehealth, "videoModifiers", \.videoModifiers) { f throws(FormatError) in
            try self.modifiers(f)
        }
        profile.audioOnlyModifiers = try setting(telehealth, "audioOnlyModifiers", \.audioOnlyModifiers) {
            f throws(FormatError) in try self.modifiers(f)
        }
        profile.audioOnlyCovered = try setting(telehealth, "audioOnlyCovered", \.audioOnlyCovered) {
            f throws(FormatError) in try f.bool()
        }
        if field.node["maximumGroupSize"] != nil || base == nil {
            profile.maximumGroupSize = try field.optional("maximumGroupSize")?.int(expected: "a whole number or null")
        }
        profile.notCovered = try setting(field, "notCovered", \.notCovered) { f throws(FormatError) in
            Set(try f.strings())
        }
        profile.multipleFamilyUnit = try setting(field, "multipleFamilyUnit", \.multipleFamilyUnit) {
            f throws(FormatError) in
            try f.oneOf(MultipleFamilyBillingUnit.self)
        }
        profile.qualifyingDiagnosisRequired = try setting(
            field, "qualifyingDiagnosisRequired", \.qualifyingDiagnosisRequired
        ) {
            f throws(FormatError) in Set(try f.strings())
        }
        profile.cannotBePrimary = try setting(field, "cannotBePrimary", \.cannotBePrimary) { f throws(FormatError) in
            try f.strings().map(ClaimChecks.compactDiagnosis)
        }
        // Optional everywhere (added after the first payers.json): 59 unless a profile says otherwise.
        if let modifier = try field.optional("distinctServiceModifier") {
            let code = try modifier.text(expected: "a two-character modifier such as 59 or XU")
            guard code.count == 2 else { throw modifier.error(.invalidValue, "is not a two-character modifier") }
            profile.distinctServiceModifier = code
        }
        return profile
    }

    private static func modifiers(_ field: JSONField) throws(FormatError) -> [String] {
        let modifiers = try field.strings(expected: "an array of two-character modifiers")
        for modifier in modifiers where modifier.count != 2 {
            throw field.error(.invalidValue, "holds a modifier that is not two characters")
        }
        guard modifiers.count <= 4 else { throw field.error(.invalidValue, "holds more than 4 modifiers") }
        return modifiers
    }

    private static func cpt(_ field: JSONField) throws(FormatError) -> String {
        let code = try field.text(expected: "a five-character CPT or HCPCS code")
        guard code.count == 5, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }) else {
            throw field.error(.invalidValue, "expected a five-character CPT or HCPCS code")
        }
        return code
    }

    private static func minutes(_ field: JSONField) throws(FormatError) -> Int {
        let minutes = try field.int(expected: "a whole number of minutes")
        guard minutes >= 0 else { throw field.error(.invalidValue, "is negative; expected minutes") }
        return minutes
    }

    /// `"65.00"`, `"65"` or `65` → 6500; nil for anything else (negative, more than two decimals).
    static func cents(_ field: JSONField) -> Int? {
        if let number = field.node.number {
            let cents = (number * 100).rounded()
            return number >= 0 && abs(cents - number * 100) < 1e-6 ? Int(cents) : nil
        }
        guard let text = field.node.string else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int(parts[0]), whole >= 0, !parts[0].hasPrefix("-") else {
            return nil
        }
        guard parts.count == 2 else { return whole * 100 }
        let fraction = parts[1]
        guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isNumber), let value = Int(fraction) else {
            return nil
        }
        return whole * 100 + (fraction.count == 1 ? value * 10 : value)
    }

    public static func interchange(_ bytes: [UInt8], file: String) throws(FormatError) -> InterchangeSettings {
        let root = try DraftingConfigurationDecoder.root(bytes, file: file)
        let submitter = try root.required("submitter", expected: "the submitter (your practice or billing service)")
        let receiver = try root.required("receiver", expected: "the receiver (your clearinghouse)")
        func identifier(_ field: JSONField) throws(FormatError) -> String {
            let id = try field.required("id", expected: "the trading-partner id").text()
            guard id.count <= 15, id.allSatisfy({ $0.isASCII && !"*~:^".contains($0) }) else {
                throw try field.required("id", expected: "").error(
                    .invalidValue, "expected at most 15 plain characters (no * ~ : ^)")
            }
            return id
        }
        func qualifier(_ field: JSONField) throws(FormatError) -> String {
            let code = try field.optional("qualifier")?.text() ?? "ZZ"
            guard code.count == 2 else {
                throw try field.required("qualifier", expected: "").error(
                    .invalidValue, "expected a two-character ISA qualifier")
            }
            return code
        }
        let phoneField = try submitter.required("phone", expected: "the contact's phone number, 10 digits")
        let phone = try phoneField.text()
        guard ClaimChecks.isValidPhone(phone) else {
            throw phoneField.error(
                .invalidValue,
                "expected a 10-digit US phone number whose area and exchange codes do not start with 0 or 1")
        }
        let usage = try root.required("usage", expected: "test or production").text()
        guard usage == "test" || usage == "production" else {
            throw try root.required("usage", expected: "").error(.invalidValue, "expected test or production")
        }
        return InterchangeSettings(
            version: try DraftingConfigurationDecoder.version(root),
            submitterID: try identifier(submitter), submitterQualifier: try qualifier(submitter),
            submitterName: try submitter.optional("name")?.text(),
            contactName: try submitter.required("contactName", expected: "who answers for rejected files").text(),
            contactPhone: phone.filter(\.isNumber),
            receiverID: try identifier(receiver), receiverQualifier: try qualifier(receiver),
            receiverName: try receiver.required("name", expected: "the clearinghouse's name").text(),
            production: usage == "production",
            acknowledgmentRequested: try root.optional("acknowledgmentRequested")?.bool() ?? false
        )
    }
}
