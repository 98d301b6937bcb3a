import EnsembleCore
import EnsembleFormats
import EnsembleStore
import EnsembleStoreTesting
import Hummingbird
import HummingbirdTesting
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

/// Several instances on one PostgreSQL database: a browser on one follows a job another runs.
@Suite("Job progress across instances")
struct CrossInstanceEventsTests {
    @Test(.timeLimit(.minutes(10))) func aBrowserOnOneInstance_followsAJobAnotherInstanceRuns() async throws {
        guard Backend.available.contains(.postgresql) else { return }
        // Instance a drafts slowly, saying where it is; instance b only serves the browser.
        let a = try await ServerDesk(
            .postgresql,
            runner: { _, _, progress in
                progress(.segmented(utterances: 12, segments: 3))
                try await Task.sleep(for: .milliseconds(1500))
                return nil
            })
        let b = try await a.anotherInstance()
        let job = try await a.test { client in
            try #require(try ServerDesk.json(try await a.deliver(try ServerDesk.body(), via: client))["jobId"]?.string)
        }
        let running = Task { await a.server.pool.runNext() }
        let stream = try await b.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/jobs/\(job)/events", method: .get, headers: a.bearer("intake"))
            #expect(response.status == .ok)
            return ServerDesk.text(response)
        }
        #expect(await running.value == job)
        // The job's state, its progress, and the end, although b ran none of it.
        #expect(stream.contains("\"state\":\"running\""))
        #expect(stream.contains("event: progress") && stream.contains("\"segments\":3"))
        #expect(stream.contains("\"state\":\"succeeded\""))
        #expect(!stream.contains("Sofia"))
    }
}

extension CrossInstanceEventsTests {
    @Test func aFormFromOneInstance_isAcceptedByAnother() async throws {
        guard Backend.available.contains(.postgresql) else { return }
        let a = try await ServerDesk(.postgresql)
        let b = try await a.anotherInstance()
        let csrf = try await a.test { client in
            _ = try await a.deliverAndDraft(client)
            let page = ServerDesk.text(
                try await client.execute(
                    uri: "/sessions/\(ServerDesk.session)", method: .get, headers: a.cookie("hcole")))
            return try #require(page.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.output.1) })
        }
        // The load balancer sends the post to the other instance: the browser session and its form token hold.
        let status = try await b.application().test(.router) { client in
            var form = a.cookie("hcole")
            form[.contentType] = "application/x-www-form-urlencoded"
            return try await client.execute(
                uri: "/sessions/\(ServerDesk.session)/notes/CL-302/sign", method: .post, headers: form,
                body: ByteBuffer(string: "version=1&csrf=\(csrf)")
            ).status
        }
        #expect(status == .seeOther)
        #expect(try await a.store.review(session: ServerDesk.session, as: "hcole").notes[1].state == .signed)
    }
}
