import Cairn
import CairnTesting
import Foundation
import Testing

/// Child runs: `context.call(Child(), input:)` starts a run linked to its parent under an id derived from the
/// parent, execution and call, returns its result (memoised in the parent's journal), re-attaches to it when
/// the step runs again, and throws `ChildRunFailed` when it does not complete.
@Suite("Child runs", .hangGuard)
struct ChildRunTests {
    struct Go: Event {
        static let eventName = "test.go"
        var n: Int
    }

    struct Doubler: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "doubler"
        var waits = false
        var accepts: [any Event.Type] { [Go.self] }
        var steps: [AnyStep] {
            FunctionStep("double") { [waits] (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                if start.input < 0 { throw CairnError(.invalidInput, "a negative input") }
                let extra = waits ? try await context.waitFor(Go.self).n : 0
                return StopEvent(start.input * 2 + extra)
            }
        }
    }

    static func parent(waits: Bool = false, gate: Gate? = nil) -> TestWorkflow<Int, Int> {
        TestWorkflow(Int.self, Int.self) {
            FunctionStep("ask") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                let doubled = try await context.call(Doubler(waits: waits), input: start.input)
                await gate?.wait()
                return StopEvent(doubled + 1)
            }
        }
    }

    @Test("the child's result comes back; the child is a run of its own, linked to its parent, under the derived id")
    func callReturnsTheResult() async throws {
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal).start(Self.parent(), input: 20)
        #expect(try await handle.result == 41)
        let child = RunID.child(of: handle.runID, execution: 1, call: "call:doubler#1")
        guard case .runStarted(let started)? = try await journal.records(for: child).first else {
            Issue.record("no child run \(child)")
            return
        }
        #expect(started.parent == ParentLink(run: handle.runID, executionID: 1) && started.workflow == "doubler")
        #expect(journal.runIDs.count == 2)
    }

    @Test("a parent step that runs again after an interrupt re-attaches to its child, which it never starts twice")
    func rerunReattaches() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal, configuration: EngineConfiguration(interruptGrace: .milliseconds(1)))
        let handle = try await engine.start(Self.parent(waits: true), input: 5)
        let child = RunID.child(of: handle.runID, execution: 1, call: "call:doubler#1")
        try await awaitRecord(of: child, in: journal) { $0.isWaiting }
        handle.interrupt()
        await #expect(throws: CairnError.self) { try await handle.result }
        let resumed = try await engine.resume(Self.parent(waits: true), run: handle.runID)
        try await engine.send(Go(n: 100), to: child)
        #expect(try await resumed.result == 111)
        #expect(journal.runIDs.count == 2, "one child")
        let starts = try await journal.records(for: child).filter { if case .runStarted = $0 { true } else { false } }
        #expect(starts.count == 1)
    }

    @Test("a child that fails makes the call throw ChildRunFailed, naming the child and carrying its error")
    func childFailure() async throws {
        await #expect { try await Engine().run(Self.parent(), input: -1) } throws: { error in
            let message = (error as? RunError)?.message ?? ""
            return message.contains("child run") && message.contains("of workflow 'doubler' did not complete") && message.contains("a negative input")
        }
    }

    @Test("cancelling a parent cancels its unfinished child")
    func cancelReachesTheChild() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Self.parent(waits: true), input: 1)
        let child = RunID.child(of: handle.runID, execution: 1, call: "call:doubler#1")
        try await awaitRecord(of: child, in: journal) { $0.isWaiting }
        handle.cancel()
        #expect(await handle.status == .cancelled)
        try await awaitRecord(of: child, in: journal) { if case .runFinished(let end) = $0 { end.status == .cancelled } else { false } }
        #expect(try await journal.summary(of: child)?.status == .cancelled)
    }

    @Test("cancelling a child directly while its parent waits in the call makes the call throw ChildRunFailed with code cancelled")
    func childCancelledDirectly() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Self.parent(waits: true), input: 1)
        let child = RunID.child(of: handle.runID, execution: 1, call: "call:doubler#1")
        try await awaitRecord(of: child, in: journal) { $0.isWaiting }
        try await engine.cancel(run: child)
        await #expect { try await handle.result } throws: { error in
            let message = (error as? RunError)?.message ?? ""
            return message.contains("child run \(child) of workflow 'doubler' did not complete") && message.contains("cancel")
        }
    }
}
