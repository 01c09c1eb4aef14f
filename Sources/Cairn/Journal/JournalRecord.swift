public import Foundation

/// One append-only entry of a run's journal. A run's state is whatever its records say:
/// the scheduler is rebuilt by feeding them, in order, to ``RunStateMachine``.
///
/// The two records a run has once each — its start and its end, which carries a successor's start — are
/// boxed (`indirect`), so that the records a run has thousands of are not copied at their size.
public enum JournalRecord: Sendable {
    /// The run began: its workflow, fingerprint, options and the start event (seq 1).
    indirect case runStarted(RunStarted)
    /// An attempt of a step execution began, on the listed trigger events.
    case executionStarted(ExecutionStarted)
    /// An attempt ended; when it completed, with everything the step did, committed at once.
    case executionFinished(ExecutionFinished)
    /// A memoised side effect (`context.run`) returned; journaled before the step commits.
    case sideEffect(SideEffect)
    /// The run was interrupted: it stays resumable.
    case runInterrupted(RunInterrupted)
    /// A process took the run over from the journal.
    case runResumed(RunResumed)
    /// Events sent to the run from outside (its inbox), journaled by its owner in the order they were sent.
    case eventsReceived(EventsReceived)
    /// Nothing can run now, but something may still come: the run waits for it.
    case runWaiting(RunWaiting)
    /// Delayed events fell due (they are delivered to their subscribers now), or waits timed out.
    case timersFired(TimersFired)
    /// A step waits for an event from outside (``WorkflowContext/waitFor(_:where:timeout:)``).
    case waitOpened(WaitOpened)
    /// A wait took an event that was received before it opened.
    case waitAnswered(WaitAnswered)
    /// The run ended.
    indirect case runFinished(RunFinished)
}

extension JournalRecord {
    /// The record with every event it journals passed through `transform` (decoding, editing).
    func mapEvents(_ transform: (JournaledEvent) throws -> JournaledEvent) rethrows -> JournalRecord {
        switch self {
        case .runStarted(var started):
            started.start = try transform(started.start)
            return .runStarted(started)
        case .executionFinished(var finish):
            finish.emitted = try finish.emitted.map(transform)
            return .executionFinished(finish)
        case .eventsReceived(var received):
            received.events = try received.events.map(transform)
            return .eventsReceived(received)
        default:
            return self
        }
    }

    /// The step of an execution start; `nil` for other records.
    public var startedStep: String? {
        if case .executionStarted(let start) = self { return start.step }
        return nil
    }

    /// The attempt's end of an execution finish; `nil` for other records.
    public var finishedExecution: ExecutionFinished? {
        if case .executionFinished(let finish) = self { return finish }
        return nil
    }

    /// The events the record journals.
    public var events: [JournaledEvent] {
        switch self {
        case .runStarted(let started): [started.start]
        case .executionFinished(let finish): finish.emitted
        case .eventsReceived(let received): received.events
        default: []
        }
    }
}

/// An event as journaled: its per-run sequence number, persisted name and JSON payload.
public struct JournaledEvent: Sendable {
    /// Gapless per run, starting at 1 with the start event.
    public let seq: Int
    /// The event type's persisted name.
    public let name: String
    /// The JSON encoding of the event.
    public let payload: Data
    /// The execution that emitted it; `nil` for the start event.
    public let executionID: Int?
    /// The one step it was sent to (``WorkflowContext/send(_:to:)``); `nil`: every step subscribed to its type.
    public let target: String?
    /// For an event sent from outside: its place in the run's inbox (``InboxReceipt/inboxSeq``).
    public let inboxSeq: Int?
    /// For a delayed event (``WorkflowContext/send(_:after:)``): when it is delivered to its subscribers.
    public let deliverAt: Date?
    /// For an event sent from outside that answered a wait: that wait (it went to no subscriber).
    public let answers: WaitRef?
    /// Published to other workflows (``WorkflowContext/publish(_:)``): it goes to no step of this run, and is
    /// not decoded when the run is rebuilt.
    public let published: Bool
    /// The decoded event; present while live, filled by decoding when a run is rebuilt.
    public var value: (any Event)?

    public init(seq: Int, name: String, payload: Data, executionID: Int?, target: String? = nil, inboxSeq: Int? = nil, deliverAt: Date? = nil,
                answers: WaitRef? = nil, published: Bool = false, value: (any Event)?) {
        self.published = published
        self.seq = seq
        self.name = name
        self.payload = payload
        self.executionID = executionID
        self.target = target
        self.inboxSeq = inboxSeq
        self.deliverAt = deliverAt
        self.answers = answers
        self.value = value
    }
}

/// An event a step wrote to the run's progress stream.
public struct StreamedEvent: Sendable {
    /// Gapless per run, starting at 1.
    public let position: Int
    /// The event type's persisted name.
    public let name: String
    /// The JSON encoding of the event.
    public let payload: Data
    /// The step that wrote it.
    public let step: String

    public init(position: Int, name: String, payload: Data, step: String) {
        self.position = position
        self.name = name
        self.payload = payload
        self.step = step
    }

    /// The event decoded as `type`, or `nil` when it is another type.
    public func decode<E: Event>(_ type: E.Type) -> E? {
        guard name == E.eventName else { return nil }
        return try? JSONDecoder().decode(E.self, from: payload)
    }
}

/// Payload of ``JournalRecord/runStarted(_:)``.
public struct RunStarted: Sendable {
    public let runID: RunID
    public let workflow: String
    /// Hash of ``shape``.
    public let fingerprint: String
    /// The workflow's shape when the run started, to say what changed on a refused resume.
    public let shape: String
    public let version: String?
    /// The patch ids of the code that started the run (``Workflow/patches``), sorted; a fork keeps its origin's.
    public let patches: [String]
    /// Seed of `context.random`; `nil` draws from the system generator.
    public let seed: UInt64?
    /// Absolute end of the run's time budget.
    public let deadline: Date?
    public let at: Date
    /// The start event, seq 1.
    public internal(set) var start: JournaledEvent
    /// The store the run starts with (``StoreValues``), in the order set.
    public let store: [StoreWrite]
    /// For a fork: the run it was forked from, and the event seq it was forked at.
    public let origin: (run: RunID, seq: Int)?
    /// For a successor (``ContinueAsNew``): the run that continued as this one.
    public let continuedFrom: RunID?
    /// The event names the run accepts from outside (``Workflow/accepts``), sorted: a send of another is refused.
    public let accepts: [String]
    /// For a run another run started (a child, a subscriber): that run and execution.
    public internal(set) var parent: ParentLink?

    public init(
        runID: RunID, workflow: String, fingerprint: String, shape: String, version: String?, patches: [String] = [],
        seed: UInt64?, deadline: Date?, at: Date, start: JournaledEvent, store: [StoreWrite] = [], origin: (run: RunID, seq: Int)? = nil,
        continuedFrom: RunID? = nil, accepts: [String] = [], parent: ParentLink? = nil
    ) {
        self.runID = runID
        self.workflow = workflow
        self.fingerprint = fingerprint
        self.shape = shape
        self.version = version
        self.patches = patches
        self.seed = seed
        self.deadline = deadline
        self.at = at
        self.start = start
        self.store = store
        self.origin = origin
        self.continuedFrom = continuedFrom
        self.accepts = accepts
        self.parent = parent
    }
}

/// Payload of ``JournalRecord/executionStarted(_:)``.
public struct ExecutionStarted: Sendable {
    /// Stable across attempts.
    public let executionID: Int
    public let step: String
    /// 1 for the first attempt.
    public let attempt: Int
    /// Seqs of the events the execution handles (one, or a join's set).
    public let triggers: [Int]
    public let at: Date

    public init(executionID: Int, step: String, attempt: Int, triggers: [Int], at: Date) {
        self.executionID = executionID
        self.step = step
        self.attempt = attempt
        self.triggers = triggers
        self.at = at
    }
}

/// Payload of ``JournalRecord/executionFinished(_:)``: one atomic step commit.
public struct ExecutionFinished: Sendable {
    /// How an attempt ended.
    public enum Outcome: Sendable, Equatable {
        case completed
        /// The attempt threw; `retryAt` is set when another attempt is due.
        case failed(message: String, retryAt: Date?)
        /// The attempt outlived the step timeout and was abandoned.
        case timedOut(retryAt: Date?)
        /// The attempt was still running when its run ended (another step reached the stop, or the run was
        /// cancelled, timed out or failed): whatever it returns later is discarded, and it never runs again.
        case abandoned
    }

    public let executionID: Int
    public let step: String
    public let attempt: Int
    /// The events the execution handled: name and seq.
    public let triggers: [(name: String, seq: Int)]
    public let outcome: Outcome
    /// Sent events first, in order, then the returned event.
    public internal(set) var emitted: [JournaledEvent]
    public let streamed: [StreamedEvent]
    public let storeWrites: [StoreWrite]
    /// Every `now`, `random` and `uuid` value the attempt read.
    public let recorded: [RecordedValue]
    /// Database writes applied in the commit's transaction; not kept in the journal records themselves.
    public let effects: [any CommitEffect]
    /// Events sent to other runs (``WorkflowContext/send(_:to:)-(_,RunID)``): written into their inboxes in this
    /// commit's transaction, so a message exists exactly when the commit that sent it does.
    public let messages: [RunMessage]
    /// Runs started by the commit (``WorkflowContext/start(_:input:detached:)``, ``WorkflowContext/publish(_:)``):
    /// journaled in its transaction, unowned, so that they exist exactly when the commit does and any process
    /// that knows their workflow drives them.
    public let starts: [RunStarted]
    public let startedAt: Date
    public let at: Date

    public init(
        executionID: Int, step: String, attempt: Int, triggers: [(name: String, seq: Int)], outcome: Outcome,
        emitted: [JournaledEvent], streamed: [StreamedEvent], storeWrites: [StoreWrite], recorded: [RecordedValue],
        effects: [any CommitEffect], startedAt: Date, at: Date, messages: [RunMessage] = [], starts: [RunStarted] = []
    ) {
        self.starts = starts
        self.executionID = executionID
        self.step = step
        self.attempt = attempt
        self.triggers = triggers
        self.outcome = outcome
        self.emitted = emitted
        self.streamed = streamed
        self.storeWrites = storeWrites
        self.recorded = recorded
        self.effects = effects
        self.messages = messages
        self.startedAt = startedAt
        self.at = at
    }

    /// The commit without what it sent to other runs and the runs it started: as a fork's copied prefix keeps it.
    var withoutOutbox: ExecutionFinished {
        guard !messages.isEmpty || !starts.isEmpty else { return self }
        return ExecutionFinished(
            executionID: executionID, step: step, attempt: attempt, triggers: triggers, outcome: outcome, emitted: emitted, streamed: streamed,
            storeWrites: storeWrites, recorded: recorded, effects: effects, startedAt: startedAt, at: at)
    }

    /// Where the commit's effects come from.
    public func origin(in run: RunID) -> CommitOrigin {
        CommitOrigin(runID: run, executionID: executionID, step: step, attempt: attempt, triggers: triggers, at: at)
    }
}

/// An event a step sends to another run, as its commit writes it into that run's inbox.
public struct RunMessage: Sendable, Equatable {
    /// The run it is sent to.
    public let target: RunID
    public let name: String
    public let payload: Data
    /// The inbox's idempotency key: the sender's run, execution and the message's place in the commit.
    public let key: String

    public init(target: RunID, name: String, payload: Data, key: String) {
        self.target = target
        self.name = name
        self.payload = payload
        self.key = key
    }

    /// The message as an inbox row, from `sender`.
    public func inboxMessage(from sender: RunID) -> InboxMessage {
        InboxMessage(name: name, payload: payload, key: key, sender: "run \(sender)")
    }
}

/// A value written to the run's store by a step.
public struct StoreWrite: Sendable {
    public let key: String
    public let value: Data

    public init(key: String, value: Data) {
        self.key = key
        self.value = value
    }
}

/// A nondeterministic value a step read, journaled so replay sees the same.
public enum RecordedValue: Sendable, Equatable {
    case now(Date)
    case random(UInt64)
    case uuid(UUID)
    /// The answer of ``WorkflowContext/patched(_:)``.
    case patch(id: String, applied: Bool)
}

/// Payload of ``JournalRecord/sideEffect(_:)``.
public struct SideEffect: Sendable {
    public let executionID: Int
    public let attempt: Int
    /// The name given to `context.run`, with `#n` for its n-th call in the execution.
    public let key: String
    public let result: Data
    public let at: Date

    public init(executionID: Int, attempt: Int, key: String, result: Data, at: Date) {
        self.executionID = executionID
        self.attempt = attempt
        self.key = key
        self.result = result
        self.at = at
    }
}

/// Payload of ``JournalRecord/runInterrupted(_:)``.
public struct RunInterrupted: Sendable {
    /// Executions that were still running and will run again on resume.
    public let abandoned: [Int]
    public let reason: String
    public let at: Date

    public init(abandoned: [Int], reason: String, at: Date) {
        self.abandoned = abandoned
        self.reason = reason
        self.at = at
    }
}

/// Payload of ``JournalRecord/runResumed(_:)``.
public struct RunResumed: Sendable {
    public let at: Date
    /// Who took the run over, and under which lease epoch: filled in by a leasing journal when it writes the record.
    public let owner: String?
    public let epoch: Int?

    public init(at: Date, owner: String? = nil, epoch: Int? = nil) {
        self.at = at
        self.owner = owner
        self.epoch = epoch
    }
}

/// Payload of ``JournalRecord/eventsReceived(_:)``.
public struct EventsReceived: Sendable {
    /// An inbox entry the owner could not take as an event of its workflow (its payload does not decode as
    /// the type of that name): journaled as refused, so that it is passed over once and said, never lost.
    public struct Refused: Sendable, Codable, Equatable {
        public let inboxSeq: Int
        public let name: String
        public let reason: String

        public init(inboxSeq: Int, name: String, reason: String) {
            self.inboxSeq = inboxSeq
            self.name = name
            self.reason = reason
        }
    }

    /// The events, each with its seq and inbox seq, in inbox order.
    public internal(set) var events: [JournaledEvent]
    public let refused: [Refused]
    public let at: Date

    public init(events: [JournaledEvent], refused: [Refused] = [], at: Date) {
        self.events = events
        self.refused = refused
        self.at = at
    }
}

/// Payload of ``JournalRecord/timersFired(_:)``.
public struct TimersFired: Sendable {
    /// The seqs of the delayed events delivered now, in seq order.
    public let events: [Int]
    /// The waits whose deadline passed unanswered: they throw ``WaitTimedOut`` in their step.
    public let waits: [WaitRef]
    public let at: Date

    public init(events: [Int], waits: [WaitRef] = [], at: Date) {
        self.events = events
        self.waits = waits
        self.at = at
    }
}

/// One ``WorkflowContext/waitFor(_:where:timeout:)`` of a step execution: the execution, and the wait's key
/// (`wait:NAME#n` for its n-th wait for that event name).
public struct WaitRef: Sendable, Hashable, Codable {
    public let executionID: Int
    public let key: String

    public init(executionID: Int, key: String) {
        self.executionID = executionID
        self.key = key
    }
}

/// Payload of ``JournalRecord/waitOpened(_:)``.
public struct WaitOpened: Sendable {
    public let wait: WaitRef
    public let attempt: Int
    /// The event name it waits for.
    public let name: String
    /// When it times out, absolute; the first attempt's, kept by every later one.
    public let deadline: Date?
    public let at: Date

    public init(wait: WaitRef, attempt: Int, name: String, deadline: Date?, at: Date) {
        self.wait = wait
        self.attempt = attempt
        self.name = name
        self.deadline = deadline
        self.at = at
    }
}

/// Payload of ``JournalRecord/waitAnswered(_:)``: a wait took an event received earlier that nothing had taken.
public struct WaitAnswered: Sendable {
    public let wait: WaitRef
    /// The event's seq.
    public let seq: Int
    public let at: Date

    public init(wait: WaitRef, seq: Int, at: Date) {
        self.wait = wait
        self.seq = seq
        self.at = at
    }
}

/// Payload of ``JournalRecord/runWaiting(_:)``.
public struct RunWaiting: Sendable {
    /// What may still come, in words: `events sent to it ('inventory.approval')`, a wait, a timer.
    public let reasons: [String]
    /// The names of the events that, sent to the run, would wake it.
    public let events: [String]
    /// The earliest time something is due (a timer, a deadline), if any.
    public let wakeAt: Date?
    public let at: Date

    public init(reasons: [String], events: [String] = [], wakeAt: Date?, at: Date) {
        self.reasons = reasons
        self.events = events
        self.wakeAt = wakeAt
        self.at = at
    }
}

/// Payload of ``JournalRecord/runFinished(_:)``.
public struct RunFinished: Sendable {
    public let status: RunStatus
    /// The stop event's payload when the run completed.
    public let result: Data?
    public let error: RunError?
    public let at: Date
    /// When the run `continued`: its successor's start, journaled in the same transaction as this end.
    public let successor: RunStarted?

    public init(status: RunStatus, result: Data?, error: RunError?, at: Date, successor: RunStarted? = nil) {
        self.status = status
        self.result = result
        self.error = error
        self.at = at
        self.successor = successor
    }

    /// A dead letter: the run failed because its journal could not be rebuilt. It is the one ending a
    /// later `runResumed` reopens (a fixed binary retrying it).
    public var isDeadLetter: Bool { status == .failed && error?.code == .unrebuildable }
}

extension RecordedValue {
    /// What was read: `now`, `random`, `uuid` or `patch 'id'`. A replayed attempt must read the same slots in the same order.
    var slot: String {
        switch self {
        case .now: "now"
        case .random: "random"
        case .uuid: "uuid"
        case .patch(let id, _): "patch '\(id)'"
        }
    }
}

extension RecordedValue: Codable {
    private enum CodingKeys: String, CodingKey { case now, random, uuid, patch, applied }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let now = try container.decodeIfPresent(Double.self, forKey: .now) {
            self = .now(Date(timeIntervalSince1970: now))
        } else if let random = try container.decodeIfPresent(String.self, forKey: .random), let bits = UInt64(random) {
            self = .random(bits)
        } else if let patch = try container.decodeIfPresent(String.self, forKey: .patch) {
            self = .patch(id: patch, applied: try container.decode(Bool.self, forKey: .applied))
        } else {
            self = .uuid(try container.decode(UUID.self, forKey: .uuid))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .now(let date): try container.encode(date.timeIntervalSince1970, forKey: .now)
        case .random(let bits): try container.encode(String(bits), forKey: .random)  // JSON numbers lose 64-bit precision
        case .uuid(let uuid): try container.encode(uuid, forKey: .uuid)
        case .patch(let id, let applied):
            try container.encode(id, forKey: .patch)
            try container.encode(applied, forKey: .applied)
        }
    }
}
