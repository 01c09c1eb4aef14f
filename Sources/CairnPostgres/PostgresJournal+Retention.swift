public import Cairn
public import Foundation
import PostgresNIO

extension PostgresJournal: PruningJournal {
    /// Prunes a batch per transaction, each batch's `run` rows locked (`FOR UPDATE SKIP LOCKED`: a run some other
    /// transaction holds is left for the next prune) and marked `pruned_at`. The report has no free pages: autovacuum
    /// makes the deleted rows' space reusable.
    public func prune(finishedBefore cutoff: Date, batchSize: Int, progress: @Sendable (Int) -> Void) async throws -> PruneReport {
        var report = PruneReport()
        let deadLetter = CairnError.Code.unrebuildable.description
        while true {
            let count = try await transaction { [logger] connection in
                let runs = try await connection.rows("""
                    SELECT run_id FROM run
                    WHERE finished_at < \(cutoff) AND pruned_at IS NULL AND COALESCE(error::jsonb ->> 'code', '') <> \(deadLetter)
                    ORDER BY finished_at LIMIT \(batchSize)
                    FOR UPDATE SKIP LOCKED
                    """, logger: logger).map { try $0["run_id", as: UUID.self] }
                guard !runs.isEmpty else { return 0 }
                var ids = PostgresBindings()
                ids.append(runs)
                for table in PruneReport.historyTables {
                    try await connection.execute(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE run_id = ANY($1)", binds: ids), logger: logger)
                }
                try await connection.execute(
                    "DELETE FROM journal WHERE run_id = ANY(\(runs)) AND kind <> ALL(\(PruneReport.recordsKept))", logger: logger)
                try await connection.execute("UPDATE run SET pruned_at = now() WHERE run_id = ANY(\(runs))", logger: logger)
                return runs.count
            }
            guard count > 0 else { break }
            report.pruned += count
            progress(report.pruned)
        }
        let counts = try await reading { connection, logger in
            try await connection.rows("""
                SELECT count(*) FILTER (WHERE finished_at IS NULL AND created_at < \(cutoff)) AS unfinished,
                       count(*) FILTER (WHERE finished_at < \(cutoff) AND pruned_at IS NULL AND error::jsonb ->> 'code' = \(deadLetter)) AS dead
                FROM run
                """, logger: logger).first
        }
        report.unfinished = try counts?["unfinished", as: Int.self] ?? 0
        report.deadLetters = try counts?["dead", as: Int.self] ?? 0
        return report
    }
}
