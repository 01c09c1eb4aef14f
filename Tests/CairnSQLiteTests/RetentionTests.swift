import Cairn
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

/// `cairn db prune`: the history of finished runs goes, their summaries, ledger and audit stay, and nothing
/// unfinished is touched.
@Suite("Retention", .hangGuard)
struct RetentionTests {
    /// History rows of `run`, by table.
    private func historyRows(_ db: String, run: String) throws -> [String: Int] {
        try withJournalDatabase(db) { db in
            var rows: [String: Int] = [:]
            for table in ["event", "stream_event", "store_write", "side_effect", "journal"] {
                rows[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE run_id = ?", arguments: [run])
            }
            return rows
        }
    }

    @Test("prune deletes a finished run's history and keeps its summary, ledger and audit; the interrupted run is skipped, said so, and resumes")
    func pruneKeepsWhatMatters() async throws {
        // An interrupted run (killed mid-way) and, in the same journal, a finished one.
        let interrupted = try await BackgroundRun.crashed(
            "feedback-monitor", input: #"{"sku": "Pear", "cycles": 6, "delayMs": 10, "seed": 3}"#, at: "after-commit:4")
        let db = interrupted.db
        let finished = try await cairn(["--json", "run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycles": 3, "delayMs": 0, "seed": 7}"#])
        let id = try finished.runID()
        let auditBefore = try await cairn(["--json", "audit", "Apple", "--db", db])
        let interruptedBefore = try historyRows(db, run: interrupted.id)
        #expect(try historyRows(db, run: id)["event"]! > 0)

        let pruned = try await cairn(["db", "prune", "--finished-before", "2099-01-01", "--db", db])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("pruned the history of 1 run(s)"), "\(pruned.stdout)")
        #expect(pruned.stdout.contains("is in the future"), "\(pruned.stdout)")
        #expect(pruned.stdout.contains("skipped 1 unfinished run(s)"), "\(pruned.stdout)")

        let rows = try historyRows(db, run: id)
        #expect(rows["event"] == 0 && rows["stream_event"] == 0 && rows["store_write"] == 0 && rows["side_effect"] == 0, "\(rows)")
        let kept = try withJournalDatabase(db) { try String.fetchAll($0, sql: "SELECT DISTINCT kind FROM journal WHERE run_id = ?", arguments: [id]) }
        #expect(kept == ["run_finished"], "only its end record stays (and takeovers, had it any)")
        #expect(try historyRows(db, run: interrupted.id) == interruptedBefore, "the unfinished run is untouched")

        // The summary, the ledger and the audit stay as they were.
        let shown = try await cairn(["show", id, "--db", db])
        #expect(shown.status == 0 && shown.stdout.contains("completed") && shown.stdout.contains("history      pruned at"), "\(shown.stdout)")
        let json = try await cairn(["--json", "show", id, "--db", db])
        #expect((jsonObject(json.stdout)["run"] as? [String: Any])?["prunedAt"] is String)
        let auditAfter = try await cairn(["--json", "audit", "Apple", "--db", db])
        #expect(auditAfter.stdout == auditBefore.stdout && auditAfter.stdout.contains("order") || auditAfter.stdout.contains("clear"))
        let check = try await cairn(["db", "check", "--db", db])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        // What needs the history says so in one line.
        for command in [["replay", id], ["fork", id, "--at", "2"], ["export", id]] {
            let refused = try await cairn(command + ["--db", db])
            #expect(refused.status == 1 && refused.stderr.contains("pruned"), "\(command): \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(command): \(refused.stderr)")
        }

        // The deploy gate skips it, saying why, and does not fail for it.
        let gate = try await cairn(["replay", id, "--check", "--db", db])
        #expect(gate.status == 0 && gate.stdout.contains("skipped") && gate.stdout.contains("pruned"), "\(gate.stdout)\(gate.stderr)")

        // The interrupted run resumes to the same end as if nothing had been pruned.
        let resumed = try await cairn(["resume", interrupted.id, "--db", db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try checkJournal(db, run: interrupted.id, cycles: 6)
        #expect(try await cairn(["db", "check", "--db", db]).status == 0)
    }

    @Test("db status lists rows and bytes per table, largest first")
    func statusSizes() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        #expect(try await cairn(["run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycles": 5, "delayMs": 0}"#]).status == 0)
        let status = try await cairn(["--json", "db", "status", "--db", db])
        let tables = try #require(jsonObject(status.stdout)["tables"] as? [[String: Any]])
        let event = try #require(tables.first { $0["table"] as? String == "event" })
        #expect((event["rows"] as? Int ?? 0) > 10 && (event["bytes"] as? Int ?? 0) >= 4096)
        let bytes = tables.compactMap { $0["bytes"] as? Int }
        #expect(bytes == bytes.sorted(by: >))
        let text = try await cairn(["db", "status", "--db", db])
        #expect(text.stdout.contains("TABLE") && text.stdout.contains("ledger_entry"), "\(text.stdout)")
    }
}
