import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleTesting
import Testing

/// Mangled real files (truncated, bytes flipped, lines spliced) never crash a reader or the attributor:
/// each is read into a transcript or refused with a `FormatError`. A trap would end the test process.
@Suite("Mutated input")
struct MutationTests {
    @Test func mutatedRealSamples_readOrFailCleanly() throws {
        let agents = try Fixtures.agents()
        let segmentation = Segmentation(configuration: agents.segmenter)
        let engine = AttributionEngine(configuration: agents.attributor)
        let roster = Roster(
            sessionKind: .group,
            people: [
                .init(id: PersonID("PROV-1"), name: "Dana Whitfield", kind: .clinician(.primary)),
                .init(id: PersonID("CL-1"), name: "Maria Lopez", aliases: ["Maria"], kind: .attendee(.member)),
                .init(id: PersonID("CL-2"), name: "Conor Healy", kind: .attendee(.member)),
            ])
        var random = SplitMix64(seed: 2026)
        var read = 0
        var refused = 0
        for sample in realSamples where sample.options.conversation == nil {
            let original = try Fixtures.bytes(Fixtures.dataPath(sample.path))
            for round in 0..<12 {
                var bytes = original
                switch round % 4 {
                case 0:  // truncate anywhere
                    bytes = Array(bytes.prefix(random.next(below: max(bytes.count, 1))))
                case 1:  // flip a handful of bytes
                    for _ in 0..<(1 + random.next(below: 8)) where !bytes.isEmpty {
                        bytes[random.next(below: bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                    }
                case 2:  // splice a slice of the file into another place
                    if bytes.count > 10 {
                        let start = random.next(below: bytes.count - 5)
                        let slice = bytes[start..<min(bytes.count, start + random.next(below: 200))]
                        bytes.insert(contentsOf: slice, at: random.next(below: bytes.count))
                    }
                default:  // drop a run of bytes
                    if bytes.count > 10 {
                        let start = random.next(below: bytes.count - 5)
                        bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.next(below: 64)))
                    }
                }
                do {
                    let transcript = try TranscriptReading.read(bytes, file: sample.path)
                    #expect(transcript.utterances.enumerated().allSatisfy { $0.offset == $0.element.index })
                    let attribution = engine.attribute(segmentation.segment(transcript), roster: roster)
                    #expect(attribution.utterances.count == transcript.utterances.count)
                    read += 1
                } catch {
                    #expect(!error.description.isEmpty && error.file == sample.path)
                    refused += 1
                }
            }
        }
        #expect(read > 0 && refused > 0)
    }
}
