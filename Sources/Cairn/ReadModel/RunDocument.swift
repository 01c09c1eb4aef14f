public import Foundation

/// One run whole, as `cairn show --json` prints it and the HTTP API serves it: its summary, its timeline, the side
/// effects it paid for, its progress and its forks.
public struct RunDocument: Encodable, Sendable {
    /// A memoised side effect: which execution and attempt paid for it, its key, what it returned.
    public struct SideEffectLine: Encodable, Sendable {
        public let executionId: Int
        public let attempt: Int
        public let key: String
        public let result: JSONValue
        public let at: Date
    }

    public let run: RunSummary
    public let timeline: [TimelineEntry]
    public let sideEffects: [SideEffectLine]
    public let progress: [ProgressLine]
    public let forks: [RunSummary]
    /// For a waiting run: the event names that would wake it (each answered with a send to its inbox).
    public let waitingFor: [String]?

    public init(_ detail: RunDetail, forks: [RunSummary]) {
        run = detail.summary
        timeline = detail.timeline
        sideEffects = detail.sideEffects.map {
            SideEffectLine(executionId: $0.executionID, attempt: $0.attempt, key: $0.key, result: JSONValue(json: $0.result) ?? .null, at: $0.at)
        }
        progress = detail.progress.map(ProgressLine.init)
        self.forks = forks
        let waiting = detail.records.last { if case .runWaiting = $0 { true } else { false } }
        if detail.summary.status == .waiting, case .runWaiting(let record)? = waiting, !record.events.isEmpty {
            waitingFor = record.events
        } else {
            waitingFor = nil
        }
    }
}
