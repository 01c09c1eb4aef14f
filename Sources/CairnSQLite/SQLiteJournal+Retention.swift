import Cairn
public import Foundation
import GRDB

/// What ``SQLiteJournal/prune(finishedBefore:batchSize:progress:)`` did.
public struct PruneReport: Sendable, Codable, Equatable {
    /// Runs whose history was deleted.
    public var pruned = 0
    /// Runs started before the cutoff that have not finished: live, waiting or interrupted, never pruned.
    public var unfinished = 0
    /// Dead letters finished before the cutoff: kept, as a fixed binary may reopen them.
    public var deadLetters = 0
    /// Pages of the file now free for new commits to reuse (the file does not shrink; `VACUUM` would need
    /// every other process to let go of it).
    public var freePages = 0
}

extension SQLiteJournal {
    /// The journal records a pruned run keeps: its takeovers (the `resumes` count and the audit's `resumed`
    /// read them) and its end.
    static let recordsKeptByPrune = ["run_resumed", "run_finished"]

    /// Deletes the history of runs that finished before `cutoff` — their events, stream, store writes, side
    /// effects, snapshot and step records — in transactions of `batchSize` runs, so commits of live runs wait for one
    /// batch at most. Each pruned run keeps its `run` row (status, input, result, times) marked `pruned_at`,
    /// its takeover and end records, and whatever a domain wrote (the inventory's ledger). Never touches an
    /// unfinished run or a dead letter. `progress` is told the runs pruned so far after each batch.
    public func prune(finishedBefore cutoff: Date, batchSize: Int = 100, progress: @Sendable (Int) -> Void = { _ in }) async throws
        -> PruneReport {
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
                for table in ["event", "stream_event", "store_write", "side_effect", "inbox", "lease", "snapshot"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE run_id IN \(ids)", arguments: arguments)
                }
                let kept = Self.recordsKeptByPrune.map { "'\($0)'" }.joined(separator: ", ")
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
