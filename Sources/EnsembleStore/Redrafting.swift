public import EnsembleCore
import EnsembleFormats
public import EnsembleIO

extension DraftInputs {
    /// SHA-256 over session.json and every utterance (label, times, text), so a changed input is a new digest.
    public static func digest(sessionJSON: String, transcript: Transcript) -> String {
        var text = sessionJSON + "\n" + transcript.format + "\n"
        for utterance in transcript.utterances {
            text += "\(utterance.index)\u{1F}\(utterance.label ?? "")\u{1F}\(utterance.start.map { "\($0)" } ?? "")"
            text += "\u{1F}\(utterance.end.map { "\($0)" } ?? "")\u{1F}\(utterance.text)\n"
        }
        return Hashing.sha256Hex(Array(text.utf8))
    }
}

extension Store {
    /// A clinician's speaker correction, then the affected attendees' notes drafted again (with the
    /// deterministic engine) from the stored inputs. The review CLI and the server both relabel this way.
    public func relabel(
        session id: String, label: String, person: PersonID?, agents: AgentConfigurations, as userID: String
    ) async throws -> (affected: Set<PersonID>, recorded: RecordedRun) {
        let (corrections, affected) = try self.correct(session: id, label: label, person: person, as: userID)
        let (json, transcript, stored) = try self.inputs(session: id)
        let session = try SessionDecoder.decode(Array(json.utf8), file: "session \(id)").session
        let run = try await SessionSupervisor(configuration: agents.supervisor).draft(
            session, transcript: transcript, corrections: corrections)
        let inputs = DraftInputs(
            sessionJSON: json, transcript: transcript,
            digest: DraftInputs.digest(sessionJSON: json, transcript: transcript),
            agents: agents.versions, engine: "deterministic")
        // Drafting awaited: a delivery with new inputs may have been recorded meanwhile, and must not be undone.
        return (affected, try self.record(run, inputs: inputs, as: userID, only: affected, basedOn: stored))
    }
}
