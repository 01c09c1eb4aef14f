import Cairn
import CairnTesting
import Foundation
import Testing

/// Deadlines, backoffs and grace periods on an injected clock: the test moves time, nothing sleeps.
@Suite("The engine's clock", .hangGuard)
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

/// Times that could overflow: refused at validation or at start with a sentence, or slept in pieces.
@Suite("Arithmetic that cannot trap", .hangGuard)
struct OverflowTests {
    @Test("step timeouts and retry time limits of zero or past a hundred years are validation problems, named")
    func limitsValidated() {
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("forever", timeout: .seconds(Int64.max)) { (start: StartEvent<Int>, context) -> Tick? in Tick(n: 1) }
            FunctionStep("never", retry: RetryPolicy(maxAttempts: .max, timeLimit: .zero)) { (tick: Tick, context) -> StopEvent<Int>? in
                StopEvent(1)
            }
        }
        let problems = workflow.graph.problems
        #expect(problems.contains { $0.hasPrefix("the timeout of step 'forever' is") && $0.hasSuffix("at most a hundred years") })
        #expect(problems.contains { $0.hasPrefix("the retry time limit of step 'never' is 0.0 seconds") }, "\(problems)")
        #expect(problems.count == 2)
    }

    @Test("a run timeout past a hundred years is refused before anything is journaled")
    func runTimeoutBounded() async throws {
        let engine = Engine()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("one") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in StopEvent(1) }
        }
        let id = RunID()
        await #expect { _ = try await engine.start(workflow, input: 0, options: RunOptions(id: id, timeout: .seconds(Int64.max))) } throws: {
            ($0 as? CairnError)?.code == .invalidInput && "\($0)".contains("the run timeout is")
        }
        #expect(try await engine.journal.contains(id) == false)
    }

    @Test("the system clock sleeps toward a deadline however far, and stops when cancelled")
    func farDeadline() async throws {
        let sleeper = Task { try await SystemClock().sleep(until: Date(timeIntervalSinceNow: 1e19)) }  // 1e22 ms: past Int64
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }
}
