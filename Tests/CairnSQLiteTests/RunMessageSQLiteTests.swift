import Cairn
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

/// Messages between runs on SQLite: the inbox row is written in the sender's commit transaction.
@Suite("Messages between runs, in SQLite", .hangGuard)
struct RunMessageSQLiteTests {
    struct Approval: Event {
        static let eventName = "test.approval"
        var by: String
    }

    struct Receiver: Workflow {
        typealias Input = Int
        typealias Output = String
        static let name = "receiver"
        var accepts: [any Event.Type] { [Approval.self] }
        var steps: [AnyStep] {
            FunctionStep("ask") { (start: StartEvent<Int>, context) -> NoEvent? in nil }
            FunctionStep("answered") { (approval: Approval, context) -> StopEvent<String>? in StopEvent(approval.by) }
        }
    }

    struct Sender: Workflow {
        typealias Input = String
        typealias Output = String
        static let name = "sender"
        var steps: [AnyStep] {
            FunctionStep("approve") { (start: StartEvent<String>, context) -> StopEvent<String>? in
                try context.send(Approval(by: "sender"), to: RunID(start.input)!)
                return StopEvent("sent")
            }
        }
    }

    @Test("the message's inbox row is in the journal exactly when the sender's commit is, named by its sender, and the receiver takes it")
    func messageInTheSendersCommit() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("messages.sqlite")
        let journal = try SQLiteJournal(path: path)
        defer { journal.close() }
        let engine = Engine(journal: journal)
        let waiting = try await engine.start(Receiver(), input: 0)
        try await awaitRecord(of: waiting.runID, in: journal) { $0.isWaiting }
        let sending = try await engine.start(Sender(), input: waiting.runID.description)
        #expect(try await sending.result == "sent")
        #expect(try await waiting.result == "sender")
        let row = try withJournalDatabase(path) { db in
            try Row.fetchOne(db, sql: """
                SELECT m.sender, m.idempotency_key, m.event_seq,
                       (SELECT j.position FROM journal j WHERE j.run_id = ? AND j.kind = 'execution_finished') AS committed_at
                FROM messages m WHERE m.run_id = ?
                """, arguments: [sending.runID.description, waiting.runID.description])
        }
        #expect(row?["sender"] == "run \(sending.runID)" && row?["idempotency_key"] == "\(sending.runID)/1/1")
        #expect((row?["event_seq"] as Int?) != nil && (row?["committed_at"] as Int?) != nil)
        let shown = try await cairn(["show", sending.runID.description, "--db", path], binary: fixturesBinary)  // no inventory tables here
        #expect(shown.stdout.contains("sent         test.approval to run \(waiting.runID) (inbox 1; journaled there as seq 2)"), "\(shown.stdout)\(shown.stderr)")
    }
}
