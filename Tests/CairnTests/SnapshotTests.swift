@testable import Cairn
import CairnInventory
import CairnTesting
import Foundation
import Testing

/// A state machine's snapshot holds all of its durable state: restored at any record of a journal and fed the
/// rest, it reaches the state the whole journal gives.
@Suite("Snapshots of the state machine", .hangGuard)
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

/// How often a driver snapshots: every `snapshotEvery` records, or — when the run's live state holds more entries —
/// once as many records as it holds have been journaled, so that snapshots of a large state do not cost more than
/// the records they spare a resume.
@Suite("When snapshots are taken", .hangGuard)
struct SnapshotSpacingTests {
    /// A chain whose every step keeps a store key of its own: the store, and so a snapshot, grows with the run.
    private struct Growing: Workflow {
        struct Next: Event {
            static let eventName = "test.growing.next"
            var n: Int
        }
        static let name = "growing-store"
        typealias Input = Int
        typealias Output = Int
        var steps: [AnyStep] {
            FunctionStep("begin") { (start: StartEvent<Int>, context) -> Next? in Next(n: start.input) }
            FunctionStep("keep") { (next: Next, context) -> OneOf2<Next, StopEvent<Int>>? in
                try context.store.set(StoreKey<Int>("round.\(next.n)"), next.n)
                return next.n <= 1 ? .second(StopEvent(0)) : .first(Next(n: next.n - 1))
            }
        }
    }

    /// An in-memory journal that keeps every snapshot a driver saves, with the run's record count at that moment.
    private final class SnapshotLog: SnapshottingJournal, @unchecked Sendable {
        let inner = InMemoryJournal()
        private let lock = NSLock()
        private var recordCount = 0
        private(set) var taken: [(records: Int, snapshot: RunSnapshot)] = []

        func append(_ records: [JournalRecord], for run: RunID) async throws {
            try await inner.append(records, for: run)
            lock.withLock { recordCount += records.count }
        }

        func appendPipelined(_ records: [JournalRecord], for run: RunID, after previous: PendingAppend?) -> PendingAppend {
            let pending = inner.appendPipelined(records, for: run, after: previous)  // the in-memory journal appends at once
            if pending.failure == nil { lock.withLock { recordCount += records.count } }
            return pending
        }

        func saveSnapshot(_ state: Data, of run: RunID, after previous: PendingAppend?) {
            guard let snapshot = try? RunSnapshot.decoded(state) else { return }
            lock.withLock { taken.append((recordCount, snapshot)) }
        }

        func records(for run: RunID) async throws -> [JournalRecord] { try await inner.records(for: run) }
        func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
            try await inner.streamedEvents(for: run, from: position, limit: limit)
        }
        func contains(_ run: RunID) async throws -> Bool { try await inner.contains(run) }
        func latestSnapshot(of run: RunID) async throws -> (position: Int, state: Data)? { nil }
        func records(for run: RunID, after position: Int, sideEffectsOf executions: Set<Int>) async throws
            -> (sideEffects: [JournalRecord], records: [JournalRecord]) {
            ([], Array(try await inner.records(for: run).dropFirst(position)))
        }
        func lastSeq(of run: RunID, through position: Int) async throws -> Int { 0 }
    }

    @Test("a snapshot of a large state waits for as many records as the state holds entries; a small one comes every snapshotEvery")
    func spacedByLiveState() async throws {
        let journal = SnapshotLog()
        let engine = Engine(journal: journal, configuration: EngineConfiguration(snapshotEvery: 4))
        #expect(try await engine.run(Growing(), input: 120) == 0)
        let taken = journal.taken
        #expect(taken.count >= 3, "\(taken.count) snapshots")
        var previous = 0
        for (records, snapshot) in taken {
            #expect(records - previous >= max(4, snapshot.store.count),
                    "a snapshot of \(snapshot.store.count) store keys came \(records - previous) records after the last")
            previous = records
        }
        // Every 4 records would have been about 60 snapshots of a store growing to 120 keys.
        #expect(taken.count < 20, "\(taken.count) snapshots")
    }
}
