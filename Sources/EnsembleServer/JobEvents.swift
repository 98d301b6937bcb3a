import EnsembleCore
import EnsembleFormats
import EnsembleStore
import Synchronization

/// One line of a job's progress stream: ids, counts and states, never content.
struct JobEvent: Sendable, Hashable {
    /// The SSE event name: `state` or `progress`.
    var name: String
    /// A JSON object.
    var data: String
    var terminal: Bool
}

/// Per-job progress for server-sent events. A subscriber first gets what the job has said so far, then
/// what follows; a finished job's stream ends after its last event. Events are kept for a bounded number
/// of recent jobs only.
final class JobEvents: Sendable {
    private struct Channel {
        var history: [JobEvent] = []
        var subscribers: [Int: AsyncStream<JobEvent>.Continuation] = [:]
        var finished = false
    }

    private struct State {
        var channels: [String: Channel] = [:]
        var order: [String] = []
        var nextSubscriber = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let keep: Int

    init(keep: Int = 256) { self.keep = keep }

    func publish(_ job: String, _ event: JobEvent) {
        // Streams are finished outside the lock: a stream's termination handler takes it.
        let (subscribers, evicted) = self.state.withLock { state in
            let evicted = self.open(job, in: &state)
            state.channels[job]?.history.append(event)
            if event.terminal { state.channels[job]?.finished = true }
            return (Array(state.channels[job]?.subscribers.values ?? [:].values), evicted)
        }
        evicted.forEach { $0.finish() }
        for subscriber in subscribers {
            subscriber.yield(event)
            if event.terminal { subscriber.finish() }
        }
    }

    /// The job's events so far and to come. `current` is the event to start with when the job has said
    /// nothing in this process (it was queued before a restart, or finished long ago).
    func subscribe(_ job: String, current: JobEvent) -> AsyncStream<JobEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: JobEvent.self, bufferingPolicy: .bufferingNewest(512))
        var evicted: [AsyncStream<JobEvent>.Continuation] = []
        let id = self.state.withLock { state -> Int? in
            let history = state.channels[job]?.history ?? []
            for event in history.isEmpty ? [current] : history { continuation.yield(event) }
            if state.closed || state.channels[job]?.finished == true || (history.isEmpty && current.terminal) {
                continuation.finish()
                return nil
            }
            state.nextSubscriber += 1
            evicted = self.open(job, in: &state)
            state.channels[job]?.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        evicted.forEach { $0.finish() }
        if let id {
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { $0.channels[job]?.subscribers[id] = nil }
            }
        }
        return stream
    }

    /// Whether this process saw the job to its end (a worker here ran its last attempt).
    func hasFinished(_ job: String) -> Bool { self.state.withLock { $0.channels[job]?.finished ?? false } }

    /// A job followed in the store, for one run by another instance (or not yet claimed): its state now,
    /// then each change of state and of its latest progress line, read every `interval`, until it
    /// succeeds or fails for good.
    static func stored(_ job: Job, store: Store, interval: Duration) -> AsyncStream<JobEvent> {
        AsyncStream(bufferingPolicy: .bufferingNewest(512)) { continuation in
            let task = Task {
                var last = job
                continuation.yield(.state(job))
                while !Task.isCancelled && !JobEvent.state(last).terminal {
                    try? await Task.sleep(for: interval)
                    guard let now = try? await store.jobRecord(job.id) else { break }
                    if let progress = now.progress, progress != last.progress, now.state == .running {
                        continuation.yield(JobEvent(name: "progress", data: progress, terminal: false))
                    }
                    if now.state != last.state || now.attempts != last.attempts { continuation.yield(.state(now)) }
                    last = now
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Ends every stream (the server is stopping); later subscribers get the current state and an end.
    func finishAll() {
        let subscribers = self.state.withLock { state -> [AsyncStream<JobEvent>.Continuation] in
            state.closed = true
            defer { for key in state.channels.keys { state.channels[key]?.subscribers = [:] } }
            return state.channels.values.flatMap { $0.subscribers.values }
        }
        subscribers.forEach { $0.finish() }
    }

    /// The job's channel, made (and the oldest dropped past `keep`) when it has none. Returns the dropped
    /// channel's streams, for the caller to finish once it has let go of the lock.
    private func open(_ job: String, in state: inout State) -> [AsyncStream<JobEvent>.Continuation] {
        guard state.channels[job] == nil else { return [] }
        state.channels[job] = Channel()
        state.order.append(job)
        guard state.order.count > self.keep else { return [] }
        let dropped = state.order.removeFirst()
        defer { state.channels[dropped] = nil }
        return Array(state.channels[dropped]?.subscribers.values ?? [:].values)
    }
}

extension JobEvent {
    static func state(_ job: Job) -> JobEvent {
        JobEvent(
            name: "state", data: JSONWriter.write(APIJSON.job(job), pretty: false),
            terminal: job.state == .succeeded || job.state == .failed)
    }

    /// A supervisor event, by agent, attendee id and counts.
    static func progress(_ event: SupervisorEvent) -> JobEvent? {
        let fields: [(String, JSONNode?)]
        switch event {
        case .segmented(let utterances, let segments):
            fields = [
                ("stage", .string("segmented")), ("utterances", .number(utterances)), ("segments", .number(segments)),
            ]
        case .attributed(let speakers, let unknown):
            fields = [
                ("stage", .string("attributed")), ("speakers", .number(speakers)),
                ("unknownUtterances", .number(unknown)),
            ]
        case .fanningOut(let jobs): fields = [("stage", .string("drafting")), ("agents", .number(jobs))]
        case .agentFinished(let agent, let attendee), .agentFailed(let agent, let attendee, _):
            let failed = if case .agentFailed = event { true } else { false }
            fields = [
                ("stage", .string(failed ? "agentFailed" : "agentFinished")), ("agent", .string(agent.rawValue)),
                ("attendee", JSONNode.string(attendee?.rawValue)),
            ]
        case .agentStarted, .finished: return nil
        }
        return JobEvent(
            name: "progress", data: JSONWriter.write(JSONNode.object(fields), pretty: false), terminal: false)
    }
}
