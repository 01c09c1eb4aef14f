import Foundation

/// How many times a step is attempted and how long to wait between attempts.
///
/// An attempt that throws, times out or dies with its process counts. Errors conforming to
/// ``NonRetryableError``, and errors for which `isRetryable` returns `false`, end the step at once.
public struct RetryPolicy: Sendable {
    /// Total attempts, the first included (1 means no retry).
    public var maxAttempts: Int
    /// Wait before the second attempt.
    public var initialBackoff: Duration
    /// Factor applied to the wait after each further attempt.
    public var multiplier: Double
    /// Upper bound of the wait.
    public var maxBackoff: Duration
    /// The most time an execution may take from its first attempt's start: no further attempt is made when
    /// its backoff would end past it (the attempt that is running is not cut short; give the step a timeout
    /// for that). `nil`: no limit but `maxAttempts`.
    public var timeLimit: Duration?
    /// Decides whether an error may be retried.
    public var isRetryable: @Sendable (any Error) -> Bool

    public init(
        maxAttempts: Int,
        initialBackoff: Duration = .milliseconds(100),
        multiplier: Double = 2,
        maxBackoff: Duration = .seconds(30),
        timeLimit: Duration? = nil,
        isRetryable: @escaping @Sendable (any Error) -> Bool = { _ in true }
    ) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.multiplier = multiplier
        self.maxBackoff = maxBackoff
        self.timeLimit = timeLimit
        self.isRetryable = isRetryable
    }

    /// One attempt, no retry: a step that throws, times out or dies with its process fails the run.
    public static var none: RetryPolicy { RetryPolicy(maxAttempts: 1) }

    /// Three attempts, 100 ms then 200 ms apart: the default, so that a step whose process was killed
    /// runs again on resume.
    public static var standard: RetryPolicy { RetryPolicy(maxAttempts: 3) }

    /// The wait after failed attempt number `attempt` (1-based): never negative, never past `maxBackoff`
    /// (nor past a year, whatever the policy says), so no attempt count or factor makes it trap.
    public func backoff(after attempt: Int) -> Duration {
        let factor = pow(multiplier, Double(max(0, attempt - 1)))
        let bound = min(maxBackoff.seconds, 365 * 86_400)
        let wanted = initialBackoff.seconds * factor
        let seconds = wanted.isNaN ? bound : max(0, min(wanted, bound))
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    func allowsRetry(of error: any Error) -> Bool {
        !(error is any NonRetryableError) && isRetryable(error)
    }
}

/// Marks an error that no retry can fix, such as invalid input.
public protocol NonRetryableError: Error {}

extension Duration {
    /// The longest timeout or time limit the engine takes: a hundred years. Longer ones are refused with a
    /// sentence, so no deadline computed from them leaves the dates the journal can write.
    package static let longestLimit = Duration.seconds(100 * 366 * 86_400)

    /// Why `self` cannot be a timeout or time limit (it must be more than zero and at most ``longestLimit``), or `nil`.
    package func limitProblem(_ what: String) -> String? {
        guard self <= .zero || self > Self.longestLimit else { return nil }
        return "\(what) is \(self): it must be more than zero and at most a hundred years"
    }

    /// The duration in seconds as a `Double`.
    package var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
