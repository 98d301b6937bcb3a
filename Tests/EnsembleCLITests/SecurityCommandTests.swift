import EnsembleCLI
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import EnsembleSystem
import EnsembleTesting
import Foundation
import Testing

/// The command line's side of issue 15: claims by roster, private token files, audit anchoring, job
/// purging, and no terminal escapes from transcript text.
@Suite("Command line: security")
struct SecurityCommandTests {
    typealias Run = CommandLineTests.Run

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-sec-\(UUID().uuidString)")
        .path
    var database: String { self.folder + "/ensemble.db" }

    init() throws {
        try FileManager.default.createDirectory(atPath: self.folder, withIntermediateDirectories: true)
    }

    func run(_ arguments: [String], as user: String? = nil, store: Bool = true) async -> Run {
        let captured = CapturedConsole()
        var arguments = arguments
        if store { arguments += ["--db", self.database] }
        if let user { arguments += ["--as", user] }
        if ["draft", "attribute", "parse"].contains(arguments.first) {
            arguments += ["--agents", Fixtures.agentsDirectory]
        }
        let status = await Console.$current.withValue(captured.console) { await EnsembleCLI.run(arguments) }
        return Run(status: status, out: captured.out, error: captured.error)
    }

    func people() async {
        #expect(await self.run(["users", "add", "admin", "--name", "Admin", "--role", "admin"]).status == 0)
        for (id, role, clinician) in [
            ("hcole", "clinician", "PROV-4"), ("other", "clinician", "PROV-9"), ("tess", "trainee", "PROV-4"),
            ("sup", "supervisor", ""), ("asst", "assistant", ""), ("bill", "biller", ""),
        ] {
            var arguments = ["users", "add", id, "--name", id, "--role", role]
            if !clinician.isEmpty { arguments += ["--clinician", clinician] }
            #expect(await self.run(arguments, as: "admin").status == 0)
        }
    }

    @Test("review claims: each role sees what the roster rule allows, and naming another session is refused")
    func claimsByRole() async throws {
        await self.people()
        for scenario in ["adolescent-family", "anger-management-summary"] {
            let draft = await self.run(["draft", Fixtures.scenariosDirectory + "/" + scenario], as: "sup")
            #expect(draft.status == 0, "\(draft.error)")
        }
        let family = "S-2026-05-14-FAM"
        let group = "S-2026-05-22-AMG"
        // role: (listed sessions or nil when refused) for no session, the family session, the group session.
        let expected: [(String, [Set<String>?])] = [
            ("hcole", [[family], [family], nil]),
            ("other", [[group], nil, [group]]),
            ("tess", [nil, nil, nil]),
            ("sup", [[family, group], [family], [group]]),
            ("bill", [[family, group], [family], [group]]),
            ("asst", [nil, nil, nil]),
            ("admin", [nil, nil, nil]),
        ]
        for (user, rows) in expected {
            for (session, want) in zip([nil, family, group], rows) {
                let arguments = ["review", "claims"] + (session.map { ["--session", $0] } ?? [])
                let result = await self.run(arguments, as: user)
                guard let want else {
                    #expect(result.status == 3, "\(user) \(session ?? "all")")
                    continue
                }
                #expect(result.status == 0, "\(user) \(session ?? "all"): \(result.error)")
                let listed = Set(
                    result.out.split(separator: "\n").compactMap { line in
                        [family, group].first { line.hasPrefix($0 + "  ") }
                    })
                #expect(listed == want, "\(user) \(session ?? "all")")
            }
        }
    }

    @Test("users token --output writes the token 0600 and --expires limits it; the store is 0600 too")
    func tokenFile() async throws {
        await self.people()
        let file = self.folder + "/hcole.token"
        let issued = await self.run(["users", "token", "hcole", "--output", file, "--expires", "90d"], as: "admin")
        #expect(issued.status == 0)
        #expect(issued.out.isEmpty, "the token is not printed when written to a file")
        #expect(PrivateFile.mode(file) == 0o600)
        let token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("ens_") && token.count == 68)
        #expect(PrivateFile.mode(self.database) == 0o600)
        let store = try Store(path: self.database)
        #expect(try await store.authenticate(token: token)?.id == "hcole")
        let audit = try await store.exportAudit(as: "admin").first { $0.contains("\"token.issued\"") }
        #expect(audit?.contains("\"expires\":\"") == true)
        let bad = await self.run(["users", "token", "hcole", "--expires", "soon"], as: "admin")
        #expect(bad.status == 64 && bad.error.contains("--expires takes"))
    }

    @Test("claims and audit exports written with --output are 0600; serve refuses a --public-url it cannot use")
    func privateOutputs() async throws {
        await self.people()
        let claims = self.folder + "/claims.x12"
        let exported = await self.run(
            [
                "claims", Fixtures.scenariosDirectory + "/couples-session", "--format", "837p", "--output", claims,
                "--agents", Fixtures.agentsDirectory,
            ], store: false)
        #expect(exported.status == 0, "\(exported.error)")
        #expect(PrivateFile.mode(claims) == 0o600)
        let audit = self.folder + "/audit.jsonl"
        #expect(await self.run(["audit", "export", "--output", audit], as: "admin").status == 0)
        #expect(PrivateFile.mode(audit) == 0o600)
        let serve = await self.run(["serve", "--public-url", "notes.example.org"], as: nil)
        #expect(serve.status == 64 && serve.error.contains("--public-url must be an http:// or https:// URL"))
        let fhir = await self.run(["serve", "--fhir-base-url", "ehr.example.org/fhir"], as: nil)
        #expect(fhir.status == 64 && fhir.error.contains("--fhir-base-url must be an http:// or https:// URL"))
        let token = await self.run(["serve", "--fhir-token-env", "EHR_FHIR_TOKEN"], as: nil)
        #expect(token.status == 64 && token.error.contains("--fhir-token-env goes with --fhir-base-url"))
        let unset = await self.run(
            [
                "serve", "--port", "0", "--fhir-base-url", "https://ehr.example.org/fhir", "--fhir-token-env",
                "ENSEMBLE_TEST_UNSET_TOKEN_VARIABLE", "--agents", Fixtures.agentsDirectory,
            ], as: nil)
        #expect(unset.status == 64 && unset.error.contains("set ENSEMBLE_TEST_UNSET_TOKEN_VARIABLE"))
    }

    @Test("audit head anchors the chain: verify --expect-head holds, then fails once the tail is deleted")
    func auditHead() async throws {
        await self.people()
        #expect(await self.run(["draft", Fixtures.scenariosDirectory + "/adolescent-family"], as: "hcole").status == 0)
        let head = await self.run(["audit", "head"], as: "admin")
        #expect(head.status == 0)
        let anchor = head.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(AuditHead(anchor)?.mac == nil)
        let holds = await self.run(["audit", "verify", "--expect-head", anchor], as: "sup")
        #expect(holds.status == 0 && holds.out.contains("is the anchored head"))
        #expect(await self.run(["audit", "head"], as: "hcole").status == 3, "a clinician may not read the trail")
        #expect(await self.run(["audit", "verify", "--expect-head", "seven"], as: "sup").status == 64)
        // A head claiming more than the chain holds stands for a deleted tail.
        let seq = AuditHead(anchor)?.seq ?? 0
        let ahead = "\(seq + 50):" + (AuditHead(anchor)?.hash ?? "")
        let missing = await self.run(["audit", "verify", "--expect-head", ahead], as: "sup")
        #expect(missing.status == 1 && missing.error.contains("events were deleted"))
        // A signed head without its key, or with a changed sequence number, is refused.
        let signed = AuditHead(anchor)?.signed(key: Array("k".utf8)).description ?? ""
        let unkeyed = await self.run(["audit", "verify", "--expect-head", signed], as: "sup")
        #expect(unkeyed.status == 1 && unkeyed.error.contains("ENSEMBLE_AUDIT_HEAD_KEY"))
        // With the key set (only this test sets it), heads are signed, and an unsigned one is refused.
        setenv("ENSEMBLE_AUDIT_HEAD_KEY", "k", 1)
        defer { unsetenv("ENSEMBLE_AUDIT_HEAD_KEY") }
        let keyed = await self.run(["audit", "head"], as: "admin")
        #expect(AuditHead(keyed.out)?.macHolds(key: Array("k".utf8)) == true)
        #expect(await self.run(["audit", "verify", "--expect-head", keyed.out], as: "sup").status == 0)
        #expect(await self.run(["audit", "verify", "--expect-head", signed], as: "sup").status == 0)
        let unsigned = await self.run(["audit", "verify", "--expect-head", anchor], as: "sup")
        #expect(unsigned.status == 1 && unsigned.error.contains("must be signed"))
    }

    @Test("jobs purge is for admins, audited, and keeps jobs younger than --older-than")
    func jobsPurge() async throws {
        await self.people()
        #expect(await self.run(["jobs", "purge", "--older-than", "30"], as: "sup").status == 3)
        let purged = await self.run(["jobs", "purge", "--older-than", "30"], as: "admin")
        #expect(purged.status == 0 && purged.out.contains("purged 0 finished job(s) older than 30 day(s)"))
        #expect(await self.run(["jobs", "purge", "--older-than", "-1"], as: "admin").status == 64)
        let store = try Store(path: self.database)
        #expect(try await store.exportAudit(as: "admin").contains { $0.contains("\"jobs.purged\"") })
    }

    @Test("terminal escapes in a transcript never reach the terminal: parse, attribute, draft and review show")
    func controlCharacters() async throws {
        await self.people()
        // The family scenario with an escape sequence (retitle the terminal, clear the screen) and a C1 CSI in
        // one utterance's text.
        let source = Fixtures.scenariosDirectory + "/adolescent-family"
        let scenario = self.folder + "/escaped"
        try FileManager.default.createDirectory(atPath: scenario, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source + "/session.json", toPath: scenario + "/session.json")
        var transcript = try String(contentsOfFile: source + "/transcript.json", encoding: .utf8)
        let hostile = "\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m"
        // The utterance's text and its first word (readers take either), in the Deepgram JSON.
        for field in ["\"transcript\": \"Okay, come on in", "\"punctuated_word\": \"Okay,"] {
            #expect(transcript.contains(field))
            transcript = transcript.replacingOccurrences(
                of: field, with: field.replacingOccurrences(of: "\"Okay,", with: "\"\(hostile)Okay,"))
        }
        try transcript.write(toFile: scenario + "/transcript.json", atomically: true, encoding: .utf8)

        func clean(_ run: Run, _ what: String) {
            let scalars = (run.out + run.error).unicodeScalars
            #expect(!scalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }, "\(what)")
        }
        let parse = await self.run(["parse", scenario + "/transcript.json", "--limit", "0"], store: false)
        #expect(parse.status == 0)
        clean(parse, "parse")
        #expect(parse.out.contains("\u{FFFD}]0;owned\u{FFFD}\u{FFFD}[2J\u{FFFD}31m"))
        let parseJSON = await self.run(["parse", scenario + "/transcript.json", "--json"], store: false)
        clean(parseJSON, "parse --json")
        #expect(parseJSON.out.contains("\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m"))
        #expect((try? JSONParser.parse(parseJSON.out, file: "stdout")) != nil)
        let attribute = await self.run(["attribute", scenario], store: false)
        clean(attribute, "attribute")
        let draft = await self.run(["draft", scenario, "--evidence"], as: "hcole")
        #expect(draft.status == 0, "\(draft.error)")
        clean(draft, "draft")
        let show = await self.run(
            ["review", "show", "S-2026-05-14-FAM", "--attendee", "CL-301", "--evidence"], as: "hcole")
        clean(show, "review show")
    }
}
