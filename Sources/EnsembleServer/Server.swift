import EnsembleCore
public import EnsembleFormats
import EnsembleIO
public import EnsembleService
public import EnsembleStore
import EnsembleSystem
public import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// How `ensemble serve` runs.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var sources: [WebhookSource]
    /// Drafts every job and relabel, with the configured engine.
    public var drafting: DraftingService
    /// Jobs drafted at once.
    public var workers: Int
    /// Attempts before a failing job stops.
    public var maxAttempts: Int
    /// The wait before a failed job's first retry; it doubles with each attempt.
    public var retryDelay: Duration
    /// How long running jobs may take to finish when the server is asked to stop.
    public var shutdownGrace: Duration
    public var pollInterval: Duration
    public var maxWebhookBytes: Int
    public var maxRequestBytes: Int
    /// Seconds a webhook timestamp may differ from the server's clock.
    public var webhookTolerance: Double
    /// The address users reach the server at, when it differs from host and port (behind a TLS proxy);
    /// an `https` URL marks the sign-in cookie `Secure`.
    public var publicURL: URL?
    /// A signed-in browser is signed out after this long without a request…
    public var sessionIdleTimeout: Duration
    /// …and this long after signing in, whatever it did.
    public var sessionLifetime: Duration
    /// How a FHIR Bundle posted to the webhook is read (`Agents/fhir/mapping.json`); nil refuses them.
    public var fhirMapping: FHIRMapping?
    /// Where signed notes are pushed as FHIR; nil pushes nothing.
    public var fhirPush: FHIRPushSettings?
    /// Text for a terminal, or one JSON object a line for a log collector.
    public var logFormat: LogFormat
    /// A line per request (method, route, status, duration) and per job attempt.
    public var requestLog: Bool
    /// When set, `GET /metrics` needs `Authorization: Bearer` with this token.
    public var metricsToken: String?
    /// How long a worker's claim on a job holds without being renewed: a worker renews it while the job
    /// runs, and when its instance dies, another instance takes the job once the lease has run out.
    public var jobLease: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 8080, sources: [WebhookSource], drafting: DraftingService,
        workers: Int = 2, maxAttempts: Int = 3, retryDelay: Duration = .seconds(5),
        shutdownGrace: Duration = .seconds(25), pollInterval: Duration = .milliseconds(200),
        maxWebhookBytes: Int = 8 << 20, maxRequestBytes: Int = 256 << 10, webhookTolerance: Double = 300,
        publicURL: URL? = nil, sessionIdleTimeout: Duration = .seconds(30 * 60),
        sessionLifetime: Duration = .seconds(12 * 3600), fhirMapping: FHIRMapping? = nil,
        fhirPush: FHIRPushSettings? = nil, logFormat: LogFormat = .text, requestLog: Bool = true,
        metricsToken: String? = nil, jobLease: Duration = .seconds(120)
    ) {
        self.jobLease = jobLease
        self.logFormat = logFormat
        self.requestLog = requestLog
        self.metricsToken = metricsToken
        self.fhirMapping = fhirMapping ?? fhirPush?.mapping
        self.fhirPush = fhirPush
        self.host = host
        self.port = port
        self.sources = sources
        self.drafting = drafting
        self.workers = workers
        self.maxAttempts = maxAttempts
        self.retryDelay = retryDelay
        self.shutdownGrace = shutdownGrace
        self.pollInterval = pollInterval
        self.maxWebhookBytes = maxWebhookBytes
        self.maxRequestBytes = maxRequestBytes
        self.webhookTolerance = webhookTolerance
        self.publicURL = publicURL
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionLifetime = sessionLifetime
    }

    /// Whether cookies must be `Secure`: users reach the server over HTTPS.
    var secureCookies: Bool { self.publicURL?.scheme?.lowercased() == "https" }
}

/// `ensemble serve`: the EHR webhook, the job queue and its workers, the REST API and the review pages,
/// all over one store.
public struct EnsembleServer: Sendable {
    let store: Store
    let settings: ServerSettings
    let events = JobEvents()
    let pool: WorkerPool
    let verifier: WebhookVerifier
    let clock: @Sendable () -> Date
    let logger: Logger
    let metrics = ServerMetrics()

    public init(store: Store, settings: ServerSettings, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.init(store: store, settings: settings, clock: clock, runner: nil)
    }

    init(store: Store, settings: ServerSettings, clock: @escaping @Sendable () -> Date, runner: JobRunner?) {
        self.store = store
        self.settings = settings
        self.clock = clock
        self.verifier = WebhookVerifier(sources: settings.sources, tolerance: settings.webhookTolerance)
        var logger =
            settings.logFormat == .json
            ? Logger(label: "ensemble.server") { JSONLogHandler(label: $0) } : Logger(label: "ensemble.server")
        logger.logLevel = .info
        self.logger = logger
        let events = self.events
        self.pool = WorkerPool(
            store: store, events: events, metrics: self.metrics, logger: settings.requestLog ? logger : nil,
            settings: WorkerPool.Settings(
                workers: settings.workers, pollInterval: settings.pollInterval, retryDelay: settings.retryDelay,
                shutdownGrace: settings.shutdownGrace, lease: settings.jobLease),
            runner: runner ?? Self.runner(store: store, service: settings.drafting, push: settings.fhirPush),
            sweep: settings.fhirPush.map { push in
                { @Sendable in _ = try? await store.enqueueFHIRPushes(maxAttempts: settings.maxAttempts) }
            })
    }

    /// Drafting jobs draft; FHIR push jobs push a signed note to the EHR.
    static func runner(store: Store, service: DraftingService, push: FHIRPushSettings?) -> JobRunner {
        let drafter = Self.drafter(store: store, service: service)
        return { job, payload, progress in
            guard job.source == Store.fhirPushSource else { return try await drafter(job, payload, progress) }
            guard let push else {
                throw FHIRPushFailure(
                    description: "FHIR push is not configured on this server (start it with --fhir-base-url)",
                    permanent: true)
            }
            let root = JSONField(node: try JSONParser.parse(payload, file: "push job"), file: "push job")
            _ = try await FHIRPusher(settings: push).push(
                session: try root.required("session", expected: "the session id").text(),
                attendee: try root.required("attendee", expected: "the attendee id").text(), job: job.id, store: store,
                as: job.user)
            return nil
        }
    }

    /// Queues pushes for notes signed since the last look (nothing when push is off).
    func queuePushes() async {
        guard self.settings.fhirPush != nil else { return }
        _ = try? await self.store.enqueueFHIRPushes(maxAttempts: self.settings.maxAttempts)
    }

    /// The real job: parse the event, draft it through the drafting service (with the session's speaker
    /// corrections), and record the run as the source's user, marking the job succeeded in the same
    /// transaction.
    static func drafter(store: Store, service: DraftingService) -> JobRunner {
        { job, payload, progress in
            let event = try WebhookPayload.parse(Array(payload.utf8))
            let outcome = try await service.draft(
                event.session, sessionJSON: event.sessionJSON, transcript: event.transcript, store: store,
                as: job.user, job: job.claim, progress: progress)
            guard let recorded = outcome.recorded else {
                throw StoreError(.corrupt, "job \(job.id) drafted but its run was not recorded")
            }
            return recorded.runID
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(
            middleware: ServerMiddleware(
                logger: self.logger, metrics: self.metrics, requestLog: self.settings.requestLog))
        self.addOperationsRoutes(to: router)
        self.addWebhookRoutes(to: router)
        self.addAPIRoutes(to: router)
        self.addPageRoutes(to: router)
        return router
    }

    /// The application without its worker pool (handler tests drive the pool themselves).
    func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: self.router(),
            configuration: ApplicationConfiguration(
                address: .hostname(self.settings.host, port: self.settings.port), serverName: "ensemble"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: self.logger)
    }

    /// Serves until SIGTERM or SIGINT. Stopping, the worker pool stops first (running jobs finish or go
    /// back in the queue), then the HTTP server.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: self.application(onRunning: onRunning)), .init(service: self.pool)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: self.logger))
        try await group.run()
    }

    // MARK: - Authentication

    /// The user of an API request's bearer token; 401 when it is missing or unknown.
    func bearer(_ request: Request) async throws -> User {
        guard let header = request.headers[.authorization] else { throw APIError.unauthenticated() }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthenticated("the Authorization header must be Bearer TOKEN")
        }
        guard let user = try await self.store.authenticate(token: String(parts[1])) else {
            throw APIError.unauthenticated("the bearer token is unknown or its user is inactive")
        }
        return user
    }

    static let cookieName = "ensemble_session"

    /// The user of a page request's browser-session cookie, or nil (no cookie, or a session that ended).
    func pageUser(_ request: Request) async throws -> (user: User, session: String)? {
        guard let session = request.cookie(Self.cookieName), Self.isSessionID(session),
            let user = try await self.store.browserUser(session: session, idle: self.settings.sessionIdleTimeout)
        else { return nil }
        return (user, session)
    }

    /// A browser-session id as sign-in makes them: 64 lowercase hex digits.
    static func isSessionID(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict, and Secure when users come over HTTPS.
    func cookie(_ name: String, _ value: String, path: String = "/", maxAge: Int? = nil) -> String {
        "\(name)=\(value); Path=\(path); HttpOnly; SameSite=Strict" + (maxAge.map { "; Max-Age=\($0)" } ?? "")
            + (self.settings.secureCookies ? "; Secure" : "")
    }

    /// A signed-in browser's page frame; 401 (which the middleware turns into the sign-in page) without one.
    func page(_ request: Request, title: String) async throws -> Page {
        guard let (user, session) = try await self.pageUser(request) else {
            throw APIError(.unauthorized, "sign in first")
        }
        return Page(user: user, csrf: self.csrfToken(session), title: title)
    }

    /// The form token of a signed-in browser: an HMAC keyed by its session's random id, which only that
    /// browser's cookie holds. Every instance on the database computes the same token, so a form served
    /// by one instance may be posted to another behind the load balancer; a page from another site, which
    /// cannot read the cookie, cannot make it.
    func csrfToken(_ session: String) -> String {
        Hashing.hmacSHA256Hex(key: Array(session.utf8), message: Array("ensemble-csrf".utf8))
    }

    /// A signed-in browser's form post: the cookie's user, once the form's CSRF token matches.
    func formPost(_ request: Request) async throws -> (user: User, form: [String: String]) {
        let page = try await self.page(request, title: "")
        let form = try await request.form(limit: self.settings.maxRequestBytes)
        guard let sent = form["csrf"], Hashing.constantTimeEqual(sent, page.csrf) else {
            throw APIError(.forbidden, "the form's CSRF token is missing or stale; reload the page and try again")
        }
        return (page.user, form)
    }
}
