import EnsembleCLI
import EnsembleFormats
import EnsembleTesting
import Foundation
import Testing

/// `ensemble claims`, run in-process: what billing staff see, in each format.
@Suite("Command line: claims")
struct ClaimsCommandTests {
    let cli = CommandLineTests()

    @Test func table_showsEveryAttendee_billedOrNotAndWhy() async {
        let result = await self.cli.run(["claims", self.cli.scenario("dbt-skills-group")])
        #expect(result.status == 0)
        #expect(result.out.contains("Session S-2026-05-12-DBT · group · 2026-05-12 · 90 min · inPerson · POS 11"))
        #expect(result.out.contains("CL-101 Maria Lopez"))
        #expect(result.out.contains("not billed: absent"))
        #expect(result.out.contains("00952 (medicare)"))
        #expect(result.out.contains("6 claim(s): 0 ready, 6 pending signature, 0 blocked"))
        // Drafting progress is not printed: billing staff asked for claims.
        #expect(result.error.isEmpty)
    }

    @Test func json_holdsClaimsDispositionsAndFindings() async throws {
        let result = await self.cli.run(["claims", self.cli.scenario("couples-session"), "--format", "json"])
        #expect(result.status == 0)
        let report = try JSONParser.parse(result.out, file: "stdout")
        let session = try #require(report["sessions"]?.array?.first)
        let claims = try #require(session["claims"]?.array)
        #expect(claims.count == 1)
        #expect(claims[0]["attendeeId"]?.string == "CL-401")
        #expect(claims[0]["cpt"]?.string == "90847")
        #expect(claims[0]["modifiers"]?.array?.compactMap(\.string) == ["95"])
        #expect(claims[0]["placeOfService"]?.string == "10")
        #expect(claims[0]["patientIsSubscriber"]?.bool == false)
        #expect(claims[0]["diagnoses"]?.array?.compactMap(\.string) == ["F33.1", "Z63.0"])
        let attendees = try #require(session["attendees"]?.array)
        #expect(attendees.count == 2)
        #expect(attendees[1]["billed"]?.bool == false && attendees[1]["notBilled"]?.string == "participant")
        // Names and addresses stay out of the JSON; they go only to the payer, in the 837P.
        #expect(!result.out.contains("Daniel") && !result.out.contains("Rugby"))
    }

    @Test func csv_isOneRowPerAttendee() async throws {
        let result = await self.cli.run(["claims", self.cli.scenario("multi-family-group"), "--format", "csv"])
        #expect(result.status == 0)
        let rows = result.out.split(separator: "\r\n").map(String.init)
        #expect(rows.count == 1 + 7)
        #expect(rows[0].hasPrefix("sessionId,dateOfService,attendeeId,role,billed,claimId,status,cpt"))
        #expect(
            rows[1].hasPrefix(
                "S-2026-05-20-MFG,2026-05-20,CL-501,identifiedPatient,yes,S-2026-05-20-MFG-CL-501,pendingSignature,90849,,95,1,10,F91.3,90.00,94265,default"
            ))
        #expect(rows[2].contains(",CL-502,familyMember,no,"))
        // A reason with a comma is quoted.
        #expect(rows[2].contains("\"not billed: a family member, a participant in CL-501's therapy\""))
    }

    @Test func x12_writesOneInterchangeForSeveralFolders() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID()).837").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = await self.cli.run([
            "claims", self.cli.scenario("couples-session"), self.cli.scenario("adolescent-family"), "--format", "837p",
            "--control-number", "905", "--created", "2026-05-25T09:30:00-05:00", "--output", output,
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.error.contains("837P: 2 claim(s), control number 905, test file (ISA15=T); 2 pending signature"))
        let file = try String(contentsOfFile: output, encoding: .utf8)
        #expect(
            file.hasPrefix(
                "ISA*00*          *00*          *ZZ*ENSEMBLE       *ZZ*CLEARINGHOUSE  *260525*0930*^*00501*000000905*0*T*:~"
            ))
        #expect(file.components(separatedBy: "CLM*").count == 3)
        #expect(file.hasSuffix("IEA*1*000000905~\n"))
    }

    @Test func production_takesReadyClaimsOnly_andThereAreNoneBeforeSigning() async {
        let result = await self.cli.run([
            "claims", self.cli.scenario("couples-session"), "--format", "837p", "--production",
        ])
        #expect(result.status == 1)
        #expect(result.error.contains("no claim to export: none is ready"))
        #expect(result.out.isEmpty)
    }

    @Test func theSameSessionTwice_isADuplicate() async {
        let folder = self.cli.scenario("individual-with-collateral")
        let result = await self.cli.run(["claims", folder, folder])
        #expect(result.status == 0)
        #expect(result.out.contains("2 claim(s): 0 ready, 1 pending signature, 1 blocked"))
        #expect(result.out.contains("CL-601 already has a 90834 claim for 2026-05-21"))
    }

    @Test func everyClaimBlocked_leavesNothingToExport_andSaysWhy() async throws {
        let folder = try self.copy("couples-session") {
            $0.replacingOccurrences(of: "\"npi\": \"1333444556\"", with: "\"npi\": \"1333444557\"")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let table = await self.cli.run(["claims", folder])
        #expect(table.out.contains("blocked"))
        #expect(table.out.contains("the rendering clinician PROV-5's NPI is not a valid NPI"))
        let x12 = await self.cli.run(["claims", folder, "--format", "837p"])
        #expect(x12.status == 1)
        #expect(x12.error.contains("no claim to export: every claim is blocked"))
    }

    @Test func x12Options_needTheX12Format() async {
        let result = await self.cli.run(["claims", self.cli.scenario("couples-session"), "--production"])
        #expect(result.status == 64)
    }

    /// A copy of a bundled scenario with its session.json edited.
    func copy(_ name: String, edit: (String) -> String) throws -> String {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID())").path
        try FileManager.default.copyItem(atPath: self.cli.scenario(name), toPath: target)
        let path = target + "/session.json"
        try edit(try String(contentsOfFile: path, encoding: .utf8)).write(
            toFile: path, atomically: true, encoding: .utf8)
        return target
    }
}
