import Cairn
import GRDB

/// Creates and migrates the journal schema, and the schemas of the domains plugged into it, from the SQL
/// files compiled into the binary.
///
/// All pending migrations run in one exclusive transaction that re-reads what is applied once it holds the
/// lock, so any number of processes opening a new journal at once migrate it exactly once. Applied
/// migrations are recorded in `grdb_migrations`, the table earlier releases (which used GRDB's migrator)
/// wrote.
public enum JournalMigrator {
    /// Migrations that releases before domains were plug-ins shipped among the journal's own: a journal that
    /// has them is not from a newer Cairn (the domain that owns them now replaces them, when it is plugged in).
    static let formerDomainMigrations: Set<String> = ["0002_inventory_ledger"]

    /// The migration every Cairn journal has: a database without it is not a journal.
    static let first = "0001_journal"

    static func migrations(_ extensions: [JournalExtension]) -> [SchemaMigration] {
        JournalMigrations.all + extensions.flatMap(\.migrations)
    }

    /// The migrations this binary applies, in order, with `extensions` plugged in.
    public static func knownMigrations(_ extensions: [JournalExtension] = []) -> [String] {
        migrations(extensions).map(\.identifier)
    }

    /// The migrations applied to the database, in the order they were applied (none for a new database).
    static func applied(_ db: Database) throws -> [String] {
        guard try db.tableExists("grdb_migrations") else { return [] }
        return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
    }

    /// Applied migrations of a schema this binary has (the journal's, or a plugged-in domain's) that it
    /// does not know: the journal was written by a newer Cairn. A domain this binary lacks is left alone.
    static func unknownMigrations(applied: Set<String>, _ extensions: [JournalExtension]) -> [String] {
        let known = Set(knownMigrations(extensions)).union(formerDomainMigrations)
        let domains = Set(extensions.map(\.name))
        return applied.filter { identifier in
            guard !known.contains(identifier) else { return false }
            let domain = SchemaMigration(identifier, sql: "").domain
            return domain.map(domains.contains) ?? true
        }.sorted()
    }

    /// Migrates the journal on `writer`, refusing one written by a newer Cairn and a database that is not a
    /// journal. Takes no lock when there is nothing to do.
    static func migrate(_ writer: some DatabaseWriter, path: String, extensions: [JournalExtension]) throws {
        if try writer.read({ db in try pending(db, path: path, extensions) }).isEmpty { return }
        try writer.writeWithoutTransaction { db in
            // A table rebuild (0004) must not cascade: foreign keys are checked once, before the commit.
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            try db.inTransaction(.exclusive) {
                let applied = Set(try Self.applied(db))
                for migration in try pending(db, path: path, extensions) {
                    if migration.replaces.allSatisfy({ !applied.contains($0) }) { try db.execute(sql: migration.sql) }
                    try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
                    for replaced in migration.replaces {
                        try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [replaced])
                    }
                }
                if let violation = try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") {
                    throw CairnError(.journalUnavailable, "migrating journal \(path) would break a reference in table \(violation[0] as String); "
                        + "nothing was changed; run cairn db check")
                }
                return .commit
            }
        }
    }

    /// The migrations still to apply to the database, after refusing a newer journal or a foreign database.
    private static func pending(_ db: Database, path: String, _ extensions: [JournalExtension]) throws -> [SchemaMigration] {
        let applied = Set(try applied(db))
        try refuseForeign(db, applied: applied, path: path)
        try refuseNewer(applied: applied, path: path, extensions)
        return migrations(extensions).filter { !applied.contains($0.identifier) }
    }

    /// Whether a journal with these migrations applied needs none of this binary's.
    static func isCurrent(applied: Set<String>, _ extensions: [JournalExtension]) -> Bool {
        Set(knownMigrations(extensions)).isSubset(of: applied)
    }

    /// Refuses an SQLite database that holds tables of its own but no journal: it belongs to something else.
    static func refuseForeign(_ db: Database, applied: Set<String>, path: String) throws {
        guard !applied.contains(first) else { return }
        let objects = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") ?? 0
        guard objects == 0 else {
            throw CairnError(.journalUnavailable, "the file \(path) is an SQLite database of something else (tables of its own, "
                + "no Cairn journal); it was left as it is; pass another --db")
        }
    }

    static func refuseNewer(applied: Set<String>, path: String, _ extensions: [JournalExtension]) throws {
        let unknown = unknownMigrations(applied: applied, extensions)
        guard unknown.isEmpty else {
            throw CairnError(
                .journalTooNew,
                "journal \(path) was written by a newer Cairn (it has migration \(unknown.joined(separator: ", ")), "
                    + "which this binary does not know); use a newer cairn, or another --db")
        }
    }
}
