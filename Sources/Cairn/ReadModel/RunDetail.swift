public import Foundation

/// One run with everything its journal holds: its summary and its records, in order (`show`, later the
/// HTTP API). The records are the timeline: attempts started and finished with what they emitted, side
/// effects, interruptions and takeovers, the end.
public struct RunDetail: Sendable {
    public let summary: RunSummary
    public let records: [JournalRecord]

    public init(summary: RunSummary, records: [JournalRecord]) {
        self.summary = summary
        self.records = records
    }

    /// Every progress event streamed by the run's committed steps, in stream order.
    public var progress: [StreamedEvent] {
        records.flatMap { record -> [StreamedEvent] in
            if case .executionFinished(let finish) = record { return finish.streamed }
            return []
        }
    }

    /// The memoised side effects that committed executions used (paid once, replayed after that).
    public var sideEffects: [SideEffect] {
        records.compactMap { record in
            if case .sideEffect(let effect) = record { return effect }
            return nil
        }
    }
}

extension RunDetail {
    /// The run's history in journal order: each attempt (with how it ended), interruptions, takeovers, the end.
    public var timeline: [TimelineEntry] {
        var entries: [TimelineEntry] = []
        var attempts: [[Int]: Int] = [:]  // (execution, attempt) → index in entries
        for record in records {
            switch record {
            case .executionStarted(let start):
                attempts[[start.executionID, start.attempt]] = entries.count
                entries.append(TimelineEntry(kind: .attempt, at: start.at, executionID: start.executionID, step: start.step,
                                             attempt: start.attempt, triggers: start.triggers, outcome: "unfinished"))
            case .executionFinished(let finish):
                guard let index = attempts[[finish.executionID, finish.attempt]] else { continue }
                entries[index].finish(finish)
            case .runInterrupted(let interrupted):
                entries.append(TimelineEntry(kind: .interrupted, at: interrupted.at, reason: interrupted.reason, abandoned: interrupted.abandoned))
            case .runResumed(let resumed):
                entries.append(TimelineEntry(kind: .resumed, at: resumed.at, owner: resumed.owner, epoch: resumed.epoch))
            case .runFinished(let finished):
                entries.append(TimelineEntry(kind: .finished, at: finished.at, outcome: finished.status.rawValue))
            case .runStarted, .sideEffect:
                continue
            }
        }
        return entries
    }
}

/// One entry of a run's timeline.
public struct TimelineEntry: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// An attempt of a step execution.
        case attempt
        case interrupted
        case resumed
        case finished
    }

    /// An event an attempt emitted.
    public struct EventRef: Sendable, Equatable, Codable {
        public let name: String
        public let seq: Int
        /// The one step it was sent to; absent when every subscriber received it.
        public var target: String?
    }

    public let kind: Kind
    public let at: Date
    public var executionId: Int?
    public var step: String?
    public var attempt: Int?
    /// The seqs of the events the execution handled.
    public var triggers: [Int]?
    public var finishedAt: Date?
    public var durationSeconds: Double?
    /// An attempt's `completed`, `failed`, `timed_out` or `unfinished`; the run's status for `finished`.
    public var outcome: String?
    public var error: String?
    public var emitted: [EventRef]?
    /// Of an interruption: why, and the executions it abandoned.
    public var reason: String?
    public var abandoned: [Int]?
    /// Of a takeover: the new owner and its lease epoch.
    public var owner: String?
    public var epoch: Int?

    init(kind: Kind, at: Date, executionID: Int? = nil, step: String? = nil, attempt: Int? = nil, triggers: [Int]? = nil,
         outcome: String? = nil, reason: String? = nil, abandoned: [Int]? = nil, owner: String? = nil, epoch: Int? = nil) {
        self.kind = kind
        self.at = at
        self.executionId = executionID
        self.step = step
        self.attempt = attempt
        self.triggers = triggers
        self.outcome = outcome
        self.reason = reason
        self.abandoned = abandoned
        self.owner = owner
        self.epoch = epoch
    }

    mutating func finish(_ finish: ExecutionFinished) {
        finishedAt = finish.at
        durationSeconds = finish.at.timeIntervalSince(at)
        switch finish.outcome {
        case .completed:
            outcome = "completed"
            emitted = finish.emitted.map { EventRef(name: $0.name, seq: $0.seq, target: $0.target) }
        case .failed(let message, _):
            outcome = "failed"
            error = message
        case .timedOut:
            outcome = "timed_out"
        case .abandoned:
            outcome = "abandoned"
        }
    }
}
