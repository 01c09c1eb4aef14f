public import Cairn
public import Foundation
import GRDB

extension SQLiteJournal: PruningJournal {
    /// Prunes a batch per transaction on the committer, between other commits, marking each pruned run's `run` row
    /// `pruned_at`; the report counts the file's free pages.
    public func prune(finishedBefore cutoff: Date, batchSize: Int, progress: @Sendable (Int) -> Void) async throws -> PruneReport {
        var report = PruneReport()
        let before = Timestamp.text(cutoff)
        while true {
            let count = try await committer.submitting({ db -> Int in
                let runs = try String.fetchAll(db, sql: """
                    SELECT run_id FROM run
                    WHERE finished_at IS NOT NULL AND finished_at < ? AND pruned_at IS NULL
                      AND COALESCE(error ->> '$.code', '') != ?
                    ORDER BY finished_at LIMIT ?
                    """, arguments: [before, CairnError.Code.unrebuildable.description, batchSize])
                guard !runs.isEmpty else { return 0 }
                let ids = "(" + runs.map { _ in "?" }.joined(separator: ", ") + ")"
                let arguments = StatementArguments(runs)
                for table in PruneReport.historyTables {
                    try db.execute(sql: "DELETE FROM \(table) WHERE run_id IN \(ids)", arguments: arguments)
                }
                let kept = PruneReport.recordsKept.map { "'\($0)'" }.joined(separator: ", ")
                try db.execute(sql: "DELETE FROM journal WHERE run_id IN \(ids) AND kind NOT IN (\(kept))", arguments: arguments)
                try db.execute(sql: "UPDATE run SET pruned_at = ? WHERE run_id IN \(ids)", arguments: [Timestamp.text(Date())] + arguments)
                return runs.count
            })
            guard count > 0 else { break }
            report.pruned += count
            progress(report.pruned)
        }
        let (unfinished, deadLetters, freePages) = try await read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE finished_at IS NULL AND created_at < ?", arguments: [before]) ?? 0,
             try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM run WHERE finished_at < ? AND pruned_at IS NULL AND error ->> '$.code' = ?
                """, arguments: [before, CairnError.Code.unrebuildable.description]) ?? 0,
             try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }
        report.unfinished = unfinished
        report.deadLetters = deadLetters
        report.freePages = freePages
        return report
    }
}
