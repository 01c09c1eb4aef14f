/// Where a run stands. The raw values are the words the journal and the CLI use.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    /// Recorded, not yet picked up.
    case pending
    /// Owned by a live process, or interrupted (no live owner) and resumable.
    case running
    /// Suspended without a process, waiting for an external event, a timer or a child run.
    case waiting
    /// A step emitted the stop event.
    case completed
    /// A step failed for good, or the run stalled.
    case failed
    /// Cancelled on purpose; terminal.
    case cancelled
    /// The run outlived its timeout.
    case timedOut = "timed_out"
    /// A step continued the run as a new one (``WorkflowContext/continueAsNew(_:)``): its successor goes on.
    case continued

    /// Whether the run can never change again.
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .cancelled, .timedOut, .continued: true
        case .pending, .running, .waiting: false
        }
    }
}
