import EnsembleCore
import EnsembleFormats
import EnsembleIO
import EnsembleStore
import Foundation
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
    }

    private let store: Store
    private let events: JobEvents
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
        store: Store, events: JobEvents, settings: Settings, runner: @escaping JobRunner,
        sweep: (@Sendable () async -> Void)? = nil
    ) {
        self.store = store
        self.events = events
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
        guard let claimed = try? await self.store.claimJob() else { return nil }
        await self.execute(claimed.job, payload: claimed.payload)
        return claimed.job.id
    }

    private func execute(_ job: Job, payload: String) async {
        self.events.publish(job.id, .state(job))
        let events = self.events
        let id = job.id
        let task = Task { [runner = self.runner] in
            try await runner(job, payload) { event in
                if let line = JobEvent.progress(event) { events.publish(id, line) }
            }
        }
        self.running.withLock { $0[id] = task }
        defer { _ = self.running.withLock { $0.removeValue(forKey: id) } }
        do {
            let run = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            try await self.store.completeJob(id, run: run)
        } catch  where error is CancellationError || task.isCancelled {
            // Stopped by shutdown, whatever the agents threw on the way out: back in the queue, uncounted.
            _ = try? await self.store.requeueRunningJobs(ids: [id], refund: true)
        } catch {
            let (message, permanent) = Self.describe(error)
            let delay = self.settings.retryDelay * (1 << min(max(job.attempts - 1, 0), 10))
            _ = try? await self.store.failJob(
                id, error: message, retryAfter: Double(delay.components.seconds), permanent: permanent)
        }
        if let latest = try? await self.store.jobRecord(id) { self.events.publish(id, .state(latest)) }
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
