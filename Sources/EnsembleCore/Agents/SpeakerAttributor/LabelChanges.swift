/// Label changes mid-session: a diarizer swapping two voices after some point, or a device handed to
/// someone else. A label's lines are read one by one over everyone present; when from some line on they
/// keep pointing to one other person, by at least `labelChangeEvidence` in total and with the lines
/// before not pointing to them, the label is cut there and each span is bound on its own.
extension AttributionRun {
    /// Where a label changes persons: its later span starts at `cut`; its lines from `gapFrom` up to
    /// `cut` say nothing either way and are left unknown.
    struct LabelChange {
        var cut: Int
        var gapFrom: Int
        var person: Int
        /// The evidence for the change, behind the later span's confidence.
        var evidence: Double
        /// The later span's confidence, when it was read directly (a whole conversation) rather than
        /// from `evidence`.
        var confidence: Double? = nil
        /// For a label bound to nobody as a whole (its two spans cancel out): who its earlier span is, and
        /// with what confidence, read from that span's own lines, or, for the partner of a label that
        /// changed, from the pair's evidence.
        var firstSpan: (person: Int, confidence: Double)? = nil
        /// The later span is not `person` (whom the label leaves) but no one person either: its lines are
        /// read one by one.
        var departs = false
    }

    /// Label row → where it changes persons, and to whom.
    mutating func labelChanges(choices: [Choice], shared: [Int: [Int]]) -> [Int: LabelChange] {
        let everyone = self.people.indices.filter { self.canSpeak($0) }
        guard everyone.count >= 2, self.weights.labelChangeEvidence > 0 else { return [:] }
        let position = Dictionary(uniqueKeysWithValues: everyone.enumerated().map { ($1, $0) })
        var emissions: [Int: [[Double]]] = [:]
        func emissionsOf(_ row: Int) -> [[Double]] {
            if let known = emissions[row] { return known }
            let computed = self.utterancesOfLabel[row].map {
                self.emission(of: $0, candidates: everyone, position: position, styleAware: true)
            }
            emissions[row] = computed
            return computed
        }
        defer { self.lineEmissions = emissions }
        var changes: [Int: LabelChange] = [:]
        for row in self.labels.indices where shared[row] == nil {
            // A label bound to nobody may be two people one after the other, its two spans cancelling out:
            // its best guess is tried as the earlier span's person.
            guard let person = choices[row].person ?? choices[row].bestGuess, position[person] != nil,
                !self.hints.contains(where: { self.row(forHint: $0.label) == row }),
                self.utterancesOfLabel[row].count >= 2 * self.configuration.minimumSpanUtterances
            else { continue }
            var best: (change: LabelChange, evidence: Double)? = nil
            for other in everyone where other != person {
                guard
                    let found = self.changePoint(
                        row: row, from: person, to: other, emissions: emissionsOf(row),
                        position: position, strict: true)
                else { continue }
                if best == nil || found.evidence > best!.evidence { best = found }
            }
            // Leaving for no one person, from an earlier line than any one person takes over: the later
            // span holds more than that person.
            if choices[row].person != nil,
                let departure = self.departurePoint(
                    row: row, from: person, emissions: emissionsOf(row), position: position),
                best.map({
                    departure.cut < $0.change.gapFrom
                        || self.holdsAThird(
                            row: row, from: person, change: $0.change, emissions: emissionsOf(row), position: position)
                }) ?? true
            {
                changes[row] = departure
                continue
            }
            guard var best else { continue }
            if choices[row].person == nil {
                // Only where a clinician and a client trade places: style tells them apart on every line,
                // so each span can be clear on its own, where two clients' spans rest on a few sparse cues.
                // The earlier span must point to its person on its own lines.
                guard self.people[person].isClinician != self.people[best.change.person].isClinician,
                    let first = self.firstSpan(
                        of: row, before: best.change.gapFrom, everyone: everyone, emissions: emissionsOf(row)),
                    first.person == person
                else { continue }
                best.change.firstSpan = first
            }
            changes[row] = best.change
        }
        // Two labels swapping persons at one moment, each too quiet to show it alone: their evidence is
        // summed from each moment on.
        let hinted = Set(self.hints.compactMap { self.row(forHint: $0.label) })
        let bound = self.labels.indices.filter { row in
            shared[row] == nil && changes[row] == nil && !hinted.contains(row)
                && choices[row].person.flatMap { position[$0] } != nil
        }
        var swapped = Set<Int>()
        for (a, first) in bound.enumerated() where !swapped.contains(first) {
            for second in bound.dropFirst(a + 1) where !swapped.contains(second) {
                guard let p = choices[first].person, let q = choices[second].person, p != q,
                    let swap = self.swapPoint(
                        first, second, p, q, emissions: (emissionsOf(first), emissionsOf(second)),
                        position: position)
                else { continue }
                changes[first] = swap.0
                changes[second] = swap.1
                swapped.formUnion([first, second])
                break
            }
        }
        // Diarizers swap voices in pairs: when a label turns into someone bound to another label, that
        // label is cut too where its lines turn, however slightly, to the first label's person.
        let hintedRows = Set(self.hints.compactMap { self.row(forHint: $0.label) })
        for (row, change) in changes.sorted(by: { $0.key < $1.key }) where !change.departs {
            guard let person = choices[row].person ?? change.firstSpan?.person else { continue }
            func free(_ candidate: Int) -> Bool {
                candidate != row && shared[candidate] == nil && changes[candidate] == nil
                    && !hintedRows.contains(candidate)
            }
            // A label bound to that person, or else, between a clinician and a client, a label bound to
            // nobody whose best guess is one of the two (its two spans cancelled out).
            let boundPartner = self.labels.indices.first { free($0) && choices[$0].person == change.person }
            let unboundPartners =
                boundPartner == nil && self.people[person].isClinician != self.people[change.person].isClinician
                ? self.labels.indices.filter {
                    free($0) && choices[$0].person == nil
                        && [change.person, person].contains(choices[$0].bestGuess ?? -1)
                } : []
            for partner in boundPartner.map({ [$0] }) ?? unboundPartners {
                guard
                    let found = self.changePoint(
                        row: partner, from: change.person, to: person,
                        emissions: emissionsOf(partner), position: position, strict: false),
                    // The partner turns where this label did, not anywhere before it.
                    found.change.cut >= change.gapFrom
                else { continue }
                var partnerChange = found.change
                partnerChange.evidence = max(found.evidence, change.evidence)
                if boundPartner == nil {
                    // Its earlier span is bound by the pair's evidence: the person this label left.
                    partnerChange.firstSpan = (
                        change.person,
                        min(0.95, Math.logistic(self.weights.confidenceSlope * partnerChange.evidence / 2))
                    )
                }
                changes[partner] = partnerChange
                break
            }
        }
        return changes
    }

    /// Who a label's lines before `end` point to, from their emissions over everyone (clinician style
    /// included; one row per line of the label), with a confidence from the margin over the next person;
    /// nil below the threshold.
    func firstSpan(
        of row: Int, before end: Int, everyone: [Int], emissions: [[Double]]
    ) -> (person: Int, confidence: Double)? {
        let lines = zip(self.utterancesOfLabel[row], emissions).filter { $0.0 < end }.map(\.1)
        var totals = [Double](repeating: 0, count: everyone.count)
        for line in lines {
            for slot in totals.indices { totals[slot] += line[slot] }
        }
        let ranked = totals.indices.sorted { totals[$0] > totals[$1] }
        guard ranked.count >= 2 else { return nil }
        // Two lines, at least, that on their own point clearly to that person over everyone else.
        let clearLean = self.weights.answersAddressInUtterance * 0.9
        let clear = lines.filter { line in
            line.indices.allSatisfy { $0 == ranked[0] || line[ranked[0]] - line[$0] >= clearLean }
        }
        guard clear.count >= 2 else { return nil }
        let margin = totals[ranked[0]] - totals[ranked[1]]
        let confidence = min(0.95, Math.logistic(self.weights.confidenceSlope * margin / 2))
        guard confidence >= self.configuration.confidenceThreshold else { return nil }
        return (everyone[ranked[0]], confidence)
    }

    /// Labels bound to nobody whose change of person was found: their earlier span is bound to the person
    /// it points to.
    mutating func bindFirstSpans(of choices: inout [Choice]) {
        for (row, change) in self.changes {
            guard choices[row].person == nil, let first = change.firstSpan else { continue }
            choices[row] = Choice(person: first.person, confidence: first.confidence, bestGuess: first.person)
        }
    }

    /// The moment from which two labels bound to `p` and `q` swap them: the lines of both before it do
    /// not lean to the swap, their lines after it do by at least `labelChangeEvidence` together, with two
    /// clear cues among them, and each label leans to its new person on its own.
    func swapPoint(
        _ first: Int, _ second: Int, _ p: Int, _ q: Int, emissions: ([[Double]], [[Double]]), position: [Int: Int]
    ) -> (LabelChange, LabelChange)? {
        guard let pi = position[p], let qi = position[q] else { return nil }
        let minimum = max(1, self.configuration.minimumSpanUtterances)
        let a = self.utterancesOfLabel[first]
        let b = self.utterancesOfLabel[second]
        guard a.count >= 2 * minimum, b.count >= 2 * minimum else { return nil }
        let leanA = emissions.0.map { $0[qi] - $0[pi] }
        let leanB = emissions.1.map { $0[pi] - $0[qi] }
        let clearLean = self.weights.answersAddressInUtterance * 0.9
        // Clear cues from each line on, per label.
        func clearFrom(_ leans: [Double]) -> [Int] {
            var counts = [Int](repeating: 0, count: leans.count + 1)
            for step in stride(from: leans.count - 1, through: 0, by: -1) {
                counts[step] = counts[step + 1] + (leans[step] >= clearLean ? 1 : 0)
            }
            return counts
        }
        let clearA = clearFrom(leanA)
        let clearB = clearFrom(leanB)
        var best: (i: Int, j: Int, evidence: Double)? = nil
        // The earliest moment reaching the best evidence: lines between it and the latest are the gap.
        var earliest: (i: Int, j: Int)? = nil
        // Moments are the labels' utterances: `i` of `first`'s lines and `j` of `second`'s come at or after it.
        var i = 0
        var j = 0
        let totalA = leanA.reduce(0, +)
        let totalB = leanB.reduce(0, +)
        var beforeA = 0.0
        var beforeB = 0.0
        while i < a.count || j < b.count {
            if i >= minimum, j >= minimum, a.count - i >= minimum, b.count - j >= minimum {
                let afterA = totalA - beforeA
                let afterB = totalB - beforeB
                let clear = clearA[i] + clearB[j]
                if beforeA + beforeB <= 0, afterA > 0, afterB > 0, afterA + afterB >= self.weights.labelChangeEvidence,
                    clear >= 2, best == nil || afterA + afterB >= best!.evidence - 1e-9
                {
                    if best == nil || afterA + afterB > best!.evidence + 1e-9 { earliest = (i, j) }
                    best = (i, j, afterA + afterB)
                }
            }
            // Step past the next utterance in time.
            if j >= b.count || (i < a.count && a[i] < b[j]) {
                beforeA += leanA[i]
                i += 1
            } else {
                beforeB += leanB[j]
                j += 1
            }
        }
        guard let best, let earliest else { return nil }
        return (
            LabelChange(cut: a[best.i], gapFrom: a[earliest.i], person: q, evidence: best.evidence),
            LabelChange(cut: b[best.j], gapFrom: b[earliest.j], person: p, evidence: best.evidence)
        )
    }

    /// The point from which a label's lines lean from `from` to `to`: the lines before do not lean to
    /// `to`, the lines after do by at least `labelChangeEvidence` (`strict`; else by anything), with two
    /// clear cues of their own or, between a clinician and anyone else, leaning on every line. Lines
    /// between the last that leans back and the first that leans on are the gap.
    func changePoint(
        row: Int, from: Int, to: Int, emissions: [[Double]], position: [Int: Int], strict: Bool
    ) -> (change: LabelChange, evidence: Double)? {
        guard let own = position[from], let other = position[to] else { return nil }
        // Style is evidence between a clinician and anyone else when it leans hard on every line: a label
        // that starts asking the questions has changed hands.
        guard
            let found = self.changePoint(
                row: row, leans: emissions.map { $0[other] - $0[own] }, strict: strict,
                styleCounts: self.people[to].isClinician != self.people[from].isClinician)
        else { return nil }
        return (
            LabelChange(cut: found.cut, gapFrom: found.gapFrom, person: to, evidence: found.evidence),
            found.evidence
        )
    }

    /// The point from which a label bound to `from` stops being them, its lines pointing to one or another
    /// of the others in `from`'s role (clients, or clinicians) and to no one of them throughout: a label
    /// that changed to a shared device, or to someone whose lines carry cues against `from` (answering
    /// a question handed to someone else, speaking of `from`) but not enough for any one person. The
    /// later span's clear lines must point to two peers at least. It is read line by line.
    func departurePoint(row: Int, from: Int, emissions: [[Double]], position: [Int: Int]) -> LabelChange? {
        guard let own = position[from] else { return nil }
        let peers = position.filter {
            $0.key != from && self.people[$0.key].isClinician == self.people[from].isClinician
        }
        .map(\.value)
        // With one peer, leaving is changing to them, which `changePoint` has weighed.
        guard peers.count >= 2 else { return nil }
        let leans = emissions.map { line in peers.map { line[$0] }.max()! - line[own] }
        guard let found = self.changePoint(row: row, leans: leans, strict: true, styleCounts: false) else {
            return nil
        }
        // The later span's clear lines point to two peers at least: no one person took over.
        let clearLean = self.weights.answersAddressInUtterance * 0.9
        var pointed = Set<Int>()
        for (index, line) in zip(self.utterancesOfLabel[row], emissions) where index >= found.cut {
            guard let top = peers.max(by: { line[$0] < line[$1] }), line[top] - line[own] >= clearLean else {
                continue
            }
            pointed.insert(top)
        }
        guard pointed.count >= 2 else { return nil }
        return LabelChange(
            cut: found.cut, gapFrom: found.gapFrom, person: from, evidence: found.evidence, departs: true)
    }

    /// Whether a label's later span, changing from `from` to `change.person`, has a line pointing clearly
    /// to a third person over both: the span holds more than the one person.
    func holdsAThird(
        row: Int, from: Int, change: LabelChange, emissions: [[Double]], position: [Int: Int]
    ) -> Bool {
        guard let own = position[from], let to = position[change.person] else { return false }
        let clearLean = self.weights.answersAddressInUtterance * 0.9
        // Peers in `from`'s role only: style would make any question-asking line point to a clinician.
        let thirds = position.filter {
            $0.key != from && $0.key != change.person
                && self.people[$0.key].isClinician == self.people[from].isClinician
        }.map(\.value)
        return zip(self.utterancesOfLabel[row], emissions).contains { index, line in
            index >= change.cut && thirds.contains { line[$0] - max(line[own], line[to]) >= clearLean }
        }
    }

    /// Where a label's lines, leaning by `leans` (one per line; positive away from its person), change:
    /// see `changePoint(row:from:to:emissions:position:strict:)`.
    func changePoint(
        row: Int, leans: [Double], strict: Bool, styleCounts: Bool
    ) -> (cut: Int, gapFrom: Int, evidence: Double)? {
        let members = self.utterancesOfLabel[row]
        let minimum = max(1, self.configuration.minimumSpanUtterances)
        guard members.count >= 2 * minimum else { return nil }
        var suffix = [Double](repeating: 0, count: members.count + 1)
        var clear = [Int](repeating: 0, count: members.count + 1)
        for step in stride(from: members.count - 1, through: 0, by: -1) {
            suffix[step] = suffix[step + 1] + leans[step]
            clear[step] = clear[step + 1] + (leans[step] >= self.weights.answersAddressInUtterance * 0.9 ? 1 : 0)
        }
        var best: (cut: Int, evidence: Double)? = nil
        for cut in minimum...(members.count - minimum) {
            let after = suffix[cut]
            let before = suffix[0] - suffix[cut]
            guard before <= 0, after > 0 else { continue }
            if strict {
                guard after >= self.weights.labelChangeEvidence else { continue }
                // Style counts when it leans on average by `labelChangeStyleLean` and on at least two
                // lines in three, so one burst of questions cannot carry it.
                let leaning = (cut..<members.count).filter { leans[$0] > 0 }.count
                let leansOnEveryLine =
                    styleCounts && after >= Double(members.count - cut) * self.weights.labelChangeStyleLean
                    && leaning * 3 >= (members.count - cut) * 2
                guard clear[cut] >= 2 || leansOnEveryLine else { continue }
            }
            if best == nil || after > best!.evidence + 1e-9 { best = (cut, after) }
        }
        guard let best else { return nil }
        // Lines just before the cut that lean neither way belong to no span with any certainty.
        var gapFrom = best.cut
        while gapFrom > minimum, abs(leans[gapFrom - 1]) < 1e-9 { gapFrom -= 1 }
        // The cut goes to the first line that leans on.
        var cut = best.cut
        while cut < members.count - minimum, abs(leans[cut]) < 1e-9 { cut += 1 }
        return (members[cut], members[gapFrom], best.evidence)
    }

    /// Binds each changing label's later span to the person it changed to, and leaves the gap before it
    /// unknown, with a finding.
    mutating func bindSpans(into perUtterance: inout [Int: (person: Int?, confidence: Double)]) {
        let everyone = self.people.indices.filter { self.canSpeak($0) }
        for (row, change) in self.changes.sorted(by: { $0.key < $1.key }) where change.departs {
            let span = self.utterancesOfLabel[row].filter { $0 >= change.cut }
            for index in self.utterancesOfLabel[row] where index >= change.gapFrom { perUtterance[index] = (nil, 0) }
            let resolved = self.resolve(
                utterances: span, candidates: everyone, styleAware: true,
                continuation: self.weights.sameSpeakerContinuation)
            for (index, result) in zip(span, resolved) { perUtterance[index] = result }
            self.findings.append(
                Finding(
                    code: .labelChangesPerson, severity: .warning, person: self.people[change.person].id,
                    label: self.labels[row],
                    message: "From utterance \(change.cut) on, the lines under this label stop pointing to "
                        + "\(self.people[change.person].id) and point to no one other person (a diarizer swapping "
                        + "voices, or a device handed over or shared); they were attributed one by one, and "
                        + "\(resolved.filter { $0.person == nil }.count) of \(span.count) stay unknown."
                        + (change.gapFrom < change.cut
                            ? " Its lines from utterance \(change.gapFrom) up to then are left unknown." : "")
                        + " Check both spans.",
                    evidence: [change.cut]))
        }
        for (row, change) in self.changes.sorted(by: { $0.key < $1.key }) where !change.departs {
            let confidence = min(0.95, Math.logistic(self.weights.confidenceSlope * change.evidence / 2))
            let bound = confidence >= self.configuration.confidenceThreshold
            for index in self.utterancesOfLabel[row] where index >= change.gapFrom {
                perUtterance[index] = index >= change.cut && bound ? (change.person, confidence) : (nil, 0)
            }
            let gap =
                change.gapFrom < change.cut
                ? " Its lines from utterance \(change.gapFrom) up to then say nothing either way and are left unknown."
                : ""
            self.findings.append(
                Finding(
                    code: .labelChangesPerson, severity: .warning, person: self.people[change.person].id,
                    label: self.labels[row],
                    message: "From utterance \(change.cut) on, the lines under this label point to "
                        + "\(self.people[change.person].id) (a diarizer swapping voices, or a device handed over)"
                        + (bound ? "; they were attributed to them." : ", not clearly enough to attribute them.")
                        + gap + " Check both spans.",
                    evidence: [change.cut]))
        }
    }

    func row(forHint label: String) -> Int? {
        if let row = self.labelIndex[label] { return row }
        let folded = TextFolding.fold(label.trimmingSpaces)
        return self.labels.firstIndex { TextFolding.fold($0.trimmingSpaces) == folded }
    }
}

/// A stretch of a label holding a second person's lines (a diarizer merging two voices for a while,
/// crosstalk): found where the label's lines lean to one other person by `labelChangeEvidence` with two
/// clear cues, and resolved line by line between the two.
extension AttributionRun {
    mutating func mixedStretches(
        choices: [Choice], shared: [Int: [Int]], into perUtterance: inout [Int: (person: Int?, confidence: Double)]
    ) {
        let everyone = self.people.indices.filter { self.canSpeak($0) }
        guard everyone.count >= 2, self.weights.labelChangeEvidence > 0 else { return }
        let position = Dictionary(uniqueKeysWithValues: everyone.enumerated().map { ($1, $0) })
        let clearLean = self.weights.answersAddressInUtterance * 0.9
        for row in self.labels.indices where shared[row] == nil && self.changes[row] == nil {
            guard let person = choices[row].person, let own = position[person] else { continue }
            let members = self.utterancesOfLabel[row]
            guard members.count >= 4 else { continue }
            let emissions = members.map {
                self.emission(of: $0, candidates: everyone, position: position, styleAware: false)
            }
            var best: (start: Int, end: Int, sum: Double, other: Int)? = nil
            for other in everyone.indices where other != own {
                // The stretch with the most evidence for `other` (Kadane), with two clear cues in it.
                var start = 0
                var sum = 0.0
                var clear = 0
                for step in members.indices {
                    let lean = emissions[step][other] - emissions[step][own]
                    if sum <= 0 {
                        start = step
                        sum = 0
                        clear = 0
                    }
                    sum += lean
                    if lean >= clearLean { clear += 1 }
                    if sum >= self.weights.labelChangeEvidence, clear >= 2, best == nil || sum > best!.sum {
                        best = (start, step, sum, everyone[other])
                    }
                }
            }
            guard let best else {
                // A single line that answers someone else by name and says nothing of this label's person
                // (a merged voice for one turn) is left unknown rather than given to the label's person.
                let lines = self.lineEmissions[row]
                for (step, index) in members.enumerated() where perUtterance[index] == nil {
                    let line =
                        lines?[step]
                        ?? self.emission(of: index, candidates: everyone, position: position, styleAware: true)
                    guard line[own] <= 0,
                        let top = line.indices.filter({ $0 != own }).max(by: { line[$0] < line[$1] }),
                        line[top] - line[own] >= self.weights.intrudingLine
                    else { continue }
                    perUtterance[index] = (nil, 0)
                }
                continue
            }
            let stretch = Array(members[best.start...best.end])
            let resolved = self.resolve(
                utterances: stretch, candidates: [person, best.other], styleAware: true,
                continuation: self.weights.sameSpeakerContinuation)
            for (index, result) in zip(stretch, resolved) { perUtterance[index] = result }
            self.findings.append(
                Finding(
                    code: .labelMixesSpeakers, severity: .warning, person: self.people[best.other].id,
                    label: self.labels[row],
                    message: "Utterances \(stretch[0])–\(stretch.last!) under this label include lines that "
                        + "point to \(self.people[best.other].id) (a diarizer merging two voices, or crosstalk); "
                        + "each was attributed on its own, and \(resolved.filter { $0.person == nil }.count) of "
                        + "\(stretch.count) stay unknown.",
                    evidence: Array(stretch.prefix(20))))
        }
    }
}

/// A clinician's label answering its own question: a diarizer merging a client's reply into the
/// clinician's voice.
extension AttributionRun {
    /// A line under a clinician's label that comes straight after the same label ended on a question
    /// (`Maria, how did the practice go?`) and reads as a reply (in the first person, asking nothing,
    /// saying nothing to a `you`, no clinician's phrase) is no clinician's line; it is resolved among the
    /// clients on its own (the one the question was handed to, when it was), or left unknown. With one
    /// client only, the question must have been handed to them by name.
    mutating func selfAnsweredQuestions(
        choices: [Choice], into perUtterance: inout [Int: (person: Int?, confidence: Double)]
    ) {
        let clients = self.people.indices.filter { self.canSpeak($0) && !self.people[$0].isClinician }
        guard !clients.isEmpty else { return }
        for row in self.labels.indices where self.changes[row] == nil {
            guard let person = choices[row].person, self.people[person].isClinician else { continue }
            var replies: [Int] = []
            for index in self.utterancesOfLabel[row] where perUtterance[index] == nil {
                guard let previous = self.nearestSpeech(from: index, step: -1), self.labelOf[previous] == row,
                    perUtterance[previous] == nil,
                    self.segmented.texts[previous].words.last?.after == .question,
                    // With one client there is no one to choose among: it must have been handed to them.
                    clients.count > 1 || Self.handedTo(self.events[previous]) == [clients[0]],
                    self.style[index].questions == 0, self.style[index].firstPerson > 0,
                    self.style[index].secondPerson == 0, self.style[index].clinicianPhraseWeight == 0
                else { continue }
                perUtterance[index] =
                    self.resolve(
                        utterances: [index], candidates: clients, styleAware: false,
                        continuation: self.weights.sameSpeakerContinuation
                    ).first ?? (nil, 0)
                replies.append(index)
            }
            guard !replies.isEmpty else { continue }
            let resolved = replies.filter { perUtterance[$0]?.person != nil }.count
            self.findings.append(
                Finding(
                    code: .labelMixesSpeakers, severity: .warning, person: self.people[person].id,
                    label: self.labels[row],
                    message: "\(replies.count) utterance(s) under this clinician's label answer the label's own "
                        + "question just before, in the first person (a diarizer merging a client's reply into "
                        + "the clinician's voice); each was attributed among the clients on its own, and "
                        + "\(replies.count - resolved) stay unknown.",
                    evidence: Array(replies.prefix(20))))
        }
    }
}
