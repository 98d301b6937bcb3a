/// The GroupSummarizer's configuration (`Agents/group-summarizer/`).
public struct GroupSummarizerConfiguration: Sendable, Hashable {
    public var version: String
    public var sectionTitles: [String: String]
    public var phrases: [String: String]
    public var supportPhrases: [String]
    public var conflictPhrases: [String]

    public init(
        version: String, sectionTitles: [String: String], phrases: [String: String], supportPhrases: [String],
        conflictPhrases: [String]
    ) {
        self.version = version
        self.sectionTitles = sectionTitles
        self.phrases = phrases
        self.supportPhrases = supportPhrases
        self.conflictPhrases = conflictPhrases
    }

    public func phrase(_ key: String, _ values: [String: String] = [:]) -> String {
        NoteDrafterConfiguration.fill(self.phrases, key, values)
    }

    public func title(_ key: String) -> String { self.sectionTitles[key] ?? key }
}
