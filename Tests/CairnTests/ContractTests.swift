import Cairn
import CairnTesting
import Foundation
import InMemoryLogging
import Logging
import Testing

@Suite("Contract details", .hangGuard)
struct ContractTests {
    let workflow = TestWorkflow(Int.self, [Int].self) {
        FunctionStep("a") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: start.input) }
        FunctionStep("b") { (tick: Tick, context) -> StopEvent<[Int]>? in StopEvent([tick.n]) }
    }

    @Test("the run's deadline is absolute in the journal: it keeps running while the run is down")
    func deadlineSurvivesCrash() async throws {
        // A run journaled an hour ago with a one-minute budget, whose process died before any step committed.
        let journal = InMemoryJournal()
        let runID = RunID(), started = Date().addingTimeInterval(-3_600)
        let start = StartEvent(1)
        try await journal.append([.runStarted(RunStarted(
            runID: runID, workflow: "test", fingerprint: workflow.graph.fingerprint, shape: workflow.graph.shape, version: nil,
            seed: nil, deadline: started.addingTimeInterval(60), at: started,
            start: JournaledEvent(seq: 1, name: "cairn.start", payload: try JSONEncoder().encode(start), executionID: nil, value: nil)))],
            for: runID)
        let resumed = try await Engine(journal: journal).resume(workflow, run: runID)
        #expect(await resumed.status == .timedOut)
        #expect(try await journal.records(for: runID).compactMap(\.startedStep).isEmpty)  // no step was started after the deadline
    }

    @Test("a workflow that declares an old fingerprint compatible may resume that fingerprint's runs")
    func compatibleFingerprint() async throws {
        struct Extended: Workflow {  // version 2: one more subscriber to the tick
            typealias Input = Int
            typealias Output = [Int]
            static let name = "test"
            let old: String
            let calls: Calls
            var compatibleFingerprints: Set<String> { [old] }
            var steps: [AnyStep] {
                FunctionStep("a") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: start.input) }
                FunctionStep("b") { (tick: Tick, context) -> StopEvent<[Int]>? in StopEvent([tick.n]) }
                FunctionStep("audit") { [calls] (tick: Tick, context) -> NoEvent? in
                    calls.record("audit")
                    return nil
                }
            }
        }
        let crashing = FaultInjectingJournal(failAfter: 3)  // a commits; b's commit fails
        let handle = try await Engine(journal: crashing).start(workflow, input: 4)
        _ = try? await handle.result
        let calls = Calls()
        let extended = Extended(old: workflow.graph.fingerprint, calls: calls)
        #expect(extended.graph.fingerprint != workflow.graph.fingerprint)
        let resumed = try await Engine(journal: crashing.base).resume(extended, run: handle.runID)
        #expect(try await resumed.result == [4])
        await #expect(throws: CairnError.self) {  // without the declaration, the same resume is refused
            _ = try await Engine(journal: crashing.base).resume(Extended(old: "0000000000000000", calls: calls), run: handle.runID)
        }
    }

    @Test("a verbose trace says which step ran on which event, with run, step and attempt metadata")
    func verboseTrace() async throws {
        let logs = InMemoryLogHandler()
        var handler = logs
        handler.logLevel = .debug
        let engine = Engine(logger: Logger(label: "test", factory: { _ in handler }))
        let handle = try await engine.start(workflow, input: 1)
        _ = try await handle.result
        let messages = logs.entries.map { "\($0.message)" }
        #expect(messages.contains("step 'a' started on 'cairn.start'#1"))
        #expect(messages.contains("step 'b' started on 'test.tick'#2"))
        #expect(messages.contains("step 'b' completed, emitted 'cairn.stop'#3"), "\(messages)")
        let started = try #require(logs.entries.first { "\($0.message)" == "step 'b' started on 'test.tick'#2" })
        #expect(started.metadata["cairn.run.id"] == "\(handle.runID)")
        #expect(started.metadata["cairn.step.attempt"] == "1")
    }
}
