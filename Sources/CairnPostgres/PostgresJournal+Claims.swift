public import Cairn
import Foundation
import Logging
import PostgresNIO
import Synchronization

extension PostgresJournal: ClaimingJournal {
    /// Claims up to `limit` runnable runs in one statement: the candidates' rows are locked with `FOR NO KEY UPDATE SKIP LOCKED`
    /// (two workers never wait on, nor both take, the same run), and each gets this journal's lease at the next epoch
    /// in the same transaction, expiry by the server's clock, and a run no one started yet becomes `running`: the
    /// engine's takeover of a run claimed here is that claim (``takeOver(_:)``), one epoch per takeover.
    /// A run this journal still holds is never among them: its lease may have run out while the server was away, but
    /// its driver here is waiting to commit, and a claim would fence it. Nor is one of `driven`, whose driver let go.
    public func claimableRuns(limit: Int, workflows: [String], excluding driven: Set<RunID>) async throws -> ClaimableRuns {
        let (owner, ttl) = (owner, leaseTTL.seconds)
        let driving = held.withLock { driven.union($0.keys) }.map(\.uuid)
        let (claimed, next) = try await transaction { [logger] connection in
            let claimed = try await connection.rows("""
                WITH candidate AS (
                    SELECT run.run_id, run.workflow, lease.run_id IS NULL AS fresh, run.created_at FROM run LEFT JOIN lease USING (run_id)
                    WHERE run.finished_at IS NULL AND run.status IN ('pending', 'running', 'waiting') AND run.workflow = ANY(\(workflows))
                      AND (lease.expires_at IS NULL OR lease.expires_at <= now()) AND run.run_id <> ALL(\(driving))
                      AND (run.status <> 'waiting' OR run.wake_at <= now()
                           OR EXISTS (SELECT 1 FROM inbox WHERE inbox.run_id = run.run_id
                                        AND NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = inbox.run_id AND event.inbox_seq = inbox.seq)))
                    ORDER BY fresh, run.created_at LIMIT \(limit)
                    FOR NO KEY UPDATE OF run SKIP LOCKED
                ), leased AS (
                    INSERT INTO lease (run_id, owner, epoch, expires_at)
                    SELECT run_id, \(owner), 1, now() + make_interval(secs => \(ttl)) FROM candidate
                    ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, epoch = lease.epoch + 1, expires_at = excluded.expires_at,
                        cancel_requested = false
                    WHERE lease.expires_at <= now()
                    RETURNING run_id, epoch
                ), started AS (
                    UPDATE run SET status = 'running' FROM leased WHERE run.run_id = leased.run_id AND run.status = 'pending'
                )
                SELECT leased.run_id, leased.epoch, candidate.workflow FROM leased JOIN candidate USING (run_id)
                ORDER BY candidate.fresh, candidate.created_at
                """, logger: logger).map { row in (RunID(try row["run_id", as: UUID.self]), try row["epoch", as: Int.self], try row["workflow", as: String.self]) }
            // When to look again: a waiting run's timer, or another worker's lease running out — so a worker that died is
            // taken over as its lease expires, not at the next poll (no commit, hence no NOTIFY, says it died).
            let next = try await connection.rows("""
                SELECT min(next) AS next FROM (
                    SELECT run.wake_at AS next FROM run LEFT JOIN lease USING (run_id)
                    WHERE run.status = 'waiting' AND run.wake_at > now() AND (lease.expires_at IS NULL OR lease.expires_at <= now())
                    UNION ALL
                    SELECT lease.expires_at FROM lease JOIN run USING (run_id)
                    WHERE run.finished_at IS NULL AND run.status <> 'waiting' AND lease.expires_at > now() AND lease.owner <> \(owner)
                ) AS due
                """, logger: logger).first?["next", as: Date?.self] ?? nil
            return (claimed, next)
        }
        held.withLock { held in for (run, epoch, _) in claimed { held[run] = epoch } }
        self.claimed.withLock { taken in for (run, epoch, _) in claimed { taken[run] = epoch } }
        return ClaimableRuns(runs: claimed.map { ($0.0, $0.2) }, nextWake: next)
    }

    public func enqueue(_ started: RunStarted) async throws {
        try await transaction { [logger] connection in
            guard try await connection.rows("SELECT 1 AS found FROM run WHERE run_id = \(started.runID.uuid)", logger: logger).isEmpty else {
                throw CairnError(.runExists, "run \(started.runID) exists already: resume it, or start with another id")
            }
            try await PostgresRecordWriter(connection: connection, run: started.runID, logger: logger).writePending(started)
        }
    }

    /// Returns after any process makes a run runnable (its `NOTIFY`), or once `limit` passes, or at once when the
    /// task is cancelled.
    public func waitForChange(upTo limit: Duration) async {
        await changes.next(upTo: limit)
    }
}

extension PostgresConnection {
    /// Tells the workers listening that a run may be runnable now; sent when the transaction commits.
    func notifyRunnable(logger: Logger) async throws {
        try await execute("SELECT pg_notify('\(unescaped: ChangeNotifications.channel)', '') AS sent", logger: logger)
    }
}
