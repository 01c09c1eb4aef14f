import Cairn
import CairnInventory
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

/// A journal made by real processes: a clean feedback-monitor run and a complex monitor killed mid-run
/// and resumed.
struct InspectedJournal {
    let directory: TemporaryDirectory
    let db: String
    let clean: String
    let resumed: String

    static func make() async throws -> InspectedJournal {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let clean = RunID().description, resumed = RunID().description
        _ = try await cairn(["run", "feedback-monitor", "--db", db, "--id", clean,
                             "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 3}"#])
        let killed = try await cairn(["run", "complex-feedback-monitor", "--db", db, "--id", resumed, "--lease-ttl", "1",
                                      "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 5, "seed": 7}"#],
                                     environment: ["CAIRN_CRASH_AT": "after-commit:6"])
        #expect(killed.killedBySignal)
        let resume = try await cairn(["resume", "--all", "--wait", "--db", db, "--lease-ttl", "1"])
        #expect(resume.status == 0)
        return InspectedJournal(directory: directory, db: db, clean: clean, resumed: resumed)
    }
}

@Suite("Inspecting the journal: show, follow, audit, ledger, sql, db", .hangGuard)
struct InspectTests {
    @Test("audit lists every decision for a SKU once, with votes, run, execution, event, and whether the run was resumed")
    func audit() async throws {
        let journal = try await InspectedJournal.make()
        let result = try await cairn(["audit", "Apple", "--db", journal.db, "--json"])
        #expect(result.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 4)  // 2 cycles per run, each exactly once despite the crash
        let resumedRows = rows.filter { $0["runId"] as? String == journal.resumed }  // the read model's camelCase keys
        #expect(resumedRows.count == 2)
        #expect(resumedRows.allSatisfy { $0["resumed"] as? Int == 1 && $0["voteOnline"] is String && $0["decisionEvent"] as? String == "inventory.trade" })
        #expect(rows.filter { $0["runId"] as? String == journal.clean }.allSatisfy { $0["resumed"] as? Int == 0 && $0["voteOnline"] is NSNull })
        let text = try await cairn(["audit", "Apple", "--db", journal.db])
        #expect(text.stdout.contains("votes: online"))
        #expect(text.stdout.contains("[resumed]"))
        let none = try await cairn(["audit", "Durian", "--db", journal.db])
        #expect(none.status == 0)
        #expect(none.stdout.contains("no decisions for SKU 'Durian'"))
        let future = try await cairn(["audit", "Apple", "--db", journal.db, "--since", "2999-01-01", "--json"])
        #expect(future.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test("ledger shows entries and stock; the stock is the entries' sum")
    func ledger() async throws {
        let journal = try await InspectedJournal.make()
        let result = try await cairn(["ledger", "--db", journal.db, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let entries = try #require(object["entries"] as? [[String: Any]])
        let stock = try #require(object["stock"] as? [[String: Any]])
        #expect(entries.count == 4)
        #expect(stock.count == 1 && stock[0]["quantity"] as? Int == entries.compactMap { $0["quantity"] as? Int }.reduce(0, +))
        let one = try await cairn(["ledger", "--db", journal.db, "--run", journal.resumed, "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])?["entries"].map { ($0 as? [Any])?.count } == 2)
    }

    @Test("sql runs SELECTs on the views and refuses anything that could write, changing nothing")
    func sql() async throws {
        let journal = try await InspectedJournal.make()
        let select = try await cairn(["sql", "--db", journal.db, "--json", "SELECT status, COUNT(*) AS n FROM runs GROUP BY status"])
        #expect(select.status == 0)
        #expect(select.stdout.contains(#""n":2"#) && select.stdout.contains(#""status":"completed""#))
        let csv = try await cairn(["sql", "--db", journal.db, "--csv", "SELECT sku, decision FROM decisions ORDER BY entry_id LIMIT 1"])
        #expect(csv.lines.first == "sku,decision")
        let before = try contents(journal.db)
        let attached = journal.directory.path("attached.db"), vacuumed = journal.directory.path("copy.db")
        for statement in ["DELETE FROM run", "SELECT 1; DELETE FROM ledger_entry", "VACUUM INTO '\(vacuumed)'",
                          "ATTACH '\(attached)' AS other", "PRAGMA user_version = 7", "WITH x AS (SELECT 1) DELETE FROM stock_level",
                          "CREATE TABLE t (x)", "UPDATE run SET status = 'failed'"] {
            let refused = try await cairn(["sql", "--db", journal.db, statement])
            #expect(refused.status == 65, "\(statement)")
            #expect(refused.stderr.contains("could change the journal"), "\(statement): \(refused.stderr)")
        }
        let garbage = try await cairn(["sql", "--db", journal.db, "SELEKT 1"])
        #expect(garbage.status == 65 && garbage.stderr.contains("does not parse"))
        #expect(!FileManager.default.fileExists(atPath: attached) && !FileManager.default.fileExists(atPath: vacuumed))
        #expect(try contents(journal.db) == before)
    }

    @Test("sql --schema describes every column of every view, and the views have exactly those columns")
    func schema() async throws {
        let journal = try await InspectedJournal.make()
        for view in JournalViews.core + Inventory.journalExtension.views {
            let columns = try withJournalDatabase(journal.db) { db in try db.columns(in: view.name).map(\.name) }
            #expect(columns == view.columns.map(\.name), "view \(view.name)")
        }
        let result = try await cairn(["sql", "--schema"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("decisions — ") && result.stdout.contains("decision_seq"))
    }

    @Test("show gives the timeline of a crashed-and-resumed run: the unfinished attempts, the takeover, the reruns")
    func show() async throws {
        let journal = try await InspectedJournal.make()
        let result = try await cairn(["show", journal.resumed, "--db", journal.db, "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let timeline = try #require(object["timeline"] as? [[String: Any]])
        let executions = timeline.filter { $0["kind"] as? String == "attempt" }
        let unfinished = executions.filter { $0["outcome"] as? String == "unfinished" }
        #expect(!unfinished.isEmpty)
        for attempt in unfinished {  // every attempt the crash cut short ran again and completed
            #expect(executions.contains { $0["executionId"] as? Int == attempt["executionId"] as? Int
                && $0["attempt"] as? Int == (attempt["attempt"] as? Int ?? 0) + 1 && $0["outcome"] as? String == "completed" })
        }
        #expect(timeline.contains { $0["kind"] as? String == "resumed" && $0["epoch"] as? Int == 2 && $0["owner"] is String })
        #expect((object["run"] as? [String: Any])?["resumes"] as? Int == 1)
        #expect((object["progress"] as? [Any])?.count == 4)
        let text = try await cairn(["show", journal.resumed, "--db", journal.db])
        #expect(text.stdout.contains("run resumed") && text.stdout.contains("side effects") && text.stdout.contains("status       completed"))
        let unknown = try await cairn(["show", RunID().description, "--db", journal.db])
        #expect(unknown.status == 66)
    }

    @Test("several followers print a live run's progress as another process journals it, and exit 0 when it completes")
    func follow() async throws {
        let run = try await BackgroundRun.start(
            "feedback-monitor", input: #"{"sku": "Apple", "cycles": 3, "delayMs": 200, "seed": 1}"#, journaled: 1)
        async let first = cairn(["follow", run.id, "--db", run.db])
        async let second = cairn(["follow", run.id, "--db", run.db, "--json", "--from", "3"])
        let (a, b) = try await (first, second)
        _ = await run.process.finish()
        #expect(a.status == 0 && b.status == 0)
        #expect(a.lines.filter { $0.hasPrefix("  ") }.count == 9)
        #expect(a.lines.last?.hasPrefix("result: {") == true && a.lines.dropLast().last?.hasPrefix("completed in") == true)
        let events = b.lines.map(jsonObject).filter { $0["type"] as? String == "event" }
        #expect(events.map { $0["position"] as? Int } == Array(3...9))
        #expect(jsonObject(b.lines.last ?? "")["status"] as? String == "completed")
    }

    @Test("db status counts; db check passes on a sound journal and fails, naming the problem, on a damaged one")
    func db() async throws {
        let journal = try await InspectedJournal.make()
        let status = try await cairn(["db", "status", "--db", journal.db, "--json"])
        let object = jsonObject(status.stdout)
        #expect(object["schema"] as? String == JournalMigrator.knownMigrations([Inventory.journalExtension]).last)
        #expect((object["counts"] as? [String: Any])?["runs"] as? Int == 2)
        let check = try await cairn(["db", "check", "--db", journal.db])
        #expect(check.status == 0)
        #expect(check.stdout.hasPrefix("ok:"))
        try await database(journal.db).write { db in
            try db.execute(sql: "DELETE FROM event WHERE run_id = ? AND seq = 3", arguments: [journal.clean])
            try db.execute(sql: "UPDATE stock_level SET quantity = quantity + 1")
        }
        let damaged = try await cairn(["db", "check", "--db", journal.db])
        #expect(damaged.status == 1)
        #expect(damaged.stdout.contains("seq gap: \(journal.clean)"))
        #expect(damaged.stdout.contains("stock differs from ledger: Apple"))
        let migrate = try await cairn(["db", "migrate", "--db", journal.directory.path("new.sqlite")])
        #expect(migrate.status == 0 && migrate.stdout.contains(JournalMigrator.knownMigrations([Inventory.journalExtension]).last ?? "?"))
    }

    /// Every row of the journal's tables, as text: equal before and after means nothing changed.
    func contents(_ path: String) throws -> [String] {
        try withJournalDatabase(path) { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            return try tables.flatMap { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\(table): \($0)" }
            } + [try Int.fetchOne(db, sql: "PRAGMA user_version").map(String.init) ?? ""]
        }
    }
}

@Suite("cairn draw", .hangGuard)
struct DrawTests {
    @Test("draw prints every possible flow as Mermaid, DOT, or one self-contained HTML page")
    func formats() async throws {
        let mermaid = try await cairn(["draw", "complex-feedback-monitor"])
        #expect(mermaid.status == 0 && mermaid.stdout.hasPrefix("flowchart TD"))
        #expect(mermaid.stdout.contains("event_inventory_online_feedback --> step_trading_decision"))
        let dot = try await cairn(["draw", "feedback-monitor", "--format", "dot"])
        #expect(dot.stdout.hasPrefix("digraph \"feedback-monitor\"") && dot.stdout.contains("step_order -> event_inventory_loop;"))
        let directory = try TemporaryDirectory()
        let file = directory.path("graph.html")
        let html = try await cairn(["draw", "complex-feedback-monitor", "--format", "html", "-o", file])
        #expect(html.status == 0)
        let page = try String(contentsOfFile: file, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<svg"))
        #expect(!page.contains("<script") && !page.contains("https://") && !page.contains("<link"))  // nothing to fetch
        #expect(page.components(separatedBy: "class=\"node step\"").count - 1 == 6)
        #expect(page.components(separatedBy: "class=\"node event\"").count - 1 == 11)  // with inventory.approval, from outside
        #expect(page.components(separatedBy: "class=\"edge\"").count - 1 == 18)
        let unknown = try await cairn(["draw", "nope"])
        #expect(unknown.status == 64)
    }

    @Test("draw --run shows how often each step ran and how many of each event the run saw")
    func runPath() async throws {
        let journal = try await InspectedJournal.make()
        let drawn = try await cairn(["draw", "--run", journal.resumed, "--db", journal.db])
        #expect(drawn.status == 0)
        let attempts = try withJournalDatabase(journal.db) { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM step_executions WHERE run_id = ? AND step = 'begin'", arguments: [journal.resumed])
        }
        #expect(drawn.stdout.contains("step_begin[\"begin · \(attempts ?? -1)×"))
        #expect(drawn.stdout.contains("event_inventory_trade(\"inventory.trade ×2\")"))
        #expect(drawn.stdout.contains("class ") && drawn.stdout.contains("visited"))
    }
}

@Suite("cairn replay", .hangGuard)
struct ReplayCommandTests {
    @Test("replay re-emits the run's stream as its caller saw it; a crashed-and-resumed run replays clean with --check")
    func replay() async throws {
        let journal = try await InspectedJournal.make()
        let replayed = try await cairn(["replay", journal.resumed, "--db", journal.db, "--json"])
        #expect(replayed.status == 0)
        let lines = replayed.lines.map(jsonObject)
        #expect(lines.dropLast().map { $0["position"] as? Int } == [1, 2, 3, 4])
        #expect(lines.last?["status"] as? String == "completed")
        let check = try await cairn(["replay", journal.resumed, "--db", journal.db, "--check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("13 recorded attempt(s) re-executed and matched"), "\(check.stdout)")
        #expect(check.lines.last == "1 run(s) checked: 1 matched, 0 diverged, 0 could not be replayed, 0 skipped")
        let unknown = try await cairn(["replay", RunID().description, "--db", journal.db, "--check"])
        #expect(unknown.status == 66)
    }
}

@Suite("cairn fork and diff", .hangGuard)
struct ForkTests {
    @Test("fork at a decision with the decision edited: a real run of its own, linked to its origin; diff shows where they part")
    func forkWhatIf() async throws {
        let journal = try await InspectedJournal.make()
        let trade = try withJournalDatabase(journal.db) { db in
            try Row.fetchOne(db, sql: "SELECT seq, json_extract(payload, '$.decision') AS decision FROM events WHERE run_id = ? AND name = 'inventory.trade' ORDER BY seq",
                             arguments: [journal.resumed])
        }
        let seq: Int = try #require(trade)["seq"]
        let decision: String = try #require(trade)["decision"]
        let flipped = decision == "Good" ? "Bad" : "Good"
        let fork = try await cairn(["fork", journal.resumed, "--at", "\(seq)", "--db", journal.db, "--json",
                                    "--input-patch", #"{"decision": "\#(flipped)"}"#])
        #expect(fork.status == 0, "\(fork.stderr)")
        let forkID = try #require(jsonObject(fork.lines.last ?? "")["runId"] as? String)
        let rows = try withJournalDatabase(journal.db) { db in
            try Row.fetchAll(db, sql: "SELECT run_id, decision, forked FROM decisions WHERE round = 1 AND run_id IN (?, ?)",
                             arguments: [journal.resumed, forkID])
        }
        let original = try #require(rows.first { $0["run_id"] == journal.resumed })
        let forked = try #require(rows.first { $0["run_id"] == forkID })
        #expect(original["decision"] as String != forked["decision"] as String)  // the what-if decided otherwise
        #expect(forked["forked"] as Int == 1 && original["forked"] as Int == 0)
        #expect(try withJournalDatabase(journal.db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM ledger WHERE run_id = ?", arguments: [forkID]) } == 2)
        let shown = try await cairn(["show", journal.resumed, "--db", journal.db])
        #expect(shown.stdout.contains("fork         \(forkID) at seq \(seq)"))
        let shownFork = try await cairn(["show", forkID, "--db", journal.db])
        #expect(shownFork.stdout.contains("forked from  \(journal.resumed) at seq \(seq)"))
        let diff = try await cairn(["diff", journal.resumed, forkID, "--db", journal.db, "--json"])
        let difference = jsonObject(diff.stdout)
        #expect(difference["firstDifference"] as? Int == seq)
        let onlyInFirst = difference["onlyInFirst"] as? [[String: Any]] ?? []
        #expect(onlyInFirst.first?["seq"] as? Int == seq)
        #expect((onlyInFirst.first?["event"] as? String)?.contains(#""decision":"\#(decision)""#) == true)
        let check = try await cairn(["db", "check", "--db", journal.db])
        #expect(check.status == 0, "\(check.stdout)")
        let listed = try await cairn(["list", "--db", journal.db, "--json"])
        let listedFork = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.first { $0["runId"] as? String == forkID }
        #expect(listedFork?["originRunId"] as? String == journal.resumed)
        let replayed = try await cairn(["replay", forkID, "--db", journal.db, "--check"])
        #expect(replayed.status == 0, "\(replayed.stdout)")
    }

    @Test("fork says when the event falls inside a commit; a seq beyond the run's end is refused, creating nothing")
    func forkEdges() async throws {
        let journal = try await InspectedJournal.make()
        let inside = try await cairn(["fork", journal.clean, "--at", "1", "--db", journal.db, "--input-patch", #"{"input": {"cycles": 3}}"#])
        #expect(inside.status == 0)
        #expect(inside.stdout.contains("completed"))
        let forked = try withJournalDatabase(journal.db) { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger WHERE run_id IN (SELECT run_id FROM runs WHERE origin_run_id = ?)",
                             arguments: [journal.clean])
        }
        #expect(forked == 3)  // the patched input asked for three cycles
        let complex = try await cairn(["fork", journal.resumed, "--at", "3", "--db", journal.db])
        #expect(complex.stderr.contains("event 3 was journaled by the commit of step 'begin'"))
        let runs = try withJournalDatabase(journal.db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") }
        let beyond = try await cairn(["fork", journal.clean, "--at", "999", "--db", journal.db])
        #expect(beyond.status == 65)
        #expect(beyond.stderr.contains("has no event 999"))
        let badPatch = try await cairn(["fork", journal.clean, "--at", "1", "--db", journal.db, "--input-patch", #"{"input": {"cycles": "x"}}"#])
        #expect(badPatch.status == 65)
        #expect(try withJournalDatabase(journal.db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") } == runs)
    }

    @Test("fork --step forks at a step's first trigger; --from-failure with no failure, or two ways at once, is refused in one line")
    func forkAtStepOrFailure() async throws {
        let journal = try await InspectedJournal.make()
        let atStep = try await cairn(["fork", journal.clean, "--step", "get_feedback", "--db", journal.db])
        #expect(atStep.status == 0, "\(atStep.stderr)")
        #expect(atStep.lines.first?.hasPrefix("fork ") == true && atStep.lines.first?.hasSuffix("at seq 2") == true, "\(atStep.stdout)")
        let runs = try withJournalDatabase(journal.db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") }
        let noFailure = try await cairn(["fork", journal.clean, "--from-failure", "--db", journal.db])
        #expect(noFailure.status == 65 && noFailure.stderr.contains("has no failed step execution"), "\(noFailure.stderr)")
        for arguments in [["--at", "2", "--step", "begin"], [], ["--at", "0"]] {
            let refused = try await cairn(["fork", journal.clean, "--db", journal.db] + arguments)
            #expect(refused.status == 64 && refused.stderr.split(separator: "\n").count == 1, "\(arguments): \(refused.stderr)")
        }
        #expect(try withJournalDatabase(journal.db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") } == runs)
    }
}
