import Synchronization

/// What a deadline rings when it passes: the fan-out's board, told which of its jobs ran out of time.
protocol DeadlineTarget: AnyObject, Sendable {
    func deadlinePassed(_ tag: Int)
}

/// The deadlines of every agent call a supervisor has running, across all its sessions, watched by one
/// task: a call costs a lock to register and one to leave, not a timer of its own.
///
/// Every deadline is "now + the agent timeout" on one clock, so a new one is never earlier than the
/// ones already registered: the deadlines form a queue in ticket order, registering appends, leaving
/// clears a slot, and the earliest live deadline is always at the front (no hashing, no search). The
/// watcher sleeps until that deadline, rings each call past it, and waits without a timer while nothing
/// is registered. It stops when the supervisor goes.
final class DeadlineWatch: Sendable {
    /// Deadlines are kept as time since the watch began, so nothing here is generic over the clock.
    private struct Entry {
        var deadline: Duration
        var target: any DeadlineTarget
        var tag: Int
    }

    private struct State {
        /// Ticket `t` is at position `t`; a cleared entry is nil. The front entry is never nil.
        var entries = SlidingQueue<Entry?>()
        /// The watcher, waiting for a first registration.
        var idle: CheckedContinuation<Void, Never>?
        var started = false
        var stopped = false

        var earliest: Duration? { self.entries.first??.deadline }

        /// Drops cleared entries from the front.
        mutating func trimFront() {
            while let first = self.entries.first, first == nil { _ = self.entries.popFirst() }
        }
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

    /// Registers a call due `timeout` from now: `target.deadlinePassed(tag)` is called once if the
    /// deadline passes before the ticket is removed. The watch holds `target` until then.
    func register(_ target: any DeadlineTarget, tag: Int) -> UInt64 {
        let deadline = self.now() + self.timeout
        let (ticket, idle, start) = self.state.withLock { state in
            let ticket = UInt64(state.entries.endPosition)
            state.entries.append(Entry(deadline: deadline, target: target, tag: tag))
            let idle = state.idle
            state.idle = nil
            let start = !state.started
            state.started = true
            return (ticket, idle, start)
        }
        idle?.resume()
        if start { self.startWatcher() }
        return ticket
    }

    /// The call ended in time: it will not be rung.
    func remove(_ ticket: UInt64) {
        self.state.withLock { state in
            guard state.entries[position: Int(ticket)] != nil else { return }
            state.entries[position: Int(ticket)] = .some(nil)
            state.trimFront()
        }
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
    private func startWatcher() {
        self.watcher.withLock { watcher in
            guard watcher == nil else { return }
            watcher = Task { [weak self] in await self?.watch() }
        }
    }

    private func watch() async {
        while !Task.isCancelled {
            let next: Duration?? = self.state.withLock { state in state.stopped ? .none : .some(state.earliest) }
            guard let next else { return }
            guard let deadline = next else {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state in
                        guard state.earliest == nil && !state.stopped else { return true }
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
            let due: [(any DeadlineTarget, Int)] = self.state.withLock { state in
                var due: [(any DeadlineTarget, Int)] = []
                while let entry = state.entries.first ?? nil, entry.deadline <= now {
                    due.append((entry.target, entry.tag))
                    _ = state.entries.popFirst()
                    state.trimFront()
                }
                return due
            }
            for (target, tag) in due { target.deadlinePassed(tag) }
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
