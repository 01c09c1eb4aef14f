import Foundation

/// A run's state machine at a point of its journal, as a journal keeps it to resume from (contract 3: a cache,
/// never the truth — a snapshot that cannot be read or applied is ignored and the log read instead, and
/// `cairn db check` recomputes each from the log).
///
/// It holds the machine's durable state, with events by name and payload (their values are decoded again
/// on restore) and steps by name; what only a live driver has — its lifecycle, attempts past their timeout,
/// results awaiting commit — is not in it, as it is not in the journal.
struct RunSnapshot: Codable, Equatable, Sendable {
    struct Event: Codable, Equatable, Sendable {
        var seq: Int
        var name: String
        var payload: Data
        var executionID: Int?
        var target: String?
        var inboxSeq: Int?
        var deliverAt: Date?
        var answers: WaitRef?
    }

    struct Start: Codable, Equatable, Sendable {
        var runID: RunID
        var workflow: String
        var fingerprint: String
        var shape: String
        var version: String?
        var patches: [String]
        var seed: UInt64?
        var deadline: Date?
        var at: Date
        var start: Event
        var store: [Write]
        var originRun: RunID?
        var originSeq: Int?
        var continuedFrom: RunID?
        var accepts: [String]?
        var parent: ParentLink?
    }

    struct Write: Codable, Equatable, Sendable {
        var key: String
        var value: Data
    }

    struct Finish: Codable, Equatable, Sendable {
        var status: RunStatus
        var result: Data?
        var error: RunError?
        var at: Date
        var successor: Start?
    }

    struct Candidate: Codable, Equatable, Sendable {
        var executionID: Int?
        var step: String
        var triggers: [Event]
        var attempt: Int
        var notBefore: Date?
    }

    struct Running: Codable, Equatable, Sendable {
        var executionID: Int
        var step: String
        var triggers: [Event]
        var attempt: Int
        var startedAt: Date
    }

    /// The events one join holds for one correlation key, by event name, in arrival order.
    struct JoinGroup: Codable, Equatable, Sendable {
        var step: String
        var events: [String: [Event]]
    }

    var started: Start?
    var finished: Finish?
    var nextSeq: Int
    var nextStreamPosition: Int
    var nextExecutionID: Int
    var store: [String: Data]
    var pending: [Candidate]
    /// Sorted by execution id.
    var running: [Running]
    var sideEffects: [Int: [String: Data]]
    var extraAttempts: [Int: Int]
    var firstStartedAt: [Int: Date]
    var recoveries: Int
    var dead: Set<Int>
    /// Sorted by step, then by the first event's seq.
    var buffers: [JoinGroup]
    var stopEvent: Event?
    var continuation: Event?
    var failure: RunError?
    /// Optional: absent from snapshots taken before external events existed.
    var lastInboxSeq: Int?
    var parked: [Event]?
    var isWaiting: Bool?
    var delayed: [Event]?
    var waits: [Int: [String: RunStateMachine.WaitState]]?

    /// The executions whose side effects a restore must read again: those unfinished at the snapshot, whose
    /// side effects their process journaled and the machine applies only at their commit.
    var unfinishedExecutions: Set<Int> {
        Set(running.map(\.executionID)).union(pending.compactMap(\.executionID))
    }

    func encoded() throws -> Data { try JSONEncoder().encode(self) }

    static func decoded(_ data: Data) throws -> RunSnapshot { try JSONDecoder().decode(RunSnapshot.self, from: data) }
}

extension RunSnapshot.Event {
    init(_ event: JournaledEvent) {
        self.init(seq: event.seq, name: event.name, payload: event.payload, executionID: event.executionID, target: event.target,
                  inboxSeq: event.inboxSeq, deliverAt: event.deliverAt,
                  answers: event.answers)
    }

    /// The journaled event, its value decoded as `graph`'s type.
    func journaled(in graph: WorkflowGraph) throws -> JournaledEvent {
        JournaledEvent(seq: seq, name: name, payload: payload, executionID: executionID, target: target, inboxSeq: inboxSeq,
                       deliverAt: deliverAt, answers: answers, value: try graph.decode(name, from: payload))
    }
}

extension RunSnapshot.Start {
    init(_ started: RunStarted) {
        self.init(
            runID: started.runID, workflow: started.workflow, fingerprint: started.fingerprint, shape: started.shape,
            version: started.version, patches: started.patches, seed: started.seed, deadline: started.deadline, at: started.at,
            start: RunSnapshot.Event(started.start), store: started.store.map { RunSnapshot.Write(key: $0.key, value: $0.value) },
            originRun: started.origin?.run, originSeq: started.origin?.seq, continuedFrom: started.continuedFrom,
            accepts: started.accepts.isEmpty ? nil : started.accepts, parent: started.parent)
    }

    func runStarted(in graph: WorkflowGraph) throws -> RunStarted {
        RunStarted(
            runID: runID, workflow: workflow, fingerprint: fingerprint, shape: shape, version: version, patches: patches, seed: seed,
            deadline: deadline, at: at, start: try start.journaled(in: graph), store: store.map { StoreWrite(key: $0.key, value: $0.value) },
            origin: originRun.map { ($0, originSeq ?? 0) }, continuedFrom: continuedFrom, accepts: accepts ?? [], parent: parent)
    }
}

extension RunSnapshot.Finish {
    init(_ finished: RunFinished) {
        self.init(status: finished.status, result: finished.result, error: finished.error, at: finished.at,
                  successor: finished.successor.map(RunSnapshot.Start.init))
    }

    func runFinished(in graph: WorkflowGraph) throws -> RunFinished {
        RunFinished(status: status, result: result, error: error, at: at, successor: try successor?.runStarted(in: graph))
    }
}

extension RunSnapshot {
    /// Whether `other` holds the same state, its times compared to the millisecond: the journal keeps times
    /// to the millisecond, a live machine finer, so a snapshot taken live and one rebuilt from the log differ
    /// below it.
    func agrees(with other: RunSnapshot) -> Bool {
        let (mine, myTimes) = withoutTimes(), (theirs, theirTimes) = other.withoutTimes()
        return mine == theirs && myTimes.count == theirTimes.count
            && zip(myTimes, theirTimes).allSatisfy { abs($0.timeIntervalSince($1)) < 0.001 }
    }

    /// This snapshot with every time set to the epoch, and the times it had, in a fixed order.
    private func withoutTimes() -> (RunSnapshot, [Date]) {
        var copy = self, times: [Date] = []
        func take(_ date: inout Date) {
            times.append(date)
            date = Date(timeIntervalSince1970: 0)
        }
        func take(_ date: inout Date?) {
            guard var value = date else { return }
            take(&value)
            date = value
        }
        func take(_ events: inout [Event]) {
            for index in events.indices { take(&events[index].deliverAt) }
        }
        func take(_ start: inout Start?) {
            guard var value = start else { return }
            take(&value.at)
            take(&value.deadline)
            start = value
        }
        take(&copy.started)
        if var finished = copy.finished {
            take(&finished.at)
            take(&finished.successor)
            copy.finished = finished
        }
        for index in copy.pending.indices {
            take(&copy.pending[index].notBefore)
            take(&copy.pending[index].triggers)
        }
        for index in copy.running.indices {
            take(&copy.running[index].startedAt)
            take(&copy.running[index].triggers)
        }
        for index in copy.buffers.indices {
            for name in copy.buffers[index].events.keys.sorted() { take(&copy.buffers[index].events[name]!) }
        }
        if copy.delayed != nil { take(&copy.delayed!) }
        for execution in copy.waits?.keys.sorted() ?? [] {
            for key in copy.waits![execution]!.keys.sorted() { take(&copy.waits![execution]![key]!.deadline) }
        }
        for key in copy.firstStartedAt.keys.sorted() { take(&copy.firstStartedAt[key]) }
        return (copy, times)
    }
}
