import ArgumentParser
import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import EnsembleSystem
import Foundation

/// Where the store is and who is acting, for every command that uses it.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help:
            "A SQLite database file. Without --db or --database: $ENSEMBLE_DATABASE_URL, then $ENSEMBLE_DB, then ./ensemble.db."
    )
    var file: String?

    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "A PostgreSQL database shared by several instances, postgresql://USER@HOST:PORT/DATABASE "
                + "(default: $ENSEMBLE_DATABASE_URL).",
            discussion: "The password comes from PGPASSWORD, or from the file ENSEMBLE_DATABASE_PASSWORD_FILE names; "
                + "never from the URL."))
    var url: String?

    @Option(name: .customLong("as"), help: "The user acting (default: $ENSEMBLE_USER).")
    var user: String?

    /// The acting user, when one is named.
    var actingUser: String? { self.user ?? ProcessInfo.processInfo.environment["ENSEMBLE_USER"] }

    func validate() throws {
        if self.file != nil && self.url != nil {
            throw ValidationError("give --db (a SQLite file) or --database (a PostgreSQL URL), not both")
        }
    }

    /// The database chosen: `--db`, `--database`, then $ENSEMBLE_DATABASE_URL, $ENSEMBLE_DB, ./ensemble.db.
    var location: StoreLocation {
        let environment = ProcessInfo.processInfo.environment
        if let file = self.file { return StoreLocation(file) }
        if let url = self.url { return .postgresql(url) }
        if let url = environment["ENSEMBLE_DATABASE_URL"], !url.isEmpty { return .postgresql(url) }
        return .sqlite(environment["ENSEMBLE_DB"] ?? "ensemble.db")
    }

    func open() async throws -> Store { try await self.location.open() }

    /// The acting user; a usage error when none is named.
    func requireUser() throws -> String {
        guard let user = self.actingUser, !user.isEmpty else {
            throw ValidationError("name the user acting with --as (or set ENSEMBLE_USER)")
        }
        return user
    }
}

// MARK: - ensemble users

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Add and list the users of a database, and issue their tokens (admins only).",
        subcommands: [AddUser.self, ListUsers.self, IssueToken.self, RevokeTokens.self])

    struct AddUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a user. The first user of a new database must be an admin and needs no --as.")

        @Argument(help: "The user's id (what --as names).") var id: String
        @Option(help: "The user's name.") var name: String
        @Option(help: "clinician, trainee, supervisor, assistant, biller or admin.") var role: String
        @Option(name: .customLong("clinician"), help: "The clinician id sessions use for this user (clinicians[].id).")
        var clinician: String?
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard UserRole(rawValue: self.role) != nil else {
                throw ValidationError(
                    "--role must be one of \(UserRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let user = User(
                id: self.id, name: self.name, role: UserRole(rawValue: self.role)!, clinicianID: self.clinician)
            try await self.store.open().addUser(user, by: self.store.actingUser)
            Console.out("added \(self.id) (\(self.role))")
        }
    }

    struct IssueToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Issue a bearer token for a user of ensemble serve (the API and the review pages).",
            discussion: """
                The token is printed once, on standard output, or written to --output FILE (created readable \
                by you only); the database keeps only its SHA-256 digest. Issue a new one if it is lost. \
                With --expires (90d, 12h, 30m) the token stops working after that long.
                """)
        @Argument(help: "The user the token signs in as.") var id: String
        @Option(help: "What the token is for (shown in the audit trail).") var label = "api"
        @Option(help: "How long the token works: a number of days, hours or minutes (90d, 12h, 30m).")
        var expires: String?
        @Option(help: "Write the token to this file, mode 0600, instead of standard output.") var output: String?
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if let expires, Self.seconds(expires) == nil {
                throw ValidationError(
                    "--expires takes a number of days, hours or minutes up to ten years, such as 90d, 12h or 30m")
            }
        }

        /// `90d`, `12h`, `30m` in seconds; nil past ten years.
        static func seconds(_ text: String) -> Double? {
            // Up to ten years: a longer life is no expiry at all.
            guard let unit = text.last, let count = Int(text.dropLast()), count > 0, count <= 3650 * 24 * 60 else {
                return nil
            }
            let seconds: Double
            switch unit {
            case "d": seconds = Double(count) * 86_400
            case "h": seconds = Double(count) * 3_600
            case "m": seconds = Double(count) * 60
            default: return nil
            }
            return seconds <= 3650 * 86_400 ? seconds : nil
        }

        func run() async throws {
            let expiry = self.expires.flatMap(Self.seconds).map { Date().addingTimeInterval($0) }
            let token = try await self.store.open().issueToken(
                for: self.id, label: self.label, expires: expiry, by: try self.store.requireUser())
            if let output = self.output {
                try PrivateFile.write(Array((token + "\n").utf8), to: output)
                Console.error("wrote the token for \(self.id) to \(output) (mode 0600)")
            } else {
                Console.out(token)
            }
        }
    }

    struct RevokeTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke a user's bearer tokens (all, or those with --label).")
        @Argument(help: "The user whose tokens stop working.") var id: String
        @Option(help: "Only the tokens issued with this label.") var label: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let count = try await self.store.open().revokeTokens(
                for: self.id, label: self.label, by: try self.store.requireUser())
            Console.out("revoked \(count) token(s) of \(self.id)")
        }
    }

    struct ListUsers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the users and their roles.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            for user in try await self.store.open().users(as: try self.store.requireUser()) {
                Console.out(
                    "\(user.id)  \(user.role.rawValue)  \(user.name)\(user.clinicianID.map { "  clinician \($0)" } ?? "")"
                )
            }
        }
    }
}

// MARK: - ensemble audit

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check or export the hash-chained audit trail.",
        subcommands: [Verify.self, Head.self, Export.self])

    /// The environment variable holding the key that signs and checks audit heads, when one is used.
    static let headKeyVariable = "ENSEMBLE_AUDIT_HEAD_KEY"

    static func headKey() -> [UInt8]? {
        ProcessInfo.processInfo.environment[Self.headKeyVariable].flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "head",
            abstract: "Print the newest audit event as SEQ:HASH, to keep outside the database as an anchor.",
            discussion: """
                Keep the line somewhere the database's users cannot change (the practice's log system, daily). \
                `ensemble audit verify --expect-head SEQ:HASH` then finds a deleted tail or a rewritten chain. \
                With ENSEMBLE_AUDIT_HEAD_KEY set, the line ends with an HMAC-SHA256 of it (SEQ:HASH:MAC).
                """)
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let head = try await self.store.open().auditHead(as: try self.store.requireUser())
            Console.out((AuditCommand.headKey().map(head.signed(key:)) ?? head).description)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute every link of the audit chain; exit 1 and name the first broken event if one fails.")
        @Option(
            name: .customLong("expect-head"),
            help: "A head printed earlier by `ensemble audit head` (SEQ:HASH or SEQ:HASH:MAC) that must still be there."
        )
        var expectHead: String?
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if let expectHead, AuditHead(expectHead) == nil {
                throw ValidationError("--expect-head takes SEQ:HASH or SEQ:HASH:MAC as `ensemble audit head` prints it")
            }
        }

        func run() async throws {
            let head = self.expectHead.flatMap(AuditHead.init)
            if let head, head.mac == nil, AuditCommand.headKey() != nil {
                throw CommandFailure(
                    message: "\(AuditCommand.headKeyVariable) is set, so the head must be signed (SEQ:HASH:MAC); "
                        + "an unsigned head could have been written by anyone",
                    exitCode: 1)
            }
            if let head, head.mac != nil {
                guard let key = AuditCommand.headKey() else {
                    throw CommandFailure(
                        message: "the head is signed; set \(AuditCommand.headKeyVariable) to the key that signed it",
                        exitCode: 1)
                }
                guard head.macHolds(key: key) else {
                    throw CommandFailure(
                        message: "the head's signature does not hold: it was not made with this key, or it was changed",
                        exitCode: 1)
                }
            }
            let result = try await self.store.open().verifyAudit(as: try self.store.requireUser(), expectHead: head)
            if let broken = result.firstBroken {
                throw CommandFailure(
                    message: "the audit trail is broken at event \(broken.seq) of \(result.events): \(broken.reason)",
                    exitCode: 1)
            }
            Console.out(
                "audit trail verified: \(result.events) events, every link holds"
                    + (head.map { ", and event \($0.seq) is the anchored head" } ?? ""))
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write every audit event as JSON lines (ids, versions and digests only).")
        @Option(help: "Write to this file instead of standard output.") var output: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let lines = try await self.store.open().exportAudit(as: try self.store.requireUser())
            let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
            if let output = self.output {
                try PrivateFile.write(Array(text.utf8), to: output)
                Console.error("wrote \(lines.count) events to \(output)")
            } else {
                Console.out(text)
            }
        }
    }
}

// MARK: - ensemble jobs

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Look after the server's drafting jobs.", subcommands: [Purge.self])

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge",
            abstract:
                "Delete succeeded and failed jobs last changed more than --older-than days ago (admins; audited).",
            discussion: """
                A job row keeps ids, states, its error and its payload's digest; the payload itself is dropped \
                once the job succeeds or fails for good. Rows are kept until purged; queued and running jobs \
                are never purged.
                """)
        @Option(name: .customLong("older-than"), help: "Days since the job last changed.") var olderThan: Int
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard self.olderThan >= 0 else { throw ValidationError("--older-than must be 0 days or more") }
        }

        func run() async throws {
            let count = try await self.store.open().purgeJobs(
                olderThanDays: self.olderThan, as: try self.store.requireUser())
            Console.out("purged \(count) finished job(s) older than \(self.olderThan) day(s)")
        }
    }
}

// MARK: - ensemble store

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move a practice's store between databases.", subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy every record, the audit chain included, into a new, empty database (admins; audited).",
            discussion: """
                --from and --to each take a SQLite file (a path, or sqlite:PATH) or a PostgreSQL URL \
                (postgresql://USER@HOST:PORT/DATABASE, the password from PGPASSWORD or the file \
                ENSEMBLE_DATABASE_PASSWORD_FILE names). The copy is one transaction: it lands whole or not at \
                all, and a destination that already holds data is refused. Ids, versions, signatures and the \
                audit chain are copied unchanged, so `ensemble audit verify` passes on the copy; both databases \
                record the copy as a `store.copied` event. Stop the servers using the source first, and copy \
                into a database no one has used (one an instance has only migrated counts as empty).
                """)
        @Option(help: "The database to copy from.") var from: String
        @Option(help: "The new, empty database to copy into.") var to: String
        @Option(name: .customLong("as"), help: "An admin of the source (default: $ENSEMBLE_USER).") var user: String?

        func run() async throws {
            guard let user = self.user ?? ProcessInfo.processInfo.environment["ENSEMBLE_USER"], !user.isEmpty else {
                throw ValidationError("name the admin copying with --as (or set ENSEMBLE_USER)")
            }
            let from = StoreLocation(self.from)
            let to = StoreLocation(self.to)
            guard from != to else { throw ValidationError("--from and --to name the same database") }
            let report = try await Store.copy(
                from: try await from.open(), to: try await to.open(), as: user)
            for table in report.tables where table.rows > 0 {
                Console.out("\(table.name): \(table.rows)")
            }
            Console.out(
                "copied \(report.rows) rows from \(from) to \(to); the audit chain runs to event "
                    + "\(report.sourceHead.seq) as in the source, then the copy's own event. Check it with: "
                    + "ensemble audit verify --expect-head \(report.sourceHead)")
        }
    }
}

// MARK: - ensemble metrics

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract:
            "Governance figures: section acceptance, edits before signing, notes signed unedited, time to signature.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let metrics = try await self.store.open().metrics(as: try self.store.requireUser())
        var lines = ["Section acceptance (accepted / reviewed)"]
        for (section, counts) in metrics.acceptance.sorted(by: { $0.key < $1.key }) {
            let total = counts.accepted + counts.rejected
            lines.append(
                "  \(section.padding(toLength: 24, withPad: " ", startingAt: 0)) \(counts.accepted)/\(total)"
                    + String(format: " (%.0f%%)", total == 0 ? 0 : 100 * Double(counts.accepted) / Double(total)))
        }
        if metrics.acceptance.isEmpty { lines.append("  no sections reviewed yet") }
        func figures(_ name: String, _ figures: GovernanceMetrics.Figures) -> String {
            String(
                format:
                    "  %@: %d signed, %d with no edits (%.0f%%), mean edit distance %.1f words, mean time to signature %.0f min",
                name, figures.signedNotes, figures.signedWithoutEdits,
                figures.signedNotes == 0 ? 0 : 100 * Double(figures.signedWithoutEdits) / Double(figures.signedNotes),
                figures.meanEditDistance, figures.meanSecondsToSignature / 60)
        }
        lines.append("Signed notes")
        lines.append(figures("overall", metrics.overall))
        for (clinician, value) in metrics.byClinician.sorted(by: { $0.key < $1.key }) {
            lines.append(figures(clinician, value))
        }
        Console.out(lines.joined(separator: "\n"))
    }
}
