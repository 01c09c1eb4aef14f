public import Cairn
import Foundation
import GRDB

extension SQLiteJournal: ClaimingJournal {
    /// The runs a worker may claim now, up to `limit`, and when the next waiting one falls due; this lists them, and
    /// ``takeOver(_:)`` claims, fenced: of two workers that list the same run, one takes it.
    public func claimableRuns(limit: Int, workflows: [String], excluding driven: Set<RunID>) async throws -> ClaimableRuns {
        try await read { db in
            db.add(function: RunListing.ownerGone)
            let now = Timestamp.text(Date())
            let unowned = "(lease.expires_at IS NULL OR lease.expires_at <= (SELECT now FROM clock) OR cairn_owner_gone(lease.owner))"
            let runs = try Row.fetchAll(db, sql: """
                SELECT run.run_id, run.workflow FROM run LEFT JOIN lease USING (run_id)
                WHERE run.status IN ('pending', 'running', 'waiting') AND run.finished_at IS NULL AND \(unowned)
                  AND run.workflow IN (SELECT value FROM json_each(?)) AND run.run_id NOT IN (SELECT value FROM json_each(?))
                  AND (run.status != 'waiting'
                       OR (run.wake_at IS NOT NULL AND run.wake_at <= ?)
                       OR EXISTS (SELECT 1 FROM inbox WHERE inbox.run_id = run.run_id
                                    AND NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = inbox.run_id AND event.inbox_seq = inbox.seq)))
                ORDER BY lease.run_id IS NULL, run.created_at LIMIT ?
                """, arguments: [try Self.jsonArray(workflows), try Self.jsonArray(driven.map(\.description)), now, limit]).compactMap { row in RunID(row[0] as String).map { ($0, row[1] as String) } }
            let next = try String.fetchOne(db, sql: """
                SELECT MIN(run.wake_at) FROM run LEFT JOIN lease USING (run_id)
                WHERE run.status = 'waiting' AND run.wake_at > ? AND \(unowned)
                """, arguments: [now])
            return ClaimableRuns(runs: runs, nextWake: try Timestamp.date(next))
        }
    }

    private static func jsonArray(_ texts: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(texts), as: UTF8.self)
    }

    public func enqueue(_ started: RunStarted) async throws {
        try await committer.submit { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM run WHERE run_id = ?", arguments: [started.runID.description]) == nil else {
                throw CairnError(.runExists, "run \(started.runID) exists already: resume it, or start with another id")
            }
            try JournalWriter(db: db, run: started.runID).writeStart(started, status: .pending, at: 1)
        }
    }

    /// Returns after the next commit to the journal by any process (seen within ``JournalChangeTicker/tick``), or
    /// once `limit` passes, or at once when the task is cancelled.
    public func waitForChange(upTo limit: Duration) async {
        await changes.nextChange(upTo: limit)
    }
}
