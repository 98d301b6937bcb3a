import Foundation
import Synchronization

/// Where commands write. The live console is standard output and error; tests capture both.
public struct Console: Sendable {
    let writeOut: @Sendable (String) -> Void
    let writeError: @Sendable (String) -> Void

    public init(out: @escaping @Sendable (String) -> Void, error: @escaping @Sendable (String) -> Void) {
        self.writeOut = out
        self.writeError = error
    }

    public static let standard = Console(
        out: { text in FileHandle.standardOutput.write(Data(text.utf8)) },
        error: { text in FileHandle.standardError.write(Data(text.utf8)) }
    )

    @TaskLocal public static var current: Console = .standard

    static func out(_ text: String) {
        let text = Self.printable(text)
        Self.current.writeOut(text.utf8.last == 0x0A ? text : text + "\n")
    }

    static func error(_ text: String) {
        let text = Self.printable(text)
        Self.current.writeError(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// The text with C0 and C1 control characters (other than line feed, tab, and a carriage return that
    /// ends a CSV line) and DEL replaced by U+FFFD, so text from a transcript cannot move the cursor, clear
    /// the screen or retitle the terminal. JSON output has none to replace: the writer escapes them.
    static func printable(_ text: String) -> String {
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var clean = true
        while index < scalars.endIndex {
            if Self.isControl(scalars, at: index) {
                clean = false
                break
            }
            index = scalars.index(after: index)
        }
        guard !clean else { return text }
        var output = String.UnicodeScalarView()
        index = scalars.startIndex
        while index < scalars.endIndex {
            output.append(Self.isControl(scalars, at: index) ? "\u{FFFD}" : scalars[index])
            index = scalars.index(after: index)
        }
        return String(output)
    }

    private static func isControl(_ scalars: String.UnicodeScalarView, at index: String.UnicodeScalarIndex) -> Bool {
        switch scalars[index].value {
        case 0x0A, 0x09: return false
        case 0x0D:
            let next = scalars.index(after: index)
            return next == scalars.endIndex || scalars[next] != "\n"
        case 0x00..<0x20, 0x7F...0x9F: return true
        default: return false
        }
    }
}

/// Collects what a command writes, for tests.
public final class CapturedConsole: Sendable {
    private let state = Mutex<(out: String, error: String)>(("", ""))

    public init() {}

    public var console: Console {
        Console(
            out: { text in self.state.withLock { $0.out += text } },
            error: { text in self.state.withLock { $0.error += text } }
        )
    }

    public var out: String { self.state.withLock { $0.out } }
    public var error: String { self.state.withLock { $0.error } }
}
