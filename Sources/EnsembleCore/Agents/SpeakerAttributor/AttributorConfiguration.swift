/// The SpeakerAttributor's versioned configuration, loaded from `Agents/speaker-attributor/`.
///
/// Every weight is a score in log-odds-like units: the assignment adds them per label and person, and
/// confidence is a logistic function of the margin by which the chosen person beats the best alternative.
public struct AttributorConfiguration: Sendable, Hashable {
    public struct Weights: Sendable, Hashable {
        public var speakerHint: Double
        public var exactName: Double
        public var firstNameOrAlias: Double
        public var nickname: Double
        public var lastNameOnly: Double
        public var initialAndLastName: Double
        public var fuzzyName: Double
        public var roleLabel: Double
        public var relationshipLabel: Double
        public var selfIntroduction: Double
        public var addressedBefore: Double
        public var thankedAfter: Double
        public var addressesOther: Double
        public var mentionsOther: Double
        public var relationshipPhrase: Double
        public var relationshipContradiction: Double
        public var ageTopic: Double
        public var clinicianStyle: Double
        /// Largest total any one kind of content signal can contribute for one label and person.
        public var contentSaturation: Double
        /// Slope of the logistic mapping from score margin to confidence.
        public var confidenceSlope: Double
        /// Confidence given to the last label and the last present person when everyone else is matched.
        public var eliminationConfidence: Double
        /// Content evidence for an unmatched person inside an already-matched label that marks the label as shared.
        public var sharedDeviceEvidence: Double
        /// Log-odds bonus for the same person speaking again in consecutive utterances of a transcript
        /// without labels (captions split one person's speech into many cues).
        public var sameSpeakerContinuation: Double
        /// The same for consecutive utterances of one shared label; a device's consecutive cues are as
        /// often a change of speaker as not, so this is usually zero.
        public var sharedLabelContinuation: Double
        /// What naming someone says against the speaker being them, when one utterance is resolved alone.
        public var addressesOtherInUtterance: Double
        /// The score binding a label must clear before it beats `unknown`: one weak cue is not enough.
        public var unknownPrior: Double
        /// The margin by which one person must be the best binding for each of two labels, on each
        /// label's own evidence, before the two are read as one voice split by the diarizer.
        public var splitLabelMargin: Double
        /// What naming someone in the third person says against the speaker being them, when one
        /// utterance is resolved alone (people rarely speak of themselves by name).
        public var mentionsOtherInUtterance: Double
        /// For a line of a shared label: answering, in the first person with a denial or the same verb,
        /// the line just before that spoke of one candidate (`Mom yelled` → `I did not yell`).
        public var answersMention: Double
        /// Log-odds of the same speaker going on in the next utterance of a shared label when this one
        /// breaks off mid-sentence (a diarizer cut a turn in two).
        public var brokenOffContinuation: Double
        /// For one line of a shared label: the line just before handed the floor to the person by name
        /// (`Jenna, how were the mornings?`).
        public var answersAddressInUtterance: Double
        /// For an unsure line of a shared label: it uses a word that, in the whole session, only one of
        /// the people on the device has said (in lines resolved to them).
        public var ownWords: Double
        /// The evidence the lines of a label must give, from some line on, for one other person over
        /// the person it is bound to before the label is cut in two spans (0 turns this off).
        public var labelChangeEvidence: Double
        /// Between a clinician and someone else, the mean lean per line (style included) that lets a
        /// label change hands without two clear cues.
        public var labelChangeStyleLean: Double
        /// How far one line under a bound label must lean to someone else (and not at all to the label's
        /// person) to be left unknown: a second voice merged in for a turn.
        public var intrudingLine: Double
        /// Reading a two-person conversation whole: what it costs a label to change its value (to the
        /// other person, or to holding both voices), in log-odds.
        public var conversationLabelChange: Double
        /// Reading a two-person conversation whole: how unlikely, in log-odds, a line is to be someone
        /// other than the person its label stands for there.
        public var conversationIntrusion: Double
        /// Reading a two-person conversation whole: how much each line's own clinician style (questions,
        /// clinician phrases, `you` over `I`) counts, against the same figures summed over a label.
        public var conversationStyle: Double
        /// Reading a two-person conversation whole: what it costs every label to trade people at once (a
        /// diarizer's clusters swapping), in log-odds.
        public var conversationSwap: Double
        /// Reading a conversation whole: what it costs, in log-odds, that no label stands for a client
        /// who is present (a present client is expected to speak).
        public var conversationSilentClient: Double
        /// Reading a two-person conversation whole: how much each `you` over `I` in a line (up to three)
        /// leans it to the clinician, and each `I` over `you` to the client.
        public var conversationPronouns: Double
        /// A line speaking of one present client as `she` or `he` (the only one who goes by it), when
        /// one utterance is resolved alone: a little evidence that the speaker is someone else.
        public var pronounReferent: Double
        /// As many labels left unbound as people: how far the one-to-one reading of their evidence must
        /// favour each pairing over any other for all of them to be bound together. 0 turns it off.
        public var jointEliminationMargin: Double

        public init(
            speakerHint: Double, exactName: Double, firstNameOrAlias: Double, nickname: Double, lastNameOnly: Double,
            initialAndLastName: Double, fuzzyName: Double, roleLabel: Double, relationshipLabel: Double,
            selfIntroduction: Double, addressedBefore: Double, thankedAfter: Double, addressesOther: Double,
            mentionsOther: Double, relationshipPhrase: Double, relationshipContradiction: Double, ageTopic: Double,
            clinicianStyle: Double, contentSaturation: Double, confidenceSlope: Double,
            eliminationConfidence: Double, sharedDeviceEvidence: Double, sameSpeakerContinuation: Double,
            sharedLabelContinuation: Double, addressesOtherInUtterance: Double, unknownPrior: Double,
            splitLabelMargin: Double = 1.0, mentionsOtherInUtterance: Double = -1.5, answersMention: Double = 1.5,
            brokenOffContinuation: Double = 2.5, answersAddressInUtterance: Double = 2.2,
            ownWords: Double = 1.0, labelChangeEvidence: Double = 4.0,
            labelChangeStyleLean: Double = 1.0, intrudingLine: Double = 2.5,
            conversationLabelChange: Double = 6.0, conversationIntrusion: Double = 6.0,
            conversationStyle: Double = 2.0, conversationSwap: Double = 8.0,
            conversationPronouns: Double = 0.25, conversationSilentClient: Double = 6.0,
            pronounReferent: Double = -1.0, jointEliminationMargin: Double = 0.3
        ) {
            self.pronounReferent = pronounReferent
            self.jointEliminationMargin = jointEliminationMargin
            self.speakerHint = speakerHint
            self.exactName = exactName
            self.firstNameOrAlias = firstNameOrAlias
            self.nickname = nickname
            self.lastNameOnly = lastNameOnly
            self.initialAndLastName = initialAndLastName
            self.fuzzyName = fuzzyName
            self.roleLabel = roleLabel
            self.relationshipLabel = relationshipLabel
            self.selfIntroduction = selfIntroduction
            self.addressedBefore = addressedBefore
            self.thankedAfter = thankedAfter
            self.addressesOther = addressesOther
            self.mentionsOther = mentionsOther
            self.relationshipPhrase = relationshipPhrase
            self.relationshipContradiction = relationshipContradiction
            self.ageTopic = ageTopic
            self.clinicianStyle = clinicianStyle
            self.contentSaturation = contentSaturation
            self.confidenceSlope = confidenceSlope
            self.eliminationConfidence = eliminationConfidence
            self.sharedDeviceEvidence = sharedDeviceEvidence
            self.sameSpeakerContinuation = sameSpeakerContinuation
            self.sharedLabelContinuation = sharedLabelContinuation
            self.addressesOtherInUtterance = addressesOtherInUtterance
            self.unknownPrior = unknownPrior
            self.splitLabelMargin = splitLabelMargin
            self.mentionsOtherInUtterance = mentionsOtherInUtterance
            self.answersMention = answersMention
            self.brokenOffContinuation = brokenOffContinuation
            self.answersAddressInUtterance = answersAddressInUtterance
            self.ownWords = ownWords
            self.labelChangeEvidence = labelChangeEvidence
            self.labelChangeStyleLean = labelChangeStyleLean
            self.intrudingLine = intrudingLine
            self.conversationLabelChange = conversationLabelChange
            self.conversationIntrusion = conversationIntrusion
            self.conversationStyle = conversationStyle
            self.conversationSwap = conversationSwap
            self.conversationPronouns = conversationPronouns
            self.conversationSilentClient = conversationSilentClient
        }
    }

    /// A phrase that tells what the speaker is to someone (`my son` → the speaker is a parent).
    public struct RelationshipPhrase: Sendable, Hashable {
        public var phrase: String
        /// Relationships (to the identified patient) the speaker may have; `self` is the identified patient.
        public var speakerIs: [String]
        /// Counts as a role statement (`as his mother`) and weighs double.
        public var isStatement: Bool
        /// Only an adult says it (`my son`): a minor is never the speaker, whatever the relationship.
        public var speakerIsAdult: Bool
        /// How much the phrase counts; `my mom` is weak, because everyone's mother can be talked about.
        public var weight: Double
        /// Relationships the speaker cannot have (`his mother knew`: not the mother). Such a phrase only
        /// counts against those people, and only when no longer phrase (`I'm his mother`) holds it.
        public var speakerIsNot: [String]
        /// Relationships of the person the phrase speaks of (`my husband` → `husband`), for telling whom
        /// the next line answers.
        public var about: [String]

        public init(
            phrase: String, speakerIs: [String], isStatement: Bool = false, speakerIsAdult: Bool = false,
            weight: Double = 1, speakerIsNot: [String] = [], about: [String] = []
        ) {
            self.about = about
            self.phrase = phrase
            self.speakerIs = speakerIs
            self.speakerIsNot = speakerIsNot
            self.isStatement = isStatement
            self.speakerIsAdult = speakerIsAdult
            self.weight = weight
        }
    }

    public struct WeightedPhrase: Sendable, Hashable {
        public var phrase: String
        public var weight: Double

        public init(phrase: String, weight: Double) {
            self.phrase = phrase
            self.weight = weight
        }
    }

    public struct Lexicon: Sendable, Hashable {
        /// Honorifics dropped from labels and recognised before names (`dr`, `mrs`).
        public var titles: [String]
        public var femaleTitles: [String]
        public var maleTitles: [String]
        /// Credentials dropped from labels (`lcsw`, `phd`).
        public var credentials: [String]
        /// Device and platform words dropped from labels (`iphone`, `zoom`, `guest`).
        public var labelNoise: [String]
        /// Patterns of anonymous diarization labels; `#` stands for digits, `@` for one letter.
        public var anonymousLabelPatterns: [String]
        public var clinicianLabels: [String]
        public var coTherapistLabels: [String]
        /// Labels for the identified patient in individual, family and couples sessions.
        public var clientLabels: [String]
        /// Labels for the non-billed attendees of a family session (`patient_guest`, `family`).
        public var guestLabels: [String]
        /// Labels naming the identified patient by age role (`teen`, `son`).
        public var childLabels: [String]
        /// Relationship → words a label or a vocative may use for it (`mother` → `mom`, `mum`).
        public var relationshipWords: [String: [String]]
        public var femaleRelationships: [String]
        public var maleRelationships: [String]
        /// Relationships that make a person an adult when their date of birth is not on the roster.
        public var adultRelationships: [String]
        /// A parent who is also a spouse when the child's other parent is on the roster:
        /// `mother` → [`father`, `wife`] (so `my husband` fits the mother when the father is present).
        public var parentSpouses: [String: [String]]
        /// Phrases that tell what the speaker is (`my son` → a parent).
        public var relationshipPhrases: [RelationshipPhrase]
        /// Words before a name that make it a self-introduction (`i'm`, `my name is`).
        public var selfIntroductions: [String]
        /// Words before a name that hand the floor to that person (`go ahead`, `how about you`).
        public var handOffs: [String]
        /// Words before a name that thank the previous speaker (`thank you`, `good point`).
        public var thanks: [String]
        public var clinicianPhrases: [WeightedPhrase]
        public var childTopics: [String]
        public var adultTopics: [String]
        /// First names that are also common words (`will`, `hope`, `drew`); they need capitals or a comma.
        public var commonWordNames: [String]
        /// Given name → short forms people use (`michael` → `mike`).
        public var nicknames: [String: [String]]
        /// Words that make a summary bullet about the whole group (`everyone`, `the group`).
        public var groupWords: [String]
        /// Words of denial (`not`, `never`, `didn't`): a first-person line with one answers what the
        /// line before said of someone.
        public var denials: [String]
        /// Words too common to count as a line echoing the one before it (`I knew` after `his mother knew`).
        public var echoIgnore: [String]
        /// Words that open a line answering the one before it as `I` does (`Because if he doesn't …`).
        public var answerOpeners: [String]
        /// Openings that carry on the same speaker's account in the next utterance (`and then`).
        public var continuationOpeners: [String]

        public init(
            titles: [String], femaleTitles: [String], maleTitles: [String], credentials: [String],
            labelNoise: [String], anonymousLabelPatterns: [String], clinicianLabels: [String],
            coTherapistLabels: [String], clientLabels: [String], guestLabels: [String], childLabels: [String],
            relationshipWords: [String: [String]], femaleRelationships: [String], maleRelationships: [String],
            adultRelationships: [String], parentSpouses: [String: [String]] = [:],
            relationshipPhrases: [RelationshipPhrase], selfIntroductions: [String],
            handOffs: [String],
            thanks: [String], clinicianPhrases: [WeightedPhrase], childTopics: [String], adultTopics: [String],
            commonWordNames: [String], nicknames: [String: [String]], groupWords: [String] = [],
            denials: [String] = [], echoIgnore: [String] = [], answerOpeners: [String] = [],
            continuationOpeners: [String] = []
        ) {
            self.titles = titles
            self.femaleTitles = femaleTitles
            self.maleTitles = maleTitles
            self.credentials = credentials
            self.labelNoise = labelNoise
            self.anonymousLabelPatterns = anonymousLabelPatterns
            self.clinicianLabels = clinicianLabels
            self.coTherapistLabels = coTherapistLabels
            self.clientLabels = clientLabels
            self.guestLabels = guestLabels
            self.childLabels = childLabels
            self.relationshipWords = relationshipWords
            self.femaleRelationships = femaleRelationships
            self.maleRelationships = maleRelationships
            self.adultRelationships = adultRelationships
            self.parentSpouses = parentSpouses
            self.relationshipPhrases = relationshipPhrases
            self.selfIntroductions = selfIntroductions
            self.handOffs = handOffs
            self.thanks = thanks
            self.clinicianPhrases = clinicianPhrases
            self.childTopics = childTopics
            self.adultTopics = adultTopics
            self.commonWordNames = commonWordNames
            self.nicknames = nicknames
            self.groupWords = groupWords
            self.denials = denials
            self.echoIgnore = echoIgnore
            self.answerOpeners = answerOpeners
            self.continuationOpeners = continuationOpeners
        }
    }

    public var version: String
    /// Below this confidence a label or utterance is `unknown`.
    public var confidenceThreshold: Double
    /// People younger than this (from their date of birth) are never taken to be speaking.
    public var minimumSpeakingAge: Int
    /// The fewest utterances on each side of a change of person inside one label.
    public var minimumSpanUtterances: Int
    /// The fewest lines of a label, spread from its first third to its last, that must point clearly to
    /// a second person before the label is read as two people on one device.
    public var sharedLabelClearLines: Int
    public var weights: Weights
    public var lexicon: Lexicon

    public init(
        version: String, confidenceThreshold: Double, minimumSpeakingAge: Int, weights: Weights, lexicon: Lexicon,
        minimumSpanUtterances: Int = 3, sharedLabelClearLines: Int = 3
    ) {
        self.version = version
        self.confidenceThreshold = confidenceThreshold
        self.minimumSpeakingAge = minimumSpeakingAge
        self.minimumSpanUtterances = max(1, minimumSpanUtterances)
        self.sharedLabelClearLines = max(2, sharedLabelClearLines)
        self.weights = weights
        self.lexicon = lexicon
    }
}
