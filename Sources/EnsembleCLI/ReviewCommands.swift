import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleService
import EnsembleStore
import Foundation

/// A session and one attendee, as most review commands name them.
struct NoteOptions: ParsableArguments {
    @Argument(help: "The session id.") var session: String
    @Argument(help: "The attendee's client id.") var attendee: String
}

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review drafts in the store: show, edit, accept or reject sections, acknowledge risk, sign.",
        discussion: """
            Every command acts as the user named by --as and is checked against that user's role. Drafts \
            are never signed automatically; a signed note is locked and corrections are addenda.
            """,
        subcommands: [
            Show.self, Edit.self, Accept.self, Reject.self, Queue.self, Acknowledge.self, Sign.self, Cosign.self,
            Addendum.self, Relabel.self, Claims.self,
        ])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a session: attendees, each note's current version and history, evidence, risk, findings.")
        @Argument(help: "The session id.") var session: String
        @Option(help: "Only this attendee's note.") var attendee: String?
        @Flag(help: "Print each cited utterance under its sentence.") var evidence = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let review = try await self.store.open().review(
                session: self.session, attendee: self.attendee.map(PersonID.init), as: try self.store.requireUser())
            Console.out(ReviewText.render(review, evidence: self.evidence))
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "edit",
            abstract: "Replace one section's text (a line per sentence) as a new version of the note.")
        @OptionGroup var note: NoteOptions
        @Option(help: "The section's title, as show prints it.") var section: String
        @Option(help: "The new text; one sentence per line.") var text: String?
        @Option(name: .customLong("text-file"), help: "Read the new text from this file.") var textFile: String?
        @Option(help: "The version you reviewed; refused when the note has moved on.") var version: Int
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard (self.text == nil) != (self.textFile == nil) else {
                throw ValidationError("give the new text with exactly one of --text and --text-file")
            }
        }

        func run() async throws {
            let text = try self.text ?? String(contentsOfFile: self.textFile!, encoding: .utf8)
            let version = try await self.store.open().editSection(
                session: self.note.session, attendee: PersonID(self.note.attendee), section: self.section, text: text,
                baseVersion: self.version, as: try self.store.requireUser())
            Console.out("\(self.note.attendee): section \(self.section) edited; the note is now at version \(version)")
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "accept", abstract: "Accept a section of a draft.")
        @OptionGroup var note: NoteOptions
        @Option(help: "The section's title.") var section: String
        @Option(help: "The version you reviewed.") var version: Int
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await ReviewCommand.decide(.accepted, self.note, self.section, self.version, self.store)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reject", abstract: "Reject a section of a draft; it must be edited before signing.")
        @OptionGroup var note: NoteOptions
        @Option(help: "The section's title.") var section: String
        @Option(help: "The version you reviewed.") var version: Int
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await ReviewCommand.decide(.rejected, self.note, self.section, self.version, self.store)
        }
    }

    static func decide(
        _ decision: SectionDecision, _ note: NoteOptions, _ section: String, _ version: Int, _ store: StoreOptions
    ) async throws {
        try await store.open().reviewSection(
            session: note.session, attendee: PersonID(note.attendee), section: section, decision: decision,
            version: version, as: try store.requireUser())
        Console.out("\(note.attendee): section \(section) of version \(version) \(decision.rawValue)")
    }

    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "queue",
            abstract:
                "The supervisor's queue: elevated and urgent risk flags waiting for acknowledgement, urgent first.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let queue = try await self.store.open().riskQueue(as: try self.store.requireUser())
            guard !queue.isEmpty else { return Console.out("no risk flags wait for a supervisor") }
            for (flag, age) in queue {
                Console.out(
                    "flag \(flag.id)  \(flag.level.uppercased())  \(flag.category)  session \(flag.session)  "
                        + "attendee \(flag.attendee?.rawValue ?? "unidentified speaker")  utterances \(flag.evidence.map(String.init).joined(separator: ","))  "
                        + "waiting \(ReviewText.age(age))")
            }
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack", abstract: "Acknowledge a risk flag as the supervisor, saying what was done.")
        @Argument(help: "The flag's number, as queue prints it.") var flag: Int
        @Option(help: "What was done (safety plan reviewed, call made …).") var comment: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await self.store.open().acknowledge(
                flag: self.flag, comment: self.comment, as: try self.store.requireUser())
            Console.out("risk flag \(self.flag) acknowledged")
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Sign the version you reviewed. The note is then locked; a trainee's waits for a co-signature.")
        @OptionGroup var note: NoteOptions
        @Option(help: "The version you reviewed.") var version: Int
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let state = try await self.store.open().sign(
                session: self.note.session, attendee: PersonID(self.note.attendee), version: self.version,
                as: try self.store.requireUser())
            Console.out(
                state == .signed
                    ? "\(self.note.attendee): version \(self.version) signed and locked"
                    : "\(self.note.attendee): version \(self.version) signed; it waits for a supervisor's co-signature")
        }
    }

    struct Cosign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cosign", abstract: "Co-sign a trainee's signed note as the supervisor.")
        @OptionGroup var note: NoteOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await self.store.open().cosign(
                session: self.note.session, attendee: PersonID(self.note.attendee), as: try self.store.requireUser())
            Console.out("\(self.note.attendee): co-signed; the note is signed and locked")
        }
    }

    struct Addendum: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "addendum", abstract: "Add a correction to a signed note (the note itself never changes).")
        @OptionGroup var note: NoteOptions
        @Option(help: "The addendum's text.") var text: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await self.store.open().addendum(
                session: self.note.session, attendee: PersonID(self.note.attendee), text: self.text,
                as: try self.store.requireUser())
            Console.out("\(self.note.attendee): addendum added")
        }
    }

    struct Relabel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "relabel",
            abstract: "Say who spoke under a label; only the affected attendees' notes are drafted again.",
            discussion: """
                A note the clinician has edited keeps their version; the new draft is kept beside it. The \
                correction applies to every later drafting of the session.
                """)
        @Argument(help: "The session id.") var session: String
        @Argument(help: "The speaker label, exactly as show lists it.") var label: String
        @Argument(help: "The roster id of the person who spoke, or 'unknown'.") var person: String
        @Option(name: .long, help: "The agents' configuration folder (default: $ENSEMBLE_AGENTS, then ./Agents).")
        var agents: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var modelOptions: ModelOptions

        func run() async throws {
            let user = try self.store.requireUser()
            let store = try await self.store.open()
            let person = self.person == "unknown" ? nil : PersonID(self.person)
            let agents = try AgentsDirectory.load(explicit: self.agents)
            let service = DraftingService(agents: agents, engine: try self.modelOptions.engine(agents))
            let (affected, recorded) = try await service.relabel(
                session: self.session, label: self.label, person: person, store: store, as: user)
            Console.out("label relabelled; run \(recorded.runID) drafted the affected notes again:")
            for attendee in affected.sorted(by: { $0.rawValue < $1.rawValue }) {
                guard let (change, version) = recorded.notes[attendee] else { continue }
                Console.out("  \(attendee): \(change.rawValue) (version \(version))")
            }
        }
    }

    struct Claims: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "claims",
            abstract: "Stored claims and their status for billing staff: ready once the attendee's note is signed.",
            discussion: """
                --status blocked groups the blocked claims by what to fix, the fix that clears most first; \
                --status notBillable lists the claims to drop, with any code that applies instead.
                """)
        @Option(help: "Only this session's claims.") var session: String?
        @Option(help: "Only claims with this status: ready, pendingSignature, blocked or notBillable.")
        var status: ClaimStatusOption?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let claims = try await self.store.open().claims(
                session: self.session, status: self.status?.rawValue, as: try self.store.requireUser())
            if let status = self.status?.status, status == .blocked || status == .notBillable {
                return Console.out(WorkQueueText.render(ClaimWorkQueue(stored: claims, status: status), status: status))
            }
            guard !claims.isEmpty else { return Console.out("no claims") }
            for claim in claims {
                Console.out(
                    "\(claim.session)  \(claim.claimID)  \(claim.attendee)  \(claim.codes.joined(separator: " "))  "
                        + "\(ClaimsReport.dollars(claim.chargeCents))  \(claim.status)")
                for reason in claim.reasons where reason.stops != nil || reason.severity == .warning {
                    let label = reason.stops.map { $0 == .blocked ? "blocks" : "not billable" } ?? "warning"
                    let wrapped = Text.wrap(reason.message, width: Text.width - 18)
                    for (offset, line) in wrapped.enumerated() {
                        Console.out(
                            (offset == 0 ? "    " + Text.pad(label, 14) : String(repeating: " ", count: 18)) + line)
                    }
                    if let fix = reason.fix {
                        Console.out(String(repeating: " ", count: 18) + "fix: " + fix.description)
                    }
                }
            }
            var counts: [String: Int] = [:]
            for claim in claims { counts[claim.status, default: 0] += 1 }
            Console.out(
                "\(claims.count) claim(s): \(counts["ready"] ?? 0) ready, \(counts["pendingSignature"] ?? 0) pending "
                    + "signature, \(counts["blocked"] ?? 0) blocked, \(counts["notBillable"] ?? 0) not billable")
        }
    }
}

/// A session in review as text: the clinician sees names here (they are the treating clinician);
/// nothing of this goes to logs.
enum ReviewText {
    static func render(_ review: SessionReview, evidence: Bool) -> String {
        let session = review.session
        let roster = Roster(session: session)
        func name(_ id: PersonID) -> String { roster.person(id).map { "\($0.name) (\(id))" } ?? id.rawValue }
        let text = Dictionary(uniqueKeysWithValues: review.utterances.map { ($0.index, $0) })
        var lines = ["Session \(session.id) · \(session.kind.rawValue) · \(session.title ?? "untitled")"]
        for flag in review.flags {
            let state =
                flag.acknowledgedBy.map { "acknowledged by \($0)" }
                ?? (flag.needsSupervisor ? "WAITING FOR A SUPERVISOR" : "for the clinician")
            lines.append(
                "  RISK flag \(flag.id): \(flag.level) \(flag.category) · \(flag.attendee.map(name) ?? "unidentified speaker") · \(state)"
            )
        }
        for note in review.notes {
            let mark = note.aiGenerated ? "draft, AI-generated" : note.state == .signed ? "signed" : "draft"
            lines.append("")
            lines.append(
                "== \(name(note.attendee)) · \(note.format) · version \(note.currentVersion) · \(note.state.rawValue) · \(mark) =="
            )
            if let beside = note.draftBesideEdit {
                lines.append("  a newer draft (version \(beside)) sits beside your edited version")
            }
            for section in note.sections {
                let decision = note.decisions[section.title].map { " [\($0.rawValue)]" } ?? ""
                lines.append("  \(section.title)\(decision)")
                for sentence in section.sentences {
                    let cite =
                        sentence.evidence.isEmpty
                        ? "" : " [" + sentence.evidence.map(String.init).joined(separator: ", ") + "]"
                    let basis = sentence.basis == .clinician ? " (clinician)" : ""
                    lines.append("    \(sentence.text)\(cite)\(basis)")
                    guard evidence else { continue }
                    for index in sentence.evidence {
                        guard let utterance = text[index] else { continue }
                        lines.append(
                            "        \(index) \(utterance.person.map(name) ?? utterance.label ?? "unknown"): \(utterance.text)"
                        )
                    }
                }
            }
            for signature in note.signatures {
                lines.append(
                    "  \(signature.kind == "author" ? "Signed" : "Co-signed") by \(signature.user) at \(signature.at) (version \(signature.version))"
                )
            }
            for addendum in note.addenda {
                lines.append("  Addendum by \(addendum.user) at \(addendum.at): \(addendum.text)")
            }
            lines.append(
                "  history: "
                    + note.history.map { "v\($0.version) \($0.origin)\($0.author.map { " by \($0)" } ?? "")" }.joined(
                        separator: ", "))
        }
        if !review.groupNote.isEmpty {
            lines.append("")
            lines.append("== Group note ==")
            for section in review.groupNote {
                lines.append("  \(section.title)")
                for sentence in section.sentences { lines.append("    \(sentence.text)") }
            }
        }
        if !review.findings.isEmpty {
            lines.append("")
            lines.append("Findings")
            for finding in review.findings { lines.append("  \(finding.severity.rawValue): \(finding.message)") }
        }
        return lines.joined(separator: "\n")
    }

    static func age(_ seconds: Double) -> String {
        if seconds < 3600 { return "\(Int(seconds / 60)) min" }
        if seconds < 172_800 { return "\(Int(seconds / 3600)) h" }
        return "\(Int(seconds / 86400)) days"
    }
}
