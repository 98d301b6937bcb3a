/// What an agent instance keeps about the one job it was made for: the session (and attendee), when the
/// work began and how long it took. The supervisor makes a fresh instance for every job it hands out;
/// the instances share only the immutable compiled configuration, so parallelism comes from separate
/// instances and no job's state is visible to another.
public struct AgentJob: Sendable, Hashable {
    public var agent: AgentKind
    public var session: SessionID
    public var attendee: PersonID?
    public var started: ContinuousClock.Instant
    /// Set once the work is done.
    public var took: Duration?

    /// A job starting now; refused when the instance already had one (an instance serves one job).
    public static func begin(
        _ current: AgentJob?, agent: AgentKind, session: SessionID, attendee: PersonID? = nil
    ) throws(AgentError) -> AgentJob {
        guard current == nil else {
            throw AgentError(
                .failed, agent: agent, attendee: attendee,
                message: "\(agent) was handed a second job; an instance serves one job")
        }
        return AgentJob(agent: agent, session: session, attendee: attendee, started: ContinuousClock().now)
    }

    /// The job, finished now.
    public func finished() -> AgentJob {
        var job = self
        job.took = self.started.duration(to: ContinuousClock().now)
        return job
    }

    /// Runs `work` as the one job of an agent instance whose job state is `job`: refused when the instance
    /// already had a job; the job's timing is kept when it ends.
    public static func perform<T>(
        _ job: inout AgentJob?, _ agent: AgentKind, session: SessionID, attendee: PersonID? = nil,
        _ work: () throws -> T
    ) throws -> T {
        job = try self.begin(job, agent: agent, session: session, attendee: attendee)
        let result = try work()
        job = job?.finished()
        return result
    }
}
