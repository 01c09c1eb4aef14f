import Cairn
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

/// The SQLite journal's pipelined appends: taken at once, durable in order, and never one whose predecessor failed.
@Suite("Pipelined appends on SQLite", .hangGuard)
struct PipelinedAppendTests {
    private struct Hello: Workflow {
        static let name = "pipelined-hello"
        typealias Input = Int
        typealias Output = Int
        var steps: [AnyStep] {
            FunctionStep("answer") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in StopEvent(start.input) }
        }
    }

    /// A run started in `journal`, which holds its lease: an append to it succeeds on its own.
    private static func started(in journal: SQLiteJournal) async throws -> RunID {
        let run = RunID()
        try await journal.append([.runStarted(RunStarted(
            runID: run, workflow: Hello.name, fingerprint: Hello().graph.fingerprint, shape: Hello().graph.shape, version: nil, seed: nil,
            deadline: nil, at: Date(), start: JournaledEvent(seq: 1, name: "cairn.start", payload: Data(#"{"input":1}"#.utf8), executionID: nil, value: nil)))],
            for: run)
        return run
    }

    @Test("an append taken after one that failed fails too and writes nothing; one taken on its own is written")
    func failedPredecessorFailsItsSuccessors() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let journal = try SQLiteJournal(path: path)
        let run = try await Self.started(in: journal)
        let effect = SideEffect(executionID: 1, attempt: 1, key: "probe#1", result: Data("1".utf8), at: Date())
        let failing = journal.appendPipelined([.sideEffect(effect)], for: RunID(), after: nil)  // an unknown run
        let dependent = journal.appendPipelined([.sideEffect(effect)], for: run, after: failing)
        await #expect(throws: CairnError.self) { try await failing.durable() }
        await #expect(throws: CairnError.self) { try await dependent.durable() }
        let rows = try withJournalDatabase(path) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM side_effect") }
        #expect(rows == 0, "the dependent append was written")
        try await journal.appendPipelined([.sideEffect(effect)], for: run, after: nil).durable()
        #expect(try withJournalDatabase(path) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM side_effect") } == 1)
        journal.close()
    }

    @Test("an append that fails in a group transaction fails alone: the others of its transaction are written")
    func failingAppendAmongOthers() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let journal = try SQLiteJournal(path: path)
        let run = try await Self.started(in: journal)
        @Sendable func effect(_ n: Int) -> JournalRecord {
            .sideEffect(SideEffect(executionID: 1, attempt: 1, key: "probe#\(n)", result: Data("\(n)".utf8), at: Date()))
        }
        // Another connection holds the write lock while the appends are taken, so that they queue up and the
        // committer takes them in at most two transactions: the failing one shares its transaction with others.
        let blocker = try database(path)
        let before = journal.transactionsCommitted
        let appends = try await blocker.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "COMMIT") }
            return [
                journal.appendPipelined([effect(1)], for: run, after: nil),
                journal.appendPipelined([effect(2)], for: run, after: nil),
                journal.appendPipelined([effect(3)], for: RunID(), after: nil),  // an unknown run: fails
                journal.appendPipelined([effect(4)], for: run, after: nil),
            ]
        }
        for (index, append) in appends.enumerated() where index != 2 { try await append.durable() }
        await #expect(throws: CairnError.self) { try await appends[2].durable() }
        #expect(journal.transactionsCommitted - before <= 2, "the appends were not taken together")
        let keys = try withJournalDatabase(path) { try String.fetchAll($0, sql: "SELECT key FROM side_effect ORDER BY key") }
        #expect(keys == ["probe#1", "probe#2", "probe#4"])
        journal.close()
    }

    @Test("a durable chain commits several steps per transaction: fewer fsyncs than steps")
    func severalStepsPerTransaction() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let journal = try SQLiteJournal(path: path)
        struct Hop: Event {
            static let eventName = "test.hop"
            var n: Int
        }
        struct Chain: Workflow {
            static let name = "pipelined-chain"
            typealias Input = Int
            typealias Output = Int
            var steps: [AnyStep] {
                FunctionStep("begin") { (start: StartEvent<Int>, context) -> Hop? in Hop(n: start.input) }
                FunctionStep("hop") { (hop: Hop, context) -> OneOf2<Hop, StopEvent<Int>>? in
                    hop.n <= 1 ? .second(StopEvent(0)) : .first(Hop(n: hop.n - 1))
                }
            }
        }
        let before = journal.transactionsCommitted
        _ = try await Engine(journal: journal).run(Chain(), input: 300)
        let transactions = journal.transactionsCommitted - before
        // 301 step commits and a start and an end: one transaction each without pipelining.
        #expect(transactions < 300, "\(transactions) transactions for 301 steps")
        journal.close()
    }
}
