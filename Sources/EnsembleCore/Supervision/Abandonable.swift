import Synchronization

/// Work that can be left behind. The operation runs in a task of its own; the caller waits for it only
/// until it finishes, the caller is cancelled, or (with a budget) the time runs out. Then the operation
/// is cancelled and left to end on its own, so an agent or a model call that ignores cancellation never
/// holds up the session that gave up on it.
public enum Abandonable {
    /// What `operation` hands to `done`, as soon as it does, even while the operation itself goes on (it is
    /// then cancelled and left to end on its own). Used where the answer is ready before every piece of
    /// the work has ended: a fan-out whose last job settled while a stuck child still runs.
    public static func run<T: Sendable>(
        until operation: @escaping @Sendable (_ done: @escaping @Sendable (T) -> Void) async throws -> Void
    ) async throws -> T {
        let waiter = Waiter<T>()
        let task = Task {
            do {
                try await operation { waiter.resume(with: .success($0)) }
                waiter.resume(with: .failure(CancellationError()))  // ended without an answer
            } catch {
                waiter.resume(with: .failure(error))
            }
        }
        defer { task.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { waiter.wait($0) }
        } onCancel: {
            task.cancel()
            waiter.resume(with: .failure(CancellationError()))
        }
    }

    /// The operation's result, or nil when `budget` passes on `clock` first (the operation is then
    /// cancelled and left behind).
    public static func run<T: Sendable, C: Clock<Duration>>(
        within budget: Duration, clock: C, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let waiter = Waiter<T?>()
        let task = Task { waiter.resume(with: await Result(catching: operation)) }
        let timer = Task {
            try? await Task.sleep(for: budget, clock: clock)
            if !Task.isCancelled { waiter.resume(with: .success(nil)) }
        }
        defer {
            task.cancel()
            timer.cancel()
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { waiter.wait($0) }
        } onCancel: {
            waiter.resume(with: .failure(CancellationError()))
        }
    }

    /// One continuation resumed once, by whichever comes first: the result, a cancellation or a timer,
    /// whether or not the caller has started waiting yet.
    private final class Waiter<T: Sendable>: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<T, any Error>)
            case done(Result<T, any Error>)
            case resumed
        }

        private let state = Mutex<State>(.idle)

        func wait(_ continuation: CheckedContinuation<T, any Error>) {
            let ready: Result<T, any Error>? = self.state.withLock { state in
                if case .done(let result) = state {
                    state = .resumed
                    return result
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }

        func resume(with result: Result<T, any Error>) {
            let waiting: CheckedContinuation<T, any Error>? = self.state.withLock { state in
                switch state {
                case .idle:
                    state = .done(result)
                    return nil
                case .waiting(let continuation):
                    state = .resumed
                    return continuation
                case .done, .resumed:
                    return nil
                }
            }
            waiting?.resume(with: result)
        }
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing operation.
    init(catching operation: () async throws -> Success) async {
        do {
            self = .success(try await operation())
        } catch {
            self = .failure(error)
        }
    }
}
