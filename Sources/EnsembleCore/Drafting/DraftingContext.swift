/// What the drafting agents share: the attributed session and the facts worked out from it.
public final class DraftingContext: Sendable {
    public let facts: SessionFacts

    public init(facts: SessionFacts) { self.facts = facts }

    public var attributed: AttributedSession { self.facts.attributed }
    public var session: Session { self.facts.session }
}
