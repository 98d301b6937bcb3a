/// A conversation between few people read as a whole, line by line, with each diarization label as
/// fallible evidence rather than a fixed binding.
///
/// Every line has a speaker, and every label has a value at each moment: one of the people, or two of
/// them together (a label that holds two voices for a while: mixed). The hidden state is the speaker of the
/// line and the current value of every label; forward–backward over it gives, for each line, how likely
/// each person said it and, for each label, what it stands for where it speaks. What moves the state:
/// - a line under a label with value `p` was said by `p`, but for a rare intruding line;
/// - a label keeps its value, and changing it costs as much as a few clear cues (a diarizer swapping
///   voices, merging two for a stretch, a device handed over);
/// - speakers take turns about as often as the labels do (a line that breaks off mid-sentence is, in a
///   conversation, as often interrupted as carried on, so it counts for neither);
/// - each line's own content (clinician style, names, roles) leans to someone.
///
/// So one voice split over two labels needs nothing special (both labels take the same value); a swap is
/// a change of value partway; a merged stretch is a stretch of a two-person value, where turn-taking and
/// content decide each line. Used where it is exact and cheap: few people and few labels.
extension AttributionRun {
    struct ConversationReading {
        /// Per speech line (in `lines` order): the probability of each candidate having said it.
        var speaker: [[Double]]
        /// Per speech line with a label: the probability of each value of that label there (each
        /// candidate alone, then each two of them together, as `members` lists them).
        var labelValue: [[Double]?]
        /// The candidates (as positions in `candidates`) each label value stands for.
        var members: [[Int]]
        var lines: [Int]
        var candidates: [Int]
    }

    /// The largest state space read this way: values^labels × people.
    static let conversationStateLimit = 4096

    /// Reads the whole conversation among `candidates`, or nil when it is too large to read exactly.
    func readConversation(candidates: [Int]) -> ConversationReading? {
        let n = candidates.count
        let rows = self.labels.count
        guard n >= 2, rows >= 1 else { return nil }
        // A label's value: one person (0..<n), or two of them holding the label together (n...).
        var members: [[Int]] = (0..<n).map { [$0] }
        for a in 0..<n { for b in (a + 1)..<n { members.append([a, b]) } }
        let values = members.count
        func value(of people: [Int]) -> Int { members.firstIndex(of: people.sorted())! }
        var mappings = 1
        for _ in 0..<rows {
            mappings *= values
            if mappings * n > Self.conversationStateLimit { return nil }
        }
        let lines = self.segmented.utterances.indices.filter { self.segmented.isSpeech[$0] }
        guard lines.count >= 2 else { return nil }
        let position = Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($1, $0) })
        let change = self.weights.conversationLabelChange
        let swapCost = self.weights.conversationSwap
        let intrusion = self.weights.conversationIntrusion
        let fitting = Math.log(1 - Math.exp(-intrusion))
        let intruding = -intrusion - Math.log(Double(n - 1))
        let mixedLine = -Math.log(2)
        let intrudingMixed = -intrusion - (n > 2 ? Math.log(Double(n - 2)) : 0)

        // How often the labels change between neighbouring lines: the turn-taking rate.
        var pairs = 0
        var turns = 0
        for (previous, next) in zip(lines, lines.dropFirst()) {
            guard let a = self.labelOf[previous], let b = self.labelOf[next] else { continue }
            pairs += 1
            if a != b { turns += 1 }
        }
        let turnRate = min(0.9, max(0.35, pairs == 0 ? 0.6 : Double(turns) / Double(pairs)))
        let stay = Math.log(1 - turnRate)
        let move = Math.log(turnRate / Double(n - 1))
        // Each line's own lean, and each label's prior value from the label itself (names, roles, hints).
        let styleScale = self.weights.conversationStyle
        let emissions = lines.map { index in
            var scores = self.emission(of: index, candidates: candidates, position: position, styleAware: false)
            let figures = self.style[index]
            let pronouns = Double(max(-3, min(3, figures.secondPerson - figures.firstPerson)))
            let value =
                styleScale
                * (0.8 * Double(min(figures.questions, 2)) + 0.5 * min(figures.clinicianPhraseWeight, 2) + self.weights
                    .conversationPronouns * pronouns)
            for (slot, person) in candidates.enumerated() {
                scores[slot] += self.people[person].isClinician ? value : -0.5 * value
            }
            return scores
        }
        // What a label's own text says (a name, a role) is one piece of evidence about the label, counted
        // for the value it starts with and again for the value it ends with, so a named label that
        // trades places pays for it; a hint is the clinician's word and also makes each line under the
        // label less likely to be someone else's.
        var prior = [[Double]](repeating: [Double](repeating: 0, count: values), count: rows)
        var hinted = [[Double]](repeating: [Double](repeating: 0, count: values), count: rows)
        for row in 0..<rows {
            for (slot, person) in candidates.enumerated() {
                guard let kinds = self.evidence[Assignment.Pair(row: row, column: person)] else { continue }
                prior[row][slot] = kinds.reduce(0.0) { sum, entry in
                    (entry.key.isContent || entry.key == .clinicianStyle) ? sum : sum + entry.value.raw
                }
                hinted[row][slot] = kinds[.speakerHint]?.raw ?? 0
            }
            for pair in n..<values { prior[row][pair] = -change }
            for hint in self.hints where self.row(forHint: hint.label) == row {
                let slots = candidates.indices.filter { slot in hint.people.contains(self.people[candidates[slot]].id) }
                guard slots.count == 2 else { continue }
                prior[row][value(of: slots)] = 0
                hinted[row][value(of: slots)] = self.weights.speakerHint
            }
        }

        // State = mapping × speaker; the mapping holds each label's value as a base-`values` digit.
        var place = [Int](repeating: 1, count: rows)
        for row in 1..<max(rows, 1) { place[row] = place[row - 1] * values }
        func digit(_ mapping: Int, _ row: Int) -> Int { (mapping / place[row]) % values }
        let states = mappings * n
        // Every label's people swapped at once (a diarizer's clusters trading places) is one change;
        // each swap of two people is one permutation of the mapping.
        var swaps: [[Int]] = []
        for a in 0..<n {
            for b in (a + 1)..<n {
                swaps.append(
                    (0..<mappings).map { mapping in
                        var swapped = 0
                        for row in 0..<rows {
                            let people = members[digit(mapping, row)].map { $0 == a ? b : $0 == b ? a : $0 }
                            swapped += value(of: people) * place[row]
                        }
                        return swapped
                    })
            }
        }
        // A swap that changes one label's value or none is not a swap of clusters: that is a change of
        // one label (or nothing), priced as such.
        let swapMoves = swaps.map { swap in
            (0..<mappings).map { mapping in
                (0..<rows).filter { digit(mapping, $0) != digit(swap[mapping], $0) }.count >= 2
            }
        }
        // A line's score for each value of its label and each speaker, before the label is known.
        func lineScores(_ step: Int) -> [Double] {
            var table = [Double](repeating: 0, count: values * n)
            for current in 0..<values {
                for speaker in 0..<n {
                    var score = emissions[step][speaker]
                    if let row = self.labelOf[lines[step]] {
                        score += hinted[row][current]
                        if current >= n {
                            score +=
                                members[current].contains(speaker) ? mixedLine : intrudingMixed - hinted[row][current]
                        } else if current == speaker {
                            score += fitting
                        } else {
                            score += intruding - hinted[row][current]
                        }
                    }
                    table[current * n + speaker] = score
                }
            }
            return table
        }
        // Forward–backward in probability space, each step scaled to sum to one (the scores are turned
        // into factors once per line, relative to the line's best, so nothing underflows).
        var digits = [Int](repeating: 0, count: mappings * rows)
        for mapping in 0..<mappings { for row in 0..<rows { digits[mapping * rows + row] = digit(mapping, row) } }
        let steps = lines.count
        var factors = [Double](repeating: 0, count: steps * values * n)
        for step in 0..<steps {
            let table = lineScores(step)
            let best = table.max() ?? 0
            for index in table.indices { factors[step * values * n + index] = Math.exp(table[index] - best) }
        }
        func lineFactor(_ step: Int, _ mapping: Int, _ speaker: Int) -> Double {
            guard let row = self.labelOf[lines[step]] else { return factors[step * values * n + speaker] }
            return factors[(step * values + digits[mapping * rows + row]) * n + speaker]
        }
        // A client who is present is expected to speak: a mapping in which no label stands for them
        // pays for it (so two clients on one device read as sharing it rather than as one of them).
        let clients = (0..<n).filter { !self.people[candidates[$0]].isClinician }
        var edge = [Double](repeating: 1, count: mappings)
        for mapping in 0..<mappings {
            var score = 0.0
            var heard = Set<Int>()
            for row in 0..<rows {
                let current = digits[mapping * rows + row]
                score += prior[row][current]
                heard.formUnion(members[current])
            }
            score -= self.weights.conversationSilentClient * Double(clients.filter { !heard.contains($0) }.count)
            edge[mapping] = Math.exp(score)
        }
        let stayFactor = Math.exp(stay)
        let moveFactor = Math.exp(move)
        let changeFactor = Math.exp(-change)
        let swapFactor = Math.exp(-swapCost)
        func normalise(_ vector: inout [Double], from start: Int) {
            var sum = 0.0
            for state in start..<(start + states) { sum += vector[state] }
            guard sum > 0 else { return }
            for state in start..<(start + states) { vector[state] /= sum }
        }
        // The two moves between neighbouring lines, each its own transpose, so the forward pass and the
        // backward pass use the same functions. Speakers: the same speaker stays, or the turn passes.
        func carrySpeakers(_ source: [Double], from start: Int, into target: inout [Double], at offset: Int) {
            for mapping in 0..<mappings {
                var total = 0.0
                for speaker in 0..<n { total += source[start + mapping * n + speaker] }
                for speaker in 0..<n {
                    let same = source[start + mapping * n + speaker]
                    target[offset + mapping * n + speaker] = same * stayFactor + (total - same) * moveFactor
                }
            }
        }
        // Labels: the line's label may change value, or every label trade people at once.
        func moveLabels(_ source: [Double], label row: Int?, into target: inout [Double]) {
            for mapping in 0..<mappings {
                for speaker in 0..<n {
                    var sum = source[mapping * n + speaker]
                    if let row {
                        let own = digits[mapping * rows + row]
                        let cleared = mapping - own * place[row]
                        var others = 0.0
                        for value in 0..<values where value != own {
                            others += source[(cleared + value * place[row]) * n + speaker]
                        }
                        sum += others * changeFactor
                    }
                    for (swap, moves) in zip(swaps, swapMoves) where moves[mapping] {
                        sum += source[swap[mapping] * n + speaker] * swapFactor
                    }
                    target[mapping * n + speaker] = sum
                }
            }
        }
        var alpha = [Double](repeating: 0, count: steps * states)
        var beta = [Double](repeating: 0, count: steps * states)
        for mapping in 0..<mappings {
            for speaker in 0..<n { alpha[mapping * n + speaker] = edge[mapping] * lineFactor(0, mapping, speaker) }
        }
        normalise(&alpha, from: 0)
        var carried = [Double](repeating: 0, count: states)
        var moved = [Double](repeating: 0, count: states)
        for step in 1..<steps {
            carrySpeakers(alpha, from: (step - 1) * states, into: &carried, at: 0)
            moveLabels(carried, label: self.labelOf[lines[step]], into: &moved)
            let here = step * states
            for mapping in 0..<mappings {
                for speaker in 0..<n {
                    alpha[here + mapping * n + speaker] =
                        moved[mapping * n + speaker] * lineFactor(step, mapping, speaker)
                }
            }
            normalise(&alpha, from: here)
        }
        // The value each label ends with is weighed as its first was: a label still holding several
        // voices at the end pays as it would on the way back (a closing monologue is not a merge), and a
        // named label that ends as someone else pays for its name again.
        let last = (steps - 1) * states
        for mapping in 0..<mappings { for speaker in 0..<n { beta[last + mapping * n + speaker] = edge[mapping] } }
        normalise(&beta, from: last)
        var entered = [Double](repeating: 0, count: states)
        for step in stride(from: steps - 2, through: 0, by: -1) {
            let next = (step + 1) * states
            for mapping in 0..<mappings {
                for speaker in 0..<n {
                    entered[mapping * n + speaker] =
                        lineFactor(step + 1, mapping, speaker) * beta[next + mapping * n + speaker]
                }
            }
            moveLabels(entered, label: self.labelOf[lines[step + 1]], into: &moved)
            carrySpeakers(moved, from: 0, into: &beta, at: step * states)
            normalise(&beta, from: step * states)
        }

        var speaker = [[Double]](repeating: [Double](repeating: 0, count: n), count: steps)
        var labelValue = [[Double]?](repeating: nil, count: steps)
        for step in 0..<steps {
            let here = step * states
            var sum = 0.0
            for state in 0..<states { sum += alpha[here + state] * beta[here + state] }
            guard sum > 0 else { continue }
            var byValue = [Double](repeating: 0, count: values)
            let row = self.labelOf[lines[step]]
            for mapping in 0..<mappings {
                for slot in 0..<n {
                    let probability = alpha[here + mapping * n + slot] * beta[here + mapping * n + slot] / sum
                    speaker[step][slot] += probability
                    if let row { byValue[digits[mapping * rows + row]] += probability }
                }
            }
            if row != nil { labelValue[step] = byValue }
        }
        return ConversationReading(
            speaker: speaker, labelValue: labelValue, members: members, lines: lines, candidates: candidates)
    }
}

extension AttributionRun {
    /// The people a whole-conversation reading is for: exactly two who can speak (a clinician and one
    /// client, two partners), in roster order; nil otherwise, or when `conversationLabelChange` is 0.
    func conversationCandidates() -> [Int]? {
        guard self.weights.conversationLabelChange > 0 else { return nil }
        let everyone = self.people.indices.filter { self.canSpeak($0) }
        return everyone.count == 2 ? everyone : nil
    }

    /// Binds labels and lines from a whole-conversation reading: a label that keeps one value is bound
    /// to that person (several labels to one person are one voice split); a label that changes value once
    /// is bound in two spans; a label holding several voices is read line by line. A line is attributed
    /// on its own where the reading disagrees with its label, and left unknown where it is unsure.
    mutating func bind(_ reading: ConversationReading) -> (
        choices: [Choice], shared: [Int: [Int]], perUtterance: [Int: (person: Int?, confidence: Double)]
    ) {
        let threshold = self.configuration.confidenceThreshold
        let n = reading.candidates.count
        let minimumSpan = max(1, self.configuration.minimumSpanUtterances)
        var stepOf: [Int: Int] = [:]
        for (step, index) in reading.lines.enumerated() { stepOf[index] = step }
        var choices = self.labels.indices.map { _ in Choice(person: nil, confidence: 0, bestGuess: nil) }
        var shared: [Int: [Int]] = [:]
        var perUtterance: [Int: (person: Int?, confidence: Double)] = [:]
        // Each label's value where it speaks, in runs.
        var spanPerson: [Int: Int] = [:]
        var mixedRows: [(row: Int, lines: [Int])] = []
        for row in self.labels.indices {
            let members = self.utterancesOfLabel[row]
            guard !members.isEmpty else { continue }
            var runs: [(value: Int, lines: [Int], probability: Double)] = []
            for index in members {
                guard let step = stepOf[index], let values = reading.labelValue[step] else { continue }
                let best = values.indices.max { values[$0] < values[$1] }!
                if let last = runs.last, last.value == best {
                    runs[runs.count - 1].lines.append(index)
                    runs[runs.count - 1].probability += values[best]
                } else {
                    runs.append((best, [index], values[best]))
                }
            }
            // The label stands for its main person; it changes hands only when it is one person, then
            // the other, with enough lines on each side. Anything else it holds (a stretch of both
            // voices, a few lines of the other person) is read line by line and does not unbind the rest.
            let personal = runs.filter { $0.value < n }
            if personal.isEmpty {
                shared[row] = reading.members[Self.mostLines(runs)].map { reading.candidates[$0] }
                continue
            }
            var order: [Int] = []
            for run in personal where order.last != run.value { order.append(run.value) }
            func linesOf(_ value: Int) -> [Int] { personal.filter { $0.value == value }.flatMap(\.lines) }
            func confidence(_ value: Int) -> Double {
                let chosen = personal.filter { $0.value == value }
                let count = chosen.reduce(0) { $0 + $1.lines.count }
                return min(0.99, chosen.reduce(0.0) { $0 + $1.probability } / Double(max(count, 1)))
            }
            var perLine = runs.filter { $0.value >= n }.flatMap(\.lines)
            let first = order[0]
            let firstLines = linesOf(first)
            let firstConfidence = confidence(first)
            let laterLines = order.count == 2 ? linesOf(order[1]) : []
            if order.count == 2, firstConfidence >= threshold, firstLines.count >= minimumSpan,
                laterLines.count >= minimumSpan
            {
                let (person, second) = (reading.candidates[first], reading.candidates[order[1]])
                let secondConfidence = confidence(order[1])
                let bound = secondConfidence >= threshold
                choices[row] = Choice(person: person, confidence: firstConfidence, bestGuess: person)
                for index in firstLines { spanPerson[index] = person }
                let cut = laterLines[0]
                self.changes[row] = LabelChange(
                    cut: cut, gapFrom: cut, person: second, evidence: 0, confidence: secondConfidence)
                for index in laterLines where bound {
                    perUtterance[index] = (second, secondConfidence)
                    spanPerson[index] = second
                }
                if !bound { perLine += laterLines }
                self.findings.append(
                    Finding(
                        code: .labelChangesPerson, severity: .warning, person: self.people[second].id,
                        label: self.labels[row],
                        message: "From utterance \(cut) on, the lines under this label point to "
                            + "\(self.people[second].id) (a diarizer swapping voices, or a device handed over)"
                            + (bound
                                ? "; they were attributed to them."
                                : ", not clearly enough to bind the span; each of its lines was attributed on its own.")
                            + " Check both spans.",
                        evidence: [cut]))
            } else {
                let main = Self.mostLines(personal)
                let person = reading.candidates[main]
                let value = confidence(main)
                let bound = value >= threshold
                choices[row] = Choice(person: bound ? person : nil, confidence: value, bestGuess: person)
                for index in linesOf(main) where bound { spanPerson[index] = person }
                perLine += personal.filter { $0.value != main }.flatMap(\.lines)
            }
            if !perLine.isEmpty, choices[row].person != nil { mixedRows.append((row, perLine.sorted())) }
        }
        // Every line: attributed on its own where the reading departs from its label's person.
        for (step, index) in reading.lines.enumerated() {
            let posterior = reading.speaker[step]
            let best = posterior.indices.max { posterior[$0] < posterior[$1] }!
            let person = reading.candidates[best]
            if let bound = spanPerson[index], bound == person { continue }
            perUtterance[index] = posterior[best] >= threshold ? (person, posterior[best]) : (nil, posterior[best])
        }
        // One voice under several labels.
        var rowsOf: [Int: [Int]] = [:]
        for row in self.labels.indices {
            if let person = choices[row].person { rowsOf[person, default: []].append(row) }
        }
        for (person, rows) in rowsOf.sorted(by: { $0.key < $1.key }) where rows.count > 1 {
            let firsts = rows.compactMap { self.utterancesOfLabel[$0].first }
            self.findings.append(
                Finding(
                    code: .speakerSplitAcrossLabels, severity: .info, person: self.people[person].id,
                    label: self.labels[rows[0]],
                    message: "\(rows.count) labels (first heard at utterances "
                        + "\(firsts.map(String.init).joined(separator: ", "))) read as one voice the diarizer split, "
                        + "and were bound to \(self.people[person].id).",
                    evidence: firsts))
        }
        for (row, members) in mixedRows {
            let unknown = members.filter { if case (nil, _)? = perUtterance[$0] { true } else { false } }.count
            self.findings.append(
                Finding(
                    code: .labelMixesSpeakers, severity: .warning, label: self.labels[row],
                    message: "\(members.count) of the lines under this label read as another voice (a diarizer "
                        + "merging two voices, or crosstalk); each was attributed on its own, and \(unknown) stay unknown.",
                    evidence: Array(members.prefix(20))))
        }
        return (choices, shared, perUtterance)
    }

    /// The value holding the most lines over `runs` (the lowest value on a tie).
    static func mostLines(_ runs: [(value: Int, lines: [Int], probability: Double)]) -> Int {
        let counts = Dictionary(runs.map { ($0.value, $0.lines.count) }, uniquingKeysWith: +)
        return counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
    }
}
