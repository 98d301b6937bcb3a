/// Where a note is in review.
public enum NoteState: String, Sendable, Hashable {
    /// Drafted or edited, not signed.
    case draft
    /// Signed by a trainee; locked, waiting for a supervisor's co-signature.
    case awaitingCosignature
    /// Signed (and co-signed where needed): locked; corrections are addenda.
    case signed
}

/// A clinician's verdict on one section of a draft.
public enum SectionDecision: String, Sendable, Hashable {
    case accepted, rejected
}

/// What a signature needs to know about the note.
public struct SigningFacts: Sendable, Hashable {
    public var state: NoteState
    public var currentVersion: Int
    /// The version the signer reviewed and means to sign.
    public var version: Int
    public var signerRole: UserRole
    /// Elevated or urgent flags about the attendee that no supervisor has acknowledged.
    public var unacknowledgedFlags: Int
    /// Sections of the current version still holding a "manual note required" placeholder.
    public var placeholderSections: [String]
    /// Sections of the current version a reviewer rejected.
    public var rejectedSections: [String]

    public init(
        state: NoteState, currentVersion: Int, version: Int, signerRole: UserRole, unacknowledgedFlags: Int,
        placeholderSections: [String], rejectedSections: [String]
    ) {
        self.state = state
        self.currentVersion = currentVersion
        self.version = version
        self.signerRole = signerRole
        self.unacknowledgedFlags = unacknowledgedFlags
        self.placeholderSections = placeholderSections
        self.rejectedSections = rejectedSections
    }
}

/// The review workflow's decisions, as pure functions the store applies inside its transactions.
/// Every refusal says what to do next, by id and section title, never by note content.
public enum ReviewRules {
    public enum Refusal: Error, Sendable, Hashable {
        case locked(String)
        case stale(String)
        case blocked(String)

        public var message: String {
            switch self {
            case .locked(let text), .stale(let text), .blocked(let text): text
            }
        }
    }

    /// Whether an edit based on `baseVersion` may be made to a note at `currentVersion` in `state`.
    public static func editRefusal(state: NoteState, currentVersion: Int, baseVersion: Int) -> Refusal? {
        if state != .draft {
            return .locked("the note is signed and locked; add an addendum instead")
        }
        if baseVersion != currentVersion {
            return .stale(
                "the edit is based on version \(baseVersion) but the note is now at version \(currentVersion); "
                    + "review version \(currentVersion) and edit again")
        }
        return nil
    }

    /// The state a signature leaves the note in, or why it cannot be signed. Nothing is signed
    /// automatically: this runs only for a user's explicit request.
    public static func signing(_ facts: SigningFacts) -> Result<NoteState, Refusal> {
        switch facts.state {
        case .signed: return .failure(.locked("the note is already signed and locked; add an addendum instead"))
        case .awaitingCosignature:
            return .failure(.locked("the note is signed and waits for a supervisor's co-signature"))
        case .draft: break
        }
        if facts.version != facts.currentVersion {
            return .failure(
                .stale(
                    "version \(facts.version) is not the current one (version \(facts.currentVersion)); "
                        + "review version \(facts.currentVersion) before signing"))
        }
        if facts.unacknowledgedFlags > 0 {
            return .failure(
                .blocked(
                    "\(facts.unacknowledgedFlags) risk flag(s) about this attendee wait for a supervisor's "
                        + "acknowledgement; the note can be signed once they are acknowledged"))
        }
        if !facts.placeholderSections.isEmpty {
            return .failure(
                .blocked(
                    "these sections still say a manual note is required: "
                        + "\(facts.placeholderSections.joined(separator: ", ")); write them with review edit first"))
        }
        if !facts.rejectedSections.isEmpty {
            return .failure(
                .blocked(
                    "these sections were rejected: \(facts.rejectedSections.joined(separator: ", ")); "
                        + "edit them before signing"))
        }
        return .success(facts.signerRole == .trainee ? .awaitingCosignature : .signed)
    }

    /// Whether a co-signature can complete the note.
    public static func cosignRefusal(state: NoteState) -> Refusal? {
        switch state {
        case .awaitingCosignature: nil
        case .signed: .locked("the note is already signed and locked")
        case .draft: .blocked("the note has not been signed yet; a co-signature follows a trainee's signature")
        }
    }
}
