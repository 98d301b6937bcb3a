import CoreMetrics
import EnsembleStore
import Foundation
import Prometheus
import Synchronization

/// The server's operational metrics, through swift-metrics into a Prometheus registry this server owns
/// (not the process-wide bootstrap, so that several servers in one process keep their own). Labels are
/// route templates, methods, statuses, outcomes, agents and job kinds: never a session id, a client id,
/// a name or any content.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The store's connection use at the last scrape, so that each scrape adds what happened since.
    private let reported = Mutex(DatabaseUse(operations: 0, busy: .zero))

    init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        self.registry = registry
        self.factory = factory
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        Counter(
            label: "ensemble_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))], factory: self.factory
        ).increment()
        CoreMetrics.Timer(
            label: "ensemble_http_request_duration_seconds", dimensions: [("route", route)], factory: self.factory
        ).recordNanoseconds(Self.nanoseconds(duration))
    }

    /// `accepted`, `duplicate`, `unauthorized`, `invalid` or `error`.
    func webhook(_ outcome: String) {
        Counter(label: "ensemble_webhook_deliveries_total", dimensions: [("outcome", outcome)], factory: self.factory)
            .increment()
    }

    /// A job's attempt ended: `succeeded`, `retried` (it failed and waits for another attempt) or `failed`.
    func job(kind: String, outcome: String, duration: Duration) {
        Counter(
            label: "ensemble_job_attempts_total", dimensions: [("kind", kind), ("outcome", outcome)],
            factory: self.factory
        ).increment()
        CoreMetrics.Timer(label: "ensemble_job_duration_seconds", dimensions: [("kind", kind)], factory: self.factory)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    /// One agent's run inside a drafting job (`NoteDrafter`, `RiskScreener` …).
    func agent(_ agent: String, duration: Duration) {
        CoreMetrics.Timer(
            label: "ensemble_agent_duration_seconds", dimensions: [("agent", agent)], factory: self.factory
        )
        .recordNanoseconds(Self.nanoseconds(duration))
    }

    /// The Prometheus text, with the queue's current depth by kind and state read from the store.
    func render(store: Store) async -> String {
        if let counts = try? await store.jobCounts() {
            for kind in ["drafting", Store.fhirPushSource] {
                for state in Job.State.allCases {
                    let count = counts.first { $0.kind == kind && $0.state == state.rawValue }?.count ?? 0
                    Gauge(
                        label: "ensemble_jobs", dimensions: [("kind", kind), ("state", state.rawValue)],
                        factory: self.factory
                    ).record(count)
                }
            }
        }
        let use = await store.databaseUse()
        let (operations, busy) = self.reported.withLock { reported in
            defer { reported = use }
            return (use.operations - reported.operations, use.busy - reported.busy)
        }
        Counter(label: "ensemble_database_operations_total", dimensions: [], factory: self.factory).increment(
            by: Int64(max(0, operations)))
        FloatingPointCounter(label: "ensemble_database_busy_seconds_total", dimensions: [], factory: self.factory)
            .increment(by: max(0, Double(Self.nanoseconds(busy)) / 1e9))
        Gauge(label: "ensemble_database_connections", dimensions: [], factory: self.factory).record(1)
        let readiness = await store.readiness()
        Gauge(label: "ensemble_database_up", dimensions: [], factory: self.factory).record(readiness.reachable ? 1 : 0)
        Gauge(label: "ensemble_database_schema_version", dimensions: [], factory: self.factory)
            .record(readiness.schemaVersion)
        return self.registry.emitToString()
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A request's route as its template (`/api/sessions/{session}`), so that no id reaches a label;
    /// `other` for a path no route has.
    static func route(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for template in Self.templates {
            let parts = template.split(separator: "/", omittingEmptySubsequences: true)
            guard parts.count == segments.count else { continue }
            if zip(parts, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { return template }
        }
        return "other"
    }

    static let templates = [
        "/", "/healthz", "/readyz", "/metrics", "/login", "/logout", "/billing", "/risk", "/favicon.ico",
        "/assets/app.css", "/assets/app.js", "/webhooks/session-completed", "/jobs/{id}", "/jobs/{id}/events",
        "/risk/{flag}/acknowledge", "/sessions/{session}", "/sessions/{session}/relabel",
        "/sessions/{session}/notes/{attendee}/addendum", "/sessions/{session}/notes/{attendee}/cosign",
        "/sessions/{session}/notes/{attendee}/decision", "/sessions/{session}/notes/{attendee}/edit",
        "/sessions/{session}/notes/{attendee}/sign", "/api/me", "/api/metrics", "/api/jobs", "/api/claims",
        "/api/risk-queue", "/api/audit/export", "/api/audit/verify", "/api/sessions", "/api/sessions/{session}",
        "/api/sessions/{session}/relabel", "/api/risk-flags/{flag}/acknowledge",
        "/api/sessions/{session}/notes/{attendee}/sign", "/api/sessions/{session}/notes/{attendee}/cosign",
        "/api/sessions/{session}/notes/{attendee}/addenda",
        "/api/sessions/{session}/notes/{attendee}/versions/{version}",
        "/api/sessions/{session}/notes/{attendee}/sections/{section}",
        "/api/sessions/{session}/notes/{attendee}/sections/{section}/decision",
    ]
}
