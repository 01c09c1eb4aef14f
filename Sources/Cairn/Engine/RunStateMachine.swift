import Foundation

/// The scheduler of one run as a pure state machine: fed journal records, it answers which step
/// executions to start, when to wake up, and when the run ends. No I/O, no clocks, no tasks.
///
/// Live runs and rebuilt runs go through the same ``apply(_:)``: resuming a run is feeding its
/// recorded journal to a new machine, then journaling and applying a `runResumed` record.
struct RunStateMachine: Sendable {
    /// An execution waiting to start (a first attempt, a retry, or a re-run after a crash).
    struct Candidate: Sendable {
        var executionID: Int?
        let step: Int
        let triggers: [JournaledEvent]
        var attempt: Int
        var notBefore: Date?

        /// The journal position at which it became due: its last trigger. The queue is kept in this order.
        var dueSeq: Int { triggers.map(\.seq).max() ?? 0 }
    }

    /// An attempt that started and has not finished.
    struct Running: Sendable {
        let step: Int
        let triggers: [JournaledEvent]
        let attempt: Int
        let startedAt: Date
    }

    /// What the driver should do next.
    struct Decision: Sendable {
        var starts: [ExecutionStarted] = []
        /// The run's end, to journal now.
        var finish: RunFinished?
        /// The run stops resumable: journal this and stop driving.
        var interrupt: RunInterrupted?
        /// Delayed events that fell due: journal this, then decide again.
        var due: TimersFired?
        /// Attempts that died with their process and spent the budget: journal these failures first.
        var closes: [ExecutionFinished] = []
        /// Nothing to do now, but the run has not ended: what it waits for, in words, and the names of the
        /// events that would wake it.
        var waiting: (reasons: [String], events: [String])?
        var wakeAt: Date?
    }

    /// Where the run stands in its driver. Decided here, from the caller's requests and the records, so
    /// the driver, resume and replay cannot disagree; the driver only performs what ``decide(at:)`` says.
    enum Lifecycle: Sendable, Equatable {
        case driving
        /// Interrupted: attempts in flight may commit until `deadline`; nothing new starts.
        case interrupting(deadline: Date)
        /// Cancelled by its caller or by a cancel request: the end is journaled next.
        case cancelling
    }

    let graph: WorkflowGraph
    private(set) var started: RunStarted?
    /// Whether its journal holds its start alone: a run another run's commit started, which nobody drove yet.
    private(set) var onlyStarted = true
    private(set) var finished: RunFinished?
    private(set) var nextSeq = 1
    private(set) var nextStreamPosition = 1
    private(set) var nextExecutionID = 1
    private(set) var store: [String: Data] = [:]
    private(set) var pending: [Candidate] = []
    private(set) var running: [Int: Running] = [:]
    private(set) var sideEffects: [Int: [String: Data]] = [:]
    private var runningPerStep: [Int]
    private var extraAttempts: [Int: Int] = [:]
    /// When each unfinished execution's first attempt started: its retry time limit and elapsed time count from it.
    private var firstStartedAt: [Int: Date] = [:]
    /// How many ``StepFailed`` events were delivered: failures the failure handler was given to recover.
    private(set) var recoveries = 0
    /// Executions whose last allowed attempt died with its process: failed by the next record ``decide(at:)`` asks for.
    private var dead: Set<Int> = []

    /// How the failure of an attempt that died with its process begins: such a failure is not replayed.
    static let diedWithItsProcess = "it died with its process"
    /// Join buffers: per join step, per correlation key, per event name, events in arrival order.
    private var buffers: [Int: [JoinKey: [String: [JournaledEvent]]]] = [:]
    private var stopEvent: JournaledEvent?
    /// The ``ContinueAsNew`` a committed step journaled: the run ends `continued`, its successor starting.
    private var continuation: JournaledEvent?
    private var failure: RunError?
    private(set) var lifecycle = Lifecycle.driving
    /// Executions whose running attempt outlived its step's timeout: whatever it returns counts as timed out.
    private var pastTimeout: Set<Int> = []
    /// Executions whose running attempt's result is accepted and awaits its commit.
    private var settling: Set<Int> = []
    /// The inbox seq of the last event received from outside: the inbox rows after it are still to journal.
    private(set) var lastInboxSeq = 0
    /// Events received from outside that no step subscribes to: kept, shown, never dropped.
    private(set) var parked: [JournaledEvent] = []
    /// Whether the run's last word is that it waits (``JournalRecord/runWaiting(_:)``) and nothing started since.
    private(set) var isWaiting = false
    /// Delayed events journaled and not yet due, in seq order.
    private(set) var delayed: [JournaledEvent] = []
    /// The waits of unfinished executions (``WorkflowContext/waitFor(_:where:timeout:)``), by execution and key:
    /// open, answered or timed out. Kept across attempts, so a re-run gets its answers and deadlines back.
    private(set) var waits: [Int: [String: WaitState]] = [:]

    /// One wait of an execution, as its journal says.
    struct WaitState: Sendable, Codable, Equatable {
        var name: String
        var deadline: Date?
        /// The attempt that last opened it.
        var attempt: Int
        /// The answer's payload and seq, once answered.
        var answer: Data?
        var answerSeq: Int?
        var timedOut = false

        var isOpen: Bool { answer == nil && !timedOut }
    }

    init(graph: WorkflowGraph) {
        self.graph = graph
        runningPerStep = Array(repeating: 0, count: graph.steps.count)
    }

    // MARK: Applying records

    /// Feeds one journal record. Throws when the record contradicts the machine's state.
    mutating func apply(_ record: JournalRecord) throws {
        if case .runStarted = record {} else { onlyStarted = false }
        switch record {
        case .runStarted(let started):
            guard self.started == nil else { throw inconsistency("the run was started twice") }
            self.started = started
            applyStoreWrites(started.store)
            try deliver(started.start)
        case .executionStarted(let start):
            isWaiting = false
            try applyStart(start)
        case .eventsReceived(let received):
            isWaiting = false
            for event in received.events {
                guard let inboxSeq = event.inboxSeq, inboxSeq > lastInboxSeq else {
                    throw inconsistency("event \(event.seq) '\(event.name)' was received out of inbox order")
                }
                lastInboxSeq = inboxSeq
                try deliver(event)
            }
            lastInboxSeq = max(lastInboxSeq, received.refused.map(\.inboxSeq).max() ?? 0)
        case .runWaiting:
            isWaiting = true
        case .timersFired(let due):
            isWaiting = false
            for seq in due.events {
                guard let index = delayed.firstIndex(where: { $0.seq == seq }) else {
                    throw inconsistency("delayed event \(seq) fell due, but no such event was waiting")
                }
                try route(delayed.remove(at: index))
            }
            for wait in due.waits {
                guard waits[wait.executionID]?[wait.key]?.isOpen == true else {
                    throw inconsistency("wait '\(wait.key)' of execution \(wait.executionID) timed out, but it was not open")
                }
                waits[wait.executionID]![wait.key]!.timedOut = true
            }
        case .waitOpened(let opened):
            guard running[opened.wait.executionID]?.attempt == opened.attempt else {
                throw inconsistency("attempt \(opened.attempt) of execution \(opened.wait.executionID) opened a wait, but it is not running")
            }
            var state = waits[opened.wait.executionID]?[opened.wait.key]
                ?? WaitState(name: opened.name, deadline: opened.deadline, attempt: opened.attempt)
            state.attempt = opened.attempt
            waits[opened.wait.executionID, default: [:]][opened.wait.key] = state
        case .waitAnswered(let answered):
            guard let index = parked.firstIndex(where: { $0.seq == answered.seq }),
                  let attempt = running[answered.wait.executionID]?.attempt else {
                throw inconsistency("wait '\(answered.wait.key)' took event \(answered.seq), which no one had kept, or its execution is not running")
            }
            let event = parked.remove(at: index)
            // Answered as it opens: no `waitOpened` was journaled for it.
            if waits[answered.wait.executionID]?[answered.wait.key] == nil {
                waits[answered.wait.executionID, default: [:]][answered.wait.key] = WaitState(name: event.name, deadline: nil, attempt: attempt)
            }
            try answer(answered.wait, with: event)
        case .executionFinished(let finish):
            isWaiting = false
            try applyFinish(finish)
        case .sideEffect(let effect):
            sideEffects[effect.executionID, default: [:]][effect.key] = effect.result
        case .runInterrupted(let interrupted):
            for id in interrupted.abandoned { extraAttempts[id, default: 0] += 1 }
            requeueRunning(notBefore: nil)
        case .runResumed:
            if finished?.isDeadLetter == true { finished = nil }  // a fixed binary reopening a dead letter
            applyResume()
        case .runFinished(let finished):
            self.finished = finished
        }
    }

    /// Publishes store writes: a write of JSON `null` removes its key.
    private mutating func applyStoreWrites(_ writes: [StoreWrite]) {
        for write in writes { store[write.key] = write.removes ? nil : write.value }
    }

    /// A process took the run over: attempts that started and never finished died with their process. They
    /// run again as their next attempt, which counts against the retry budget; one whose budget is spent
    /// stays running until ``decide(at:)`` has its failure journaled (for the failure handler, or to fail the run).
    private mutating func applyResume() {
        for (id, run) in running where run.attempt >= allowedAttempts(step: graph.steps[run.step], execution: id) {
            dead.insert(id)
        }
        requeueRunning(notBefore: nil)
    }

    private mutating func applyStart(_ start: ExecutionStarted) throws {
        let index: Int?
        if let id = pending.firstIndex(where: { $0.executionID == start.executionID }) {
            index = id
        } else {
            index = pending.firstIndex {
                $0.executionID == nil && graph.steps[$0.step].name == start.step && $0.triggers.map(\.seq) == start.triggers
            }
        }
        guard let index else {
            throw inconsistency("execution \(start.executionID) of step '\(start.step)' on \(start.triggers) was never due")
        }
        let candidate = pending.remove(at: index)
        running[start.executionID] = Running(
            step: candidate.step, triggers: candidate.triggers, attempt: start.attempt, startedAt: start.at)
        runningPerStep[candidate.step] += 1
        nextExecutionID = max(nextExecutionID, start.executionID + 1)
        if firstStartedAt[start.executionID] == nil { firstStartedAt[start.executionID] = start.at }
    }

    private mutating func applyFinish(_ finish: ExecutionFinished) throws {
        guard let run = running[finish.executionID], run.attempt == finish.attempt else {
            throw CairnError(
                .internalInconsistency,
                "attempt \(finish.attempt) of execution \(finish.executionID) ('\(finish.step)') is not running; its commit is fenced out",
                step: finish.step
            )
        }
        running[finish.executionID] = nil
        dead.remove(finish.executionID)
        pastTimeout.remove(finish.executionID)
        settling.remove(finish.executionID)
        runningPerStep[run.step] -= 1
        let step = graph.steps[run.step]
        switch finish.outcome {
        case .completed:
            sideEffects[finish.executionID] = nil
            waits[finish.executionID] = nil
            firstStartedAt[finish.executionID] = nil
            applyStoreWrites(finish.storeWrites)
            nextStreamPosition += finish.streamed.count
            for event in finish.emitted { try deliver(event) }
        case .failed(let message, let retryAt):
            let sentence = "step '\(step.name)' failed on attempt \(finish.attempt) handling \(describe(run.triggers)): \(message)"
            try retryOrFail(finish, run: run, retryAt: retryAt, code: .stepFailed, message: sentence)
        case .timedOut(let retryAt):
            let sentence = "step '\(step.name)' timed out on attempt \(finish.attempt) handling \(describe(run.triggers))"
                + (step.options.timeout.map { " (timeout \($0))" } ?? "")
            try retryOrFail(finish, run: run, retryAt: retryAt, code: .stepTimedOut, message: sentence)
        case .abandoned:
            waits[finish.executionID] = nil
            firstStartedAt[finish.executionID] = nil  // the run is ending: nothing runs again, nothing is delivered
        }
    }

    /// An attempt that did not complete: its next attempt is queued; or, its attempts spent, the failure is
    /// handed to the failure handler (the ``StepFailed`` event its record journals) or fails the run.
    private mutating func retryOrFail(
        _ finish: ExecutionFinished,
        run: Running,
        retryAt: Date?,
        code: CairnError.Code,
        message: String
    ) throws {
        if let retryAt {
            enqueue(Candidate(
                executionID: finish.executionID, step: run.step, triggers: run.triggers,
                attempt: finish.attempt + 1, notBefore: retryAt))
            return
        }
        let firstStart = firstStartedAt.removeValue(forKey: finish.executionID) ?? run.startedAt
        if !finish.emitted.isEmpty {
            for event in finish.emitted { try deliver(event) }  // the StepFailed for the failure handler
            return
        }
        guard failure == nil else { return }
        let step = graph.steps[run.step]
        let allowed = allowedAttempts(step: step, execution: finish.executionID)
        let why: String
        if finish.attempt >= allowed {
            why = "no attempts are left (\(finish.attempt) of \(allowed))"
        } else if let limit = step.options.retry.timeLimit,
                  pastTimeLimit(step, firstStart: firstStart, due: finish.at.addingTimeInterval(step.options.retry.backoff(after: finish.attempt).seconds)) {
            why = "its retry time limit of \(limit) would pass before attempt \(finish.attempt + 1)"
        } else {
            why = "its retry policy does not retry this error (attempt \(finish.attempt) of \(allowed))"
        }
        var handler = ""
        if graph.hasFailureHandler {
            handler = step.consumedNames.contains(StepFailed.eventName)
                ? " (the failure handler itself failed)"
                : " (the failure handler recovered \(recoveries) failure(s) of this run already, its recovery budget)"
        }
        failure = RunError(
            code, message + ". The run fails: \(why)\(handler); fix the cause, then start a new run.",
            step: finish.step, event: run.triggers.first?.name, attempts: finish.attempt,
            elapsedSeconds: finish.at.timeIntervalSince(firstStart), failedAt: finish.at)
    }

    /// Queues a candidate at its place by ``Candidate/dueSeq``, so that an execution re-run after a crash, an
    /// interrupt or a failed attempt goes before work that became due after it, as in a run never stopped.
    private mutating func enqueue(_ candidate: Candidate) {
        let place = pending.lastIndex { $0.dueSeq <= candidate.dueSeq }.map { $0 + 1 } ?? 0
        pending.insert(candidate, at: place)
    }

    /// Queues every running attempt's next attempt, but those of ``dead`` executions, which stay running.
    private mutating func requeueRunning(notBefore: Date?) {
        for (id, run) in running.sorted(by: { $0.key < $1.key }) where !dead.contains(id) {
            enqueue(Candidate(
                executionID: id, step: run.step, triggers: run.triggers, attempt: run.attempt + 1, notBefore: notBefore))
            runningPerStep[run.step] -= 1
            running[id] = nil
        }
        pastTimeout = []
        settling = []
    }

    // MARK: The driver's inputs (not journaled: they decide what is journaled next)

    /// The caller cancelled the run, or a cancel request arrived.
    mutating func requestCancel() {
        lifecycle = .cancelling
    }

    /// The caller interrupted the run; returns the end of the grace period, or `nil` when it is ending already.
    mutating func requestInterrupt(at now: Date, grace: Duration) -> Date? {
        guard lifecycle == .driving else { return nil }
        let deadline = now.addingTimeInterval(grace.seconds)
        lifecycle = .interrupting(deadline: deadline)
        return deadline
    }

    /// An attempt outlived its step's timeout. Returns whether it is still running: then the driver cancels it
    /// and, after the grace period, abandons it (``isAbandonable(execution:attempt:)``).
    mutating func attemptOutlivedTimeout(execution: Int, attempt: Int) -> Bool {
        guard isCurrent(execution: execution, attempt: attempt) else { return false }
        pastTimeout.insert(execution)
        return true
    }

    /// Whether an attempt past its timeout is still unsettled after its grace period: it is abandoned as timed out.
    func isAbandonable(execution: Int, attempt: Int) -> Bool {
        isCurrent(execution: execution, attempt: attempt) && pastTimeout.contains(execution)
    }

    /// Takes an attempt's result for its commit; `nil` when the result is fenced out (another attempt runs,
    /// or this one's result was taken already). A result of an attempt past its timeout counts as timed out.
    mutating func accept(_ result: AttemptResult) -> AttemptResult? {
        guard isCurrent(execution: result.executionID, attempt: result.attempt) else { return nil }
        settling.insert(result.executionID)
        guard pastTimeout.contains(result.executionID) else { return result }
        return AttemptResult(executionID: result.executionID, attempt: result.attempt, outcome: .timedOut, sideEffects: result.sideEffects,
                             recorded: result.recorded)
    }

    private func isCurrent(execution: Int, attempt: Int) -> Bool {
        running[execution]?.attempt == attempt && !settling.contains(execution)
    }

    /// Routes an event to every subscribed step: a candidate per plain step, a buffer entry per join.
    private mutating func deliver(_ event: JournaledEvent) throws {
        guard event.seq == nextSeq else {
            throw inconsistency("event '\(event.name)' has seq \(event.seq) where \(nextSeq) was due")
        }
        nextSeq += 1
        if let wait = event.answers { return try answer(wait, with: event) }
        if event.published { return }  // for other workflows' runs, started with the commit
        if event.deliverAt != nil {
            delayed.append(event)  // routed when it falls due (``JournalRecord/timersFired(_:)``)
            return
        }
        try route(event)
    }

    /// Makes `event` the answer of an open wait: it goes to no subscriber.
    private mutating func answer(_ wait: WaitRef, with event: JournaledEvent) throws {
        guard waits[wait.executionID]?[wait.key]?.isOpen == true else {
            throw inconsistency("event \(event.seq) answers wait '\(wait.key)' of execution \(wait.executionID), which is not open")
        }
        waits[wait.executionID]![wait.key]!.answer = event.payload
        waits[wait.executionID]![wait.key]!.answerSeq = event.seq
    }

    /// The open waits of running attempts: what blocks them.
    var blockedWaits: [(wait: WaitRef, state: WaitState)] {
        waits.sorted { $0.key < $1.key }.flatMap { execution, keyed in
            keyed.sorted { $0.key < $1.key }.compactMap { key, state in
                state.isOpen && running[execution]?.attempt == state.attempt ? (WaitRef(executionID: execution, key: key), state) : nil
            }
        }
    }

    /// Hands a journaled event to what it ends or starts: the stop, a continuation, or its subscribers.
    private mutating func route(_ event: JournaledEvent) throws {
        if event.name == StepFailed.eventName { recoveries += 1 }
        if event.name == graph.stopType.eventName {
            if stopEvent == nil { stopEvent = event }
            return
        }
        if event.name == continueAsNewEventName {
            if continuation == nil { continuation = event }
            return
        }
        if event.inboxSeq != nil, graph.subscribers[event.name] == nil {
            parked.append(event)
            return
        }
        for index in graph.subscribers[event.name] ?? [] where event.target == nil || graph.steps[index].name == event.target {
            let step = graph.steps[index]
            guard let join = step.join else {
                enqueue(Candidate(executionID: nil, step: index, triggers: [event], attempt: 1, notBefore: nil))
                continue
            }
            guard let value = event.value else { throw inconsistency("event \(event.seq) was not decoded") }
            let key = join.key(of: value)
            // In place: copying the group out and back would copy every buffered event on each delivery.
            buffers[index, default: [:]][key, default: [:]][event.name, default: []].append(event)
            guard let group = buffers[index]?[key],
                  join.required.allSatisfy({ (group[$0.name]?.count ?? 0) >= $0.count }) else { continue }
            var set: [JournaledEvent] = []
            for requirement in join.required {
                set += group[requirement.name]!.prefix(requirement.count)
                buffers[index]![key]![requirement.name]!.removeFirst(requirement.count)
            }
            if buffers[index]![key]!.allSatisfy({ $0.value.isEmpty }) { buffers[index]![key] = nil }
            enqueue(Candidate(executionID: nil, step: index, triggers: set, attempt: 1, notBefore: nil))
        }
    }

    // MARK: Deciding

    /// What to do at `now`: the run's end when it is due, otherwise the executions to start
    /// (within each step's worker limit) and when to look again.
    func decide(at now: Date) -> Decision {
        var decision = Decision()
        if finished != nil { return decision }
        if !dead.isEmpty {
            decision.closes = dead.sorted().compactMap { deathRecord(of: $0, at: now) }
            return decision
        }
        if lifecycle == .driving, stopEvent == nil, failure == nil {
            let due = delayed.filter { $0.deliverAt! <= now }
            let expired = blockedWaits.filter { $0.state.deadline.map { $0 <= now } ?? false }
            if !due.isEmpty || !expired.isEmpty {
                decision.due = TimersFired(events: due.map(\.seq), waits: expired.map(\.wait), at: now)
                return decision
            }
        }
        if let stop = stopEvent {
            decision.finish = RunFinished(status: .completed, result: stop.payload, error: nil, at: now)
            return decision
        }
        if let failure {
            decision.finish = RunFinished(status: .failed, result: nil, error: failure, at: now)
            return decision
        }
        if let deadline = started?.deadline, now >= deadline {
            decision.finish = RunFinished(
                status: .timedOut, result: nil,
                error: RunError(.runTimedOut, timeoutSentence(deadline: deadline)),
                at: now)
            return decision
        }
        if lifecycle == .cancelling {
            decision.finish = RunFinished(status: .cancelled, result: nil, error: .cancelled, at: now)
            return decision
        }
        if let continuation {
            decision.finish = RunFinished(status: .continued, result: nil, error: nil, at: now, successor: successor(startingWith: continuation, at: now))
            return decision
        }
        switch lifecycle {
        case .driving, .cancelling:
            break
        case .interrupting(let deadline):
            if running.isEmpty || now >= deadline {
                decision.interrupt = RunInterrupted(abandoned: running.keys.sorted(), reason: "interrupted by its owner", at: now)
            } else {
                decision.wakeAt = deadline
            }
            return decision
        }
        var perStep = runningPerStep
        var nextID = nextExecutionID
        for candidate in pending {
            if let notBefore = candidate.notBefore, notBefore > now {
                decision.wakeAt = min(decision.wakeAt ?? notBefore, notBefore)
                continue
            }
            let step = graph.steps[candidate.step]
            guard perStep[candidate.step] < step.options.workers else { continue }
            perStep[candidate.step] += 1
            let id = candidate.executionID ?? nextID
            if candidate.executionID == nil { nextID += 1 }
            decision.starts.append(ExecutionStarted(
                executionID: id, step: step.name, attempt: candidate.attempt, triggers: candidate.triggers.map(\.seq), at: now))
        }
        if let deadline = started?.deadline { decision.wakeAt = min(decision.wakeAt ?? deadline, deadline) }
        let blocked = blockedWaits
        for next in delayed.compactMap(\.deliverAt) + blocked.compactMap(\.state.deadline) {
            decision.wakeAt = min(decision.wakeAt ?? next, next)
        }
        if decision.starts.isEmpty, pending.isEmpty {
            if running.isEmpty, wakeSources.reasons.isEmpty {
                decision.finish = RunFinished(status: .failed, result: nil, error: stallError(), at: now)
            } else if Set(blocked.map(\.wait.executionID)) == Set(running.keys) {
                decision.waiting = wakeSources  // every attempt still running waits for an event from outside
            }
        }
        return decision
    }

    /// The start of the run this one continues as: today's code, the same seed, a fresh store, and the input
    /// the continuing step gave.
    private func successor(startingWith continuation: JournaledEvent, at now: Date) -> RunStarted? {
        guard let started else { return nil }
        let start = JournaledEvent(seq: 1, name: graph.startType.eventName, payload: continuation.payload, executionID: nil,
                                   value: try? graph.decode(graph.startType.eventName, from: continuation.payload))
        return RunStarted(
            runID: .successor(of: started.runID), workflow: graph.name, fingerprint: graph.fingerprint, shape: graph.shape,
            version: graph.version, patches: graph.patches, seed: started.seed, deadline: nil, at: now, start: start,
            continuedFrom: started.runID, accepts: graph.acceptedNames.sorted(), parent: started.parent)
    }

    /// The records that close the attempts still running as their run ends, so none is left unfinished.
    func abandonRecords(at now: Date) -> [ExecutionFinished] {
        running.sorted { $0.key < $1.key }.map { id, run in
            ExecutionFinished(
                executionID: id, step: graph.steps[run.step].name, attempt: run.attempt,
                triggers: run.triggers.map { ($0.name, $0.seq) }, outcome: .abandoned, emitted: [], streamed: [],
                storeWrites: [], recorded: [], effects: [], startedAt: run.startedAt, at: now)
        }
    }

    /// The journal record for an attempt's end: seqs and stream positions assigned, retry decided, and — when
    /// the attempts are spent and the workflow has a failure handler with budget left — the ``StepFailed``
    /// event it journals.
    func finishRecord(for attempt: AttemptResult, at now: Date) throws -> ExecutionFinished {
        let run = running[attempt.executionID]
        let step = graph.steps[run?.step ?? 0]
        let retryAt = nextAttemptTime(step: step, execution: attempt.executionID, after: attempt.attempt, at: now)
        var emitted: [JournaledEvent] = []
        var streamed: [StreamedEvent] = []
        var writes: [StoreWrite] = []
        var effects: [any CommitEffect] = []
        var messages: [RunMessage] = []
        var starts: [RunStarted] = []
        let outcome: ExecutionFinished.Outcome
        switch attempt.outcome {
        case .returned(let returned, let attemptEffects):
            outcome = .completed
            var events = attemptEffects.sent
            if let returned { events.append(returned) }
            emitted = events.enumerated().map { offset, event in
                JournaledEvent(seq: nextSeq + offset, name: event.name, payload: event.payload,
                               executionID: attempt.executionID, target: event.target, deliverAt: event.deliverAt,
                               published: event.published, value: event.value)
            }
            streamed = attemptEffects.streamed.enumerated().map { offset, event in
                StreamedEvent(position: nextStreamPosition + offset, name: event.name, payload: event.payload, step: step.name)
            }
            writes = attemptEffects.storeWriteOrder.map { StoreWrite(key: $0, value: attemptEffects.storeWrites[$0]!) }
            effects = attemptEffects.commitEffects
            messages = attemptEffects.messages
            starts = attemptEffects.starts.map { start in
                var record = start.record
                record.parent?.publishedSeq = start.publication.map { nextSeq + $0 }
                return record
            }
        case .threw(let error):
            let retryable = step.options.retry.allowsRetry(of: error) && !(error is CairnError)
            outcome = .failed(message: String(describing: error), retryAt: retryable ? retryAt : nil)
            if !retryable || retryAt == nil {
                emitted = try failureEvent(step: step, execution: attempt.executionID, code: .stepFailed, message: String(describing: error), at: now)
            }
        case .timedOut:
            outcome = .timedOut(retryAt: retryAt)
            if retryAt == nil {
                let message = "timed out on attempt \(attempt.attempt)" + (step.options.timeout.map { " (timeout \($0))" } ?? "")
                emitted = try failureEvent(step: step, execution: attempt.executionID, code: .stepTimedOut, message: message, at: now)
            }
        }
        return ExecutionFinished(
            executionID: attempt.executionID, step: step.name, attempt: attempt.attempt,
            triggers: (run?.triggers ?? []).map { ($0.name, $0.seq) }, outcome: outcome,
            emitted: emitted, streamed: streamed, storeWrites: writes, recorded: attempt.recorded, effects: effects,
            startedAt: run?.startedAt ?? now, at: now, messages: messages, starts: starts)
    }

    /// When the attempt after `attempt` is due, or `nil` when none may follow: the attempts are spent, or
    /// its backoff would end past the policy's time limit.
    private func nextAttemptTime(step: AnyStep, execution: Int, after attempt: Int, at now: Date) -> Date? {
        guard attempt < allowedAttempts(step: step, execution: execution) else { return nil }
        let due = now.addingTimeInterval(step.options.retry.backoff(after: attempt).seconds)
        return pastTimeLimit(step, firstStart: firstStartedAt[execution], due: due) ? nil : due
    }

    /// Whether an attempt due at `due` would start past the step's retry time limit, counted from the
    /// execution's first start.
    private func pastTimeLimit(_ step: AnyStep, firstStart: Date?, due: Date) -> Bool {
        guard let limit = step.options.retry.timeLimit, let firstStart else { return false }
        return due > firstStart.addingTimeInterval(limit.seconds)
    }

    /// The ``StepFailed`` event for the failure handler, when the workflow has one, the failing step is not
    /// the handler itself, and the recovery budget is not spent; else none (the failure fails the run).
    private func failureEvent(step: AnyStep, execution: Int, code: CairnError.Code, message: String, at now: Date) throws
        -> [JournaledEvent] {
        guard graph.hasFailureHandler, !step.consumedNames.contains(StepFailed.eventName), recoveries < graph.recoveryBudget,
              let run = running[execution] else { return [] }
        let first = firstStartedAt[execution] ?? run.startedAt
        let failed = StepFailed(
            step: step.name, executionID: execution, attempt: run.attempt, code: code, message: message,
            elapsedSeconds: now.timeIntervalSince(first), failedAt: now,
            triggers: run.triggers.map { StepFailed.Trigger(name: $0.name, seq: $0.seq, payload: JSONValue(json: $0.payload) ?? .null) })
        return [JournaledEvent(seq: nextSeq, name: StepFailed.eventName, payload: try WorkflowContext.encode(failed),
                               executionID: execution, value: failed)]
    }

    /// The failure of a dead execution's last attempt, which died with its process: no retry, and the
    /// ``StepFailed`` for the failure handler when there is one.
    private func deathRecord(of execution: Int, at now: Date) -> ExecutionFinished? {
        guard let run = running[execution] else { return nil }
        let step = graph.steps[run.step]
        let message = "\(Self.diedWithItsProcess) on attempt \(run.attempt) of \(allowedAttempts(step: step, execution: execution))"
        return ExecutionFinished(
            executionID: execution, step: step.name, attempt: run.attempt, triggers: run.triggers.map { ($0.name, $0.seq) },
            outcome: .failed(message: message, retryAt: nil),
            emitted: (try? failureEvent(step: step, execution: execution, code: .stepFailed, message: message, at: now)) ?? [],
            streamed: [], storeWrites: [], recorded: [], effects: [], startedAt: run.startedAt, at: now)
    }

    /// The running attempt's trigger events and step, to start it.
    func runningExecution(_ id: Int) -> (step: AnyStep, triggers: [JournaledEvent], attempt: Int)? {
        running[id].map { (graph.steps[$0.step], $0.triggers, $0.attempt) }
    }

    /// What could still wake an idle run, in words, and the events that would: events from outside that a
    /// step subscribes to.
    private var wakeSources: (reasons: [String], events: [String]) {
        let subscribed = graph.acceptedNames.filter { graph.subscribers[$0] != nil }
        var reasons = subscribed.isEmpty ? [] : ["events sent to it (" + subscribed.map { "'\($0)'" }.joined(separator: ", ") + ")"]
        if let next = delayed.min(by: { $0.deliverAt! < $1.deliverAt! }) {
            reasons.append("\(delayed.count) delayed event(s), the next '\(next.name)' (seq \(next.seq)) due at \(next.deliverAt!)")
        }
        var events = subscribed
        for (wait, state) in blockedWaits {
            let step = running[wait.executionID].map { graph.steps[$0.step].name } ?? "?"
            reasons.append("step '\(step)' (execution \(wait.executionID)) to get '\(state.name)'" + (state.deadline.map { " until \($0)" } ?? ""))
            if !events.contains(state.name) { events.append(state.name) }
        }
        return (reasons, events)
    }

    private func allowedAttempts(step: AnyStep, execution: Int) -> Int {
        // Saturating: `maxAttempts: .max` plus an attempt abandoned by an interrupt must not trap.
        let (sum, overflow) = step.options.retry.maxAttempts.addingReportingOverflow(extraAttempts[execution, default: 0])
        return overflow ? .max : sum
    }

    private func stallError() -> RunError {
        var waiting: [String] = []
        for (index, groups) in buffers.sorted(by: { $0.key < $1.key }) {
            let step = graph.steps[index]
            for (key, group) in groups {
                let have = group.filter { !$0.value.isEmpty }.map { "\($0.value.count) '\($0.key)'" }.sorted()
                waiting.append("join '\(step.name)'\(step.join?.keys == nil ? "" : " (key \(key))") holds \(have.joined(separator: ", "))")
            }
        }
        if !parked.isEmpty {
            waiting.append("\(parked.count) event(s) sent from outside that no step takes: "
                + Set(parked.map { "'\($0.name)'" }).sorted().joined(separator: ", "))
        }
        let detail = waiting.isEmpty ? "no step has work left" : waiting.sorted().joined(separator: "; ")
        return RunError(
            .stalled,
            "run stalled: nothing can run and no step emitted '\(graph.stopType.eventName)' (\(detail)). "
                + "Check that every path of the workflow ends in a stop event.")
    }

    /// Why a run timed out: its timeout, and which executions were still running on which events.
    private func timeoutSentence(deadline: Date) -> String {
        let timeout = started.map { deadline.timeIntervalSince($0.at) }.map { String(format: " of %.3g s", $0) } ?? ""
        let stillRunning = running.sorted { $0.key < $1.key }.map { _, run in
            "step '\(graph.steps[run.step].name)' on \(describe(run.triggers))"
        }
        return "run outlived its timeout\(timeout) at \(deadline)"
            + (stillRunning.isEmpty ? "" : "; still running: " + stillRunning.joined(separator: ", "))
            + ". Give the run a longer timeout or make its steps faster."
    }

    private func describe(_ triggers: [JournaledEvent]) -> String {
        triggers.map { "'\($0.name)' (seq \($0.seq))" }.joined(separator: ", ")
    }

    private func inconsistency(_ message: String) -> CairnError {
        CairnError(.internalInconsistency, "the journal of this run is inconsistent: \(message)")
    }
}

/// How one attempt ended, as the driver saw it.
struct AttemptResult: Sendable {
    /// Whether its commit writes beside the journal — ``CommitEffect``s, messages to other runs' inboxes, runs it
    /// starts — and so may be refused for that attempt alone.
    var hasCommitEffects: Bool {
        if case .returned(_, let effects) = outcome {
            return !effects.commitEffects.isEmpty || !effects.messages.isEmpty || !effects.starts.isEmpty
        }
        return false
    }

    /// The runs its commit starts.
    var startedRuns: [OutgoingRun] {
        if case .returned(_, let effects) = outcome { return effects.starts }
        return []
    }

    enum Outcome: Sendable {
        case returned(OutgoingEvent?, ExecutionEffects)
        case threw(any Error)
        case timedOut
    }

    let executionID: Int
    let attempt: Int
    let outcome: Outcome
    /// Side effects the attempt journaled while it ran.
    let sideEffects: [SideEffect]
    /// Every `now`, `random`, `uuid` and `patched` value the attempt read, whatever its outcome: replay
    /// re-executes failed attempts too.
    var recorded: [RecordedValue] = []
}

// MARK: Snapshots

extension RunStateMachine {
    /// How many entries a snapshot of the machine holds — events, executions, store keys, side effects: what
    /// taking one costs, roughly.
    var liveEntries: Int {
        let held = buffers.values.reduce(0) { total, keyed in total + keyed.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }
        return store.count + pending.count + running.count + sideEffects.values.reduce(0) { $0 + $1.count } + held + parked.count
            + delayed.count
    }

    /// The machine's durable state (``RunSnapshot``).
    func snapshot() -> RunSnapshot {
        func events(_ list: [JournaledEvent]) -> [RunSnapshot.Event] { list.map(RunSnapshot.Event.init) }
        var groups: [RunSnapshot.JoinGroup] = []
        for (index, keyed) in buffers {
            for group in keyed.values {
                groups.append(RunSnapshot.JoinGroup(step: graph.steps[index].name, events: group.mapValues(events)))
            }
        }
        groups.sort { ($0.step, $0.events.values.compactMap { $0.first?.seq }.min() ?? 0) < ($1.step, $1.events.values.compactMap { $0.first?.seq }.min() ?? 0) }
        return RunSnapshot(
            started: started.map(RunSnapshot.Start.init), finished: finished.map(RunSnapshot.Finish.init), nextSeq: nextSeq,
            nextStreamPosition: nextStreamPosition, nextExecutionID: nextExecutionID, store: store,
            pending: pending.map {
                RunSnapshot.Candidate(executionID: $0.executionID, step: graph.steps[$0.step].name, triggers: events($0.triggers),
                                      attempt: $0.attempt, notBefore: $0.notBefore)
            },
            running: running.sorted { $0.key < $1.key }.map { id, run in
                RunSnapshot.Running(executionID: id, step: graph.steps[run.step].name, triggers: events(run.triggers), attempt: run.attempt,
                                    startedAt: run.startedAt)
            },
            sideEffects: sideEffects, extraAttempts: extraAttempts, firstStartedAt: firstStartedAt, recoveries: recoveries, dead: dead,
            buffers: groups, stopEvent: stopEvent.map(RunSnapshot.Event.init), continuation: continuation.map(RunSnapshot.Event.init),
            failure: failure, lastInboxSeq: lastInboxSeq, parked: events(parked), isWaiting: isWaiting, delayed: events(delayed),
            waits: waits.isEmpty ? nil : waits)
    }

    /// A machine of `graph` in the state `snapshot` holds, its events decoded again.
    /// - Throws: when the snapshot names a step `graph` does not have, or an event that does not decode.
    init(graph: WorkflowGraph, restoring snapshot: RunSnapshot) throws {
        self.init(graph: graph)
        onlyStarted = false
        func step(_ name: String) throws -> Int {
            guard let index = graph.steps.firstIndex(where: { $0.name == name }) else {
                throw CairnError(.unrebuildable, "the snapshot names a step '\(name)' that workflow '\(graph.name)' does not have")
            }
            return index
        }
        func events(_ list: [RunSnapshot.Event]) throws -> [JournaledEvent] { try list.map { try $0.journaled(in: graph) } }
        started = try snapshot.started?.runStarted(in: graph)
        finished = try snapshot.finished?.runFinished(in: graph)
        nextSeq = snapshot.nextSeq
        nextStreamPosition = snapshot.nextStreamPosition
        nextExecutionID = snapshot.nextExecutionID
        store = snapshot.store
        pending = try snapshot.pending.map {
            Candidate(executionID: $0.executionID, step: try step($0.step), triggers: try events($0.triggers), attempt: $0.attempt,
                      notBefore: $0.notBefore)
        }
        for run in snapshot.running {
            let index = try step(run.step)
            running[run.executionID] = Running(step: index, triggers: try events(run.triggers), attempt: run.attempt, startedAt: run.startedAt)
            runningPerStep[index] += 1
        }
        sideEffects = snapshot.sideEffects
        extraAttempts = snapshot.extraAttempts
        firstStartedAt = snapshot.firstStartedAt
        recoveries = snapshot.recoveries
        dead = snapshot.dead
        for group in snapshot.buffers {
            let index = try step(group.step)
            let decoded = try group.events.mapValues(events)
            guard let join = graph.steps[index].join, let first = decoded.values.first(where: { !$0.isEmpty })?.first?.value else {
                throw CairnError(.unrebuildable, "the snapshot holds a join buffer for step '\(group.step)', which is not a join")
            }
            buffers[index, default: [:]][join.key(of: first)] = decoded
        }
        stopEvent = try snapshot.stopEvent?.journaled(in: graph)
        continuation = try snapshot.continuation?.journaled(in: graph)
        failure = snapshot.failure
        lastInboxSeq = snapshot.lastInboxSeq ?? 0
        parked = try events(snapshot.parked ?? [])
        isWaiting = snapshot.isWaiting ?? false
        delayed = try events(snapshot.delayed ?? [])
        waits = snapshot.waits ?? [:]
    }
}
