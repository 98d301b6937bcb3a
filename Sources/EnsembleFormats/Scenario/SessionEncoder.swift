public import EnsembleCore

/// A Session as the scenario folder's `session.json` (SCENARIO-FORMAT.md): what `ensemble fhir import`
/// writes, and what `SessionDecoder` reads back to the same Session.
public enum SessionEncoder {
    public static func json(
        _ session: Session, transcriptFiles: [String] = [], diarizationFile: String? = nil
    ) -> JSONNode {
        let hints: [JSONMember] = session.speakerHints.map { hint in
            JSONMember(
                hint.label,
                hint.people.count == 1
                    ? .string(hint.people[0].rawValue) : .array(hint.people.map { .string($0.rawValue) }))
        }
        let transcript: JSONNode? =
            switch transcriptFiles.count {
            case 0: nil
            case 1: .string(transcriptFiles[0])
            default: .array(transcriptFiles.map { .string($0) })
            }
        return .object([
            ("sessionId", .string(session.id.rawValue)),
            ("kind", .string(session.kind.rawValue)),
            ("title", .string(session.title)),
            ("start", .string(session.start.description)),
            ("end", .string(session.end.description)),
            ("modality", .string(session.modality?.rawValue)),
            ("placeOfService", .string(session.placeOfService)),
            ("noteFormat", .string(session.noteFormat.rawValue)),
            ("crisis", session.crisis ? .bool(true) : nil),
            ("distinctService", session.distinctService ? .bool(true) : nil),
            ("practice", session.practice.map(self.practice)),
            ("clinicians", .array(session.clinicians.map(self.clinician))),
            ("attendees", .array(session.attendees.map(self.attendee))),
            ("speakerHints", hints.isEmpty ? nil : JSONNode(.object(hints))),
            ("transcript", transcript),
            ("diarization", .string(diarizationFile)),
        ])
    }

    static func practice(_ practice: Practice) -> JSONNode {
        .object([
            ("name", .string(practice.name)), ("npi", .string(practice.npi)), ("taxId", .string(practice.taxId)),
            ("address", practice.address.map(self.address)), ("taxonomy", .string(practice.taxonomy)),
        ])
    }

    static func address(_ address: Address) -> JSONNode {
        .object([
            ("line1", .string(address.line1)), ("line2", .string(address.line2)), ("city", .string(address.city)),
            ("state", .string(address.state)), ("postalCode", .string(address.postalCode)),
        ])
    }

    static func clinician(_ clinician: Clinician) -> JSONNode {
        .object([
            ("id", .string(clinician.id.rawValue)), ("name", .string(clinician.name)),
            ("credentials", .string(clinician.credentials)), ("npi", .string(clinician.npi)),
            ("role", .string(clinician.role.rawValue)), ("taxonomy", .string(clinician.taxonomy)),
        ])
    }

    static func attendee(_ attendee: Attendee) -> JSONNode {
        let consent: JSONNode? = attendee.consent.map { consent in
            .object([
                ("aiDrafting", .bool(consent.aiDrafting)), ("part2", .bool(consent.part2)),
                ("paymentDisclosure", consent.paymentDisclosure.map { .bool($0) }),
            ])
        }
        let coverage: JSONNode? = attendee.coverage.map { coverage in
            .object([
                ("payerName", .string(coverage.payerName)), ("payerId", .string(coverage.payerId)),
                ("memberId", .string(coverage.memberId)),
                ("subscriberRelationship", .string(coverage.subscriberRelationship)),
                ("groupNumber", .string(coverage.groupNumber)),
                ("claimFilingIndicator", .string(coverage.claimFilingIndicator)),
                (
                    "subscriber",
                    coverage.subscriber.map { subscriber in
                        .object([
                            ("clientId", .string(subscriber.clientId?.rawValue)), ("name", .string(subscriber.name)),
                            ("dateOfBirth", .string(subscriber.dateOfBirth?.description)),
                            ("sex", .string(subscriber.sex?.rawValue)),
                            ("address", subscriber.address.map(self.address)),
                        ])
                    }
                ),
                ("sequence", .string(coverage.sequence)),
            ])
        }
        let plan: JSONNode? = attendee.treatmentPlan.map { plan in
            .object([
                ("id", plan.id.isEmpty ? nil : .string(plan.id)),
                (
                    "goals",
                    .array(
                        plan.goals.map { goal in
                            .object([
                                ("id", .string(goal.id)), ("text", .string(goal.text)),
                                (
                                    "objectives",
                                    goal.objectives.isEmpty
                                        ? nil
                                        : .array(
                                            goal.objectives.map { objective in
                                                .object([
                                                    ("id", .string(objective.id)), ("text", .string(objective.text)),
                                                ])
                                            })
                                ),
                            ])
                        })
                ),
            ])
        }
        let measures: [JSONNode] = attendee.measures.map { measure in
            .object([
                ("instrument", .string(measure.instrument)), ("score", .number(measure.score)),
                ("item9", measure.item9.map { .number($0) }), ("date", .string(measure.date?.description)),
            ])
        }
        return .object([
            ("clientId", .string(attendee.id.rawValue)), ("name", .string(attendee.name)),
            ("aliases", attendee.aliases.isEmpty ? nil : .array(attendee.aliases.map { .string($0) })),
            ("role", .string(attendee.role.rawValue)), ("relationship", .string(attendee.relationship)),
            ("relatedTo", .string(attendee.relatedTo?.rawValue)), ("present", .bool(attendee.present)),
            ("minutesAttended", attendee.minutesAttended.map { .number($0) }),
            ("dateOfBirth", .string(attendee.dateOfBirth?.description)), ("sex", .string(attendee.sex?.rawValue)),
            ("pronouns", .string(attendee.pronouns)), ("address", attendee.address.map(self.address)),
            ("diagnoses", attendee.diagnoses.isEmpty ? nil : .array(attendee.diagnoses.map { .string($0) })),
            ("consent", consent), ("coverage", coverage), ("treatmentPlan", plan),
            ("measures", measures.isEmpty ? nil : .array(measures)),
            ("previousNoteSummary", .string(attendee.previousNoteSummary)),
            ("noteFormat", .string(attendee.noteFormat?.rawValue)),
            ("interactiveComplexity", .string(attendee.interactiveComplexity?.rawValue)),
        ])
    }
}
