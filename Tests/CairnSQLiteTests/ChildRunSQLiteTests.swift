import Cairn
import CairnSQLite
import CairnTesting
import Foundation
import Testing

/// Child runs in SQLite: the link to the parent is journaled (`parent_run_id`), listed (`list --parent`) and
/// read back with the child's start.
@Suite("Child runs, in SQLite", .timeLimit(.minutes(1)))
struct ChildRunSQLiteTests {
    struct Child: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "child"
        var steps: [AnyStep] {
            FunctionStep("square") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in StopEvent(start.input * start.input) }
        }
    }

    struct Parent: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "parent"
        var steps: [AnyStep] {
            FunctionStep("ask") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                let first = try await context.call(Child(), input: start.input)
                let second = try await context.call(Child(), input: first)
                return StopEvent(second)
            }
        }
    }

    @Test("each call is a child run linked to its parent and execution, listed by parent, its start read back with the link")
    func childrenLinked() async throws {
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("children.sqlite"))
        defer { journal.close() }
        let handle = try await Engine(journal: journal).start(Parent(), input: 3)
        #expect(try await handle.result == 81)
        let children = try await journal.allRuns(RunQuery(parent: handle.runID, limit: 10))
        #expect(Set(children.map(\.runID)) == [RunID.child(of: handle.runID, execution: 1, call: "call:child#1"),
                                               RunID.child(of: handle.runID, execution: 1, call: "call:child#2")])
        #expect(children.allSatisfy { $0.parentRunID == handle.runID && $0.status == .completed })
        guard case .runStarted(let started)? = try await journal.records(for: children[0].runID).first else {
            Issue.record("no start read back")
            return
        }
        #expect(started.parent == ParentLink(run: handle.runID, executionID: 1))
        let effects = try await journal.records(for: handle.runID).compactMap { record -> SideEffect? in
            if case .sideEffect(let effect) = record { return effect }
            return nil
        }
        #expect(effects.map(\.key) == ["call:child#1", "call:child#2"] && effects.map(\.result) == [Data("9".utf8), Data("81".utf8)],
                "each child's result is memoised in the parent's journal")
    }
}
