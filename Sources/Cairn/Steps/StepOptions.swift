/// How the scheduler runs a step: its worker limit, its retry policy and its timeout.
public struct StepOptions: Sendable {
    /// How many executions of the step may run at once (LlamaIndex's `num_workers`).
    public var workers: Int
    /// What happens when an attempt throws, times out or dies with its process.
    public var retry: RetryPolicy
    /// How long one attempt may take before it is cancelled; `nil` for no limit.
    public var timeout: Duration?

    public init(workers: Int = 1, retry: RetryPolicy = .standard, timeout: Duration? = nil) {
        self.workers = workers
        self.retry = retry
        self.timeout = timeout
    }
}
