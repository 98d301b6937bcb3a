import EnsembleCLI
import EnsembleFormats
import EnsembleTesting
import Foundation
import Testing

/// `ensemble draft`, run in-process with its output captured.
@Suite("Command line: draft")
struct DraftCommandTests {
    let cli = CommandLineTests()

    @Test func draftJSON_isTheRunReportOfTheContract() async throws {
        let result = await self.cli.run(["draft", self.cli.scenario("dbt-skills-group"), "--json", "--quiet"])
        #expect(result.status == 0)
        #expect(result.error.isEmpty)
        let report = try JSONParser.parse(result.out, file: "stdout")
        // The required keys of SCENARIO-FORMAT.md, in its order.
        let keys = try #require(report.members?.map(\.key))
        #expect(
            Array(keys.prefix(9)) == [
                "sessionId", "speakers", "utterances", "notes", "groupNote", "skipped", "risk", "claims", "findings",
            ])
        #expect(report["sessionId"]?.string == "S-2026-05-12-DBT")
        #expect(report["utterances"]?.array?.count == 84)

        let notes = try #require(report["notes"]?.array)
        #expect(notes.count == 6)
        let maria = try #require(notes.first { $0["attendeeId"]?.string == "CL-101" })
        #expect(maria["format"]?.string == "DAP")
        #expect(maria["status"]?.string == "draft")
        #expect(maria["aiGenerated"]?.bool == true)
        #expect(maria["disclaimer"]?.string?.contains("AI-generated") == true)
        let sentences = try #require(maria["sections"]?.array?.flatMap { $0["sentences"]?.array ?? [] })
        #expect(sentences.allSatisfy { $0["text"]?.string != nil && $0["evidence"]?.array != nil })
        let priya = try #require(notes.first { $0["attendeeId"]?.string == "CL-105" })
        #expect(priya["aiGenerated"]?.bool == false && priya["manualNoteRequired"]?.bool == true)

        let skipped = try #require(report["skipped"]?.array)
        #expect(skipped.contains { $0["attendeeId"]?.string == "CL-105" && $0["reason"]?.string == "noAIConsent" })
        #expect(skipped.contains { $0["attendeeId"]?.string == "CL-104" && $0["reason"]?.string == "absent" })

        let risk = try #require(report["risk"]?.array)
        let tasha = try #require(risk.first { $0["attendeeId"]?.string == "CL-103" })
        #expect(tasha["category"]?.string == "suicidalIdeation")
        #expect(tasha["level"]?.string == "elevated")
        #expect(tasha["route"]?.string == "supervisorReview")
        #expect(tasha["evidence"]?.array?.compactMap(\.number) == [25])

        // One claim per attending member, under their own coverage; the absent member is not billed.
        let claims = try #require(report["claims"]?.array)
        #expect(
            claims.compactMap { $0["attendeeId"]?.string } == [
                "CL-101", "CL-102", "CL-103", "CL-105", "CL-106", "CL-107",
            ])
        for claim in claims {
            #expect(claim["cpt"]?.string == "90853")
            #expect(claim["units"]?.number == 1)
            #expect(claim["modifiers"]?.array?.isEmpty == true)
            // Drafts are never signed, so no claim is ready.
            #expect(claim["status"]?.string == "pendingSignature")
        }
        // A claim billing cannot submit says so in the run report, with its reason's code (issue 23).
        let short = await self.cli.run(["draft", self.cli.scenario("couples-short-session"), "--json"])
        let shortClaim = try #require(try JSONParser.parse(short.out, file: "stdout")["claims"]?.array?.first)
        #expect(shortClaim["status"]?.string == "notBillable")
        #expect(shortClaim["reasons"]?.array?.first?["code"]?.string == "belowFamilyMinimum")
        #expect(shortClaim["reasons"]?.array?.first?["alternativeCpt"]?.string == "90832")
        let billing = try #require(report["billing"]?.array)
        let jordan = try #require(billing.first { $0["attendeeId"]?.string == "CL-104" })
        #expect(jordan["billed"]?.bool == false && jordan["notBilled"]?.string == "absent")
        #expect(try #require(report["findings"]?.array).contains { $0["code"]?.string == "noteNotSigned" })
        #expect(report["groupNote"]?["sections"]?.array?.isEmpty == false)
        // Each agent's configuration is recorded by version and content hash.
        let agents = try #require(report["agents"]?.array)
        #expect(agents.count == 8)
        for agent in agents {
            #expect(agent["version"]?.string?.isEmpty == false)
            #expect(agent["sha256"]?.string?.count == 64)
        }
    }

    @Test func agentHashes_areThoseOfTheFilesRead() async throws {
        let result = await self.cli.run(["draft", self.cli.scenario("couples-session"), "--json", "--quiet"])
        let report = try JSONParser.parse(result.out, file: "stdout")
        let agents = try #require(report["agents"]?.array)
        let screener = try #require(agents.first { $0["agent"]?.string == "RiskScreener" })
        let file = try #require(screener["files"]?.array?.first)
        #expect(file["path"]?.string == "risk-screener/config.json")
        // The same digest `sha256sum Agents/risk-screener/config.json` prints, worked out here by hand.
        let bytes = try Fixtures.bytes(Fixtures.agentsDirectory + "/risk-screener/config.json")
        #expect(file["sha256"]?.string == Self.sha256(bytes))
    }

    @Test func draft_printsNotesRiskAndFindingsForAPerson_withProgressOnStandardError() async {
        let result = await self.cli.run(["draft", self.cli.scenario("dbt-skills-group"), "--evidence"])
        #expect(result.status == 0)
        #expect(result.out.contains("DRAFT · AI-generated draft for clinician review"))
        #expect(result.out.contains("== Maria Lopez (CL-101) · DAP · draft, AI-generated =="))
        #expect(result.out.contains("== Priya Raman (CL-105) · DAP · manual note required =="))
        #expect(result.out.contains("== Group note · linked to CL-101, CL-102, CL-103, CL-105, CL-106, CL-107 =="))
        #expect(result.out.contains("CL-103     suicidalIdeation         elevated  → supervisor review"))
        #expect(result.out.contains("[25]"))
        #expect(result.out.contains("Findings"))
        // Progress names agents and ids only.
        #expect(result.error.contains("NoteDrafter CL-101 done"))
        #expect(result.error.contains("14/14 BillingReconciler done"))
        #expect(!result.error.contains("Maria"))
    }

    @Test func draftOneAttendee_printsOnlyTheirNote() async {
        let result = await self.cli.run([
            "draft", self.cli.scenario("couples-session"), "--attendee", "CL-401", "--quiet",
        ])
        #expect(result.status == 0)
        #expect(result.out.contains("Daniel Kim (CL-401)"))
        #expect(!result.out.contains("Aisha Kim (CL-402)"))
        #expect(!result.out.contains("Group note"))
        let unknown = await self.cli.run([
            "draft", self.cli.scenario("couples-session"), "--attendee", "CL-999", "--quiet",
        ])
        #expect(unknown.status == 64)
    }

    @Test func draftOfAMissingFolder_failsWithOneLine() async {
        let result = await self.cli.run(["draft", "/nonexistent/scenario", "--quiet"])
        #expect(result.status == 2)
        #expect(result.out.isEmpty)
        #expect(result.error.split(separator: "\n").count == 1)
    }

    /// SHA-256 in plain Swift (FIPS 180-4), independent of the OpenSSL path under test.
    static func sha256(_ message: [UInt8]) -> String {
        var h: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ]
        let k: [UInt32] = [
            0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
            0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
            0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
            0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
            0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
            0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
            0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
            0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
        ]
        var data = message
        let bitLength = UInt64(message.count) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: data.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for i in 0..<16 {
                w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(data[chunk + i * 4 + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotate(w[i - 15], 7) ^ rotate(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotate(w[i - 2], 17) ^ rotate(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let t1 = hh &+ (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                let t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, value) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ value }
        }
        return h.map { value in
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }
}
