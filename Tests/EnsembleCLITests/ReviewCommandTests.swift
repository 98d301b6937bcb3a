import EnsembleCLI
import EnsembleStore
import EnsembleStoreTesting
import EnsembleTesting
import Foundation
import Testing

/// The family therapist's and the biller's day from the command line, on the bundled family scenario:
/// draft → supervisor acknowledges the risk → clinician edits → signs → claim ready → audit verifies.
@Suite("Command line: review workflow")
struct ReviewCommandTests {
    typealias Run = CommandLineTests.Run

    let database = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString).db")
        .path

    func run(_ arguments: [String], as user: String?) async -> Run {
        let captured = CapturedConsole()
        var arguments = arguments + ["--db", self.database]
        if let user { arguments += ["--as", user] }
        if arguments.first == "draft" { arguments += ["--agents", Fixtures.agentsDirectory] }
        let status = await Console.$current.withValue(captured.console) { await EnsembleCLI.run(arguments) }
        return Run(status: status, out: captured.out, error: captured.error)
    }

    /// The CLI on a fresh database of either backend.
    struct Desk {
        let database: TestDatabase

        init(_ backend: Backend) async throws { self.database = try await TestDatabase.make(backend) }

        func run(_ arguments: [String], as user: String?) async -> Run {
            let captured = CapturedConsole()
            var arguments = arguments + self.database.arguments
            if let user { arguments += ["--as", user] }
            if arguments.first == "draft" { arguments += ["--agents", Fixtures.agentsDirectory] }
            let status = await Console.$current.withValue(captured.console) { await EnsembleCLI.run(arguments) }
            return Run(status: status, out: captured.out, error: captured.error)
        }
    }

    @Test(arguments: Backend.available) func familyTherapistAndBiller_throughTheirDay(_ backend: Backend) async throws {
        let desk = try await Desk(backend)
        let session = "S-2026-05-14-FAM"
        // Set-up: the first user is an admin; the admin adds the others.
        #expect(await desk.run(["users", "add", "admin", "--name", "Admin", "--role", "admin"], as: nil).status == 0)
        for (id, role, clinician) in [
            ("hcole", "clinician", "PROV-4"), ("sup", "supervisor", ""), ("bill", "biller", ""),
        ] {
            var arguments = ["users", "add", id, "--name", id, "--role", role]
            if !clinician.isEmpty { arguments += ["--clinician", clinician] }
            #expect(await desk.run(arguments, as: "admin").status == 0)
        }
        let wrongRole = await desk.run(["users", "add", "x", "--name", "x", "--role", "nurse"], as: "admin")
        #expect(wrongRole.status == 64 && wrongRole.error.contains("--role must be one of"))

        let draft = await desk.run(["draft", Fixtures.scenariosDirectory + "/adolescent-family"], as: "hcole")
        #expect(draft.status == 0)
        #expect(draft.error.contains("stored as run 1") && draft.error.contains("3 created"))
        #expect(draft.out.contains("Sofia Alvarez (CL-301)"))

        // The clinician cannot sign yet: the self-harm flag waits for the supervisor.
        let early = await desk.run(["review", "sign", session, "CL-301", "--version", "1"], as: "hcole")
        #expect(early.status == 3 && early.error.contains("supervisor's acknowledgement"))
        let show = await desk.run(["review", "show", session, "--attendee", "CL-301", "--evidence"], as: "hcole")
        #expect(show.status == 0)
        #expect(show.out.contains("version 1 · draft · draft, AI-generated"))
        #expect(show.out.contains("WAITING FOR A SUPERVISOR"))
        #expect(show.out.contains("        38 Sofia Alvarez (CL-301): "), "evidence lines quote the cited utterance")

        let queue = await desk.run(["review", "queue"], as: "sup")
        #expect(queue.out.contains("flag 1  ELEVATED  selfHarm") && queue.out.contains("attendee CL-301"))
        #expect(await desk.run(["review", "queue"], as: "hcole").status == 3)
        let ack = await desk.run(
            ["review", "ack", "1", "--comment", "Safety plan reviewed; means restricted."], as: "sup")
        #expect(ack.status == 0)

        let edit = await desk.run(
            [
                "review", "edit", session, "CL-301", "--section", "Assessment", "--text",
                "Disclosed recent self-harm.\nSafety plan begun.", "--version", "1",
            ],
            as: "hcole")
        #expect(edit.status == 0 && edit.out.contains("now at version 2"))
        let stale = await desk.run(
            ["review", "edit", session, "CL-301", "--section", "Plan", "--text", "x", "--version", "1"], as: "hcole")
        #expect(stale.status == 3 && stale.error.contains("now at version 2"))

        let pending = await desk.run(["review", "claims", "--session", session], as: "bill")
        #expect(
            pending.out.contains("90847") && pending.out.contains("pendingSignature") && pending.out.contains("0 ready")
        )
        #expect(await desk.run(["review", "show", session], as: "bill").status == 3, "billers never see note bodies")

        let sign = await desk.run(["review", "sign", session, "CL-301", "--version", "2"], as: "hcole")
        #expect(sign.status == 0 && sign.out.contains("signed and locked"))
        let again = await desk.run(["review", "sign", session, "CL-301", "--version", "2"], as: "hcole")
        #expect(again.status == 3 && again.error.contains("locked"))
        let ready = await desk.run(["review", "claims", "--status", "ready"], as: "bill")
        #expect(ready.out.contains("S-2026-05-14-FAM-CL-301") && ready.out.contains("1 ready"))

        let verify = await desk.run(["audit", "verify"], as: "admin")
        #expect(verify.status == 0 && verify.out.contains("every link holds"))
        let export = await desk.run(["audit", "export"], as: "admin")
        #expect(export.out.contains("\"action\":\"note.signed\"") && !export.out.contains("Sofia"))
        let metrics = await desk.run(["metrics"], as: "sup")
        #expect(metrics.out.contains("overall: 1 signed, 0 with no edits"))
        // Nothing here logged a name or transcript text.
        #expect(!draft.error.contains("Sofia") && !ack.error.contains("Sofia"))
    }

    @Test func usersToken_printsATokenOnce_andServeChecksItsSources() async throws {
        #expect(await self.run(["users", "add", "admin", "--name", "Admin", "--role", "admin"], as: nil).status == 0)
        #expect(
            await self.run(["users", "add", "intake", "--name", "EHR", "--role", "assistant"], as: "admin").status == 0)
        let token = await self.run(["users", "token", "intake", "--label", "ehr"], as: "admin")
        #expect(token.status == 0)
        #expect(token.out.trimmingCharacters(in: .whitespacesAndNewlines).wholeMatch(of: /ens_[0-9a-f]{64}/) != nil)
        let refused = await self.run(["users", "token", "intake"], as: "intake")
        #expect(refused.status == 3 && refused.error.contains("an assistant may not manage users and roles"))
        _ = await self.run(["users", "token", "intake", "--label", "spare"], as: "admin")
        let revoked = await self.run(["users", "revoke", "intake", "--label", "ehr"], as: "admin")
        #expect(revoked.status == 0 && revoked.out.contains("revoked 1 token(s) of intake"))
        let store = try Store(path: self.database)
        #expect(
            try await store.authenticate(token: token.out.trimmingCharacters(in: .whitespacesAndNewlines)) == nil)
        let unknown = await self.run(["users", "token", "nobody"], as: "admin")
        #expect(unknown.status == 3 && unknown.error.contains("no active user nobody"))

        let malformed = await self.run(["serve", "--port", "0", "--source", "ehr"], as: nil)
        #expect(malformed.status == 64 && malformed.error.contains("name=NAME,user=USER,secret-env=VARIABLE"))
        let noSecret = await self.run(
            ["serve", "--port", "0", "--source", "name=ehr,user=intake,secret-env=ENSEMBLE_TEST_UNSET_SECRET"], as: nil)
        #expect(noSecret.status == 64 && noSecret.error.contains("set ENSEMBLE_TEST_UNSET_SECRET"))
        let badPort = await self.run(["serve", "--port", "70000"], as: nil)
        #expect(badPort.status == 64 && badPort.error.contains("--port must be 0 to 65535"))
    }

    @Test func noUser_draftsWithoutStoring_andStoreCommandsAskForOne() async {
        let draft = await self.run(["draft", Fixtures.scenariosDirectory + "/couples-session"], as: nil)
        #expect(draft.status == 0 && draft.error.contains("not stored"))
        let show = await self.run(["review", "show", "S-1"], as: nil)
        #expect(show.status == 64 && show.error.contains("--as"))
    }
}

extension ReviewCommandTests {
    @Test func relabel_redraftsOnlyTheAffectedNotes_andKeepsAnEditedVersion() async throws {
        let session = "S-2026-05-12-DBT"
        #expect(await self.run(["users", "add", "admin", "--name", "Admin", "--role", "admin"], as: nil).status == 0)
        #expect(
            await self.run(["users", "add", "sup", "--name", "Sup", "--role", "supervisor"], as: "admin").status == 0)
        #expect(
            await self.run(["users", "add", "asst", "--name", "Asst", "--role", "assistant"], as: "admin").status == 0)
        #expect(
            await self.run(["draft", Fixtures.scenariosDirectory + "/dbt-skills-group", "--quiet"], as: "sup").status
                == 0)
        // The clinician edits Maria's note; then says the stray crosstalk label was Maria, and later Tasha.
        #expect(
            await self.run(
                [
                    "review", "edit", session, "CL-101", "--section", "Plan", "--text", "Maria will practise TIPP.",
                    "--version", "1",
                ],
                as: "sup"
            ).status == 0)
        let first = await self.run(
            ["review", "relabel", session, "SPEAKER_08", "CL-101", "--agents", Fixtures.agentsDirectory], as: "asst")
        #expect(first.status == 0)
        #expect(first.out.contains("CL-101: besideEdit (version 2)"))
        #expect(!first.out.contains("CL-102") && !first.out.contains("CL-103"), "only the affected attendees")
        let second = await self.run(
            ["review", "relabel", session, "SPEAKER_08", "CL-103", "--agents", Fixtures.agentsDirectory], as: "sup")
        #expect(second.out.contains("CL-101: besideEdit") && second.out.contains("CL-103: redrafted (version 2)"))
        let show = await self.run(["review", "show", session, "--attendee", "CL-101"], as: "sup")
        #expect(show.out.contains("version 2 · draft") && show.out.contains("Maria will practise TIPP. (clinician)"))
        #expect(show.out.contains("a newer draft (version 4) sits beside your edited version"))
        // Drafting the session again keeps the correction: nothing changes.
        let again = await self.run(["draft", Fixtures.scenariosDirectory + "/dbt-skills-group"], as: "sup")
        #expect(again.error.contains("notes 6 unchanged;"), "\(again.error)")
        #expect(!again.error.contains("redrafted"))
        let unknownLabel = await self.run(
            ["review", "relabel", session, "SPEAKER_99", "CL-103", "--agents", Fixtures.agentsDirectory], as: "sup")
        #expect(unknownLabel.status == 3 && unknownLabel.error.contains("no such speaker label"))
        let absent = await self.run(
            ["review", "relabel", session, "SPEAKER_08", "CL-104", "--agents", Fixtures.agentsDirectory], as: "sup")
        #expect(absent.status == 3 && absent.error.contains("absent"))
        let verify = await self.run(["audit", "verify"], as: "admin")
        #expect(verify.status == 0)
        let export = await self.run(["audit", "export"], as: "admin")
        #expect(
            export.out.contains("speaker.relabeled") && !export.out.contains("SPEAKER_08"),
            "labels stay out of the trail")
    }
}
