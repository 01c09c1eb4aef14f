import Cairn
import Foundation
import Logging
import PostgresNIO

/// A run's inbox on PostgreSQL: messages written in the sender's transaction, journaled by the run's owner.
enum PostgresInbox {
    /// Writes `message` into the run's inbox, or refuses it (see ``InboxJournal/send(_:to:)``). Locks the run's
    /// row first, so two senders number their messages one after the other.
    static func write(_ message: InboxMessage, to run: RunID, on connection: PostgresConnection, logger: Logger) async throws -> InboxReceipt {
        guard let row = try await connection.rows("""
            SELECT workflow, status, accepts, error::jsonb ->> 'code' AS code FROM run WHERE run_id = \(run.uuid) FOR NO KEY UPDATE
            """, logger: logger).first else {
            throw CairnError(.runNotFound, "no run \(run) in this journal")
        }
        // A repeated send is answered first, whatever became of the run: a sender retrying after a timeout learns
        // that its first send is in.
        if let key = message.key, let first = try await connection.rows(
            "SELECT seq FROM inbox WHERE run_id = \(run.uuid) AND idempotency_key = \(key)", logger: logger).first {
            return InboxReceipt(runId: run, inboxSeq: try first["seq", as: Int.self], duplicate: true)
        }
        guard let status = RunStatus(rawValue: try row["status", as: String.self]) else {
            throw CairnError(.journalDamaged, "run \(run) has a status this binary does not know")
        }
        if status.isTerminal, try row["code", as: String?.self] != CairnError.Code.unrebuildable.description {
            throw CairnError.ended(run, status: status)
        }
        let accepts = try (try row["accepts", as: String?.self]).map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        guard accepts.contains(message.name) else {
            throw CairnError.notAccepted(message.name, by: run, workflow: try row["workflow"], accepts: accepts)
        }
        let seq = (try await connection.rows("SELECT COALESCE(MAX(seq), 0)::bigint AS last FROM inbox WHERE run_id = \(run.uuid)", logger: logger)
            .first?["last", as: Int.self] ?? 0) + 1
        try await connection.execute("""
            INSERT INTO inbox (run_id, seq, name, payload, idempotency_key, sender, sent_at)
            VALUES (\(run.uuid), \(seq), \(message.name), \(String(decoding: message.payload, as: UTF8.self)), \(message.key), \(message.sender), now())
            """, logger: logger)
        try await connection.notifyRunnable(logger: logger)
        return InboxReceipt(runId: run, inboxSeq: seq, duplicate: false)
    }
}
