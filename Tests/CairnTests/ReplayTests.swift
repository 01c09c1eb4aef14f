import Cairn
import CairnInventory
import CairnTesting
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
