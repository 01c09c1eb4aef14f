import Cairn
import CairnTesting
import Foundation
import Testing

/// Deadlines, backoffs and grace periods on an injected clock: the test moves time, nothing sleeps.
@Suite("The engine's clock", .timeLimit(.minutes(1)))
struct ClockTests {
    @Test("a retry an hour away runs when the clock reaches it, at the absolute time the journal holds")
    func retryBackoff() async throws {
        let clock = ManualClock()
        let start = clock.now
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("flaky", retry: RetryPolicy(maxAttempts: 2, initialBackoff: .seconds(3600), maxBackoff: .seconds(3600))) {
                (event: StartEvent<Int>, context) -> StopEvent<Int>? in
                calls.record("flaky")
                if context.attempt == 1 { throw Flaky() }
                return StopEvent(context.attempt)
            }
        }
        let engine = Engine(clock: clock)
        let handle = try await engine.start(workflow, input: 0)
        await clock.waitForSleepers(1)  // the retry's timer
        clock.advance(by: 3599)
        #expect(clock.sleeperCount == 1 && calls.count("flaky") == 1)
        clock.advance(by: 1)
        #expect(try await handle.result == 2)
        let records = try await engine.journal.records(for: handle.runID)
        guard case .failed(_, let retryAt)? = records.compactMap(\.finishedExecution).first?.outcome else {
            Issue.record("the first attempt did not fail")
            return
        }
        #expect(retryAt == start.addingTimeInterval(3600))
        let second = records.compactMap { record -> ExecutionStarted? in
            if case .executionStarted(let started) = record, started.attempt == 2 { return started }
            return nil
        }
        #expect(second.map(\.at) == [start.addingTimeInterval(3600)])
    }

    @Test("a run timeout ends the run when the clock passes its deadline, with its steps still running")
    func runTimeout() async throws {
        let clock = ManualClock()
        let gate = Gate()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("stuck") { (event: StartEvent<Int>, context) -> StopEvent<Int>? in
                await gate.wait()
                return StopEvent(1)
            }
        }
        let handle = try await Engine(clock: clock).start(workflow, input: 0, options: RunOptions(timeout: .seconds(60)))
        await clock.waitForSleepers(1)  // the run's deadline
        clock.advance(by: 60)
        await #expect { _ = try await handle.result } throws: { ($0 as? RunError)?.code == .runTimedOut }
        #expect(await handle.status == .timedOut)
        gate.open()
    }

    @Test("an interrupt gives steps in flight the grace period on the clock, then stops the run resumable")
    func interruptGrace() async throws {
        let clock = ManualClock()
        let gate = Gate(), entered = Gate()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("stuck") { (event: StartEvent<Int>, context) -> StopEvent<Int>? in
                entered.open()
                await gate.wait()
                return StopEvent(1)
            }
        }
        let engine = Engine(configuration: EngineConfiguration(interruptGrace: .seconds(5)), clock: clock)
        let handle = try await engine.start(workflow, input: 0)
        await entered.wait()
        handle.interrupt()
        await clock.waitForSleepers(1)  // the grace period's end
        clock.advance(by: 5)
        await #expect { _ = try await handle.result } throws: { ($0 as? CairnError)?.code == .interrupted }
        guard case .runInterrupted(let interrupted)? = try await engine.journal.records(for: handle.runID).last else {
            Issue.record("no interruption journaled")
            return
        }
        #expect(interrupted.abandoned == [1] && interrupted.at == clock.now)
        gate.open()
    }
}
