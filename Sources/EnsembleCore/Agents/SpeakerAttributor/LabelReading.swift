/// What a speaker label itself says: a name, a role, a relationship, a family, or nothing (`SPEAKER_03`).
struct LabelReading: Sendable {
    struct NameMatch: Sendable {
        var person: Int
        var kind: AttributionSignal.Kind
        var score: Double
    }

    var label: String
    var isAnonymous: Bool
    var role: CompiledLexicon.LabelRole?
    /// Name matches against every roster person, present or not.
    var names: [NameMatch]
    /// The label names a family (`Rivera iPad`): present people sharing that family name and no given name.
    var family: [Int]

    /// Reads a label against the roster.
    init(label: String, directory: NameDirectory, lexicon: CompiledLexicon, weights: AttributorConfiguration.Weights) {
        self.label = label
        self.names = []
        self.family = []
        self.role = nil
        let tokens = Self.cleanTokens(label, lexicon: lexicon)
        let folded = TextFolding.fold(label.trimmingSpaces)
        // Roles first, on the label as written: `patient_guest` must not lose `guest` to the noise list.
        let whole = Self.cleanTokens(label, lexicon: lexicon, removingNoise: false)
        self.isAnonymous =
            tokens.isEmpty || lexicon.isAnonymous(folded) || lexicon.isAnonymous(tokens.joined(separator: " "))
            || lexicon.isAnonymous(tokens.joined(separator: "_")) || lexicon.isAnonymous(tokens.joined())
        for candidate in [whole, tokens] where self.role == nil && !candidate.isEmpty {
            self.role =
                lexicon.labelRoles[candidate.joined(separator: " ")]
                ?? lexicon.labelRoles[candidate.joined(separator: "_")]
        }
        guard !tokens.isEmpty else { return }
        if self.role != nil {
            // Found above.
        } else if tokens.count == 2, let role = lexicon.labelRoles[tokens[0]], Self.isOrdinal(tokens[1]) {
            // `Therapist 1`, `Mom 2`: still a role, and the number tells two apart.
            self.role = role
        }
        if self.isAnonymous { return }
        // An alias may itself contain a noise word (`User Interface`), so both readings are matched.
        var best: [Int: NameMatch] = [:]
        for candidate in [tokens, whole] where !candidate.isEmpty {
            for match in Self.nameMatches(tokens: candidate, directory: directory, lexicon: lexicon, weights: weights)
            where best[match.person].map({ match.score > $0.score }) ?? true {
                best[match.person] = match
            }
        }
        self.names = best.keys.sorted().map { best[$0]! }
        if self.role != nil, self.names.isEmpty { return }

        // A family name alone (with no given name of anyone) names a household.
        let bearers = directory.roster.people.indices.filter { index in
            directory.roster.people[index].present && tokens.contains { directory.lastNames[index].contains($0) }
        }
        let namesSomeoneIndividually = self.names.contains { $0.kind != .lastNameOnly && $0.kind != .fuzzyName }
        if bearers.count > 1, !namesSomeoneIndividually { self.family = bearers }
    }

    /// Folded label words with titles, credentials, device words, bracketed asides and possessives removed.
    static func cleanTokens(_ label: String, lexicon: CompiledLexicon, removingNoise: Bool = true) -> [String] {
        var text = label.trimmingSpaces
        // `[doctor]` is a whole-label tag; `Maria (she/her)` has an aside to drop.
        if let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
            (first == "[" && last == "]") || (first == "(" && last == ")")
        {
            text = String(text.unicodeScalars.dropFirst().dropLast())
        } else {
            text = Self.removingAsides(text)
        }
        var tokens: [String] = []
        for word in lexicon.tokenizer.tokenize(text).words {
            var folded = word.folded
            if folded.hasSuffix("'s") { folded.removeLast(2) }
            // Usernames: `maria.lopez`, `maria_lopez`.
            let parts = folded.split { $0 == "." || $0 == "_" }.map(String.init)
            if parts.count > 1, !lexicon.isAnonymous(folded), !lexicon.titles.contains(folded) {
                tokens += parts
            } else {
                tokens.append(folded)
            }
        }
        guard removingNoise else { return tokens }
        tokens.removeAll { lexicon.labelNoise.contains($0) || lexicon.credentials.contains($0) }
        // Titles go only where something is left to name.
        let withoutTitles = tokens.filter { !lexicon.titles.contains($0) }
        return withoutTitles.isEmpty ? tokens : withoutTitles
    }

    private static func removingAsides(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var depth = 0
        for scalar in text.unicodeScalars {
            if scalar == "(" || scalar == "[" {
                depth += 1
            } else if scalar == ")" || scalar == "]" {
                depth = max(0, depth - 1)
            } else if depth == 0 {
                result.append(scalar)
            }
        }
        let stripped = String(result)
        return stripped.trimmingSpaces.isEmpty ? text : stripped
    }

    private static func isOrdinal(_ token: String) -> Bool {
        token.unicodeScalars.allSatisfy { $0.properties.numericType != nil }
            || (token.unicodeScalars.count == 1 && token.unicodeScalars.first!.properties.isAlphabetic)
    }

    private static func nameMatches(
        tokens: [String], directory: NameDirectory, lexicon: CompiledLexicon, weights: AttributorConfiguration.Weights
    ) -> [NameMatch] {
        var matches: [NameMatch] = []
        let tokenSet = Set(tokens)
        for index in directory.roster.people.indices {
            let full = directory.fullNames[index]
            guard !full.isEmpty else { continue }
            let firsts = directory.firstNames[index]
            let lasts = directory.lastNames[index]
            var best: NameMatch? = nil
            func consider(_ kind: AttributionSignal.Kind, _ score: Double) {
                if best == nil || score > best!.score { best = NameMatch(person: index, kind: kind, score: score) }
            }
            let fullSet = Set(full)
            let hasFirst = !tokenSet.isDisjoint(with: firsts)
            let hasLast = !tokenSet.isDisjoint(with: lasts)
            if full.count > 1, fullSet.isSubset(of: tokenSet) || (hasFirst && hasLast) {
                consider(.exactName, weights.exactName)
            }
            for alias in directory.aliasNames[index] where !alias.isEmpty {
                if alias == tokens {
                    consider(.firstNameOrAlias, weights.firstNameOrAlias)
                } else if Set(alias).isSubset(of: tokenSet) {
                    consider(.firstNameOrAlias, weights.firstNameOrAlias * 0.85)
                }
            }
            if hasFirst {
                consider(
                    .firstNameOrAlias, tokens.count == 1 ? weights.firstNameOrAlias : weights.firstNameOrAlias * 0.85)
            }
            if !tokenSet.isDisjoint(with: directory.nicknameNames[index]) {
                consider(.nickname, weights.nickname)
            }
            if hasLast, !hasFirst, let firstName = full.first {
                let initial = firstName.unicodeScalars.first!
                let hasInitial = tokens.contains { $0.unicodeScalars.count == 1 && $0.unicodeScalars.first == initial }
                consider(
                    hasInitial ? .initialAndLastName : .lastNameOnly,
                    hasInitial ? weights.initialAndLastName : weights.lastNameOnly)
            }
            // `mlopez`: an initial glued to the family name.
            if full.count > 1, let firstName = full.first, let lastName = full.last,
                tokens.contains(String(firstName.unicodeScalars.first!) + lastName)
            {
                consider(.initialAndLastName, weights.initialAndLastName)
            }
            if best == nil {
                for token in tokens where token.unicodeScalars.count >= 4 {
                    let limit = token.unicodeScalars.count >= 7 ? 2 : 1
                    let near = (firsts.union(lasts)).contains { name in
                        name.unicodeScalars.count >= 4 && EditDistance.distance(token, name, limit: limit) != nil
                    }
                    if near { consider(.fuzzyName, weights.fuzzyName) }
                }
            }
            if let best { matches.append(best) }
        }
        return matches
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    var trimmingSpaces: String {
        let scalars = self.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
