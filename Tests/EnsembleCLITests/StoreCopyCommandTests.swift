import EnsembleCLI
import EnsembleStore
import EnsembleStoreTesting
import EnsembleTesting
import Foundation
import Testing

/// Moving a practice's store between databases (`ensemble store copy`), and choosing one (`--db`,
/// `--database`).
@Suite("Command line: store copy and database choice")
struct StoreCopyCommandTests {
    typealias Desk = ReviewCommandTests.Desk

    /// A practice's store after a day's work: users, a drafted and signed note, an acknowledged flag.
    static func practice(_ desk: Desk) async throws {
        let session = "S-2026-05-14-FAM"
        #expect(await desk.run(["users", "add", "admin", "--name", "Admin", "--role", "admin"], as: nil).status == 0)
        for (id, role) in [("hcole", "clinician"), ("sup", "supervisor"), ("bill", "biller")] {
            var arguments = ["users", "add", id, "--name", id, "--role", role]
            if role == "clinician" { arguments += ["--clinician", "PROV-4"] }
            #expect(await desk.run(arguments, as: "admin").status == 0)
        }
        #expect(await desk.run(["users", "token", "hcole"], as: "admin").status == 0)
        #expect(
            await desk.run(["draft", Fixtures.scenariosDirectory + "/adolescent-family", "--quiet"], as: "hcole").status
                == 0)
        #expect(await desk.run(["review", "ack", "1", "--comment", "Safety plan reviewed."], as: "sup").status == 0)
        #expect(await desk.run(["review", "sign", session, "CL-301", "--version", "1"], as: "hcole").status == 0)
    }

    @Test(arguments: Backend.available.count > 1 ? [Backend.postgresql] : [Backend.sqlite])
    func aPracticeMovesItsStore_andTheAuditChainVerifiesOnTheCopy(_ target: Backend) async throws {
        let source = try await Desk(.sqlite)
        try await Self.practice(source)
        let head = await source.run(["audit", "head"], as: "admin").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let destination = try await Desk(target)
        let copy = await Self.copy(from: source, to: destination, as: "admin")
        #expect(copy.status == 0, "\(copy.error)")
        #expect(copy.out.contains("audit_events:") && copy.out.contains("note_versions: 3"))
        #expect(!copy.out.contains("Sofia") && !copy.error.contains("Sofia"))

        // The copy's chain holds the source's events unchanged, then its own.
        let verify = await destination.run(["audit", "verify", "--expect-head", head], as: "admin")
        #expect(verify.status == 0 && verify.out.contains("every link holds"), "\(verify.error)")
        let export = await destination.run(["audit", "export"], as: "admin").out
        #expect(export.contains("\"action\":\"store.copied\""))
        // Everything works on the copy as it did: the signed note is locked, the claim ready, ids continue.
        let session = "S-2026-05-14-FAM"
        let show = await destination.run(["review", "show", session, "--attendee", "CL-301"], as: "hcole")
        #expect(show.status == 0 && show.out.contains("signed"))
        let locked = await destination.run(["review", "sign", session, "CL-301", "--version", "1"], as: "hcole")
        #expect(locked.status == 3 && locked.error.contains("locked"))
        let claims = await destination.run(["review", "claims", "--status", "ready"], as: "bill")
        #expect(claims.out.contains("1 ready"))
        let redraft = await destination.run(["draft", Fixtures.scenariosDirectory + "/adolescent-family"], as: "hcole")
        #expect(redraft.status == 0 && redraft.error.contains("stored as run 2"), "\(redraft.error)")

        // And back again: a copy of the copy verifies too.
        let back = try await Desk(.sqlite)
        #expect(await Self.copy(from: destination, to: back, as: "admin").status == 0)
        let again = await back.run(["audit", "verify", "--expect-head", head], as: "admin")
        #expect(again.status == 0, "\(again.error)")
    }

    @Test func aDestinationWithData_aNonAdmin_andTwoDatabases_areRefused() async throws {
        let source = try await Desk(.sqlite)
        try await Self.practice(source)
        let used = try await Desk(.sqlite)
        #expect(await used.run(["users", "add", "admin", "--name", "Admin", "--role", "admin"], as: nil).status == 0)
        let full = await Self.copy(from: source, to: used, as: "admin")
        #expect(full.status != 0 && full.error.contains("already holds data"))
        let empty = try await Desk(.sqlite)
        let biller = await Self.copy(from: source, to: empty, as: "bill")
        #expect(biller.status == 3 && biller.error.contains("refused"))
        #expect(await Self.copy(from: source, to: empty, as: "admin").status == 0, "the refused copy left nothing")

        let both = await source.run(
            ["review", "queue", "--database", "postgresql://ensemble@127.0.0.1/x"], as: "sup")
        #expect(both.status == 64 && both.error.contains("not both"))
        let password = await Desk.runBare(
            ["review", "queue", "--database", "postgresql://ensemble:s3cret@127.0.0.1/x", "--as", "sup"])
        #expect(password.status != 0 && password.error.contains("PGPASSWORD") && !password.error.contains("s3cret"))
    }

    static func copy(from source: Desk, to destination: Desk, as user: String) async -> CommandLineTests.Run {
        await Desk.runBare([
            "store", "copy", "--from", source.database.address, "--to", destination.database.address, "--as", user,
        ])
    }
}

extension ReviewCommandTests.Desk {
    /// A command with exactly these arguments.
    static func runBare(_ arguments: [String]) async -> CommandLineTests.Run {
        let captured = CapturedConsole()
        let status = await Console.$current.withValue(captured.console) { await EnsembleCLI.run(arguments) }
        return CommandLineTests.Run(status: status, out: captured.out, error: captured.error)
    }
}
