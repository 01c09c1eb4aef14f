public import Foundation

/// One journal record in a ``RunArchive``: its kind and the fields that kind has, each named as in
/// `cairn show --json`. Fields a kind does not have are left out.
public struct ArchivedRecord: Codable, Sendable {
    /// `runStarted`, `executionStarted`, `executionFinished`, `sideEffect`, `eventsReceived`, `timersFired`, `waitOpened`, `waitAnswered`, `runWaiting`, `runInterrupted`,
    /// `runResumed` or `runFinished`.
    public let kind: String
    public let at: Date

    // runStarted
    var workflow: String?
    var fingerprint: String?
    var shape: String?
    var version: String?
    var patches: [String]?
    /// The seed as text: JSON numbers lose 64-bit precision.
    var seed: String?
    var deadline: Date?
    var originRunId: RunID?
    var originSeq: Int?
    var start: EventEntry?
    var accepts: [String]?
    var parent: ParentLink?
    // executionStarted, executionFinished, sideEffect
    var executionId: Int?
    var step: String?
    var attempt: Int?
    var triggers: [Trigger]?
    // executionFinished
    var outcome: String?
    var message: String?
    var retryAt: Date?
    var emitted: [EventEntry]?
    var streamed: [Streamed]?
    var storeWrites: [Write]?
    var recorded: [RecordedValue]?
    var startedAt: Date?
    // sideEffect
    var key: String?
    var value: JSONValue?
    // eventsReceived
    var received: [EventEntry]?
    var refused: [EventsReceived.Refused]?
    // timersFired
    var due: [Int]?
    var timedOutWaits: [WaitRef]?
    // waitOpened (with executionId, attempt, key, deadline), waitAnswered (with executionId, key)
    var waitFor: String?
    var answerSeq: Int?
    // runWaiting
    var waitingFor: [String]?
    var wakingEvents: [String]?
    var wakeAt: Date?
    // runInterrupted
    var abandoned: [Int]?
    var reason: String?
    // runResumed
    var owner: String?
    var epoch: Int?
    // runFinished
    var status: RunStatus?
    var result: JSONValue?
    var error: RunError?

    struct EventEntry: Codable {
        let seq: Int
        let name: String
        let payload: JSONValue
        let executionId: Int?
        var target: String?
        var inboxSeq: Int?
        var deliverAt: Date?
        var answers: WaitRef?
        var published: Bool?
    }

    struct Trigger: Codable {
        let name: String?
        let seq: Int
    }

    struct Streamed: Codable {
        let position: Int
        let name: String
        let payload: JSONValue
        let step: String
    }

    struct Write: Codable {
        let key: String
        let value: JSONValue
    }

    private init(kind: String, at: Date) {
        self.kind = kind
        self.at = at
    }

    init(_ record: JournalRecord) {
        switch record {
        case .runStarted(let started):
            self.init(kind: "runStarted", at: started.at)
            (workflow, fingerprint, shape, version) = (started.workflow, started.fingerprint, started.shape, started.version)
            (patches, seed, deadline) = (started.patches, started.seed.map(String.init), started.deadline)
            (originRunId, originSeq, start) = (started.origin?.run, started.origin?.seq, EventEntry(started.start))
            storeWrites = started.store.isEmpty ? nil : started.store.map { Write(key: $0.key, value: Self.json($0.value)) }
            accepts = started.accepts.isEmpty ? nil : started.accepts
            parent = started.parent
        case .eventsReceived(let events):
            self.init(kind: "eventsReceived", at: events.at)
            received = events.events.map(EventEntry.init)
            refused = events.refused.isEmpty ? nil : events.refused
        case .timersFired(let events):
            self.init(kind: "timersFired", at: events.at)
            (due, timedOutWaits) = (events.events, events.waits.isEmpty ? nil : events.waits)
        case .waitOpened(let opened):
            self.init(kind: "waitOpened", at: opened.at)
            (executionId, attempt, key) = (opened.wait.executionID, opened.attempt, opened.wait.key)
            (waitFor, deadline) = (opened.name, opened.deadline)
        case .waitAnswered(let answered):
            self.init(kind: "waitAnswered", at: answered.at)
            (executionId, key, answerSeq) = (answered.wait.executionID, answered.wait.key, answered.seq)
        case .runWaiting(let waiting):
            self.init(kind: "runWaiting", at: waiting.at)
            (waitingFor, wakingEvents, wakeAt) = (waiting.reasons, waiting.events, waiting.wakeAt)
        case .executionStarted(let begun):
            self.init(kind: "executionStarted", at: begun.at)
            (executionId, step, attempt) = (begun.executionID, begun.step, begun.attempt)
            triggers = begun.triggers.map { Trigger(name: nil, seq: $0) }
        case .executionFinished(let finish):
            self.init(kind: "executionFinished", at: finish.at)
            (executionId, step, attempt, startedAt) = (finish.executionID, finish.step, finish.attempt, finish.startedAt)
            triggers = finish.triggers.map { Trigger(name: $0.name, seq: $0.seq) }
            switch finish.outcome {
            case .completed: outcome = "completed"
            case .failed(let why, let retry): (outcome, message, retryAt) = ("failed", why, retry)
            case .timedOut(let retry): (outcome, retryAt) = ("timedOut", retry)
            case .abandoned: outcome = "abandoned"
            }
            emitted = finish.emitted.map(EventEntry.init)
            streamed = finish.streamed.map { Streamed(position: $0.position, name: $0.name, payload: Self.json($0.payload), step: $0.step) }
            storeWrites = finish.storeWrites.map { Write(key: $0.key, value: Self.json($0.value)) }
            recorded = finish.recorded
        case .sideEffect(let effect):
            self.init(kind: "sideEffect", at: effect.at)
            (executionId, attempt, key, value) = (effect.executionID, effect.attempt, effect.key, Self.json(effect.result))
        case .runInterrupted(let interrupted):
            self.init(kind: "runInterrupted", at: interrupted.at)
            (abandoned, reason) = (interrupted.abandoned, interrupted.reason)
        case .runResumed(let resumed):
            self.init(kind: "runResumed", at: resumed.at)
            (owner, epoch) = (resumed.owner, resumed.epoch)
        case .runFinished(let finished):
            self.init(kind: "runFinished", at: finished.at)
            (status, result, error) = (finished.status, finished.result.map(Self.json), finished.error)
        }
    }

    /// The record this entry archives, for run `run`.
    func journalRecord(of run: RunID) throws -> JournalRecord {
        func need<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else { throw CairnError(.invalidInput, "field '\(field)' is missing") }
            return value
        }
        switch kind {
        case "runStarted":
            let seed = try seed.map { text in
                guard let seed = UInt64(text) else { throw CairnError(.invalidInput, "field 'seed' must be an unsigned integer as text") }
                return seed
            }
            return .runStarted(RunStarted(
                runID: run, workflow: try need(workflow, "workflow"), fingerprint: try need(fingerprint, "fingerprint"),
                shape: try need(shape, "shape"), version: version, patches: patches ?? [], seed: seed, deadline: deadline, at: at,
                start: try need(start, "start").journaled, store: (storeWrites ?? []).map { StoreWrite(key: $0.key, value: $0.value.data) },
                origin: originRunId.map { ($0, originSeq ?? 0) }, accepts: accepts ?? [], parent: parent))
        case "eventsReceived":
            return .eventsReceived(EventsReceived(events: try need(received, "received").map(\.journaled), refused: refused ?? [], at: at))
        case "timersFired":
            return .timersFired(TimersFired(events: due ?? [], waits: timedOutWaits ?? [], at: at))
        case "waitOpened":
            return .waitOpened(WaitOpened(
                wait: WaitRef(executionID: try need(executionId, "executionId"), key: try need(key, "key")), attempt: try need(attempt, "attempt"),
                name: try need(waitFor, "waitFor"), deadline: deadline, at: at))
        case "waitAnswered":
            return .waitAnswered(WaitAnswered(
                wait: WaitRef(executionID: try need(executionId, "executionId"), key: try need(key, "key")), seq: try need(answerSeq, "answerSeq"),
                at: at))
        case "runWaiting":
            return .runWaiting(RunWaiting(reasons: waitingFor ?? [], events: wakingEvents ?? [], wakeAt: wakeAt, at: at))
        case "executionStarted":
            return .executionStarted(ExecutionStarted(
                executionID: try need(executionId, "executionId"), step: try need(step, "step"), attempt: try need(attempt, "attempt"),
                triggers: try need(triggers, "triggers").map(\.seq), at: at))
        case "executionFinished":
            let finishedOutcome: ExecutionFinished.Outcome = switch try need(outcome, "outcome") {
            case "completed": .completed
            case "failed": .failed(message: message ?? "", retryAt: retryAt)
            case "timedOut": .timedOut(retryAt: retryAt)
            case "abandoned": .abandoned
            case let other: throw CairnError(.invalidInput, "field 'outcome' is '\(other)': use completed, failed, timedOut or abandoned")
            }
            let step = try need(step, "step")
            return .executionFinished(ExecutionFinished(
                executionID: try need(executionId, "executionId"), step: step, attempt: try need(attempt, "attempt"),
                triggers: try need(triggers, "triggers").map { ($0.name ?? "", $0.seq) }, outcome: finishedOutcome,
                emitted: (emitted ?? []).map(\.journaled),
                streamed: (streamed ?? []).map { StreamedEvent(position: $0.position, name: $0.name, payload: $0.payload.data, step: $0.step) },
                storeWrites: (storeWrites ?? []).map { StoreWrite(key: $0.key, value: $0.value.data) }, recorded: recorded ?? [],
                effects: [], startedAt: startedAt ?? at, at: at))
        case "sideEffect":
            return .sideEffect(SideEffect(executionID: try need(executionId, "executionId"), attempt: try need(attempt, "attempt"),
                                          key: try need(key, "key"), result: try need(value, "value").data, at: at))
        case "runInterrupted":
            return .runInterrupted(RunInterrupted(abandoned: abandoned ?? [], reason: reason ?? "", at: at))
        case "runResumed":
            return .runResumed(RunResumed(at: at, owner: owner, epoch: epoch))
        case "runFinished":
            return .runFinished(RunFinished(status: try need(status, "status"), result: result?.data, error: error, at: at))
        default:
            throw CairnError(.invalidInput, "kind '\(kind)' is not a journal record kind")
        }
    }

    private static func json(_ data: Data) -> JSONValue {
        JSONValue(json: data) ?? .string(String(decoding: data, as: UTF8.self))
    }
}

extension ArchivedRecord.EventEntry {
    init(_ event: JournaledEvent) {
        self.init(seq: event.seq, name: event.name, payload: JSONValue(json: event.payload) ?? .null, executionId: event.executionID,
                  target: event.target, inboxSeq: event.inboxSeq, deliverAt: event.deliverAt,
                  answers: event.answers, published: event.published ? true : nil)
    }

    var journaled: JournaledEvent {
        JournaledEvent(seq: seq, name: name, payload: payload.data, executionID: executionId, target: target, inboxSeq: inboxSeq, deliverAt: deliverAt, answers: answers,
                       published: published == true, value: nil)
    }
}
