import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import EnsembleStoreTesting
import EnsembleSystem
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EnsembleServer

@Suite("Webhook and jobs")
struct WebhookTests {
    @Test(
        "a signed delivery is queued at once; a repeat makes no second job; the job drafts the session",
        arguments: Backend.available)
    func deliveryToDraft(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            let body = try ServerDesk.body()
            let first = try await desk.deliver(body, via: client)
            #expect(first.status == .accepted)
            let job = try #require(try ServerDesk.json(first)["jobId"]?.string)
            #expect(first.headers[.location] == "/jobs/\(job)")
            #expect(try ServerDesk.json(first)["state"]?.string == "queued")

            let repeated = try await desk.deliver(body, via: client)
            #expect(repeated.status == .ok)
            #expect(try ServerDesk.json(repeated)["jobId"]?.string == job)
            #expect(try ServerDesk.json(repeated)["duplicate"]?.bool == true)
            #expect(try await desk.store.jobs(as: "intake").count == 1)

            #expect(await desk.server.pool.runNext() == job)
            let status = try await client.execute(uri: "/jobs/\(job)", method: .get, headers: desk.bearer("intake"))
            #expect(status.status == .ok)
            let state = try ServerDesk.json(status)
            #expect(state["state"]?.string == "succeeded")
            #expect(state["attempts"]?.number == 1)
            #expect(state["run"]?.number == 1)

            let events = try await client.execute(
                uri: "/jobs/\(job)/events", method: .get, headers: desk.bearer("intake"))
            #expect(events.headers[.contentType] == "text/event-stream")
            let stream = ServerDesk.text(events)
            #expect(stream.contains("event: progress\ndata: {\"stage\":\"segmented\",\"utterances\":69"))
            #expect(stream.contains("\"agent\":\"NoteDrafter\",\"attendee\":\"CL-301\""))
            #expect(
                stream.hasSuffix(
                    "\"state\":\"succeeded\",\"attempts\":1,\"maxAttempts\":3,\"run\":1,"
                        + "\"created\":\"\(state["created"]?.string ?? "")\",\"updated\":\"\(state["updated"]?.string ?? "")\","
                        + "\"payloadDigest\":\"\(Hashing.sha256Hex(try ServerDesk.body()))\",\"payloadBytes\":0}\n\n"
                ))

            let review = try await client.execute(
                uri: "/api/sessions/\(ServerDesk.session)", method: .get, headers: desk.bearer("hcole"))
            #expect(review.status == .ok)
            let notes = try ServerDesk.json(review)["notes"]?.array ?? []
            #expect(notes.compactMap { $0["attendee"]?.string } == ["CL-301", "CL-302", "CL-303"])
        }
    }

    @Test(
        "a bad signature, a wrong secret, an unknown source or a missing header is 401 and queues nothing",
        arguments: Backend.available)
    func signatures(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            let body = try ServerDesk.body()
            var tampered = desk.signed(body)
            tampered[.ensembleSignature] = "sha256=" + String(repeating: "0", count: 64)
            var missing = desk.signed(body)
            missing[.ensembleSignature] = nil
            var noTimestamp = desk.signed(body)
            noTimestamp[.ensembleTimestamp] = nil
            let cases: [(HTTPFields, String)] = [
                (tampered, "signature does not match"),
                (desk.signed(body, secret: Array("another-secret-0123456789".utf8)), "signature does not match"),
                (desk.signed(body, source: "billing-system"), "names no configured webhook source"),
                (missing, "X-Ensemble-Signature header is missing"),
                (noTimestamp, "X-Ensemble-Timestamp header is missing"),
            ]
            for (headers, message) in cases {
                let response = try await desk.deliver(body, headers: headers, via: client)
                #expect(response.status == .unauthorized)
                #expect(ServerDesk.text(response).contains(message))
            }
            // A body changed after signing.
            var changed = body
            changed[changed.count - 3] = UInt8(ascii: " ")
            let altered = try await desk.deliver(changed, headers: desk.signed(body), via: client)
            #expect(altered.status == .unauthorized)
            #expect(try await desk.store.jobs(as: "intake").isEmpty)
        }
    }

    @Test(
        "timestamps more than five minutes from the server's clock are refused; within them, accepted",
        arguments: Backend.available)
    func staleTimestamps(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            for (skew, expected) in [
                (-301.0, HTTPResponse.Status.unauthorized), (301, .unauthorized), (-299, .accepted),
            ] {
                let body = try ServerDesk.body(event: "evt-skew-\(Int(skew))")
                let response = try await desk.deliver(body, headers: desk.signed(body, skew: skew), via: client)
                #expect(response.status == expected, "skew \(skew)")
                if expected == .unauthorized { #expect(ServerDesk.text(response).contains("tolerance is 300 s")) }
            }
            #expect(try await desk.store.jobs(as: "intake").count == 1)
        }
    }

    @Test(
        "a replayed event id, even re-signed with a new body and timestamp, creates no second job",
        arguments: Backend.available)
    func replay(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            let body = try ServerDesk.body(event: "evt-replay")
            _ = try await desk.deliver(body, via: client)
            desk.clock.advance(120)
            let other = body + Array("  ".utf8)
            let replayed = try await desk.deliver(other, via: client)
            #expect(replayed.status == .ok)
            #expect(try ServerDesk.json(replayed)["duplicate"]?.bool == true)
            let jobs = try await desk.store.jobs(as: "intake")
            #expect(jobs.count == 1)
            #expect(jobs.first?.session == ServerDesk.session)
        }
    }

    @Test(
        "an oversize body is 413; malformed JSON and unknown fields are 400 naming the line or field, not content",
        arguments: Backend.available)
    func limitsAndErrors(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend, maxWebhookBytes: 4096, maxRequestBytes: 512)
        try await desk.test { client in
            let body = try ServerDesk.body()
            let large = try await desk.deliver(body, via: client)
            #expect(large.status == .contentTooLarge)

            let cases: [(String, String)] = [
                ("{\"eventId\": \"e1\", \"session\": {", "webhook body"),
                (
                    "{\"eventId\": \"e2\", \"session\": {}, \"transcript\": {}, \"priority\": 1}",
                    "priority: unknown field"
                ),
                (
                    "{\"eventId\": \"e3\", \"transcript\": {\"name\": \"transcript.txt\", \"content\": \"Maria: hi\"}}",
                    "session"
                ),
                (
                    "{\"eventId\": \"e4\", \"session\": {\"sessionId\": \"S-1\"}, \"transcript\": {\"name\": \"transcript.txt\", \"content\": \"Maria Lopez: I feel hopeless\"}}",
                    "webhook body session"
                ),
            ]
            for (text, fragment) in cases {
                let bytes = Array(text.utf8)
                let response = try await desk.deliver(bytes, via: client)
                let message = ServerDesk.text(response)
                #expect(response.status == .badRequest, "\(fragment)")
                #expect(message.contains(fragment), "\(message)")
                #expect(!message.contains("Maria") && !message.contains("hopeless"))
            }
            #expect(try await desk.store.jobs(as: "intake").isEmpty)

            let oversizeEdit = Array(
                ("{\"text\": \"" + String(repeating: "a", count: 600) + "\", \"baseVersion\": 1}").utf8)
            let edit = try await client.execute(
                uri: "/api/sessions/S/notes/CL-301/sections/Subjective", method: .put, headers: desk.bearer("hcole"),
                body: ByteBuffer(bytes: oversizeEdit))
            #expect(edit.status == .contentTooLarge)
        }
    }

    @Test("a job that keeps failing stops after its attempts with the error recorded", arguments: Backend.available)
    func failingJob(_ backend: Backend) async throws {
        struct Outage: Error {}
        let desk = try await ServerDesk(backend, maxAttempts: 3, runner: { _, _, _ in throw Outage() })
        try await desk.test { client in
            let body = try ServerDesk.body()
            let job = try ServerDesk.json(try await desk.deliver(body, via: client))["jobId"]?.string ?? ""
            for attempt in 1...3 {
                #expect(await desk.server.pool.runNext() == job, "attempt \(attempt)")
            }
            #expect(await desk.server.pool.runNext() == nil)
            let state = try await desk.store.job(job, as: "intake")
            #expect(state.state == .failed)
            #expect(state.attempts == 3)
            #expect(state.error == "drafting failed (Outage)")
        }
    }

    @Test(
        "a job that brings the server down on every attempt fails instead of running forever",
        arguments: Backend.available)
    func crashingJob(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        let enqueued = try await desk.store.enqueueJob(
            source: "ehr", eventID: "evt-crash-loop", session: "S-9", clinicians: ["PROV-4"], payload: "{}",
            maxAttempts: 2, as: "intake")
        // Each time, the server dies with the job and its lease runs out. On SQLite the restarted server
        // puts the job back; on PostgreSQL the next claim takes it over, in whichever instance.
        _ = try #require(try await desk.store.claimJob(lease: .milliseconds(1)))
        try await Task.sleep(for: .milliseconds(5))
        if backend == .sqlite { #expect(try await desk.store.requeueRunningJobs(refund: false) == 1) }
        let second = try #require(try await desk.store.claimJob(lease: .milliseconds(1)))
        #expect(second.job.attempts == 2)
        try await Task.sleep(for: .milliseconds(5))
        if backend == .sqlite { #expect(try await desk.store.requeueRunningJobs(refund: false) == 0) }
        #expect(try await desk.store.claimJob() == nil, "out of attempts: not run a third time")
        let state = try await desk.store.job(enqueued.job.id, as: "intake")
        #expect(state.state == .failed)
        #expect(
            state.error
                == (backend == .sqlite
                    ? "the server stopped while drafting it, on each of its 2 attempts"
                    : "the worker running its last attempt stopped before finishing it"))
        #expect(try await desk.store.claimJob() == nil)
    }

    @Test("bad input fails a job at once, without retries", arguments: Backend.available)
    func permanentFailure(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        let enqueued = try await desk.store.enqueueJob(
            source: "ehr", eventID: "evt-broken", session: "S-9", clinicians: ["PROV-4"], payload: "{\"eventId\": 1}",
            maxAttempts: 3,
            as: "intake")
        #expect(await desk.server.pool.runNext() == enqueued.job.id)
        let state = try await desk.store.job(enqueued.job.id, as: "intake")
        #expect(state.state == .failed)
        #expect(state.attempts == 1)
        #expect(state.error?.contains("eventId") == true)
    }

    @Test(
        "a server restarted mid-job resumes it; a stopping server puts a running job back without counting it",
        arguments: Backend.available)
    func restartAndShutdown(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend)
        let body = try ServerDesk.body()
        let enqueued = try await desk.store.enqueueJob(
            source: "ehr", eventID: "evt-crash", session: ServerDesk.session, clinicians: ["PROV-4"],
            payload: String(decoding: body, as: UTF8.self),
            maxAttempts: 3, as: "intake")
        // The first server took the job and died; its lease ran out.
        _ = try #require(try await desk.store.claimJob(lease: .milliseconds(1)))
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await desk.store.job(enqueued.job.id, as: "intake").state == .running)
        // The restarted server's pool finds it and drafts it.
        let pool = desk.server.pool
        let service = Task { try await pool.run() }
        var state = Job.State.running
        for _ in 0..<500 where state != .succeeded {
            try await Task.sleep(for: .milliseconds(20))
            state = try await desk.store.job(enqueued.job.id, as: "intake").state
        }
        service.cancel()
        _ = try? await service.value
        let resumed = try await desk.store.job(enqueued.job.id, as: "intake")
        #expect(resumed.state == .succeeded)
        #expect(resumed.attempts == 2)

        // A job still running when the grace period ends is cancelled and re-queued.
        let slow = try await ServerDesk(
            backend,
            runner: { _, _, _ in
                try await Task.sleep(for: .seconds(30))
                return 1
            })
        let queued = try await slow.store.enqueueJob(
            source: "ehr", eventID: "evt-slow", session: ServerDesk.session, clinicians: ["PROV-4"], payload: "{}",
            maxAttempts: 3,
            as: "intake"
        )
        let running = Task { await slow.server.pool.runNext() }
        while try await slow.store.job(queued.job.id, as: "intake").state != .running {
            try await Task.sleep(for: .milliseconds(10))
        }
        slow.server.pool.beginStopping()
        #expect(await running.value == queued.job.id)
        let requeued = try await slow.store.job(queued.job.id, as: "intake")
        #expect(requeued.state == .queued)
        #expect(requeued.attempts == 0)
        #expect(slow.server.pool.isStopping)
    }
}
