import Cairn
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

/// Child runs in SQLite: the link to the parent is journaled (`parent_run_id`), listed (`list --parent`) and
/// read back with the child's start.
@Suite("Child runs, in SQLite", .hangGuard)
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

    struct Starter: Workflow {
        typealias Input = Int
        typealias Output = Int
        static let name = "starter"
        var steps: [AnyStep] {
            FunctionStep("start") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                try context.start(Child(), input: start.input, detached: true)
                return StopEvent(start.input)
            }
        }
    }

    @Test("a started child is journaled pending and unowned in its parent's commit; of two processes taking it, one does, and it is running")
    func startedChildIsTakenOnce() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("started.sqlite")
        let first = try SQLiteJournal(path: path), second = try SQLiteJournal(path: path)
        defer { first.close(); second.close() }
        var configuration = EngineConfiguration()
        configuration.drivesStartedRuns = false  // as a worker's engine: the child waits for a claim
        let handle = try await Engine(journal: first, configuration: configuration).start(Starter(), input: 4)
        #expect(try await handle.result == 4)
        let child = RunID.child(of: handle.runID, execution: 1, call: "start:child#1")
        #expect(try await first.summary(of: child)?.status == .pending)
        #expect(try await first.claimableRuns(limit: 10, workflows: ["child", "starter"], excluding: []).runs.map(\.runID) == [child], "a worker would claim it")
        #expect(try await second.takeOverIfPending(child))
        #expect(try await !first.takeOverIfPending(child), "taken already: the first resumes it like any run, or leaves it")
        #expect(try await second.summary(of: child)?.status == .running)
    }
}

/// A called child that another process drives: the parent's call waits for its end in the journal.
@Suite("Child runs across processes", .hangGuard)
struct ChildRunProcessTests {
    @Test("SIGKILL of a parent while its child waits; the child resumed in one process, the parent in another: the call gets the child's result, one child")
    func childDrivenElsewhere() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("calls.sqlite")
        let parent = RunID()
        let child = RunID.child(of: parent, execution: 1, call: "call:approvals#1").description
        let first = try spawnCairn(["run", "caller", "--db", path, "--id", parent.description], binary: fixturesBinary)
        #expect(await first.stderrShows("cairn send \(child)"))
        first.signal(SIGKILL)
        _ = await first.finish()
        #expect(try await sendApproval(child, #"{"by": "a", "done": false}"#, db: path).status == 0)
        let childOwner = try spawnCairn(["resume", child, "--db", path], binary: fixturesBinary)
        #expect(await childOwner.stderrShows("cairn send \(child)"), "the child waits again, owned by its resumer")
        let parentOwner = try spawnCairn(["resume", parent.description, "--db", path, "--json"], binary: fixturesBinary)
        try await waitUntil("the parent re-ran its call step") {
            try withJournalDatabase(path) { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'execution_started'", arguments: [parent.description])
            } == 2
        }
        #expect(try await sendApproval(child, #"{"by": "b", "done": true}"#, db: path).status == 0)
        let childEnd = await childOwner.finish()
        #expect(childEnd.status == 0, "\(childEnd.stderr)")
        let parentEnd = await parentOwner.finish()
        #expect(parentEnd.status == 0 && jsonObject(parentEnd.lines.last ?? "")["result"] as? [String] == ["a", "b"], "\(parentEnd.stdout)\(parentEnd.stderr)")
        let children = try withJournalDatabase(path) { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE parent_run_id = ?", arguments: [parent.description])
        }
        #expect(children == 1)
    }
}
