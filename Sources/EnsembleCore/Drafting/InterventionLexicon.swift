/// The clinical interventions Ensemble recognises in what clinicians say, shared by the NoteDrafter
/// and the GroupSummarizer (`Agents/interventions/lexicon.json`).
public struct InterventionLexicon: Sendable, Hashable {
    public struct Technique: Sendable, Hashable {
        public var id: String
        /// `DBT`, `CBT`, `MI`, `Family systems` …
        public var modality: String
        /// A short name for the group note (`TIPP skills`).
        public var name: String
        /// What the clinician did, as a clause after a subject (`taught the TIPP distress-tolerance skills`).
        public var description: String
        public var phrases: [String]
        /// Safety work (risk inquiry, safety planning, time-out agreements): written as its own sentence,
        /// so the confidentiality filter can withhold it from a note without taking other work with it.
        public var sensitive: Bool

        public init(
            id: String, modality: String, name: String, description: String, phrases: [String], sensitive: Bool = false
        ) {
            self.id = id
            self.modality = modality
            self.name = name
            self.description = description
            self.phrases = phrases
            self.sensitive = sensitive
        }
    }

    public var version: String
    public var techniques: [Technique]
    /// Words that show a clinician is speaking to the whole group (`everyone`, `let's`), so a sentence
    /// holding them is not read as a reply to the member who spoke last.
    public var groupAddress: [String]

    public init(version: String, techniques: [Technique], groupAddress: [String] = []) {
        self.version = version
        self.techniques = techniques
        self.groupAddress = groupAddress
    }
}
