/// Everyone who could have spoken in a session: clinicians and attendees, as one list.
///
/// The attributor binds speaker labels to this list only; an absent attendee stays on it so that a
/// label naming them can be reported, but is never assigned an utterance.
public struct Roster: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case clinician(ClinicianRole)
        case attendee(AttendeeRole)
    }

    public struct Person: Sendable, Hashable, Identifiable {
        public var id: PersonID
        public var name: String
        public var aliases: [String]
        public var kind: Kind
        /// Relationship to the identified patient, lower-cased (`mother`, `stepfather`, `partner`).
        public var relationship: String?
        public var relatedTo: PersonID?
        public var present: Bool
        /// Age in whole years on the session date, when the date of birth is known.
        public var age: Int?
        /// The pronouns others use for the person, as the chart records them (`she`, `he/him`, `they`).
        public var pronouns: String?
        public var sex: AdministrativeSex?

        public init(
            id: PersonID, name: String, aliases: [String] = [], kind: Kind, relationship: String? = nil,
            relatedTo: PersonID? = nil, present: Bool = true, age: Int? = nil, pronouns: String? = nil,
            sex: AdministrativeSex? = nil
        ) {
            self.pronouns = pronouns
            self.sex = sex
            self.id = id
            self.name = name
            self.aliases = aliases
            self.kind = kind
            self.relationship = relationship
            self.relatedTo = relatedTo
            self.present = present
            self.age = age
        }

        public var isClinician: Bool {
            if case .clinician = self.kind { return true }
            return false
        }

        public var clinicianRole: ClinicianRole? {
            if case .clinician(let role) = self.kind { return role }
            return nil
        }

        public var attendeeRole: AttendeeRole? {
            if case .attendee(let role) = self.kind { return role }
            return nil
        }
    }

    public var sessionKind: SessionKind
    public var people: [Person]

    public init(sessionKind: SessionKind, people: [Person]) {
        self.sessionKind = sessionKind
        self.people = people
    }

    /// Builds the roster of a session; ages are taken on the session's local date.
    public init(session: Session) {
        let sessionDate = session.start.localDate
        var people: [Person] = session.clinicians.map {
            Person(id: $0.id, name: $0.name, kind: .clinician($0.role), present: true)
        }
        for attendee in session.attendees {
            people.append(
                Person(
                    id: attendee.id, name: attendee.name, aliases: attendee.aliases, kind: .attendee(attendee.role),
                    relationship: attendee.relationship.map { TextFolding.fold($0) },
                    relatedTo: attendee.relatedTo, present: attendee.present,
                    age: attendee.dateOfBirth.map { $0.age(on: sessionDate) }, pronouns: attendee.pronouns,
                    sex: attendee.sex
                )
            )
        }
        self.init(sessionKind: session.kind, people: people)
    }

    public func person(_ id: PersonID) -> Person? { self.people.first { $0.id == id } }

    public var present: [Person] { self.people.filter(\.present) }

    public var clinicians: [Person] { self.people.filter(\.isClinician) }
}
