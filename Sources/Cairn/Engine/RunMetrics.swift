import Metrics

/// What a run's driver tells the process's metrics (swift-metrics: nothing is recorded until a backend is
/// bootstrapped, as `cairn serve` does with Prometheus): step attempts by outcome, runs started by its commits and
/// runs that ended by status, and how long an append takes to be durable. Made once per driver, so a commit
/// costs a few increments, not a metric lookup.
struct RunMetrics: Sendable {
    private let workflow: String
    private let completed, failed, timedOut, abandoned: Counter
    private let commitLatency: Timer

    init(workflow: String) {
        self.workflow = workflow
        func steps(_ outcome: String) -> Counter {
            Counter(label: "cairn_steps_total", dimensions: [("workflow", workflow), ("outcome", outcome)])
        }
        (completed, failed, timedOut, abandoned) = (steps("completed"), steps("failed"), steps("timed_out"), steps("abandoned"))
        commitLatency = Timer(label: "cairn_commit_seconds", dimensions: [("workflow", workflow)], preferredDisplayUnit: .seconds)
    }

    /// A run of `workflow` was started (by a caller, or by a commit of another run).
    static func started(_ workflow: String) {
        Counter(label: "cairn_runs_started_total", dimensions: [("workflow", workflow)]).increment()
    }

    /// `records` were appended and are durable, `nanoseconds` after the append was taken.
    func appended(_ records: [JournalRecord], nanoseconds: Int64) {
        commitLatency.recordNanoseconds(nanoseconds)
        for record in records {
            switch record {
            case .executionFinished(let finished):
                switch finished.outcome {
                case .completed: completed.increment()
                case .failed: failed.increment()
                case .timedOut: timedOut.increment()
                case .abandoned: abandoned.increment()
                }
                for start in finished.starts { Self.started(start.workflow) }
            case .runFinished(let finished):
                Counter(label: "cairn_runs_finished_total", dimensions: [("workflow", workflow), ("status", finished.status.rawValue)]).increment()
                if let successor = finished.successor { Self.started(successor.workflow) }
            default:
                break
            }
        }
    }
}
