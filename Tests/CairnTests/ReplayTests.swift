import Cairn
import CairnInventory
import CairnTesting
import Foundation
import Testing

@Suite("replay --check", .hangGuard)
struct ReplayTests {
    let votes = ScriptedFeedback(verdicts: [.online: [.good, .bad], .offline: [.good, .bad], .trend: [.bad, .bad]])

    @Test("today's code reproduces the recorded run: no divergence, every committed execution matched")
    func cleanReplay() async throws {
        let engine = Engine()
        let handle = try await engine.start(ComplexFeedbackMonitor(source: votes), input: MonitorInput(sku: "Apple", cycles: 2, delayMs: 0))
        _ = try await handle.result
        let report = try await engine.replayCheck(ComplexFeedbackMonitor(source: votes), run: handle.runID)
        #expect(report.divergence == nil)
        #expect(report.matchedExecutions == 13)  // begin ×3, three sources ×2, the join ×2, trade ×2
        #expect(votes.calls.count("online") == 2)  // replay reused the memoised feedback: no new calls
    }

    @Test("a changed vote threshold is caught at the first decision it changes, naming step, event and seq")
    func changedRule() async throws {
        let engine = Engine()
        let handle = try await engine.start(ComplexFeedbackMonitor(source: votes), input: MonitorInput(sku: "Apple", cycles: 2, delayMs: 0))
        _ = try await handle.result
        // Round 1 voted Good 2–1: ordering only on a unanimous Good would have cleared instead.
        let report = try await engine.replayCheck(ComplexFeedbackMonitor(source: votes, orderVotes: 3), run: handle.runID)
        let divergence = try #require(report.divergence)
        #expect(divergence.step == "trading_decision")
        #expect(divergence.event == "inventory.online-feedback")
        #expect(divergence.expected.contains(#""decision":"Good""#))
        #expect(divergence.got.contains(#""decision":"Bad""#))
        #expect(report.matchedExecutions == 4)  // begin and the three sources of round 1 still match
    }

    @Test("a step that now reads more journaled values than it did diverges")
    func extraRandomness() async throws {
        let engine = Engine()
        let recorded = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("dice") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in StopEvent([context.random(in: 1...6)]) }
        }
        let handle = try await engine.start(recorded, input: 0, options: RunOptions(seed: 1))
        _ = try await handle.result
        let changed = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("dice") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                StopEvent([context.random(in: 1...6), context.random(in: 1...6)])
            }
        }
        let report = try await engine.replayCheck(changed, run: handle.runID)
        #expect(report.divergence?.got.contains("read random where the recorded attempt read nothing more") == true)
        #expect(try await engine.replayCheck(recorded, run: handle.runID).divergence == nil)
    }
}

@Suite("fork", .hangGuard)
struct ForkEngineTests {
    /// pay (a memoised side effect) → Tick → done, on a journal that lets the first attempt journal its side
    /// effect and then dies before the commit; the resumed attempt 2 commits on the memoised result.
    func crashedAndResumed() async throws -> (InMemoryJournal, RunID, TestWorkflow<Int, [Int]>) {
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("pay") { (start: StartEvent<Int>, context) -> Tick? in
                Tick(n: try await context.run("charge") { () -> Int in
                    calls.record("charge")
                    return 7
                })
            }
            FunctionStep("done") { (tick: Tick, context) -> StopEvent<[Int]>? in StopEvent([tick.n]) }
        }
        let crashing = FaultInjectingJournal(failAfter: 3)  // start, execution start, side effect; the commit fails
        let first = try await Engine(journal: crashing).start(workflow, input: 0)
        _ = try? await first.result
        let resumed = try await Engine(journal: crashing.base).resume(workflow, run: first.runID)
        #expect(try await resumed.result == [7])
        #expect(calls.count("charge") == 1)
        return (crashing.base, first.runID, workflow)
    }

    @Test("a fork keeps the side effects its committed executions used, so it replays clean")
    func forkKeepsMemoisedResults() async throws {
        let (journal, runID, workflow) = try await crashedAndResumed()
        let engine = Engine(journal: journal)
        // At the stop (seq 3): pay's attempt 2 is in the prefix and is re-executed by the check, which needs
        // the result attempt 1 journaled (done's commit, which journaled seq 3, is taken as given).
        let fork = try await engine.fork(workflow, run: runID, at: 3)
        #expect(try await fork.handle.result == [7])
        #expect(fork.note == nil)
        let report = try await engine.replayCheck(workflow, run: fork.handle.runID)
        #expect(report.divergence == nil, "\(String(describing: report.divergence))")
        #expect(report.matchedExecutions == 1)
    }

    @Test("a fork with an edited event continues from it; the original is untouched")
    func forkWithPatch() async throws {
        let (journal, runID, workflow) = try await crashedAndResumed()
        let engine = Engine(journal: journal)
        let fork = try await engine.fork(workflow, run: runID, at: 2, patch: Data(#"{"n": 99}"#.utf8))
        #expect(try await fork.handle.result == [99])
        #expect(try await engine.resume(workflow, run: runID).result == [7])
        await #expect(throws: CairnError.self) { _ = try await engine.fork(workflow, run: runID, at: 2, patch: Data(#"{"n": "x"}"#.utf8)) }
    }

    @Test("fork at the last failure runs the failed step afresh under today's code; at a step, from that step's first trigger")
    func forkAtFailureAndStep() async throws {
        let engine = Engine()
        let broken = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("tick") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: start.input) }
            FunctionStep("done", retry: .none) { (tick: Tick, context) -> StopEvent<[Int]>? in
                throw CairnError(.invalidInput, "tick \(tick.n) is not accepted")
            }
        }
        let failed = try await engine.start(broken, input: 5)
        await #expect(throws: RunError.self) { _ = try await failed.result }
        let fixed = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("tick") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: start.input) }
            FunctionStep("done") { (tick: Tick, context) -> StopEvent<[Int]>? in StopEvent([tick.n, 1]) }
        }
        let retried = try await engine.fork(fixed, run: failed.runID, at: .lastFailure)
        #expect(retried.seq == 2)  // done's trigger: the Tick
        #expect(try await retried.handle.result == [5, 1])

        let fromTick = try await engine.fork(fixed, run: retried.handle.runID, at: .firstExecution(ofStep: "tick"))
        #expect(fromTick.seq == 1)
        #expect(try await fromTick.handle.result == [5, 1])

        await #expect { _ = try await engine.fork(fixed, run: retried.handle.runID, at: .lastFailure) } throws: { error in
            (error as? CairnError)?.code == .invalidInput && "\(error)".contains("has no failed step execution")
        }
        await #expect { _ = try await engine.fork(fixed, run: retried.handle.runID, at: .firstExecution(ofStep: "nope")) } throws: { error in
            (error as? CairnError)?.code == .invalidInput && "\(error)".contains("never ran step 'nope'; its steps ran: done, tick")
        }
    }
}

/// `replay --check` re-executes failed attempts too, and checks many runs at once as a deploy gate.
@Suite("replay --check of failures, and the deploy gate", .hangGuard)
struct ReplayGateTests {
    struct Refused: Error, CustomStringConvertible {
        let why: String
        var description: String { "refused: \(why)" }
    }

    /// One step: `fails(input, attempt)` says why it throws, or `nil` to finish with the input doubled.
    static func workflow(name: String = "test", _ fails: @escaping @Sendable (Int, Int) -> String?) -> TestWorkflow<Int, [Int]> {
        TestWorkflow(Int.self, [Int].self) {
            FunctionStep("work", retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1))) {
                (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                if let why = fails(start.input, context.attempt) { throw Refused(why: why) }
                return StopEvent([start.input * 2])
            }
        }
    }

    @Test("a failed attempt is re-executed: failing the same way matches; succeeding now, or failing otherwise, diverges")
    func failedAttempts() async throws {
        let engine = Engine()
        let flaky = Self.workflow { _, attempt in attempt == 1 ? "flaky" : nil }
        let handle = try await engine.start(flaky, input: 3)
        #expect(try await handle.result == [6])
        let same = try await engine.replayCheck(flaky, run: handle.runID)
        #expect(same.divergence == nil && same.matchedExecutions == 2)  // the failed attempt and the committed one

        let fixed = try await engine.replayCheck(Self.workflow { _, _ in nil }, run: handle.runID)
        #expect(fixed.divergence?.attempt == 1 && fixed.divergence?.expected == "failed: refused: flaky")
        #expect(fixed.divergence?.got == "completed, emitting cairn.stop")

        let otherwise = try await engine.replayCheck(Self.workflow { _, attempt in attempt == 1 ? "busy" : nil }, run: handle.runID)
        #expect(otherwise.divergence?.expected == "failed: refused: flaky" && otherwise.divergence?.got == "failed: refused: busy")
    }

    @Test("a run that failed says 'no divergence' only under code that still fails it")
    func failedRun() async throws {
        let engine = Engine()
        let broken = Self.workflow { _, _ in "always" }
        let handle = try await engine.start(broken, input: 1)
        await #expect(throws: RunError.self) { _ = try await handle.result }
        #expect(try await engine.replayCheck(broken, run: handle.runID).divergence == nil)
        let report = try await engine.replayCheck(Self.workflow { _, _ in nil }, run: handle.runID)
        #expect(report.divergence?.step == "work" && report.divergence?.got == "completed, emitting cairn.stop")
    }

    @Test("the gate checks every run: one of three diverges under changed code, one workflow is skipped, a renamed step cannot replay")
    func gate() async throws {
        let engine = Engine()
        let recorded = Self.workflow { _, _ in nil }
        var runs: [RunID] = []
        for input in 1...3 {
            let handle = try await engine.start(recorded, input: input)
            _ = try await handle.result
            runs.append(handle.runID)
        }
        let other = try await engine.start(HelloWorkflow(), input: HelloInput(name: "Ada"))
        _ = try await other.result
        let summaries = try await engine.journal.inspectable.allRuns(RunQuery(limit: 10))
        #expect(summaries.count == 4)

        // Today's code refuses input 2, which the recorded run accepted.
        let gate = ReplayGate([WorkflowRegistration(Self.workflow { input, _ in input == 2 ? "two" : nil })], engine: engine)
        var seen: [RunID] = []
        let verdicts = await gate.check(summaries, in: engine.journal) { seen.append($0.runID) }
        #expect(seen == summaries.map(\.runID), "progress reports each run as it is checked")
        let byRun = Dictionary(uniqueKeysWithValues: verdicts.map { ($0.runID, $0.verdict) })
        guard case .diverged(let divergence, _)? = byRun[runs[1]] else {
            Issue.record("run 2 should diverge: \(String(describing: byRun[runs[1]]))")
            return
        }
        #expect(divergence.expected.contains("cairn.stop") && divergence.got == "failed: refused: two")
        for run in [runs[0], runs[2]] {
            guard case .matched(1)? = byRun[run] else {
                Issue.record("\(run) should match: \(String(describing: byRun[run]))")
                continue
            }
        }
        if case .skipped? = byRun[other.runID] {} else { Issue.record("hello is not registered: skipped") }
        #expect(verdicts.filter(\.verdict.fails).count == 1)

        let divergingFirst = [runs[1], runs[0], runs[2]].compactMap { run in summaries.first { $0.runID == run } }
        let stopped = await gate.check(divergingFirst, in: engine.journal, failFast: true)
        #expect(stopped.map(\.runID) == [runs[1]], "fail-fast stops at the first failure")

        let renamed = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("work2") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in StopEvent([start.input * 2]) }
        }
        let verdict = await ReplayGate([WorkflowRegistration(renamed)], engine: engine).check(runs[0], workflow: "test", in: engine.journal)
        guard case .unreplayable(let reason) = verdict.verdict else {
            Issue.record("a renamed step cannot replay: \(verdict.verdict)")
            return
        }
        #expect(reason.contains("work"), "\(reason)")
    }
}

extension Journal {
    /// The journal as an inspectable one (the in-memory journal is).
    var inspectable: any InspectableJournal { self as! any InspectableJournal }
}
