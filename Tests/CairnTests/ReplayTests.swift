import Cairn
import CairnInventory
import CairnTesting
import Foundation
import Testing

@Suite("replay --check", .timeLimit(.minutes(1)))
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

@Suite("fork", .timeLimit(.minutes(1)))
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
}
