import Cairn
import CairnTesting
import Foundation
import Synchronization
import Testing

/// Runs a commit starts (the outbox): `context.start` of a child, whose end comes back as `ChildRunEnded`, and
/// `context.publish`, which starts one run of every subscribing workflow — each journaled in the commit that
/// started it, once, linked to it.
@Suite("Runs started by a commit", .hangGuard)
struct StartedRunTests {
    struct Doubler: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "doubler"
        var steps: [AnyStep] {
            FunctionStep("double") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                if start.input < 0 { throw CairnError(.invalidInput, "a negative input") }
                return StopEvent(start.input * 2)
            }
        }
    }

    /// Starts a doubler and ends with its result plus one, from the child's end event.
    static func parent(failFirst: Bool = false, detached: Bool = false) -> TestWorkflow<Int, Int> {
        let attempts = Mutex(0)
        return TestWorkflow(Int.self, Int.self) {
            FunctionStep("ask", retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1))) {
                (start: StartEvent<Int>, context) -> NoEvent? in
                try context.start(Doubler(), input: start.input, detached: detached)
                let attempt = attempts.withLock { $0 += 1; return $0 }
                if failFirst && attempt == 1 { throw Flaky() }
                return nil
            }
            FunctionStep("settle") { (ended: ChildRunEnded<Doubler>, context) -> StopEvent<Int>? in
                StopEvent(try ended.get() + 1)
            }
        }
    }

    struct Flaky: Error {}

    @Test("a started child runs once its parent's commit is journaled, and its end comes back to the parent as a typed event")
    func startedChildReportsItsEnd() async throws {
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal).start(Self.parent(), input: 20)
        #expect(try await handle.result == 41)
        let child = RunID.child(of: handle.runID, execution: 1, call: "start:doubler#1")
        guard case .runStarted(let started)? = try await journal.records(for: child).first else {
            Issue.record("no child run \(child)")
            return
        }
        #expect(started.parent == ParentLink(run: handle.runID, executionID: 1, reportsEndAs: ChildRunEnded<Doubler>.eventName))
        let received = try await journal.records(for: handle.runID).compactMap { record -> [JournaledEvent]? in
            if case .eventsReceived(let received) = record { received.events } else { nil }
        }.flatMap { $0 }
        #expect(received.map(\.name) == ["cairn.child-ended.doubler"])
    }

    @Test("an attempt that started a child and then failed started nothing: the retry starts the one child")
    func failedAttemptStartsNothing() async throws {
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal).start(Self.parent(failFirst: true), input: 1)
        #expect(try await handle.result == 3)
        #expect(journal.runIDs.count == 2, "the parent and one child")
    }

    @Test("a child that fails reports its failure: get() throws ChildRunFailed with the child's error")
    func failedChildReports() async throws {
        let outcome = Mutex<String?>(nil)
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("ask") { (start: StartEvent<Int>, context) -> NoEvent? in
                try context.start(Doubler(), input: -1)
                return nil
            }
            FunctionStep("settle") { (ended: ChildRunEnded<Doubler>, context) -> StopEvent<Int>? in
                do {
                    _ = try ended.get()
                } catch let failed as ChildRunFailed {
                    outcome.withLock { $0 = failed.description }
                }
                return StopEvent(0)
            }
        }
        _ = try await Engine().run(workflow, input: 0)
        let said = outcome.withLock { $0 } ?? ""
        #expect(said.contains("of workflow 'doubler' did not complete") && said.contains("a negative input"), "\(said)")
    }

    @Test("cancelling a parent cancels the children it started, but not one started detached")
    func cancelSparesDetached() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let workflow = TestWorkflow(Int.self, Int.self, accepting: [Go.self]) {
            FunctionStep("ask") { (start: StartEvent<Int>, context) -> NoEvent? in
                try context.start(Waiter(), input: 1)
                try context.start(Waiter(), input: 2, detached: true)
                return nil
            }
            FunctionStep("never") { (go: Go, context) -> StopEvent<Int>? in StopEvent(0) }
        }
        let handle = try await engine.start(workflow, input: 0)
        let attached = RunID.child(of: handle.runID, execution: 1, call: "start:waiter#1")
        let detached = RunID.child(of: handle.runID, execution: 1, call: "start:waiter#2")
        try await awaitRecord(of: attached, in: journal) { $0.isWaiting }
        try await awaitRecord(of: detached, in: journal) { $0.isWaiting }
        try await engine.cancel(run: handle.runID)
        try await awaitRecord(of: attached, in: journal) { if case .runFinished(let end) = $0 { end.status == .cancelled } else { false } }
        #expect(try await journal.records(for: detached).last?.isWaiting == true)
        try await engine.send(Go(), to: detached)
        try await awaitRecord(of: detached, in: journal) { if case .runFinished(let end) = $0 { end.status == .completed } else { false } }
    }

    struct Go: Event {
        static let eventName = "test.go"
    }

    struct Waiter: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "waiter"
        var accepts: [any Event.Type] { [Go.self] }
        var steps: [AnyStep] {
            FunctionStep("begin") { (start: StartEvent<Int>, context) -> NoEvent? in nil }
            FunctionStep("go") { (go: Go, context) -> StopEvent<Int>? in StopEvent(1) }
        }
    }

    // MARK: Publications

    struct Trade: Event {
        static let eventName = "test.trade"
        var units: Int
    }

    struct Station: Subscriber {
        typealias Input = Trade
        typealias Output = Int
        static let name = "station"
        var steps: [AnyStep] {
            FunctionStep("book") { (start: StartEvent<Trade>, context) -> StopEvent<Int>? in StopEvent(start.input.units) }
        }
    }

    struct Tally: Subscriber {
        typealias Input = Trade
        typealias Output = Int
        static let name = "tally"
        var steps: [AnyStep] {
            FunctionStep("count") { (start: StartEvent<Trade>, context) -> StopEvent<Int>? in StopEvent(1) }
        }
    }

    static let publisher = TestWorkflow(Int.self, Int.self) {
        FunctionStep("decide") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
            for units in 1...start.input { try context.publish(Trade(units: units)) }
            try context.publish(Go())  // nobody subscribes: kept all the same
            return StopEvent(start.input)
        }
    }

    @Test("a publication starts one run of each subscribing workflow with the event as input, linked to the published event")
    func publicationStartsSubscribers() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal, workflows: [WorkflowRegistration(Station()), WorkflowRegistration(Tally()),
                                                          WorkflowRegistration(Self.publisher)])
        let handle = try await engine.start(Self.publisher, input: 2)
        #expect(try await handle.result == 2)
        let events = try await journal.records(for: handle.runID).compactMap(\.finishedExecution).flatMap(\.emitted)
        let published = events.filter(\.published)
        #expect(published.map(\.name) == ["test.trade", "test.trade", "test.go"], "every publication is journaled, the unsubscribed one too")
        var units: [Int] = []
        for (index, event) in published.prefix(2).enumerated() {
            for subscriber in ["station", "tally"] {
                let id = RunID.child(of: handle.runID, execution: 1, call: "publish:test.trade#\(index + 1)/\(subscriber)")
                try await awaitRecord(of: id, in: journal) { if case .runFinished = $0 { true } else { false } }
                let records = try await journal.records(for: id)
                guard case .runStarted(let started)? = records.first, case .runFinished(let end)? = records.last else { continue }
                #expect(started.workflow == subscriber && started.parent?.publishedSeq == event.seq && started.parent?.detached == true)
                if subscriber == "station", let result = end.result {
                    units.append(try JSONDecoder().decode(StopEvent<Int>.self, from: result).result)
                }
            }
        }
        #expect(units == [1, 2])
        #expect(journal.runIDs.count == 5, "the publisher and four subscriber runs")
    }

    @Test("an engine with registered workflows refuses to start one it does not know, naming those it does, and journals nothing of it")
    func unregisteredChildIsRefused() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal, workflows: [WorkflowRegistration(Station())])
        await #expect { try await engine.run(Self.parent(), input: 1) } throws: { error in
            let message = (error as? RunError)?.message ?? ""
            return message.contains("workflow 'doubler', which is not registered: register it beside 'station'")
        }
        #expect(journal.runIDs.count == 1)
    }

    struct Looper: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "looper"
        var steps: [AnyStep] {
            FunctionStep("again") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                try context.start(Looper(), input: start.input + 1, detached: true)
                return StopEvent(start.input)
            }
        }
    }

    @Test("workflows that start each other in a cycle stop at the depth limit, the last run failing with a sentence")
    func cyclesAreBounded() async throws {
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal).start(Looper(), input: 0)
        var last = handle.runID
        for _ in 1...ParentLink.maximumDepth { last = RunID.child(of: last, execution: 1, call: "start:looper#1") }
        try await awaitRecord(of: last, in: journal) { if case .runFinished = $0 { true } else { false } }
        guard case .runFinished(let end)? = try await journal.records(for: last).last else { return }
        #expect(end.status == .failed && end.error?.message.contains("runs deep, past the limit of 32") == true)
        #expect(journal.runIDs.count == ParentLink.maximumDepth + 1)
    }

    @Test("replay --check of a parent that started a child and published re-executes its steps and starts nothing")
    func replayStartsNothing() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal, workflows: [WorkflowRegistration(Station()), WorkflowRegistration(Self.publisher)])
        let published = try await engine.start(Self.publisher, input: 2)
        _ = try await published.result
        let parent = try await Engine(journal: journal).start(Self.parent(), input: 5)
        #expect(try await parent.result == 11)
        try await awaitRecord(of: RunID.child(of: published.runID, execution: 1, call: "publish:test.trade#2/station"), in: journal) {
            if case .runFinished = $0 { true } else { false }
        }
        let runs = journal.runIDs.count
        let replayedPublisher = try await engine.replayCheck(Self.publisher, run: published.runID)
        let replayedParent = try await engine.replayCheck(Self.parent(), run: parent.runID)
        #expect(replayedPublisher.divergence == nil && replayedPublisher.matchedExecutions == 1)
        #expect(replayedParent.divergence == nil && replayedParent.matchedExecutions == 2)
        #expect(journal.runIDs.count == runs, "replay started no run")
    }

    @Test("a fork of a parent taken after its child ended reuses the child's end: no second child starts")
    func forkReusesTheChild() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let parent = try await engine.start(Self.parent(), input: 5)
        #expect(try await parent.result == 11)
        let runs = journal.runIDs.count
        // Seq 2 is the child's end, received; the fork runs `settle` again on it, and `ask` never.
        let fork = try await engine.fork(Self.parent(), run: parent.runID, at: 2)
        #expect(try await fork.handle.result == 11)
        #expect(journal.runIDs.count == runs + 1, "the fork, and no second child")
    }
}
