/// Thrown by ``WorkflowContext/call(_:input:)`` when the child run ended failed, cancelled or timed out.
public struct ChildRunFailed: Error, CustomStringConvertible, Sendable {
    /// The child run.
    public let run: RunID
    /// Its workflow.
    public let workflow: String
    /// Why it did not complete.
    public let error: RunError

    public init(run: RunID, workflow: String, error: RunError) {
        self.run = run
        self.workflow = workflow
        self.error = error
    }

    public var description: String { "child run \(run) of workflow '\(workflow)' did not complete: \(error.message)" }
}
