import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server on a free loopback port that answers each request with the next scripted reply
/// (the last one repeats) and records every request, for testing the language-model client and the
/// pipeline without a network. One thread per connection, `Connection: close`.
public final class StubModelServer: Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        /// How long the server waits before answering.
        public var delay: Duration

        public init(status: Int = 200, headers: [(String, String)] = [], body: String, delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        /// A chat completion whose message content is `content`.
        public static func completion(_ content: String, promptTokens: Int = 11, completionTokens: Int = 7) -> Reply {
            var escaped = ""
            for scalar in content.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return Reply(
                body: """
                    {"id":"stub","object":"chat.completion","model":"stub-model","choices":[{"index":0,\
                    "message":{"role":"assistant","content":"\(escaped)"},"finish_reason":"stop"}],\
                    "usage":{"prompt_tokens":\(promptTokens),"completion_tokens":\(completionTokens)}}
                    """)
        }
    }

    public struct Recorded: Sendable {
        public var method: String
        public var path: String
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: String
    }

    private struct State {
        var responder: (@Sendable (Recorded) -> Reply)? = nil
        var replies: [Reply]
        var next = 0
        var requests: [Recorded] = []
        var stopped = false
    }

    public let port: Int
    private let socket: Int32
    private let state: Mutex<State>

    /// A server that answers each request with what `respond` makes of it.
    public convenience init(respond: @escaping @Sendable (Recorded) -> Reply) throws {
        try self.init(replies: [])
        self.state.withLock { $0.responder = respond }
    }

    public init(replies: [Reply]) throws {
        let listener = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.socket = listener
        self.state = Mutex(State(replies: replies))
        let server = self
        Thread.detachNewThread { server.acceptLoop() }
    }

    deinit { self.stop() }

    /// `http://127.0.0.1:PORT/v1`.
    public var baseURL: String { "http://127.0.0.1:\(self.port)/v1" }

    public var requests: [Recorded] { self.state.withLock { $0.requests } }

    public func stop() {
        let first = self.state.withLock { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        shutdown(self.socket, Int32(SHUT_RDWR))
        close(self.socket)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(self.socket, nil, nil)
            guard connection >= 0 else { return }
            Thread.detachNewThread { self.serve(connection) }
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { break }
            received.append(contentsOf: buffer[0..<count])
            if headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: received) {
                headerEnd = end + 4
                let head = String(decoding: received[0..<end], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, received.count >= headerEnd + contentLength { break }
        }
        guard let headerEnd else { return }
        let head = String(decoding: received[0..<(headerEnd - 4)], as: UTF8.self).split(separator: "\r\n")
        let requestLine = head.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = String(decoding: received[headerEnd...], as: UTF8.self)
        let recorded = Recorded(
            method: requestLine.first.map(String.init) ?? "",
            path: requestLine.dropFirst().first.map(String.init) ?? "",
            headers: headers, body: body)
        let (scripted, responder): (Reply?, (@Sendable (Recorded) -> Reply)?) = self.state.withLock { state in
            state.requests.append(recorded)
            guard state.responder == nil else { return (nil, state.responder) }
            let reply = state.replies[min(state.next, state.replies.count - 1)]
            state.next += 1
            return (reply, nil)
        }
        let reply = scripted ?? responder!(recorded)
        // The delay ends early once the server is stopped, so no thread outlives the test by long.
        let clock = ContinuousClock()
        let answerAt = clock.now.advanced(by: reply.delay)
        while clock.now < answerAt, !self.state.withLock({ $0.stopped }) { usleep(20_000) }
        let payload = Array(reply.body.utf8)
        var response = "HTTP/1.1 \(reply.status) \(reply.status == 200 ? "OK" : "Status")\r\n"
        let type = reply.headers.first { $0.0.lowercased() == "content-type" }?.1 ?? "application/json"
        response += "Content-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n"
        for (name, value) in reply.headers where name.lowercased() != "content-type" {
            response += "\(name): \(value)\r\n"
        }
        response += "\r\n"
        let bytes = Array(response.utf8) + payload
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            written += count
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle
        {
            return start
        }
        return nil
    }
}
