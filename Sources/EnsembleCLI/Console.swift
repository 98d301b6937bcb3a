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

    static func out(_ text: String) { Self.current.writeOut(text.utf8.last == 0x0A ? text : text + "\n") }

    static func error(_ text: String) { Self.current.writeError(text.hasSuffix("\n") ? text : text + "\n") }
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
