import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// What running one job means: draft its payload and record the run; returns the run's id. The server
/// drafts with the session supervisor; tests put a failing runner here.
typealias JobRunner =
    @Sendable (_ job: Job, _ payload: String, _ progress: @escaping SupervisorProgress) async throws
    -> Int?

/// A bounded pool of workers taking jobs from the store's queue. A job that fails waits and runs again,
/// up to its attempts; bad input fails at once. On graceful shutdown no new job starts, running jobs get
/// a grace period to finish, and any still running are cancelled and put back in the queue.
final class WorkerPool: Service, Sendable {
    struct Settings: Sendable {
        var workers: Int
        var pollInterval: Duration
        var retryDelay: Duration
        var shutdownGrace: Duration
        var lease: Duration = .seconds(120)
    }

    private let store: Store
    private let events: JobEvents
    private let metrics: ServerMetrics?
    private let logger: Logger?
    private let settings: Settings
    private let runner: JobRunner
    /// Looks for new work that is not in the queue yet (signed notes to push), when idle, at most every
    /// `sweepInterval`.
    private let sweep: (@Sendable () async -> Void)?
    private let sweepInterval: Duration = .seconds(30)
    private let lastSweep = Mutex<ContinuousClock.Instant?>(nil)
    private let stopping = Mutex(false)
    private let running = Mutex<[String: Task<Int?, any Error>]>([:])

    init(
        store: Store, events: JobEvents, metrics: ServerMetrics? = nil, logger: Logger? = nil, settings: Settings,
        runner: @escaping JobRunner, sweep: (@Sendable () async -> Void)? = nil
    ) {
        self.store = store
        self.events = events
        self.metrics = metrics
        self.logger = logger
        self.settings = settings
        self.runner = runner
        self.sweep = sweep
    }

    func run() async throws {
        // Jobs left running by a server that stopped without shutting down: their attempt counts.
        try await self.store.requeueRunningJobs(refund: false)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, self.settings.workers) { group.addTask { await self.work() } }
            }
        } onGracefulShutdown: {
            self.beginStopping()
        }
    }

    /// Stops taking jobs; after the grace period, cancels the ones still running (they are re-queued).
    func beginStopping() {
        self.stopping.withLock { $0 = true }
        self.events.finishAll()
        let grace = self.settings.shutdownGrace
        Task {
            try? await Task.sleep(for: grace)
            self.running.withLock { $0.values.forEach { $0.cancel() } }
        }
    }

    var isStopping: Bool { self.stopping.withLock { $0 } }

    /// Whether one of this instance's workers is running the job now.
    func isRunning(_ id: String) -> Bool { self.running.withLock { $0[id] != nil } }

    private func work() async {
        while !self.isStopping && !Task.isCancelled {
            if await self.runNext() == nil {
                await self.sweepIfDue()
                try? await Task.sleep(for: self.settings.pollInterval)
            }
        }
    }

    private func sweepIfDue() async {
        guard let sweep = self.sweep else { return }
        let now = ContinuousClock.now
        let due = self.lastSweep.withLock { last in
            guard last.map({ now - $0 >= self.sweepInterval }) ?? true else { return false }
            last = now
            return true
        }
        if due { await sweep() }
    }

    /// Runs the next due job, if there is one, to the end of this attempt; returns its id.
    @discardableResult
    func runNext() async -> String? {
        guard let claimed = try? await self.store.claimJob(lease: self.settings.lease) else { return nil }
        await self.execute(claimed.job, payload: claimed.payload)
        return claimed.job.id
    }

    private func execute(_ job: Job, payload: String) async {
        self.events.publish(job.id, .state(job))
        let events = self.events
        let id = job.id
        let claim = job.claim
        let started = ContinuousClock.now
        let timings = AgentTimings(metrics: self.metrics)
        let attempt = AttemptState()
        let task = Task { [runner = self.runner] in
            try await runner(job, payload) { event in
                timings.record(event)
                if let line = JobEvent.progress(event) {
                    events.publish(id, line)
                    attempt.progress.withLock { $0 = line.data }
                }
            }
        }
        self.running.withLock { $0[id] = task }
        // While the job runs, its claim's lease is renewed so that no other instance takes it over, and its
        // latest progress line is kept for browsers following it through another instance (at most twice a
        // second).
        let renewal = Task { [store = self.store, lease = self.settings.lease] in
            var renewed = ContinuousClock.now
            var written: String?
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                guard !Task.isCancelled else { return }
                if let line = attempt.progress.withLock({ $0 }), line != written {
                    try? await store.recordJobProgress(claim, progress: line)
                    written = line
                }
                if ContinuousClock.now - renewed >= lease / 3 {
                    // A claim that no longer holds (another worker took the job over): this attempt stops,
                    // and nothing it does after counts.
                    if (try? await store.renewJobLease(claim, lease: lease)) == false {
                        attempt.lost.withLock { $0 = true }
                        task.cancel()
                        return
                    }
                    renewed = .now
                }
            }
        }
        defer {
            renewal.cancel()
            _ = self.running.withLock { $0.removeValue(forKey: id) }
        }
        do {
            let run = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            try await self.store.completeJob(claim, run: run)
            self.finished(job, outcome: "succeeded", started: started, error: nil)
        } catch  where attempt.lost.withLock({ $0 }) {
            // Another worker holds the job now: this attempt leaves it to them.
            self.finished(job, outcome: "takenOver", started: started, error: nil)
        } catch  where error is CancellationError || task.isCancelled {
            // Stopped by shutdown, whatever the agents threw on the way out: back in the queue, uncounted.
            _ = try? await self.store.requeueRunningJobs(claims: [claim], refund: true)
            self.finished(job, outcome: "interrupted", started: started, error: nil)
        } catch {
            if let current = try? await self.store.jobRecord(id),
                current.state != .running || current.attempts != claim.attempt
            {
                // The job moved on without this attempt (another worker took it over, or finished it).
                self.finished(job, outcome: "takenOver", started: started, error: Self.code(error))
                self.events.publish(id, .state(current))
                return
            }
            let (message, permanent) = Self.describe(error)
            let delay = self.settings.retryDelay * (1 << min(max(job.attempts - 1, 0), 10))
            let state = try? await self.store.failJob(
                claim, error: message, retryAfter: Double(delay.components.seconds), permanent: permanent)
            self.finished(
                job, outcome: state == .queued ? "retried" : "failed", started: started, error: Self.code(error))
        }
        if let latest = try? await self.store.jobRecord(id) { self.events.publish(id, .state(latest)) }
    }

    /// One attempt's end, in the metrics and the log: ids, kinds, outcomes and durations only.
    private func finished(_ job: Job, outcome: String, started: ContinuousClock.Instant, error: String?) {
        let duration = ContinuousClock.now - started
        let kind = job.source == Store.fhirPushSource ? Store.fhirPushSource : "drafting"
        self.metrics?.job(kind: kind, outcome: outcome, duration: duration)
        var metadata: Logger.Metadata = [
            "job": "\(job.id)", "kind": "\(kind)", "outcome": "\(outcome)", "attempt": "\(job.attempts)",
            "duration_ms": "\(ServerMetrics.nanoseconds(duration) / 1_000_000)",
        ]
        if let error { metadata["error"] = "\(error)" }
        self.logger?.info("job", metadata: metadata)
    }

    /// An error's kind for the log (`FormatError.missingField`, `StoreError.forbidden` …), never its text.
    static func code(_ error: any Error) -> String {
        switch error {
        case let error as FormatError: "FormatError.\(error.code.rawValue)"
        case let error as StoreError: "StoreError.\(error.code.rawValue)"
        case is FHIRPushFailure: "FHIRPushFailure"
        default: "\(type(of: error))"
        }
    }

    /// An error as the job records it: input and store errors name files, fields and ids; anything else
    /// is named by its type only, so no content reaches the record.
    static func describe(_ error: any Error) -> (message: String, permanent: Bool) {
        switch error {
        case let error as FormatError: ("\(error)", true)
        case let error as StoreError: ("\(error)", error.code == .forbidden || error.code == .invalid)
        case let error as AgentError: ("drafting failed: \(error)", false)
        case let error as FHIRPushFailure: ("FHIR push failed: \(error)", error.permanent)
        default: ("drafting failed (\(type(of: error)))", false)
        }
    }
}

/// One attempt's shared state: its latest progress line (written by its agents' events, read by its
/// store writer), and whether its claim was lost to another worker.
final class AttemptState: Sendable {
    let progress = Mutex<String?>(nil)
    let lost = Mutex(false)
}

/// Times each agent of a drafting job from its start and finish events, into the metrics.
final class AgentTimings: Sendable {
    private let metrics: ServerMetrics?
    private let started = Mutex<[String: ContinuousClock.Instant]>([:])

    init(metrics: ServerMetrics?) { self.metrics = metrics }

    func record(_ event: SupervisorEvent) {
        guard let metrics = self.metrics else { return }
        switch event {
        case .agentStarted(let agent, let attendee):
            self.started.withLock { $0["\(agent.rawValue)/\(attendee?.rawValue ?? "")"] = .now }
        case .agentFinished(let agent, let attendee):
            let start = self.started.withLock {
                $0.removeValue(forKey: "\(agent.rawValue)/\(attendee?.rawValue ?? "")")
            }
            if let start { metrics.agent(agent.rawValue, duration: .now - start) }
        default: break
        }
    }
}
