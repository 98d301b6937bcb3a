import Synchronization

/// The deadlines of every agent call a supervisor has running, across all its sessions, watched by one
/// task: a call costs a lock to register and one to leave, not a timer of its own.
///
/// Every deadline is "now + the agent timeout" on one clock, so a new one is never earlier than the
/// ones already registered. The watcher sleeps until the earliest deadline, rings each call past it,
/// and waits without a timer while nothing is registered. It stops when the supervisor goes.
final class DeadlineWatch: Sendable {
    /// Deadlines are kept as time since the watch began, so nothing here is generic over the clock.
    private struct Entry {
        var deadline: Duration
        var ring: @Sendable () -> Void
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextTicket: UInt64 = 0
        /// The watcher, waiting for a first registration.
        var idle: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    /// Time on the clock since the watch began.
    private let now: @Sendable () -> Duration
    /// Sleeps on the clock until that much time since the watch began.
    private let sleep: @Sendable (Duration) async throws -> Void
    private let timeout: Duration
    private let state = Mutex(State())
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    init<C: Clock<Duration>>(clock: C, timeout: Duration) {
        let origin = clock.now
        self.now = { origin.duration(to: clock.now) }
        self.sleep = { try await clock.sleep(until: origin.advanced(by: $0), tolerance: nil) }
        self.timeout = timeout
    }

    /// Registers a call due `timeout` from now; `ring` is called once if the deadline passes first.
    func register(_ ring: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = self.now() + self.timeout
        let (ticket, idle) = self.state.withLock { state in
            defer { state.nextTicket += 1 }
            state.entries[state.nextTicket] = Entry(deadline: deadline, ring: ring)
            let idle = state.idle
            state.idle = nil
            return (state.nextTicket, idle)
        }
        idle?.resume()
        self.startIfNeeded()
        return ticket
    }

    /// The call ended in time: it will not be rung.
    func remove(_ ticket: UInt64) {
        _ = self.state.withLock { $0.entries.removeValue(forKey: ticket) }
    }

    func stop() {
        let idle = self.state.withLock { state in
            state.stopped = true
            defer { state.idle = nil }
            return state.idle
        }
        idle?.resume()
        self.watcher.withLock { $0?.cancel() }
    }

    /// The watcher starts with the first registration (a supervisor that never drafts has none).
    private func startIfNeeded() {
        self.watcher.withLock { watcher in
            guard watcher == nil else { return }
            watcher = Task { [weak self] in await self?.watch() }
        }
    }

    private func watch() async {
        while !Task.isCancelled {
            let next: Duration?? = self.state.withLock { state in
                state.stopped ? .none : .some(state.entries.values.map(\.deadline).min())
            }
            guard let next else { return }
            guard let deadline = next else {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state in
                        guard state.entries.isEmpty && !state.stopped else { return true }
                        state.idle = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
                continue
            }
            do {
                try await self.sleep(deadline)
            } catch {
                return
            }
            let now = self.now()
            let due: [@Sendable () -> Void] = self.state.withLock { state in
                let late = state.entries.filter { $0.value.deadline <= now }
                for ticket in late.keys { state.entries[ticket] = nil }
                return late.sorted { $0.key < $1.key }.map(\.value.ring)
            }
            for ring in due { ring() }
        }
    }
}

/// A one-way signal a task can wait on: rung by the deadline watch, counted so no ring is lost, and
/// answered with zero when the waiting task is cancelled.
final class Bell: Sendable {
    private struct State {
        var rings = 0
        var waiter: CheckedContinuation<Int, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func ring() {
        let waiter: (CheckedContinuation<Int, Never>, Int)? = self.state.withLock { state in
            state.rings += 1
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            defer { state.rings = 0 }
            return (waiter, state.rings)
        }
        if let (continuation, rings) = waiter { continuation.resume(returning: rings) }
    }

    /// How many rings came since the last wait; zero when cancelled.
    func wait() async -> Int {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now: Int? = self.state.withLock { state in
                    if state.cancelled { return 0 }
                    if state.rings > 0 {
                        defer { state.rings = 0 }
                        return state.rings
                    }
                    state.waiter = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: 0)
        }
    }
}
