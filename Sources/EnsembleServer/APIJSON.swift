import EnsembleCore
import EnsembleFormats
import EnsembleStore

/// The REST API's JSON for the store's values. Field names are camelCase, as in the run report.
enum APIJSON {
    static func job(_ job: Job) -> JSONNode {
        .object([
            ("id", .string(job.id)), ("source", .string(job.source)), ("eventId", .string(job.eventID)),
            ("session", .string(job.session)), ("state", .string(job.state.rawValue)),
            ("attempts", .number(job.attempts)), ("maxAttempts", .number(job.maxAttempts)),
            ("error", .string(job.error)), ("run", job.runID.map { .number($0) }), ("created", .string(job.created)),
            ("updated", .string(job.updated)), ("payloadDigest", .string(job.payloadDigest)),
            ("payloadBytes", .number(job.payloadBytes)),
        ])
    }

    static func summary(_ summary: SessionSummary) -> JSONNode {
        .object([
            ("id", .string(summary.id)), ("kind", .string(summary.kind)), ("title", .string(summary.title)),
            ("created", .string(summary.created)), ("attendees", .number(summary.attendees)),
            ("draftNotes", .number(summary.draftNotes)), ("signedNotes", .number(summary.signedNotes)),
            ("openFlags", .number(summary.openFlags)),
        ])
    }

    static func sentence(_ sentence: NoteSentence) -> JSONNode {
        .object([
            ("text", .string(sentence.text)), ("basis", .string(sentence.basis.rawValue)),
            ("evidence", .array(sentence.evidence.map { .number($0) })), ("source", .string(sentence.source)),
        ])
    }

    static func sections(_ sections: [NoteSection]) -> JSONNode {
        .array(
            sections.map {
                .object([("title", .string($0.title)), ("sentences", .array($0.sentences.map(Self.sentence)))])
            })
    }

    static func note(_ note: NoteReview) -> JSONNode {
        .object([
            ("attendee", .string(note.attendee.rawValue)), ("format", .string(note.format)),
            ("state", .string(note.state.rawValue)), ("version", .number(note.currentVersion)),
            ("aiGenerated", .bool(note.aiGenerated)), ("sections", Self.sections(note.sections)),
            (
                "decisions",
                .object(note.decisions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value.rawValue)) })
            ),
            (
                "history",
                .array(
                    note.history.map {
                        .object([
                            ("version", .number($0.version)), ("origin", .string($0.origin)),
                            ("author", .string($0.author)), ("aiGenerated", .bool($0.aiGenerated)),
                            ("created", .string($0.created)),
                        ])
                    })
            ),
            ("draftBesideEdit", note.draftBesideEdit.map { .number($0) }),
            (
                "signatures",
                .array(
                    note.signatures.map {
                        .object([
                            ("kind", .string($0.kind)), ("user", .string($0.user)), ("version", .number($0.version)),
                            ("at", .string($0.at)),
                        ])
                    })
            ),
            (
                "addenda",
                .array(
                    note.addenda.map {
                        .object([("user", .string($0.user)), ("at", .string($0.at)), ("text", .string($0.text))])
                    })
            ),
        ])
    }

    static func flag(_ flag: StoredFlag, ageSeconds: Double? = nil) -> JSONNode {
        .object([
            ("id", .number(flag.id)), ("session", .string(flag.session)),
            ("attendee", .string(flag.attendee?.rawValue)),
            ("category", .string(flag.category)), ("level", .string(flag.level)), ("route", .string(flag.route)),
            ("evidence", .array(flag.evidence.map { .number($0) })), ("created", .string(flag.created)),
            ("ageSeconds", ageSeconds.map { .rounded($0, places: 0) }),
            ("acknowledgedBy", .string(flag.acknowledgedBy)),
            ("acknowledgedComment", .string(flag.acknowledgedComment)),
            ("acknowledgedAt", .string(flag.acknowledgedAt)),
        ])
    }

    static func review(_ review: SessionReview) -> JSONNode {
        let session = review.session
        return .object([
            ("session", .string(session.id.rawValue)), ("kind", .string(session.kind.rawValue)),
            ("title", .string(session.title)),
            (
                "attendees",
                .array(
                    session.attendees.map {
                        .object([
                            ("id", .string($0.id.rawValue)), ("name", .string($0.name)),
                            ("role", .string($0.role.rawValue)),
                            ("present", .bool($0.present)),
                        ])
                    })
            ),
            ("notes", .array(review.notes.map(Self.note))), ("groupNote", Self.sections(review.groupNote)),
            ("flags", .array(review.flags.map { Self.flag($0) })),
            (
                "findings",
                .array(
                    review.findings.map {
                        .object([
                            ("code", .string($0.code.rawValue)), ("severity", .string($0.severity.rawValue)),
                            ("person", .string($0.person?.rawValue)), ("message", .string($0.message)),
                        ])
                    })
            ),
            (
                "speakers",
                .array(
                    review.speakers.map {
                        .object([
                            ("label", .string($0.label)), ("person", .string($0.person?.rawValue)),
                            ("confidence", .rounded($0.confidence)),
                            ("fromUtterance", $0.fromUtterance.map { JSONNode.number($0) }),
                        ])
                    })
            ),
            (
                "utterances",
                .array(
                    review.utterances.map {
                        .object([
                            ("index", .number($0.index)), ("label", .string($0.label)),
                            ("person", .string($0.person?.rawValue)), ("text", .string($0.text)),
                        ])
                    })
            ),
        ])
    }

    static func claim(_ claim: StoredClaim) -> JSONNode {
        .object([
            ("session", .string(claim.session)), ("claimId", .string(claim.claimID)),
            ("attendee", .string(claim.attendee.rawValue)), ("codes", .array(claim.codes.map { .string($0) })),
            ("charge", .rounded(Double(claim.chargeCents) / 100)), ("status", .string(claim.status)),
            ("reasons", .array(claim.reasons.map { .string($0.message) })),
            (
                "reasonDetails",
                .array(
                    claim.reasons.map { reason in
                        .object([
                            ("code", .string(reason.code)),
                            ("severity", reason.severity.map { .string($0.rawValue) }),
                            ("stops", reason.stops.map { .string($0.rawValue) }),
                            ("message", .string(reason.message)),
                            ("fix", reason.fix.map(ClaimsReport.fix)),
                        ])
                    })
            ),
        ])
    }

    static func metrics(_ metrics: GovernanceMetrics) -> JSONNode {
        func figures(_ figures: GovernanceMetrics.Figures) -> JSONNode {
            .object([
                ("signedNotes", .number(figures.signedNotes)),
                ("signedWithoutEdits", .number(figures.signedWithoutEdits)),
                ("meanEditDistance", .rounded(figures.meanEditDistance)),
                ("meanSecondsToSignature", .rounded(figures.meanSecondsToSignature, places: 0)),
            ])
        }
        return .object([
            (
                "acceptance",
                .object(
                    metrics.acceptance.sorted { $0.key < $1.key }.map {
                        (
                            $0.key,
                            .object([
                                ("accepted", .number($0.value.accepted)), ("rejected", .number($0.value.rejected)),
                            ])
                        )
                    })
            ),
            ("overall", figures(metrics.overall)),
            (
                "byClinician",
                .object(metrics.byClinician.sorted { $0.key < $1.key }.map { ($0.key, figures($0.value)) })
            ),
        ])
    }

    static func audit(_ verification: AuditVerification) -> JSONNode {
        .object([
            ("events", .number(verification.events)), ("intact", .bool(verification.firstBroken == nil)),
            ("firstBrokenEvent", verification.firstBroken.map { .number($0.seq) }),
            ("reason", .string(verification.firstBroken?.reason)),
        ])
    }
}
