/// A clinician's correction of who spoke under one label: the label's utterances are theirs (or, with no
/// person, nobody's: `unknown`).
public struct SpeakerCorrection: Sendable, Hashable {
    public var label: String
    public var person: PersonID?

    public init(label: String, person: PersonID?) {
        self.label = label
        self.person = person
    }
}

extension Attribution {
    /// The attribution with each corrected label bound as the clinician said, at confidence 1: the
    /// label's speech utterances move to that person, talk time is counted again, and the label's
    /// findings are replaced by one saying it was corrected. Labels not named are unchanged.
    public func correcting(
        _ corrections: [SpeakerCorrection], segmented: SegmentedTranscript, roster: Roster
    ) -> Attribution {
        guard !corrections.isEmpty else { return self }
        var corrected = self
        let byLabel = Dictionary(corrections.map { ($0.label, $0.person) }, uniquingKeysWith: { $1 })
        for index in corrected.speakers.indices {
            guard let person = byLabel[corrected.speakers[index].label] else { continue }
            corrected.speakers[index].person = person
            corrected.speakers[index].sharedBy = []
            corrected.speakers[index].confidence = person == nil ? 0 : 1
            corrected.speakers[index].signals = []
            corrected.speakers[index].bestGuess = nil
        }
        for index in corrected.utterances.indices where corrected.utterances[index].method != .nonSpeech {
            let utterance = corrected.utterances[index].index
            guard let label = segmented.utterances[utterance].label, let person = byLabel[label] else { continue }
            corrected.utterances[index] = UtteranceAttribution(
                index: utterance, person: person, confidence: person == nil ? 0 : 1, method: .corrected)
        }
        corrected.talk = AttributionRun.talk(
            utterances: corrected.utterances, segmented: segmented, people: roster.people)
        corrected.findings.removeAll { $0.label.map { byLabel[$0] != nil } ?? false }
        // Someone who now speaks is no longer silent.
        let speaking = Set(corrected.talk.filter { $0.utterances > 0 }.map(\.person))
        corrected.findings.removeAll { $0.code == .presentAttendeeSilent && $0.person.map(speaking.contains) == true }
        for correction in corrections {
            corrected.findings.append(
                Finding(
                    code: .speakerCorrected, severity: .info, person: correction.person, label: correction.label,
                    message: correction.person.map { "A clinician bound a speaker label to \($0) in review." }
                        ?? "A clinician marked a speaker label as nobody on the roster in review."))
        }
        return corrected
    }
}
