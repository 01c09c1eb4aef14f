@testable import Cairn
import CairnInventory
import CairnTesting
import Foundation
import Testing

/// A state machine's snapshot holds all of its durable state: restored at any record of a journal and fed the
/// rest, it reaches the state the whole journal gives.
@Suite("Snapshots of the state machine", .timeLimit(.minutes(1)))
struct SnapshotTests {
    /// Every record of a finished run of `workflow`.
    private func journal<W: Workflow>(of workflow: W, input: W.Input) async throws -> (WorkflowGraph, [JournalRecord]) {
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal).start(workflow, input: input, options: RunOptions(seed: 3))
        _ = try await handle.result
        return (workflow.graph, try await journal.records(for: handle.runID))
    }

    private func machine(_ graph: WorkflowGraph, _ records: ArraySlice<JournalRecord>, from start: RunStateMachine? = nil) throws -> RunStateMachine {
        var machine = start ?? RunStateMachine(graph: graph)
        for record in records { try machine.apply(try Engine.decoded(record, graph: graph)) }
        return machine
    }

    @Test("restored at every record of a monitor's journal (joins, side effects, retries) and fed the rest, the machine is the one the whole journal gives",
          arguments: ["feedback-monitor", "complex-feedback-monitor"])
    func restoreAnywhere(_ workflow: String) async throws {
        let input = MonitorInput(sku: "Apple", cycles: 3, delayMs: 0, seed: 11)
        let (graph, records) = workflow == "feedback-monitor"
            ? try await journal(of: FeedbackMonitor(), input: input)
            : try await journal(of: ComplexFeedbackMonitor(), input: input)
        let whole = try machine(graph, records[...]).snapshot()
        for cut in 1..<records.count {
            let snapshot = try machine(graph, records[..<cut]).snapshot()
            let decoded = try RunSnapshot.decoded(try snapshot.encoded())
            #expect(decoded == snapshot, "record \(cut): the snapshot did not survive its encoding")
            let restored = try RunStateMachine(graph: graph, restoring: decoded)
            #expect(restored.snapshot() == snapshot, "record \(cut): restoring lost state")
            #expect(try machine(graph, records[cut...], from: restored).snapshot() == whole, "record \(cut): the rest of the journal led elsewhere")
        }
    }

    @Test("a snapshot naming a step the workflow does not have is refused with a sentence, not applied")
    func foreignSnapshotRefused() async throws {
        let (graph, records) = try await journal(of: FeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: 1, delayMs: 0, seed: 1))
        var snapshot = try machine(graph, records[..<3]).snapshot()
        snapshot.pending = snapshot.pending.map { var candidate = $0; candidate.step = "gone"; return candidate }
        snapshot.running = snapshot.running.map { var run = $0; run.step = "gone"; return run }
        #expect(throws: CairnError.self) { _ = try RunStateMachine(graph: graph, restoring: snapshot) }
    }
}
