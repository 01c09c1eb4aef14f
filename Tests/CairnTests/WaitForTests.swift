import Cairn
import CairnTesting
import Foundation
import Testing

/// `context.waitFor` — the human in the loop inside a step: the open wait and its answer are journaled, the
/// answer goes to no subscriber, a re-run gets the answer back instead of asking again, and the timeout is an
/// absolute time in the journal.
@Suite("Waits inside a step", .hangGuard)
struct WaitForTests {
    struct Approval: Event {
        static let eventName = "test.approval"
        var order: Int
        var by: String
    }

    struct Seen: Event {
        static let eventName = "test.seen"
        var by: String
    }

    static func records<T>(_ journal: InMemoryJournal, _ run: RunID, _ pick: (JournalRecord) -> T?) async throws -> [T] {
        try await journal.records(for: run).compactMap(pick)
    }

    /// Waits for the approval of its input's order, paying for one call before and one after.
    static func approver(calls: Calls, gate: Gate? = nil, timeout: Duration? = nil) -> TestWorkflow<Int, String> {
        TestWorkflow(Int.self, String.self, accepting: [Approval.self]) {
            FunctionStep("approve") { (start: StartEvent<Int>, context) -> StopEvent<String>? in
                _ = try await context.run("before") { calls.record("before"); return 1 }
                let approval: Approval
                do {
                    approval = try await context.waitFor(Approval.self, where: { $0.order == start.input }, timeout: timeout)
                } catch let timedOut as WaitTimedOut {
                    return StopEvent("no answer by \(timedOut.deadline.timeIntervalSince1970)")
                }
                _ = try await context.run("after") { calls.record("after"); return 2 }
                await gate?.wait()
                return StopEvent("order \(approval.order) approved by \(approval.by)")
            }
        }
    }

    @Test("the wait is journaled and the run waits; an event it does not match is kept, the one it matches answers it and reaches no subscriber")
    func waitAndAnswer() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let calls = Calls()
        let handle = try await engine.start(Self.approver(calls: calls), input: 7)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        #expect(try await journal.summary(of: handle.runID)?.status == .waiting)
        guard case .runWaiting(let waiting)? = try await journal.records(for: handle.runID).last else { return }
        #expect(waiting.events == ["test.approval"] && waiting.reasons.first?.contains("step 'approve' (execution 1) to get 'test.approval'") == true)

        try await engine.send(Approval(order: 8, by: "wrong order"), to: handle.runID)
        try await engine.send(Approval(order: 7, by: "ada"), to: handle.runID)
        #expect(try await handle.result == "order 7 approved by ada")
        let received = try await Self.records(journal, handle.runID) { record -> [JournaledEvent]? in
            if case .eventsReceived(let received) = record { return received.events }
            return nil
        }.flatMap { $0 }
        #expect(received.map(\.answers) == [nil, WaitRef(executionID: 1, key: "wait:test.approval#1")])
        #expect(calls.count("before") == 1 && calls.count("after") == 1)
    }

    @Test("an answered wait is not asked again when its attempt re-runs: the answer comes back from the journal, paid calls are not paid twice")
    func answerSurvivesARerun() async throws {
        let journal = InMemoryJournal()
        let calls = Calls()
        let gate = Gate()
        let configuration = EngineConfiguration(interruptGrace: .milliseconds(1))
        let engine = Engine(journal: journal, configuration: configuration)
        let handle = try await engine.start(Self.approver(calls: calls, gate: gate), input: 3)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        try await engine.send(Approval(order: 3, by: "bo"), to: handle.runID)
        try await awaitRecord(of: handle.runID, in: journal) { if case .sideEffect(let effect) = $0 { effect.key == "after#1" } else { false } }
        handle.interrupt()
        await #expect(throws: CairnError.self) { try await handle.result }
        gate.open()
        let resumed = try await Engine(journal: journal).resume(Self.approver(calls: calls, gate: gate), run: handle.runID)
        #expect(try await resumed.result == "order 3 approved by bo")
        let opened = try await Self.records(journal, handle.runID) { if case .waitOpened(let opened) = $0 { opened } else { nil } }
        #expect(opened.count == 1, "the re-run asked nothing")
        #expect(calls.count("before") == 1 && calls.count("after") == 1)
    }

    @Test("a wait's timeout is an absolute time in the journal: it throws WaitTimedOut in the step when the clock reaches it")
    func timeout() async throws {
        let clock = ManualClock()
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal, clock: clock).start(Self.approver(calls: Calls(), timeout: .seconds(60)), input: 1)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        guard case .runWaiting(let waiting)? = try await journal.records(for: handle.runID).last else { return }
        let deadline = clock.now.addingTimeInterval(60)
        #expect(waiting.wakeAt == deadline)
        clock.advance(by: 60)
        #expect(try await handle.result == "no answer by \(deadline.timeIntervalSince1970)")
        let fired = try await Self.records(journal, handle.runID) { if case .timersFired(let fired) = $0 { fired } else { nil } }
        #expect(fired.map(\.waits) == [[WaitRef(executionID: 1, key: "wait:test.approval#1")]])
    }

    @Test("an event received before the wait opens, that no step takes, answers the wait at once")
    func keptEventAnswersALaterWait() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let gate = Gate(), entered = Gate()
        let workflow = TestWorkflow(Int.self, String.self, accepting: [Approval.self]) {
            FunctionStep("later") { (start: StartEvent<Int>, context) -> StopEvent<String>? in
                entered.open()
                await gate.wait()
                return StopEvent(try await context.waitFor(Approval.self).by)
            }
        }
        let handle = try await engine.start(workflow, input: 1)
        await entered.wait()
        try await engine.send(Approval(order: 1, by: "early"), to: handle.runID)
        try await awaitRecord(of: handle.runID, in: journal) { if case .eventsReceived = $0 { true } else { false } }
        gate.open()
        #expect(try await handle.result == "early")
        let answered = try await Self.records(journal, handle.runID) { if case .waitAnswered(let answered) = $0 { answered } else { nil } }
        #expect(answered.map(\.seq) == [2])
    }

    @Test("a matching event goes to the wait, not to a step subscribed to its type; the next one goes to the subscriber")
    func waitBeforeSubscriber() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let workflow = TestWorkflow(Int.self, String.self, accepting: [Approval.self]) {
            FunctionStep("ask") { (start: StartEvent<Int>, context) -> Seen? in
                Seen(by: try await context.waitFor(Approval.self).by)
            }
            FunctionStep("subscriber") { (approval: Approval, context) -> Seen? in Seen(by: "subscriber saw " + approval.by) }
            CountedJoinStep("both", count: 2, of: Seen.self) { (seen, context) -> StopEvent<String>? in
                StopEvent(seen.map(\.by).sorted().joined(separator: ", "))
            }
        }
        let handle = try await engine.start(workflow, input: 1)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        try await engine.send(Approval(order: 1, by: "first"), to: handle.runID)
        try await engine.send(Approval(order: 1, by: "second"), to: handle.runID)
        #expect(try await handle.result == "first, subscriber saw second")
    }

    @Test("several waits open at once are each answered by the event their predicate matches, whatever the order sent")
    func severalWaits() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let workflow = TestWorkflow(Int.self, String.self, accepting: [Approval.self]) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> Seen? in
                try context.send(Seen(by: "1"))
                return Seen(by: "2")
            }
            FunctionStep("ask", workers: 2) { (seen: Seen, context) -> Approval? in
                let order = Int(seen.by)!
                let answer = try await context.waitFor(Approval.self, where: { $0.order == order })
                return Approval(order: order, by: answer.by)
            }
            CountedJoinStep("both", count: 2, of: Approval.self) { (answers, context) -> StopEvent<String>? in
                StopEvent(answers.sorted { $0.order < $1.order }.map { "\($0.order):\($0.by)" }.joined(separator: " "))
            }
        }
        let handle = try await engine.start(workflow, input: 0)
        try await awaitRecord(of: handle.runID, in: journal) { record in
            if case .runWaiting(let waiting) = record { waiting.reasons.filter { $0.contains("to get") }.count == 2 } else { false }
        }
        try await engine.send(Approval(order: 2, by: "bo"), to: handle.runID)
        try await engine.send(Approval(order: 1, by: "ada"), to: handle.runID)
        #expect(try await handle.result == "1:ada 2:bo")
    }

    @Test("a wait for an event the workflow does not accept, or with a timeout that is not positive, is refused with a sentence")
    func badWaits() async throws {
        let workflow = TestWorkflow(Int.self, String.self, accepting: [Approval.self]) {
            FunctionStep("bad") { (start: StartEvent<Int>, context) -> StopEvent<String>? in
                if start.input == 0 { _ = try await context.waitFor(Seen.self) } else { _ = try await context.waitFor(Approval.self, timeout: .zero) }
                return StopEvent("unreached")
            }
        }
        for (input, says) in [(0, "which workflow 'test' does not accept from outside"), (1, "a timeout must be positive")] {
            await #expect { try await Engine().run(workflow, input: input) } throws: { error in
                ((error as? RunError)?.message ?? "").contains(says)
            }
        }
    }
}
