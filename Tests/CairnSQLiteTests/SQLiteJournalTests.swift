import Cairn
import CairnInventory
import CairnTesting
@testable import CairnSQLite
import Foundation
import GRDB
import Testing

@Suite("SQLite journal", .hangGuard)
struct SQLiteJournalTests {
    @Test("a run's outcome read back from the journal is exactly what its caller saw: a string stays a string, an error its object")
    func exactOutcomes() async throws {
        struct Echo: Workflow {
            typealias Input = String
            typealias Output = String
            static let name = "echo"
            var steps: [AnyStep] {
                FunctionStep("echo", retry: .none) { (start: StartEvent<String>, context) -> StopEvent<String>? in
                    if start.input == "fail" { throw CairnError(.invalidInput, "told to fail") }
                    return StopEvent(start.input)
                }
            }
        }
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("j.sqlite"))
        defer { journal.close() }
        let engine = Engine(journal: journal)
        for input in ["111", "null", "{\"a\": 1}", "true"] {
            let handle = try await engine.start(Echo(), input: input)
            #expect(try await handle.result == input)
            let summary = try #require(try await journal.summary(of: handle.runID))
            #expect(summary.result == .string(input))
            #expect(try CairnJSON.text(RunOutcome(summary)).contains(try CairnJSON.text(JSONValue.string(input))))
        }
        let failing = try await engine.start(Echo(), input: "fail")
        let seen = try await #require(throws: RunError.self) { try await failing.result }
        let readBack = try #require(try await journal.summary(of: failing.runID)).error
        #expect(readBack == seen && readBack?.attempts == 1 && readBack?.failedAt != nil && readBack?.elapsedSeconds != nil)
    }

    @Test("a step still running when another reaches the stop is recorded abandoned, with its attempt, and cancelled")
    func runEndAbandonsWhatIsRunning() async throws {
        struct Fast: Event { static let eventName = "test.fast" }
        struct Slow: Event { static let eventName = "test.slow" }
        struct Race: Workflow {
            typealias Input = Int
            typealias Output = Int
            static let name = "race"
            let cancelled: Gate
            var steps: [AnyStep] {
                FunctionStep("fork") { (start: StartEvent<Int>, context) -> OneOf2<Fast, Slow>? in
                    try context.send(Slow())
                    return .init(Fast())
                }
                FunctionStep("fast") { (fast: Fast, context) -> StopEvent<Int>? in StopEvent(1) }
                FunctionStep("slow") { [cancelled] (slow: Slow, context) -> StopEvent<Int>? in
                    do { try await Task.sleep(for: .seconds(3_600)) } catch { cancelled.open() }
                    return nil
                }
            }
        }
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let journal = try SQLiteJournal(path: path)
        defer { journal.close() }
        let cancelled = Gate()
        let handle = try await Engine(journal: journal).start(Race(cancelled: cancelled), input: 0)
        #expect(try await handle.result == 1)
        await cancelled.wait()  // the abandoned attempt was cancelled, not left sleeping
        let rows = try withJournalDatabase(path) {
            try Row.fetchAll($0, sql: "SELECT step, attempt, outcome FROM step_executions WHERE run_id = ? ORDER BY execution_id",
                             arguments: [handle.runID.description])
        }
        #expect(rows.map { "\($0["step"] as String):\($0["attempt"] as Int):\($0["outcome"] as String)" }
            == ["fork:1:completed", "slow:1:abandoned", "fast:1:completed"])
        let resumed = try await Engine(journal: journal).resume(Race(cancelled: Gate()), run: handle.runID)
        #expect(try await resumed.result == 1)  // the journal rebuilds: the ended run is returned as it is
    }

    @Test("the writer runs with synchronous=FULL and WAL")
    func durabilitySettings() throws {
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("j.sqlite"))
        #expect(try journal.writerSynchronousMode == 2)
        #expect(try journal.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test("the migrations compiled into the binary are exactly Migrations/<schema>/*.sql", arguments: ["journal", "inventory"])
    func embeddedMigrationsMatchSources(schema: String) throws {
        let compiled = schema == "journal" ? JournalMigrations.all : InventoryMigrations.all
        let folder = repositoryRoot.appendingPathComponent("Migrations/\(schema)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        let prefix = schema == "journal" ? "" : "\(schema)/"
        #expect(files.map { prefix + String($0.dropLast(4)) } == compiled.map(\.identifier),
                "Migrations/\(schema) changed: run Scripts/generate-migrations.py")
        for (file, migration) in zip(files, compiled) {
            let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(sql.trimmingCharacters(in: .newlines) == migration.sql.trimmingCharacters(in: .newlines),
                    "\(file) differs from the compiled migration: run Scripts/generate-migrations.py")
        }
    }

    @Test("a journal written by a newer Cairn is refused with a sentence, and left untouched")
    func newerJournalRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        _ = try SQLiteJournal(path: path)
        try database(path).write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0099_from_the_future')") }
        #expect {
            _ = try SQLiteJournal(path: path)
        } throws: { error in
            (error as? CairnError)?.code == .journalTooNew && "\(error)".contains("0099_from_the_future")
        }
        #expect(try database(path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM grdb_migrations") } == JournalMigrations.all.count + 1)
    }

    @Test("a file that is not SQLite is refused with a sentence")
    func notADatabase() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try SQLiteJournal(path: path)
        } throws: { error in
            (error as? CairnError)?.code == .journalUnavailable && "\(error)".contains("not a Cairn journal")
        }
    }

    @Test("the monitors run on the SQLite journal, one ledger row per cycle, stock the ledger's sum", arguments: [false, true])
    func monitorsOnSQLite(complex: Bool) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let engine = Engine(journal: try SQLiteJournal(path: path, extensions: [Inventory.journalExtension]))
        let input = MonitorInput(sku: "Apple", cycles: 4, delayMs: 0, seed: 42)
        let runID: RunID
        let report: MonitorReport
        if complex {
            let handle = try await engine.start(ComplexFeedbackMonitor(), input: input)
            (runID, report) = (handle.runID, try await handle.result)
        } else {
            let handle = try await engine.start(FeedbackMonitor(), input: input)
            (runID, report) = (handle.runID, try await handle.result)
        }
        let decisions = try checkJournal(path, run: runID.description, cycles: 4)
        #expect(decisions == report.decisions.map { $0.decision == .good ? "order" : "clear" })
    }

    @Test("records read back from SQLite rebuild the same run: resuming a finished run returns its result")
    func recordsRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("j.sqlite"), extensions: [Inventory.journalExtension])
        let input = MonitorInput(sku: "Pear", cycles: 2, delayMs: 0, seed: 7)
        let first = try await Engine(journal: journal).start(ComplexFeedbackMonitor(), input: input)
        let report = try await first.result
        let again = try await Engine(journal: journal).resume(ComplexFeedbackMonitor(), run: first.runID)
        #expect(try await again.result == report)
        let records = try await journal.records(for: first.runID)
        var machineEvents = 0
        for case .executionFinished(let finish) in records { machineEvents += finish.emitted.count }
        #expect(machineEvents + 1 == (try await journal.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event") }))
    }

    @Test("two resumers race for an interrupted run: exactly one takes it over")
    func racingTakeOver() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let starter = try SQLiteJournal(path: path, leaseTTL: .seconds(30), extensions: [Inventory.journalExtension])
        let handle = try await Engine(journal: starter).start(HelloWorkflow(), input: HelloInput(name: "x"), options: RunOptions())
        _ = try await handle.result
        // Make a resumable run: journal a start with no owner left.
        let runID = RunID()
        let crashing = try SQLiteJournal(path: path, leaseTTL: .seconds(1), extensions: [Inventory.journalExtension])
        let gate = try await Engine(journal: crashing).start(SlowHello(), input: HelloInput(name: "y"), options: RunOptions(id: runID))
        gate.interrupt()
        _ = try? await gate.result
        let a = try SQLiteJournal(path: path, extensions: [Inventory.journalExtension]), b = try SQLiteJournal(path: path, extensions: [Inventory.journalExtension])
        async let first = outcome { try await a.takeOver(runID) }
        async let second = outcome { try await b.takeOver(runID) }
        let results = await [first, second]
        let wins = results.filter { if case .success = $0 { true } else { false } }.count
        #expect(wins == 1)
        let loss = results.compactMap { if case .failure(let error) = $0 { error as? CairnError } else { nil } }.first
        #expect(loss?.code == .runOwned)
        #expect(loss?.message.contains("is owned by") == true)
    }

    @Test("a process that lost its lease can never commit again")
    func fencedAfterTakeOver() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let stale = try SQLiteJournal(path: path, leaseTTL: .seconds(1), extensions: [Inventory.journalExtension])
        let runID = RunID()
        let handle = try await Engine(journal: stale).start(SlowHello(), input: HelloInput(name: "z"), options: RunOptions(id: runID))
        // Another process takes over once the lease has expired (forced here by expiring it in the database).
        try await stale.pool.write { try $0.execute(sql: "UPDATE lease SET expires_at = 0") }
        let usurper = try SQLiteJournal(path: path, extensions: [Inventory.journalExtension])
        try await usurper.takeOver(runID)
        SlowHello.release.open()
        await #expect {
            _ = try await handle.result
        } throws: { error in
            (error as? CairnError)?.code == .leaseLost
        }
        let events = try await usurper.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE run_id = ?", arguments: [runID.description]) }
        #expect(events == 1)  // only the start event: the stale owner's commit was refused
    }

    @Test("a full disk fails the commit with a sentence, loses nothing, and the run resumes once there is room")
    func diskFull() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("j.sqlite")
        let journal = try SQLiteJournal(path: path, leaseTTL: .seconds(1), extensions: [Inventory.journalExtension])
        let pages = try await journal.pool.write { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
        let input = MonitorInput(sku: "Fig", cycles: 40, delayMs: 0, seed: 3)
        try await journal.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = \(pages + 4)") }
        let handle = try await Engine(journal: journal).start(FeedbackMonitor(), input: input)
        await #expect {
            _ = try await handle.result
        } throws: { error in
            "\(error)".contains("disk holding the journal is full")
        }
        try await journal.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = 1000000") }
        let resumed = try await Engine(journal: journal).resume(FeedbackMonitor(), run: handle.runID)
        #expect(try await resumed.result.decisions.count == 40)
        try checkJournal(path, run: handle.runID.description, cycles: 40)
    }
}

func outcome(_ body: () async throws -> Void) async -> Result<Void, any Error> {
    do {
        try await body()
        return .success(())
    } catch {
        return .failure(error)
    }
}

struct Released: Event {
    static let eventName = "test.released"
}

/// Hello with a first step that waits for a gate: a run that stays in flight while a test acts on it.
struct SlowHello: Workflow {
    typealias Input = HelloInput
    typealias Output = String
    static let name = "slow-hello"
    static let release = Gate()

    var steps: [AnyStep] {
        FunctionStep("wait") { (start: StartEvent<HelloInput>, context) -> Released? in
            await Self.release.wait()
            return Released()
        }
        FunctionStep("done") { (event: Released, context) -> StopEvent<String>? in StopEvent("hello") }
    }
}

@Suite("Journal files", .hangGuard)
struct JournalFileTests {
    @Test("a journal created by an older Cairn (first migration only) is migrated on open, its runs kept")
    func olderJournalMigrates() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("old.sqlite")
        let queue = try database(path)
        var migrator = DatabaseMigrator()
        let first = JournalMigrations.all[0]
        migrator.registerMigration(first.identifier) { db in try db.execute(sql: first.sql) }
        try migrator.migrate(queue)
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO run (run_id, workflow, fingerprint, shape, input, status, created_at)
                VALUES ('00000000-0000-4000-8000-000000000001', 'hello', 'f', 's', '{}', 'completed', '2026-01-01T00:00:00.000Z')
                """)
        }
        let journal = try SQLiteJournal(path: path, extensions: [Inventory.journalExtension])
        let tables = try await journal.pool.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables.contains("ledger_entry") && tables.contains("stock_level"))
        #expect(try await journal.runs(RunQuery()).runs.map(\.runID.description) == ["00000000-0000-4000-8000-000000000001"])
    }

    @Test("a copy of the binary, away from its build folder, creates and migrates a journal (migrations are compiled in)")
    func copiedBinary() async throws {
        let directory = try TemporaryDirectory()
        let copy = directory.url.appendingPathComponent("cairn")
        try FileManager.default.copyItem(at: cairnBinary, to: copy)
        let arguments = ["run", "hello", "--input", #"{"name": "copy"}"#, "--db", directory.path("j.sqlite")]
        // Another test forking at the moment of the copy can hold the new file open for a moment (ETXTBSY).
        var attempt = 1
        let process: CairnProcess
        while true {
            do {
                process = try spawn(copy, arguments, directory: directory.url)
                break
            } catch let error as NSError where attempt < 50 && (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ETXTBSY) {
                attempt += 1
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let result = await process.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Hello, copy!"))
        let migrations = try withJournalDatabase(directory.path("j.sqlite")) { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrations == JournalMigrator.knownMigrations([Inventory.journalExtension]))
    }
}

/// Writes a stock row; refuses on the attempts listed.
struct StockEffect: DatabaseEffect {
    struct Refused: Error {}
    let sku: String
    let refuseAttempts: Set<Int>

    func apply(in transaction: any CommitTransaction, origin: CommitOrigin) throws {
        if refuseAttempts.contains(origin.attempt) { throw Refused() }
        try transaction.execute("INSERT INTO stock_level (sku, quantity) VALUES (?, 1)", [.text(sku)])
    }
}

@Suite("Commit effects", .hangGuard)
struct CommitEffectTests {
    func workflow(_ sku: String, refuse: Set<Int>, attempts: Int) -> TestOnlyWorkflow {
        TestOnlyWorkflow {
            FunctionStep("write", retry: RetryPolicy(maxAttempts: attempts, initialBackoff: .milliseconds(1))) {
                (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                try context.commit(StockEffect(sku: sku, refuseAttempts: refuse))
                return StopEvent(context.attempt)
            }
        }
    }

    @Test("a refused commit effect fails only its attempt: nothing of that commit is journaled, the retry commits")
    func refusedEffectIsRetried() async throws {
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("j.sqlite"), extensions: [Inventory.journalExtension])
        let handle = try await Engine(journal: journal).start(workflow("Kiwi", refuse: [1], attempts: 3), input: 0)
        #expect(try await handle.result == 2)
        let (outcomes, stock) = try await journal.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT outcome || ':' || COALESCE(error, '') FROM journal WHERE kind = 'execution_finished' ORDER BY position"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM stock_level WHERE sku = 'Kiwi'"))
        }
        #expect(outcomes.count == 2)
        #expect(outcomes.first?.hasPrefix("failed:the commit effect of step 'write' was refused") == true)
        #expect(outcomes.last == "completed:")
        #expect(stock == 1)
    }

    @Test("a commit effect that violates a constraint on every attempt fails the run, saying why")
    func constraintViolation() async throws {
        let directory = try TemporaryDirectory()
        let journal = try SQLiteJournal(path: directory.path("j.sqlite"), extensions: [Inventory.journalExtension])
        try await journal.pool.write { try $0.execute(sql: "INSERT INTO stock_level (sku, quantity) VALUES ('Lime', 5)") }
        let handle = try await Engine(journal: journal).start(workflow("Lime", refuse: [], attempts: 2), input: 0)
        await #expect {
            _ = try await handle.result
        } throws: { error in
            "\(error)".contains("UNIQUE constraint failed") && (error as? RunError)?.step == "write"
        }
        #expect(try await journal.pool.read { try Int.fetchOne($0, sql: "SELECT quantity FROM stock_level WHERE sku = 'Lime'") } == 5)
    }
}

/// A workflow assembled from a list of steps (Int in, Int out), for SQLite tests.
struct TestOnlyWorkflow: Workflow {
    typealias Input = Int
    typealias Output = Int
    static let name = "test-only"
    let build: @Sendable () -> [AnyStep]

    init(@StepsBuilder steps: @escaping @Sendable () -> [AnyStep]) { build = steps }

    var steps: [AnyStep] { build() }
}
