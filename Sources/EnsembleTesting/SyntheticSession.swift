public import EnsembleCore

/// A deterministic generator of realistic multi-client sessions for tests and benchmarks: a clinician
/// runs a group of N attendees through check-in, teaching and processing over T utterances, calling
/// on members by name, with relationship words and some risk language, under anonymous labels.
public struct SyntheticSession: Sendable {
    public var session: Session
    public var transcript: Transcript
    /// The person behind each utterance, as generated.
    public var truth: [PersonID]

    /// - Parameters:
    ///   - attendees: number of attendees (members), at least 1.
    ///   - utterances: number of utterances, at least 2.
    ///   - seed: the same seed always yields the same session.
    public static func make(attendees: Int, utterances: Int, seed: UInt64 = 1) -> SyntheticSession {
        var random = SplitMix64(seed: seed)
        let attendeeCount = max(1, attendees)
        let clinician = Clinician(id: PersonID("PROV-1"), name: "Dana Whitfield", credentials: "LCSW", role: .primary)
        var people: [Attendee] = []
        // Given names are drawn without replacement (a group of up to 50 has no two of a name; beyond
        // that, a number keeps them apart), so calling someone by name is never ambiguous.
        var givenPool = Self.givenNames
        for index in 0..<attendeeCount {
            if givenPool.isEmpty { givenPool = Self.givenNames.map { $0 + String(index / Self.givenNames.count) } }
            let given = givenPool.remove(at: random.next(below: givenPool.count))
            let name = given + " " + Self.familyNames[random.next(below: Self.familyNames.count)]
            people.append(
                Attendee(
                    id: PersonID("CL-\(1000 + index)"), name: name, aliases: [given], role: .member, present: true,
                    dateOfBirth: CalendarDate(
                        year: 1960 + random.next(below: 45), month: 1 + random.next(below: 12),
                        day: 1 + random.next(below: 28)),
                    diagnoses: ["F41.1"], consent: Consent(aiDrafting: true, part2: false)
                )
            )
        }
        let start = Timestamp(secondsSinceEpoch: 1_778_600_000, utcOffsetSeconds: -18_000)
        let session = Session(
            id: SessionID("SYN-\(seed)-\(attendeeCount)-\(utterances)"), kind: .group, title: "Synthetic group",
            start: start,
            end: Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + 5400, utcOffsetSeconds: -18_000),
            modality: .inPerson,
            placeOfService: "11", noteFormat: .dap, clinicians: [clinician], attendees: people
        )

        var items: [Utterance] = []
        var truth: [PersonID] = []
        var time = 2.0
        var turn = 0
        let count = max(2, utterances)
        func add(_ person: PersonID, _ text: String) {
            let words = text.split(separator: " ").count
            let duration = Double(words) / 2.5
            let label =
                person == clinician.id
                ? "SPEAKER_00" : "SPEAKER_\(Digits.padded(Int(person.rawValue.dropFirst(3))! - 999, 2))"
            items.append(
                Utterance(
                    index: items.count, label: label, text: text, start: time, end: time + duration,
                    line: items.count + 1))
            truth.append(person)
            time += duration + 0.6
        }
        add(clinician.id, "Welcome back, everybody. Let's start with a check-in and go around the room.")
        var previous: String? = nil
        while items.count < count {
            let member = people[turn % people.count]
            let given = member.aliases[0]
            let line = Self.clinicianLines[random.next(below: Self.clinicianLines.count)]
            // The clinician thanks whoever just spoke and hands the floor on by name, as facilitators do.
            switch (random.next(below: 4), previous) {
            case (0, .some(let last)): add(clinician.id, "Thank you, \(last). \(given), how was your week?")
            case (1, _): add(clinician.id, "\(given), how was your week? \(line)")
            default: add(clinician.id, line + " \(given)?")
            }
            previous = given
            guard items.count < count else { break }
            let replies = 1 + random.next(below: 3)
            for _ in 0..<replies where items.count < count {
                add(member.id, Self.memberLines[random.next(below: Self.memberLines.count)])
            }
            turn += 1
        }
        return SyntheticSession(
            session: session, transcript: Transcript(format: "synthetic", utterances: items), truth: truth)
    }

    static let givenNames = [
        "Maria", "Marcus", "Tasha", "Priya", "Ellen", "Kevin", "Jordan", "Deshawn", "Linda", "Thomas", "Katie",
        "Carlos",
        "Sofia", "Elena", "Daniel", "Aisha", "Jayden", "Lily", "Wei", "Rosa", "Mateo", "Claire", "Omar", "Hannah",
        "Yusuf", "Gabriela", "Trevor", "Naomi", "Andre", "Bianca", "Felix", "Imani", "Luca", "Mei", "Nadia", "Oscar",
        "Quinn", "Rafael", "Sana", "Tobias", "Uma", "Vera", "Wesley", "Ximena", "Yara", "Zane", "Ingrid", "Hector",
        "Farah", "Elliot",
    ]
    static let familyNames = [
        "Lopez", "Reed", "Nguyen", "Raman", "Brooks", "Walsh", "Blake", "Miller", "Garza", "Harmon", "O'Neil", "Mendez",
        "Alvarez", "Kim", "Chen", "Rivera", "Thompson", "Okafor", "Castillo", "Grant", "Patel", "Schmidt", "Haddad",
        "Kowalski", "Dubois",
    ]
    static let clinicianLines = [
        "What did you notice in your body when that happened?", "It sounds like that was really hard for you.",
        "Can you say more about what came up?", "How did the skill from last week go when you tried it?",
        "Let's take a moment with that before we move on.", "What would it be like to try that again this week?",
        "I'm hearing a lot of frustration in that.", "On a scale of zero to ten, where were you at the worst point?",
    ]
    static let memberLines = [
        "I had a rough week, honestly. Work was a lot and I didn't sleep much.",
        "I tried the breathing thing twice and it helped a little, maybe from an eight down to a six.",
        "My mom called again and we ended up arguing about money, like always.",
        "I didn't do the homework. I kept meaning to, but I just didn't.",
        "Sometimes I wish I could just go to sleep and not wake up, but I'm not going to do anything.",
        "I went to two meetings and called my sponsor when the craving hit on Saturday.",
        "My kids were sick most of the week, so I was running on nothing.",
        "It helped to hear that other people feel like this too.",
        "I got really angry at my brother and I walked out before I said something I'd regret.",
        "I think I'm doing a bit better than last week, actually.",
    ]
}

/// SplitMix64: a small, fast, seedable generator, so generated sessions are identical on every machine.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound`.
    public mutating func next(below bound: Int) -> Int { Int(self.next() % UInt64(max(bound, 1))) }
}
