/// Every problem that keeps a workflow from running, found before the run starts.
public struct WorkflowValidationError: Error, CustomStringConvertible, Sendable {
    /// The workflow's name.
    public let workflow: String
    /// One sentence per problem, each naming its step and event type.
    public let problems: [String]

    public var description: String {
        "workflow '\(workflow)' is not valid (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
