import Cairn
import CairnTesting
import CairnInventory
import Foundation
import Testing

@Suite("Rebuilding runs from journal records", .hangGuard)
struct ResumeTests {
    /// Runs `workflow` on a journal that refuses every append after the first `appends`, so the run stops
    /// half-way as if its process died, then resumes it from the records alone with a new engine.
    func crashAndResume<W: Workflow>(_ workflow: W, input: W.Input, appends: Int) async throws -> (W.Output, [JournalRecord]) {
        let crashing = FaultInjectingJournal(failAfter: appends)
        let handle = try await Engine(journal: crashing).start(workflow, input: input)
        await #expect(throws: FaultInjectingJournal.DiskFull.self) { _ = try await handle.result }
        let resumed = try await Engine(journal: crashing.base).resume(workflow, run: handle.runID)
        let result = try await resumed.result
        return (result, try await crashing.base.records(for: handle.runID))
    }

    @Test("a half-finished feedback monitor is rebuilt from its journal and finishes with every cycle decided once",
          arguments: 1...12)
    func loopMonitorResumes(appends: Int) async throws {
        let source = ScriptedFeedback(verdicts: [.customers: [.good, .bad, .good]])
        let input = MonitorInput(sku: "Apple", cycles: 3, delayMs: 0)
        let (report, records) = try await crashAndResume(FeedbackMonitor(source: source), input: input, appends: appends)
        #expect(report.decisions.map(\.decision) == [.good, .bad, .good])
        let events = records.events
        #expect(events.map(\.seq) == Array(1...events.count))  // gapless, no duplicates
        #expect(events.filter { $0.name == OrderEvent.eventName }.count == 2)
        #expect(events.filter { $0.name == ClearEvent.eventName }.count == 1)
        // Every completed execution completed exactly once.
        let completed = records.compactMap(\.finishedExecution).filter { $0.outcome == .completed }.map(\.executionID)
        #expect(Set(completed).count == completed.count)
        // The feedback call is memoised: paid at most once per round, even across the crash.
        #expect(source.calls.count("customers") <= 3 + 1)
    }

    @Test("a complex monitor stopped with some sources done resumes with its join buffer and votes once per round",
          arguments: 1...14)
    func complexMonitorResumes(appends: Int) async throws {
        let source = ScriptedFeedback(verdicts: [.online: [.good, .bad], .offline: [.bad, .bad], .trend: [.good, .good]])
        let input = MonitorInput(sku: "Apple", cycles: 2, delayMs: 0)
        let (report, records) = try await crashAndResume(ComplexFeedbackMonitor(source: source), input: input, appends: appends)
        #expect(report.decisions.map(\.decision) == [.good, .bad])
        let events = records.events
        #expect(events.map(\.seq) == Array(1...events.count))
        #expect(events.filter { $0.name == TradeEvent.eventName }.count == 2)
    }

    @Test("thirty events queued to a one-worker step keep their order across a crash: the re-run item goes first, as uninterrupted",
          arguments: [3, 5, 9, 14, 22, 30])
    func queueOrderSurvivesCrash(appends: Int) async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> Tick? in
                for n in 1..<start.input { try context.send(Tick(n: n)) }
                return Tick(n: start.input)
            }
            FunctionStep("one", workers: 1) { (tick: Tick, context) -> Part? in Part(value: tick.n) }
            CountedJoinStep("all", count: 30, of: Part.self) { (parts, context) -> StopEvent<[Int]>? in StopEvent(parts.map(\.value)) }
        }
        let (order, _) = try await crashAndResume(workflow, input: 30, appends: appends)
        #expect(order == Array(1...30))
    }

    @Test("thirty events queued to a one-worker step keep their order across an interrupt: the item cut short goes first")
    func queueOrderSurvivesInterrupt() async throws {
        let entered = Gate(), release = Gate()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("fan") { (start: StartEvent<Int>, context) -> Tick? in
                for n in 1..<start.input { try context.send(Tick(n: n)) }
                return Tick(n: start.input)
            }
            FunctionStep("one", workers: 1) { (tick: Tick, context) -> Part? in
                if tick.n == 3, context.attempt == 1 {
                    entered.open()
                    await release.wait()  // still running when the interrupt's grace ends: abandoned, run again on resume
                }
                return Part(value: tick.n)
            }
            CountedJoinStep("all", count: 30, of: Part.self) { (parts, context) -> StopEvent<[Int]>? in StopEvent(parts.map(\.value)) }
        }
        let engine = Engine(configuration: EngineConfiguration(interruptGrace: .milliseconds(1)))
        let handle = try await engine.start(workflow, input: 30)
        await entered.wait()
        handle.interrupt()
        await #expect { _ = try await handle.result } throws: { ($0 as? CairnError)?.code == .interrupted }
        release.open()
        let resumed = try await engine.resume(workflow, run: handle.runID)
        #expect(try await resumed.result == Array(1...30))
    }

    @Test("a side effect journaled before the crash is not paid again on resume")
    func sideEffectSurvivesCrash() async throws {
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("pay") { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                let receipt = try await context.run("charge") { () -> Int in
                    calls.record("charge")
                    return 99
                }
                return StopEvent([receipt, context.attempt])
            }
        }
        // Append 1: run start; 2: execution start; 3: the side effect; 4 (the commit) fails.
        let (result, records) = try await crashAndResume(workflow, input: 0, appends: 3)
        #expect(result == [99, 2])  // attempt 2: the crash counted
        #expect(calls.count("charge") == 1)
        #expect(records.contains { if case .runResumed = $0 { true } else { false } })
    }

    @Test("a step that keeps dying with its process spends its retry budget instead of looping")
    func crashesCountAgainstBudget() async throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("crashy", retry: RetryPolicy(maxAttempts: 2)) { (start: StartEvent<Int>, context) -> StopEvent<[Int]>? in
                StopEvent([])
            }
        }
        let journal = InMemoryJournal()
        let runID = RunID()
        // Journal a run whose step started twice and never committed (two crashes).
        let crashing = FaultInjectingJournal(failAfter: 2)
        let first = try await Engine(journal: crashing).start(workflow, input: 0, options: RunOptions(id: runID))
        _ = try? await first.result
        for record in try await crashing.base.records(for: runID) { try await journal.append([record], for: runID) }
        let second = FaultInjectingJournal(failAfter: 2)
        for record in try await journal.records(for: runID) { try await second.base.append([record], for: runID) }
        let again = try await Engine(journal: second).resume(workflow, run: runID)
        _ = try? await again.result
        let final = try await Engine(journal: second.base).resume(workflow, run: runID)
        await #expect {
            _ = try await final.result
        } throws: { error in
            (error as? RunError)?.message.contains("died with its process on attempt 2 of 2") == true
        }
    }

    @Test("resuming under a changed workflow is refused with a sentence naming what changed")
    func fingerprintMismatch() async throws {
        let journal = InMemoryJournal()
        let crashing = FaultInjectingJournal(failAfter: 2)
        let original = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("a") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: 1) }
            FunctionStep("b") { (tick: Tick, context) -> StopEvent<[Int]>? in StopEvent([tick.n]) }
        }
        let handle = try await Engine(journal: crashing).start(original, input: 0)
        _ = try? await handle.result
        for record in try await crashing.base.records(for: handle.runID) { try await journal.append([record], for: handle.runID) }
        let changed = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("a") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: 1) }
            FunctionStep("b2") { (tick: Tick, context) -> StopEvent<[Int]>? in StopEvent([tick.n]) }
        }
        await #expect {
            _ = try await Engine(journal: journal).resume(changed, run: handle.runID)
        } throws: { error in
            let text = String(describing: error)
            return (error as? CairnError)?.code == .fingerprintMismatch
                && text.contains("step 'b' was renamed 'b2'")
        }
        // The journal is untouched by the refusal.
        #expect(try await journal.records(for: handle.runID).count == 2)
    }

    @Test("resuming an unknown run says so")
    func unknownRun() async throws {
        await #expect {
            _ = try await Engine().resume(HelloWorkflow(), run: RunID())
        } throws: { ($0 as? CairnError)?.code == .runNotFound }
    }
}
