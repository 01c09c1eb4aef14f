import Cairn
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

@Suite("cairn command line", .hangGuard)
struct CLITests {
    @Test("global options are accepted before or after the command")
    func globalOptionsAnywhere() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let run = try await cairn(["run", "hello", "--db", db, "--json"])
        #expect(run.status == 0)
        let before = try await cairn(["--db", db, "--json", "list"])
        let after = try await cairn(["list", "--db", db, "--json"])
        let mixed = try await cairn(["--json", "list", "--db", db])
        #expect(before.status == 0 && after.status == 0 && mixed.status == 0)
        #expect(before.stdout == after.stdout && after.stdout == mixed.stdout)
        #expect(before.stdout.contains("\"status\":\"completed\""))
        let viaEnvironment = try await cairn(["list", "--json"], environment: ["CAIRN_DB": db])
        #expect(viaEnvironment.stdout == before.stdout)
    }

    @Test("run --json streams one object per line and ends with the outcome")
    func runJSON() async throws {
        let directory = try TemporaryDirectory()
        let result = try await cairn(["run", "feedback-monitor", "--db", directory.path("j.sqlite"), "--json",
                                      "--input", #"{"sku": "Apple", "cycles": 2, "delayMs": 0, "seed": 42}"#])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("\n\n"), "a blank line is not JSON Lines")
        let objects = result.lines.map(jsonObject)
        #expect(objects.dropLast().allSatisfy { $0["type"] as? String == "event" })
        #expect(objects.dropLast().count == 6)  // three lines per round
        let outcome = try #require(objects.last)
        #expect(outcome["status"] as? String == "completed")
        #expect(RunID(outcome["runId"] as? String ?? "") != nil)
        #expect(((outcome["result"] as? [String: Any])?["decisions"] as? [Any])?.count == 2)
    }

    @Test("every command has help")
    func help() async throws {
        for command in ["run", "resume", "list", "cancel", "show", "follow", "audit", "ledger", "sql", "draw", "replay", "fork", "diff",
                        "export", "import", "workflows", "db", "db status", "db check", "db migrate"] {
            let result = try await cairn(command.split(separator: " ").map(String.init) + ["--help"])
            #expect(result.status == 0, "\(command) --help")
            #expect(result.stdout.contains("USAGE: cairn \(command)"), "\(command) --help")
        }
        let root = try await cairn(["--help"])
        #expect(root.stdout.contains("Exit codes"))
    }

    @Test("--log-format json writes one JSON object per log line, with the run, execution and attempt as keys")
    func jsonLogs() async throws {
        let directory = try TemporaryDirectory()
        let run = try await cairn(["run", "hello", "--db", directory.path("j.sqlite"), "--log-level", "debug", "--log-format", "json", "--json"])
        #expect(run.status == 0)
        let id = try run.runID()
        let logs = run.stderr.split(separator: "\n").map { jsonObject(String($0)) }
        #expect(!logs.isEmpty && logs.allSatisfy { $0["level"] as? String != nil && $0["message"] as? String != nil }, "\(run.stderr)")
        #expect(logs.contains { $0["cairn.run.id"] as? String == id && $0["cairn.step.attempt"] as? String == "1" })
        let refused = try await cairn(["list", "--log-format", "xml", "--db", directory.path("j.sqlite")])
        #expect(refused.status == 64 && refused.stderr.contains("Unknown log format 'xml'"))
    }

    @Test("run --help and a run with no workflow list the workflows with their input fields; workflows --json describes them")
    func workflowsListed() async throws {
        let help = try await cairn(["run", "--help"])
        #expect(help.stdout.contains("Workflows and their inputs:") && help.stdout.contains(#""sku": non-empty string, required"#)
            && help.stdout.contains(#""name": string, default "world""#), "\(help.stdout)")
        let bare = try await cairn(["run"])
        #expect(bare.status == 64 && bare.stderr.contains("Name the workflow to run: complex-feedback-monitor, feedback-monitor, hello, modular-feedback-monitor, order-station"),
                "\(bare.stderr)")
        let described = try await cairn(["workflows", "--json"])
        let workflows = try #require(try JSONSerialization.jsonObject(with: Data(described.stdout.utf8)) as? [[String: Any]])
        #expect(workflows.compactMap { $0["name"] as? String }
            == ["complex-feedback-monitor", "feedback-monitor", "hello", "modular-feedback-monitor", "order-station"])
        #expect(workflows.first { $0["name"] as? String == "order-station" }?["startsOn"] as? String == "inventory.trade-request")
        let monitor = try #require(workflows.first { $0["name"] as? String == "feedback-monitor" })
        #expect((monitor["inputFields"] as? [[String: Any]])?.first { $0["name"] as? String == "cycles" }?["default"] as? String == "1")
        #expect((monitor["steps"] as? [[String: Any]])?.contains { $0["name"] as? String == "get_feedback" } == true)
    }

    @Test("bad input gets one sentence and the contract's exit code")
    func exitCodes() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let unknownWorkflow = try await cairn(["run", "nope", "--db", db])
        #expect(unknownWorkflow.status == 64)
        #expect(unknownWorkflow.stderr.contains("the workflows are complex-feedback-monitor, feedback-monitor, hello"))
        let unknownField = try await cairn(["run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycle": 2}"#])
        #expect(unknownField.status == 65)
        #expect(unknownField.stderr.contains("unknown field 'cycle'"))
        let wrongType = try await cairn(["run", "feedback-monitor", "--db", db, "--input", #"{"sku": "Apple", "cycles": "two"}"#])
        #expect(wrongType.status == 65)
        #expect(wrongType.stderr.contains("field 'cycles' must be an integer"))
        let malformed = try await cairn(["run", "hello", "--db", db, "--input", "{nope"])
        #expect(malformed.status == 65)
        #expect(malformed.stderr.contains("not valid JSON"))
        let missingFile = try await cairn(["run", "hello", "--db", db, "--input", "@/nonexistent/input.json"])
        #expect(missingFile.status == 66)
        _ = try await cairn(["run", "hello", "--db", db])
        let unknownRun = try await cairn(["resume", RunID().description, "--db", db])
        #expect(unknownRun.status == 66)
        let noJournal = try await cairn(["list", "--db", directory.path("missing.sqlite")])
        #expect(noJournal.status == 66)
        let usage = try await cairn(["resume", "--db", db])
        #expect(usage.status == 64)
        for result in [unknownWorkflow, unknownField, malformed, unknownRun, usage] {
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.isEmpty)
        }
        try await database(db).write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0099_future')") }
        let tooNew = try await cairn(["list", "--db", db])
        #expect(tooNew.status == 4)
        #expect(tooNew.stderr.contains("written by a newer Cairn"))
    }

    @Test("a run owned by a live process is refused with exit 3, naming owner and expiry; --id returns the existing run")
    func ownedRun() async throws {
        // Runs for hours unless killed: the test decides when it ends.
        let run = try await BackgroundRun.start(
            "feedback-monitor", input: #"{"sku": "Apple", "cycles": 10000, "delayMs": 1000}"#, leaseTTL: 30, journaled: 3)
        let (db, id, owner) = (run.db, run.id, run.process)
        let resume = try await cairn(["resume", id, "--db", db])
        #expect(resume.status == 3)
        #expect(resume.stderr.contains("is owned by") && resume.stderr.contains(":\(owner.pid):") && resume.stderr.contains("s from now"))
        let again = try await cairn(["run", "feedback-monitor", "--db", db, "--id", id, "--input", #"{"sku": "Apple"}"#])
        #expect(again.status == 3)
        let all = try await cairn(["resume", "--all", "--db", db])
        #expect(all.status == 0)
        #expect(all.stdout.contains("\(id)  skipped"))
        owner.signal(SIGKILL)
        _ = await owner.finish()
        let runs = try withJournalDatabase(db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") }
        #expect(runs == 1)
    }

    @Test("Ctrl-C interrupts: the run is left resumable, listed as interrupted, and resume finishes it")
    func interruptAndResume() async throws {
        // Stopped at its second commit: the Ctrl-C lands mid-run however loaded the machine is.
        let run = try await BackgroundRun.paused(
            "feedback-monitor", input: #"{"sku": "Apple", "cycles": 16, "delayMs": 250, "seed": 42}"#, at: "after-commit:2")
        let (directory, db, id, process) = (run.directory, run.db, run.id, run.process)
        process.signal(SIGINT)
        process.signal(SIGCONT)
        let result = await process.finish()
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stdout.contains("resume it with: cairn resume \(id)"))
        let listed = try await cairn(["list", "--db", db, "--status", "interrupted", "--json"])
        #expect(listed.stdout.contains(id))
        let resumed = try await cairn(["resume", id, "--db", db, "--json"])
        #expect(resumed.status == 0)
        try checkJournal(db, run: id, cycles: 16)
        // The interrupted and resumed run decided exactly what an uninterrupted run with the same seed decides.
        let reference = try await cairn(["run", "feedback-monitor", "--db", directory.path("ref.sqlite"), "--json",
                                         "--input", #"{"sku": "Apple", "cycles": 16, "delayMs": 0, "seed": 42}"#])
        let resumedResult = jsonObject(resumed.lines.last ?? "")["result"] as? NSDictionary
        #expect(resumedResult != nil)
        #expect(resumedResult == jsonObject(reference.lines.last ?? "")["result"] as? NSDictionary)
    }

    @Test("cancel is terminal: an interrupted run is cancelled at once, an ended one is refused")
    func cancel() async throws {
        let run = try await BackgroundRun.paused("feedback-monitor", input: #"{"sku": "Apple", "cycles": 16, "delayMs": 300}"#, at: "after-commit:2")
        let (db, id, process) = (run.db, run.id, run.process)
        process.signal(SIGINT)
        process.signal(SIGCONT)
        _ = await process.finish()
        let cancelled = try await cairn(["cancel", id, "--db", db])
        #expect(cancelled.status == 0)
        #expect(cancelled.stdout.contains("cancelled"))
        let again = try await cairn(["cancel", id, "--db", db])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already ended cancelled"))
        let resumed = try await cairn(["resume", id, "--db", db])
        #expect(resumed.status == 1)
        let followed = try await cairn(["follow", id, "--db", db])
        #expect(followed.status == 1)  // follow exits 1 for a run that did not complete
        #expect(followed.stdout.contains("cancelled"))
    }

    @Test("cancel on a run a live process owns is carried out by that process")
    func cancelLiveRun() async throws {
        // Long enough that the cancel lands however slowly a loaded machine starts the `cancel` process.
        let run = try await BackgroundRun.start(
            "feedback-monitor", input: #"{"sku": "Apple", "cycles": 20, "delayMs": 5000}"#, leaseTTL: 1, journaled: 3)
        let (db, id, owner) = (run.db, run.id, run.process)
        let cancelled = try await cairn(["cancel", id, "--db", db])
        #expect(cancelled.status == 0, "\(cancelled.stdout)\(cancelled.stderr)")
        let result = await owner.finish()
        #expect(result.status == 1, "\(result.stdout.suffix(300))\(result.stderr)")
        #expect(try withJournalDatabase(db) { try String.fetchOne($0, sql: "SELECT status FROM run") } == "cancelled")
    }

    @Test("a read-only journal (immutable file: chmod does not stop root) gets one sentence and stays intact")
    func readOnlyJournal() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        _ = try await cairn(["run", "hello", "--db", db])
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        try #require(try await runToEnd("/usr/bin/chattr", ["+i", db]).status == 0, "chattr +i is not available on this file system")
        var failure: (any Error)?
        do { try await readOnlyJournalChecks(db, before: before) } catch { failure = error }
        _ = try await runToEnd("/usr/bin/chattr", ["-i", db])
        if let failure { throw failure }
    }

    func readOnlyJournalChecks(_ db: String, before: Data) async throws {
        let result = try await cairn(["run", "hello", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.lowercased().contains("is read-only"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let read = try await cairn(["sql", "--db", db, "--json", "SELECT workflow FROM runs"])  // inspecting still works
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("\"workflow\":\"hello\""))
        let listed = try await cairn(["list", "--db", db])
        #expect(listed.status == 0 && listed.stdout.contains("hello"), "\(listed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }
}

@Suite("cairn resume --all and other binaries' runs", .hangGuard)
struct ResumeAllTests {
    @Test("resume --all reports a run of a workflow this binary does not register as skipped, leaves it untouched and exits 0")
    func unregisteredWorkflowSkipped() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("shared.sqlite")
        let run = RunID()
        let journal = try SQLiteJournal(path: db)
        let start = JournaledEvent(seq: 1, name: "cairn.start", payload: Data(#"{"input":1}"#.utf8), executionID: nil, value: nil)
        try await journal.append([.runStarted(RunStarted(runID: run, workflow: "elsewhere", fingerprint: "f", shape: "s", version: nil,
                                                         seed: nil, deadline: nil, at: Date(), start: start))], for: run)
        journal.close()
        let all = try await cairn(["resume", "--all", "--db", db])
        #expect(all.status == 0, "\(all.stdout)\(all.stderr)")
        #expect(all.stdout.contains("\(run)  skipped  (workflow 'elsewhere' is not registered in this binary"), "\(all.stdout)")
        let records = try withJournalDatabase(db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM journal WHERE run_id = ?", arguments: [run.description]) }
        #expect(records == 1)
    }
}
