import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Foundation
import Testing

@Suite("session.json and scenario folders")
struct SessionDecodingTests {
    static let valid = """
        {
          "sessionId": "S-1",
          "kind": "family",
          "start": "2026-05-14T16:00:00-04:00",
          "end": "2026-05-14T16:53:00-04:00",
          "futureField": {"ignored": true},
          "clinicians": [ { "id": "PROV-1", "name": "Hannah Cole" } ],
          "attendees": [
            { "clientId": "CL-1", "name": "Sofia Alvarez", "role": "identifiedPatient", "present": true,
              "dateOfBirth": "2010-09-14", "consent": { "aiDrafting": true } },
            { "clientId": "CL-2", "name": "Elena Alvarez", "role": "familyMember", "relationship": "mother",
              "relatedTo": "CL-1", "present": false }
          ],
          "speakerHints": { "Family iPad": ["CL-1", "CL-2"], "Hannah's laptop": "PROV-1" }
        }
        """

    private func decode(_ text: String) throws -> SessionDocument {
        try SessionDecoder.decode(Array(text.utf8), file: "scenario/session.json")
    }

    /// The valid document with one edit applied to its text.
    private func problem(_ edit: (String) -> String) -> FormatError? {
        do {
            _ = try self.decode(edit(Self.valid))
            return nil
        } catch let error as FormatError {
            return error
        } catch {
            return nil
        }
    }

    @Test func validSession_decodesEveryField() throws {
        let document = try self.decode(Self.valid)
        let session = document.session
        #expect(session.id == SessionID("S-1") && session.kind == .family)
        #expect(session.durationMinutes == 53)
        #expect(session.start.description == "2026-05-14T16:00:00-04:00")
        #expect(session.clinicians[0].role == .primary)
        #expect(session.attendees[0].consent == Consent(aiDrafting: true, part2: false))
        // No consent record means no consent, never a default yes.
        #expect(session.attendees[1].consent == nil)
        #expect(session.attendees[1].relatedTo == PersonID("CL-1"))
        #expect(session.modality == nil && session.noteFormat == .soap)
        #expect(session.speakerHints.count == 2)
        #expect(
            session.speakerHints.first { $0.label == "Family iPad" }?.people == [PersonID("CL-1"), PersonID("CL-2")])
        #expect(Roster(session: session).person(PersonID("CL-1"))?.age == 15)
    }

    @Test func missingRequiredField_namesFileLineAndField() {
        let error = self.problem { $0.replacingOccurrences(of: "\"sessionId\": \"S-1\",", with: "") }
        #expect(
            error?.description
                == "scenario/session.json:1: sessionId: missing required field; expected the session's id (a string)")
        let present = self.problem { $0.replacingOccurrences(of: "\"present\": false", with: "\"presence\": false") }
        #expect(
            present?.description
                == "scenario/session.json:11: attendees[1].present: missing required field; expected true or false (whether the attendee attended)"
        )
    }

    @Test func wrongType_saysWhatWasExpectedWithoutTheValue() {
        let error = self.problem {
            $0.replacingOccurrences(of: "\"present\": true", with: "\"present\": \"Sofia Alvarez\"")
        }
        #expect(
            error?.description
                == "scenario/session.json:9: attendees[0].present: expected true or false, found a string")
        #expect(!(error?.description.contains("Sofia") ?? true))
        let kind = self.problem {
            $0.replacingOccurrences(of: "\"kind\": \"family\"", with: "\"kind\": \"familytherapy\"")
        }
        #expect(
            kind?.description
                == "scenario/session.json:3: kind: expected one of group, family, couples, multiFamilyGroup, individual"
        )
    }

    @Test func datesAndTimes_areChecked() {
        let noOffset = self.problem { $0.replacingOccurrences(of: "16:00:00-04:00", with: "16:00:00") }
        #expect(noOffset?.field == "start" && noOffset?.code == .invalidValue)
        let backwards = self.problem { $0.replacingOccurrences(of: "16:53:00-04:00", with: "15:53:00-04:00") }
        #expect(
            backwards?.description
                == "scenario/session.json:5: end: is before start; the session must end after it starts")
        let badDate = self.problem { $0.replacingOccurrences(of: "2010-09-14", with: "2010-02-30") }
        #expect(
            badDate?.description
                == "scenario/session.json:10: attendees[0].dateOfBirth: expected a real date, YYYY-MM-DD")
    }

    @Test func crossReferences_areChecked() {
        let duplicate = self.problem {
            $0.replacingOccurrences(of: "\"clientId\": \"CL-2\"", with: "\"clientId\": \"CL-1\"")
        }
        #expect(
            duplicate?.description
                == "scenario/session.json:11: attendees[1]: clientId CL-1 is already used by attendees[0]")
        let related = self.problem {
            $0.replacingOccurrences(of: "\"relatedTo\": \"CL-1\"", with: "\"relatedTo\": \"CL-9\"")
        }
        #expect(
            related?.description
                == "scenario/session.json:12: attendees[1].relatedTo: names no attendee on this session; expected another attendee's clientId"
        )
        let hint = self.problem {
            $0.replacingOccurrences(of: "\"Hannah's laptop\": \"PROV-1\"", with: "\"Hannah's laptop\": \"PROV-7\"")
        }
        #expect(hint?.field == "speakerHints[#2]" && hint?.code == .inconsistent)
        #expect(!(hint?.description.contains("Hannah") ?? true))
        let consent = self.problem {
            $0.replacingOccurrences(of: "{ \"aiDrafting\": true }", with: "{ \"part2\": true }")
        }
        #expect(
            consent?.description
                == "scenario/session.json:10: attendees[0].consent.aiDrafting: missing required field; expected true or false"
        )
    }

    @Test func notJSON_isASyntaxErrorWithItsLine() {
        let error = self.problem { $0.replacingOccurrences(of: "\"kind\": \"family\",", with: "\"kind\": \"family\"") }
        #expect(error?.description == "scenario/session.json:4: invalid JSON: expected ',' or '}' in an object")
    }

    @Test func scenarioFolder_transcriptChoiceErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ensemble-scenario-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.valid.write(toFile: folder + "/session.json", atomically: true, encoding: .utf8)
        func loadError() -> String {
            do {
                _ = try ScenarioLoader().load(folder)
                return "loaded"
            } catch {
                return error.description
            }
        }
        #expect(
            loadError()
                == "\(folder): no transcript.* or summary.md in the scenario folder (or name one with \"transcript\" in session.json)"
        )
        try "Hannah Cole: hello\n".write(toFile: folder + "/transcript.txt", atomically: true, encoding: .utf8)
        try "- Sofia: reported a calmer week\n".write(toFile: folder + "/summary.md", atomically: true, encoding: .utf8)
        #expect(loadError() == "\(folder): holds both a transcript and summary.md; keep exactly one")
        try FileManager.default.removeItem(atPath: folder + "/summary.md")
        try "WEBVTT\n".write(toFile: folder + "/transcript.vtt", atomically: true, encoding: .utf8)
        #expect(
            loadError().hasSuffix(
                "holds 2 transcript files (transcript.txt, transcript.vtt); keep one, or name it with \"transcript\" in session.json"
            ))
        try FileManager.default.removeItem(atPath: folder + "/transcript.vtt")
        let scenario = try ScenarioLoader().load(folder)
        #expect(scenario.transcript.utterances.count == 1 && scenario.transcriptFiles == ["transcript.txt"])
    }

    @Test func summaryMarkdown_bulletsBecomeUtterancesAboutPeople() throws {
        let summary = """
            # Session summary

            ## Group
            - Theme: distress tolerance, TIPP skills.

            ## Maria
            - Reported two panic attacks; used paced breathing.
            - Practised four-in, six-out breathing in session.

            - **Marcus**: walked away from an argument with his brother.
            """
        let transcript = try TranscriptReading.read(Array(summary.utf8), file: "summary.md")
        #expect(transcript.origin == .clinicianSummary)
        #expect(transcript.utterances.map(\.label) == [nil, "Maria", "Maria", "Marcus"])
        #expect(transcript.utterances[3].text == "walked away from an argument with his brother.")
    }

    @Test func rttm_labelsAnUnlabelledTimedTranscript() throws {
        let whisper = """
            {"segments": [
              {"start": 0.0, "end": 2.0, "text": " Welcome back, everyone."},
              {"start": 2.4, "end": 5.0, "text": " Thanks. I had a hard week."},
              {"start": 5.2, "end": 6.0, "text": " Tell me more."},
              {"start": 30.0, "end": 31.0, "text": " (silence)"}
            ]}
            """
        let rttm = """
            SPEAKER s 1 2.30 2.80 <NA> <NA> SPEAKER_01 <NA> <NA>
            SPEAKER s 1 0.00 2.10 <NA> <NA> SPEAKER_00 <NA> <NA>
            SPEAKER s 1 5.10 1.00 <NA> <NA> SPEAKER_00 <NA> <NA>
            """
        let transcript = try TranscriptReading.read(Array(whisper.utf8), file: "t.json")
        let labelled = try Diarization.apply(
            rttm: try TextDecoding.decode(Array(rttm.utf8), file: "t.rttm"), file: "t.rttm", to: transcript)
        #expect(labelled.utterances.map(\.label) == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00", nil])
        #expect(labelled.format == "whisper-json+rttm")
    }

    @Test func billingExtensions_decode_andBadOnesNameTheirField() throws {
        let billing = """
            "sex": "female", "address": { "street": "12 Elm Street", "city": "Albany", "state": "NY", "zip": 12203 },
            "interactiveComplexity": "sentinelEvent",
            "coverage": { "payerName": "Example", "payerId": "EX1", "memberId": "M1", "subscriberRelationship": "child",
                          "subscriber": { "clientId": "CL-2" } },
            """
        let document = try self.decode(
            Self.valid.replacingOccurrences(
                of: "\"dateOfBirth\": \"2010-09-14\",", with: "\"dateOfBirth\": \"2010-09-14\", " + billing))
        let patient = document.session.attendees[0]
        #expect(patient.sex == .female)
        #expect(patient.address?.line1 == "12 Elm Street" && patient.address?.postalCode == "12203")
        #expect(patient.interactiveComplexity == .sentinelEvent)
        #expect(patient.coverage?.subscriber?.clientId == PersonID("CL-2"))

        let badSex = self.problem {
            $0.replacingOccurrences(
                of: "\"dateOfBirth\": \"2010-09-14\",", with: "\"dateOfBirth\": \"2010-09-14\", \"sex\": \"x\",")
        }
        #expect(badSex?.field == "attendees[0].sex")
        let stranger = self.problem {
            $0.replacingOccurrences(
                of: "\"dateOfBirth\": \"2010-09-14\",",
                with: "\"dateOfBirth\": \"2010-09-14\", \"coverage\": { \"subscriber\": { \"clientId\": \"CL-9\" } },")
        }
        #expect(stranger?.field == "attendees[0].coverage.subscriber.clientId")
        let nobody = self.problem {
            $0.replacingOccurrences(
                of: "\"dateOfBirth\": \"2010-09-14\",",
                with: "\"dateOfBirth\": \"2010-09-14\", \"coverage\": { \"subscriber\": { \"sex\": \"F\" } },")
        }
        #expect(nobody?.field == "attendees[0].coverage.subscriber")
        #expect(nobody.map { !$0.description.contains("Sofia") } == true)
    }
}
