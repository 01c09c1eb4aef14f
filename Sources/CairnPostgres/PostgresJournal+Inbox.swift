public import Cairn
import Foundation
import PostgresNIO

extension PostgresJournal: InboxJournal {
    public func send(_ message: InboxMessage, to run: RunID) async throws -> InboxReceipt {
        let logger = logger
        return try await transaction { connection in try await PostgresInbox.write(message, to: run, on: connection, logger: logger) }
    }

    public func inbox(of run: RunID, after inboxSeq: Int) async throws -> [InboxEntry] {
        try await reading { connection, logger in
            try await connection.rows("""
                SELECT seq, name, payload, sent_at FROM inbox WHERE run_id = \(run.uuid) AND seq > \(inboxSeq) ORDER BY seq
                """, logger: logger).map { row in
                InboxEntry(inboxSeq: try row["seq"], name: try row["name"], payload: Data((try row["payload", as: String.self]).utf8),
                           sentAt: try row["sent_at"])
            }
        }
    }

    public func pendingInboxRows() async throws -> Int {
        try await reading { connection, logger in
            try await connection.rows("""
                SELECT count(*) AS pending FROM inbox
                WHERE NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = inbox.run_id AND event.inbox_seq = inbox.seq)
                """, logger: logger).first?["pending", as: Int.self] ?? 0
        }
    }

    /// How often a watched inbox is looked at.
    public var inboxPoll: Duration { .milliseconds(250) }

    /// Looks at the run's inbox every ``inboxPoll`` and calls `sent` when it grew. (LISTEN/NOTIFY, so that a send
    /// wakes the owner at once, is the next step; the poll stays as its fallback.)
    public func watchInbox(of run: RunID, sent: @escaping @Sendable () -> Void) -> InboxWatch {
        let task = Task { [weak self] in
            var seen: Int?
            while !Task.isCancelled, let self {
                let last = try? await self.reading { connection, logger in
                    try await connection.rows("SELECT COALESCE(MAX(seq), 0)::bigint AS last FROM inbox WHERE run_id = \(run.uuid)", logger: logger)
                        .first?["last", as: Int.self] ?? 0
                }
                if let last, let before = seen, last > before { sent() }
                if let last { seen = last }
                try? await Task.sleep(for: self.inboxPoll)
            }
        }
        return InboxWatch(cancel: { task.cancel() })
    }
}
