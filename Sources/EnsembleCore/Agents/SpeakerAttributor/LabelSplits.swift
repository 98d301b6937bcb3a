/// Many labels to one person: a diarizer often splits one voice into several clusters. Two labels are
/// taken for one voice when the same person is clearly the best binding for each of them on its own,
/// they never speak over each other, and they do not converse (one answering the other's questions).
extension AttributionRun {
    /// The best person for a label on its own evidence, and the margin by which they beat both the
    /// next person and `unknown`.
    func bestPerson(row: Int) -> (person: Int, margin: Double)? {
        var top: (person: Int, score: Double)? = nil
        var second = -Double.infinity
        for person in self.people.indices where self.canSpeak(person) {
            let score = self.score(row: row, person: person).total
            if let current = top, score <= current.score {
                second = max(second, score)
            } else {
                if let current = top { second = max(second, current.score) }
                top = (person, score)
            }
        }
        guard let top else { return nil }
        let margin = top.score - max(second, self.weights.unknownPrior)
        return margin > 0 ? (top.person, margin) : nil
    }

    /// Secondary label → the label it is split from, for labels that are one voice. Labels covering
    /// several people, and labels named for a person (handled by `addSplitLabels`), are left alone.
    func splitLabels(shared: [Int: [Int]]) -> [Int: Int] {
        let threshold = self.weights.splitLabelMargin
        let rows = self.labels.indices.filter { shared[$0] == nil }
        let best = Dictionary(
            uniqueKeysWithValues: rows.compactMap { row in self.bestPerson(row: row).map { (row, $0) } })
        // Larger labels first: a split takes the smaller cluster into the larger one.
        let ordered = rows.sorted {
            (self.utterancesOfLabel[$0].count, -$0) > (self.utterancesOfLabel[$1].count, -$1)
        }
        // A label is one person's second only when there are more labels than people to speak under
        // them: with someone present still silent, a second label is more likely theirs.
        let covered = Set(shared.values.flatMap { $0 })
        let speakers = self.people.indices.filter { self.canSpeak($0) && !covered.contains($0) }.count
        let spare = rows.count - speakers
        var primaryOf: [Int: Int] = [:]
        for (position, row) in ordered.enumerated() where self.readings[row].names.isEmpty {
            guard primaryOf.count < spare else { break }
            guard let mine = best[row], mine.margin >= threshold else { continue }
            for candidate in ordered.prefix(position) where primaryOf[candidate] == nil {
                guard let theirs = best[candidate], theirs.person == mine.person, theirs.margin >= threshold else {
                    continue
                }
                guard self.neverOverlap(candidate, row), !self.converse(candidate, row) else { continue }
                primaryOf[row] = candidate
                break
            }
        }
        return primaryOf
    }

    /// Whether no utterance of one label overlaps one of the other's in time by more than half a second.
    func neverOverlap(_ first: Int, _ second: Int) -> Bool {
        let utterances = self.segmented.utterances
        let a = self.utterancesOfLabel[first].filter { utterances[$0].duration != nil }
        let b = self.utterancesOfLabel[second].filter { utterances[$0].duration != nil }
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            let x = utterances[a[i]]
            let y = utterances[b[j]]
            let overlap = min(x.end!, y.end!) - max(x.start!, y.start!)
            if overlap > 0.5 { return false }
            if x.end! < y.end! { i += 1 } else { j += 1 }
        }
        return true
    }

    /// Whether the two labels talk to each other: at least twice one asks a question and the other
    /// answers straight after.
    func converse(_ first: Int, _ second: Int) -> Bool {
        var exchanges = 0
        var previous: Int? = nil
        for index in self.segmented.utterances.indices where self.segmented.isSpeech[index] {
            guard let row = self.labelOf[index] else {
                previous = nil
                continue
            }
            if let previous, let before = self.labelOf[previous],
                (before == first && row == second) || (before == second && row == first),
                self.style[previous].questions > 0, self.style[index].questions == 0
            {
                exchanges += 1
                if exchanges >= 2 { return true }
            }
            previous = index
        }
        return false
    }

    /// Binds each secondary label to the person its primary label was bound to, with a finding.
    mutating func bindSplitLabels(_ primaryOf: [Int: Int], to choices: inout [Choice]) {
        for (row, primary) in primaryOf.sorted(by: { $0.key < $1.key }) {
            guard let person = choices[primary].person, let own = self.bestPerson(row: row), own.person == person
            else {
                choices[row] = Choice(person: nil, confidence: 0, bestGuess: self.bestPerson(row: row)?.person)
                continue
            }
            let confidence = min(
                choices[primary].confidence, Math.logistic(self.weights.confidenceSlope * (own.margin + 1)))
            guard confidence >= self.configuration.confidenceThreshold else {
                choices[row] = Choice(person: nil, confidence: confidence, bestGuess: person)
                continue
            }
            choices[row] = Choice(person: person, confidence: confidence, bestGuess: person)
            self.findings.append(
                Finding(
                    code: .speakerSplitAcrossLabels, severity: .info, person: self.people[person].id,
                    label: self.labels[row],
                    message: "This label reads as the same voice as the label first heard at utterance "
                        + "\(self.utterancesOfLabel[primary].first ?? 0) (the same person is the clear best for each, "
                        + "they never speak at once and never answer each other); both were bound to "
                        + "\(self.people[person].id).",
                    evidence: [self.utterancesOfLabel[primary].first, self.utterancesOfLabel[row].first].compactMap {
                        $0
                    }
                )
            )
        }
    }

    /// Several labels left over and one person: they are that person's voice split by the diarizer when
    /// no two of them speak at once or answer each other, each has spoken at least twice, and every other
    /// label is bound with confidence.
    mutating func addSplitElimination(_ rows: [Int], to choices: inout [Choice], shared: [Int: [Int]]) {
        guard rows.count <= 3, rows.allSatisfy({ self.labelStyle[$0].utterances >= 2 }) else { return }
        let bound = Set(choices.compactMap(\.person)).union(shared.values.flatMap { $0 })
        let left = self.people.indices.filter { self.canSpeak($0) && !bound.contains($0) }
        guard left.count == 1, let person = left.first else { return }
        let assigned = choices.compactMap { $0.person == nil ? nil : $0.confidence }
        guard !assigned.isEmpty, assigned.allSatisfy({ $0 >= self.configuration.confidenceThreshold }) else { return }
        for (offset, first) in rows.enumerated() {
            for second in rows.dropFirst(offset + 1) {
                guard self.neverOverlap(first, second), !self.converse(first, second) else { return }
            }
        }
        guard rows.allSatisfy({ self.score(row: $0, person: person).total > -0.5 }),
            !self.speaksElsewhere(person, than: rows)
        else { return }
        // None of them may clearly be someone else's voice.
        guard
            rows.allSatisfy({ row in
                self.bestPerson(row: row).map { $0.person == person || $0.margin < self.weights.splitLabelMargin }
                    ?? true
            })
        else { return }
        for row in rows {
            choices[row] = Choice(
                person: person, confidence: self.weights.eliminationConfidence, bestGuess: person, viaElimination: true)
        }
        self.findings.append(
            Finding(
                code: .speakerSplitAcrossLabels, severity: .info, person: self.people[person].id,
                label: self.labels[rows[0]],
                message: "\(rows.count) labels (first heard at utterances "
                    + "\(rows.compactMap { self.utterancesOfLabel[$0].first }.map(String.init).joined(separator: ", "))) "
                    + "are the only ones left and \(self.people[person].id) the only person; they never speak at once "
                    + "or answer each other, so they were read as one voice the diarizer split, and bound to "
                    + "\(self.people[person].id).",
                evidence: rows.compactMap { self.utterancesOfLabel[$0].first }))
    }
}
