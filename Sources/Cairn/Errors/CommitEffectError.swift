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

    public var description: String { "\(Self.prefix)\(step)' was refused: \(reason)" }

    private static let prefix = "the commit effect of step '"

    /// Whether a journaled failure message is one of these: a refusal by the database, not by the step's code.
    static func describes(_ message: String) -> Bool { message.hasPrefix(prefix) }
}
