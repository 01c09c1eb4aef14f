public import Foundation

/// Thrown by ``WorkflowContext/waitFor(_:where:timeout:)`` when its deadline passed with no answer. Catch it
/// to go on without one; else the step fails with it, per its retry policy.
public struct WaitTimedOut: Error, CustomStringConvertible, Sendable {
    /// The event name the step waited for.
    public let event: String
    /// The wait's deadline, as journaled.
    public let deadline: Date

    public init(event: String, deadline: Date) {
        self.event = event
        self.deadline = deadline
    }

    public var description: String { "the wait for '\(event)' timed out at \(deadline) with no answer" }
}
