import Synchronization

/// The runs an engine drives, by id: a second driver for one of them is refused (`resume` of a run this
/// engine drives would run its steps twice), and ``Engine/cancel(run:)`` reaches the live driver.
final class LiveRuns: Sendable {
    private struct Live {
        let inbox: DriverInbox
        var task: Task<DriverOutcome, Never>?
    }

    private let runs = Mutex<[RunID: Live]>([:])

    /// Claims `run` for a new driver: the driver's inbox, or `nil` when this engine drives the run already.
    func claim(_ run: RunID) -> DriverInbox? {
        runs.withLock { runs in
            guard runs[run] == nil else { return nil }
            let inbox = DriverInbox()
            runs[run] = Live(inbox: inbox)
            return inbox
        }
    }

    /// Records the task of a claimed run's driver.
    func driving(_ run: RunID, task: Task<DriverOutcome, Never>) {
        runs.withLock { $0[run]?.task = task }
    }

    /// Gives up a claim: the driver stopped, or never started.
    func release(_ run: RunID) {
        _ = runs.withLock { $0.removeValue(forKey: run) }
    }

    /// The inbox and the task of the driver of `run`, when this engine drives it.
    func driver(of run: RunID) -> (inbox: DriverInbox, task: Task<DriverOutcome, Never>?)? {
        runs.withLock { runs in runs[run].map { ($0.inbox, $0.task) } }
    }
}
