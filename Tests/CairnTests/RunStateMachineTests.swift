@testable import Cairn
import Foundation
import Testing

/// The state machine alone: records in, decisions out. No engine, no tasks.
@Suite("RunStateMachine")
struct RunStateMachineTests {
    let graph = TestWorkflow(Int.self, [Int].self) {
        FunctionStep("fan") { (start: StartEvent<Int>, context) -> OneOf2<Tick, Tock>? in nil }
        FunctionStep("tick", workers: 2) { (tick: Tick, context) -> Part? in nil }
        FunctionStep("tock") { (tock: Tock, context) -> Part? in nil }
        CountedJoinStep("sum", count: 3, of: Part.self) { (parts, context) -> StopEvent<[Int]>? in nil }
    }.graph

    let now = Date(timeIntervalSince1970: 1_000_000)

    func event(_ seq: Int, _ value: some Event, by execution: Int?) -> JournaledEvent {
        JournaledEvent(seq: seq, name: type(of: value).eventName, payload: Data(), executionID: execution, value: value)
    }

    func started(deadline: Date? = nil) -> JournalRecord {
        .runStarted(RunStarted(
            runID: RunID(), workflow: "test", fingerprint: graph.fingerprint, shape: graph.shape, version: nil, seed: nil,
            deadline: deadline, at: now, start: event(1, StartEvent(0), by: nil)))
    }

    func finished(_ id: Int, _ step: String, attempt: Int = 1, _ outcome: ExecutionFinished.Outcome = .completed,
                  emitting events: [JournaledEvent] = []) -> JournalRecord {
        .executionFinished(ExecutionFinished(
            executionID: id, step: step, attempt: attempt, triggers: [], outcome: outcome, emitted: events, streamed: [],
            storeWrites: [], recorded: [], effects: [], startedAt: now, at: now))
    }

    func apply(_ records: [JournalRecord], to machine: inout RunStateMachine) throws {
        for record in records { try machine.apply(record) }
    }

    @Test("the start event makes its consumer due; applying the decision marks it running")
    func startConsumerIsDue() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        let decision = machine.decide(at: now)
        #expect(decision.starts.map(\.step) == ["fan"])
        #expect(decision.starts.map(\.triggers) == [[1]])
        #expect(decision.finish == nil)
        try apply(decision.starts.map { .executionStarted($0) }, to: &machine)
        #expect(machine.decide(at: now).starts.isEmpty)
        #expect(machine.running.count == 1)
    }

    @Test("worker limits hold: three ticks start two at a time; every event is broadcast to its subscribers")
    func workerLimits() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        try machine.apply(finished(1, "fan", emitting: [
            event(2, Tick(n: 1), by: 1), event(3, Tick(n: 2), by: 1), event(4, Tick(n: 3), by: 1), event(5, Tock(n: 1), by: 1),
        ]))
        let decision = machine.decide(at: now)
        #expect(decision.starts.map(\.step) == ["tick", "tick", "tock"])
        #expect(decision.starts.map(\.executionID) == [2, 3, 4])
        #expect(decision.starts.map(\.triggers) == [[2], [3], [5]])
    }

    @Test("a counted join fires once its count is reached; the stop event ends the run as completed")
    func joinAndStop() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        try machine.apply(finished(1, "fan", emitting: [event(2, Tick(n: 1), by: 1), event(3, Tick(n: 2), by: 1), event(4, Tock(n: 1), by: 1)]))
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        try machine.apply(finished(2, "tick", emitting: [event(5, Part(value: 1), by: 2)]))
        try machine.apply(finished(3, "tick", emitting: [event(6, Part(value: 2), by: 3)]))
        #expect(machine.decide(at: now).starts.isEmpty)  // the join holds 2 of 3
        try machine.apply(finished(4, "tock", emitting: [event(7, Part(value: 3), by: 4)]))
        let join = machine.decide(at: now)
        #expect(join.starts.map(\.step) == ["sum"])
        #expect(join.starts.map(\.triggers) == [[5, 6, 7]])
        try apply(join.starts.map { .executionStarted($0) }, to: &machine)
        try machine.apply(finished(5, "sum", emitting: [event(8, StopEvent([6]), by: 5)]))
        #expect(machine.decide(at: now).finish?.status == .completed)
    }

    @Test("an event out of sequence is refused as an inconsistent journal")
    func seqGap() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        #expect(throws: CairnError.self) { try machine.apply(finished(1, "fan", emitting: [event(3, Tick(n: 1), by: 1)])) }
    }

    @Test("a commit from an attempt that is not running is fenced out")
    func fencedCommit() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        #expect(throws: CairnError.self) { try machine.apply(finished(1, "fan", attempt: 2)) }
    }

    @Test("a failed attempt with a retry time is due again only at that time")
    func retryBackoff() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        let later = now.addingTimeInterval(5)
        try machine.apply(finished(1, "fan", .failed(message: "boom", retryAt: later)))
        let waiting = machine.decide(at: now)
        #expect(waiting.starts.isEmpty && waiting.finish == nil && waiting.wakeAt == later)
        let due = machine.decide(at: later)
        #expect(due.starts.map(\.executionID) == [1])
        #expect(due.starts.map(\.attempt) == [2])
    }

    @Test("a resume re-runs started, uncommitted attempts as their next attempt")
    func resumeRequeues() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        try machine.apply(.runResumed(RunResumed(at: now)))
        let decision = machine.decide(at: now)
        #expect(decision.starts.map(\.executionID) == [1])
        #expect(decision.starts.map(\.attempt) == [2])
    }

    @Test("an attempt abandoned by an interrupt under maxAttempts: .max does not overflow the budget when its process later dies")
    func unboundedBudgetSurvivesInterrupt() throws {
        let graph = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("forever", retry: RetryPolicy(maxAttempts: .max)) { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in nil }
        }.graph
        var machine = RunStateMachine(graph: graph)
        try machine.apply(.runStarted(RunStarted(
            runID: RunID(), workflow: "test", fingerprint: graph.fingerprint, shape: graph.shape, version: nil, seed: nil,
            deadline: nil, at: now, start: event(1, StartEvent(0), by: nil))))
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        try machine.apply(.runInterrupted(RunInterrupted(abandoned: [1], reason: "test", at: now)))
        try machine.apply(.runResumed(RunResumed(at: now)))
        let second = machine.decide(at: now).starts
        #expect(second.map(\.attempt) == [2])
        try apply(second.map { .executionStarted($0) }, to: &machine)
        try machine.apply(.runResumed(RunResumed(at: now)))  // the process died during attempt 2
        #expect(machine.decide(at: now).starts.map(\.attempt) == [3])
    }

    @Test("the run deadline ends the run as timed out, even with work in flight")
    func deadline() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started(deadline: now.addingTimeInterval(10)))
        #expect(machine.decide(at: now).wakeAt == now.addingTimeInterval(10))
        #expect(machine.decide(at: now.addingTimeInterval(10)).finish?.status == .timedOut)
    }

    @Test("a run timeout names its timeout and each step still running, with its event")
    func deadlineNamesWhatWasRunning() throws {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started(deadline: now.addingTimeInterval(10)))
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        let message = try #require(machine.decide(at: now.addingTimeInterval(10)).finish?.error?.message)
        #expect(message.contains("outlived its timeout of 10 s"), "\(message)")
        #expect(message.contains("still running: step 'fan' on 'cairn.start' (seq 1)"), "\(message)")
    }

    // MARK: The lifecycle: the driver's inputs in, the decision out

    func runningFan() throws -> RunStateMachine {
        var machine = RunStateMachine(graph: graph)
        try machine.apply(started())
        try apply(machine.decide(at: now).starts.map { .executionStarted($0) }, to: &machine)
        return machine
    }

    func result(_ id: Int, attempt: Int = 1) -> AttemptResult {
        AttemptResult(executionID: id, attempt: attempt, outcome: .returned(nil, ExecutionEffects()), sideEffects: [])
    }

    @Test("an interrupt starts nothing new, waits out its grace for attempts in flight, then decides the interruption")
    func interrupt() throws {
        var machine = try runningFan()
        let first = machine.requestInterrupt(at: now, grace: .seconds(5))
        let deadline = try #require(first)
        let second = machine.requestInterrupt(at: now, grace: .seconds(5))
        #expect(second == nil, "one interrupt at a time")
        let during = machine.decide(at: now)
        #expect(during.starts.isEmpty && during.interrupt == nil && during.finish == nil && during.wakeAt == deadline)
        #expect(machine.decide(at: deadline).interrupt?.abandoned == [1])
        try machine.apply(finished(1, "fan", emitting: [event(2, Tick(n: 1), by: 1)]))
        let done = machine.decide(at: now)
        #expect(done.interrupt?.abandoned == [] && done.starts.isEmpty, "the tick it made due waits for the resume")
    }

    @Test("a cancel request is decided as the cancelled end; a stop already committed wins")
    func cancel() throws {
        var machine = try runningFan()
        machine.requestCancel()
        let end = machine.decide(at: now).finish
        #expect(end?.status == .cancelled && end?.error?.code == .cancelled)
        var stopped = RunStateMachine(graph: TestWorkflow(Int.self, Int.self) {
            FunctionStep("only") { (event: StartEvent<Int>, context) -> StopEvent<Int>? in nil }
        }.graph)
        try stopped.apply(started())
        try apply(stopped.decide(at: now).starts.map { .executionStarted($0) }, to: &stopped)
        try stopped.apply(finished(1, "only", emitting: [event(2, StopEvent(1), by: 1)]))
        stopped.requestCancel()
        #expect(stopped.decide(at: now).finish?.status == .completed)
    }

    @Test("results are fenced by the machine: one per attempt, none from another attempt; past its timeout a result counts as timed out")
    func acceptingResults() throws {
        var machine = try runningFan()
        let stale = machine.accept(result(1, attempt: 2))
        let current = machine.accept(result(1))
        let again = machine.accept(result(1))
        #expect(stale == nil, "not the running attempt")
        #expect(current != nil)
        #expect(again == nil, "taken already")
        var timing = try runningFan()
        let outlived = timing.attemptOutlivedTimeout(execution: 1, attempt: 1)
        #expect(outlived)
        #expect(timing.isAbandonable(execution: 1, attempt: 1))
        guard case .timedOut? = timing.accept(result(1))?.outcome else {
            Issue.record("a result past the timeout was not timed out")
            return
        }
        #expect(!timing.isAbandonable(execution: 1, attempt: 1), "settled: nothing left to abandon")
        let unknown = timing.attemptOutlivedTimeout(execution: 7, attempt: 1)
        #expect(!unknown)
    }

    @Test("idle with nothing that could wake it: the machine fails the run as stalled, naming the buffers")
    func idleStalls() throws {
        var machine = try runningFan()
        try machine.apply(finished(1, "fan"))
        let decision = machine.decide(at: now)
        #expect(decision.waiting == nil && decision.finish?.status == .failed && decision.finish?.error?.code == .stalled)
    }
}
