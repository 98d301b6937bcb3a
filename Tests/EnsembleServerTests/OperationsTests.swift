import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import EnsembleStoreTesting
import EnsembleTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import EnsembleServer

/// What the practice's IT person and their load balancer, Prometheus and log collector see.
@Suite("Operations: health, readiness, metrics, JSON logs")
struct OperationsTests {
    @Test(arguments: Backend.available) func healthAndReadiness_answerWithoutATokenOrContent(_ backend: Backend)
        async throws
    {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok && ServerDesk.text(health).contains("\"status\": \"ok\""))
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let body = try ServerDesk.json(ready)
            #expect(body["status"]?.string == "ready" && body["database"]?.string == "reachable")
            #expect(body["schemaVersion"]?.number == body["expectedSchemaVersion"]?.number)
        }
    }

    @Test(arguments: Backend.available) func metrics_countRequestsDeliveriesJobsAndAgents_underTemplatesNotIDs(
        _ backend: Backend
    ) async throws {
        let desk = try await ServerDesk(backend)
        try await desk.test { client in
            _ = try await desk.deliverAndDraft(client)
            let body = try ServerDesk.body()
            _ = try await desk.deliver(body, via: client)  // the same event again: a duplicate
            _ = try await desk.deliver(
                body, headers: desk.signed(body, secret: Array("wrong-secret-0123456789".utf8)), via: client)
            let note = "/api/sessions/\(ServerDesk.session)"
            #expect(try await client.execute(uri: note, method: .get, headers: desk.bearer("hcole")).status == .ok)
            #expect(
                try await client.execute(uri: note, method: .get, headers: desk.bearer("bill")).status == .forbidden)

            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = ServerDesk.text(response)
            func value(_ series: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
                    Double($0.split(separator: " ").last!)
                }
            }
            #expect(value(#"ensemble_webhook_deliveries_total{outcome="accepted"}"#) == 1)
            #expect(value(#"ensemble_webhook_deliveries_total{outcome="duplicate"}"#) == 1)
            #expect(value(#"ensemble_webhook_deliveries_total{outcome="unauthorized"}"#) == 1)
            #expect(value(#"ensemble_jobs{kind="drafting",state="succeeded"}"#) == 1)
            #expect(value(#"ensemble_jobs{kind="drafting",state="queued"}"#) == 0)
            #expect(value(#"ensemble_job_attempts_total{kind="drafting",outcome="succeeded"}"#) == 1)
            #expect(
                (value(#"ensemble_agent_duration_seconds_count{agent="NoteDrafter"}"#) ?? 0) == 3, "one per attendee")
            #expect(
                value(#"ensemble_http_requests_total{route="/api/sessions/{session}",method="GET",status="200"}"#) == 1)
            #expect(
                value(#"ensemble_http_requests_total{route="/api/sessions/{session}",method="GET",status="403"}"#) == 1)
            #expect(value("ensemble_database_up") == 1)
            #expect(value("ensemble_database_connections") == 1)
            // Users, tokens, the delivery, the run, the views: every one an operation on the connection.
            let operations = value("ensemble_database_operations_total") ?? 0
            let busy = value("ensemble_database_busy_seconds_total") ?? 0
            #expect(operations > 10 && busy > 0)
            // A later scrape adds what happened since, never less.
            let again = ServerDesk.text(try await client.execute(uri: "/metrics", method: .get))
            let later = again.split(separator: "\n").first { $0.hasPrefix("ensemble_database_operations_total ") }
                .flatMap { Double($0.split(separator: " ").last!) }
            #expect((later ?? 0) > operations, "the first scrape's own reads count")
            // No session id, client id, name or token in any label.
            let session = try Fixtures.scenario("adolescent-family").session
            for forbidden in [ServerDesk.session, "CL-30", "job-"] + session.attendees.map(\.name) {
                #expect(!text.contains(forbidden), "metrics name \(forbidden)")
            }
        }
    }

    @Test(arguments: Backend.available) func metricsToken_isRequiredWhenSet(_ backend: Backend) async throws {
        let desk = try await ServerDesk(backend, metricsToken: "metrics-token-0123456789")
        try await desk.test { client in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            let wrong = try await client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            let right = try await client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-0123456789"])
            #expect(right.status == .ok)
        }
    }

    @Test func routes_areTemplates() {
        #expect(
            ServerMetrics.route("/api/sessions/S-2026-05-14-FAM/notes/CL-301/sign")
                == "/api/sessions/{session}/notes/{attendee}/sign")
        #expect(ServerMetrics.route("/jobs/job-0123abcd/events") == "/jobs/{id}/events")
        #expect(ServerMetrics.route("/sessions/Maria Lopez") == "/sessions/{session}")
        #expect(ServerMetrics.route("/no/such/place") == "other")
        #expect(ServerMetrics.route("/") == "/")
    }

    @Test func jsonLogs_areOneObjectALine_withNumbersAsNumbers() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "ensemble.server") { label in
            JSONLogHandler(label: label) { line in lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .info
        logger.info(
            "request",
            metadata: ["method": "GET", "route": "/jobs/{id}", "status": "200", "duration_ms": "12", "job": "job-1a"])
        logger.error("a line\nwith \"quotes\"")
        let written = lines.withLock { $0 }
        #expect(
            written.count == 2 && written.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().contains("\n") == false })
        let first = try JSONParser.parse(written[0], file: "log")
        #expect(first["message"]?.string == "request" && first["level"]?.string == "info")
        #expect(
            first["status"]?.number == 200 && first["duration_ms"]?.number == 12
                && first["route"]?.string == "/jobs/{id}")
        #expect(first["time"]?.string.flatMap { Timestamp(iso8601: $0) } != nil)
        #expect(try JSONParser.parse(written[1], file: "log")["message"]?.string == "a line\nwith \"quotes\"")
    }
}
