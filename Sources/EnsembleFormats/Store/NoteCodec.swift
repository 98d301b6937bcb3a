public import EnsembleCore

/// A note's sections as the store keeps them: compact JSON with members in a fixed order, so equal
/// notes give equal text (and equal digests), and back.
public enum NoteCodec {
    public static func encode(_ sections: [NoteSection]) -> String {
        JSONWriter.write(.array(sections.map(RunReport.section)), pretty: false)
    }

    /// Throws `FormatError` naming `field` when the stored text is not a note (a hand-edited database).
    public static func decode(_ text: String, field: String) throws(FormatError) -> [NoteSection] {
        let node = try JSONParser.parse(text, file: field)
        guard let sections = node.array else { throw Self.broken(field, "an array of sections") }
        var decoded: [NoteSection] = []
        for (index, section) in sections.enumerated() {
            guard let title = section["title"]?.string, let sentences = section["sentences"]?.array else {
                throw Self.broken("\(field)[\(index)]", "a section with a title and sentences")
            }
            var read: [NoteSentence] = []
            for (offset, sentence) in sentences.enumerated() {
                guard let text = sentence["text"]?.string,
                    let basis = sentence["basis"]?.string.flatMap(NoteSentence.Basis.init(rawValue:)),
                    let evidence = sentence["evidence"]?.array?.compactMap({ $0.number.map(Int.init) })
                else {
                    throw Self.broken(
                        "\(field)[\(index)].sentences[\(offset)]", "a sentence with text, basis and evidence")
                }
                read.append(
                    NoteSentence(
                        text, evidence: evidence, basis: basis, source: sentence["source"]?.string,
                        quote: sentence["quotes"]?.number.map(Int.init)))
            }
            decoded.append(NoteSection(title: title, sentences: read))
        }
        return decoded
    }

    private static func broken(_ field: String, _ expected: String) -> FormatError {
        FormatError(
            .invalidValue, file: "the database", field: field, "the stored note does not decode; expected \(expected)")
    }
}
