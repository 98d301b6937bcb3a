import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// The Agents folder is data a practice edits: wording changes without recompiling, and a mistake is
/// reported by file and field.
@Suite("Agents folder")
struct AgentsFolderTests {
    /// A copy of the repository's Agents folder to change.
    static func copy() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ensemble-agents-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Fixtures.agentsDirectory), to: folder)
        return folder
    }

    static func edit(_ folder: URL, _ file: String, _ change: (String) -> String) throws {
        let url = folder.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let changed = change(text)
        #expect(changed != text, "the edit applies")
        try changed.write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func changedWording_reachesTheNotes_andItsHash() async throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.edit(folder, "note-drafter/config.json") {
            $0.replacing(
                "\"reported.speech\": \"{Subject} reported that {clause}\"",
                with: "\"reported.speech\": \"{Subject} stated that {clause}\"")
        }
        let original = try Fixtures.agents()
        let edited = try AgentsDirectory.load(explicit: folder.path)
        let drafterHash = { (agents: AgentConfigurations) in agents.versions.first { $0.agent == "NoteDrafter" }?.sha256
        }
        #expect(drafterHash(original) != drafterHash(edited))
        #expect(
            original.versions.first { $0.agent == "RiskScreener" }?.sha256
                == edited.versions.first { $0.agent == "RiskScreener" }?.sha256)

        let scenario = try Fixtures.scenario("dbt-skills-group")
        let run = try await SessionSupervisor(configuration: edited.supervisor).draft(
            scenario.session, transcript: scenario.transcript)
        let maria = try #require(run.note(for: PersonID("CL-101")))
        #expect(maria.text.contains("Member stated that "))
        #expect(!maria.text.contains("Member reported that she"))
    }

    @Test func brokenConfiguration_namesTheFileAndField() throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.edit(folder, "risk-screener/config.json") {
            $0.replacing("\"item9Level\": \"elevated\"", with: "\"item9Level\": \"severe\"")
        }
        #expect {
            _ = try AgentsDirectory.load(explicit: folder.path)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("Agents/risk-screener/config.json") && message.contains("item9Level")
        }
    }

    /// A cost of zero for a line against its label would make every line impossible; it is refused
    /// with the file and the field, not read as a silent NaN.
    @Test func conversationIntrusionOfZero_isRefused() throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.edit(folder, "speaker-attributor/agent.json") {
            $0.replacing("\"conversationIntrusion\": 6.0", with: "\"conversationIntrusion\": 0")
        }
        #expect {
            _ = try AgentsDirectory.load(explicit: folder.path)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("speaker-attributor/agent.json") && message.contains("conversationIntrusion")
                && message.contains("above 0")
        }
    }

    /// `pronounReferent` came after practices had their own folders: left out it is -1.0; a positive
    /// value, which would turn the cue around, is refused with the file and the field.
    @Test func pronounReferent_isOptional_andNeverPositive() throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.edit(folder, "speaker-attributor/agent.json") {
            $0.replacing(",\n    \"pronounReferent\": -1.0", with: "")
        }
        let loaded = try AgentsDirectory.load(explicit: folder.path)
        #expect(loaded.attributor.weights.pronounReferent == -1.0)
        try Self.edit(folder, "speaker-attributor/agent.json") {
            $0.replacing(
                "\"conversationSilentClient\": 6.0",
                with: "\"conversationSilentClient\": 6.0,\n    \"pronounReferent\": 0.5")
        }
        #expect {
            _ = try AgentsDirectory.load(explicit: folder.path)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("speaker-attributor/agent.json") && message.contains("pronounReferent")
                && message.contains("0 or less")
        }
    }

    /// `jointEliminationMargin` came after practices had their own folders: left out it is 0.3, as
    /// bundled; a negative margin is refused with the file and the field.
    @Test func jointEliminationMargin_isOptional_andNeverNegative() throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.edit(folder, "speaker-attributor/agent.json") {
            $0.replacing(",\n    \"jointEliminationMargin\": 0.3", with: "")
        }
        let loaded = try AgentsDirectory.load(explicit: folder.path)
        #expect(loaded.attributor.weights.jointEliminationMargin == 0.3)
        try Self.edit(folder, "speaker-attributor/agent.json") {
            $0.replacing(
                "\"conversationSilentClient\": 6.0",
                with: "\"conversationSilentClient\": 6.0,\n    \"jointEliminationMargin\": -1")
        }
        #expect {
            _ = try AgentsDirectory.load(explicit: folder.path)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("speaker-attributor/agent.json") && message.contains("jointEliminationMargin")
                && message.contains("0 or more")
        }
    }

    /// `sharedLabelClearLines` is optional (3 when left out); fewer than two lines would read any label
    /// with one stray cue as a shared device, and is refused with the file and the field.
    @Test func sharedLabelClearLines_isOptional_andAtLeastTwo() throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.edit(folder, "speaker-attributor/agent.json") {
            $0.replacing(",\n  \"sharedLabelClearLines\": 3", with: "")
        }
        #expect(try AgentsDirectory.load(explicit: folder.path).attributor.sharedLabelClearLines == 3)
        try Self.edit(folder, "speaker-attributor/agent.json") {
            $0.replacing(
                "\"minimumSpanUtterances\": 3", with: "\"minimumSpanUtterances\": 3,\n  \"sharedLabelClearLines\": 1")
        }
        #expect {
            _ = try AgentsDirectory.load(explicit: folder.path)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("speaker-attributor/agent.json") && message.contains("sharedLabelClearLines")
                && message.contains("2 or more")
        }
    }

    @Test func aPracticeAddsAPayerProfile_withoutRecompiling() async throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Aetna (60054) wants telehealth at POS 11 with modifier 95 and pays groups of at most 2.
        try Self.edit(folder, "billing-reconciler/payers.json") {
            $0.replacing(
                "  \"payers\": [\n",
                with: """
                      "payers": [
                        { "id": "aetna", "match": { "payerIds": ["60054"] }, "maximumGroupSize": 2 },

                    """)
        }
        let edited = try AgentsDirectory.load(explicit: folder.path)
        let scenario = try Fixtures.scenario("dbt-skills-group")
        let run = try await SessionSupervisor(configuration: edited.supervisor).draft(
            scenario.session, transcript: scenario.transcript)
        let marcus = try #require(run.billing.claim(for: PersonID("CL-102")))  // Aetna
        #expect(marcus.status == .notBillable && marcus.payer?.profile == "aetna")
        #expect(marcus.reasons.contains { $0.code == .groupSizeExceeded })
        #expect(run.billing.claim(for: PersonID("CL-101"))?.status == .pendingSignature)
        #expect(
            edited.versions.first { $0.agent == "BillingReconciler" }?.sha256
                != (try Fixtures.agents()).versions.first { $0.agent == "BillingReconciler" }?.sha256)
    }

    @Test func brokenPayerProfile_namesTheFileAndField() throws {
        let folder = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.edit(folder, "billing-reconciler/payers.json") {
            $0.replacing("\"multipleFamilyUnit\": \"family\"", with: "\"multipleFamilyUnit\": \"household\"")
        }
        #expect {
            _ = try AgentsDirectory.load(explicit: folder.path)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("Agents/billing-reconciler/payers.json")
                && message.contains("default.multipleFamilyUnit")
        }
    }
}
