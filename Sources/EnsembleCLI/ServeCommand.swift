import ArgumentParser
import EnsembleCore
import EnsembleIO
import EnsembleServer
import EnsembleService
import EnsembleStore
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the EHR webhook, the drafting job queue, the REST API and the review pages.",
        discussion: """
            Binds to loopback unless --host says otherwise. Each --source names a system allowed to post \
            session-completed events, the user its jobs draft as, and the environment variable holding its \
            shared secret: --source name=ehr,user=intake,secret-env=EHR_WEBHOOK_SECRET. Users sign in with \
            tokens from `ensemble users token`. SIGTERM or SIGINT stops taking jobs, lets running ones finish \
            (or puts them back in the queue after the grace period), then stops the server.
            """)

    @Option(help: "The address to bind.") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one; the chosen port is printed).") var port = 8080
    @Option(
        name: .customLong("source"), parsing: .singleValue,
        help: "A webhook source: name=NAME,user=USER,secret-env=VARIABLE (repeat for more).")
    var sources: [String] = []
    @Option(help: "Jobs drafted at once.") var workers = 2
    @Option(name: .customLong("max-attempts"), help: "Attempts before a failing job stops.") var maxAttempts = 3
    @Option(name: .customLong("retry-delay"), help: "Seconds before a failed job's first retry (doubling after).")
    var retryDelay = 5
    @Option(
        name: .customLong("job-lease"),
        help:
            "Seconds a worker's claim on a job holds unless renewed; after an instance dies, another takes its jobs then."
    )
    var jobLease = 120
    @Option(name: .customLong("shutdown-grace"), help: "Seconds running jobs may take to finish on shutdown.")
    var shutdownGrace = 25
    @Option(name: .customLong("max-webhook-bytes"), help: "The largest webhook body accepted.")
    var maxWebhookBytes = 8 << 20
    @Option(name: .long, help: "The agents' configuration folder (default: $ENSEMBLE_AGENTS, then ./Agents).")
    var agents: String?
    @Option(
        name: .customLong("public-url"),
        help: "The URL users reach the server at behind a TLS proxy (https://… marks the sign-in cookie Secure).")
    var publicURL: String?
    @Option(
        name: .customLong("session-idle"), help: "Minutes a signed-in browser may stay idle before signing in again.")
    var sessionIdle = 30
    @Option(name: .customLong("session-lifetime"), help: "Hours a browser stays signed in at most.")
    var sessionLifetime = 12
    @Option(
        name: .customLong("fhir-base-url"),
        help: "Push each signed note to this FHIR R4 server as a DocumentReference and Provenance.")
    var fhirBaseURL: String?
    @Option(
        name: .customLong("fhir-token-env"),
        help: "The environment variable holding the FHIR server's bearer token (never the token itself).")
    var fhirTokenEnv: String?
    @Option(name: .customLong("log-format"), help: "text, or json for one JSON object a line.")
    var logFormat: LogFormatOption = .text
    @Option(
        name: .customLong("metrics-token-env"),
        help: "The environment variable holding a bearer token GET /metrics must carry (default: no token).")
    var metricsTokenEnv: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be 0 to 65535") }
        guard self.workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard self.jobLease >= 3 else { throw ValidationError("--job-lease must be at least 3 seconds") }
        guard self.maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard self.maxWebhookBytes >= 1024 else { throw ValidationError("--max-webhook-bytes must be at least 1024") }
        guard self.sessionIdle >= 1 else { throw ValidationError("--session-idle must be at least 1 minute") }
        guard self.sessionLifetime >= 1 else { throw ValidationError("--session-lifetime must be at least 1 hour") }
        if let text = self.fhirBaseURL {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host?.isEmpty == false
            else {
                throw ValidationError(
                    "--fhir-base-url must be an http:// or https:// URL, such as https://ehr.example.org/fhir")
            }
        }
        if self.fhirTokenEnv != nil && self.fhirBaseURL == nil {
            throw ValidationError("--fhir-token-env goes with --fhir-base-url")
        }
        if let text = self.publicURL {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host?.isEmpty == false
            else {
                throw ValidationError(
                    "--public-url must be an http:// or https:// URL, such as https://notes.example.org")
            }
        }
    }

    func run() async throws {
        let store = try await self.store.open()
        var sources: [WebhookSource] = []
        for spec in self.sources {
            let source = try Self.source(spec, environment: ProcessInfo.processInfo.environment)
            guard source.name != Store.fhirPushSource else {
                throw ValidationError("--source: \(Store.fhirPushSource) is the name of FHIR push jobs; choose another")
            }
            guard try await store.user(source.user) != nil else {
                throw ValidationError(
                    "--source \(source.name): no active user \(source.user); add one (an assistant) with ensemble users add"
                )
            }
            sources.append(source)
        }
        let publicURL = self.publicURL.flatMap(URL.init(string:))
        if !["127.0.0.1", "::1", "localhost"].contains(self.host), publicURL?.scheme?.lowercased() != "https" {
            Console.error(
                "[ensemble] warning: serving on \(self.host) without TLS; put a TLS-terminating proxy in front of it "
                    + "and name it with --public-url https://…")
        }
        if publicURL == nil {
            Console.error(
                "[ensemble] sign-in cookies are not marked Secure; behind an HTTPS proxy, pass --public-url https://…")
        }
        if sources.isEmpty {
            Console.error("[ensemble] no --source given: the webhook refuses every delivery")
        }
        let agents = try AgentsDirectory.load(explicit: self.agents)
        // One drafting service, with the configured engine, for every job and relabel.
        let drafting = DraftingService(agents: agents, engine: try self.modelOptions.engine(agents))
        var metricsToken: String? = nil
        if let variable = self.metricsTokenEnv {
            guard let value = ProcessInfo.processInfo.environment[variable], value.utf8.count >= 16 else {
                throw ValidationError("--metrics-token-env: set \(variable) to a token of at least 16 characters")
            }
            metricsToken = value
        }
        let mapping = try AgentsDirectory.fhirMapping(explicit: self.agents).mapping
        var push: FHIRPushSettings? = nil
        if let base = self.fhirBaseURL {
            var token: String? = nil
            if let variable = self.fhirTokenEnv {
                guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                    throw ValidationError("--fhir-token-env: set \(variable) to the FHIR server's bearer token")
                }
                token = value
            }
            if !base.lowercased().hasPrefix("https://") && !Self.isLoopback(base) {
                Console.error("[ensemble] warning: pushing notes to \(base) without TLS")
            }
            push = FHIRPushSettings(baseURL: base, token: token, mapping: mapping)
        }
        let settings = ServerSettings(
            host: self.host, port: self.port, sources: sources, drafting: drafting,
            workers: self.workers, maxAttempts: self.maxAttempts, retryDelay: .seconds(self.retryDelay),
            shutdownGrace: .seconds(self.shutdownGrace), maxWebhookBytes: self.maxWebhookBytes, publicURL: publicURL,
            sessionIdleTimeout: .seconds(self.sessionIdle * 60), sessionLifetime: .seconds(self.sessionLifetime * 3600),
            fhirMapping: mapping, fhirPush: push, logFormat: self.logFormat == .json ? .json : .text,
            metricsToken: metricsToken, jobLease: .seconds(self.jobLease))
        let host = self.host
        let path = self.store.location.description
        try await EnsembleServer(store: store, settings: settings).run { port in
            Console.error(
                "[ensemble] serving \(path) on http://\(host):\(port) (\(settings.workers) workers, "
                    + "\(drafting.engine.name) drafting"
                    + (settings.fhirPush.map { "; signed notes pushed to \($0.baseURL)" } ?? "") + ")")
        }
        Console.error("[ensemble] stopped")
    }

    static func isLoopback(_ text: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(URL(string: text)?.host?.lowercased() ?? "")
    }

    /// `name=ehr,user=intake,secret-env=EHR_WEBHOOK_SECRET`, with the secret read from that variable.
    static func source(_ spec: String, environment: [String: String]) throws -> WebhookSource {
        var fields: [String: String] = [:]
        for part in spec.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, ["name", "user", "secret-env"].contains(pair[0]) else {
                throw ValidationError("--source takes name=NAME,user=USER,secret-env=VARIABLE")
            }
            fields[pair[0]] = pair[1]
        }
        guard let name = fields["name"], let user = fields["user"], let variable = fields["secret-env"] else {
            throw ValidationError("--source needs name=, user= and secret-env=")
        }
        guard let secret = environment[variable], secret.utf8.count >= 16 else {
            throw ValidationError(
                "--source \(name): set \(variable) to the shared secret (at least 16 characters; openssl rand -hex 32 makes one)"
            )
        }
        return WebhookSource(name: name, user: user, secret: Array(secret.utf8))
    }
}
