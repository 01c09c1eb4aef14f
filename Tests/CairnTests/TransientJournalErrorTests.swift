import Cairn
import CairnTesting
import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing

/// A driver tries again when the journal was busy for a moment, a bounded number of times, and says so.
@Suite("Transient journal errors", .hangGuard)
struct TransientJournalErrorTests {
    /// Refuses appends `from`..<`from + count` (1-based) with `error` — nothing written — and passes the rest on.
    final class BusyJournal: Journal {
        let base = InMemoryJournal()
        private let appends = Mutex(0)
        let refused: Range<Int>
        let error: CairnError

        init(from: Int, count: Int, error: CairnError = CairnError(.journalBusy, "the journal is locked by another process (injected)")) {
            refused = from..<(from + count)
            self.error = error
        }

        func append(_ records: [JournalRecord], for run: RunID) async throws {
            let number = appends.withLock { count in
                count += 1
                return count
            }
            if refused.contains(number) { throw error }
            try await base.append(records, for: run)
        }

        func records(for run: RunID) async throws -> [JournalRecord] { try await base.records(for: run) }
        func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
            try await base.streamedEvents(for: run, from: position, limit: limit)
        }
        func contains(_ run: RunID) async throws -> Bool { try await base.contains(run) }
    }

    let workflow = TestWorkflow(Int.self, [Int].self) {
        FunctionStep("a") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: start.input) }
        FunctionStep("b") { (tick: Tick, context) -> StopEvent<[Int]>? in StopEvent([tick.n, 2]) }
    }

    func engine(_ journal: any Journal, attempts: Int, logs: InMemoryLogHandler) -> Engine {
        var handler = logs
        handler.logLevel = .warning
        let retry = RetryPolicy(maxAttempts: attempts, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5))
        return Engine(journal: journal, configuration: EngineConfiguration(journalRetry: retry),
                      logger: Logger(label: "test", factory: { _ in handler }))
    }

    @Test("a journal busy for three appends in a row: the run goes on, each retry logged, nothing journaled twice")
    func busyForAMoment() async throws {
        let journal = BusyJournal(from: 3, count: 3)  // the commit of step a, three times
        let logs = InMemoryLogHandler()
        let handle = try await engine(journal, attempts: 6, logs: logs).start(workflow, input: 5)
        #expect(try await handle.result == [5, 2])
        let records = try await journal.base.records(for: handle.runID)
        #expect(records.compactMap(\.finishedExecution).map(\.step) == ["a", "b"])
        #expect(records.events.map(\.seq) == [1, 2, 3])
        let warnings = logs.entries.map { "\($0.message)" }.filter { $0.contains("the journal refused an append") }
        #expect(warnings.count == 3 && warnings.first?.contains("try 1 of 6") == true, "\(warnings)")
    }

    @Test("a journal busy for longer than the policy allows stops the driver with the error; the run resumes from the journal")
    func busyTooLong() async throws {
        let journal = BusyJournal(from: 3, count: 10)
        let logs = InMemoryLogHandler()
        let handle = try await engine(journal, attempts: 3, logs: logs).start(workflow, input: 5)
        await #expect { _ = try await handle.result } throws: { ($0 as? CairnError)?.code == .journalBusy }
        #expect(logs.entries.filter { "\($0.message)".contains("the journal refused an append") }.count == 2)
        let resumed = try await Engine(journal: journal.base).resume(workflow, run: handle.runID)
        #expect(try await resumed.result == [5, 2])
    }

    @Test("a side effect the journal fails to record stops the driver as a failed commit does: the step is not failed, the run resumes")
    func sideEffectNotJournaled() async throws {
        let calls = Mutex(0)
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("a") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                let n = try await context.run("look-up") { calls.withLock { $0 += 1; return $0 } }
                return StopEvent(start.input + n)
            }
        }
        // Appends: the start, the execution's start, then the side effect — refused, as a server gone away would.
        let journal = BusyJournal(from: 3, count: 1, error: CairnError(.journalUnavailable, "the server went away (injected)"))
        let handle = try await engine(journal, attempts: 3, logs: InMemoryLogHandler()).start(workflow, input: 5)
        await #expect { _ = try await handle.result } throws: { ($0 as? CairnError)?.code == .journalUnavailable }
        let records = try await journal.base.records(for: handle.runID)
        #expect(records.compactMap(\.finishedExecution).isEmpty, "nothing says the step failed: \(records.map(\.kindName))")
        let resumed = try await Engine(journal: journal.base).resume(workflow, run: handle.runID)
        #expect(try await resumed.result == 7)
    }
}
