import CSQLite
import EnsembleCore
import EnsembleStore
import EnsembleTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Drafting processes killed (SIGKILL) at staggered moments, from start-up to the store's transaction:
/// after each kill the database opens, passes SQLite's integrity check, its audit chain verifies, and
/// every run is whole (its audit event, its attribution and each note's first version landed with it),
/// or absent.
@Suite("Store: a killed drafting process leaves the database consistent")
struct CrashTests {
    static var executable: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("ensemble").path
        return FileManager.default.isExecutableFile(atPath: beside)
            ? beside : Fixtures.repositoryRoot + "/.build/debug/ensemble"
    }

    @Test func killedMidRun_leavesWholeRunsOnly() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.executable), "build the ensemble executable first")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString).db")
            .path
        do {
            let store = try Store(path: path)
            try await store.addUser(User(id: "admin", name: "Admin", role: .admin), by: nil)
            try await store.addUser(User(id: "sup", name: "Supervisor", role: .supervisor), by: "admin")
        }
        let scenarios = try Fixtures.scenarioNames()
        var killed = 0
        for round in 0..<16 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = [
                "draft", Fixtures.scenariosDirectory + "/" + scenarios[round % scenarios.count], "--db", path, "--as",
                "sup",
                "--quiet", "--agents", Fixtures.agentsDirectory,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // From 5 ms (start-up) to 260 ms, past the end of a debug build's run (about 200 ms, the store's
            // transaction last), then the hardest kill there is.
            usleep(UInt32(5_000 + round * 17_000))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            try await Self.expectConsistent(path, round: round)
        }
        // And a run that is not killed lands whole.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: Self.executable)
        finished.arguments = [
            "draft", Fixtures.scenariosDirectory + "/adolescent-family", "--db", path, "--as", "sup", "--quiet",
            "--agents",
            Fixtures.agentsDirectory,
        ]
        finished.standardOutput = FileHandle.nullDevice
        try finished.run()
        finished.waitUntilExit()
        #expect(finished.terminationStatus == 0)
        try await Self.expectConsistent(path, round: 99)
        #expect(Self.scalar(path, "SELECT count(*) FROM runs WHERE session_id = 'S-2026-05-14-FAM'") >= 1)
        #expect(killed > 0, "at least one process was killed mid-run")
    }

    static func expectConsistent(_ path: String, round: Int) async throws {
        #expect(Self.text(path, "PRAGMA integrity_check") == "ok", "round \(round)")
        let store = try Store(path: path)
        #expect(try await store.verifyAudit(as: "sup").firstBroken == nil, "round \(round)")
        let runs = Self.scalar(path, "SELECT count(*) FROM runs")
        #expect(
            Self.scalar(path, "SELECT count(*) FROM audit_events WHERE action = 'draft.generated'") == runs,
            "round \(round)")
        #expect(
            Self.scalar(
                path,
                "SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM attributions a WHERE a.run_id = r.id)")
                == 0)
        #expect(
            Self.scalar(
                path,
                "SELECT count(*) FROM notes n WHERE NOT EXISTS (SELECT 1 FROM note_versions v WHERE v.note_id = n.id AND v.version = 1)"
            ) == 0)
        #expect(
            Self.scalar(
                path,
                "SELECT count(*) FROM notes n WHERE NOT EXISTS (SELECT 1 FROM note_versions v WHERE v.note_id = n.id AND v.version = n.current_version)"
            ) == 0)
        #expect(
            Self.scalar(
                path,
                "SELECT count(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.session_id = s.id)")
                == 0)
    }

    static func scalar(_ path: String, _ sql: String) -> Int { Int(Self.text(path, sql)) ?? -1 }

    static func text(_ path: String, _ sql: String) -> String {
        var handle: OpaquePointer?
        var statement: OpaquePointer?
        sqlite3_open(path, &handle)
        defer { sqlite3_close(handle) }
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { return "prepare failed" }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return "" }
        return String(cString: text)
    }
}
