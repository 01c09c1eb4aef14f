import Cairn
import CairnTesting
import Foundation
import Testing

/// A workflow's failure handler (LlamaIndex's `catch_error`): a step consuming `StepFailed`, fired when a
/// step's attempts are spent, journaled, resumed and replayed like any step, within a recovery budget.
@Suite("Failure handlers", .hangGuard)
struct FailureHandlerTests {
    struct SourceDown: Error, CustomStringConvertible {
        var description: String { "the online source is down" }
    }

    struct Feedback: Event {
        static let eventName = "test.feedback"
        var verdict: String
    }

    struct Retry: Event {
        static let eventName = "test.retry"
        var sku: String
    }

    /// The article's monitor in small: `fetch` asks a feedback source that is down; `decide` turns feedback
    /// into a decision; `recover` answers a spent `fetch` with the offline source's verdict.
    struct Monitor: Workflow {
        typealias Input = String
        typealias Output = String
        static let name = "monitor"
        let calls: Calls
        var recoveryBudget = 3
        var loopBack = false
        var handlerFails = false

        var steps: [AnyStep] {
            FunctionStep("fetch", retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1))) {
                [calls] (ask: OneOf2<StartEvent<String>, Retry>, context) -> Feedback? in
                calls.record("fetch")
                throw SourceDown()
            }
            FunctionStep("decide") { (feedback: Feedback, context) -> StopEvent<String>? in StopEvent("decided on \(feedback.verdict)") }
            FunctionStep("recover") { [calls, loopBack, handlerFails] (failed: StepFailed, context) -> OneOf2<Feedback, Retry>? in
                calls.record("recover")
                if handlerFails { throw SourceDown() }
                let sku = failed.trigger(as: StartEvent<String>.self)?.input ?? failed.trigger(as: Retry.self)?.sku ?? "?"
                return loopBack ? .second(Retry(sku: sku)) : .first(Feedback(verdict: "offline:\(sku)"))
            }
        }
    }

    @Test("a step whose attempts are spent hands a StepFailed to the handler, which recovers the run; all of it journaled")
    func recovers() async throws {
        let calls = Calls()
        let engine = Engine()
        let handle = try await engine.start(Monitor(calls: calls), input: "Apple")
        #expect(try await handle.result == "decided on offline:Apple")
        #expect(calls.count("fetch") == 2 && calls.count("recover") == 1)
        let records = try await engine.journal.records(for: handle.runID)
        let last = try #require(records.compactMap(\.finishedExecution).first { $0.step == "fetch" && $0.attempt == 2 })
        #expect(last.outcome == .failed(message: "the online source is down", retryAt: nil))
        let failed = try #require(last.emitted.first?.value as? StepFailed)
        #expect(failed.step == "fetch" && failed.attempt == 2 && failed.code == .stepFailed && failed.message == "the online source is down")
        #expect(failed.triggers.map(\.seq) == [1] && failed.elapsedSeconds >= 0)
        #expect(last.emitted.first?.seq == 2, "the StepFailed is an event of the run's journal, with its seq")
        #expect(try await engine.replayCheck(Monitor(calls: calls), run: handle.runID).divergence == nil)
        #expect(Monitor(calls: calls).graph.problems.isEmpty, "StepFailed counts as produced; the handler is reachable")
    }

    @Test("a crash after the failure was journaled: resume goes on with the handler, and the failed step does not run again")
    func resumesIntoTheHandler() async throws {
        let calls = Calls()
        // Start; fetch#1 starts; fails; fetch#2 starts; fails, journaling its StepFailed, with recover's start; recover's commit dies.
        let dying = FaultInjectingJournal(failAfter: 5)
        let first = try await Engine(journal: dying).start(Monitor(calls: calls), input: "Pear")
        await #expect(throws: (any Error).self) { _ = try await first.result }
        #expect(calls.count("fetch") == 2 && calls.count("recover") == 1)
        let resumed = try await Engine(journal: dying.base).resume(Monitor(calls: calls), run: first.runID)
        #expect(try await resumed.result == "decided on offline:Pear")
        #expect(calls.count("fetch") == 2 && calls.count("recover") == 2)
    }

    @Test("a step whose last attempt died with its process is handed to the handler on resume, and is not replayed")
    func deathIsHandled() async throws {
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, String.self) {
            FunctionStep("crashy", retry: .none) { (start: StartEvent<Int>, context) -> StopEvent<String>? in
                calls.record("crashy")
                return StopEvent("never committed")
            }
            FunctionStep("recover") { (failed: StepFailed, context) -> StopEvent<String>? in StopEvent("recovered: \(failed.message)") }
        }
        let dying = FaultInjectingJournal(failAfter: 2)  // start, crashy's start; its commit dies with the process
        let first = try await Engine(journal: dying).start(workflow, input: 0)
        await #expect(throws: (any Error).self) { _ = try await first.result }
        let engine = Engine(journal: dying.base)
        let resumed = try await engine.resume(workflow, run: first.runID)
        #expect(try await resumed.result == "recovered: it died with its process on attempt 1 of 1")
        #expect(calls.count("crashy") == 1)
        let report = try await engine.replayCheck(workflow, run: first.runID)
        #expect(report.divergence == nil && report.matchedExecutions == 1, "the handler is re-executed; the death is not")
    }

    @Test("a handler that leads back into the failure recovers at most its budget, then the run fails saying so")
    func recoveryBudget() async throws {
        let calls = Calls()
        let handle = try await Engine().start(Monitor(calls: calls, recoveryBudget: 2, loopBack: true), input: "Fig")
        await #expect { _ = try await handle.result } throws: { error in
            let error = error as? RunError
            return error?.code == .stepFailed && error?.step == "fetch" && error?.attempts == 2
                && error?.message.contains("the failure handler recovered 2 failure(s) of this run already, its recovery budget") == true
        }
        #expect(calls.count("recover") == 2 && calls.count("fetch") == 6)
    }

    @Test("a failing handler fails the run; without a handler, the step's failure does; the error carries attempts and times")
    func handlerFails() async throws {
        let calls = Calls()
        let handle = try await Engine().start(Monitor(calls: calls, handlerFails: true), input: "Kiwi")
        await #expect { _ = try await handle.result } throws: { error in
            let error = error as? RunError
            return error?.step == "recover" && error?.message.contains("(the failure handler itself failed)") == true
                && error?.attempts == 3 && error?.failedAt != nil && (error?.elapsedSeconds ?? -1) >= 0
        }
    }

    @Test("a retry time limit stops before a backoff that would pass it, and says so")
    func retryTimeLimit() async throws {
        let clock = ManualClock()
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("slow", retry: RetryPolicy(maxAttempts: 10, initialBackoff: .seconds(60), multiplier: 1, maxBackoff: .seconds(60), timeLimit: .seconds(150))) {
                (event: StartEvent<Int>, context) -> StopEvent<Int>? in
                calls.record("slow")
                throw SourceDown()
            }
        }
        let handle = try await Engine(clock: clock).start(workflow, input: 0)
        for _ in 1...2 {
            await clock.waitForSleepers(1)
            clock.advance(by: 60)
        }
        await #expect { _ = try await handle.result } throws: { error in
            (error as? RunError)?.message.contains("its retry time limit of 150.0 seconds would pass before attempt 4") == true
                && (error as? RunError)?.elapsedSeconds == 120
        }
        #expect(calls.count("slow") == 3)  // at 0, 60 and 120 s; a fourth at 180 s would pass 150 s
    }
}
