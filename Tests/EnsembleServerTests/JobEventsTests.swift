import Testing

@testable import EnsembleServer

@Suite("Job progress streams")
struct JobEventsTests {
    static func event(_ name: String, terminal: Bool = false) -> JobEvent {
        JobEvent(name: name, data: "{}", terminal: terminal)
    }

    static func names(_ stream: AsyncStream<JobEvent>) async -> [String] {
        var names: [String] = []
        for await event in stream { names.append(event.name) }
        return names
    }

    @Test("a late subscriber gets the job's history, then what follows, and the stream ends with the job")
    func history() async {
        let events = JobEvents()
        events.publish("job-1", Self.event("queued"))
        events.publish("job-1", Self.event("running"))
        let stream = events.subscribe("job-1", current: Self.event("unused"))
        events.publish("job-1", Self.event("progress"))
        events.publish("job-1", Self.event("succeeded", terminal: true))
        #expect(await Self.names(stream) == ["queued", "running", "progress", "succeeded"])
        // After the end, a new subscriber gets the whole history and an end at once.
        #expect(await Self.names(events.subscribe("job-1", current: Self.event("unused"))).count == 4)
    }

    @Test("a job this process has not seen starts from its current state; a finished one ends at once")
    func unseen() async {
        let events = JobEvents()
        #expect(await Self.names(events.subscribe("old", current: Self.event("failed", terminal: true))) == ["failed"])
        let waiting = events.subscribe("queued-before-restart", current: Self.event("queued"))
        events.publish("queued-before-restart", Self.event("succeeded", terminal: true))
        #expect(await Self.names(waiting) == ["queued", "succeeded"])
    }

    @Test("stopping ends every open stream; only the most recent jobs are kept")
    func finishAllAndEviction() async {
        let events = JobEvents(keep: 2)
        let open = events.subscribe("job-a", current: Self.event("queued"))
        events.publish("job-b", Self.event("queued"))
        events.publish("job-c", Self.event("queued"))
        // job-a was the oldest of three: dropped, and its stream ended.
        #expect(await Self.names(open) == ["queued"])
        let later = events.subscribe("job-c", current: Self.event("unused"))
        events.finishAll()
        #expect(await Self.names(later) == ["queued"])
        #expect(await Self.names(events.subscribe("job-b", current: Self.event("unused"))) == ["queued"])
    }
}
