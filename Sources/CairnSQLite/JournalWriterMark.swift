import Cairn
import Foundation
import GRDB

/// The `journal_writer` rows: which processes have the journal open for writing. Each writer adds its row
/// when it opens the journal and checkpoints it into the main file at once, and removes it when it closes.
/// So a main file that names a writer but has no write-ahead log beside it was copied, or lost its WAL,
/// while that writer had it open — the one damage SQLite cannot see, since the file alone is consistent.
enum JournalWriterMark {
    /// Marks `owner` as writing, and forgets writers of this host that are provably gone (their commits
    /// are in the WAL, which this open has recovered).
    static func add(_ owner: String, in pool: DatabasePool) throws {
        try pool.write { db in
            for writer in try String.fetchAll(db, sql: "SELECT owner FROM journal_writer")
            where LeaseOwner(writer)?.isProvablyGone == true {
                try db.execute(sql: "DELETE FROM journal_writer WHERE owner = ?", arguments: [writer])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO journal_writer (owner, opened_at) VALUES (?, ?)",
                           arguments: [owner, Timestamp.text(Date())])
        }
        // Into the main file at once: a PASSIVE checkpoint skips frames past the snapshot of any reader of the
        // moment (a `follow`, a poller), and a copy of the main file would then show no writer. FULL waits for
        // those readers — at most `markWait` (they read briefly), so a long reader delays a start by that alone.
        // Best effort: the mark is committed either way, and a checkpoint another process is running (SQLITE_BUSY)
        // must not keep this one from opening the journal.
        try? pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA busy_timeout = \(Self.markWait)")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(SQLiteJournal.busyTimeoutMilliseconds)") }
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(FULL)")
        }
    }

    /// How long, in milliseconds, a writer's open waits for readers to let its mark into the main file.
    static let markWait = 2_000

    /// Removes `owner`'s mark; the caller checkpoints afterwards.
    static func remove(_ owner: String, in pool: DatabasePool) throws {
        try pool.write { try $0.execute(sql: "DELETE FROM journal_writer WHERE owner = ?", arguments: [owner]) }
    }

    /// Removes every mark from a copy of the journal that is complete by itself (a backup).
    static func clear(in copy: String) throws {
        let queue = try DatabaseQueue(path: copy)
        try queue.write { try $0.execute(sql: "DELETE FROM journal_writer") }
        try queue.close()
    }

    /// The problem `db check` reports when the journal at `path` names a writer but has no WAL, or `nil`.
    /// A log shorter than its 32-byte header counts as missing: a read-only open creates an empty one, and a
    /// writer's log always holds at least the mark it wrote at open.
    static func missingLog(_ db: Database, path: String) throws -> String? {
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        guard size < 32,
              let writer = try Row.fetchOne(db, sql: "SELECT owner, opened_at FROM journal_writer ORDER BY opened_at LIMIT 1")
        else { return nil }
        let owner: String = writer["owner"], opened: String = writer["opened_at"]
        return "the write-ahead log \(path)-wal is missing, though \(owner) had the journal open for writing since \(opened): "
            + "the file was copied, or its log deleted, while runs were writing, and commits since the last checkpoint "
            + "may be missing; restore the log or a copy made with cairn db backup"
    }
}
