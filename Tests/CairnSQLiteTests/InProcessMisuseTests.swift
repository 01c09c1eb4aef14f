import Cairn
import CairnSQLite
import CairnTesting
import Testing

/// A run this engine drives cannot be driven twice, and `cancel(run:)` reaches its live driver — on the
/// in-memory journal and on SQLite alike.
@Suite("In-process misuse", .hangGuard)
struct InProcessMisuseTests {
    struct Held: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "held"
        let entered: Gate
        let release: Gate
        let calls: Calls
        var steps: [AnyStep] {
            FunctionStep("hold") { [entered, release, calls] (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                calls.record("hold")
                entered.open()
                await release.wait()
                return StopEvent(start.input)
            }
        }
    }

    enum Kind: String, CaseIterable { case memory, sqlite }

    func journal(_ kind: Kind, in directory: TemporaryDirectory) throws -> any Journal {
        switch kind {
        case .memory: InMemoryJournal()
        case .sqlite: try SQLiteJournal(path: directory.path("j.sqlite"))
        }
    }

    @Test("resume of a run this engine drives is refused run-owned, and nothing runs twice", arguments: Kind.allCases)
    func resumeOfDrivenRun(kind: Kind) async throws {
        let directory = try TemporaryDirectory()
        let engine = Engine(journal: try journal(kind, in: directory))
        let workflow = Held(entered: Gate(), release: Gate(), calls: Calls())
        let handle = try await engine.start(workflow, input: 7)
        await workflow.entered.wait()
        await #expect { _ = try await engine.resume(workflow, run: handle.runID) } throws: {
            ($0 as? CairnError)?.code == .runOwned
        }
        workflow.release.open()
        #expect(try await handle.result == 7)
        #expect(workflow.calls.count("hold") == 1)
        let again = try await engine.resume(workflow, run: handle.runID)  // ended: returned as it is
        #expect(try await again.result == 7)
        #expect(workflow.calls.count("hold") == 1)
    }

    @Test("cancel(run:) of a run this engine drives cancels it: the live handle ends cancelled", arguments: Kind.allCases)
    func cancelOfDrivenRun(kind: Kind) async throws {
        let directory = try TemporaryDirectory()
        let journal = try journal(kind, in: directory)
        let engine = Engine(journal: journal)
        let workflow = Held(entered: Gate(), release: Gate(), calls: Calls())
        let handle = try await engine.start(workflow, input: 7)
        await workflow.entered.wait()
        try await engine.cancel(run: handle.runID)
        #expect(await handle.status == .cancelled)
        guard case .runFinished(let finished)? = try await journal.records(for: handle.runID).last else {
            Issue.record("the cancel is not journaled")
            return
        }
        #expect(finished.status == .cancelled)
        await #expect { try await engine.cancel(run: handle.runID) } throws: { ($0 as? CairnError)?.code == .runEnded }
        workflow.release.open()
    }
}
