public import EnsembleFormats
import Foundation

/// Reads whole files with a size limit checked before any byte is read, so an oversized input costs
/// no memory. Errors are `FormatError`s that name the file.
public struct FileReader: Sendable {
    /// The default limit for transcripts: a three-hour session with word-level JSON is under 10 MB.
    public static let defaultTranscriptLimit = 32 * 1024 * 1024
    /// The default limit for session.json, expected.json and configuration files.
    public static let defaultDocumentLimit = 4 * 1024 * 1024

    public var transcriptLimit: Int
    public var documentLimit: Int

    public init(
        transcriptLimit: Int = FileReader.defaultTranscriptLimit, documentLimit: Int = FileReader.defaultDocumentLimit
    ) {
        self.transcriptLimit = transcriptLimit
        self.documentLimit = documentLimit
    }

    /// The file's bytes; `display` is the name errors use.
    public func read(_ path: String, display: String? = nil, limit: Int) throws(FormatError) -> [UInt8] {
        let name = display ?? path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FormatError(.notFound, file: name, "no such file")
        }
        guard !isDirectory.boolValue else { throw FormatError(.notFound, file: name, "is a folder, not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FormatError(.notFound, file: name, "cannot be opened for reading (check its permissions)")
        }
        defer { try? handle.close() }
        // Regular files report their size; pipes and devices are read up to the limit plus one byte.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue,
            attributes[.type] as? FileAttributeType == .typeRegular
        {
            guard size <= limit else { throw self.tooLarge(name, size: size, limit: limit) }
        }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw FormatError(.notFound, file: name, "could not be read")
        }
        guard data.count <= limit else { throw self.tooLarge(name, size: nil, limit: limit) }
        return [UInt8](data)
    }

    private func tooLarge(_ name: String, size: Int?, limit: Int) -> FormatError {
        let found = size.map { " (\(Self.megabytes($0)) MB)" } ?? ""
        return FormatError(
            .tooLarge, file: name,
            "the file is too large\(found); the limit is \(Self.megabytes(limit)) MB. Split the recording, or raise the limit with --max-transcript-mb"
        )
    }

    static func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + 524_288) / 1_048_576
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
