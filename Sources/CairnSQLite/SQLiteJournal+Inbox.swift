public import Cairn
import Foundation
import GRDB

extension SQLiteJournal: InboxJournal {
    /// Writes the row in a transaction of its own on the committer: durable when this returns.
    public func send(_ message: InboxMessage, to run: RunID) async throws -> InboxReceipt {
        let path = path
        return try await committer.submitting { db in try InboxQuery.write(db, message, to: run, journal: path) }
    }

    public func inbox(of run: RunID, after inboxSeq: Int) async throws -> [InboxEntry] {
        try await read { db in try InboxQuery.entries(db, run: run, after: inboxSeq) }
    }

    public func pendingInboxRows() async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM inbox WHERE NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = inbox.run_id AND event.inbox_seq = inbox.seq)
                """) ?? 0
        }
    }

    /// How often a process that drives runs accepting events reads whether another process committed.
    public static var inboxWatchTick: Duration { JournalChangeTicker.tick }

    public func watchInbox(of run: RunID, sent: @escaping @Sendable () -> Void) -> InboxWatch {
        inboxWatcher.watch(run, sent: sent)
    }
}

/// A run's inbox rows: written by a send (its own transaction, or the commit of a step that sent the message),
/// read by the run's owner.
enum InboxQuery {
    /// Writes `message` into the run's inbox, or refuses it (see ``InboxJournal/send(_:to:)``).
    static func write(_ db: Database, _ message: InboxMessage, to run: RunID, journal path: String) throws -> InboxReceipt {
        let id = run.description
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT workflow, status, accepts, json_extract(error, '$.code') AS code FROM run WHERE run_id = ?
            """), arguments: [id]) else {
            throw CairnError(.runNotFound, "no run \(run) in journal \(path)")
        }
        // A repeated send is answered first, whatever became of the run: a sender retrying after a timeout
        // learns that its first send is in.
        if let key = message.key,
           let first = try Int.fetchOne(db.cachedStatement(sql: "SELECT seq FROM inbox WHERE run_id = ? AND idempotency_key = ?"),
                                        arguments: [id, key]) {
            return InboxReceipt(runId: run, inboxSeq: first, duplicate: true)
        }
        let status = try row.coded(RunStatus.self, "status", in: "run \(run)")
        if status.isTerminal, (row["code"] as String?) != CairnError.Code.unrebuildable.description {
            throw CairnError.ended(run, status: status)
        }
        let accepts = try (row["accepts"] as String?).map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        guard accepts.contains(message.name) else {
            throw CairnError.notAccepted(message.name, by: run, workflow: row["workflow"], accepts: accepts)
        }
        let seq = (try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM inbox WHERE run_id = ?"), arguments: [id]) ?? 0) + 1
        try db.cachedStatement(sql: """
            INSERT INTO inbox (run_id, seq, name, payload, idempotency_key, sender, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, seq, message.name, String(decoding: message.payload, as: UTF8.self), message.key, message.sender,
                                     Timestamp.text(Date())])
        return InboxReceipt(runId: run, inboxSeq: seq, duplicate: false)
    }

    static func entries(_ db: Database, run: RunID, after inboxSeq: Int) throws -> [InboxEntry] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, name, payload, sent_at FROM inbox WHERE run_id = ? AND seq > ? ORDER BY seq"),
                         arguments: [run.description, inboxSeq]).map { row in
            InboxEntry(inboxSeq: row[0], name: row[1], payload: Data((row[2] as String).utf8), sentAt: try Timestamp.date(row[3] as String))
        }
    }
}
