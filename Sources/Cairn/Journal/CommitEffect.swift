/// A database write that belongs to a step's commit: applied by the journal inside the same
/// transaction as the step's completion record, so it happens exactly once, or not at all.
///
/// Steps add effects with ``WorkflowContext/commit(_:)``. A journal applies the effect kinds it knows
/// and refuses a commit carrying any other (the SQLite journal applies `SQLiteCommitEffect`s; the
/// in-memory journal keeps every committed effect in order, for tests).
public protocol CommitEffect: Sendable {}

/// Where a commit effect comes from: the run, the step execution and the events that triggered it.
public struct CommitOrigin: Sendable {
    public let runID: RunID
    public let executionID: Int
    public let step: String
    public let attempt: Int
    /// The trigger events of the execution (the "decision event" of a ledger row).
    public let triggers: [(name: String, seq: Int)]
}
