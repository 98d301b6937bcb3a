import EnsembleCLI
import EnsembleCore
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
        // CL-401 is on the partner's policy but has his own member id with that payer: the 837P guide sends
        // such a patient as the subscriber, and a note says so.
        #expect(claims[0]["patientIsSubscriber"]?.bool == true)
        #expect(claims[0]["reasons"]?.array?.contains { $0["code"]?.string == "patientHasOwnMemberId" } == true)
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
        #expect(result.out.contains("2 claim(s): 0 ready, 1 pending signature, 0 blocked, 1 not billable"))
        #expect(result.out.contains("Session S-2026-05-21-IND was given twice, so CL-601's 90834 claim is here"))
    }

    @Test func everyClaimBlocked_leavesNothingToExport_andSaysWhy() async throws {
        let folder = try self.copy("couples-session") {
            $0.replacingOccurrences(of: "\"npi\": \"1333444556\"", with: "\"npi\": \"1333444557\"")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let table = await self.cli.run(["claims", folder])
        #expect(table.out.contains("blocked"))
        #expect(table.out.contains("The rendering clinician PROV-5's NPI is not a valid NPI"))
        #expect(table.out.contains("fix: session.json: clinicians[PROV-5].npi"))
        let x12 = await self.cli.run(["claims", folder, "--format", "837p"])
        #expect(x12.status == 1)
        #expect(x12.error.contains("no claim to export: every claim is blocked or not billable"))
    }

    /// Issue 23: two sessions whose practice lost its ZIP+4, one member without a member id. The work
    /// queue puts the ten claims the ZIP stops in one group, first, and the member id in its own.
    @Test func blockedClaims_groupByWhatToFix_theFixThatClearsMostFirst() async throws {
        let dbt = try self.copy("dbt-skills-group") {
            $0.replacingOccurrences(of: "\"postalCode\": \"60614-3821\"", with: "\"postalCode\": \"60614\"")
                .replacingOccurrences(of: "\"memberId\": \"XOF812345601\", ", with: "")
        }
        let cbt = try self.copy("cbt-group-early-leave") {
            $0.replacingOccurrences(of: "\"postalCode\": \"53704-5212\"", with: "\"postalCode\": \"53704\"")
        }
        defer { for folder in [dbt, cbt] { try? FileManager.default.removeItem(atPath: folder) } }

        let queue = await self.cli.run(["claims", dbt, cbt, "--status", "blocked"])
        #expect(queue.status == 0, "\(queue.error)")
        let lines = queue.out.split(separator: "\n").map(String.init)
        #expect(lines.first == "10 blocked claim(s), by what to fix: 2 fix(es), those that touch most claims first.")
        #expect(
            lines.contains(
                "1. Add the +4 to the practice's ZIP code · practiceZipPlus4Missing · 10 claim(s), 9 cleared by this fix alone"
            ))
        #expect(lines.contains("   fix: session.json: practice.address.postalCode"))
        #expect(
            lines.contains(
                "2. Add the member id to the client's coverage · memberIdMissing · 1 claim(s), 0 cleared by this fix alone"
            ))
        #expect(lines.contains("   fix: session.json: attendees[*].coverage.memberId"))
        #expect(lines.filter { $0.hasPrefix("   - ") }.count == 11)

        let json = try JSONParser.parse(
            await self.cli.run(["claims", dbt, cbt, "--status", "blocked", "--format", "json"]).out, file: "stdout")
        let groups = json["groups"]?.array ?? []
        #expect(groups.map { $0["code"]?.string } == ["practiceZipPlus4Missing", "memberIdMissing"])
        #expect(groups.first?["claims"]?.array?.count == 10 && groups.first?["clearedAlone"]?.number == 9)
        #expect(groups.last?["claims"]?.array?.first?["field"]?.string == "attendees[CL-101].coverage.memberId")

        // Nothing is not billable here.
        #expect(await self.cli.run(["claims", dbt, cbt, "--status", "notBillable"]).out == "No not billable claims.\n")
        // CSV and 837P do not take --status.
        #expect(await self.cli.run(["claims", dbt, "--status", "blocked", "--format", "csv"]).status == 64)
    }

    /// Every reason is printed whole in the table (wrapped, never cut), with the field that fixes it; JSON
    /// and CSV carry each reason's stable code.
    @Test func reasons_areWholeInTheTable_andCodedInJSONAndCSV() async throws {
        let folder = try self.copy("dbt-skills-group") {
            $0.replacingOccurrences(of: "\"postalCode\": \"60614-3821\"", with: "\"postalCode\": \"60614\"")
                .replacingOccurrences(of: "\"dateOfBirth\": \"1988-03-04\",", with: "")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let table = await self.cli.run(["claims", folder])
        let flat = table.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(
            separator: " ")
        let json = try JSONParser.parse(await self.cli.run(["claims", folder, "--format", "json"]).out, file: "stdout")
        let claims = json["sessions"]?.array?.first?["claims"]?.array ?? []
        #expect(claims.count == 6 && claims.allSatisfy { $0["status"]?.string == "blocked" })
        var messages = 0
        for claim in claims {
            for reason in claim["reasons"]?.array ?? [] where reason["code"]?.string != "noteNotSigned" {
                let message = try #require(reason["message"]?.string)
                #expect(flat.contains(message), "whole in the table: \(message)")
                #expect(reason["code"]?.string.flatMap(ClaimReason.Code.init(rawValue:)) != nil)
                messages += 1
            }
        }
        #expect(messages >= 7)
        #expect(table.out.contains("fix: session.json: attendees[CL-101].dateOfBirth"))
        #expect(table.out.split(separator: "\n").allSatisfy { $0.count <= 140 })
        let csv = await self.cli.run(["claims", folder, "--format", "csv"]).out
        let header = csv.split(separator: "\r\n").first.map { $0.split(separator: ",").map(String.init) } ?? []
        #expect(header.suffix(4) == ["reasons", "reasonCodes", "fix", "alternativeCpt"])
        #expect(
            csv.contains("patientDateOfBirthMissing practiceZipPlus4Missing")
                || csv.contains("practiceZipPlus4Missing patientDateOfBirthMissing"))
    }

    /// A 22-minute couples session: 90847 needs 26, so the claim is not billable, offers 90832, and no
    /// 837P carries it.
    @Test func shortConjointSession_isNotBillable_offersTheIndividualCode_andIsNotExported() async throws {
        let folder = self.cli.scenario("couples-short-session")
        let table = await self.cli.run(["claims", folder])
        #expect(table.out.contains("notBillable"))
        #expect(table.out.contains("instead: 90832"))
        #expect(table.out.contains("1 claim(s): 0 ready, 0 pending signature, 0 blocked, 1 not billable"))
        let queue = await self.cli.run(["claims", folder, "--status", "notBillable"])
        #expect(queue.out.contains("belowFamilyMinimum") && queue.out.contains("instead: 90832"))
        let x12 = await self.cli.run(["claims", folder, "--format", "837p"])
        #expect(x12.status == 1 && x12.error.contains("every claim is blocked or not billable"))
    }

    /// Another session the same day is blocked until it is marked distinct; the queue reads its message
    /// with the client's id as "the client", never inside a claim id.
    @Test func secondSessionTheSameDay_isBlockedUntilMarkedDistinct() async throws {
        let first = self.cli.scenario("individual-with-collateral")
        let second = try self.copy("individual-with-collateral") {
            $0.replacingOccurrences(of: "\"S-2026-05-21-IND\"", with: "\"S-2026-05-21-IND-PM\"")
        }
        defer { try? FileManager.default.removeItem(atPath: second) }
        let queue = await self.cli.run(["claims", first, second, "--status", "blocked"])
        #expect(queue.out.contains("sameDayService · 1 claim(s), all cleared by this fix"))
        #expect(queue.out.contains("   fix: session.json: distinctService"))
        #expect(
            queue.out.contains("The client already has a 90834 claim for 2026-05-21, from session S-2026-05-21-IND."))
        let distinct = try self.copy("individual-with-collateral") {
            $0.replacingOccurrences(
                of: "\"S-2026-05-21-IND\"", with: "\"S-2026-05-21-IND-PM\", \"distinctService\": true")
        }
        defer { try? FileManager.default.removeItem(atPath: distinct) }
        let both = await self.cli.run(["claims", first, distinct])
        #expect(both.out.contains("2 claim(s): 0 ready, 2 pending signature, 0 blocked, 0 not billable"))
        #expect(both.out.contains("90834-59"))
    }

    /// A session that bills nobody until a role is set is listed in the queue too, with its field.
    @Test func sessionWithNoIdentifiedPatient_isInTheQueue() async throws {
        let folder = try self.copy("couples-session") {
            $0.replacingOccurrences(of: "\"role\": \"identifiedPatient\"", with: "\"role\": \"partner\"")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let queue = await self.cli.run(["claims", folder, "--status", "blocked"])
        #expect(queue.out.contains("Sessions that bill nobody until this is settled:"))
        #expect(queue.out.contains("identifiedPatientMissing"))
        #expect(queue.out.contains("fix: session.json: attendees[*].role"))
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
