/// Engine-wide settings.
public struct EngineConfiguration: Sendable {
    /// How long a step attempt that outlived its timeout gets to honour cancellation before it is abandoned.
    public var cancellationGrace: Duration
    /// How long in-flight steps get to commit after an interrupt.
    public var interruptGrace: Duration
    /// The largest payload (input, event, store value, side-effect result) a run may journal.
    public var payloadLimit: PayloadLimit
    /// How often a driver tries an append the journal refused for a moment (``CairnError/Code/journalBusy``:
    /// locked by another process past its busy timeout) before it stops, leaving the run resumable. Each
    /// retry is logged at warning level.
    public var journalRetry: RetryPolicy
    /// Every how many commit records a driver leaves a snapshot of its run's state machine, on a journal that
    /// keeps them (``SnapshottingJournal``), so that a resume reads the snapshot and the records after it
    /// rather than the run's whole history; 0 leaves none.
    public var snapshotEvery: Int
    /// Whether the engine drives the runs its runs' commits start (children, subscribers) as soon as each commit is
    /// durable. `false` leaves them in the journal, `pending`, for whoever claims them: a worker (`cairn worker`)
    /// claims them within its own limit on runs at a time.
    public var drivesStartedRuns = true

    public init(
        cancellationGrace: Duration = .seconds(1), interruptGrace: Duration = .seconds(5), payloadLimit: PayloadLimit = .standard,
        journalRetry: RetryPolicy = RetryPolicy(maxAttempts: 6, initialBackoff: .milliseconds(50), maxBackoff: .seconds(2)),
        snapshotEvery: Int = 1_000
    ) {
        self.cancellationGrace = cancellationGrace
        self.interruptGrace = interruptGrace
        self.payloadLimit = payloadLimit
        self.journalRetry = journalRetry
        self.snapshotEvery = snapshotEvery
    }
}

/// Per-run settings.
public struct RunOptions: Sendable {
    /// The run's id; a new one when `nil`.
    public var id: RunID?
    /// The run's time budget, journaled as an absolute deadline that keeps running across a resume.
    public var timeout: Duration?
    /// Seeds `context.random`: the same seed gives the same values for the same step and event.
    public var seed: UInt64?
    /// For a child run: who called it (set by ``WorkflowContext/call(_:input:)``).
    var parent: ParentLink?

    public init(id: RunID? = nil, timeout: Duration? = nil, seed: UInt64? = nil) {
        self.id = id
        self.timeout = timeout
        self.seed = seed
    }
}
