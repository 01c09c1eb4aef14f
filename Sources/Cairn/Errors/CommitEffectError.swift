/// A journal refused a step's commit effect (a database write that failed, such as a constraint violation).
/// Nothing of that commit is journaled; the attempt counts as failed and is retried per its policy.
public struct CommitEffectError: Error, CustomStringConvertible, Sendable {
    public let executionID: Int
    public let attempt: Int
    public let step: String
    /// What the effect's write reported.
    public let reason: String

    public init(executionID: Int, attempt: Int, step: String, reason: String) {
        self.executionID = executionID
        self.attempt = attempt
        self.step = step
        self.reason = reason
    }

    public var description: String { "the commit effect of step '\(step)' was refused: \(reason)" }
}
