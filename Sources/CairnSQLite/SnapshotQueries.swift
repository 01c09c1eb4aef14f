import Cairn
import Foundation
import GRDB

/// The snapshot table's reads and writes, shared by the writing journal and the read-only one.
enum SnapshotQueries {
    static func latest(_ db: Database, of run: RunID) throws -> (position: Int, state: Data)? {
        try Row.fetchOne(db, sql: "SELECT position, state FROM snapshot WHERE run_id = ?", arguments: [run.description])
            .map { ($0["position"], $0["state"]) }
    }

    static func records(_ db: Database, of run: RunID, after position: Int, sideEffectsOf executions: Set<Int>) throws
        -> (sideEffects: [JournalRecord], records: [JournalRecord]) {
        let reader = JournalReader(db: db, run: run)
        return (try reader.sideEffects(of: executions, through: position), try reader.records(after: position, limit: nil))
    }

    static func lastSeq(_ db: Database, of run: RunID, through position: Int) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM event WHERE run_id = ? AND position <= ?",
                         arguments: [run.description, position]) ?? 0
    }

    /// Keeps `state` as the run's snapshot at `position`, replacing an older one.
    static func save(_ db: Database, _ state: Data, of run: RunID, at position: Int) throws {
        try db.cachedStatement(sql: """
            INSERT INTO snapshot (run_id, position, state, at) VALUES (?, ?, ?, ?)
            ON CONFLICT (run_id) DO UPDATE SET position = excluded.position, state = excluded.state, at = excluded.at
            """).execute(arguments: [run.description, position, state, Timestamp.text(Date())])
    }
}
