import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

/// JSON in and out (issue 15): a repeated key is refused everywhere JSON is read, naming where; control
/// characters never leave the writer raw.
@Suite("Strict JSON")
struct StrictJSONTests {
    func refusal(_ text: String, file: String = "body.json") -> FormatError? {
        do {
            _ = try JSONParser.parse(text, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test("a repeated member name is refused with the line, the object's field path and both positions")
    func duplicateKeys() throws {
        let top = try #require(self.refusal(#"{"eventId":"a","eventId":"b"}"#))
        #expect(top.code == .syntax)
        #expect(top.field == nil)
        #expect(
            top.description
                == "body.json:1: invalid JSON: members 1 and 2 of this object have the same name (lines 1 and 1); "
                + "duplicate keys are refused, remove one")
        let nested = try #require(
            self.refusal(
                "{\n \"attendees\": [\n  {\"clientId\": \"A\"},\n  {\"clientId\": \"B\",\n   \"x\": 1,\n   \"clientId\": \"C\"}\n ]\n}"
            ))
        #expect(nested.line == 6)
        #expect(nested.field == "attendees[1]")
        #expect(nested.message.contains("members 1 and 3") && nested.message.contains("lines 4 and 6"))
        // The name is never quoted: some objects are keyed by names.
        let hints = try #require(
            self.refusal(#"{"speakerHints": {"Maria's iPhone": "CL-1", "Maria's iPhone": "CL-2"}}"#))
        #expect(hints.field == "speakerHints" && !hints.description.contains("Maria"))
        // Keys on the path that are not schema-shaped (names, devices) are shown as `*`.
        let nested2 = try #require(self.refusal(#"{"speakerHints": {"Jane Doe": [{"a": 1, "a": 2}]}}"#))
        #expect(nested2.field == "speakerHints.*[0]" && !nested2.description.contains("Jane"))
        // Large objects (looked up in a set) too, and the same name in different objects is fine.
        let wide = "{" + (0..<40).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + ", \"k7\": 0}"
        #expect(self.refusal(wide)?.message.contains("members 8 and 41") == true)
        #expect(self.refusal(#"{"a": {"id": 1}, "b": {"id": 1}, "c": [{"id": 1}, {"id": 2}]}"#) == nil)
    }

    @Test("session.json and agent configuration with a repeated key are refused, naming the file")
    func duplicateKeysInFiles() throws {
        let session = String(
            decoding: try Fixtures.bytes(Fixtures.scenariosDirectory + "/couples-session/session.json"), as: UTF8.self)
        let doubled = session.replacingOccurrences(of: "\"kind\":", with: "\"kind\": \"group\", \"kind\":")
        #expect(doubled != session)
        #expect(throws: FormatError.self) { try SessionDecoder.decode(Array(doubled.utf8), file: "session.json") }
        do {
            _ = try SessionDecoder.decode(Array(doubled.utf8), file: "session.json")
        } catch {
            #expect(error.description.hasPrefix("session.json:"))
            #expect(error.message.contains("duplicate keys are refused"))
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agents-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Fixtures.agentsDirectory, toPath: folder)
        let config = folder + "/group-summarizer/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        let first = try #require(text.firstIndex(of: "{"))
        var changed = text
        changed.insert(contentsOf: "\"version\": \"0\", ", at: changed.index(after: first))
        #expect(changed.components(separatedBy: "\"version\"").count == 3, "the file has a version to repeat")
        try changed.write(toFile: config, atomically: true, encoding: .utf8)
        do {
            _ = try AgentsDirectory.load(explicit: folder)
            Issue.record("a repeated key in agent configuration was accepted")
        } catch {
            #expect(error.file.hasSuffix("group-summarizer/config.json"))
            #expect(error.message.contains("duplicate keys are refused"))
        }
    }

    @Test("the writer escapes C0 and C1 controls and DEL; other text passes as it is")
    func writerEscapesControls() throws {
        let text = "a\u{1B}[2J\u{7}b\u{7F}c\u{9B}31m\u{85}é€😀\u{A0}"
        let json = JSONWriter.write(.string(text), pretty: false)
        #expect(json == #""a\u001b[2J\u0007b\u007fc\u009b31m\u0085é€😀\#u{A0}""#)
        #expect(try JSONParser.parse(json, file: "x").string == text, "it reads back the same")
    }
}
