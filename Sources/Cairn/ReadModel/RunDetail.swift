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
            case .eventsReceived(let received):
                var entry = TimelineEntry(kind: .received, at: received.at)
                entry.emitted = received.events.map {
                    TimelineEntry.EventRef(name: $0.name, seq: $0.seq, inboxSeq: $0.inboxSeq, answers: $0.answers?.executionID)
                }
                if !received.refused.isEmpty {
                    entry.error = received.refused.map { "refused inbox \($0.inboxSeq) '\($0.name)': \($0.reason)" }.joined(separator: "; ")
                }
                entries.append(entry)
            case .timersFired(let due):
                var entry = TimelineEntry(kind: .due, at: due.at)
                entry.triggers = due.events
                if !due.waits.isEmpty {
                    entry.reason = "timed out: " + due.waits.map { "\($0.key) of #\($0.executionID)" }.joined(separator: ", ")
                }
                entries.append(entry)
            case .waitOpened(let opened):
                var entry = TimelineEntry(kind: .wait, at: opened.at, executionID: opened.wait.executionID, attempt: opened.attempt,
                                          reason: "waits for '\(opened.name)'")
                entry.wakeAt = opened.deadline
                entries.append(entry)
            case .waitAnswered(let answered):
                entries.append(TimelineEntry(kind: .answered, at: answered.at, executionID: answered.wait.executionID,
                                             triggers: [answered.seq], reason: "took event \(answered.seq), kept until a wait asked for it"))
            case .runWaiting(let waiting):
                var entry = TimelineEntry(kind: .waiting, at: waiting.at, reason: waiting.reasons.joined(separator: "; "))
                entry.wakeAt = waiting.wakeAt
                entries.append(entry)
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
        /// Events sent from outside, journaled (in `emitted`, with their inbox seqs).
        case received
        /// The run had nothing to run and waits (`reason` says for what).
        case waiting
        /// Delayed events fell due and were delivered (their seqs in `triggers`), or waits timed out (`reason`).
        case due
        /// A step opened a wait for an event from outside (`reason`; its deadline in `wakeAt`).
        case wait
        /// A wait took an event received before it opened (its seq in `triggers`).
        case answered
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
        /// Of an event sent from outside: its place in the run's inbox.
        public var inboxSeq: Int?
        /// Of a delayed event: when it is delivered.
        public var deliverAt: Date?
        /// Of an event that answered a wait: the execution that waited (no subscriber got it).
        public var answers: Int?
        /// Of an event published to other workflows (``WorkflowContext/publish(_:)``): `true` (no step of the run got it).
        public var published: Bool?
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
    /// Of an interruption: why, and the executions it abandoned; of a wait: what the run waits for.
    public var reason: String?
    /// Of a wait: when something is due.
    public var wakeAt: Date?
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
            emitted = finish.emitted.map {
                EventRef(name: $0.name, seq: $0.seq, target: $0.target, deliverAt: $0.deliverAt, published: $0.published ? true : nil)
            }
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
