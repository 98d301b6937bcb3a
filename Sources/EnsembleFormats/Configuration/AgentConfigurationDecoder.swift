public import EnsembleCore

/// Decodes the agents' versioned configuration files from `Agents/`.
public enum AgentConfigurationDecoder {
    public static func segmenter(_ bytes: [UInt8], file: String) throws(FormatError) -> SegmenterConfiguration {
        let root = try self.root(bytes, file: file)
        var kinds: [SegmenterConfiguration.SegmentKind] = []
        for kind in try root.required("segments", expected: "an array of segment kinds").array() {
            kinds.append(
                SegmenterConfiguration.SegmentKind(
                    name: try kind.required("name", expected: "the segment kind's name").text(),
                    position: try kind.optional("position")?.oneOf(SegmenterConfiguration.SegmentKind.Position.self)
                        ?? .any,
                    openers: try kind.optional("openers")?.strings() ?? [],
                    cues: try kind.optional("cues")?.strings() ?? []
                )
            )
        }
        return SegmenterConfiguration(
            version: try root.required("version", expected: "the configuration version").text(),
            abbreviations: try root.optional("abbreviations")?.strings() ?? [],
            kinds: kinds,
            fallbackKind: try root.required(
                "fallbackKind", expected: "the name of the segment used where no phrase speaks"
            ).text(),
            openerWeight: try root.required("openerWeight", expected: "a number").number(),
            cueWeight: try root.required("cueWeight", expected: "a number").number(),
            switchPenalty: try root.required("switchPenalty", expected: "a number").number(),
            minimumUtterances: try root.required("minimumUtterances", expected: "a whole number").int(),
            cueRun: try root.optional("cueRun")?.int() ?? 0
        )
    }

    /// The attributor's settings (`agent.json`) and its lexicon (`lexicon.json`).
    public static func attributor(
        settings: [UInt8], settingsFile: String, lexicon: [UInt8], lexiconFile: String
    ) throws(FormatError) -> AttributorConfiguration {
        let root = try self.root(settings, file: settingsFile)
        let weightsField = try root.required("weights", expected: "an object of weights")
        func weight(_ name: String) throws(FormatError) -> Double {
            try weightsField.required(name, expected: "a number").number()
        }
        /// A cost in log-odds: a positive number (zero too where `zero` says so).
        func cost(_ name: String, zero: Bool = false) throws(FormatError) -> Double {
            let field = try weightsField.required(name, expected: "a number")
            let value = try field.number()
            guard value > 0 || (zero && value == 0) else {
                throw field.error(.invalidValue, zero ? "expected a number of 0 or more" : "expected a number above 0")
            }
            return value
        }
        /// Evidence against a person, 0 or below; optional, so a folder written before it still loads.
        func penalty(_ name: String, default value: Double) throws(FormatError) -> Double {
            guard let field = try weightsField.optional(name) else { return value }
            let number = try field.number()
            guard number <= 0 else { throw field.error(.invalidValue, "expected a number of 0 or less") }
            return number
        }
        /// Evidence for a person, 0 or above; optional, so a folder written before it still loads.
        func support(_ name: String, default value: Double) throws(FormatError) -> Double {
            guard let field = try weightsField.optional(name) else { return value }
            let number = try field.number()
            guard number >= 0 else { throw field.error(.invalidValue, "expected a number of 0 or more") }
            return number
        }
        let weights = AttributorConfiguration.Weights(
            speakerHint: try weight("speakerHint"), exactName: try weight("exactName"),
            firstNameOrAlias: try weight("firstNameOrAlias"), nickname: try weight("nickname"),
            lastNameOnly: try weight("lastNameOnly"), initialAndLastName: try weight("initialAndLastName"),
            fuzzyName: try weight("fuzzyName"), roleLabel: try weight("roleLabel"),
            relationshipLabel: try weight("relationshipLabel"), selfIntroduction: try weight("selfIntroduction"),
            addressedBefore: try weight("addressedBefore"), thankedAfter: try weight("thankedAfter"),
            addressesOther: try weight("addressesOther"), mentionsOther: try weight("mentionsOther"),
            relationshipPhrase: try weight("relationshipPhrase"),
            relationshipContradiction: try weight("relationshipContradiction"), ageTopic: try weight("ageTopic"),
            clinicianStyle: try weight("clinicianStyle"), contentSaturation: try weight("contentSaturation"),
            confidenceSlope: try weight("confidenceSlope"), eliminationConfidence: try weight("eliminationConfidence"),
            sharedDeviceEvidence: try weight("sharedDeviceEvidence"),
            sameSpeakerContinuation: try weight("sameSpeakerContinuation"),
            sharedLabelContinuation: try weight("sharedLabelContinuation"),
            addressesOtherInUtterance: try weight("addressesOtherInUtterance"),
            unknownPrior: try weight("unknownPrior"),
            splitLabelMargin: try weight("splitLabelMargin"),
            mentionsOtherInUtterance: try weight("mentionsOtherInUtterance"),
            answersMention: try weight("answersMention"),
            brokenOffContinuation: try weight("brokenOffContinuation"),
            answersAddressInUtterance: try weight("answersAddressInUtterance"),
            ownWords: try weight("ownWords"),
            labelChangeEvidence: try weight("labelChangeEvidence"),
            labelChangeStyleLean: try weight("labelChangeStyleLean"),
            intrudingLine: try weight("intrudingLine"),
            conversationLabelChange: try cost("conversationLabelChange", zero: true),
            conversationIntrusion: try cost("conversationIntrusion"),
            conversationStyle: try weight("conversationStyle"),
            conversationSwap: try cost("conversationSwap", zero: true),
            conversationPronouns: try weight("conversationPronouns"),
            conversationSilentClient: try cost("conversationSilentClient", zero: true),
            pronounReferent: try penalty("pronounReferent", default: -1.0),
            jointEliminationMargin: try support("jointEliminationMargin", default: 0.3)
        )
        let threshold = try root.required("confidenceThreshold", expected: "a number between 0 and 1")
        let thresholdValue = try threshold.number()
        guard (0.5...1).contains(thresholdValue) else {
            throw threshold.error(.invalidValue, "expected a number from 0.5 to 1")
        }

        let words = try self.root(lexicon, file: lexiconFile)
        func list(_ name: String) throws(FormatError) -> [String] {
            try words.required(name, expected: "an array of strings").strings()
        }
        func map(_ name: String) throws(FormatError) -> [String: [String]] {
            var result: [String: [String]] = [:]
            for (key, field) in try words.required(name, expected: "an object of string arrays").members() {
                result[key] = try field.strings()
            }
            return result
        }
        var phrases: [AttributorConfiguration.RelationshipPhrase] = []
        for item in try words.required("relationshipPhrases", expected: "an array of phrases").array() {
            phrases.append(
                AttributorConfiguration.RelationshipPhrase(
                    phrase: try item.required("phrase", expected: "the phrase").text(),
                    speakerIs: try item.optional("speakerIs")?.strings() ?? [],
                    isStatement: try item.optional("statement")?.bool() ?? false,
                    speakerIsAdult: try item.optional("adult")?.bool() ?? false,
                    weight: try item.optional("weight")?.number() ?? 1,
                    speakerIsNot: try item.optional("speakerIsNot")?.strings() ?? [],
                    about: try item.optional("about")?.strings() ?? []
                )
            )
            if phrases.last!.speakerIs.isEmpty && phrases.last!.speakerIsNot.isEmpty {
                throw item.error(
                    .missingField,
                    "expected `speakerIs` or `speakerIsNot`: the relationships the speaker may or may not have")
            }
        }
        var clinicianPhrases: [AttributorConfiguration.WeightedPhrase] = []
        for item in try words.required("clinicianPhrases", expected: "an array of phrases").array() {
            clinicianPhrases.append(
                AttributorConfiguration.WeightedPhrase(
                    phrase: try item.required("phrase", expected: "the phrase").text(),
                    weight: try item.optional("weight")?.number() ?? 1
                )
            )
        }
        let lexiconValue = AttributorConfiguration.Lexicon(
            titles: try list("titles"), femaleTitles: try list("femaleTitles"), maleTitles: try list("maleTitles"),
            credentials: try list("credentials"), labelNoise: try list("labelNoise"),
            anonymousLabelPatterns: try list("anonymousLabelPatterns"), clinicianLabels: try list("clinicianLabels"),
            coTherapistLabels: try list("coTherapistLabels"), clientLabels: try list("clientLabels"),
            guestLabels: try list("guestLabels"), childLabels: try list("childLabels"),
            relationshipWords: try map("relationshipWords"), femaleRelationships: try list("femaleRelationships"),
            maleRelationships: try list("maleRelationships"), adultRelationships: try list("adultRelationships"),
            parentSpouses: try words.optional("parentSpouses") == nil ? [:] : try map("parentSpouses"),
            relationshipPhrases: phrases,
            selfIntroductions: try list("selfIntroductions"), handOffs: try list("handOffs"),
            thanks: try list("thanks"),
            clinicianPhrases: clinicianPhrases, childTopics: try list("childTopics"),
            adultTopics: try list("adultTopics"),
            commonWordNames: try list("commonWordNames"), nicknames: try map("nicknames"),
            groupWords: try words.optional("groupWords")?.strings() ?? [],
            denials: try words.optional("denials")?.strings() ?? [],
            echoIgnore: try words.optional("echoIgnore")?.strings() ?? [],
            answerOpeners: try words.optional("answerOpeners")?.strings() ?? [],
            continuationOpeners: try words.optional("continuationOpeners")?.strings() ?? []
        )
        let settingsVersion = try root.required("version", expected: "the configuration version").text()
        let lexiconVersion = try words.required("version", expected: "the lexicon version").text()
        let minimumAge = try root.required("minimumSpeakingAge", expected: "an age in whole years").int()
        var sharedLabelClearLines = 3
        if let field = try root.optional("sharedLabelClearLines") {
            sharedLabelClearLines = try field.int(expected: "a whole number of lines")
            guard sharedLabelClearLines >= 2 else { throw field.error(.invalidValue, "expected 2 or more lines") }
        }
        return AttributorConfiguration(
            version: "\(settingsVersion)+lexicon.\(lexiconVersion)", confidenceThreshold: thresholdValue,
            minimumSpeakingAge: minimumAge, weights: weights, lexicon: lexiconValue,
            minimumSpanUtterances: try root.optional("minimumSpanUtterances")?.int() ?? 3,
            sharedLabelClearLines: sharedLabelClearLines
        )
    }

    private static func root(_ bytes: [UInt8], file: String) throws(FormatError) -> JSONField {
        let decoded = try TextDecoding.decode(bytes, file: file)
        let root = JSONField(node: try JSONParser.parse(decoded.text, file: file), file: file)
        guard root.node.members != nil else { throw root.error(.wrongType, "expected a JSON object") }
        return root
    }
}
