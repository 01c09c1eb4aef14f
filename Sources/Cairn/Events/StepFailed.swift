public import Foundation

/// Emitted by the engine when a step's attempts are spent (it threw, or timed out, on its last allowed
/// attempt, or threw an error its retry policy does not retry), to the workflow's failure handler: a step
/// that consumes `StepFailed` (LlamaIndex's `catch_error`). The handler runs like any step — journaled,
/// resumed, replayed — and may recover the run by emitting events (a fallback, the loop's next round, the
/// stop event with a partial result) or end it by throwing. Without a handler, the failure fails the run.
///
/// A workflow recovers at most ``Workflow/recoveryBudget`` failures per run; the next one fails the run, so
/// a handler that leads back to the failing step cannot loop forever. A failure of the handler itself fails
/// the run.
///
/// ```swift
/// FunctionStep("recover") { (failed: StepFailed, context) -> StopEvent<Report>? in
///     context.logger.warning("\(failed.step) failed: \(failed.message)")
///     return StopEvent(Report(partial: true))
/// }
/// ```
public struct StepFailed: Event, Equatable {
    public static var eventName: String { "cairn.step-failed" }

    /// The step whose attempts are spent.
    public let step: String
    public let executionID: Int
    /// The last attempt (1 for the first).
    public let attempt: Int
    /// `step-failed` when it threw, `step-timed-out` when it outlived its timeout.
    public let code: CairnError.Code
    /// Why the last attempt ended, as the step's error said (or the timeout).
    public let message: String
    /// From the first attempt's start to the failure.
    public let elapsedSeconds: Double
    public let failedAt: Date
    /// The events the failed execution handled: name, seq and payload.
    public let triggers: [Trigger]

    /// One event the failed execution handled.
    public struct Trigger: Codable, Sendable, Equatable {
        public let name: String
        public let seq: Int
        /// The event as journaled.
        public let payload: JSONValue
    }

    public init(
        step: String, executionID: Int, attempt: Int, code: CairnError.Code, message: String, elapsedSeconds: Double, failedAt: Date,
        triggers: [Trigger]
    ) {
        self.step = step
        self.executionID = executionID
        self.attempt = attempt
        self.code = code
        self.message = message
        self.elapsedSeconds = elapsedSeconds
        self.failedAt = failedAt
        self.triggers = triggers
    }

    /// The first trigger decoded as `type`, or `nil` when it is another type: the event the step failed on.
    public func trigger<E: Event>(as type: E.Type) -> E? {
        guard let trigger = triggers.first(where: { $0.name == E.eventName }) else { return nil }
        return try? JSONDecoder().decode(E.self, from: trigger.payload.data)
    }
}
