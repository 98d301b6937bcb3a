public import EnsembleCore
import EnsembleIO

/// A small session written line by line in a test: who is on the roster and who says what. Each
/// line's label is the speaker's id and a speaker hint binds it, so attribution is certain and a test
/// exercises the drafting agents alone.
public struct ScriptedSession: Sendable {
    public var session: Session
    public var transcript: Transcript

    /// One roster attendee.
    public struct Person: Sendable {
        public var attendee: Attendee

        public init(
            _ id: String, _ name: String, role: AttendeeRole = .member, relationship: String? = nil,
            aliases: [String] = [], born: Int? = nil, aiDrafting: Bool = true, measures: [Measure] = [],
            plan: TreatmentPlan? = nil
        ) {
            self.attendee = Attendee(
                id: PersonID(id), name: name,
                aliases: aliases.isEmpty ? [String(name.split(separator: " ")[0])] : aliases,
                role: role, relationship: relationship, present: true,
                dateOfBirth: born.flatMap { CalendarDate(year: $0, month: 6, day: 1) },
                consent: Consent(aiDrafting: aiDrafting, part2: false), treatmentPlan: plan, measures: measures
            )
        }
    }

    /// The clinician's id in every scripted session.
    public static let clinician = "PROV-1"

    /// - Parameters:
    ///   - lines: `(speaker id, text)`; use `ScriptedSession.clinician` for the clinician.
    public init(kind: SessionKind, people: [Person], format: NoteFormat = .dap, lines: [(String, String)]) {
        let start = Timestamp(secondsSinceEpoch: 1_778_600_000, utcOffsetSeconds: 0)
        var hints = [SpeakerHint(label: Self.clinician, people: [PersonID(Self.clinician)])]
        hints += people.map { SpeakerHint(label: $0.attendee.id.rawValue, people: [$0.attendee.id]) }
        self.session = Session(
            id: SessionID("SCRIPTED"), kind: kind, title: "Scripted session", start: start,
            end: Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + 3600, utcOffsetSeconds: 0), modality: .inPerson,
            noteFormat: format,
            clinicians: [
                Clinician(id: PersonID(Self.clinician), name: "Dana Whitfield", credentials: "LCSW", role: .primary)
            ],
            attendees: people.map(\.attendee), speakerHints: hints
        )
        self.transcript = Transcript(
            format: "scripted",
            utterances: lines.enumerated().map { index, line in
                Utterance(
                    index: index, label: line.0, text: line.1, start: Double(index * 10), end: Double(index * 10 + 8))
            }
        )
    }

    /// A session and transcript from elsewhere (a dataset's conversation around `Fixtures.dyad`).
    public init(session: Session, transcript: Transcript) {
        self.session = session
        self.transcript = transcript
    }

    /// Segments and attributes the session with the repository's agents, and works out the facts the
    /// drafting agents share.
    public func facts() throws -> SessionFacts {
        let agents = try Fixtures.agents()
        let roster = Roster(session: self.session)
        let (segmented, attribution) = Fixtures.attribute(
            self.transcript, roster: roster, hints: self.session.speakerHints, agents: agents)
        return SessionFacts(
            attributed: AttributedSession(
                session: self.session, roster: roster, segmented: segmented, attribution: attribution),
            attributor: agents.attributor, interventions: agents.drafting.interventions
        )
    }

    /// The risk screen of the session.
    public func screen() throws -> RiskScreen {
        RiskScreening(configuration: try Fixtures.agents().drafting.screener).screen(try self.facts())
    }

    /// The whole drafting run, as `ensemble draft` would produce it.
    public func draft() async throws -> SessionRun {
        let supervisor = SessionSupervisor(configuration: try Fixtures.agents().supervisor)
        return try await supervisor.draft(self.session, transcript: self.transcript)
    }
}
