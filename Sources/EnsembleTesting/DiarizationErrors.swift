public import EnsembleCore

/// The errors real diarization and speech recognition make, applied to a transcript whose truth is
/// known, at a controlled rate and with a seed, so attribution can be measured on each kind of error
/// (`ensemble`'s attribution report and its tests). The truth stays per utterance: the simulator only
/// changes labels and the spelling of names, never who said an utterance.
public enum DiarizationErrors {
    public enum Kind: String, Sendable, CaseIterable {
        /// One speaker's utterances spread over two labels (a third of them under a new one).
        case split
        /// Two speakers under one label for a stretch (a fifth of the session).
        case merge
        /// Two labels swap persons after a point (the last third of the session).
        case swap
        /// Two people on one device: both speakers' utterances under one new label.
        case sharedDevice
        /// Roster names spoken in the text misheard: a vowel or a consonant off (a third of them).
        case misspell
        /// Stretches with no label at all (a tenth of the utterances).
        case drop
    }

    /// `transcript` with one error of `kind`, choosing whom it hits with `seed`. Labels it invents are
    /// `SPEAKER_9n`. `names` are the roster's spoken names (first names, aliases) for `misspell`.
    public static func apply(_ kind: Kind, to transcript: Transcript, names: [String] = [], seed: UInt64) -> Transcript
    {
        var random = SplitMix64(seed: seed &+ UInt64(Kind.allCases.firstIndex(of: kind) ?? 0))
        var copy = transcript
        // Labels by how often they speak, most first; ties by first appearance, so a seed picks the same.
        var counts: [String: Int] = [:]
        var order: [String] = []
        for utterance in transcript.utterances {
            guard let label = utterance.label else { continue }
            if counts[label] == nil { order.append(label) }
            counts[label, default: 0] += 1
        }
        let labels = order.sorted {
            (counts[$0] ?? 0, -order.firstIndex(of: $0)!) > (counts[$1] ?? 0, -order.firstIndex(of: $1)!)
        }
        guard !labels.isEmpty else { return copy }
        let count = transcript.utterances.count
        func pick(_ candidates: [String]) -> String { candidates[random.next(below: candidates.count)] }
        switch kind {
        case .split:
            let victim = pick(Array(labels.prefix(4)))
            let indexes = copy.utterances.indices.filter { copy.utterances[$0].label == victim }
            // A third of the speaker's turns, in runs, as a diarizer's second cluster would take them.
            for (position, index) in indexes.enumerated() where position % 3 == 1 {
                copy.utterances[index].label = "SPEAKER_91"
            }
        case .merge:
            guard labels.count >= 2 else { return copy }
            let keep = labels[0]
            let absorbed = pick(Array(labels.dropFirst().prefix(4)))
            // A fifth of the session, starting at one of the absorbed speaker's turns.
            let length = max(count / 5, 1)
            let turns = copy.utterances.indices.filter { copy.utterances[$0].label == absorbed }
            let start = turns[random.next(below: turns.count)]
            for index in start..<min(start + length, count) where copy.utterances[index].label == absorbed {
                copy.utterances[index].label = keep
            }
        case .swap:
            guard labels.count >= 2 else { return copy }
            let first = pick(Array(labels.prefix(4)))
            let second = pick(labels.filter { $0 != first })
            for index in (count * 2 / 3)..<count {
                if copy.utterances[index].label == first {
                    copy.utterances[index].label = second
                } else if copy.utterances[index].label == second {
                    copy.utterances[index].label = first
                }
            }
        case .sharedDevice:
            guard labels.count >= 3 else { return copy }
            // Two speakers who are not the one speaking most (usually the clinician).
            let candidates = Array(labels.dropFirst())
            let first = pick(candidates)
            let second = pick(candidates.filter { $0 != first })
            for index in copy.utterances.indices
            where copy.utterances[index].label == first || copy.utterances[index].label == second {
                copy.utterances[index].label = "SPEAKER_92"
            }
        case .misspell:
            let spoken = names.filter { $0.count >= 3 }
            guard !spoken.isEmpty else { return copy }
            var occurrence = 0
            for index in copy.utterances.indices {
                var text = copy.utterances[index].text
                for name in spoken where text.contains(name) {
                    occurrence += 1
                    if occurrence % 3 == 0 { text = text.replacing(name, with: Self.misheard(name, random: &random)) }
                }
                copy.utterances[index].text = text
            }
        case .drop:
            let length = max(count / 10, 1)
            let start = random.next(below: max(count - length, 1))
            for index in start..<min(start + length, count) { copy.utterances[index].label = nil }
        }
        return copy
    }

    /// Every kind at the rate real diarization makes them in one session, as issue 20 sets them: names
    /// misheard (a third), one speaker split over two labels, one stretch merged, one shared device
    /// (only where three or more people speak: two people on separate microphones share none), and two
    /// labels swapped for the last third. Each step has its own seed.
    public static func realistic(_ transcript: Transcript, names: [String] = [], seed: UInt64) -> Transcript {
        var copy = transcript
        let speakers = Set(transcript.utterances.compactMap(\.label)).count
        let kinds: [Kind] =
            speakers >= 3 ? [.misspell, .split, .merge, .sharedDevice, .swap] : [.misspell, .split, .merge, .swap]
        for (step, kind) in kinds.enumerated() {
            copy = Self.apply(kind, to: copy, names: names, seed: seed &+ UInt64(step) &* 7919)
        }
        return copy
    }

    /// A name as speech recognition might mishear it: one vowel changed, or a consonant doubled or
    /// swapped for one that sounds alike (`Maria` → `Marea`, `Kevin` → `Kevan`, `Dana` → `Tana`).
    static func misheard(_ name: String, random: inout SplitMix64) -> String {
        var characters = Array(name)
        let vowels: [Character] = ["a", "e", "i", "o", "u"]
        let alike: [Character: Character] = [
            "d": "t", "t": "d", "b": "p", "p": "b", "k": "c", "c": "k", "s": "z", "z": "s", "m": "n", "n": "m",
            "g": "k", "v": "f", "f": "v",
        ]
        let vowelPositions = characters.indices.dropFirst().filter { vowels.contains(characters[$0]) }
        if random.next(below: 2) == 0, let position = vowelPositions.randomElement(using: &random) {
            let others = vowels.filter { $0 != characters[position] }
            characters[position] = others[random.next(below: others.count)]
        } else if let position = characters.indices.dropFirst().filter({ alike[characters[$0]] != nil }).first {
            characters[position] = alike[characters[position]]!
        } else if let position = vowelPositions.first {
            characters[position] = characters[position] == "a" ? "e" : "a"
        }
        return String(characters)
    }
}

extension SplitMix64: RandomNumberGenerator {}
