import Cairn
import CairnTesting
import Foundation
import Testing

struct Unfixable: NonRetryableError {}

@Suite("Retries, timeouts, cancellation and interruption", .hangGuard)
struct FailureTests {
    @Test("a step that throws is retried per its policy and the run completes")
    func retryThenSucceed() async throws {
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("flaky", retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1))) {
                (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                calls.record("flaky")
                if context.attempt < 3 { throw Flaky() }
                return StopEvent([context.attempt, context.executionID])
            }
        }
        let engine = Engine()
        let handle = try await engine.start(workflow, input: 0)
        #expect(try await handle.result == [3, 1])
        let outcomes = try await engine.journal.records(for: handle.runID).compactMap(\.finishedExecution).map(\.outcome)
        #expect(outcomes.count == 3)
        #expect(outcomes.last == .completed)
    }

    @Test("a step that throws on its last attempt fails the run, naming the step, its event and the error")
    func retriesExhausted() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("doomed", retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1))) {
                (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                throw Flaky()
            }
        }
        let handle = try await Engine().start(workflow, input: 0)
        await #expect {
            _ = try await handle.result
        } throws: { error in
            let error = error as? RunError
            return error?.code == .stepFailed && error?.step == "doomed" && error?.event == "cairn.start"
                && error?.message.contains("failed on attempt 2 handling 'cairn.start' (seq 1): Flaky()") == true
                && error?.message.contains("no attempts are left (2 of 2)") == true
        }
        #expect(await handle.status == .failed)
    }

    @Test("a non-retryable error ends the step at once")
    func nonRetryable() async throws {
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("strict", retry: RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(1))) {
                (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                calls.record("strict")
                throw Unfixable()
            }
        }
        await #expect {
            try await Engine().run(workflow, input: 0)
        } throws: { error in
            (error as? RunError)?.message.contains("its retry policy does not retry this error (attempt 1 of 5)") == true
        }
        #expect(calls.count("strict") == 1)
    }

    @Test("a step that ignores cancellation past its timeout is abandoned and retried; the run does not hang")
    func stepTimeoutAbandons() async throws {
        let calls = Calls()
        let neverOpens = Gate()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("stuck", retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1)), timeout: .milliseconds(50)) {
                (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                calls.record("stuck")
                if context.attempt == 1 { await neverOpens.wait() }  // ignores cancellation for ever
                return StopEvent([context.attempt])
            }
        }
        // On a manual clock: attempt 2's own timeout cannot fire before it returns, however loaded the machine.
        let clock = ManualClock()
        let engine = Engine(configuration: EngineConfiguration(cancellationGrace: .milliseconds(20)), clock: clock)
        let handle = try await engine.start(workflow, input: 0)
        for step in [0.05, 0.02, 0.001] {  // attempt 1's timeout, its grace period, the backoff before attempt 2
            await clock.waitForSleepers(1)
            clock.advance(by: step)
        }
        #expect(try await handle.result == [2])
        let outcomes = try await engine.journal.records(for: handle.runID).compactMap(\.finishedExecution).map(\.outcome)
        guard case .timedOut(let retryAt) = outcomes.first else {
            Issue.record("first attempt should be recorded timed out, got \(outcomes)")
            return
        }
        #expect(retryAt != nil)
        neverOpens.open()
    }

    @Test("a step timeout on the last attempt fails the run with step-timed-out")
    func stepTimeoutFails() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("slow", timeout: .milliseconds(20)) { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                try await Task.sleep(for: .seconds(30))
                return StopEvent([])
            }
        }
        await #expect {
            try await Engine().run(workflow, input: 0)
        } throws: { error in
            (error as? RunError)?.code == .stepTimedOut && (error as? RunError)?.step == "slow"
        }
    }

    @Test("a run that outlives its timeout ends timed_out")
    func runTimeout() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("forever") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                try await Task.sleep(for: .seconds(30))
                return StopEvent([])
            }
        }
        let handle = try await Engine().start(workflow, input: 0, options: RunOptions(timeout: .milliseconds(50)))
        await #expect(throws: RunError.self) { _ = try await handle.result }
        #expect(await handle.status == .timedOut)
    }

    @Test("cancel is terminal and journaled; resuming a cancelled run gives the recorded outcome")
    func cancel() async throws {
        let started = Gate()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("wait") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                started.open()
                try await Task.sleep(for: .seconds(30))
                return StopEvent([])
            }
        }
        let engine = Engine()
        let handle = try await engine.start(workflow, input: 0)
        await started.wait()
        handle.cancel()
        #expect(await handle.status == .cancelled)
        let again = try await engine.resume(workflow, run: handle.runID)
        #expect(await again.status == .cancelled)
        await #expect { _ = try await again.result } throws: { ($0 as? RunError)?.code == .cancelled }
    }

    @Test("interrupt lets in-flight steps commit, leaves the run resumable, and resume finishes it")
    func interruptAndResume() async throws {
        let inFlight = Gate(), release = Gate()
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("first") { (start: StartEvent<Int>, context) -> Tick? in
                calls.record("first")
                inFlight.open()
                await release.wait()
                return Tick(n: 1)
            }
            FunctionStep("second") { (tick: Tick, context) -> StopEvent<[Int]>? in
                calls.record("second")
                return StopEvent([tick.n])
            }
        }
        let engine = Engine()
        let handle = try await engine.start(workflow, input: 0)
        await inFlight.wait()
        handle.interrupt()
        release.open()  // the in-flight step finishes within the grace period and commits
        await #expect { _ = try await handle.result } throws: { ($0 as? CairnError)?.code == .interrupted }
        #expect(calls.count("second") == 0)
        let resumed = try await engine.resume(workflow, run: handle.runID)
        #expect(try await resumed.result == [1])
        #expect(calls.count("first") == 1)  // committed before the interrupt: never runs again
        #expect(calls.count("second") == 1)
    }
}
