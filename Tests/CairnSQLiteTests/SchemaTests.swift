import Cairn
import CairnInventory
@testable import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

@Suite("Journal schema: typed records, the domain as a plug-in, a journal from the previous release", .hangGuard)
struct SchemaTests {
    /// `Tests/Fixtures/wave1-journal.sqlite`, made by the wave-1 binary (migrations 0001–0003): a completed
    /// hello run, a completed feedback monitor (2 ledger rows), and a complex monitor killed at `after-commit:6`.
    static let interruptedRun = "00000000-0000-4000-8000-000000000003"

    @Test("a journal written by the previous release opens, migrates and resumes its interrupted run")
    func previousReleaseResumes() async throws {
        let (_, path) = try fixtureCopy()
        let resumed = try await cairn(["resume", Self.interruptedRun, "--db", path, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(jsonObject(resumed.lines.last ?? "")["status"] as? String == "completed")
        let migrations = try withJournalDatabase(path) { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
        #expect(Set(migrations) == Set(JournalMigrator.knownMigrations([Inventory.journalExtension])))
        #expect(!migrations.contains("0002_inventory_ledger"))  // replaced by inventory/0001_ledger, its tables kept
        try checkJournal(path, run: Self.interruptedRun, cycles: 2)
        try checkJournal(path, run: "00000000-0000-4000-8000-000000000002", cycles: 2)
        let list = try await cairn(["list", "--db", path, "--json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == 3 && runs.allSatisfy { $0["status"] as? String == "completed" })
        let check = try await cairn(["db", "check", "--db", path])
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test("a journal without the inventory plugged in has none of its tables or views; one with them is not 'newer'")
    func domainIsAPlugIn() async throws {
        let directory = try TemporaryDirectory()
        let bare = directory.path("bare.sqlite")
        _ = try SQLiteJournal(path: bare)
        let names = try withJournalDatabase(bare) { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')") }
        #expect(names.contains("runs") && names.contains("journal"))
        #expect(!names.contains { ["ledger_entry", "stock_level", "decisions", "ledger", "stock"].contains($0) })
        // A journal made with the inventory is opened by a binary without it (a user's own CLI).
        let (_, fixture) = try fixtureCopy()
        _ = try SQLiteJournal(path: fixture, extensions: [Inventory.journalExtension])
        _ = try SQLiteJournal(path: fixture)
        let (_, wave1) = try fixtureCopy()
        _ = try SQLiteJournal(path: wave1)  // wave 1's inventory migration is known, though not applied here
        #expect(try await SQLiteJournal(path: wave1).summary(of: RunID(Self.interruptedRun)!)?.status == .running)
    }

    @Test("an unknown record kind, outcome or status is an error naming the run and the record, never a default")
    func unknownValuesAreDamage() async throws {
        let (_, path) = try fixtureCopy()
        let journal = try SQLiteJournal(path: path, extensions: [Inventory.journalExtension])
        let run = RunID("00000000-0000-4000-8000-000000000001")!
        try await database(path).write { db in
            try db.execute(sql: "UPDATE journal SET outcome = 'exploded' WHERE run_id = ? AND kind = 'execution_finished'",
                           arguments: [run.description])
        }
        await #expect { _ = try await journal.records(for: run) } throws: { error in
            let error = error as? CairnError
            return error?.code == .journalDamaged && error?.message.contains("of run \(run) has outcome 'exploded'") == true
        }
        try await database(path).write { db in
            try db.execute(sql: "UPDATE journal SET kind = 'teleported' WHERE run_id = ? AND position = 2", arguments: [run.description])
            try db.execute(sql: "UPDATE run SET status = 'broken' WHERE run_id = '00000000-0000-4000-8000-000000000002'")
        }
        await #expect { _ = try await journal.records(for: run) } throws: { error in
            (error as? CairnError)?.message.contains("record 2 of run \(run) has kind 'teleported'") == true
        }
        await #expect { _ = try await journal.runs(RunQuery()) } throws: { error in
            (error as? CairnError)?.code == .journalDamaged && "\(error)".contains("status 'broken'")
        }
    }

    @Test("run --json, follow --json and replay --json end with one outcome shape")
    func oneOutcomeShape() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let run = try await cairn(["run", "hello", "--db", db, "--json", "--input", #"{"name": "Ada"}"#])
        let outcome = jsonObject(run.lines.last ?? "")
        let id = try #require(outcome["runId"] as? String)
        let follow = try await cairn(["follow", id, "--db", db, "--json"])
        let replay = try await cairn(["replay", id, "--db", db, "--json"])
        for other in [follow, replay] {
            let object = jsonObject(other.lines.last ?? "")
            #expect(Set(object.keys) == Set(outcome.keys))
            #expect(object["result"] as? String == outcome["result"] as? String && object["result"] as? String == "Hello, Ada!")
        }
        let failing = try await cairn(["run", "feedback-monitor", "--db", db, "--json", "--timeout", "0.001",
                                       "--input", #"{"sku": "Apple", "cycles": 5, "delayMs": 200}"#])
        let failed = jsonObject(failing.lines.last ?? "")
        let error = try #require(failed["error"] as? [String: Any])
        #expect(failed["status"] as? String == "timed_out" && error["code"] as? String == "run-timed-out" && error["message"] is String)
        let followed = jsonObject(try await cairn(["follow", failed["runId"] as? String ?? "", "--db", db, "--json"]).lines.last ?? "")
        #expect((followed["error"] as? [String: Any])?["code"] as? String == "run-timed-out")
    }
}
