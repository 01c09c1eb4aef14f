import Cairn
import CairnTesting
import Foundation
import GRDB
import Testing

/// `cairn replay --check` over many runs, as a deploy gate.
@Suite("cairn replay --check as a deploy gate", .hangGuard)
struct ReplayGateCommandTests {
    @Test("one of three runs diverges: every run gets a line, the summary counts them, exit 1; --fail-fast stops there")
    func oneOfThreeDiverges() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("gate.sqlite")
        var runs: [String] = []
        for name in ["Ada", "Grace", "Edsger"] {
            let run = try await cairn(["run", "hello", "--input", #"{"name": "\#(name)"}"#, "--db", db, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            runs.append(try run.runID())
        }
        let clean = try await cairn(["replay", "--check", "--all", "--db", db])
        #expect(clean.status == 0 && clean.lines.last == "3 run(s) checked: 3 matched, 0 diverged, 0 could not be replayed, 0 skipped",
                "\(clean.stdout)\(clean.stderr)")

        // The journal says Grace was greeted otherwise than today's code greets her: that run diverges.
        let grace = runs[1]
        try await database(db).write { db in
            try db.execute(sql: "UPDATE event SET payload = ? WHERE run_id = ? AND name = 'cairn.stop'",
                           arguments: [#"{"result":"Hi, Grace!"}"#, grace])
        }
        let gate = try await cairn(["replay", "--check", "--all", "--db", db])
        #expect(gate.status == 1)
        #expect(gate.lines.last == "3 run(s) checked: 2 matched, 1 diverged, 0 could not be replayed, 0 skipped", "\(gate.stdout)")
        #expect(gate.lines.contains { $0.hasPrefix("DIVERGED  \(runs[1])") })
        #expect(gate.stdout.contains(#"expected  cairn.stop {"result":"Hi, Grace!"}"#))
        #expect(gate.lines.filter { $0.hasPrefix("ok ") }.count == 2)

        let json = try await cairn(["replay", "--check", runs[0], runs[1], "--db", db, "--json"])
        let lines = json.lines.map(jsonObject)
        #expect(json.status == 1 && lines.count == 3)
        #expect(lines.map { $0["verdict"] as? String } == ["matched", "diverged", nil])
        #expect((lines[1]["divergence"] as? [String: Any])?["step"] as? String == "second_step")
        #expect(lines[2]["type"] as? String == "summary" && lines[2]["diverged"] as? Int == 1 && lines[2]["checked"] as? Int == 2)

        let fast = try await cairn(["replay", "--check", runs[1], runs[0], runs[2], "--fail-fast", "--db", db])
        #expect(fast.status == 1 && fast.lines.last?.hasPrefix("1 run(s) checked (stopped at the first failure; 2 not checked)") == true,
                "\(fast.stdout)")

        let since = try await cairn(["replay", "--check", "--workflow", "hello", "--since", "1h", "--db", db, "--json"])
        #expect((since.lines.last.map(jsonObject)?["checked"] as? Int) == 3)
        let future = try await cairn(["replay", "--check", "--since", "2999-01-01", "--db", db])
        #expect(future.status == 0 && future.lines.last?.hasPrefix("0 run(s) checked") == true)
    }

    @Test("usage: runs or a selection, not both; selections only with --check; an unknown run is 66")
    func usage() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("gate.sqlite")
        let run = try await cairn(["run", "hello", "--db", db, "--json"])
        let id = try run.runID()
        for arguments in [["replay", "--check"], ["replay", "--check", id, "--all"], ["replay", "--all"], ["replay", id, id],
                          ["replay", "--check", "--since", "yesterday"]] {
            let result = try await cairn(arguments + ["--db", db])
            #expect(result.status == 64 && result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        #expect(try await cairn(["replay", "--check", id, RunID().description, "--db", db]).status == 66)
    }
}

@Suite("cairn export and import", .hangGuard)
struct ExportImportCommandTests {
    @Test("a run exported from one journal and imported into another replays clean there, writes no ledger rows, and imports once")
    func acrossJournals() async throws {
        let directory = try TemporaryDirectory()
        let production = directory.path("production.sqlite"), test = directory.path("test.sqlite")
        let run = try await cairn(["run", "feedback-monitor", "--input", "@-", "--db", production, "--json"],
                                  stdin: Data(#"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 3}"#.utf8))
        #expect(run.status == 0, "input read from a pipe: \(run.stderr)")
        let id = try run.runID()
        let exported = try await cairn(["export", id, "--db", production])
        #expect(exported.status == 0 && exported.lines.count == 1)
        let archive = try #require(jsonObject(exported.stdout)["records"] as? [[String: Any]])
        #expect(archive.first?["kind"] as? String == "runStarted")

        let imported = try await cairn(["import", "-", "--db", test], stdin: Data(exported.stdout.utf8))
        #expect(imported.status == 0 && imported.stdout.contains("imported run \(id) (feedback-monitor, completed"), "\(imported.stderr)")
        let check = try await cairn(["replay", "--check", id, "--db", test])
        #expect(check.status == 0, "\(check.stdout)")
        let shown = try await cairn(["show", id, "--db", test, "--json"])
        #expect((jsonObject(shown.stdout)["run"] as? [String: Any])?["status"] as? String == "completed", "\(shown.stdout.prefix(300))")
        let ledger = try withJournalDatabase(test) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM ledger") }
        #expect(ledger == 0, "an import applies no database effects")

        let again = try await cairn(["import", "-", "--db", test], stdin: Data(exported.stdout.utf8))
        #expect(again.status == 1 && again.stderr.contains("exists already"))
        let garbage = try await cairn(["import", "-", "--db", test], stdin: Data("[1, 2]".utf8))
        #expect(garbage.status == 65 && garbage.stderr.split(separator: "\n").count == 1, "\(garbage.stderr)")
        let missing = try await cairn(["import", directory.path("nope.json"), "--db", test])
        #expect(missing.status == 66)
    }
}
