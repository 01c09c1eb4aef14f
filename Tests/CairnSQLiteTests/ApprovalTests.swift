import Cairn
import CairnInventory
import CairnTesting
import Foundation
import GRDB
import Testing

/// The article's domain with a human in the loop: a monitor with `approveOver` waits for `inventory.approval`
/// before each order over that many units; a rejection is a ledger row of its own, naming who rejected it.
@Suite("Approvals in the inventory", .hangGuard)
struct ApprovalTests {
    @Test("orders wait for approval sent with cairn send; the rejected one is a decision of its own in audit, with who rejected it")
    func approveAndReject() async throws {
        let seed: UInt64 = 7
        let reference = try await Engine().run(FeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: 4, delayMs: 0, seed: seed))
        let orders = reference.decisions.filter { $0.decision == .good }.count
        try #require(orders >= 2, "the seed gives at least two orders")
        let directory = try TemporaryDirectory()
        let path = directory.path("approvals.sqlite")
        let id = RunID().description
        let input = #"{"sku": "Apple", "cycles": 4, "delayMs": 0, "seed": \#(seed), "approveOver": 5}"#
        let owner = try spawnCairn(["run", "feedback-monitor", "--db", path, "--id", id, "--input", input, "--json"])
        for index in 0..<orders {
            #expect(await owner.stderrShows("cairn send \(id) inventory.approval"), "order \(index + 1) asks")
            let payload = index == 0 ? #"{"approved": false, "by": "ada", "note": "too many"}"# : #"{"approved": true, "by": "bo"}"#
            let sent = try await cairn(["send", id, "inventory.approval", "--payload", payload, "--db", path])
            #expect(sent.status == 0, "\(sent.stderr)")
            try await waitUntil("the answer is journaled") {
                try withJournalDatabase(path) { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE run_id = ? AND event_seq IS NOT NULL", arguments: [id])
                } == index + 1
            }
        }
        let result = await owner.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let audit = try await cairn(["audit", "Apple", "--db", path])
        #expect(audit.stdout.contains("rejected 0 (round") && audit.stdout.contains("rejected by ada (\"too many\")"), "\(audit.stdout)")
        #expect(audit.stdout.components(separatedBy: "approved by bo").count - 1 == orders - 1, "\(audit.stdout)")
        let rows = try withJournalDatabase(path) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM ledger_entry WHERE run_id = ?", arguments: [id]) }
        #expect(rows == 4, "one ledger row per decision, the rejection included")
        #expect(try await cairn(["db", "check", "--db", path]).status == 0, "stock is the ledger's sum")
    }

    @Test("a monitor input without approveOver runs as before: no wait, no approval; the shape only gains the accepted event (wave-1 runs resume: SchemaTests)")
    func withoutApprovalNothingChanges() async throws {
        let input = MonitorInput(sku: "Apple", cycles: 3, delayMs: 0, seed: 3)
        let journal = InMemoryJournal()
        let report = try await Engine(journal: journal).run(FeedbackMonitor(), input: input)
        #expect(report.decisions.allSatisfy { $0.approval == nil })
        let runs = try await journal.runs(RunQuery())
        let records = try await journal.records(for: try #require(runs.runs.first).runID)
        #expect(!records.contains { $0.isWaiting })
        // Runs started before the monitor accepted approvals have the same steps and accept fewer events: resumable
        // (ExternalEventTests.acceptingMoreIsCompatible; the wave-1 journal's run in SchemaTests).
        let graph = FeedbackMonitor().graph
        let before = graph.shape.split(separator: "\n").dropLast().joined(separator: "\n")
        #expect(graph.shape.hasSuffix("accepts(inventory.approval)") && !before.contains("accepts"))
    }
}
