package import Cairn
import Foundation
import PostgresNIO
import Synchronization

/// What `cairn db copy` needs of the destination: whether it is empty, its domain tables, and rows written as they are.
extension PostgresJournal {
    /// The journal's own tables on PostgreSQL; every other table of the database belongs to a plugged-in domain.
    package static let journalTables: Set<String> = [
        "cairn_migration", "run", "journal", "event", "stream_event", "store_write", "side_effect", "snapshot", "inbox", "lease",
    ]

    /// How many runs the journal holds.
    package func runCount() async throws -> Int {
        try await reading { connection, logger in
            try await connection.rows("SELECT count(*) AS runs FROM run", logger: logger).first?["runs", as: Int.self] ?? 0
        }
    }

    /// The rows of `table` (a journal table or a domain's).
    package func rowCount(of table: String) async throws -> Int {
        try await reading { connection, logger in
            try await connection.rows(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(Self.quoted(table))"), logger: logger)
                .first?["n", as: Int.self] ?? 0
        }
    }

    /// The domains' tables in this database (not their views), and their columns in order.
    package func domainTables() async throws -> [(table: String, columns: [String])] {
        try await reading { connection, logger in
            let rows = try await connection.rows("""
                SELECT columns.table_name::text AS name, columns.column_name::text AS column_name
                FROM information_schema.columns JOIN information_schema.tables USING (table_schema, table_name)
                WHERE columns.table_schema = current_schema() AND tables.table_type = 'BASE TABLE'
                ORDER BY columns.table_name, columns.ordinal_position
                """, logger: logger)
            var tables: [(table: String, columns: [String])] = []
            for row in rows {
                let (name, column) = (try row["name", as: String.self], try row["column_name", as: String.self])
                guard !Self.journalTables.contains(name) else { continue }
                if tables.last?.table == name { tables[tables.count - 1].columns.append(column) } else { tables.append((name, [column])) }
            }
            return tables
        }
    }

    /// Writes `rows` into a domain's `table` as they are (identity columns too), in one transaction, then moves the
    /// table's identity sequences past what was written.
    package func insert(into table: String, columns: [String], rows: [[SQLValue]]) async throws {
        guard !rows.isEmpty else { return }
        let logger = logger
        try await transaction { connection in
            let placeholders = columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
            let sql = "INSERT INTO \(Self.quoted(table)) (\(columns.map(Self.quoted).joined(separator: ", "))) OVERRIDING SYSTEM VALUE VALUES (\(placeholders))"
            for row in rows {
                try await connection.execute(PostgresQuery(unsafeSQL: sql, binds: try PostgresCommitTransaction.bindings(row)), logger: logger)
            }
            // Identity columns continue after the rows written.
            let identities = try await connection.rows("""
                SELECT column_name::text AS name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = \(table) AND is_identity = 'YES'
                """, logger: logger).map { try $0["name", as: String.self] }
            for column in identities {
                try await connection.execute(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence($1, $2), (SELECT COALESCE(max(\(Self.quoted(column))), 0) + 1 FROM \(Self.quoted(table))), false)
                    """, binds: try PostgresCommitTransaction.bindings([.text(Self.quoted(table)), .text(column)])), logger: logger)
            }
        }
    }

    /// Writes a run's inbox rows as they were sent.
    package func insertInbox(_ entries: [(entry: InboxEntry, key: String?, sender: String?)], of run: RunID) async throws {
        guard !entries.isEmpty else { return }
        let logger = logger
        try await transaction { connection in
            for (entry, key, sender) in entries {
                try await connection.execute("""
                    INSERT INTO inbox (run_id, seq, name, payload, idempotency_key, sender, sent_at)
                    VALUES (\(run.uuid), \(entry.inboxSeq), \(entry.name), \(String(decoding: entry.payload, as: UTF8.self)), \(key), \(sender),
                            \(entry.sentAt))
                    """, logger: logger)
            }
        }
    }

    /// Lets go of every lease this journal holds, at once: the copied runs that have not ended become claimable.
    package func releaseAllLeases() async throws {
        let owner = owner
        held.withLock { $0 = [:] }
        claimed.withLock { $0 = [:] }
        _ = try await transaction { [logger] connection in
            try await connection.execute("UPDATE lease SET expires_at = now() - interval '1 second' WHERE owner = \(owner)", logger: logger)
            try await connection.notifyRunnable(logger: logger)
        }
    }

    private static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
