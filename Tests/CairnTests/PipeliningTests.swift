import Cairn
import CairnTesting
import Foundation
import Synchronization
import Testing

/// Pipelining (contract 2): a step may start before its trigger's commit is durable, but nothing it does
/// reaches the outside before then.
@Suite("Pipelined commits", .hangGuard)
struct PipeliningTests {
    /// A journal in memory whose step commits become durable only when the test releases them (every other
    /// append is durable at once).
    final class HeldJournal: PipeliningJournal {
        private struct State {
            var runs: [RunID: [JournalRecord]] = [:]
            var held: [PendingAppend] = []
            var holding = true
        }

        private let state = Mutex(State())

        func appendPipelined(_ records: [JournalRecord], for run: RunID, after previous: PendingAppend?) -> PendingAppend {
            let pending = PendingAppend()
            let hold = state.withLock { state in
                state.runs[run, default: []] += records
                guard state.holding, records.contains(where: { if case .executionFinished = $0 { true } else { false } }) else { return false }
                state.held.append(pending)
                return true
            }
            if !hold { pending.complete(.success(())) }
            return pending
        }

        /// Whether a commit is taken and not durable yet.
        var holdsACommit: Bool { state.withLock { !$0.held.isEmpty } }

        /// Makes every commit durable, now and from here on.
        func releaseAll() {
            let held = state.withLock { state in
                state.holding = false
                defer { state.held = [] }
                return state.held
            }
            for pending in held { pending.complete(.success(())) }
        }

        func append(_ records: [JournalRecord], for run: RunID) async throws {
            try await appendPipelined(records, for: run, after: nil).durable()
        }
        func records(for run: RunID) async throws -> [JournalRecord] { state.withLock { $0.runs[run] ?? [] } }
        func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] { [] }
        func contains(_ run: RunID) async throws -> Bool { state.withLock { $0.runs[run] != nil } }
    }

    struct Go: Event {
        static let eventName = "test.go"
    }

    @Test("a step started on a trigger that is not durable yet runs its side effect only once the trigger is durable")
    func sideEffectWaitsForItsTrigger() async throws {
        let journal = HeldJournal()
        let engine = Engine(journal: journal)
        let calls = Calls(), started = Gate()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("first") { (start: StartEvent<Int>, context) -> Go? in Go() }
            FunctionStep("second") { (go: Go, context) -> StopEvent<Int>? in
                if journal.holdsACommit { calls.record("started before its trigger was durable") }
                started.open()
                let paid = try await context.run("pay") {
                    calls.record(journal.holdsACommit ? "paid before its trigger was durable" : "paid")
                    return 1
                }
                return StopEvent(paid)
            }
        }
        let run = Task { try await engine.run(workflow, input: 0) }
        await started.wait()
        journal.releaseAll()
        #expect(try await run.value == 1)
        #expect(calls.count("started before its trigger was durable") == 1, "the second step did not start pipelined")
        #expect(calls.count("paid before its trigger was durable") == 0)
        #expect(calls.count("paid") == 1)
    }
}
