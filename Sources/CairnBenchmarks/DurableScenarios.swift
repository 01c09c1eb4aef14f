import Cairn
import CairnInventory
import CairnSQLite
import Foundation
import GRDB

/// Durable scenarios: a `synchronous=FULL` file journal, next to SQLite's own limits on the same disk.
extension Scenario {
    static let durable: [Scenario] = [
        .measuring("sqlite-1-row", summary: "limit: SQLite FULL, 1 row per transaction (2,000 tx)", steps: 2_000) {
            Extra(seconds: try rawSQLite(transactions: 2_000, rowsPerTransaction: 1))
        },
        .measuring("sqlite-100-rows", summary: "limit: SQLite FULL, 100 rows per transaction (200 tx)", steps: 20_000) {
            Extra(seconds: try rawSQLite(transactions: 200, rowsPerTransaction: 100))
        },
        .measuring("durable-chain", summary: "sequential chain of 2,000 steps, one run", steps: 2_000) {
            try await timedOnDisk { journal in _ = try await Engine(journal: journal).run(Chain(), input: 1_999) }
        },
        .measuring("durable-runs", summary: "100 concurrent runs × 20 steps", steps: 2_000) {
            try await timedOnDisk { journal in
                let engine = Engine(journal: journal)
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<100 { group.addTask { try await engine.run(Chain(), input: 19) } }
                    try await group.waitForAll()
                }
            }
        },
        .measuring("durable-fan-out", summary: "1,000 events × 10 ms I/O into a counted join", steps: 1_002) {
            try await timedOnDisk { journal in
                _ = try await Engine(journal: journal).run(FanOut(count: 1_000, delay: .milliseconds(10)), input: 1_000)
            }
        },
    ]

    /// How a looping run's journal grows: `feedback-monitor` with no simulated I/O, short and long.
    static let history: [Scenario] = [10, 2_000].map { cycles in
        .measuring("monitor-\(cycles)", summary: "feedback-monitor, \(cycles) cycles, no I/O delay", steps: 4 * cycles + 1, warmsUp: false) {
            try await timedOnDisk(extensions: [Inventory.journalExtension]) { journal in
                _ = try await Engine(journal: journal).run(FeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: cycles, delayMs: 0, seed: 7))
            }
        }
    }

    /// A fresh journal file in the benchmark process's own temporary directory, which goes when it exits.
    static func journalPath() -> String {
        scratch.appendingPathComponent("\(UUID().uuidString).sqlite").path
    }

    private static let scratch: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-bench-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scenario.scratch) }
        return directory
    }()

    /// Inserts rows in WAL mode with synchronous=FULL through one prepared statement, the way the journal's
    /// writer does (it reuses its statements from GRDB's cache). Returns the seconds the transactions took: the
    /// file's creation is not timed, as the journal's is not.
    static func rawSQLite(transactions: Int, rowsPerTransaction: Int) throws -> Double {
        let pool = try DatabasePool(path: journalPath())
        return try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "CREATE TABLE row (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            let insert = try db.makeStatement(sql: "INSERT INTO row (payload) VALUES (?)")
            return try ContinuousClock().measure {
                for _ in 0..<transactions {
                    try db.inTransaction(.immediate) {
                        for _ in 0..<rowsPerTransaction { try insert.execute(arguments: [#"{"n": 1}"#]) }
                        return .commit
                    }
                }
            }.seconds
        }
    }

    /// Runs `workload` on a new journal file and returns what it wrote, timed from the journal's opening (its
    /// migrations done) to the workload's end: creating and measuring the file are not the workload's time.
    static func timedOnDisk(extensions: [JournalExtension] = [], _ workload: (SQLiteJournal) async throws -> Void) async throws -> Extra {
        let (path, journal) = try durableJournal(extensions: extensions)
        let elapsed = try await ContinuousClock().measure { try await workload(journal) }
        var extra = try written(path, closing: journal)
        extra.seconds = elapsed.seconds
        return extra
    }

    /// A new journal file in the temporary directory, and its path.
    static func durableJournal(extensions: [JournalExtension] = []) throws -> (String, SQLiteJournal) {
        let path = journalPath()
        return (path, try SQLiteJournal(path: path, extensions: extensions))
    }

    /// What the scenario wrote: the rows and bytes of its journal (closed first) beyond those of a new, empty one.
    static func written(_ path: String, closing journal: SQLiteJournal) throws -> Extra {
        let transactions = journal.transactionsCommitted
        journal.close()
        let (emptyPath, empty) = try durableJournal(extensions: journal.extensions)
        empty.close()
        let (all, none) = (try measureJournal(path), try measureJournal(emptyPath))
        return Extra(rows: all.rows! - none.rows!, bytes: all.bytes! - none.bytes!, transactions: transactions)
    }

    /// The rows of every table of a journal, and their bytes (each column's length, summed).
    static func measureJournal(_ path: String) throws -> Extra {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration).read { db in
            var rows = 0, bytes = 0
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                let columns = try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table]).map { $0[0] as String }
                let lengths = columns.map { "COALESCE(LENGTH(\"\($0)\"), 0)" }.joined(separator: " + ")
                let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(\(lengths)), 0) FROM \"\(table)\"")!
                rows += row[0] as Int
                bytes += row[1] as Int
            }
            return Extra(rows: rows, bytes: bytes)
        }
    }
}
