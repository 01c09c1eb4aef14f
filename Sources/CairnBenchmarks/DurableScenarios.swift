import Cairn
import CairnSQLite
import Foundation
import GRDB

/// Durable scenarios: a `synchronous=FULL` file journal, next to SQLite's own limits on the same disk.
extension Scenario {
    static let durable: [Scenario] = [
        Scenario(name: "sqlite-1-row", summary: "limit: SQLite FULL, 1 row per transaction (2,000 tx)", steps: 2_000) {
            try rawSQLite(transactions: 2_000, rowsPerTransaction: 1)
        },
        Scenario(name: "sqlite-100-rows", summary: "limit: SQLite FULL, 100 rows per transaction (200 tx)", steps: 20_000) {
            try rawSQLite(transactions: 200, rowsPerTransaction: 100)
        },
        Scenario(name: "durable-chain", summary: "sequential chain of 2,000 steps, one run", steps: 2_000) {
            _ = try await durableEngine().run(Chain(), input: 1_999)
        },
        Scenario(name: "durable-runs", summary: "100 concurrent runs × 20 steps", steps: 2_000) {
            let engine = try durableEngine()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 { group.addTask { try await engine.run(Chain(), input: 19) } }
                try await group.waitForAll()
            }
        },
        Scenario(name: "durable-fan-out", summary: "1,000 events × 10 ms I/O into a counted join", steps: 1_002) {
            _ = try await durableEngine().run(FanOut(count: 1_000, delay: .milliseconds(10)), input: 1_000)
        },
    ]

    /// A fresh journal file in the temporary directory.
    static func journalPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cairn-bench-\(UUID().uuidString).sqlite").path
    }

    static func durableEngine() throws -> Engine {
        Engine(journal: try SQLiteJournal(path: journalPath()))
    }

    /// Inserts rows in WAL mode with synchronous=FULL, the way the journal's writer does.
    static func rawSQLite(transactions: Int, rowsPerTransaction: Int) throws {
        let pool = try DatabasePool(path: journalPath())
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "CREATE TABLE row (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            for _ in 0..<transactions {
                try db.inTransaction(.immediate) {
                    for _ in 0..<rowsPerTransaction {
                        try db.execute(sql: "INSERT INTO row (payload) VALUES (?)", arguments: [#"{"n": 1}"#])
                    }
                    return .commit
                }
            }
        }
    }
}
