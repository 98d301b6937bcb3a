import Testing

@testable import EnsembleCore

@Suite("Dates, text and assignment")
struct TextAndTimeTests {
    @Test func timestamp_parsesOffsetsAndFractions() throws {
        let local = try #require(Timestamp(iso8601: "2026-05-12T17:00:00-05:00"))
        let utc = try #require(Timestamp(iso8601: "2026-05-12T22:00:00Z"))
        #expect(local.secondsSinceEpoch == utc.secondsSinceEpoch)
        #expect(local.description == "2026-05-12T17:00:00-05:00")
        #expect(local.localDate == CalendarDate(year: 2026, month: 5, day: 12))
        #expect(Timestamp(iso8601: "2026-05-12T17:00:00.250+0530")?.utcOffsetSeconds == 19_800)
        #expect(Timestamp(iso8601: "2026-05-12T17:00:00") == nil)  // no offset: not placeable on a claim
        #expect(Timestamp(iso8601: "2026-13-12T17:00:00Z") == nil)
        #expect(try #require(Timestamp(iso8601: "2026-05-12T18:30:00-05:00")) - local == 5400)
        // Before 1970 and across a leap day.
        #expect(Timestamp(iso8601: "1964-02-29T12:00:00Z")?.localDate == CalendarDate(year: 1964, month: 2, day: 29))
    }

    @Test func calendarDate_ageIsWholeYears() throws {
        let birth = try #require(CalendarDate(iso8601: "2010-09-14"))
        #expect(birth.age(on: try #require(CalendarDate(iso8601: "2026-09-13"))) == 15)
        #expect(birth.age(on: try #require(CalendarDate(iso8601: "2026-09-14"))) == 16)
        #expect(CalendarDate(iso8601: "2025-02-29") == nil)
    }

    @Test func tokenizer_sentencesRespectAbbreviationsAndInitials() {
        let text = Tokenizer().tokenize("Dr. Ko met M. Lopez at 3.30 p.m. today. Was it fine? Yes... I think so!")
        let sentences = text.sentences.count
        #expect(sentences == 4)
        #expect(text.words.map(\.folded).prefix(5) == ["dr", "ko", "met", "m", "lopez"])
        #expect(text.words.first { $0.folded == "3.30" } != nil)
        let question = text.words.first { $0.folded == "fine" }
        #expect(question?.after == .question)
    }

    @Test func tokenizer_handlesTokenisedPunctuationAndMarkup() {
        // QMSum and ACI-Bench write punctuation as separate tokens and keep corpus markup.
        let text = Tokenizer().tokenize("Okay , that's fine . {vocalsound} Am I supposed to be standing up there ?")
        #expect(text.sentences.count == 2)
        #expect(
            text.words.map(\.folded) == [
                "okay", "that's", "fine", "am", "i", "supposed", "to", "be", "standing", "up", "there",
            ])
        #expect(text.words[0].after == .comma && text.words[0].opensClause)
        #expect(text.words[1].opensClause)
        #expect(text.words[3].opensClause && text.words[3].isCapitalized)
    }

    @Test func tokenizer_dialogueDashesStartSentences() {
        let text = Tokenizer().tokenize("- Ta en kopp varmt te\n- Det är inte varmt.")
        #expect(text.sentences.count == 2)
        #expect(text.words[5].opensClause)
    }

    @Test func folding_removesCaseAndDiacritics() {
        #expect(TextFolding.fold("María O’Neil-Ñúñez") == "maria o'neil-nunez")
        #expect(TextFolding.fold("ÆSCHYLUS Straße") == "aeschylus strasse")
    }

    @Test func editDistance_withLimit() {
        #expect(EditDistance.distance("connor", "conor", limit: 1) == 1)
        #expect(EditDistance.distance("srijani", "srijana", limit: 1) == 1)
        #expect(EditDistance.distance("maria", "marcus", limit: 2) == nil)
    }

    @Test func phraseIndex_matchesWithinSentences() {
        let index = PhraseIndex([("let's go around", 1), ("go around", 2), ("wrap up", 3)])
        let words = Tokenizer().tokenize("Let's go around. Wrap. Up we go, let's wrap up").words
        var found: [Int] = []
        index.forEachMatch(in: words) { _, value in found.append(value) }
        #expect(found == [1, 2, 3])
    }

    @Test func assignment_matchesBruteForceOnRandomMatrices() {
        var random = SplitMixForTests(seed: 9)
        for _ in 0..<200 {
            let rows = 1 + random.next(4)
            let columns = 1 + random.next(4)
            var scores: [Assignment.Pair: Double] = [:]
            for row in 0..<rows {
                for column in 0..<columns where random.next(3) > 0 {
                    scores[Assignment.Pair(row: row, column: column)] = Double(random.next(100)) / 10
                }
            }
            let solved = Assignment.solve(rows: rows, columns: columns, scores: scores)
            #expect(abs(solved.total - Self.bruteForce(rows: rows, columns: columns, scores: scores)) < 1e-9)
            // Every chosen pair has a positive score and no column is used twice.
            let chosen = solved.columnOfRow.compactMap { $0 }
            #expect(Set(chosen).count == chosen.count)
        }
    }

    static func bruteForce(rows: Int, columns: Int, scores: [Assignment.Pair: Double]) -> Double {
        func best(_ row: Int, _ used: Set<Int>) -> Double {
            guard row < rows else { return 0 }
            var value = best(row + 1, used)  // row stays unassigned
            for column in 0..<columns where !used.contains(column) {
                if let score = scores[Assignment.Pair(row: row, column: column)], score > 0 {
                    value = max(value, score + best(row + 1, used.union([column])))
                }
            }
            return value
        }
        return best(0, [])
    }
}

struct SplitMixForTests {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next(_ bound: Int) -> Int {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

extension TextAndTimeTests {
    @Test func wordHashes_matchTheTokenizersWords() {
        let tokenizer = Tokenizer()
        let texts = [
            "Thank you, Maria. Tasha, how was your week? I didn't sleep much.",
            "It's a well-known 3.5 thing {laughs} <c.yellow>really</c> -- e.g. Dr. O'Neil's",
            "trailing' hyphen- 'quoted' _under_score x.y. Z",
            "María O’Neil said “fine” — café crème",  // non-ASCII takes the tokenizer's path
            "", "   ", "...?!",
        ]
        for text in texts {
            #expect(tokenizer.wordHashes(text) == tokenizer.tokenize(text).words.map(\.hash), "\(text)")
        }
    }

    @Test func quoteCleaning_dropsMarkupAndFillers_andRejoinsPunctuation() {
        let fillers: Set<String> = ["um", "uh", "so", "like"]
        let cases: [(String, Int, String?)] = [
            ("um , so I tried it twice [laughs] and it helped .", 24, "I tried it twice and it helped."),
            ("uh i do n't know what 's wrong", 24, "I don't know what's wrong."),
            ("Like, (inaudible) it was fine!", 24, "It was fine!"),
            ("um uh", 24, nil),
            ("okay", 24, nil),
            ("one two three four five six", 4, "One two three four…"),
            ("we talked about it,", 24, "We talked about it."),
            ("émile said \"enough\"", 24, "Émile said \"enough\""),
            ("line one\nline two", 24, "Line one line two."),
        ]
        for (input, maximumWords, expected) in cases {
            #expect(NoteDrafting.clean(input, fillers: fillers, maximumWords: maximumWords) == expected, "\(input)")
        }
    }

    @Test func phraseFilling_isOnePassOverTheTemplate() {
        let phrases = ["greeting": "{Subject} met {who}; {missing} stays.", "plain": "No placeholders."]
        // A value is never read again as a template.
        #expect(
            NoteDrafterConfiguration.fill(phrases, "greeting", ["Subject": "Client", "who": "{Subject}"])
                == "Client met {Subject}; {missing} stays.")
        #expect(NoteDrafterConfiguration.fill(phrases, "plain", ["Subject": "x"]) == "No placeholders.")
        #expect(NoteDrafterConfiguration.fill(phrases, "absent.key", [:]) == "absent.key")
        #expect(
            NoteDrafterConfiguration.fill(["open": "{unclosed and {Subject}}"], "open", ["Subject": "Y"])
                == "{unclosed and Y}")
    }
}

extension TextAndTimeTests {
    /// The clone check's shingle lists: sorted, each value once, as a `Set` would leave them.
    @Test func sortedUnique_matchesASortedSet() {
        var random = SplitMixForTests(seed: 5)
        for _ in 0..<50 {
            let values = (0..<random.next(80)).map { _ in random.next(30) - 10 }
            #expect(NoteAssembly.sortedUnique(values) == Array(Set(values)).sorted())
        }
    }
}

extension TextAndTimeTests {
    /// The supervisor's FIFO (admission and deadlines): order, positions that survive compaction, and
    /// slots addressed by position, past the point where the spent prefix is dropped.
    @Test func slidingQueue_keepsOrderAndPositionsAcrossCompaction() {
        var queue = SlidingQueue<Int?>()
        for value in 0..<1_000 { queue.append(value) }
        #expect(queue.endPosition == 1_000)
        for expected in 0..<700 { #expect(queue.popFirst() == .some(expected)) }
        #expect(queue.taken == 700 && queue.first == .some(700))
        #expect(queue[position: 699] == nil, "taken positions are gone")
        #expect(queue[position: 950] == .some(950))
        queue[position: 950] = .some(nil)
        #expect(queue[position: 950] == .some(nil))
        queue.append(1_000)
        #expect(queue.endPosition == 1_001 && queue[position: 1_000] == .some(1_000))
        var rest: [Int?] = []
        while let value = queue.popFirst() { rest.append(value) }
        #expect(rest.count == 301 && rest[250] == nil && rest.last == .some(1_000))
        #expect(queue.isEmpty && queue.endPosition == 1_001)
    }
}
