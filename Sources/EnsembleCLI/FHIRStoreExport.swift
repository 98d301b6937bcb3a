import EnsembleCore
import EnsembleFormats
import EnsembleStore

/// `ensemble fhir export --session ID`: the stored session with its review state.
enum FHIRStoreExport {
    static func record(session: String, store: Store, as user: String, withTranscript: Bool) async throws
        -> FHIRSessionRecord
    {
        try await store.fhirRecord(session: session, as: user, withTranscript: withTranscript)
    }
}
