package import Cairn
import Foundation
import Logging
import PostgresNIO

/// Creates and migrates a PostgreSQL journal from `Migrations/postgres/*.sql`, compiled into the binary.
///
/// Everything happens in one transaction that first takes an advisory lock, so any number of workers starting on
/// a new database at once migrate it exactly once; the others wait, then find nothing to do. A database holding
/// tables of something else, or migrated by a newer Cairn, is refused before anything is written.
package enum PostgresMigrator {
    /// Every migration this binary applies, in the order it applies them: the journal's, then each domain's.
    package static func knownMigrations(domains: [SchemaMigration]) -> [SchemaMigration] {
        PostgresMigrations.all + domains
    }

    /// The advisory lock's key: `cairn` in ASCII.
    static let lockKey = 0x6361_6972_6E

    /// The statements of a migration file, each sent on its own (the extended protocol takes one at a time): its
    /// `--` comments dropped, cut at each `;` — so a migration keeps `;` out of its literals and comments' code.
    static func statements(in sql: String) -> [String] {
        let code = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line) }
            .joined(separator: "\n")
        return code.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Whether the database has a journal: its migrations table.
    static func holdsJournal(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.answered("SELECT to_regclass('cairn_migration') IS NOT NULL", logger: logger)
            .decode(Bool.self).first { _ in true } ?? false
    }

    /// Migrates the journal over `connection`: its own schema, then the domains' (`domains`, each `domain/NNNN_…`).
    /// A migration of a domain this binary does not plug in is left alone; one this binary does not know of the
    /// journal's or of a plugged-in domain means a newer Cairn wrote the database.
    /// - Throws: `journal-unavailable` for a database of something else; `journal-too-new` for one a newer Cairn migrated.
    static func migrate(_ connection: PostgresConnection, location: PostgresLocation, domains: [SchemaMigration], logger: Logger) async throws {
        try await PostgresJournal.inTransaction(connection, logger: logger) { connection in
            try await connection.answered("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            if try await !holdsJournal(connection, logger: logger) {
                let tables = try await connection.answered(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", logger: logger).decode(Int.self).first { _ in true } ?? 0
                guard tables == 0 else {
                    throw CairnError(.journalUnavailable, "the database \(location) holds tables of something else and no Cairn journal; "
                        + "it was left as it is; point --db at an empty database")
                }
                try await connection.answered("""
                    CREATE TABLE cairn_migration (identifier text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
            }
            var applied: Set<String> = []
            for try await identifier in try await connection.answered("SELECT identifier FROM cairn_migration", logger: logger).decode(String.self) {
                applied.insert(identifier)
            }
            let migrations = knownMigrations(domains: domains)
            let plugged = Set(domains.compactMap(\.domain))
            let unknown = applied.subtracting(migrations.map(\.identifier))
                .filter { identifier in SchemaMigration(identifier, sql: "").domain.map(plugged.contains) ?? true }.sorted()
            guard unknown.isEmpty else {
                throw CairnError(.journalTooNew, "journal \(location) was written by a newer Cairn (it has migration "
                    + "\(unknown.joined(separator: ", ")), which this binary does not know); use a newer cairn, or another --db")
            }
            for migration in migrations where !applied.contains(migration.identifier) {
                for statement in statements(in: migration.sql) { try await connection.answered(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.answered("INSERT INTO cairn_migration (identifier) VALUES (\(migration.identifier))", logger: logger)
                logger.info("applied migration \(migration.identifier)", metadata: ["journal": "\(location)"])
            }
        }
    }
}
